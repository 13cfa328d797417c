using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using RnnCompiler.Generators;
using Xunit;

namespace RnnCompiler.Analyzers.Tests;

/// <summary>
/// Declarations the fuzz test found that the generator failed on. Fixed ones are regression tests; an open one is
/// skipped until the generator is fixed (generators/RnnCompiler.Generators is not this test project's to change); then
/// remove the Skip, and set <see cref="FuzzTests"/>'s <c>KnownGeneratorIssues</c> to true.
/// </summary>
public class KnownGeneratorIssuesTests
{
    // Issues 1 to 3 were fixed in the generator (commit 9aa7075); their declarations stay as regression tests.
    [Fact]
    public void Verbatim_keyword_in_the_namespace() => AssertCleanGeneration(
        """
        namespace @class.Models;
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8)]
        public partial class Forecaster;
        """);

    [Fact]
    public void RnnModel_on_two_parts() => AssertCleanGeneration(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8)]
        public partial class Forecaster;

        [RnnModel(SequenceLength = 10)]
        partial class Forecaster { }
        """,
        expectOutput: false);

    // Found by the fuzz test once invalid declarations got fallback members: the part whose [RnnModel] does not bind
    // was given the other part's attribute, and both parts wrote the same file (CS8785).
    [Fact]
    public void RnnModel_on_two_parts_with_a_qualified_name() => AssertCleanGeneration(
        """
        namespace Fuzz;
        [RnnCompiler.RnnModel(SequenceLength = 0x10)]
        [Embedding((int)2.9, 1)]
        [Lstm(0x10)]
        internal partial class Forecaster;
        [RnnModel(SequenceLength = 80)]
        partial class Forecaster { }
        """,
        usingRnnCompiler: false); // one file, the fallback: without the using, the layers do not bind

    // Keyword names, written with '@': the generated parts must escape them too (they were written bare: CS0260, CS0065).
    [Fact]
    public void Keyword_names_for_the_class_and_its_containing_type() => AssertCleanGeneration(
        """
        namespace Demo;
        public partial class @struct
        {
            [RnnModel(SequenceLength = 10)]
            [Input(3)]
            [Lstm(8, Bidirectional = true)]
            public partial class @class;
        }

        [RnnModel(SequenceLength = 10)]
        [Train(Loss = Loss.MeanSquaredError, BatchSize = 4, Parallelism = 2)]
        [Input(3)]
        [Gru(4)]
        public partial class @event;

        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(0)]
        public partial class @record;

        public static class Use
        {
            public static string Run() => @struct.@class.Summary + @event.Summary + @record.SequenceLength;
        }
        """);

    [Fact]
    public void Sequence_buffer_over_int_max() => AssertCleanGeneration(
        """
        [RnnModel(SequenceLength = 1_048_576)]
        [Input(8)]
        [Dense(65536)]
        [SimpleRnn(8)]
        public partial class Forecaster;
        """); // too large: RNN0016, and the fallback members (which must compile)

    [Fact]
    public void Class_without_a_name() => AssertCleanGeneration(
        """
        namespace Demo;
        [RnnModel(SequenceLength = 9)]
        [Embedding(3, 4)]
        [Gru(6)]
        partial class
        """,
        expectOutput: false);

    /// <summary>The generator runs without an exception or diagnostic (RNN0027 would be one), writes code (or, if not expected, none), and that code has no errors.</summary>
    private static void AssertCleanGeneration(string source, bool expectOutput = true, bool usingRnnCompiler = true)
    {
        var parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
        CSharpCompilation compilation = CSharpCompilation.Create(
            "Known",
            new[] { CSharpSyntaxTree.ParseText((usingRnnCompiler ? "using RnnCompiler;\n" : string.Empty) + source, parseOptions) },
            Basic.Reference.Assemblies.Net100.References.All.Cast<MetadataReference>().Append(AnalyzerTest.Runtime),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new RnnModelGenerator().AsSourceGenerator() }, parseOptions: parseOptions)
            .RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        Assert.Empty(diagnostics);
        Assert.All(driver.GetRunResult().Results, result => Assert.Null(result.Exception));
        SyntaxTree[] generated = output.SyntaxTrees.Skip(1).ToArray();
        Assert.Equal(expectOutput, generated.Length > 0);
        Assert.DoesNotContain(generated.SelectMany(tree => output.GetSemanticModel(tree).GetDiagnostics()), diagnostic => diagnostic.Severity == DiagnosticSeverity.Error);
    }
}
