using System;
using BenchmarkDotNet.Attributes;
using RnnCompiler.Benchmarks.Torch;

namespace RnnCompiler.Benchmarks;

/// <summary>Inputs and the check that a peer computes the same function as the generated model.</summary>
internal static class Setup
{
    /// <summary>Uniform values in [-scale, scale), the same for a given seed.</summary>
    public static float[] Uniform(int count, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        return values;
    }

    /// <summary>Non-zero biases, so that no gate sits at a trivial value.</summary>
    public static void RandomizeBiases(Span<float> parameters, int offset, int count) =>
        Uniform(count, seed: count).CopyTo(parameters.Slice(offset, count));

    /// <summary>Throws unless every output is within 1e-4 (relative above 1) of the peer's.</summary>
    public static void AssertSame(ReadOnlySpan<float> ours, ReadOnlySpan<float> peer, string peerName, string what)
    {
        for (int i = 0; i < ours.Length; i++)
        {
            if (!(Math.Abs(ours[i] - peer[i]) <= 1e-4f * Math.Max(1f, Math.Abs(peer[i]))))
            {
                throw new InvalidOperationException($"{what}: output {i} is {ours[i]} here and {peer[i]} in {peerName}.");
            }
        }
    }
}

/// <summary>
/// One streaming case: the generated model's <c>Step</c> (the baseline), ONNX Runtime's LSTM/GRU + Gemm and PyTorch's
/// (TorchSharp) LSTMCell/GRUCell + Linear on the same weights and input, state carried between calls in all three.
/// Setup runs a few steps in all three and compares the outputs.
/// </summary>
public abstract class StreamingCase<TModel>
    where TModel : class, IFeatureStreamingModel<float>, new()
{
    protected TModel Model = null!;
    protected OnnxPeer Peer = null!;
    protected TorchPeer Torch = null!;
    protected float[] Input = null!;
    protected float[] Output = null!;

    protected abstract RecurrentKind Kind { get; }

    protected abstract int Units { get; }

    [GlobalSetup]
    public void GlobalSetup()
    {
        Model = new TModel();
        var info = Model.Info;
        int features = info.InputWidth;
        int gates = Kind == RecurrentKind.Lstm ? 4 : 3;
        int biasOffset = (features + Units) * gates * Units;
        Setup.RandomizeBiases(Model.Parameters, biasOffset, Kind == RecurrentKind.Lstm ? gates * Units : 2 * gates * Units);
        Input = Setup.Uniform(features, seed: 7);
        Output = new float[info.OutputUnits];
        Peer = new OnnxPeer(Kind, features, Units, info.OutputUnits, steps: 1, streaming: true, Model.Parameters);
        Input.CopyTo(Peer.Input);
        Torch = new TorchPeer(Kind, features, Units, info.OutputUnits, steps: 1, streaming: true, Model.Parameters);
        Torch.SetInput(Input);
        for (int i = 0; i < 5; i++)
        {
            Model.Step(Input, Output);
            Peer.Run();
            Torch.Run();
            Setup.AssertSame(Output, Peer.Output, "ONNX Runtime", $"{typeof(TModel).Name} step {i}");
            Setup.AssertSame(Output, Torch.Output, "TorchSharp", $"{typeof(TModel).Name} step {i}");
        }
    }

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        Peer.Dispose();
        Torch.Dispose();
    }
}

public class StepLstm1x8x1 : StreamingCase<Lstm1x8x1>
{
    protected override RecurrentKind Kind => RecurrentKind.Lstm;

    protected override int Units => 8;

    [Benchmark(Baseline = true, Description = "RnnCompiler Step")]
    public void RnnCompiler() => Model.Step(Input, Output);

    [Benchmark(Description = "ONNX Runtime step")]
    public void OnnxRuntime() => Peer.Run();

    [Benchmark(Description = "TorchSharp step")]
    public void TorchSharp() => Torch.Run();
}

public class StepLstm1x32x1 : StreamingCase<Lstm1x32x1>
{
    protected override RecurrentKind Kind => RecurrentKind.Lstm;

    protected override int Units => 32;

    [Benchmark(Baseline = true, Description = "RnnCompiler Step")]
    public void RnnCompiler() => Model.Step(Input, Output);

    [Benchmark(Description = "ONNX Runtime step")]
    public void OnnxRuntime() => Peer.Run();

    [Benchmark(Description = "TorchSharp step")]
    public void TorchSharp() => Torch.Run();
}

public class StepGru1x32x1 : StreamingCase<Gru1x32x1>
{
    protected override RecurrentKind Kind => RecurrentKind.Gru;

    protected override int Units => 32;

    [Benchmark(Baseline = true, Description = "RnnCompiler Step")]
    public void RnnCompiler() => Model.Step(Input, Output);

    [Benchmark(Description = "ONNX Runtime step")]
    public void OnnxRuntime() => Peer.Run();

    [Benchmark(Description = "TorchSharp step")]
    public void TorchSharp() => Torch.Run();
}

public class StepLstm64x128x10 : StreamingCase<Lstm64x128x10>
{
    protected override RecurrentKind Kind => RecurrentKind.Lstm;

    protected override int Units => 128;

    [Benchmark(Baseline = true, Description = "RnnCompiler Step")]
    public void RnnCompiler() => Model.Step(Input, Output);

    [Benchmark(Description = "ONNX Runtime step")]
    public void OnnxRuntime() => Peer.Run();

    [Benchmark(Description = "TorchSharp step")]
    public void TorchSharp() => Torch.Run();
}

public class StepGru64x128x10 : StreamingCase<Gru64x128x10>
{
    protected override RecurrentKind Kind => RecurrentKind.Gru;

    protected override int Units => 128;

    [Benchmark(Baseline = true, Description = "RnnCompiler Step")]
    public void RnnCompiler() => Model.Step(Input, Output);

    [Benchmark(Description = "ONNX Runtime step")]
    public void OnnxRuntime() => Peer.Run();

    [Benchmark(Description = "TorchSharp step")]
    public void TorchSharp() => Torch.Run();
}

/// <summary>
/// A whole sequence, T = 32, batch 1, LSTM 64 → 128 → Dense 10, from a zero state, against ONNX Runtime and PyTorch's
/// <c>nn.LSTM</c> (TorchSharp), the latter with oneDNN (PyTorch's default on this CPU) and without it.
/// </summary>
public class SequenceLstm64x128x10
{
    private const int Steps = 32;
    private Lstm64x128x10 _model = null!;
    private OnnxPeer _peer = null!;
    private TorchPeer _torch = null!;
    private float[] _inputs = null!;
    private float[] _outputs = null!;

    [GlobalSetup]
    public void GlobalSetup()
    {
        _model = new Lstm64x128x10();
        Setup.RandomizeBiases(_model.Parameters, (64 + 128) * 512, 512);
        _inputs = Setup.Uniform(Steps * Lstm64x128x10.InputFeatures, seed: 11);
        _outputs = new float[Lstm64x128x10.OutputUnits];
        _peer = new OnnxPeer(RecurrentKind.Lstm, 64, 128, 10, Steps, streaming: false, _model.Parameters);
        _inputs.CopyTo(_peer.Input);
        _model.Predict(_inputs, _outputs);
        _peer.Run();
        Setup.AssertSame(_outputs, _peer.Output, "ONNX Runtime", "LSTM 64→128→10, 32 steps");
        _torch = new TorchPeer(RecurrentKind.Lstm, 64, 128, 10, Steps, streaming: false, _model.Parameters);
        _torch.SetInput(_inputs);
        foreach (bool oneDnn in (bool[])[true, false])
        {
            TorchLoader.OneDnnEnabled = oneDnn;
            _torch.Run();
            Setup.AssertSame(_outputs, _torch.Output, oneDnn ? "TorchSharp (oneDNN)" : "TorchSharp (no oneDNN)", "LSTM 64→128→10, 32 steps");
        }

        TorchLoader.OneDnnEnabled = true;
    }

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        _peer.Dispose();
        _torch.Dispose();
        TorchLoader.OneDnnEnabled = true;
    }

    [Benchmark(Baseline = true, Description = "RnnCompiler Predict, T=32")]
    public void RnnCompiler() => _model.Predict(_inputs, _outputs);

    [Benchmark(Description = "ONNX Runtime, T=32")]
    public void OnnxRuntime() => _peer.Run();

    // oneDNN is a process-wide switch, so each method sets it (a native call of a few ns) before its run.
    [Benchmark(Description = "TorchSharp nn.LSTM, T=32, oneDNN on")]
    public void TorchSharpOneDnn()
    {
        TorchLoader.OneDnnEnabled = true;
        _torch.Run();
    }

    [Benchmark(Description = "TorchSharp nn.LSTM, T=32, oneDNN off")]
    public void TorchSharpNoOneDnn()
    {
        TorchLoader.OneDnnEnabled = false;
        _torch.Run();
    }
}

/// <summary>
/// The LSTM 64 → 128 → Dense 10 with bfloat16 weights, with int8 weights, and the same network with float weights (each
/// case's baseline), on the same weights. Setup checks that each agrees with float (1e-2 relative for bfloat16's 8
/// significant bits, 5e-2 for int8) and differs from it (the reduced kernels are really read).
/// </summary>
public abstract class WeightPrecisionCase
{
    protected const int Steps = 32;
    protected Lstm64x128x10 Float = null!;
    protected Lstm64x128x10Bf16 Bf16 = null!;
    protected Lstm64x128x10Int8 Int8 = null!;
    protected float[] Inputs = null!;
    protected float[] FloatOutputs = null!;
    protected float[] Bf16Outputs = null!;
    protected float[] Int8Outputs = null!;

    [GlobalSetup]
    public void GlobalSetup()
    {
        Float = new Lstm64x128x10();
        Bf16 = new Lstm64x128x10Bf16();
        Int8 = new Lstm64x128x10Int8();
        Setup.RandomizeBiases(Float.Parameters, (64 + 128) * 512, 512);
        Float.Parameters.CopyTo(Bf16.Parameters);
        Float.Parameters.CopyTo(Int8.Parameters);
        Bf16.RefreshBFloat16Weights();
        Int8.RefreshInt8Weights();
        Inputs = Setup.Uniform(Steps * Lstm64x128x10.InputFeatures, seed: 11);
        FloatOutputs = new float[Lstm64x128x10.OutputUnits];
        Bf16Outputs = new float[Lstm64x128x10.OutputUnits];
        Int8Outputs = new float[Lstm64x128x10.OutputUnits];
        Float.Predict(Inputs, FloatOutputs);
        Bf16.Predict(Inputs, Bf16Outputs);
        Int8.Predict(Inputs, Int8Outputs);
        Check("bfloat16", Bf16Outputs, 1e-2);
        Check("int8", Int8Outputs, 5e-2);
    }

    private void Check(string precision, float[] outputs, double bound)
    {
        double difference = 0, scale = 0;
        for (int i = 0; i < FloatOutputs.Length; i++)
        {
            difference = Math.Max(difference, Math.Abs(outputs[i] - FloatOutputs[i]));
            scale = Math.Max(scale, Math.Abs(FloatOutputs[i]));
        }

        if (!(difference / scale <= bound) || difference == 0)
        {
            throw new InvalidOperationException($"{precision} LSTM 64→128→10: relative error {difference / scale} against float.");
        }
    }
}

/// <summary>One streaming step of LSTM 64 → 128 → Dense 10: bfloat16 and int8 weights against float weights.</summary>
public class StepLstm64x128x10Precision : WeightPrecisionCase
{
    [Benchmark(Baseline = true, Description = "Step, float weights")]
    public void StepFloat() => Float.Step(Inputs.AsSpan(0, Lstm64x128x10.InputFeatures), FloatOutputs);

    [Benchmark(Description = "Step, bfloat16 weights")]
    public void StepBf16() => Bf16.Step(Inputs.AsSpan(0, Lstm64x128x10.InputFeatures), Bf16Outputs);

    [Benchmark(Description = "Step, int8 weights")]
    public void StepInt8() => Int8.Step(Inputs.AsSpan(0, Lstm64x128x10.InputFeatures), Int8Outputs);
}

/// <summary>A whole T = 32 sequence of LSTM 64 → 128 → Dense 10: bfloat16 and int8 weights against float weights.</summary>
public class SequenceLstm64x128x10Precision : WeightPrecisionCase
{
    [Benchmark(Baseline = true, Description = "Predict T=32, float weights")]
    public void SequenceFloat() => Float.Predict(Inputs, FloatOutputs);

    [Benchmark(Description = "Predict T=32, bfloat16 weights")]
    public void SequenceBf16() => Bf16.Predict(Inputs, Bf16Outputs);

    [Benchmark(Description = "Predict T=32, int8 weights")]
    public void SequenceInt8() => Int8.Predict(Inputs, Int8Outputs);
}
