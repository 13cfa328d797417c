using System;
using BenchmarkDotNet.Attributes;
using RnnCompiler.Benchmarks.Torch;

namespace RnnCompiler.Benchmarks;

/// <summary>
/// Many sequences at once: <see cref="Sequences"/> sequences of T = 32 steps through LSTM 64 → 128 → Dense 10, each from
/// a zero state. The generated model's batched Predict (lock step, one matrix product per step for all sequences)
/// against the same model's Predict called once per sequence, ONNX Runtime's LSTM and PyTorch's <c>nn.LSTM</c>
/// (TorchSharp, oneDNN) given the whole batch, all on one thread and on the same weights; and batched Predict of a model
/// with <c>Parallelism = 2</c>, on both cores. Setup checks every output of every sequence against both peers.
/// </summary>
/// <remarks>
/// A call is Sequences × 32 × (64 + 128) × 512 multiply-adds in the recurrent layer and Sequences × 128 × 10 in the
/// Dense layer: 100.7 M at 32 sequences, 201.4 M at 64; <see cref="MachineLimits.FmaPeak"/> in the same run turns a time
/// into a share of the machine's multiply-add peak.
/// </remarks>
public class BatchLstm64x128x10
{
    private const int Steps = 32;
    private Lstm64x128x10Batch _model = null!;
    private Lstm64x128x10 _single = null!;
    private Lstm64x128x10BatchParallel _parallel = null!;
    private OnnxPeer _peer = null!;
    private TorchPeer _torch = null!;
    private float[] _inputs = null!;
    private float[] _outputs = null!;

    /// <summary>The sequences per call.</summary>
    [Params(32, 64)]
    public int Sequences { get; set; }

    [GlobalSetup]
    public void GlobalSetup()
    {
        _model = new Lstm64x128x10Batch();
        Setup.RandomizeBiases(_model.Parameters, (64 + 128) * 512, 512);
        _single = new Lstm64x128x10();
        _model.Parameters.CopyTo(_single.Parameters);
        int perSequence = Steps * 64;
        _inputs = Setup.Uniform(Sequences * perSequence, seed: 13);
        _outputs = new float[Sequences * 10];
        _model.Predict(_inputs, _outputs, Sequences);

        // ONNX's LSTM reads [steps, batch, features]: the same values, transposed once here.
        _peer = new OnnxPeer(RecurrentKind.Lstm, 64, 128, 10, Steps, streaming: false, _model.Parameters, batch: Sequences);
        for (int s = 0; s < Sequences; s++)
        {
            for (int t = 0; t < Steps; t++)
            {
                _inputs.AsSpan((s * Steps + t) * 64, 64).CopyTo(_peer.Input.AsSpan((t * Sequences + s) * 64, 64));
            }
        }

        _peer.Run();
        Setup.AssertSame(_outputs, _peer.Output, "ONNX Runtime", $"LSTM 64→128→10, {Sequences} × 32 steps");
        _torch = new TorchPeer(RecurrentKind.Lstm, 64, 128, 10, Steps, streaming: false, _model.Parameters, batch: Sequences);
        _torch.SetInput(_inputs);
        _torch.Run();
        Setup.AssertSame(_outputs, _torch.Output, "TorchSharp", $"LSTM 64→128→10, {Sequences} × 32 steps");
        var alone = new float[_outputs.Length];
        OneByOne(alone);
        Setup.AssertSame(_outputs, alone, "Predict per sequence", $"LSTM 64→128→10, {Sequences} × 32 steps");
        _parallel = new Lstm64x128x10BatchParallel();
        _model.Parameters.CopyTo(_parallel.Parameters);
        _parallel.Predict(_inputs, alone, Sequences);
        Setup.AssertSame(_outputs, alone, "batched Predict on two cores", $"LSTM 64→128→10, {Sequences} × 32 steps");
    }

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        _peer.Dispose();
        _torch.Dispose();
    }

    [Benchmark(Baseline = true, Description = "RnnCompiler batched Predict")]
    public void RnnCompiler() => _model.Predict(_inputs, _outputs, Sequences);

    [Benchmark(Description = "RnnCompiler batched Predict, 2 cores")]
    public void RnnCompilerTwoCores() => _parallel.Predict(_inputs, _outputs, Sequences);

    [Benchmark(Description = "RnnCompiler Predict per sequence")]
    public void RnnCompilerOneByOne() => OneByOne(_outputs);

    [Benchmark(Description = "ONNX Runtime, batch")]
    public void OnnxRuntime() => _peer.Run();

    [Benchmark(Description = "TorchSharp nn.LSTM, batch")]
    public void TorchSharp() => _torch.Run();

    private void OneByOne(float[] outputs)
    {
        int perSequence = Steps * 64;
        for (int s = 0; s < Sequences; s++)
        {
            _single.Predict(_inputs.AsSpan(s * perSequence, perSequence), outputs.AsSpan(s * 10, 10));
        }
    }
}
