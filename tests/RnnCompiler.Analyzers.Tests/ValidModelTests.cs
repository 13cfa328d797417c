using System.Threading.Tasks;
using Xunit;

namespace RnnCompiler.Analyzers.Tests;

/// <summary>A valid model gets only RNN0100, on its class name, with its parameter count.</summary>
public class ValidModelTests
{
    [Fact]
    public Task Sentiment_gets_only_its_size() => AnalyzerTest.VerifyAsync(
        """
        namespace Demo;
        [RnnModel(SequenceLength = 80)]
        [Embedding(1000, 64)]
        [Lstm(128)]
        [Dense(10, Activation = Activation.Softmax)]
        public partial class {|#0:Sentiment|};
        """,
        AnalyzerTest.ModelSize("Sentiment", 164_106, 641.0));

    [Fact]
    public Task Nested_bidirectional_model_gets_only_its_size() => AnalyzerTest.VerifyAsync(
        """
        namespace Demo;
        public partial class Outer
        {
            [RnnModel(SequenceLength = 16)]
            [Input(2)]
            [Lstm(3, Bidirectional = true, ReturnSequences = true, MergeMode = MergeMode.Sum)]
            [Lstm(4)]
            [Dense(1, Activation = Activation.Sigmoid)]
            public partial class {|RNN0100:StackedLstm|};
        }
        """);

    [Fact]
    public Task Class_without_RnnModel_gets_nothing() => AnalyzerTest.VerifyAsync(
        """
        namespace Demo;
        [Lstm(0)]
        public class NotAModel;
        """);

    [Fact]
    public Task Record_is_ignored_as_the_generator_ignores_it() => AnalyzerTest.VerifyAsync(
        """
        namespace Demo;
        [RnnModel]
        public record NotAClassDeclaration;
        """);
}
