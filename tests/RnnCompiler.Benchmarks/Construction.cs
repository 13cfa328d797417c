using System;
using BenchmarkDotNet.Attributes;
using RnnCompiler.Benchmarks.Torch;
using RnnCompiler.Weights;
using static TorchSharp.torch;

namespace RnnCompiler.Benchmarks;

/// <summary>
/// Drawing an LSTM layer's weights, as a model's constructor does (<see cref="WeightInitializer"/>): the orthogonal
/// recurrent kernel [units, 4·units] dominates, the 4·units² normal draws and a Cholesky QR of the normal
/// [4·units, units] matrix in double precision. The peer is PyTorch's <c>nn.init.orthogonal_</c> on a float64 tensor of
/// the same shape (LAPACK's <c>geqrf</c> and <c>orgqr</c> underneath, on TorchSharp's threads).
/// </summary>
/// <remarks>
/// Multiply-adds of the Cholesky QR for m = 4·units rows and n = units columns: mn²/2 for the Gram matrix's upper
/// triangle, n³/6 for its Cholesky factor and mn²/2 for the substitution, 4.17·units³ in all (4.47 G for 1,024 units).
/// The Householder QR the peer runs takes about 2mn² - 2n³/3 for the factorization and as much again for Q, 7.3·units³.
/// <see cref="MachineLimits"/> gives the FMA peak to compare with (in float; double is half of it).
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
