using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using RnnCompiler.Generators;
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
    internal static readonly ReferenceAssemblies Net100 = new(
        "net10.0",
        new PackageIdentity("Microsoft.NETCore.App.Ref", "10.0.12"),
        Path.Combine("ref", "net10.0"));

    public static Task VerifyAsync(string source, params DiagnosticResult[] expected) => VerifyAsync(source, withGeneratedPart: false, expected);

    /// <summary>As <see cref="VerifyAsync(string, DiagnosticResult[])"/>, with additional files (path, text) in the project.</summary>
    public static Task VerifyWithFilesAsync(string source, (string Path, string Text)[] additionalFiles, params DiagnosticResult[] expected)
    {
        var test = new CSharpAnalyzerTest<RnnModelAnalyzer, DefaultVerifier>
        {
            TestCode = "using RnnCompiler;\n" + source,
            ReferenceAssemblies = Net100,
        };
        test.TestState.AdditionalReferences.Add(Runtime);
        foreach ((string path, string text) in additionalFiles)
        {
            test.TestState.AdditionalFiles.Add((path, text));
        }

        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    /// <summary>
    /// As above; with <paramref name="withGeneratedPart"/> the generator runs first over the source (without markup)
    /// and its files are added to the analyzed compilation, as in the IDE and in a build, where the analyzer sees the
    /// generated part of the class next to the user's.
    /// </summary>
    public static Task VerifyAsync(string source, bool withGeneratedPart, params DiagnosticResult[] expected)
    {
        string code = "using RnnCompiler;\n" + source;
        var test = new CSharpAnalyzerTest<RnnModelAnalyzer, DefaultVerifier>
        {
            TestCode = code,
            ReferenceAssemblies = Net100,
        };
        test.TestState.AdditionalReferences.Add(Runtime);
        if (withGeneratedPart)
        {
            foreach ((string hintName, string generated) in Generate(RemoveMarkup(code)))
            {
                test.TestState.Sources.Add(("/0/" + hintName, generated));
            }
        }

        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    /// <summary>The runtime library (the attributes), as a reference.</summary>
    internal static readonly MetadataReference Runtime = MetadataReference.CreateFromFile(typeof(RnnModelAttribute).Assembly.Location);

    /// <summary>The generator's files for <paramref name="source"/>.</summary>
    private static IEnumerable<(string HintName, string Source)> Generate(string source)
    {
        var parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
        CSharpCompilation compilation = CSharpCompilation.Create(
            "Generated",
            new[] { CSharpSyntaxTree.ParseText(source, parseOptions) },
            Basic.Reference.Assemblies.Net100.References.All.Cast<MetadataReference>().Append(Runtime),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new RnnModelGenerator().AsSourceGenerator() }, parseOptions: parseOptions);
        GeneratorDriverRunResult result = driver.RunGenerators(compilation).GetRunResult();
        if (result.GeneratedTrees.IsEmpty)
        {
            throw new InvalidOperationException("The generator wrote nothing for this source, so there is no generated part to test with.");
        }

        return result.GeneratedTrees.Select(tree => (Path.GetFileName(tree.FilePath), tree.GetText().ToString())).ToList();
    }

    /// <summary>
    /// An expected diagnostic of <paramref name="id"/> at markup location <paramref name="index"/> (<c>{|#0:…|}</c>),
    /// with the descriptor's severity; add <c>WithMessage</c> to check the text as well.
    /// </summary>
    public static DiagnosticResult Diagnostic(string id, int index = 0) =>
        new DiagnosticResult(id, DiagnosticDescriptors.ForProblem(id)!.DefaultSeverity).WithLocation(index);

    /// <summary>
    /// The bytes each buffer of the model's element type holds beyond its elements: it is an <c>AlignedBuffer</c>, one
    /// cache line longer, so that its first element can sit on a 64-byte boundary (none for an empty one).
    /// </summary>
    public const long Padding = 64;

    /// <summary>RNN0100 at markup location 0, with its message arguments checked through the descriptor's format.</summary>
    public static DiagnosticResult ModelSize(string name, int parameters, long weights, long working, long streaming) =>
        new DiagnosticResult(DiagnosticDescriptors.ModelSize).WithLocation(0).WithArguments(
            name, parameters, weights + working + streaming,
            string.Format(System.Globalization.CultureInfo.InvariantCulture, "weights {0:N0}, working buffers {1:N0}, streaming state {2:N0}", weights, working, streaming));

    /// <summary>Strips <c>{|ID:text|}</c> and <c>{|#0:text|}</c> markup, leaving the text, for the generator run.</summary>
    private static string RemoveMarkup(string markup) => Regex.Replace(markup, @"\{\|[^:|]+:(?<text>.*?)\|\}", "${text}");
}
