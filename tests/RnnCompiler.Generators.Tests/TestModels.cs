using System.Collections.Generic;
using Xunit;

namespace RnnCompiler.Generators.Tests;

/// <summary>
/// The models every generator test layer runs: one per layer kind and per declaration shape. The snapshot tests have
/// one test per model (the method name names the snapshot); the compile-clean tests run <see cref="All"/>.
/// Add a model here and to <see cref="All"/>, then a snapshot test.
/// </summary>
internal static class TestModels
{
    /// <summary>The seed model of the README: token ids → embedding → LSTM → softmax classifier.</summary>
    public const string Sentiment = """
        using RnnCompiler;
        namespace Demo;
        [RnnModel(SequenceLength = 80)]
        [Embedding(1000, 64)]
        [Lstm(128)]
        [Dense(10, Activation = Activation.Softmax)]
        public partial class Sentiment;
        """;

    /// <summary>The seed model with training: fused softmax cross-entropy, Adam, per-tensor clipping.</summary>
    /// <summary>Keras's mask_zero: token 0 is padding, a bidirectional GRU returns sequences into a stacked LSTM.</summary>
    public const string MaskedSentiment = """
        using RnnCompiler;
        namespace Demo;
        [RnnModel(SequenceLength = 40)]
        [Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 16)]
        [Embedding(500, 16, MaskZero = true)]
        [Gru(16, ReturnSequences = true, Bidirectional = true)]
        [Lstm(32)]
        [Dense(2, Activation = Activation.Softmax)]
        public partial class MaskedSentiment;
        """;

    /// <summary>Keras's Masking on float steps, a many-to-many regression that streams.</summary>
    public const string MaskedForecaster = """
        using RnnCompiler;
        namespace Demo;
        [RnnModel(SequenceLength = 24)]
        [Train(Loss = Loss.MeanSquaredError, BatchSize = 8)]
        [Input(3)]
        [Masking(-1)]
        [Lstm(16, ReturnSequences = true)]
        [Dense(1)]
        public partial class MaskedForecaster;
        """;

    public const string TrainedSentiment = """
        using RnnCompiler;
        namespace Demo;
        [RnnModel(SequenceLength = 80)]
        [Train(Loss = Loss.SparseCategoricalCrossentropy, Optimizer = Optimizer.Adam, LearningRate = 1e-3, BatchSize = 32, ClipNorm = 1)]
        [Embedding(1000, 64)]
        [Lstm(128)]
        [Dense(10, Activation = Activation.Softmax)]
        public partial class TrainedSentiment;
        """;

    /// <summary>Double precision, stateful truncated BPTT, a per-step regression through a bidirectional-free stack.</summary>
    public const string StatefulDoubleTrainer = """
        using RnnCompiler;
        namespace Demo;
        [RnnModel(SequenceLength = 20, Precision = Precision.Double)]
        [Train(Loss = Loss.MeanSquaredError, Optimizer = Optimizer.Sgd, LearningRate = 0.01, Momentum = 0.9, BatchSize = 4, Stateful = true, GlobalClipNorm = 5)]
        [Input(2)]
        [Gru(5, ReturnSequences = true, ResetAfter = false)]
        [SimpleRnn(3, ReturnSequences = true)]
        [Dense(1)]
        public partial class StatefulDoubleTrainer;
        """;

    /// <summary>
    /// Training on two threads (Parallelism = 2): a stateful token model with a per-step Dense before a GRU, so the
    /// workspace holds every kind of per-sequence buffer, the streaming step and the carried state.
    /// </summary>
    public const string ParallelTrainer = """
        using RnnCompiler;
        namespace Demo;
        [RnnModel(SequenceLength = 16)]
        [Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 8, Stateful = true, Parallelism = 2)]
        [Embedding(50, 8)]
        [Dense(6, Activation = Activation.Tanh)]
        [Gru(12)]
        [Dense(4, Activation = Activation.Softmax)]
        public partial class ParallelTrainer;
        """;

    /// <summary>A SimpleRNN with a non-default activation, many-to-one.</summary>
    public const string SimpleRnn = """
        using RnnCompiler;
        namespace Demo;
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [SimpleRnn(5, Activation = Activation.Relu)]
        [Dense(1)]
        public partial class SimpleRnnModel;
        """;

    /// <summary>A GRU with the reset gate before the recurrent product, returning sequences (many-to-many).</summary>
    public const string GruResetBefore = """
        using RnnCompiler;
        namespace Demo;
        [RnnModel(SequenceLength = 12)]
        [Input(4)]
        [Gru(13, ResetAfter = false, ReturnSequences = true)]
        [Dense(2)]
        public partial class GruTagger;
        """;

    /// <summary>A bidirectional LSTM summing its directions, stacked under a second LSTM.</summary>
    public const string BidirectionalStackedLstm = """
        using RnnCompiler;
        namespace Demo;
        [RnnModel(SequenceLength = 16)]
        [Input(2)]
        [Lstm(3, Bidirectional = true, ReturnSequences = true, MergeMode = MergeMode.Sum)]
        [Lstm(4)]
        [Dense(1, Activation = Activation.Sigmoid)]
        public partial class StackedLstm;
        """;

    /// <summary>A Dense layer applied at every step before a recurrent layer (Keras TimeDistributed).</summary>
    public const string DenseBeforeGru = """
        using RnnCompiler;
        namespace Demo;
        [RnnModel(SequenceLength = 8)]
        [Input(6)]
        [Dense(8, Activation = Activation.Tanh)]
        [Gru(5)]
        public partial class ProjectedGru;
        """;

    /// <summary>A model nested in a partial class: the generated file must reopen the containing type.</summary>
    public const string Nested = """
        using RnnCompiler;
        namespace Demo.Nesting;
        public partial class Outer
        {
            [RnnModel(SequenceLength = 5)]
            [Input(3)]
            [Lstm(4)]
            [Dense(2)]
            public partial class Inner;
        }
        """;

    /// <summary>A model in the global namespace: no namespace declaration may be emitted.</summary>
    public const string GlobalNamespace = """
        using RnnCompiler;
        [RnnModel(SequenceLength = 6)]
        [Input(2)]
        [SimpleRnn(3)]
        [Dense(1)]
        public partial class GlobalModel;
        """;

    /// <summary>A streaming inference model with bfloat16 weights: the kernels are read from a ushort copy.</summary>
    public const string BFloat16Streaming = """
        using RnnCompiler;
        namespace Demo;
        [RnnModel(SequenceLength = 32, WeightPrecision = WeightPrecision.BFloat16)]
        [Input(64)]
        [Lstm(128)]
        [Dense(10)]
        public partial class Bf16Forecaster;
        """;

    /// <summary>Int8 weights, with a GRU whose reset gate comes before (its recurrent kernel held as two matrices).</summary>
    public const string Int8Tagger = """
        using RnnCompiler;
        namespace Demo;
        [RnnModel(SequenceLength = 16, WeightPrecision = WeightPrecision.Int8)]
        [Input(12)]
        [Gru(32, ResetAfter = false, ReturnSequences = true)]
        [Dense(5, Activation = Activation.Softmax)]
        public partial class Int8Tagger;
        """;

    /// <summary>A forecaster of raw values: Keras's Normalization on the input (Adapt, non-trainable statistics), trained.</summary>
    public const string NormalizedForecaster = """
        using RnnCompiler;
        namespace Demo;
        [RnnModel(SequenceLength = 24)]
        [Train(Loss = Loss.MeanSquaredError, Optimizer = Optimizer.Adam, BatchSize = 16)]
        [Input(3)]
        [Normalization]
        [Lstm(32)]
        [Dense(1)]
        public partial class Forecaster;
        """;

    /// <summary>An inference model that predicts 64 sequences at once in lock step (batched Predict), with a stacked LSTM.</summary>
    public const string BatchedScorer = """
        using RnnCompiler;
        namespace Demo;
        [RnnModel(SequenceLength = 32, BatchSize = 64)]
        [Input(16)]
        [Lstm(32, ReturnSequences = true)]
        [Dropout(0.2)]
        [Lstm(32)]
        [Dense(4, Activation = Activation.Softmax)]
        public partial class Scorer;
        """;

    /// <summary>A scorer without [Train] whose batched Predict splits each batch of 64 over two cores (a Workspace per share).</summary>
    public const string ParallelScorer = """
        using RnnCompiler;
        namespace Demo;
        [RnnModel(SequenceLength = 32, BatchSize = 64, Parallelism = 2)]
        [Embedding(500, 16)]
        [Gru(32)]
        [Dense(3, Activation = Activation.Softmax)]
        public partial class ParallelScorer;
        """;

    /// <summary>
    /// Keras's addition_rnn: an encoder LSTM over the question's characters, its last output repeated over the answer's 4
    /// steps, a decoder LSTM and a softmax at every step; trained in batches on two cores.
    /// </summary>
    public const string AdditionSolver = """
        using RnnCompiler;
        namespace Demo;
        [RnnModel(SequenceLength = 7)]
        [Train(Loss = Loss.SparseCategoricalCrossentropy, Optimizer = Optimizer.Adam, BatchSize = 32, Parallelism = 2)]
        [Embedding(12, 12)]
        [Lstm(128)]
        [RepeatVector(4)]
        [Lstm(128, ReturnSequences = true)]
        [Dense(12, Activation = Activation.Softmax)]
        public partial class AdditionSolver;
        """;

    /// <summary>
    /// An encoder-decoder: an LSTM encoder over masked source tokens whose final state starts the decoder LSTM, which reads
    /// the target tokens (teacher forcing) while training and its own greedy picks while predicting.
    /// </summary>
    public const string DateTranslator = """
        using RnnCompiler;
        namespace Demo;
        [RnnModel(SequenceLength = 30)]
        [Train(Loss = Loss.SparseCategoricalCrossentropy, Optimizer = Optimizer.Adam, BatchSize = 32)]
        [Embedding(40, 16, MaskZero = true)]
        [Lstm(64)]
        [Decoder(13, 8, MaxLength = 11, StartToken = 1, EndToken = 2)]
        [Lstm(64, ReturnSequences = true)]
        [Dense(13, Activation = Activation.Softmax)]
        public partial class DateTranslator;
        """;

    /// <summary>The date translator with Luong's general attention over its masked source (the encoder returns its sequence).</summary>
    public const string AttentionTranslator = """
        using RnnCompiler;
        namespace Demo;
        [RnnModel(SequenceLength = 30)]
        [Train(Loss = Loss.SparseCategoricalCrossentropy, Optimizer = Optimizer.Adam, BatchSize = 32)]
        [Embedding(40, 16, MaskZero = true)]
        [Lstm(64, ReturnSequences = true)]
        [Decoder(13, 8, MaxLength = 11, StartToken = 1, EndToken = 2)]
        [Lstm(64, ReturnSequences = true)]
        [Attention(AttentionScore.General)]
        [Dense(13, Activation = Activation.Softmax)]
        public partial class AttentionTranslator;
        """;

    /// <summary>A model that watches 64 sensor streams at once (StepStreams, ResetStream), each with its own LSTM state.</summary>
    public const string SensorStreams = """
        using RnnCompiler;
        namespace Demo;
        [RnnModel(SequenceLength = 50, Streams = 64)]
        [Input(3)]
        [Lstm(32)]
        [Dense(1, Activation = Activation.Sigmoid)]
        public partial class SensorWatch;
        """;

    /// <summary>Every model above by name, in the order written.</summary>
    public static readonly IReadOnlyDictionary<string, string> All = new Dictionary<string, string>
    {
        [nameof(Sentiment)] = Sentiment,
        [nameof(SimpleRnn)] = SimpleRnn,
        [nameof(GruResetBefore)] = GruResetBefore,
        [nameof(BidirectionalStackedLstm)] = BidirectionalStackedLstm,
        [nameof(DenseBeforeGru)] = DenseBeforeGru,
        [nameof(Nested)] = Nested,
        [nameof(GlobalNamespace)] = GlobalNamespace,
        [nameof(TrainedSentiment)] = TrainedSentiment,
        [nameof(StatefulDoubleTrainer)] = StatefulDoubleTrainer,
        [nameof(ParallelTrainer)] = ParallelTrainer,
        [nameof(BFloat16Streaming)] = BFloat16Streaming,
        [nameof(NormalizedForecaster)] = NormalizedForecaster,
        [nameof(BatchedScorer)] = BatchedScorer,
        [nameof(SensorStreams)] = SensorStreams,
        [nameof(Int8Tagger)] = Int8Tagger,
        [nameof(ParallelScorer)] = ParallelScorer,
    };

    /// <summary>The names of <see cref="All"/>, as theory data.</summary>
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (string name in All.Keys)
        {
            data.Add(name);
        }

        return data;
    }
}
