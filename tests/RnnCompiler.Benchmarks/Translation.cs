using System;
using System.Collections.Generic;
using System.Linq;
using BenchmarkDotNet.Attributes;
using RnnCompiler.Benchmarks.Torch;
using RnnCompiler.Weights;

namespace RnnCompiler.Benchmarks;

/// <summary>
/// The encoder-decoder with dot attention of samples/Translation (<see cref="TranslationBench"/>), in its two uses:
/// greedy decoding of one source, against ONNX Runtime (<see cref="Seq2SeqOnnxPeer"/>: an encoder graph and a
/// decoder-step graph run 11 times from a C# loop, one thread), and a training step on a batch of 32 date pairs,
/// against PyTorch (<see cref="Seq2SeqTorchTrainer"/>, TorchSharp, one thread, oneDNN on and off). The machine's FMA peak
/// is in the same class, so one <c>--filter '*TranslationBenchmarks*'</c> run holds the figure each case is stated
/// against. Setup checks both peers against the generated model before anything is timed.
/// </summary>
/// <remarks>
/// <para>
/// <b>Decoding.</b> The source is <see cref="Text"/>, "tuesday 3 march 2026" (T = 20 characters, padded with zeros to
/// 30). <c>Decode</c> runs the encoder once and the decoder for 11 steps; <c>OperationsPerInvoke = 11</c> makes the mean
/// the time per decoded token: tokens/s = 1 / mean. The weights are Keras's initial ones (seed 11) after
/// <see cref="WarmUpdates"/> Adam updates on random date pairs (a partly trained model: its outputs are not uniform, the
/// smallest margin of a picked token over the next is about 0.01), with one change: the end token's Dense bias is set
/// to −30, so that greedy decoding never stops early and both sides always run all 11 steps (a fully trained model
/// writes its end token at the 11th step: the same work). Setup checks that ONNX Runtime picks the same 11 tokens with
/// the same probabilities at every step (within 1e-4).
/// Multiply-adds of one source: encoder T·(24 + 128)·512 = 1,556,480; per decoder step (12 + 128)·512 = 71,680 (LSTM)
/// + 2·T·128 = 5,120 (scores and context) + 256·13 = 3,328 (Dense) = 80,128, 881,408 for 11 steps; 2,437,888 in all
/// (<see cref="DecodeMacsPerSequence"/>), 221,626 per token. Embedding lookups are row copies, not counted.
/// </para>
/// <para>
/// <b>Training.</b> <c>TrainBatch</c> on one fixed batch of 32 date pairs (<see cref="DateText.Pairs"/>, seed 2026: 32
/// sources of 8 to 25 characters, 475 in all, 14.8 on average, padded to 30; targets of 11 tokens): teacher forcing,
/// the loss the mean over all 32 × 11 steps, per-tensor clipping to norm 1, Adam 4e-3. <c>OperationsPerInvoke = 32</c>
/// makes the mean the time per sequence: sequences/s = 1 / mean. Setup checks the initial loss and gradients against
/// PyTorch's (gradients within 1e-4 of the largest), then 5 updates against a PyTorch peer with Keras's bias and Adam,
/// with and without clipping acting (losses within 1e-4).
/// Forward multiply-adds of a sequence with S real source tokens: S·(24 + 128)·512 (encoder) + 11·(12 + 128)·512
/// (decoder) + 2·11·S·128 (attention) + 11·256·13 (Dense) = 80,640·S + 825,088; backward about twice that (the weight
/// gradients and the gradients sent back; the attention's four products for its two). For this batch
/// 3 × (80,640 · 475 + 32 · 825,088) = 194,120,448 MACs per batch (<see cref="TrainMacsPerBatch"/>), 6,066,264 per
/// sequence; the clipping and Adam add about 155k element updates (the parameter count) per batch.
/// </para>
/// <para>
/// A share of the FMA peak is MACs per op ÷ mean ÷ (<see cref="MachineLimits.FmaMacs"/> ÷ the <see cref="FmaPeak"/>
/// mean): 221,626 MACs per decoded token, 6,066,264 per training sequence.
/// </para>
/// </remarks>
public class TranslationBenchmarks
{
    /// <summary>The decoded source: a realistic date of 20 characters.</summary>
    public const string Text = "tuesday 3 march 2026";

    /// <summary>Sequences per training batch; tokens written per decoded source.</summary>
    public const int Sequences = 32, Tokens = TranslationBench.OutputSteps;

    /// <summary>Adam updates on date pairs before decoding is timed, so that the outputs are a trained model's, not uniform.</summary>
    public const int WarmUpdates = 40;

    /// <summary>Multiply-adds of decoding <see cref="Text"/> (encoder and 11 decoder steps), as counted above.</summary>
    public const long DecodeMacsPerSequence = 20L * (24 + 128) * 512 + Tokens * ((12 + 128) * 512 + 2 * 20 * 128 + 256 * 13);

    /// <summary>Forward multiply-adds of a training sequence of <paramref name="sourceTokens"/> real source tokens (backward adds twice that).</summary>
    public static long ForwardMacs(long sourceTokens) =>
        sourceTokens * ((24 + 128) * 512 + 2 * Tokens * 128) + Tokens * ((12 + 128) * 512 + 256 * 13);

    /// <summary>Multiply-adds of a training step on the benchmark's batch (forward and backward), as counted above; Setup checks it.</summary>
    public const long TrainMacsPerBatch = 194_120_448;

    private TranslationBench _decoder = null!;
    private Seq2SeqOnnxPeer _peer = null!;
    private int[] _source = null!;
    private int[] _tokens = null!;

    private TranslationBench _model = null!;
    private Seq2SeqTorchTrainer _torch = null!;
    private int[] _sources = null!;
    private int[] _targets = null!;

    [GlobalSetup(Targets = [nameof(Decode), nameof(OnnxRuntimeDecode)])]
    public void DecodeSetup()
    {
        _decoder = new TranslationBench();
        _decoder.InitializeWeights(seed: 11);
        (int[] sources, int[] targets) = DateText.Pairs(WarmUpdates * Sequences, seed: 7);
        for (int i = 0; i < WarmUpdates; i++)
        {
            _decoder.TrainBatch(sources.AsSpan(i * Sequences * TranslationBench.SequenceLength, Sequences * TranslationBench.SequenceLength), targets.AsSpan(i * Sequences * Tokens, Sequences * Tokens), Sequences);
        }

        IReadOnlyList<LayerDescriptor> layers = ((IRnnModel<float>)_decoder).Info.Layers;
        _decoder.Parameters[Find(layers, "dense/bias").Offset + TranslationBench.EndToken] = -30f;

        // Both decode the same source and must write the same 11 tokens with the same probabilities at every step.
        if (Text.Length != 20) throw new InvalidOperationException($"DecodeMacsPerSequence counts a source of 20 characters; \"{Text}\" has {Text.Length}.");
        _source = DateText.Source(Text);
        _tokens = new int[Tokens];
        int length = _decoder.Decode(_source, _tokens);
        var ours = new float[Tokens * TranslationBench.OutputUnits];
        _decoder.Predict(_source, ours);
        _peer = new Seq2SeqOnnxPeer(_decoder.Parameters, layers, _source.AsSpan(0, Text.Length), Tokens, TranslationBench.StartToken, TranslationBench.EndToken);
        int peerLength = _peer.Decode();
        if (length != Tokens || peerLength != Tokens)
        {
            throw new InvalidOperationException($"Decoding case: {length} tokens here and {peerLength} in ONNX Runtime; both must run all {Tokens} steps.");
        }

        Setup.AssertSame(ours, _peer.Outputs, "ONNX Runtime", "Decoding case, step probabilities");
        if (!_tokens.AsSpan().SequenceEqual(_peer.Tokens))
        {
            throw new InvalidOperationException($"Decoding case: tokens [{string.Join(", ", _tokens)}] here and [{string.Join(", ", _peer.Tokens)}] in ONNX Runtime.");
        }

        float difference = 0f, margin = float.MaxValue;
        for (int t = 0; t < Tokens; t++)
        {
            ReadOnlySpan<float> row = ours.AsSpan(t * TranslationBench.OutputUnits, TranslationBench.OutputUnits);
            float best = row[_tokens[t]], second = 0f;
            for (int j = 0; j < row.Length; j++)
            {
                difference = Math.Max(difference, Math.Abs(row[j] - _peer.Outputs[t * TranslationBench.OutputUnits + j]));
                if (j != _tokens[t]) second = Math.Max(second, row[j]);
            }

            margin = Math.Min(margin, best - second);
        }

        Console.WriteLine($"// Decoding case: \"{Text}\" → [{string.Join(" ", _tokens)}] in both; probabilities within {difference:G3}; smallest margin of a picked token {margin:G3}; {DecodeMacsPerSequence:N0} MACs per source.");

        // Allocation on this thread alone, after the calls above warmed everything up.
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 3; i++) _decoder.Decode(_source, _tokens);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 3; i++) _peer.Decode();
        long peerAllocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Console.WriteLine($"// Decoding case: {allocated} bytes allocated on this thread by 3 Decode calls, {peerAllocated} by 3 ONNX Runtime decodes.");
    }

    [GlobalCleanup(Targets = [nameof(Decode), nameof(OnnxRuntimeDecode)])]
    public void DecodeCleanup() => _peer.Dispose();

    [GlobalSetup(Targets = [nameof(TrainBatch), nameof(TorchSharpOneDnn), nameof(TorchSharpNoOneDnn)])]
    public void TrainingSetup()
    {
        _model = new TranslationBench();
        _model.InitializeWeights(seed: 11);
        (_sources, _targets) = DateText.Pairs(Sequences, seed: 2026);
        int[] lengths = DateText.Lengths(_sources, Sequences);
        long macs = 3 * lengths.Sum(length => ForwardMacs(length));
        if (macs != TrainMacsPerBatch) throw new InvalidOperationException($"Translation training case: the batch takes {macs:N0} MACs; the documented figure is {TrainMacsPerBatch:N0}.");

        // The batch must train: a zero or non-finite gradient, or a loss that does not fall, would time the wrong thing.
        float first = _model.ComputeGradients(_sources, _targets, Sequences);
        if (!(first > 2.2f && first < 2.9f)) throw new InvalidOperationException($"Translation training case: initial loss {first}; expected about ln 13 = 2.56.");

        // The peer starts from the same weights, so it must compute the same loss and the same gradients.
        _torch = new Seq2SeqTorchTrainer(_model.Parameters, _sources, _targets, Sequences, TranslationBench.StartToken, learningRate: 4e-3, clipNorm: 1);
        float peerFirst = _torch.Evaluate();
        Setup.AssertSame([first], [peerFirst], "TorchSharp", "Translation training case, initial loss");
        float gradients = _torch.GradientDifference(_model.Gradients);
        if (!(gradients <= 1e-4f))
        {
            throw new InvalidOperationException($"Translation training case: the gradients differ from TorchSharp's by {gradients:G3} of the largest.");
        }

        // Then both train, ours against a peer with Keras's single LSTM bias and Keras's Adam (see Seq2SeqTorchTrainer),
        // the timed peer (plain PyTorch) alongside. From these weights no tensor's gradient reaches norm 1, so a second
        // start checks the clipping: the same weights with the Dense bias of the start token (never a target) raised to
        // 10, whose confident wrong outputs give gradients above norm 1.
        float[] initial = _model.Parameters.ToArray();
        (float worst, float largestNorm) = UpdatesAgree(_model, "Keras's initial weights", _torch);
        var clipped = new TranslationBench();
        initial.CopyTo(clipped.Parameters);
        clipped.Parameters[Find(((IRnnModel<float>)clipped).Info.Layers, "dense/bias").Offset + TranslationBench.StartToken] = 10f;
        (float clippedWorst, float clippedNorm) = UpdatesAgree(clipped, "a raised Dense bias", alongside: null);
        if (!(clippedNorm > 1f))
        {
            throw new InvalidOperationException($"Translation training case: the clipping check's largest gradient norm is {clippedNorm}; it must be above 1.");
        }

        (float loss, _) = _model.Evaluate(_sources, _targets, Sequences);
        float torchLoss = _torch.Evaluate();
        if (!(loss < first) || !(torchLoss < first) || _model.SkippedUpdates != 0)
        {
            throw new InvalidOperationException($"Translation training case: loss went from {first} to {loss} in 5 updates ({_model.SkippedUpdates} skipped), to {torchLoss} in TorchSharp.");
        }

        Console.WriteLine($"// Translation training case: {lengths.Sum()} source tokens ({lengths.Min()} to {lengths.Max()} a source), {TrainMacsPerBatch:N0} MACs per batch.");
        Console.WriteLine($"// Translation training case: initial loss {first:G6} here, {peerFirst:G6} in TorchSharp; gradients within {gradients:G3} of the largest.");
        Console.WriteLine($"// Translation training case, against Keras's bias and Adam: 5 updates' losses within {worst:G3} (largest tensor gradient norm {largestNorm:G3}, {(largestNorm > 1f ? "clipped" : "not clipped")}), and within {clippedWorst:G3} from the raised Dense bias (largest norm {clippedNorm:G3}, clipped).");
        Console.WriteLine($"// Translation training case: after 5 updates, loss {loss:G6} here, {torchLoss:G6} in plain PyTorch (two biases, optim.Adam).");

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 3; i++) _model.TrainBatch(_sources, _targets, Sequences);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Console.WriteLine($"// Translation training case: {allocated} bytes allocated on this thread by 3 TrainBatch calls.");
    }

    [GlobalCleanup(Targets = [nameof(TrainBatch), nameof(TorchSharpOneDnn), nameof(TorchSharpNoOneDnn)])]
    public void TrainingCleanup()
    {
        (float loss, float accuracy) = _model.Evaluate(_sources, _targets, Sequences);
        Console.WriteLine($"// Translation training case: {_model.UpdateCount} updates, {_model.SkippedUpdates} skipped; loss {loss:G4}, accuracy {accuracy:P0}; TorchSharp's loss {_torch.Evaluate():G4}.");
        _torch.Dispose();
        TorchLoader.OneDnnEnabled = true;
    }

    [Benchmark(OperationsPerInvoke = Tokens, Description = "Decode, greedy, 20 → 11 tokens (per token)")]
    public int Decode() => _decoder.Decode(_source, _tokens);

    [Benchmark(OperationsPerInvoke = Tokens, Description = "ONNX Runtime encoder + 11 decoder steps (per token)")]
    public int OnnxRuntimeDecode() => _peer.Decode();

    [Benchmark(OperationsPerInvoke = Sequences, Description = "TrainBatch, 32 date pairs (per sequence)")]
    public float TrainBatch() => _model.TrainBatch(_sources, _targets, Sequences);

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

    /// <summary>
    /// Trains <paramref name="model"/> and a peer with Keras's bias and Adam from the same weights for 5 updates on the
    /// batch: the losses before each must agree to 1e-4. Returns the largest relative difference of the losses and the
    /// largest norm of a tensor's gradient before clipping.
    /// </summary>
    private (float Worst, float LargestNorm) UpdatesAgree(TranslationBench model, string start, Seq2SeqTorchTrainer? alongside)
    {
        IReadOnlyList<TensorDescriptor> tensors = [.. ((IRnnModel<float>)model).Info.Layers.SelectMany(layer => layer.Tensors)];
        float worst = 0f, largest = 0f;
        using var keras = new Seq2SeqTorchTrainer(model.Parameters, _sources, _targets, Sequences, TranslationBench.StartToken, learningRate: 4e-3, clipNorm: 1, keras: true);
        for (int i = 0; i < 5; i++)
        {
            model.ComputeGradients(_sources, _targets, Sequences); // the gradients before clipping
            foreach (TensorDescriptor tensor in tensors) largest = Math.Max(largest, Norm(model.Gradients.Slice(tensor.Offset, tensor.Length)));
            float ours = model.TrainBatch(_sources, _targets, Sequences);
            float peer = keras.TrainBatch();
            worst = Math.Max(worst, Math.Abs(ours - peer) / peer);
            if (!(Math.Abs(ours - peer) <= 1e-4f * peer))
            {
                throw new InvalidOperationException($"Translation training case from {start}, update {i}: loss {ours} here and {peer} in TorchSharp (Keras's bias and Adam).");
            }

            alongside?.TrainBatch();
        }

        return (worst, largest);
    }

    private static float Norm(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float value in values) sum += (double)value * value;
        return (float)Math.Sqrt(sum);
    }

    private static TensorDescriptor Find(IReadOnlyList<LayerDescriptor> layers, string name) =>
        layers.SelectMany(layer => layer.Tensors).FirstOrDefault(tensor => tensor.Name == name)
        ?? throw new InvalidOperationException($"The model has no tensor {name}.");
}
