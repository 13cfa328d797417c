using System.Threading.Tasks;
using Xunit;

namespace RnnCompiler.Analyzers.Tests;

/// <summary>One test per validation problem: the ID on the exact span (class name, [RnnModel] or the layer attribute).</summary>
public class ProblemTests
{
    [Fact]
    public Task RNN0001_not_partial() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8)]
        public class {|RNN0001:Forecaster|};
        """);

    [Fact]
    public Task RNN0002_generic() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8)]
        public partial class {|RNN0002:Forecaster|}<T>;
        """);

    [Fact]
    public Task RNN0003_containing_type_not_partial() => AnalyzerTest.VerifyAsync(
        """
        public class Models
        {
            [RnnModel(SequenceLength = 10)]
            [Input(3)]
            [Lstm(8)]
            public partial class {|RNN0003:Forecaster|};
        }
        """);

    [Fact]
    public Task RNN0004_static() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8)]
        public static partial class {|RNN0004:Forecaster|};
        """);

    [Fact]
    public Task RNN0039_private_outside_any_type() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8)]
        private partial class {|#0:Forecaster|};
        """,
        new Microsoft.CodeAnalysis.Testing.DiagnosticResult("CS1527", Microsoft.CodeAnalysis.DiagnosticSeverity.Error).WithSpan(5, 23, 5, 33),
        AnalyzerTest.Diagnostic("RNN0039").WithMessage("'Forecaster' is declared 'private' outside any type, which C# does not allow (CS1527); make it public, internal or file, or nest it in a partial type."));

    [Fact]
    public Task RNN0005_sequence_length_missing() => AnalyzerTest.VerifyAsync(
        """
        [{|RNN0005:RnnModel|}]
        [Input(3)]
        [Lstm(8)]
        public partial class Forecaster;
        """);

    [Fact]
    public Task RNN0005_sequence_length_too_large() => AnalyzerTest.VerifyAsync(
        """
        [{|#0:RnnModel(SequenceLength = 2_000_000)|}]
        [Input(3)]
        [Lstm(8)]
        public partial class Forecaster;
        """,
        AnalyzerTest.Diagnostic("RNN0005").WithMessage("SequenceLength is 2000000; set it to the most steps one prediction takes, from 1 to 1,048,576, for example [RnnModel(SequenceLength = 80)]."));

    [Fact]
    public Task RNN0006_no_layers() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        public partial class {|RNN0006:Forecaster|};
        """);

    [Fact]
    public Task RNN0007_first_layer_not_input() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [{|RNN0007:Lstm(8)|}]
        [Dense(1)]
        public partial class Forecaster;
        """);

    [Fact]
    public Task RNN0008_input_not_first() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8)]
        [{|RNN0008:Embedding(10, 4)|}]
        [Dense(1)]
        public partial class Forecaster;
        """);

    [Fact]
    public Task RNN0009_size_out_of_range() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [{|RNN0009:Lstm(0)|}]
        public partial class Forecaster;
        """);

    [Fact]
    public Task RNN0009_one_per_bad_size() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [{|#0:Embedding(0, 0)|}]
        [Lstm(8)]
        public partial class Forecaster;
        """,
        AnalyzerTest.Diagnostic("RNN0009"),
        AnalyzerTest.Diagnostic("RNN0009"));

    [Fact]
    public Task RNN0009_keep_gate_bias_not_finite() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [{|#0:Gru(8, KeepGateBias = double.NegativeInfinity)|}]
        public partial class Forecaster;
        """,
        AnalyzerTest.Diagnostic("RNN0009").WithMessage("[Gru]: KeepGateBias is -Infinity; it must be a finite number, for example KeepGateBias = 3."));

    [Fact]
    public Task A_finite_keep_gate_bias_is_no_problem() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8, KeepGateBias = -2, UnitForgetBias = false, ReturnSequences = true)]
        [Gru(4, KeepGateBias = 3.5f)]
        public partial class {|RNN0100:Forecaster|};
        """);

    [Fact]
    public Task RNN0010_needs_sequence() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8)]
        [{|#0:Gru(4)|}]
        public partial class Forecaster;
        """,
        AnalyzerTest.Diagnostic("RNN0010").WithMessage("[Gru] needs a sequence, but the layer before it returns one vector per sequence; set ReturnSequences = true on the layer before it."));

    [Fact]
    public Task RNN0011_merge_mode_without_bidirectional() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [{|RNN0011:Lstm(8, MergeMode = MergeMode.Sum)|}]
        public partial class Forecaster;
        """);

    [Fact]
    public Task RNN0012_softmax_on_simple_rnn() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [{|RNN0012:SimpleRnn(8, Activation = Activation.Softmax)|}]
        public partial class Forecaster;
        """);

    [Fact]
    public Task RNN0012_softmax_as_an_lstm_or_gru_activation() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [{|RNN0012:Lstm(8, Activation = Activation.Softmax, ReturnSequences = true)|}]
        [{|RNN0012:Gru(4, RecurrentActivation = Activation.Softmax)|}]
        public partial class Forecaster;
        """);

    [Fact]
    public Task Lstm_and_gru_take_every_other_activation() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8, Activation = Activation.Relu, RecurrentActivation = Activation.HardSigmoidKeras2, ReturnSequences = true)]
        [Gru(4, Activation = Activation.Linear, RecurrentActivation = Activation.HardSigmoid)]
        [Dense(2, Activation = Activation.HardSigmoid)]
        public partial class {|RNN0100:Forecaster|};
        """);

    [Fact]
    public Task RNN0013_layers_split_across_parts() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        public partial class {|RNN0013:Forecaster|};

        [Lstm(8)]
        public partial class Forecaster;
        """);

    [Fact]
    public Task RNN0014_member_collision() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8)]
        public partial class {|#0:Forecaster|}
        {
            public void Predict(float[] data) { }
        }
        """,
        AnalyzerTest.Diagnostic("RNN0014").WithMessage("'Forecaster' declares 'Predict', which RnnCompiler generates; rename your member."));

    [Theory]
    [InlineData("_gradients")] // the training gradients
    [InlineData("_lstmGates")] // a layer's buffer
    [InlineData("CommitTrainingState")] // a private training method
    public Task RNN0014_member_named_like_a_generated_buffer_or_method(string member) => AnalyzerTest.VerifyAsync(
        $$"""
        [RnnModel(SequenceLength = 10)]
        [Train(Loss = Loss.MeanSquaredError, Stateful = true)]
        [Input(3)]
        [Lstm(8)]
        public partial class {|#0:Forecaster|}
        {
            private int {{member}};
        }
        """,
        AnalyzerTest.Diagnostic("RNN0014").WithMessage($"'Forecaster' declares '{member}', which RnnCompiler generates; rename your member."));

    [Fact]
    public Task RNN0014_class_named_like_a_generated_member() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8)]
        public partial class {|RNN0014:Summary|};
        """);

    [Fact]
    public Task RNN0015_only_an_input_layer() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [{|RNN0015:Input(3)|}]
        public partial class Forecaster;
        """);

    [Fact]
    public Task RNN0016_recurrent_buffer_too_large() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 1_000_000)]
        [Input(3)]
        [{|RNN0016:Lstm(4096)|}]
        public partial class Forecaster;
        """);

    [Fact]
    public Task RNN0016_too_many_parameters_on_layer_and_class() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 1)]
        [Input(1_000_000)]
        [{|#0:Dense(65_536)|}]
        public partial class {|#1:Forecaster|};
        """,
        AnalyzerTest.Diagnostic("RNN0016", 0),
        AnalyzerTest.Diagnostic("RNN0016", 1));

    [Fact]
    public Task RNN0017_unknown_enum_value() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8)]
        [{|RNN0017:Dense(1, Activation = (Activation)7)|}]
        public partial class Forecaster;
        """);

    [Fact]
    public Task RNN0017_unnamed_recurrent_activation() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [{|RNN0017:Lstm(8, RecurrentActivation = (Activation)42)|}]
        public partial class Forecaster;
        """);

    [Fact]
    public Task RNN0018_sparse_crossentropy_on_a_linear_output() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [{|#0:Train(Loss = Loss.SparseCategoricalCrossentropy)|}]
        [Input(3)]
        [Lstm(8)]
        [Dense(4)]
        public partial class Classifier;
        """,
        AnalyzerTest.Diagnostic("RNN0018").WithMessage("SparseCategoricalCrossentropy needs a probability per class: end the model with [Dense(classes, Activation = Activation.Softmax)], or with a Linear Dense layer and FromLogits = true."));

    [Fact]
    public Task RNN0018_binary_crossentropy_on_a_softmax_output() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [{|RNN0018:Train(Loss = Loss.BinaryCrossentropy)|}]
        [Input(3)]
        [Gru(8)]
        [Dense(2, Activation = Activation.Softmax)]
        public partial class Detector;
        """);

    [Fact]
    public Task RNN0018_sparse_crossentropy_on_one_unit() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [{|RNN0018:Train(Loss = Loss.SparseCategoricalCrossentropy)|}]
        [Input(3)]
        [Gru(8)]
        [Dense(1, Activation = Activation.Softmax)]
        public partial class Detector;
        """);

    [Fact]
    public Task RNN0019_learning_rate_and_batch_size_out_of_range() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [{|RNN0019:{|RNN0019:Train(LearningRate = 0, BatchSize = 0)|}|}]
        [Input(3)]
        [Gru(8)]
        [Dense(2, Activation = Activation.Softmax)]
        public partial class Detector;
        """);

    [Fact]
    public Task RNN0020_stateful_with_a_bidirectional_layer() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [{|RNN0020:Train(Stateful = true)|}]
        [Input(1)]
        [Lstm(8, Bidirectional = true)]
        [Dense(3, Activation = Activation.Softmax)]
        public partial class StreamClassifier;
        """);

    [Fact]
    public Task RNN0025_parallelism_out_of_range() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [{|RNN0025:Train(Parallelism = 65)|}]
        [Input(1)]
        [Lstm(8)]
        [Dense(3, Activation = Activation.Softmax)]
        public partial class TooMany;

        [RnnModel(SequenceLength = 10)]
        [{|RNN0025:Train(Parallelism = -1)|}]
        [Input(1)]
        [Lstm(8)]
        [Dense(3, Activation = Activation.Softmax)]
        public partial class Negative;
        """);

    [Fact]
    public Task RNN0025_parallelism_over_the_batch_size() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [{|#0:Train(BatchSize = 4, Parallelism = 8)|}]
        [Input(1)]
        [Lstm(8)]
        [Dense(3, Activation = Activation.Softmax)]
        public partial class StreamClassifier;
        """,
        AnalyzerTest.Diagnostic("RNN0025").WithMessage("Parallelism is 8 but BatchSize is 4, so a share of the batch would never get a sequence; set Parallelism to at most 4, or raise BatchSize."));

    [Fact]
    public Task RNN0025_predict_parallelism_needs_a_batch_to_split_and_no_training() => AnalyzerTest.VerifyAsync(
        """
        [{|#0:RnnModel(SequenceLength = 10, Parallelism = 2)|}]
        [Input(1)]
        [Lstm(8)]
        [Dense(3, Activation = Activation.Softmax)]
        public partial class NoBatch;

        [{|#1:RnnModel(SequenceLength = 10, BatchSize = 3, Parallelism = 4)|}]
        [Input(1)]
        [Lstm(8)]
        [Dense(3, Activation = Activation.Softmax)]
        public partial class SmallBatch;

        [{|#2:RnnModel(SequenceLength = 10, Parallelism = 2)|}]
        [Train(BatchSize = 8)]
        [Input(1)]
        [Lstm(8)]
        [Dense(3, Activation = Activation.Softmax)]
        public partial class Trains;

        [{|#3:RnnModel(SequenceLength = 10, BatchSize = 128, Parallelism = 65)|}]
        [Input(1)]
        [Lstm(8)]
        [Dense(3, Activation = Activation.Softmax)]
        public partial class TooMany;
        """,
        AnalyzerTest.Diagnostic("RNN0025", 0).WithMessage("Parallelism is 2 but 'NoBatch' has no batch to split: batched Predict runs sequence by sequence without BatchSize. Add BatchSize (at least 2, for example BatchSize = 64) to [RnnModel], or remove Parallelism."),
        AnalyzerTest.Diagnostic("RNN0025", 1).WithMessage("Parallelism is 4 but BatchSize is 3, so a share of the batch would never get a sequence; set Parallelism to at most 3, or raise BatchSize."),
        AnalyzerTest.Diagnostic("RNN0025", 2).WithMessage("'Trains' trains, and its batched Predict runs on the threads its training runs on; remove Parallelism = 2 from [RnnModel] and set [Train(Parallelism = 2)] instead."),
        AnalyzerTest.Diagnostic("RNN0025", 3).WithMessage("Parallelism is 65; it must be from 1 to 64 threads (0, the default, means 1), for example [RnnModel(SequenceLength = 32, BatchSize = 64, Parallelism = 2)]."));

    [Fact]
    public Task RNN0014_a_member_named_like_the_workspace_collides_only_with_parallelism() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Train(BatchSize = 4, Parallelism = 2)]
        [Input(1)]
        [Lstm(8)]
        [Dense(3, Activation = Activation.Softmax)]
        public partial class {|RNN0014:Parallel|}
        {
            private sealed class Workspace { }
        }
        """);

    [Fact]
    public Task RNN0028_Normalization_after_a_recurrent_layer() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8, ReturnSequences = true)]
        [{|#0:Normalization|}]
        [Dense(1)]
        public partial class Forecaster;
        """,
        AnalyzerTest.Diagnostic("RNN0028").WithMessage("[Normalization] normalizes the model's input features, so it must come directly after [Input(features)]; move it there, for example [Input(3)] [Normalization] [Lstm(32)]."));

    [Fact]
    public Task RNN0028_Normalization_in_a_token_model() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Embedding(100, 8)]
        [{|#0:Normalization|}]
        [Lstm(8)]
        public partial class Tagger;
        """,
        AnalyzerTest.Diagnostic("RNN0028").WithMessage("[Normalization] normalizes float features, and 'Tagger' reads token ids through [Embedding]; remove [Normalization], or start the model with [Input(features)]."));

    [Fact]
    public Task RNN0030_Masking_after_a_recurrent_layer() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8, ReturnSequences = true)]
        [{|#0:Masking(-1)|}]
        [Dense(1)]
        public partial class Forecaster;
        """,
        AnalyzerTest.Diagnostic("RNN0030").WithMessage("[Masking] comes directly after [Input(features)], once: it masks the model's float steps. A model of token ids masks with [Embedding(vocabulary, dimensions, MaskZero = true)]."));

    [Fact]
    public Task RNN0030_Masking_in_a_token_model() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Embedding(100, 8)]
        [{|#0:Masking|}]
        [Lstm(8)]
        public partial class Tagger;
        """,
        AnalyzerTest.Diagnostic("RNN0030").WithMessage("[Masking] comes directly after [Input(features)], once: it masks the model's float steps. A model of token ids masks with [Embedding(vocabulary, dimensions, MaskZero = true)]."));

    [Fact]
    public Task RNN0030_Masking_with_NaN() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [{|#0:Masking(double.NaN)|}]
        [Lstm(8)]
        public partial class Forecaster;
        """,
        AnalyzerTest.Diagnostic("RNN0030").WithMessage("[Masking]: the mask value is NaN; it must be a finite number that marks padded steps, as 0 (the default) or -1."));

    [Fact]
    public Task RNN0031_MaskZero_with_stateful_training() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [{|#0:Train(Loss = Loss.SparseCategoricalCrossentropy, Stateful = true)|}]
        [Embedding(100, 8, MaskZero = true)]
        [Lstm(8, ReturnSequences = true)]
        [Dense(100, Activation = Activation.Softmax)]
        public partial class CharModel;
        """,
        AnalyzerTest.Diagnostic("RNN0031").WithMessage("Stateful training carries each batch row's state after its last step into the next batch, and RnnCompiler does not carry it past masked steps; remove Stateful = true, or the mask (MaskZero, [Masking])."));

    [Fact]
    public Task RNN0032_Dropout_rate_of_1() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [{|#0:Dropout(1)|}]
        [Lstm(8)]
        public partial class Forecaster;
        """,
        AnalyzerTest.Diagnostic("RNN0032").WithMessage("[Dropout]: the rate is 1; it is the fraction of values dropped while training, from 0 up to (not including) 1, for example [Dropout(0.2)]."));

    [Fact]
    public Task RNN0032_recurrent_Dropout_out_of_range() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [{|#0:Lstm(8, Dropout = -0.1)|}]
        public partial class Forecaster;
        """,
        AnalyzerTest.Diagnostic("RNN0032").WithMessage("[Lstm]: Dropout is -0.1; it is the fraction of input features dropped while training, from 0 up to (not including) 1, for example Dropout = 0.2."));

    [Fact]
    public Task RNN0032_RecurrentDropout_of_1() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [{|#0:Gru(8, RecurrentDropout = 1)|}]
        public partial class Forecaster;
        """,
        AnalyzerTest.Diagnostic("RNN0032").WithMessage("[Gru]: RecurrentDropout is 1; it is the fraction of the state dropped while training, from 0 up to (not including) 1, for example RecurrentDropout = 0.2."));

    [Fact]
    public Task RNN0032_Dropout_last() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8)]
        [{|#0:Dropout(0.5)|}]
        public partial class Forecaster;
        """,
        AnalyzerTest.Diagnostic("RNN0032").WithMessage("[Dropout] cannot be the last layer: it would drop the model's outputs while training; put it before a Dense or recurrent layer."));

    [Fact]
    public Task RNN0033_dropout_in_a_bfloat16_model() => AnalyzerTest.VerifyAsync(
        """
        [{|#0:RnnModel(SequenceLength = 10, WeightPrecision = WeightPrecision.BFloat16)|}]
        [Input(3)]
        [Lstm(8, Dropout = 0.2)]
        [Dense(1)]
        public partial class EdgeForecaster;
        """,
        AnalyzerTest.Diagnostic("RNN0033").WithMessage("'EdgeForecaster' has bfloat16 weights, so it only infers, and dropout only acts while training: it would do nothing. Remove the dropout ([Dropout], Dropout = …) from this inference class, and keep it on the float class that trains."));

    [Fact]
    public Task RNN0034_a_batch_size_out_of_range() => AnalyzerTest.VerifyAsync(
        """
        [{|#0:RnnModel(SequenceLength = 10, BatchSize = -2)|}]
        [Input(3)]
        [Lstm(8)]
        [Dense(1)]
        public partial class Scorer;
        """,
        AnalyzerTest.Diagnostic("RNN0034").WithMessage("BatchSize is -2; set it to the most sequences one batched Predict runs at once, from 1 to 65,536, for example [RnnModel(SequenceLength = 32, BatchSize = 64)], or leave it out to predict sequence by sequence."));

    [Fact]
    public Task RNN0034_a_batch_size_unlike_the_training_batch() => AnalyzerTest.VerifyAsync(
        """
        [{|#0:RnnModel(SequenceLength = 10, BatchSize = 64)|}]
        [Train(Loss = Loss.MeanSquaredError, BatchSize = 32)]
        [Input(3)]
        [Lstm(8)]
        [Dense(1)]
        public partial class Forecaster;
        """,
        AnalyzerTest.Diagnostic("RNN0034").WithMessage("'Forecaster' trains in batches of 32 ([Train(BatchSize = 32)]) and its buffers hold that many sequences, so batched Predict runs that many at once; remove BatchSize = 64 from [RnnModel], or set the batch on [Train]."));

    [Fact]
    public Task RNN0034_a_batch_on_a_bfloat16_model() => AnalyzerTest.VerifyAsync(
        """
        [{|#0:RnnModel(SequenceLength = 10, BatchSize = 8, WeightPrecision = WeightPrecision.BFloat16)|}]
        [Input(3)]
        [Lstm(8)]
        [Dense(1)]
        public partial class EdgeForecaster;
        """,
        AnalyzerTest.Diagnostic("RNN0034").WithMessage("'EdgeForecaster' reads bfloat16 weights, which Predict runs one sequence at a time; remove BatchSize = 8, or declare a float model (without WeightPrecision) to predict batches in lock step."));

    [Fact]
    public Task RNN0035_streams_out_of_range() => AnalyzerTest.VerifyAsync(
        """
        [{|#0:RnnModel(SequenceLength = 10, Streams = 70000)|}]
        [Input(3)]
        [Lstm(8)]
        [Dense(1)]
        public partial class SensorWatch;
        """,
        AnalyzerTest.Diagnostic("RNN0035").WithMessage("Streams is 70000; set it to the number of independent streams StepStreams steps together, from 2 to 65,536, for example [RnnModel(SequenceLength = 32, Streams = 64)], or leave it out for one stream."));

    [Fact]
    public Task RNN0035_streams_on_a_bidirectional_model() => AnalyzerTest.VerifyAsync(
        """
        [{|#0:RnnModel(SequenceLength = 10, Streams = 8)|}]
        [Input(3)]
        [Lstm(8, Bidirectional = true)]
        [Dense(1)]
        public partial class SensorWatch;
        """,
        AnalyzerTest.Diagnostic("RNN0035").WithMessage("'SensorWatch' has a bidirectional layer, which needs the whole sequence, so it cannot step streams; remove Streams = 8, or make the layers one-directional."));

    [Fact]
    public Task RNN0035_streams_on_a_masking_model() => AnalyzerTest.VerifyAsync(
        """
        [{|#0:RnnModel(SequenceLength = 10, Streams = 8)|}]
        [Embedding(20, 4, MaskZero = true)]
        [Lstm(8)]
        [Dense(1)]
        public partial class SensorWatch;
        """,
        AnalyzerTest.Diagnostic("RNN0035").WithMessage("'SensorWatch' masks steps, which each stream would keep or skip on its own; remove Streams = 8, or the masking (MaskZero, [Masking]), to step streams together."));

    [Fact]
    public Task RNN0035_streams_on_a_bfloat16_model() => AnalyzerTest.VerifyAsync(
        """
        [{|#0:RnnModel(SequenceLength = 10, Streams = 8, WeightPrecision = WeightPrecision.BFloat16)|}]
        [Input(3)]
        [Lstm(8)]
        [Dense(1)]
        public partial class SensorWatch;
        """,
        AnalyzerTest.Diagnostic("RNN0035").WithMessage("'SensorWatch' reads bfloat16 weights, which Step reads one stream at a time; remove Streams = 8, or declare a float model (without WeightPrecision) to step streams together."));

    [Fact]
    public Task RNN0035_streams_on_a_repeating_model() => AnalyzerTest.VerifyAsync(
        """
        [{|#0:RnnModel(SequenceLength = 10, Streams = 8)|}]
        [Input(3)]
        [Lstm(8)]
        [RepeatVector(4)]
        [Lstm(8, ReturnSequences = true)]
        [Dense(1)]
        public partial class Decoder;
        """,
        AnalyzerTest.Diagnostic("RNN0035").WithMessage("'Decoder' repeats a vector over 4 steps after its whole input ([RepeatVector]), so it has no output per input step to stream; remove Streams = 8."));

    [Fact]
    public Task RNN0036_RepeatVector_after_a_sequence() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8, ReturnSequences = true)]
        [{|#0:RepeatVector(4)|}]
        [Lstm(8, ReturnSequences = true)]
        [Dense(1)]
        public partial class Decoder;
        """,
        AnalyzerTest.Diagnostic("RNN0036").WithMessage("[RepeatVector] repeats one vector per sequence, and the layer before it returns a sequence; end the encoder with a recurrent layer that returns its last output (leave out ReturnSequences = true)."));

    [Fact]
    public Task RNN0036_RepeatVector_of_0_steps() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8)]
        [{|#0:RepeatVector(0)|}]
        [Lstm(8, ReturnSequences = true)]
        public partial class Decoder;
        """,
        AnalyzerTest.Diagnostic("RNN0036").WithMessage("[RepeatVector]: the steps are 0; set how many steps the layers after it run over, from 1 to 1,048,576, for example [RepeatVector(4)] for a decoder that writes 4 steps."));

    [Fact]
    public Task RNN0036_RepeatVector_twice() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8)]
        [RepeatVector(4)]
        [Lstm(8)]
        [{|#0:RepeatVector(2)|}]
        [Lstm(8, ReturnSequences = true)]
        public partial class Decoder;
        """,
        AnalyzerTest.Diagnostic("RNN0036").WithMessage("[RepeatVector]: the model already repeats a vector over 4 steps; a model has one [RepeatVector], between its encoder and its decoder."));

    [Fact]
    public Task RNN0036_RepeatVector_last() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8)]
        [{|#0:RepeatVector(4)|}]
        public partial class Decoder;
        """,
        AnalyzerTest.Diagnostic("RNN0036").WithMessage("[RepeatVector] cannot be the last layer: it only copies its input; put the decoder after it, for example [Lstm(128, ReturnSequences = true)] [Dense(vocabulary, Activation = Activation.Softmax)]."));

    [Fact]
    public Task RNN0036_RepeatVector_with_stateful_training() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Train(Loss = Loss.MeanSquaredError, Stateful = true)]
        [Input(3)]
        [Lstm(8)]
        [{|#0:RepeatVector(4)|}]
        [Lstm(8, ReturnSequences = true)]
        [Dense(1)]
        public partial class Decoder;
        """,
        AnalyzerTest.Diagnostic("RNN0036").WithMessage("[RepeatVector]: stateful training carries each row's state from one batch to the next, and the layers after a [RepeatVector] start every sequence from its vector; remove Stateful = true from [Train]."));

    [Fact]
    public Task RNN0037_Decoder_after_a_sequence() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Embedding(20, 4)]
        [Lstm(8, ReturnSequences = true)]
        [{|#0:Decoder(12, 4, MaxLength = 5)|}]
        [Lstm(8, ReturnSequences = true)]
        [Dense(12, Activation = Activation.Softmax)]
        public partial class Translator;
        """,
        AnalyzerTest.Diagnostic("RNN0037").WithMessage("[Decoder] starts from the encoder's final state, so the layer before it is the encoder's last recurrent layer, returning its last output (without ReturnSequences = true, unless an [Attention] reads its outputs; a bidirectional one joins its directions' states with MergeMode.Concat), for example [Lstm(128)] [Decoder(…)], or a [Dense] whose output is the decoder's initial state."));

    [Fact]
    public Task RNN0038_Attention_over_an_encoder_without_its_sequence() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Embedding(20, 4)]
        [Lstm(8)]
        [Decoder(12, 4, MaxLength = 5)]
        [Lstm(8, ReturnSequences = true)]
        [{|#0:Attention|}]
        [Dense(12, Activation = Activation.Softmax)]
        public partial class Translator;
        """,
        AnalyzerTest.Diagnostic("RNN0038").WithMessage("[Attention] attends to the encoder's output at every source step, and the encoder's last recurrent layer returns only its last output; give it ReturnSequences = true (it still hands its final state to the decoder): [Lstm(8, ReturnSequences = true)] [Decoder(…)]."));

    [Fact]
    public Task RNN0038_Attention_without_a_decoder() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Embedding(20, 4)]
        [Lstm(8, ReturnSequences = true)]
        [{|#0:Attention(AttentionScore.Dot)|}]
        [Dense(12, Activation = Activation.Softmax)]
        public partial class Tagger;
        """,
        AnalyzerTest.Diagnostic("RNN0038").WithMessage("[Attention] attends from each decoder step, so it comes directly after a recurrent layer of a [Decoder]'s stack that returns sequences, for example [Decoder(…)] [Lstm(128, ReturnSequences = true)] [Attention] [Dense(vocabulary, Activation = Activation.Softmax)]."));

    [Fact]
    public Task RNN0038_Dot_attention_over_widths_that_differ() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Embedding(20, 4)]
        [Lstm(8, ReturnSequences = true)]
        [Decoder(12, 4, MaxLength = 5)]
        [Lstm(8, ReturnSequences = true)]
        [Lstm(6, ReturnSequences = true)]
        [{|#0:Attention(AttentionScore.Dot)|}]
        [Dense(12, Activation = Activation.Softmax)]
        public partial class Translator;
        """,
        AnalyzerTest.Diagnostic("RNN0038").WithMessage("[Attention]: Dot attention compares each decoder output (6 values) with an encoder output of the same width, and the encoder's has 8; make them equal, or use AttentionScore.General, whose learned matrix maps one to the other."));

    [Fact]
    public Task RNN0038_Attention_with_a_score_it_does_not_take() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Embedding(20, 4)]
        [Lstm(8, ReturnSequences = true)]
        [Decoder(12, 4, MaxLength = 5)]
        [Lstm(8, ReturnSequences = true)]
        [{|#0:Attention(AttentionScore.Concat)|}]
        [Dense(12, Activation = Activation.Softmax)]
        public partial class Translator;
        """,
        AnalyzerTest.Diagnostic("RNN0038").WithMessage("[Attention]: the score is 2; use AttentionScore.Dot (Luong), AttentionScore.General (Luong, with a learned matrix) or AttentionScore.Additive (Bahdanau)."));

    [Fact]
    public Task RNN0038_Attention_last() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Embedding(20, 4)]
        [Lstm(8, ReturnSequences = true)]
        [Decoder(12, 4, MaxLength = 5)]
        [Lstm(8, ReturnSequences = true)]
        [{|#0:Attention|}]
        public partial class Translator;
        """,
        AnalyzerTest.Diagnostic("RNN0038").WithMessage("[Attention] cannot be the last layer: its output is each decoder step's output joined to its context; put the output layer after it, for example [Dense(vocabulary, Activation = Activation.Softmax)]."));

    [Fact]
    public Task RNN0037_Decoder_after_a_dense_of_a_masked_input() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(4)]
        [Masking]
        [Dense(8)]
        [{|#0:Decoder(12, 4, MaxLength = 5)|}]
        [Lstm(8, ReturnSequences = true)]
        [Dense(12, Activation = Activation.Softmax)]
        public partial class Captioner;
        """,
        AnalyzerTest.Diagnostic("RNN0037").WithMessage("[Decoder] starts from the [Dense] before it, at the input's last step; a masking model's last step may be padding, so start it from a recurrent encoder, or remove the mask."));

    [Fact]
    public Task RNN0037_Decoder_layer_unlike_the_encoder() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Embedding(20, 4)]
        [Lstm(8)]
        [Decoder(12, 4, MaxLength = 5)]
        [{|#0:Gru(16, ReturnSequences = true)|}]
        [Dense(12, Activation = Activation.Softmax)]
        public partial class Translator;
        """,
        AnalyzerTest.Diagnostic("RNN0037").WithMessage("[Gru] starts the decoder from the encoder's final state, so it is one-directional and of the encoder's kind and units (twice a bidirectional encoder's, whose directions' states are joined): [Lstm(8, ReturnSequences = true)]."));

    [Fact]
    public Task RNN0037_Decoder_without_MaxLength() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Embedding(20, 4)]
        [Lstm(8)]
        [{|#0:Decoder(12, 4)|}]
        [Lstm(8, ReturnSequences = true)]
        [Dense(12, Activation = Activation.Softmax)]
        public partial class Translator;
        """,
        AnalyzerTest.Diagnostic("RNN0037").WithMessage("[Decoder]: MaxLength is 0; set the most tokens the decoder writes, its end token included, from 1 to 1,048,576, for example [Decoder(13, 16, MaxLength = 11)]."));

    [Fact]
    public Task RNN0037_Decoder_tokens_out_of_range() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Embedding(20, 4)]
        [Lstm(8)]
        [{|#0:Decoder(12, 4, MaxLength = 5, StartToken = 12)|}]
        [Lstm(8, ReturnSequences = true)]
        [Dense(12, Activation = Activation.Softmax)]
        public partial class Translator;
        """,
        AnalyzerTest.Diagnostic("RNN0037").WithMessage("[Decoder]: StartToken is 12 and EndToken 2; they are two different tokens of the target vocabulary, from 0 to 11."));

    [Fact]
    public Task RNN0037_Decoder_vocabulary_unlike_the_output() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Embedding(20, 4)]
        [Lstm(8)]
        [Decoder(12, 4, MaxLength = 5)]
        [Lstm(8, ReturnSequences = true)]
        [{|#0:Dense(10, Activation = Activation.Softmax)|}]
        public partial class Translator;
        """,
        AnalyzerTest.Diagnostic("RNN0037").WithMessage("'Translator' decodes tokens of a vocabulary of 12, which its last layer picks from at every step: end it with [Dense(12, Activation = Activation.Softmax)] after a decoder layer that returns sequences."));

    [Fact]
    public Task RNN0037_Decoder_without_a_recurrent_layer() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Embedding(20, 4)]
        [Lstm(8)]
        [Decoder(12, 4, MaxLength = 5)]
        [{|#0:Dense(12, Activation = Activation.Softmax)|}]
        public partial class Translator;
        """,
        AnalyzerTest.Diagnostic("RNN0037").WithMessage("[Decoder] starts a decoder, which needs a recurrent layer after it to start from the encoder's state, for example [Lstm(8, ReturnSequences = true)] [Dense(12, Activation = Activation.Softmax)]."));

    [Fact]
    public Task RNN0037_Decoder_trained_on_another_loss() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Train(Loss = Loss.CategoricalCrossentropy)]
        [Embedding(20, 4)]
        [Lstm(8)]
        [{|#0:Decoder(12, 4, MaxLength = 5)|}]
        [Lstm(8, ReturnSequences = true)]
        [Dense(12, Activation = Activation.Softmax)]
        public partial class Translator;
        """,
        AnalyzerTest.Diagnostic("RNN0037").WithMessage("[Decoder]: training reads the target tokens, which the decoder is also fed; train with Loss = Loss.SparseCategoricalCrossentropy."));

    [Fact]
    public Task RNN0026_bfloat16_weights_on_a_double_model() => AnalyzerTest.VerifyAsync(
        """
        [{|#0:RnnModel(SequenceLength = 10, Precision = Precision.Double, WeightPrecision = WeightPrecision.BFloat16)|}]
        [Input(3)]
        [Lstm(8)]
        [Dense(1)]
        public partial class Forecaster;
        """,
        AnalyzerTest.Diagnostic("RNN0026").WithMessage("WeightPrecision.BFloat16 stores float weights at half the bytes; 'Forecaster' computes in double. Remove Precision = Precision.Double, or WeightPrecision = WeightPrecision.BFloat16."));

    [Fact]
    public Task RNN0026_bfloat16_weights_on_a_trained_model() => AnalyzerTest.VerifyAsync(
        """
        [{|RNN0026:RnnModel(SequenceLength = 10, WeightPrecision = WeightPrecision.BFloat16)|}]
        [Train(Loss = Loss.MeanSquaredError)]
        [Input(3)]
        [Gru(8)]
        [Dense(1)]
        public partial class Forecaster;
        """);

    [Fact]
    public Task RNN0026_int8_weights_on_a_double_model() => AnalyzerTest.VerifyAsync(
        """
        [{|#0:RnnModel(SequenceLength = 10, Precision = Precision.Double, WeightPrecision = WeightPrecision.Int8)|}]
        [Input(3)]
        [Lstm(8)]
        [Dense(1)]
        public partial class Forecaster;
        """,
        AnalyzerTest.Diagnostic("RNN0026").WithMessage("WeightPrecision.Int8 stores float weights in a quarter of the bytes; 'Forecaster' computes in double. Remove Precision = Precision.Double, or WeightPrecision = WeightPrecision.Int8."));

    [Fact]
    public Task RNN0026_int8_weights_on_a_trained_model() => AnalyzerTest.VerifyAsync(
        """
        [{|#0:RnnModel(SequenceLength = 10, WeightPrecision = WeightPrecision.Int8)|}]
        [Train(Loss = Loss.MeanSquaredError)]
        [Input(3)]
        [Gru(8)]
        [Dense(1)]
        public partial class Forecaster;
        """,
        AnalyzerTest.Diagnostic("RNN0026").WithMessage("WeightPrecision.Int8 is for inference, and 'Forecaster' has [Train]. Train a float model, save its weights, and load them into a second class declared with WeightPrecision = WeightPrecision.Int8 and without [Train]."));

    [Fact]
    public Task RNN0035_streams_on_an_int8_model() => AnalyzerTest.VerifyAsync(
        """
        [{|RNN0035:RnnModel(SequenceLength = 10, Streams = 8, WeightPrecision = WeightPrecision.Int8)|}]
        [Input(3)]
        [Lstm(8)]
        [Dense(1)]
        public partial class Forecaster;
        """);

    [Fact]
    public Task RNN0034_batch_size_on_an_int8_model() => AnalyzerTest.VerifyAsync(
        """
        [{|RNN0034:RnnModel(SequenceLength = 10, BatchSize = 8, WeightPrecision = WeightPrecision.Int8)|}]
        [Input(3)]
        [Lstm(8)]
        [Dense(1)]
        public partial class Forecaster;
        """);

    [Fact]
    public Task RNN0017_unknown_weight_precision() => AnalyzerTest.VerifyAsync(
        """
        [{|RNN0017:RnnModel(SequenceLength = 10, WeightPrecision = (WeightPrecision)3)|}]
        [Input(3)]
        [Lstm(8)]
        public partial class Forecaster;
        """);
}
