using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using RnnCompiler.Generators;
using Xunit;

namespace RnnCompiler.Analyzers.Tests;

/// <summary>
/// What the generator promises around its output: an exception becomes RNN0027 instead of silence; a declaration with
/// an RNN error keeps its members' signatures, so the user's calls compile; a member a model cannot have says why.
/// </summary>
public class GeneratorContractTests
{
    private const string Valid = """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8)]
        [Dense(2)]
        public partial class Forecaster;
        """;

    [Fact]
    public void An_exception_while_writing_the_code_is_reported_as_RNN0027()
    {
        var generator = new RnnModelGenerator((_, _, _) => throw new InvalidOperationException("the emitter broke"));
        (ImmutableArray<Diagnostic> diagnostics, GeneratorDriverRunResult run, _) = Run(Valid, generator);

        Diagnostic failure = Assert.Single(diagnostics);
        Assert.Equal("RNN0027", failure.Id);
        Assert.Equal(DiagnosticSeverity.Error, failure.Severity);
        string message = failure.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("'Forecaster'", message, StringComparison.Ordinal);
        Assert.Contains("System.InvalidOperationException: the emitter broke", message, StringComparison.Ordinal);
        Assert.Contains("report", message, StringComparison.Ordinal);
        Assert.All(run.Results, result => Assert.Null(result.Exception));
        Assert.Empty(run.Results.SelectMany(result => result.GeneratedSources));
    }

    [Fact]
    public void The_real_emitter_reports_nothing_on_a_valid_model()
    {
        (ImmutableArray<Diagnostic> diagnostics, GeneratorDriverRunResult run, Compilation output) = Run(Valid + Use("new Forecaster().Predict(new float[3], new float[2]);"), new RnnModelGenerator());
        Assert.Empty(diagnostics);
        Assert.Single(run.Results.SelectMany(result => result.GeneratedSources));
        Assert.Empty(Errors(output));
    }

    [Theory]
    [InlineData("[Lstm(0)]")] // a size out of range
    [InlineData("[Lstm(8, MergeMode = MergeMode.Sum)]")] // MergeMode without Bidirectional
    [InlineData("[Embedding(10, 4)]")] // Embedding after the first layer
    public void A_declaration_with_an_RNN_error_keeps_its_members(string layer)
    {
        string source = $$"""
            [RnnModel(SequenceLength = 10)]
            [Train(Loss = Loss.MeanSquaredError)]
            [Input(3)]
            {{layer}}
            [Dense(2)]
            public partial class Forecaster;
            """ + Use("""
                var model = new Forecaster();
                model.Predict(new float[30], new float[2]);
                model.Step(new float[3], new float[2]);
                model.ResetState();
                model.LoadWeights(System.IO.Stream.Null);
                model.TrainBatch(new float[30], new float[2]);
                _ = Forecaster.Summary + Forecaster.OutputUnits + Forecaster.InputFeatures + Forecaster.SequenceLength;
                """);
        (ImmutableArray<Diagnostic> diagnostics, GeneratorDriverRunResult run, Compilation output) = Run(source, new RnnModelGenerator());

        Assert.Empty(diagnostics);
        Assert.Single(run.Results.SelectMany(result => result.GeneratedSources));
        Assert.Empty(Errors(output));
    }

    [Fact]
    public void The_fallback_leaves_out_what_the_user_declares()
    {
        string source = """
            [RnnModel(SequenceLength = 10)]
            [Input(3)]
            [Lstm(-1)]
            public partial class Summary
            {
                public void Predict(int x) { }
                public int Step;
            }
            """;
        (_, _, Compilation output) = Run(source, new RnnModelGenerator());
        Assert.Empty(Errors(output));
    }

    [Fact]
    public void Step_on_a_bidirectional_model_says_why()
    {
        string source = """
            [RnnModel(SequenceLength = 10)]
            [Input(3)]
            [Lstm(8, Bidirectional = true)]
            [Dense(2)]
            public partial class Tagger;
            """ + Use("new Tagger().Step(new float[3], new float[2]);");
        (ImmutableArray<Diagnostic> diagnostics, _, Compilation output) = Run(source, new RnnModelGenerator());

        Assert.Empty(diagnostics);
        Diagnostic error = Assert.Single(Errors(output));
        Assert.Equal("CS0619", error.Id);
        string message = error.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("bidirectional", message, StringComparison.Ordinal);
        Assert.Contains("Use Predict", message, StringComparison.Ordinal);
    }

    private static string Use(string statements) => $$"""

        public static class Use
        {
            public static void Run()
            {
                {{statements}}
            }
        }
        """;

    private static Diagnostic[] Errors(Compilation compilation) =>
        compilation.GetDiagnostics().Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error).ToArray();

    private static (ImmutableArray<Diagnostic> Diagnostics, GeneratorDriverRunResult Run, Compilation Output) Run(string source, RnnModelGenerator generator)
    {
        var parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
        CSharpCompilation compilation = CSharpCompilation.Create(
            "Contract",
            new[] { CSharpSyntaxTree.ParseText("using RnnCompiler;\n" + source, parseOptions) },
            Basic.Reference.Assemblies.Net100.References.All.Cast<MetadataReference>().Append(AnalyzerTest.Runtime),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { generator.AsSourceGenerator() }, parseOptions: parseOptions)
            .RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        return (diagnostics, driver.GetRunResult(), output);
    }
}
