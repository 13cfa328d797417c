using System;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using RnnCompiler.Weights;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>
/// The orthogonal initializer's QRs (the internal HouseholderQr and CholeskyQr, reached by reflection as other tests
/// reach internals): against classical Gram-Schmidt on the same normal draws, orthonormality, the sign convention on
/// matrices whose QR is known, Cholesky QR against Householder QR and its refusals, and the same bits with or without
/// threads and on every vector path.
/// </summary>
public class OrthogonalInitializerTests
{
    private static readonly Action<double[], int, int, bool> ReplaceWithQ =
        typeof(WeightInitializer).Assembly.GetType("RnnCompiler.Weights.HouseholderQr", throwOnError: true)!
            .GetMethod("ReplaceWithQ", BindingFlags.NonPublic | BindingFlags.Static)!
            .CreateDelegate<Action<double[], int, int, bool>>();

    private static readonly Func<double[], int, int, bool, bool> TryCholeskyQ =
        typeof(WeightInitializer).Assembly.GetType("RnnCompiler.Weights.CholeskyQr", throwOnError: true)!
            .GetMethod("TryReplaceWithQ", BindingFlags.NonPublic | BindingFlags.Static)!
            .CreateDelegate<Func<double[], int, int, bool, bool>>();

    [Theory]
    [InlineData(LayerKind.Lstm, 3, 40)]
    [InlineData(LayerKind.Lstm, 5, 70)]
    [InlineData(LayerKind.Gru, 2, 33)]
    [InlineData(LayerKind.SimpleRnn, 4, 37)]
    [InlineData(LayerKind.Lstm, 1, 1)]
    public void Recurrent_kernel_is_Gram_Schmidt_of_the_same_normal_draws(LayerKind kind, int inputSize, int units)
    {
        var layer = new LayerDescriptor(kind, "rnn", "rnn", inputSize, units, offset: 0);
        var parameters = new double[layer.ParameterCount];
        const int seed = 12345;
        WeightInitializer.Initialize<double>(new[] { layer }, parameters, seed);
        var random = new TestSplitMix64(unchecked((ulong)(uint)seed * 0x9E3779B97F4A7C15UL + 0x2545F4914F6CDD1DUL));
        AssertGramSchmidtOfTheDraws(layer, parameters, ref random);
    }

    [Fact]
    public void Stacked_layers_draw_on_one_stream()
    {
        // The GRU's normal matrix has an odd count (3·33² values), so the LSTM's starts with the spare of a Box-Muller
        // pair; the LSTM's 67,600 normals are drawn in two chunks at once.
        var gru = new LayerDescriptor(LayerKind.Gru, "gru", "gru", 2, 33, offset: 0);
        var lstm = new LayerDescriptor(LayerKind.Lstm, "lstm", "lstm", 33, 130, offset: gru.ParameterCount);
        var parameters = new double[gru.ParameterCount + lstm.ParameterCount];
        const int seed = 8;
        WeightInitializer.Initialize<double>(new[] { gru, lstm }, parameters, seed);
        var random = new TestSplitMix64(unchecked((ulong)(uint)seed * 0x9E3779B97F4A7C15UL + 0x2545F4914F6CDD1DUL));
        AssertGramSchmidtOfTheDraws(gru, parameters, ref random);
        AssertGramSchmidtOfTheDraws(lstm, parameters, ref random);
    }

    /// <summary>
    /// Takes the layer's draws from <paramref name="random"/> (SplitMix64 + Box-Muller, as WeightInitializer documents):
    /// the kernel's uniforms, then the normal [gates·units, units] matrix column by column; and requires the recurrent
    /// kernel to be its Q by classical Gram-Schmidt, twice orthogonalized, transposed: Keras's Orthogonal() for that matrix.
    /// </summary>
    private static void AssertGramSchmidtOfTheDraws(LayerDescriptor layer, double[] parameters, ref TestSplitMix64 random)
    {
        TensorDescriptor kernel = layer.Tensors.Single(t => t.Role == TensorRole.Kernel);
        TensorDescriptor recurrent = layer.Tensors.Single(t => t.Role == TensorRole.RecurrentKernel);
        Assert.True(kernel.Offset < recurrent.Offset);
        int rows = recurrent.Shape[0];
        int columns = recurrent.Shape[1];
        Assert.True(rows <= columns);
        for (int i = 0; i < kernel.Length; i++)
        {
            random.Next();
        }

        var q = new double[rows][];
        for (int k = 0; k < rows; k++)
        {
            q[k] = new double[columns];
            for (int i = 0; i < columns; i++)
            {
                q[k][i] = random.NextNormal();
            }
        }

        ClassicalGramSchmidt(q);
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                double actual = parameters[recurrent.Offset + r * columns + c];
                Assert.True(Math.Abs(actual - q[r][c]) <= 1e-10, $"{layer.Name}: U[{r}, {c}] = {actual}, Gram-Schmidt gives {q[r][c]}.");
            }
        }
    }

    [Theory]
    [InlineData(300, 70)]   // tall, three panels, the last narrower than a panel
    [InlineData(97, 97)]    // square
    [InlineData(500, 3)]    // much taller than wide
    [InlineData(64, 1)]     // one column
    [InlineData(130, 128)]  // nearly square, four whole panels
    public void Q_has_orthonormal_columns(int m, int n)
    {
        double[] a = Gaussian(m, n, seed: (ulong)(m * 1000 + n));
        ReplaceWithQ(a, m, n, true);
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                double dot = 0;
                for (int r = 0; r < m; r++)
                {
                    dot += a[i * m + r] * a[j * m + r];
                }

                double expected = i == j ? 1 : 0;
                Assert.True(Math.Abs(dot - expected) <= 1e-12, $"{m}×{n}: (QᵀQ)[{i}, {j}] = {dot}.");
            }
        }
    }

    [Fact]
    public void Minus_the_identity_gives_minus_the_identity()
    {
        // -I = (-I)·I: the only QR with R's diagonal positive has Q = -I, though a Householder step gives R's diagonal negative signs.
        const int n = 45;
        var a = new double[n * n];
        for (int k = 0; k < n; k++)
        {
            a[k * n + k] = -1;
        }

        ReplaceWithQ(a, n, n, false);
        for (int c = 0; c < n; c++)
        {
            for (int r = 0; r < n; r++)
            {
                Assert.Equal(r == c ? -1.0 : 0.0, a[c * n + r], 15);
            }
        }
    }

    [Theory]
    [InlineData(120, 50)]
    [InlineData(64, 64)]
    public void A_product_of_known_Q_and_positive_R_gives_back_that_Q(int m, int n)
    {
        // Q0: the first n columns of the orthonormal DCT-II matrix, with every third column negated; R0 upper
        // triangular with a positive diagonal and well conditioned. A = Q0·R0 has Q0 as its QR's Q.
        (double[] a, double[] q0) = KnownProduct(m, n);
        ReplaceWithQ(a, m, n, false);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.True(Math.Abs(a[i] - q0[i]) <= 1e-12, $"Q[{i % m}, {i / m}] = {a[i]}, expected {q0[i]}.");
        }
    }

    [Fact]
    public void Threads_do_not_change_a_bit()
    {
        // Large enough that the trailing updates go parallel (several chunks of columns, enough work per update).
        const int m = 1200, n = 300;
        double[] serial = Gaussian(m, n, seed: 3);
        double[] parallel = (double[])serial.Clone();
        ReplaceWithQ(serial, m, n, false);
        ReplaceWithQ(parallel, m, n, true);
        Assert.True(serial.AsSpan().SequenceEqual(parallel), "The parallel Q differs from the serial one.");

        var layer = new LayerDescriptor(LayerKind.Lstm, "lstm", "lstm", 8, 160, offset: 0);
        var first = new float[layer.ParameterCount];
        var second = new float[layer.ParameterCount];
        WeightInitializer.Initialize<float>(new[] { layer }, first, 21);
        WeightInitializer.Initialize<float>(new[] { layer }, second, 21);
        Assert.True(first.AsSpan().SequenceEqual(second));
    }

    [Fact]
    public void Every_vector_path_gives_the_same_bits()
    {
        // Every sum runs in eight lanes with fused products whatever the hardware, so this hash of Q's bits is the
        // same with Vector512, Vector256, Vector128 or none (CI runs the tests again with each switched off).
        const int m = 203, n = 77;
        double[] a = Gaussian(m, n, seed: 11);
        ReplaceWithQ(a, m, n, false);
        string hash = Convert.ToHexString(SHA256.HashData(MemoryMarshal.AsBytes(a.AsSpan())));
        Assert.True(hash == ExpectedHash, $"SHA-256 of Q: {hash}, expected {ExpectedHash}.");
    }

    [Theory]
    [InlineData(300, 70)]    // taller than twice as wide; columns not a multiple of the 32-column blocks
    [InlineData(203, 77)]    // rows not a multiple of eight
    [InlineData(512, 128)]   // an LSTM's [4·units, units]
    [InlineData(99, 33)]     // a GRU's [3·units, units]
    [InlineData(64, 1)]
    public void Cholesky_QR_gives_the_Householder_Q_with_orthonormal_columns(int m, int n)
    {
        double[] householder = Gaussian(m, n, seed: (ulong)(m * 7 + n));
        double[] cholesky = (double[])householder.Clone();
        ReplaceWithQ(householder, m, n, false);
        Assert.True(TryCholeskyQ(cholesky, m, n, false), $"Cholesky QR refused a normal {m}×{n} matrix.");
        for (int i = 0; i < cholesky.Length; i++)
        {
            Assert.True(Math.Abs(cholesky[i] - householder[i]) <= 1e-12, $"Q[{i % m}, {i / m}]: Cholesky {cholesky[i]}, Householder {householder[i]}.");
        }

        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                double dot = 0;
                for (int r = 0; r < m; r++)
                {
                    dot += cholesky[i * m + r] * cholesky[j * m + r];
                }

                Assert.True(Math.Abs(dot - (i == j ? 1 : 0)) <= 1e-12, $"{m}×{n}: (QᵀQ)[{i}, {j}] = {dot}.");
            }
        }
    }

    [Theory]
    [InlineData(160, 60)]
    [InlineData(64, 32)]
    public void Cholesky_QR_of_a_product_of_known_Q_and_positive_R_gives_back_that_Q(int m, int n)
    {
        // As for the Householder QR below: Q0 from the DCT-II with every third column negated, R0 well conditioned.
        (double[] a, double[] q0) = KnownProduct(m, n);
        Assert.True(TryCholeskyQ(a, m, n, false));
        for (int i = 0; i < a.Length; i++)
        {
            Assert.True(Math.Abs(a[i] - q0[i]) <= 1e-12, $"Q[{i % m}, {i / m}] = {a[i]}, expected {q0[i]}.");
        }
    }

    [Theory]
    [InlineData(0.0)]      // a column equal to another: rank deficient, a zero pivot
    [InlineData(1e-3)]     // a column nearly equal to another: R's diagonal spans more than 100
    public void Cholesky_QR_refuses_an_ill_conditioned_matrix_and_leaves_it_untouched(double difference)
    {
        const int m = 120, n = 40;
        double[] a = Gaussian(m, n, seed: 17);
        var other = new TestSplitMix64(99);
        for (int r = 0; r < m; r++)
        {
            a[25 * m + r] = a[10 * m + r] + difference * other.NextNormal();
        }

        double[] before = (double[])a.Clone();
        Assert.False(TryCholeskyQ(a, m, n, false));
        Assert.True(before.AsSpan().SequenceEqual(a), "A refused matrix was changed.");
    }

    [Fact]
    public void Cholesky_QR_threads_do_not_change_a_bit()
    {
        // Large enough for the Gram tiles, the factor's column halves and the substitution's row chunks to go parallel.
        const int m = 1200, n = 300;
        double[] serial = Gaussian(m, n, seed: 4);
        double[] parallel = (double[])serial.Clone();
        Assert.True(TryCholeskyQ(serial, m, n, false));
        Assert.True(TryCholeskyQ(parallel, m, n, true));
        Assert.True(serial.AsSpan().SequenceEqual(parallel), "The parallel Q differs from the serial one.");
    }

    [Fact]
    public void Cholesky_QR_gives_the_same_bits_on_every_vector_path()
    {
        // As for the Householder QR: every dot product in eight lanes, every other sum term by term with fused products.
        const int m = 203, n = 77;
        double[] a = Gaussian(m, n, seed: 11);
        Assert.True(TryCholeskyQ(a, m, n, false));
        string hash = Convert.ToHexString(SHA256.HashData(MemoryMarshal.AsBytes(a.AsSpan())));
        Assert.True(hash == ExpectedCholeskyHash, $"SHA-256 of Q: {hash}, expected {ExpectedCholeskyHash}.");
    }

    private const string ExpectedCholeskyHash = "7BF21094687F2C7AD728898AD9188520F0CFC4F7685D3B66874596C5C649B229";

    private const string ExpectedHash = "11AB5472EAC367DE645628528CD4A310470E24C06A93F232CFF14D0D8BE9AEAD";

    /// <summary>A = Q0·R0 with Q0 orthonormal (DCT-II columns, every third negated) and R0 upper triangular, positive diagonal.</summary>
    private static (double[] A, double[] Q0) KnownProduct(int m, int n)
    {
        var q0 = new double[m * n];
        for (int c = 0; c < n; c++)
        {
            double scale = Math.Sqrt((c == 0 ? 1.0 : 2.0) / m) * (c % 3 == 2 ? -1 : 1);
            for (int r = 0; r < m; r++)
            {
                q0[c * m + r] = scale * Math.Cos(Math.PI * (r + 0.5) * c / m);
            }
        }

        var random = new TestSplitMix64(7);
        var r0 = new double[n * n];
        for (int c = 0; c < n; c++)
        {
            r0[c * n + c] = 1 + random.NextDouble();
            for (int r = 0; r < c; r++)
            {
                r0[c * n + r] = (random.NextDouble() - 0.5) / n;
            }
        }

        var a = new double[m * n];
        for (int c = 0; c < n; c++)
        {
            for (int k = 0; k <= c; k++)
            {
                for (int r = 0; r < m; r++)
                {
                    a[c * m + r] += q0[k * m + r] * r0[c * n + k];
                }
            }
        }

        return (a, q0);
    }

    /// <summary>Classical Gram-Schmidt, each vector orthogonalized twice against the finished ones, then normalized.</summary>
    private static void ClassicalGramSchmidt(double[][] q)
    {
        for (int k = 0; k < q.Length; k++)
        {
            double[] v = q[k];
            for (int pass = 0; pass < 2; pass++)
            {
                var dots = new double[k];
                for (int p = 0; p < k; p++)
                {
                    dots[p] = q[p].Zip(v, (x, y) => x * y).Sum();
                }

                for (int p = 0; p < k; p++)
                {
                    for (int i = 0; i < v.Length; i++)
                    {
                        v[i] -= dots[p] * q[p][i];
                    }
                }
            }

            double norm = Math.Sqrt(v.Sum(x => x * x));
            for (int i = 0; i < v.Length; i++)
            {
                v[i] /= norm;
            }
        }
    }

    private static double[] Gaussian(int m, int n, ulong seed)
    {
        var random = new TestSplitMix64(seed);
        var a = new double[m * n];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = random.NextNormal();
        }

        return a;
    }

    /// <summary>SplitMix64 and Box-Muller as WeightInitializer draws them, written out again here.</summary>
    private struct TestSplitMix64(ulong state)
    {
        private ulong _state = state;
        private double? _spare;

        public ulong Next()
        {
            ulong z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

        public double NextNormal()
        {
            if (_spare is double spare)
            {
                _spare = null;
                return spare;
            }

            double u1 = 1.0 - NextDouble();
            double u2 = NextDouble();
            double radius = Math.Sqrt(-2.0 * Math.Log(u1));
            _spare = radius * Math.Sin(2 * Math.PI * u2);
            return radius * Math.Cos(2 * Math.PI * u2);
        }
    }
}
