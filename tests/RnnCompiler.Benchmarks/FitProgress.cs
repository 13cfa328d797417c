using System;
using System.IO;
using BenchmarkDotNet.Attributes;
using RnnCompiler.Training;

namespace RnnCompiler.Benchmarks;

/// <summary>
/// What Fit's callbacks and progress bar cost: one epoch of the training case's model (Embedding 1000×64 → LSTM 128 →
/// Dense 10, Adam) over 1,024 sequences of 32 tokens (32 batches, about 0.1 s), without callbacks, with the bar
/// redrawn in place (into <see cref="TextWriter.Null"/>: the formatting and drawing, not a terminal's rendering), with
/// the redirected one-line-per-epoch bar, and with the ready-made callbacks. The goal: under 1% over the first.
/// </summary>
public class FitProgress
{
    private const int Sequences = 1024, Steps = 32;

    private TrainEmbedLstm128x10 _model = null!;
    private int[] _tokens = null!;
    private int[] _labels = null!;
    private FitOptions _plain = null!;
    private FitOptions _bar = null!;
    private FitOptions _redirected = null!;
    private FitOptions _callbacks = null!;

    [GlobalSetup]
    public void GlobalSetup()
    {
        _model = new TrainEmbedLstm128x10();
        var random = new Random(7);
        _tokens = new int[Sequences * Steps];
        for (int i = 0; i < _tokens.Length; i++) _tokens[i] = random.Next(1, TrainEmbedLstm128x10.VocabularySize);
        _labels = new int[Sequences];
        for (int i = 0; i < _labels.Length; i++) _labels[i] = random.Next(TrainEmbedLstm128x10.OutputUnits);
        _plain = new FitOptions(Epochs: 1);
        _bar = _plain with { Callbacks = [new ConsoleProgressBar(TextWriter.Null, dynamic: true)] };
        _redirected = _plain with { Callbacks = [new ConsoleProgressBar(TextWriter.Null, dynamic: false)] };
        _callbacks = _plain with { Callbacks = [new TerminateOnNaN(), new EarlyStopping { Patience = 3 }, new ReduceLearningRateOnPlateau()] };
    }

    [Benchmark(Baseline = true)]
    public FitResult NoCallbacks() => ModelTrainer.Fit(_model, _tokens, _labels, Sequences, Steps, _plain);

    [Benchmark]
    public FitResult ProgressBarRedrawn() => ModelTrainer.Fit(_model, _tokens, _labels, Sequences, Steps, _bar);

    [Benchmark]
    public FitResult ProgressBarRedirected() => ModelTrainer.Fit(_model, _tokens, _labels, Sequences, Steps, _redirected);

    [Benchmark]
    public FitResult ReadyMadeCallbacks() => ModelTrainer.Fit(_model, _tokens, _labels, Sequences, Steps, _callbacks);
}

/// <summary>
/// Fit's own cost per batch, around a model whose TrainBatch does nothing: 4,096 batches of one sequence per epoch,
/// without callbacks and with the bar redrawn in place. The difference per batch, divided by a real batch's time
/// (<see cref="FitProgress"/>), is the bar's share of training time, free of the training's own run-to-run noise.
/// </summary>
public class FitOverhead
{
    private const int Batches = 4096;

    private readonly EmptyModel _model = new();
    private readonly float[] _inputs = new float[Batches];
    private readonly float[] _targets = new float[Batches];
    private FitOptions _plain = null!;
    private FitOptions _bar = null!;

    [GlobalSetup]
    public void GlobalSetup()
    {
        _plain = new FitOptions(Epochs: 1, Shuffle: false);
        _bar = _plain with { Callbacks = [new ConsoleProgressBar(TextWriter.Null, dynamic: true)] };
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batches)]
    public FitResult NoCallbacksPerBatch() => ModelTrainer.Fit(_model, _inputs, _targets, Batches, 1, _plain);

    [Benchmark(OperationsPerInvoke = Batches)]
    public FitResult ProgressBarRedrawnPerBatch() => ModelTrainer.Fit(_model, _inputs, _targets, Batches, 1, _bar);

    /// <summary>One-step, one-feature sequences in batches of one; training does nothing.</summary>
    private sealed class EmptyModel : ITrainableModel<float, float, float>
    {
        private readonly float[] _parameters = new float[1];

        public ModelInfo Info { get; } = new(1, false, 1, 1, false, 1, true);

        public TrainingInfo Training { get; } = new(1, Loss.MeanSquaredError, 1, false, new OptimizerSettings(Optimizer.Sgd, 0.1));

        public Span<float> Parameters => _parameters;

        public Span<float> Gradients => _parameters;

        public float LastAccuracy => float.NaN;

        public long UpdateCount => 0;

        public long SkippedUpdates => 0;

        public double LearningRate { get; set; } = 0.1;

        public LearningRateSchedule? LearningRateSchedule { get; set; }

        public float TrainBatch(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int sequences) => 0.5f;

        public float ComputeGradients(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int sequences) => 0.5f;

        public (float Loss, float Accuracy) Evaluate(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int sequences) => (0.5f, float.NaN);

        public float TrainBatch(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, ReadOnlySpan<int> lengths) => 0.5f;

        public float ComputeGradients(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, ReadOnlySpan<int> lengths) => 0.5f;

        public (float Loss, float Accuracy) Evaluate(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, ReadOnlySpan<int> lengths) => (0.5f, float.NaN);

        public void InitializeWeights(int seed) { }

        public void SaveWeights(Stream stream) { }

        public void LoadWeights(Stream stream) { }

        public void SaveCheckpoint(Stream stream) { }

        public void LoadCheckpoint(Stream stream) { }
    }
}
