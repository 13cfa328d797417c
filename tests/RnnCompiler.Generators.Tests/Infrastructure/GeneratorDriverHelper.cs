using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using RnnCompiler.Generators;

namespace RnnCompiler.Generators.Tests.Infrastructure;

/// <summary>One run of <see cref="RnnModelGenerator"/> over a compilation.</summary>
/// <param name="Driver">The driver after the run; run it again to observe incremental caching.</param>
/// <param name="Result">The run result: generated sources, tracked steps, generator diagnostics and exceptions.</param>
/// <param name="InputCompilation">The compilation the generator saw.</param>
/// <param name="OutputCompilation">The input compilation plus the generated trees.</param>
/// <param name="DriverDiagnostics">What the driver itself reported (for example CS8785 when a generator throws).</param>
internal sealed record GeneratorRun(
    GeneratorDriver Driver,
    GeneratorDriverRunResult Result,
    Compilation InputCompilation,
    Compilation OutputCompilation,
    ImmutableArray<Diagnostic> DriverDiagnostics)
{
    /// <summary>The generated sources of every generator, ordered by hint name (ordinal).</summary>
    public ImmutableArray<GeneratedSourceResult> GeneratedSources =>
        Result.Results.SelectMany(r => r.GeneratedSources).OrderBy(s => s.HintName, StringComparer.Ordinal).ToImmutableArray();
}

/// <summary>
/// Builds in-memory compilations the way a net10.0 project with <c>Nullable=enable</c>, <c>LangVersion=latest</c> and
/// XML documentation enabled sees them, and runs the generator over them with step tracking on.
/// </summary>
internal static class GeneratorDriverHelper
{
    /// <summary>
    /// Latest language version, and documentation comments parsed and checked (<see cref="DocumentationMode.Diagnose"/>)
    /// so malformed XML or an unresolvable <c>cref</c> in emitted code is a warning, as in a project with
    /// <c>GenerateDocumentationFile</c>. The same options are given to the driver, so generated trees are parsed alike.
    /// </summary>
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest, DocumentationMode.Diagnose);

    /// <summary>
    /// A class library with nullable on and every warning wave (warning level 9999, as the SDK sets for current
    /// target frameworks), so compile-clean tests see what a user's build sees.
    /// </summary>
    public static readonly CSharpCompilationOptions CompilationOptions = new(
        OutputKind.DynamicallyLinkedLibrary,
        nullableContextOptions: NullableContextOptions.Enable,
        warningLevel: 9999,
        deterministic: true);

    /// <summary>The .NET 10 reference assemblies plus the RnnCompiler runtime library (attributes, kernels).</summary>
    public static readonly ImmutableArray<MetadataReference> References =
        Basic.Reference.Assemblies.Net100.References.All
            .Cast<MetadataReference>()
            .Append(MetadataReference.CreateFromFile(typeof(RnnModelAttribute).Assembly.Location))
            .ToImmutableArray();

    /// <summary>The step names in <see cref="TrackingNames"/>, read by reflection so a new step is covered at once.</summary>
    public static ImmutableArray<string> AllTrackingNames { get; } =
        typeof(TrackingNames)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && !f.IsInitOnly && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .OrderBy(n => n, StringComparer.Ordinal)
            .ToImmutableArray();

    /// <summary>Parses one source text with <see cref="ParseOptions"/>; the path names the file in diagnostics.</summary>
    public static SyntaxTree Parse(string source, string path) =>
        CSharpSyntaxTree.ParseText(source, ParseOptions, path);

    /// <summary>Creates a compilation of <paramref name="sources"/> (files <c>Source0.cs</c>, <c>Source1.cs</c>, ...).</summary>
    /// <exception cref="InvalidOperationException">A source does not parse: the test input itself is wrong.</exception>
    public static CSharpCompilation CreateCompilation(params string[] sources)
    {
        SyntaxTree[] trees = sources.Select((s, i) => Parse(s, $"Source{i}.cs")).ToArray();
        Diagnostic[] syntaxErrors = trees
            .SelectMany(t => t.GetDiagnostics())
            .Where(d => d.Severity == DiagnosticSeverity.Error)
            .ToArray();
        if (syntaxErrors.Length > 0)
        {
            throw new InvalidOperationException(
                "The test input does not parse:\n" + string.Join("\n", syntaxErrors.Select(d => d.ToString())));
        }

        return CSharpCompilation.Create("RnnCompiler.TestInput", trees, References, CompilationOptions);
    }

    /// <summary>A driver for <see cref="RnnModelGenerator"/> that records every tracked pipeline step.</summary>
    public static GeneratorDriver CreateDriver(params AdditionalText[] additionalTexts) =>
        CSharpGeneratorDriver.Create(
            new[] { new RnnModelGenerator().AsSourceGenerator() },
            additionalTexts: additionalTexts,
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Compiles <paramref name="sources"/> and runs a new driver over them.</summary>
    public static GeneratorRun Run(params string[] sources) => Run(CreateCompilation(sources));

    /// <summary>
    /// Runs <paramref name="driver"/> (a new one when null) over <paramref name="compilation"/>. Pass the
    /// <see cref="GeneratorRun.Driver"/> of an earlier run to see which steps the driver could reuse.
    /// </summary>
    public static GeneratorRun Run(Compilation compilation, GeneratorDriver? driver = null)
    {
        GeneratorDriver updated = (driver ?? CreateDriver())
            .RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        return new GeneratorRun(updated, updated.GetRunResult(), compilation, output, diagnostics);
    }

    /// <summary>Every diagnostic as one line each, for failure messages.</summary>
    public static string Format(IEnumerable<Diagnostic> diagnostics) =>
        string.Join("\n", diagnostics.Select(d => "  " + d.ToString()));
}

/// <summary>An additional file held in memory, as the compiler would pass it.</summary>
internal sealed class InMemoryAdditionalText(string path, string text) : AdditionalText
{
    public override string Path { get; } = path;

    public override Microsoft.CodeAnalysis.Text.SourceText GetText(System.Threading.CancellationToken cancellationToken = default) =>
        Microsoft.CodeAnalysis.Text.SourceText.From(text, System.Text.Encoding.UTF8);
}
