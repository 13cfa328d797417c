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
        // Bytes worked out by hand: 164,106 float weights, and the LSTM's kernel [64, 512] and recurrent kernel
        // [128, 512] again in the panel copy (each 32 KB or more); per step of 80, the embedding's row (64), the LSTM's
        // gates (4 × 128), cells (128) and hidden states (128); the streaming h and c (128 each). Each buffer is aligned.
        AnalyzerTest.ModelSize("Sentiment", 164_106, weights: (4 * 164_106) + AnalyzerTest.Padding + (4 * ((64 * 512) + (128 * 512))) + AnalyzerTest.Padding, working: (4 * 80 * (64 + 512 + 128 + 128)) + (4 * AnalyzerTest.Padding), streaming: (4 * 2 * 128) + (2 * AnalyzerTest.Padding)));

    [Fact]
    public Task Masking_model_counts_its_unmasked_input() => AnalyzerTest.VerifyAsync(
        """
        namespace Demo;
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Masking(-1)]
        [SimpleRnn(5)]
        [Dense(2)]
        public partial class {|#0:Masked|};
        """,
        // Worked out by hand: 57 weights (3×5 + 5×5 + 5, then 5×2 + 2); per step of 10 the SimpleRNN's sums and hidden
        // states (5 each), and Predict's input without its masked steps (3 per step); the streaming h (5). Each aligned.
        AnalyzerTest.ModelSize("Masked", 57, weights: (4 * 57) + AnalyzerTest.Padding, working: (4 * 10 * (5 + 5 + 3)) + (3 * AnalyzerTest.Padding), streaming: (4 * 5) + AnalyzerTest.Padding));

    [Fact]
    public Task Parallel_training_counts_every_workspace() => AnalyzerTest.VerifyAsync(
        """
        namespace Demo;
        [RnnModel(SequenceLength = 10)]
        [Train(Loss = Loss.MeanSquaredError, Optimizer = Optimizer.Sgd, BatchSize = 4, Parallelism = 2)]
        [Input(3)]
        [SimpleRnn(5)]
        [Dense(2)]
        public partial class {|#0:Tiny|};
        """,
        // Worked out by hand: 57 weights (3×5 + 5×5 + 5, then 5×2 + 2). Each of the 2 workspaces runs its share of up to
        // 2 sequences in lock step, so its buffers hold 2 sequences: the SimpleRNN's sums and hidden states per step
        // (2 × 2 × 10 × 5) and the RNN's last state, the Dense layer's input (2 × 2 × 5), of which one sequence's
        // (2 × 10 × 5 and 2 × 5) is Predict's working memory and the other training's; for training also the outputs and
        // their gradients (2 × 2 × 10 × 2, the last layer is per sequence but sized per step), the RNN's output gradient
        // (2 × 5), dh per step (2 × 10 × 5) and dh, dc carried between steps (2 × 2 × 5). The model: its gradients, the
        // second workspace's (2 × 57), the copied batch (4 × 10 × 3 inputs, 4 × 2 targets), a packed batch's 4 lengths
        // and 4 sequence indices (ints, unaligned); SGD without momentum keeps no
        // moments (two empty buffers). Streaming h (5). Every buffer but the empty ones has the cache line that aligns
        // it, each workspace's copy too: the weights 1; working buffers 2 × 3 lines, split like their elements (half
        // of each to Predict, half to training); streaming 1; training 2 + 1 + 2 (batch) + 1 (second gradients) + 2 × 5
        // (outputs, their gradients, the RNN's output gradient, dh per step, carried dh and dc) = 16.
        new Microsoft.CodeAnalysis.Testing.DiagnosticResult(RnnCompiler.Generators.Diagnostics.DiagnosticDescriptors.ModelSize).WithLocation(0).WithArguments(
            "Tiny", 57, (long)(4 * 57 + AnalyzerTest.Padding + 4 * 2 * (100 + 5) + 3 * AnalyzerTest.Padding + 4 * 5 + AnalyzerTest.Padding + 4 * (2 * 57 + 120 + 8 + 8 + 2 * (100 + 5 + 80 + 10 + 100 + 20)) + 17 * AnalyzerTest.Padding),
            string.Format(System.Globalization.CultureInfo.InvariantCulture, "weights {0:N0}, working buffers {1:N0} (2 workspaces), streaming state {2:N0}, training {3:N0}", (4 * 57) + AnalyzerTest.Padding, (4 * 2 * (100 + 5)) + (3 * AnalyzerTest.Padding), (4 * 5) + AnalyzerTest.Padding, (4 * (2 * 57 + 120 + 8 + 8 + 2 * (100 + 5 + 80 + 10 + 100 + 20))) + (16 * AnalyzerTest.Padding) + AnalyzerTest.Padding)));

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
    public Task Normalized_forecaster_gets_only_its_size() => AnalyzerTest.VerifyAsync(
        """
        namespace Demo;
        [RnnModel(SequenceLength = 24)]
        [Input(3)]
        [Normalization]
        [Lstm(32)]
        [Dense(1)]
        public partial class {|RNN0100:Forecaster|};
        """);

    [Fact]
    public Task Class_without_RnnModel_gets_nothing() => AnalyzerTest.VerifyAsync(
        """
        namespace Demo;
        [Lstm(0)]
        public class NotAModel;
        """);

    [Fact]
    public Task Record_gets_RNN0024_as_the_generator_ignores_it() => AnalyzerTest.VerifyAsync(
        """
        namespace Demo;
        [RnnModel]
        public record {|#0:NotAClassDeclaration|};
        """,
        new Microsoft.CodeAnalysis.Testing.DiagnosticResult(RnnCompiler.Generators.Diagnostics.DiagnosticDescriptors.RecordModel).WithLocation(0).WithArguments("NotAClassDeclaration"));

    /// <summary>
    /// In a build the analyzer also sees the generated part: its members (Predict, Summary, …) are not the user's
    /// (no RNN0014), it is not a second part carrying layers (no RNN0013), and RNN0100 stays on the user's declaration.
    /// </summary>
    [Fact]
    public Task Generated_part_is_not_taken_for_the_users_code() => AnalyzerTest.VerifyAsync(
        """
        namespace Demo;
        [RnnModel(SequenceLength = 80)]
        [Embedding(1000, 64)]
        [Lstm(128)]
        [Dense(10, Activation = Activation.Softmax)]
        public partial class {|#0:Sentiment|};
        """,
        withGeneratedPart: true,
        // Bytes worked out by hand: 164,106 float weights, and the LSTM's kernel [64, 512] and recurrent kernel
        // [128, 512] again in the panel copy (each 32 KB or more); per step of 80, the embedding's row (64), the LSTM's
        // gates (4 × 128), cells (128) and hidden states (128); the streaming h and c (128 each). Each buffer is aligned.
        AnalyzerTest.ModelSize("Sentiment", 164_106, weights: (4 * 164_106) + AnalyzerTest.Padding + (4 * ((64 * 512) + (128 * 512))) + AnalyzerTest.Padding, working: (4 * 80 * (64 + 512 + 128 + 128)) + (4 * AnalyzerTest.Padding), streaming: (4 * 2 * 128) + (2 * AnalyzerTest.Padding)));

    [Fact]
    public Task Nested_model_with_generated_part_gets_only_its_size() => AnalyzerTest.VerifyAsync(
        """
        namespace Demo;
        public partial class Outer
        {
            [RnnModel(SequenceLength = 16)]
            [Input(2)]
            [Gru(3, Bidirectional = true, ReturnSequences = true)]
            [Dense(1)]
            public partial class {|RNN0100:Tagger|}
            {
                public string Label => "tags";
            }
        }
        """,
        withGeneratedPart: true);
}
