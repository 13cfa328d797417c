using System.Runtime.CompilerServices;
using RnnCompiler.Generators.Tests.Infrastructure;
using Xunit;

namespace RnnCompiler.Generators.Tests;

/// <summary>
/// The generated files, compared with <c>Snapshots/SnapshotTests.{Method}#{HintName}.verified.cs</c>.
/// Accept a reviewed change with <c>RNN_ACCEPT_SNAPSHOTS=1 dotnet test tests/RnnCompiler.Generators.Tests</c>.
/// </summary>
public sealed class SnapshotTests
{
    [Fact]
    public void Sentiment() => Verify(TestModels.Sentiment);

    [Fact]
    public void SimpleRnn() => Verify(TestModels.SimpleRnn);

    [Fact]
    public void BatchedScorer() => Verify(TestModels.BatchedScorer);

    [Fact]
    public void SensorStreams() => Verify(TestModels.SensorStreams);

    [Fact]
    public void GruResetBefore() => Verify(TestModels.GruResetBefore);

    [Fact]
    public void BidirectionalStackedLstm() => Verify(TestModels.BidirectionalStackedLstm);

    [Fact]
    public void DenseBeforeGru() => Verify(TestModels.DenseBeforeGru);

    [Fact]
    public void Nested() => Verify(TestModels.Nested);

    [Fact]
    public void GlobalNamespace() => Verify(TestModels.GlobalNamespace);

    [Fact]
    public void TrainedSentiment() => Verify(TestModels.TrainedSentiment);

    [Fact]
    public void StatefulDoubleTrainer() => Verify(TestModels.StatefulDoubleTrainer);

    [Fact]
    public void ParallelTrainer() => Verify(TestModels.ParallelTrainer);

    [Fact]
    public void MaskedSentiment() => Verify(TestModels.MaskedSentiment);

    [Fact]
    public void MaskedForecaster() => Verify(TestModels.MaskedForecaster);

    [Fact]
    public void BFloat16Streaming() => Verify(TestModels.BFloat16Streaming);

    [Fact]
    public void Int8Tagger() => Verify(TestModels.Int8Tagger);

    [Fact]
    public void ParallelScorer() => Verify(TestModels.ParallelScorer);

    [Fact]
    public void NormalizedForecaster() => Verify(TestModels.NormalizedForecaster);

    [Fact]
    public void AdditionSolver() => Verify(TestModels.AdditionSolver);

    [Fact]
    public void DateTranslator() => Verify(TestModels.DateTranslator);

    [Fact]
    public void AttentionTranslator() => Verify(TestModels.AttentionTranslator);

    private static void Verify(string source, [CallerFilePath] string file = "", [CallerMemberName] string method = "") =>
        SnapshotVerifier.Verify(GeneratorDriverHelper.Run(source), file, method);
}
