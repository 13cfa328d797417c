using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;
using RnnCompiler.Generators.Diagnostics;
using Xunit;

namespace RnnCompiler.Analyzers.Tests;

/// <summary>RNN0101 (a MemoryBudget exceeded) and RNN0024 (a record model).</summary>
public class MemoryAndRecordTests
{
    // Input(3) → Gru(5) → Dense(2), 10 steps, worked out by hand: weights 3·15 + 5·15 + 2·15 + 5·2 + 2 = 162 floats;
    // per step the GRU's gates (15), candidates (5) and hidden states (5), plus its 15-float scratch; streaming h (5).
    // Each of those six buffers has the cache line that aligns it.
    private const long Weights = (4 * 162) + AnalyzerTest.Padding;
    private const long Working = (4 * (10 * (15 + 5 + 5) + 15)) + (4 * AnalyzerTest.Padding);
    private const long Streaming = (4 * 5) + AnalyzerTest.Padding;

    [Fact]
    public Task A_model_over_its_memory_budget_gets_a_warning_on_the_attribute() => AnalyzerTest.VerifyAsync(
        """
        [{|#1:RnnModel(SequenceLength = 10, MemoryBudget = 1000)|}]
        [Input(3)]
        [Gru(5)]
        [Dense(2)]
        public partial class {|#0:Small|};
        """,
        AnalyzerTest.ModelSize("Small", 162, Weights, Working, Streaming),
        new DiagnosticResult(DiagnosticDescriptors.OverBudget).WithLocation(1).WithArguments(
            "Small", Weights + Working + Streaming, $"weights {Weights:N0}, working buffers {Working:N0}, streaming state {Streaming:N0}", 1000L));

    [Fact]
    public Task A_model_within_its_budget_gets_only_its_size() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10, MemoryBudget = 4096)]
        [Input(3)]
        [Gru(5)]
        [Dense(2)]
        public partial class {|#0:Small|};
        """,
        AnalyzerTest.ModelSize("Small", 162, Weights, Working, Streaming));

    [Fact]
    public Task A_record_model_is_an_error() => AnalyzerTest.VerifyAsync(
        """
        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Gru(5)]
        public partial record {|#0:Small|};
        """,
        new DiagnosticResult(DiagnosticDescriptors.RecordModel).WithLocation(0).WithArguments("Small"));
}
