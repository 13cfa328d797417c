using System;
using BenchmarkDotNet.Attributes;
using RnnCompiler.Benchmarks.Torch;

namespace RnnCompiler.Benchmarks;

/// <summary>
/// The training case of issue 5: <see cref="TrainEmbedLstm128x10"/> (Embedding 1000×64 → LSTM 128 → Dense 10 softmax,
/// sparse categorical cross-entropy, Adam) on one fixed batch of 32 sequences × 32 tokens. Each benchmark is one call on
/// the whole batch, and <c>OperationsPerInvoke = 32</c> makes BenchmarkDotNet's mean the time per sequence:
/// sequences/s = 1 / mean. The machine's FMA peak is in the same class, so one <c>--filter '*Train*'</c> run holds the
/// figure the case is stated against.
/// </summary>
/// <remarks>
/// Multiply-adds of one sequence (T = 32): forward T·(64 + 128)·512 = 3,145,728 (x·W and h·U of the four gates; the
/// embedding is a row copy) + 128·10 = 1,280 (Dense on the last step only); backward twice that (the weight gradients
/// x ⊗ δ and h ⊗ δ, and the gradients sent back, δ·Wᵀ to the embedding and δ·Uᵀ to the previous step).
/// 3 × 3,147,008 = 9,441,024 MACs per sequence, 302.1 million per batch; Adam adds about 164k element updates.
/// The peer is PyTorch (<see cref="TorchTrainer"/>, TorchSharp, one thread) from the same initial weights, timed with
/// oneDNN on (PyTorch's default) and off; ONNX Runtime does not train.
/// </remarks>
public class TrainingEmbedLstm128x10
{
    /// <summary>Sequences per batch and tokens per sequence.</summary>
    public const int Sequences = 32, Steps = 32;

    /// <summary>Multiply-adds per sequence of a training step (forward and backward), as counted above.</summary>
    public const long MacsPerSequence = 3L * (Steps * (64 + 128) * 512 + 128 * 10);

    private TrainEmbedLstm128x10 _model = null!;
    private TrainEmbedLstm128x10Parallel _parallel = null!;
    private TorchTrainer _torch = null!;
    private int[] _tokens = null!;
    private int[] _labels = null!;
    private int[] _lengths = null!;

    [GlobalSetup]
    public void GlobalSetup()
    {
        _model = new TrainEmbedLstm128x10();
        var random = new Random(5);
        _tokens = new int[Sequences * Steps];
        for (int i = 0; i < _tokens.Length; i++) _tokens[i] = random.Next(1, TrainEmbedLstm128x10.VocabularySize);
        _labels = new int[Sequences];
        for (int i = 0; i < _labels.Length; i++) _labels[i] = random.Next(TrainEmbedLstm128x10.OutputUnits);
        // A packed batch: lengths spread evenly over 1 to 32 steps (16.5 on average), in shuffled order.
        _lengths = new int[Sequences];
        for (int i = 0; i < _lengths.Length; i++) _lengths[i] = 1 + i;
        random.Shuffle(_lengths);

        // The batch must train: a zero or non-finite gradient, or a loss that does not fall, would time the wrong thing.
        float first = _model.ComputeGradients(_tokens, _labels, Sequences);
        if (!(first > 2.0f && first < 2.6f)) throw new InvalidOperationException($"Initial loss {first}; expected about ln 10 = 2.30.");

        // The two-core model from the same weights computes the same loss and gradients (summed in another order).
        _parallel = new TrainEmbedLstm128x10Parallel();
        _model.Parameters.CopyTo(_parallel.Parameters);
        float parallelFirst = _parallel.ComputeGradients(_tokens, _labels, Sequences);
        Setup.AssertSame([first], [parallelFirst], "Parallelism = 2", "Training case, initial loss");
        Setup.AssertSame(_model.Gradients.ToArray(), _parallel.Gradients.ToArray(), "Parallelism = 2", "Training case, gradients");

        // The peer starts from the same weights, so it must compute the same loss and the same gradients.
        _torch = new TorchTrainer(_model.Parameters, TrainEmbedLstm128x10.VocabularySize, 64, 128, TrainEmbedLstm128x10.OutputUnits, _tokens, _labels);
        Setup.AssertSame([first], [_torch.Evaluate()], "TorchSharp", "Training case, initial loss");
        float gradients = _torch.GradientDifference(_model.Gradients);
        if (!(gradients <= 1e-4f))
        {
            throw new InvalidOperationException($"Training case: the gradients differ from TorchSharp's by {gradients:G3} of the largest.");
        }

        // Then both train, ours against a peer with Keras's single LSTM bias (see TorchTrainer): the losses before each
        // update must agree to 2e-3 (Keras puts Adam's epsilon on the uncorrected √v, PyTorch on the corrected one, and
        // Adam turns rounding-level differences in tiny gradients into whole steps). The timed peer trains too.
        using (var keras = new TorchTrainer(_model.Parameters, TrainEmbedLstm128x10.VocabularySize, 64, 128, TrainEmbedLstm128x10.OutputUnits, _tokens, _labels, kerasBias: true))
        {
            for (int i = 0; i < 5; i++)
            {
                float ours = _model.TrainBatch(_tokens, _labels, Sequences);
                float peer = keras.TrainBatch();
                if (!(Math.Abs(ours - peer) <= 2e-3f * peer))
                {
                    throw new InvalidOperationException($"Training case, update {i}: loss {ours} here and {peer} in TorchSharp (Keras's bias).");
                }

                _torch.TrainBatch();
            }
        }

        (float loss, _) = _model.Evaluate(_tokens, _labels, Sequences);
        float torchLoss = _torch.Evaluate();
        if (!(loss < first) || !(torchLoss < first) || _model.SkippedUpdates != 0)
        {
            throw new InvalidOperationException($"Loss went from {first} to {loss} in 5 updates ({_model.SkippedUpdates} skipped), to {torchLoss} in TorchSharp.");
        }

        Console.WriteLine($"// Training case: initial loss {first:G6} in both, gradients within {gradients:G3} of the largest; after 5 updates {loss:G6} here, {torchLoss:G6} in TorchSharp.");

        // Allocation on this thread alone, after the calls above warmed everything up: BenchmarkDotNet's column counts
        // every thread of the process (its own and the JIT's included), divided by the few calls of a 30 ms case.
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 3; i++)
        {
            _model.TrainBatch(_tokens, _labels, Sequences);
            _model.ComputeGradients(_tokens, _labels, Sequences);
            _model.Evaluate(_tokens, _labels, Sequences);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Console.WriteLine($"// Training case: {allocated} bytes allocated on this thread by 3 × (TrainBatch, ComputeGradients, Evaluate).");
    }

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        // How far the weights moved while timing: the fixed batch is learnt, but the gradients stay normal floats.
        (float loss, float accuracy) = _model.Evaluate(_tokens, _labels, Sequences);
        int subnormal = 0;
        _model.ComputeGradients(_tokens, _labels, Sequences);
        foreach (float g in _model.Gradients) if (float.IsSubnormal(g)) subnormal++;
        Console.WriteLine($"// Training case: {_model.UpdateCount} updates, {_model.SkippedUpdates} skipped; loss {loss:G4}, accuracy {accuracy:P0}; {subnormal} subnormal gradients.");
        Console.WriteLine($"// Training case: TorchSharp's loss {_torch.Evaluate():G4}.");
        _torch.Dispose();
        TorchLoader.OneDnnEnabled = true;
    }

    [Benchmark(OperationsPerInvoke = Sequences, Description = "TrainBatch, 32 × 32 tokens (per sequence)")]
    public float TrainBatch() => _model.TrainBatch(_tokens, _labels, Sequences);

    [Benchmark(OperationsPerInvoke = Sequences, Description = "TrainBatch, Parallelism = 2 (both cores, per sequence)")]
    public float TrainBatchParallel() => _parallel.TrainBatch(_tokens, _labels, Sequences);

    [Benchmark(OperationsPerInvoke = Sequences, Description = "TrainBatch, 32 sequences of 1 to 32 tokens, packed (per sequence)")]
    public float TrainBatchPacked() => _model.TrainBatch(_tokens, _labels, _lengths);

    [Benchmark(OperationsPerInvoke = Sequences, Description = "ComputeGradients, 32 × 32 tokens (per sequence)")]
    public float ComputeGradients() => _model.ComputeGradients(_tokens, _labels, Sequences);

    [Benchmark(OperationsPerInvoke = Sequences, Description = "Evaluate, 32 × 32 tokens (per sequence)")]
    public (float Loss, float Accuracy) Evaluate() => _model.Evaluate(_tokens, _labels, Sequences);

    // oneDNN is a process-wide switch, so each method sets it (a native call of a few ns) before its batch.
    [Benchmark(OperationsPerInvoke = Sequences, Description = "TorchSharp train step, oneDNN on (per sequence)")]
    public float TorchSharpOneDnn()
    {
        TorchLoader.OneDnnEnabled = true;
        return _torch.TrainBatch();
    }

    [Benchmark(OperationsPerInvoke = Sequences, Description = "TorchSharp train step, oneDNN off (per sequence)")]
    public float TorchSharpNoOneDnn()
    {
        TorchLoader.OneDnnEnabled = false;
        return _torch.TrainBatch();
    }

    [Benchmark(Description = "FMA peak, about 2^20 float MACs")]
    public float FmaPeak() => MachineLimits.Peak();
}
