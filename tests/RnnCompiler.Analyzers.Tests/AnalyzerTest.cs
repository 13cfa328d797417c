using System.IO;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using RnnCompiler.Generators.Diagnostics;

namespace RnnCompiler.Analyzers.Tests;

/// <summary>
/// Runs <see cref="RnnModelAnalyzer"/> over a source with markup (<c>{|RNN0001:Name|}</c>) and checks that exactly the
/// marked diagnostics are reported, on exactly those spans. The source gets <c>using RnnCompiler;</c> and the runtime
/// library as a reference; the generator does not run, so a source is checked as the IDE sees it while typing.
/// </summary>
internal static class AnalyzerTest
{
    /// <summary>The .NET 10 reference pack; <c>ReferenceAssemblies.Net.Net100</c> asks for a version the registry does not serve.</summary>
    private static readonly ReferenceAssemblies s_net100 = new(
        "net10.0",
        new PackageIdentity("Microsoft.NETCore.App.Ref", "10.0.12"),
        Path.Combine("ref", "net10.0"));

    public static Task VerifyAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new CSharpAnalyzerTest<RnnModelAnalyzer, DefaultVerifier>
        {
            TestCode = "using RnnCompiler;\n" + source,
            ReferenceAssemblies = s_net100,
        };
        test.TestState.AdditionalReferences.Add(MetadataReference.CreateFromFile(typeof(RnnModelAttribute).Assembly.Location));
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    /// <summary>
    /// An expected diagnostic of <paramref name="id"/> at markup location <paramref name="index"/> (<c>{|#0:…|}</c>),
    /// with the descriptor's severity; add <c>WithMessage</c> to check the text as well.
    /// </summary>
    public static DiagnosticResult Diagnostic(string id, int index = 0) =>
        new DiagnosticResult(id, DiagnosticDescriptors.ForProblem(id)!.DefaultSeverity).WithLocation(index);

    /// <summary>RNN0100 at markup location 0, with its message arguments checked through the descriptor's format.</summary>
    public static DiagnosticResult ModelSize(string name, int parameters, double kilobytes) =>
        new DiagnosticResult(DiagnosticDescriptors.ModelSize).WithLocation(0).WithArguments(name, parameters, kilobytes);
}
