using System.Threading.Tasks;
using RnnCompiler.CodeFixes;
using Xunit;

namespace RnnCompiler.Analyzers.Tests;

/// <summary>Each code fix on the declaration its diagnostic flags: the source before, and after the fix is applied.</summary>
public class CodeFixTests
{
    [Fact]
    public Task RNN0001_adds_partial() => CodeFixTest.VerifyAsync<MakePartialCodeFixProvider>(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8)]
        public sealed class {|RNN0001:Forecaster|};
        """,
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8)]
        public sealed partial class Forecaster;
        """);

    [Fact]
    public Task RNN0001_adds_partial_to_a_class_without_modifiers() => CodeFixTest.VerifyAsync<MakePartialCodeFixProvider>(
        """
        namespace Demo
        {
            [RnnModel(SequenceLength = 10)]
            [Input(3)]
            [Gru(8)]
            // The forecaster.
            class {|RNN0001:Forecaster|}
            {
            }
        }
        """,
        """
        namespace Demo
        {
            [RnnModel(SequenceLength = 10)]
            [Input(3)]
            [Gru(8)]
            // The forecaster.
            partial class Forecaster
            {
            }
        }
        """);

    [Fact]
    public Task RNN0003_makes_every_containing_type_partial() => CodeFixTest.VerifyAsync<MakePartialCodeFixProvider>(
        """
        public static class Models
        {
            internal partial struct Group
            {
                internal class Inner
                {
                    [RnnModel(SequenceLength = 10)]
                    [Input(3)]
                    [Lstm(8)]
                    public partial class {|RNN0003:{|RNN0003:Forecaster|}|};
                }
            }
        }
        """,
        """
        public static partial class Models
        {
            internal partial struct Group
            {
                internal partial class Inner
                {
                    [RnnModel(SequenceLength = 10)]
                    [Input(3)]
                    [Lstm(8)]
                    public partial class Forecaster;
                }
            }
        }
        """);

    [Fact]
    public Task RNN0004_removes_static() => CodeFixTest.VerifyAsync<RemoveStaticCodeFixProvider>(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8)]
        public static partial class {|RNN0004:Forecaster|};
        """,
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8)]
        public partial class Forecaster;
        """);

    [Fact]
    public Task RNN0004_removes_a_leading_static() => CodeFixTest.VerifyAsync<RemoveStaticCodeFixProvider>(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8)]
        static partial class {|RNN0004:Forecaster|}
        {
            public static int Answer => 42;
        }
        """,
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8)]
        partial class Forecaster
        {
            public static int Answer => 42;
        }
        """);

    [Fact]
    public Task RNN0010_sets_return_sequences_on_the_layer_before() => CodeFixTest.VerifyAsync<SetReturnSequencesCodeFixProvider>(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8, Bidirectional = true)]
        [{|RNN0010:Gru(4)|}]
        [Dense(1)]
        public partial class Forecaster;
        """,
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8, Bidirectional = true, ReturnSequences = true)]
        [Gru(4)]
        [Dense(1)]
        public partial class Forecaster;
        """);

    [Fact]
    public Task RNN0010_turns_return_sequences_false_into_true_in_one_attribute_list() => CodeFixTest.VerifyAsync<SetReturnSequencesCodeFixProvider>(
        """
        [RnnModel(SequenceLength = 10), Input(3), SimpleRnn(8, ReturnSequences = false), {|RNN0010:Lstm(4)|}]
        public partial class Forecaster;
        """,
        """
        [RnnModel(SequenceLength = 10), Input(3), SimpleRnn(8, ReturnSequences = true), Lstm(4)]
        public partial class Forecaster;
        """);

    [Fact]
    public Task RNN0010_fixes_a_chain_of_layers_in_two_rounds() => CodeFixTest.VerifyAsync<SetReturnSequencesCodeFixProvider>(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8)]
        [{|RNN0010:Gru(6)|}]
        [{|RNN0010:Gru(4)|}]
        public partial class Forecaster;
        """,
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8, ReturnSequences = true)]
        [Gru(6, ReturnSequences = true)]
        [Gru(4)]
        public partial class Forecaster;
        """,
        iterations: 2);

    [Fact]
    public Task RNN0010_offers_nothing_after_a_dense_layer() => CodeFixTest.VerifyAsync<SetReturnSequencesCodeFixProvider>(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8)]
        [Dense(4)]
        [{|RNN0010:Gru(4)|}]
        public partial class Forecaster;
        """,
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8)]
        [Dense(4)]
        [{|RNN0010:Gru(4)|}]
        public partial class Forecaster;
        """);

    [Fact]
    public Task RNN0030_masks_token_0_on_the_embedding_instead() => CodeFixTest.VerifyAsync<MaskZeroCodeFixProvider>(
        """
        [RnnModel(SequenceLength = 10)]
        [Embedding(100, 8)]
        [{|RNN0030:Masking|}]
        [Lstm(8)]
        public partial class Tagger;
        """,
        """
        [RnnModel(SequenceLength = 10)]
        [Embedding(100, 8, MaskZero = true)]
        [Lstm(8)]
        public partial class Tagger;
        """,
        MaskZeroCodeFixProvider.MaskZeroKey);

    [Fact]
    public Task RNN0011_sets_bidirectional() => CodeFixTest.VerifyAsync<MergeModeCodeFixProvider>(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [{|RNN0011:Lstm(8, MergeMode = MergeMode.Sum)|}]
        public partial class Forecaster;
        """,
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8, MergeMode = MergeMode.Sum, Bidirectional = true)]
        public partial class Forecaster;
        """,
        MergeModeCodeFixProvider.SetBidirectionalKey);

    [Fact]
    public Task RNN0011_turns_bidirectional_false_into_true() => CodeFixTest.VerifyAsync<MergeModeCodeFixProvider>(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [{|RNN0011:Gru(8, Bidirectional = false, MergeMode = MergeMode.Average)|}]
        public partial class Forecaster;
        """,
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Gru(8, Bidirectional = true, MergeMode = MergeMode.Average)]
        public partial class Forecaster;
        """,
        MergeModeCodeFixProvider.SetBidirectionalKey);

    [Fact]
    public Task RNN0034_removes_a_batch_size_unlike_the_training_batch() => CodeFixTest.VerifyAsync<RemoveModelArgumentCodeFixProvider>(
        """
        [{|RNN0034:RnnModel(SequenceLength = 10, BatchSize = 64)|}]
        [Train(Loss = Loss.MeanSquaredError, BatchSize = 32)]
        [Input(3)]
        [Lstm(8)]
        [Dense(1)]
        public partial class Forecaster;
        """,
        """
        [RnnModel(SequenceLength = 10)]
        [Train(Loss = Loss.MeanSquaredError, BatchSize = 32)]
        [Input(3)]
        [Lstm(8)]
        [Dense(1)]
        public partial class Forecaster;
        """,
        "RNN0034");

    [Fact]
    public Task RNN0035_removes_streams_from_a_bidirectional_model() => CodeFixTest.VerifyAsync<RemoveModelArgumentCodeFixProvider>(
        """
        [{|RNN0035:RnnModel(Streams = 8, SequenceLength = 10)|}]
        [Input(3)]
        [Lstm(8, Bidirectional = true)]
        [Dense(1)]
        public partial class SensorWatch;
        """,
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8, Bidirectional = true)]
        [Dense(1)]
        public partial class SensorWatch;
        """,
        "RNN0035");

    [Fact]
    public Task RNN0011_removes_merge_mode() => CodeFixTest.VerifyAsync<MergeModeCodeFixProvider>(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [{|RNN0011:Lstm(8, MergeMode = MergeMode.Sum, ReturnSequences = true)|}]
        [{|RNN0011:SimpleRnn(2, MergeMode = MergeMode.Multiply)|}]
        public partial class Forecaster;
        """,
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8, ReturnSequences = true)]
        [SimpleRnn(2)]
        public partial class Forecaster;
        """,
        MergeModeCodeFixProvider.RemoveMergeModeKey,
        iterations: 2);

    [Fact]
    public Task RNN0012_uses_the_default_activation() => CodeFixTest.VerifyAsync<DefaultActivationCodeFixProvider>(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [{|RNN0012:SimpleRnn(8, Activation = Activation.Softmax, ReturnSequences = true)|}]
        [{|RNN0012:SimpleRnn(4, Activation = Activation.Softmax)|}]
        public partial class Forecaster;
        """,
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [SimpleRnn(8, ReturnSequences = true)]
        [SimpleRnn(4)]
        public partial class Forecaster;
        """,
        iterations: 2);

    [Fact]
    public Task RNN0012_on_lstm_and_gru_removes_the_softmax_activation_or_gate_activation() => CodeFixTest.VerifyAsync<DefaultActivationCodeFixProvider>(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [{|RNN0012:Lstm(8, RecurrentActivation = Activation.Softmax, ReturnSequences = true)|}]
        [{|RNN0012:Gru(4, Activation = Activation.Softmax, RecurrentActivation = Activation.HardSigmoid)|}]
        public partial class Forecaster;
        """,
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8, ReturnSequences = true)]
        [Gru(4, RecurrentActivation = Activation.HardSigmoid)]
        public partial class Forecaster;
        """,
        iterations: 2);
}
