using System;
using BenchmarkDotNet.Attributes;
using RnnCompiler.Benchmarks.Torch;
using RnnCompiler.Weights;
using static TorchSharp.torch;

namespace RnnCompiler.Benchmarks;

/// <summary>
/// Drawing an LSTM layer's weights, as a model's constructor does (<see cref="WeightInitializer"/>): the orthogonal
/// recurrent kernel [units, 4·units] dominates, a QR decomposition of a normal [4·units, units] matrix in double
/// precision. The peer is PyTorch's <c>nn.init.orthogonal_</c> on a float64 tensor of the same shape (LAPACK's
/// <c>geqrf</c> and <c>orgqr</c> underneath, on TorchSharp's threads).
/// </summary>
/// <remarks>
/// Flops of the QR and of forming the thin Q, for m = 4·units rows and n = units columns: about
/// 2·(2mn² - 2n³/3) = 14.7·units³ (15.7 GFLOP for 1,024 units). <see cref="MachineLimits"/> gives the FMA peak to
/// compare with.
/// </remarks>
public class Construction
{
    private LayerDescriptor[] _layers = [];
    private float[] _parameters = [];
    private Tensor? _peer;

    /// <summary>The LSTM layer's units.</summary>
    [Params(512, 1024)]
    public int Units { get; set; }

    [GlobalSetup]
    public void GlobalSetup()
    {
        var layer = new LayerDescriptor(LayerKind.Lstm, "lstm", "lstm", inputSize: 64, Units, offset: 0);
        _layers = [layer];
        _parameters = new float[layer.ParameterCount];
        TorchLoader.Initialize();
        _peer = empty(Units, 4 * Units, dtype: float64);
    }

    [GlobalCleanup]
    public void GlobalCleanup() => _peer?.Dispose();

    [Benchmark(Baseline = true, Description = "WeightInitializer, LSTM layer")]
    public float Ours()
    {
        WeightInitializer.Initialize<float>(_layers, _parameters, seed: 1);
        return _parameters[0];
    }

    [Benchmark(Description = "TorchSharp nn.init.orthogonal_, float64")]
    public double Peer()
    {
        nn.init.orthogonal_(_peer!);
        return 0;
    }
}
