using System;
using BenchmarkDotNet.Attributes;
using RnnCompiler.Benchmarks.Torch;

namespace RnnCompiler.Benchmarks;

/// <summary>
/// 64 independent streams, one step each per call, through LSTM 64 → 128 → Dense 10, every stream carrying its state:
/// the generated <c>StepStreams</c> (one lock-step batch of 64 one-step sequences) against the same network's
/// <c>Step</c> called for each stream (64 model instances, as a program without streams would hold), ONNX Runtime's
/// LSTM with a batch of 64 and PyTorch's <c>nn.LSTMCell</c> (TorchSharp) with a batch of 64, the states carried in
/// both. Setup steps all four a few times from zero states and compares every stream's outputs.
/// </summary>
/// <remarks>
/// A call is 64 × (64 + 128) × 512 = 6.3 M multiply-adds in the recurrent layer and 64 × 128 × 10 in the Dense layer;
/// its weights are the 384 KB of the LSTM's kernels. Per stream, divide by 64.
/// </remarks>
public class StreamsLstm64x128x10
{
    private const int Streams = Lstm64x128x10Streams.Streams;
    private Lstm64x128x10Streams _model = null!;
    private Lstm64x128x10[] _singles = null!;
    private OnnxPeer _peer = null!;
    private TorchPeer _torch = null!;
    private float[] _inputs = null!;
    private float[] _outputs = null!;

    [GlobalSetup]
    public void GlobalSetup()
    {
        _model = new Lstm64x128x10Streams();
        Setup.RandomizeBiases(_model.Parameters, (64 + 128) * 512, 512);
        _singles = new Lstm64x128x10[Streams];
        for (int s = 0; s < Streams; s++)
        {
            _singles[s] = new Lstm64x128x10();
            _model.Parameters.CopyTo(_singles[s].Parameters);
        }

        _inputs = Setup.Uniform(Streams * 64, seed: 17);
        _outputs = new float[Streams * 10];
        _peer = new OnnxPeer(RecurrentKind.Lstm, 64, 128, 10, steps: 1, streaming: true, _model.Parameters, batch: Streams);
        _inputs.CopyTo(_peer.Input);
        _torch = new TorchPeer(RecurrentKind.Lstm, 64, 128, 10, steps: 1, streaming: true, _model.Parameters, batch: Streams);
        _torch.SetInput(_inputs);
        var alone = new float[_outputs.Length];
        for (int i = 0; i < 3; i++)
        {
            _model.StepStreams(_inputs, _outputs);
            OneByOne(alone);
            _peer.Run();
            _torch.Run();
            Setup.AssertSame(_outputs, alone, "Step per stream", $"64 streams, step {i}");
            Setup.AssertSame(_outputs, _peer.Output, "ONNX Runtime", $"64 streams, step {i}");
            Setup.AssertSame(_outputs, _torch.Output, "TorchSharp", $"64 streams, step {i}");
        }
    }

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        _peer.Dispose();
        _torch.Dispose();
    }

    [Benchmark(Baseline = true, Description = "RnnCompiler StepStreams, 64 streams")]
    public void RnnCompiler() => _model.StepStreams(_inputs, _outputs);

    [Benchmark(Description = "RnnCompiler Step per stream, 64 streams")]
    public void RnnCompilerOneByOne() => OneByOne(_outputs);

    [Benchmark(Description = "ONNX Runtime LSTM, batch 64, one step")]
    public void OnnxRuntime() => _peer.Run();

    [Benchmark(Description = "TorchSharp LSTMCell, batch 64")]
    public void TorchSharp() => _torch.Run();

    private void OneByOne(float[] outputs)
    {
        for (int s = 0; s < Streams; s++)
        {
            _singles[s].Step(_inputs.AsSpan(s * 64, 64), outputs.AsSpan(s * 10, 10));
        }
    }
}
