using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Emit;
using RnnCompiler.Generators.Tests.Infrastructure;
using Xunit;

namespace RnnCompiler.Generators.Tests;

/// <summary>
/// Every test model, after generation, compiles and emits without a warning against the .NET 10 reference assemblies, and the
/// generator neither reports a diagnostic (analyzers do that) nor throws.
/// </summary>
public sealed class CompileCleanTests
{
    public static TheoryData<string> Models => TestModels.Names();

    [Theory]
    [MemberData(nameof(Models))]
    public void Generator_reports_nothing_and_does_not_throw(string model)
    {
        GeneratorRun run = GeneratorDriverHelper.Run(TestModels.All[model]);

        foreach (GeneratorRunResult result in run.Result.Results)
        {
            Assert.True(result.Exception is null, $"{model}: the generator threw:\n{result.Exception}");
        }

        ImmutableArray<Diagnostic> reported = run.Result.Diagnostics.AddRange(run.DriverDiagnostics);
        Assert.True(reported.IsEmpty, $"{model}: the generator run reported diagnostics:\n{GeneratorDriverHelper.Format(reported)}");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Output_compiles_without_warnings(string model)
    {
        GeneratorRun run = GeneratorDriverHelper.Run(TestModels.All[model]);
        Assert.False(run.GeneratedSources.IsEmpty, $"{model}: the generator produced no source.");

        // Emit rather than GetDiagnostics: it also reports what only code generation finds.
        using var image = new MemoryStream();
        EmitResult emitted = run.OutputCompilation.Emit(image);
        Diagnostic[] problems = emitted.Diagnostics
            .Where(d => d.Severity >= DiagnosticSeverity.Warning)
            .Where(d => !IsMissingDocOnTestInput(d, run))
            .OrderBy(d => d.Location.SourceTree?.FilePath, System.StringComparer.Ordinal)
            .ThenBy(d => d.Location.SourceSpan.Start)
            .ToArray();

        Assert.True(
            problems.Length == 0,
            $"{model}: the output compilation has {problems.Length} warning(s) or error(s):\n{GeneratorDriverHelper.Format(problems)}");
    }

    /// <summary>
    /// CS1591 (missing XML comment) on the hand-written test input is the test's business, not the generator's;
    /// on a generated member it is a real finding (the house style gives every emitted member a summary).
    /// </summary>
    private static bool IsMissingDocOnTestInput(Diagnostic d, GeneratorRun run) =>
        d.Id == "CS1591" && d.Location.SourceTree is { } tree && run.InputCompilation.SyntaxTrees.Contains(tree);
}
