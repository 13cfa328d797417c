using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Threading.Tasks;
using RnnCompiler.Kernels;

namespace RnnCompiler.Weights;

/// <summary>
/// The thin Q of a QR decomposition with R's diagonal positive, as LAPACK computes it (<c>dgeqrf</c> then
/// <c>dorgqr</c>): blocked Householder reflectors in compact WY form, <c>H = I - V·T·Vᵀ</c>, so almost all the work is
/// matrix-matrix products. The orthogonal initializer's QR.
/// </summary>
/// <remarks>
/// <para>
/// The matrix is one column-major buffer (column j at <c>a[j·m]</c>). Factoring walks panels of
/// <see cref="PanelColumns"/> columns: each panel is factored recursively (halves down to <see cref="LeafColumns"/>
/// columns, the leaves reflector by reflector), then its block reflector is applied to the trailing columns. Q is formed
/// in place by applying the block reflectors backward to <c>[I; 0]</c>, and column k is negated where R's k-th diagonal
/// entry is negative: the QR decomposition with a positive diagonal is unique, so this is the Q that modified
/// Gram-Schmidt, LAPACK or Keras's <c>Orthogonal</c> give for the same matrix, up to rounding.
/// </para>
/// <para>
/// Deterministic: a block reflector is applied to the trailing columns in chunks of <see cref="ChunkColumns"/> whose
/// bounds depend only on the shape, each chunk is computed whole by one thread, and every element's sum runs in a
/// fixed order, so the result does not depend on how many threads take part. Every sum runs in eight lanes
/// (<see cref="ILanes8{TSelf}"/>) with fused products, so the AVX-512, AVX2, NEON and scalar paths give the same bits too.
/// </para>
/// </remarks>
internal static partial class HouseholderQr
{
    /// <summary>Columns per outer panel: the inner dimension of the trailing update's products.</summary>
    private const int PanelColumns = 32;

    /// <summary>A panel this narrow is factored one reflector at a time.</summary>
    private const int LeafColumns = 8;

    /// <summary>Trailing columns one work item updates; fixed, so the partition is the same for any thread count.</summary>
    private const int ChunkColumns = 32;

    /// <summary>Rows of Vᵀ·C summed before the lanes are reduced, so a block of V stays in the L2 cache.</summary>
    private const int RowBlock = 512;

    /// <summary>Work (multiply-adds) below which a block update stays on the calling thread.</summary>
    private const long ParallelWork = 1L << 20;

    /// <summary>
    /// Overwrites the column-major m×n matrix <paramref name="a"/> (m ≥ n ≥ 1) with the thin Q of its QR
    /// decomposition, the signs chosen so R's diagonal is positive.
    /// </summary>
    /// <param name="a">m·n values, column j at <c>a[j·m]</c>.</param>
    /// <param name="m">Rows.</param>
    /// <param name="n">Columns, at most <paramref name="m"/>.</param>
    /// <param name="parallel">Whether large block updates may run on several threads; the result is the same either way.</param>
    internal static void ReplaceWithQ(double[] a, int m, int n, bool parallel)
    {
        if (n < 1 || m < n || a.Length < (long)m * n)
        {
            throw new ArgumentException($"Expected an m×n matrix with m ≥ n ≥ 1 in {a.Length} values; got {m}×{n}.");
        }

        if (VectorPaths.Use512)
        {
            Run<Lanes512, Vector512<double>>(a, m, n, parallel);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Run<Lanes256, Lanes256>(a, m, n, parallel);
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            Run<Lanes128, Lanes128>(a, m, n, parallel);
        }
        else
        {
            Run<LanesScalar, LanesScalar>(a, m, n, parallel);
        }
    }

    private static void Run<TL, TV>(double[] a, int m, int n, bool parallel)
        where TL : struct, ILanes8<TV>
        where TV : struct
    {
        var tau = new double[n];
        var diagonal = new double[n];
        int panels = (n + PanelColumns - 1) / PanelColumns;
        var blockT = new double[panels * PanelColumns * PanelColumns];
        var v = new double[m * Math.Min(n, PanelColumns)];
        var leafT = new double[PanelColumns * PanelColumns];

        // A = Q·R: factor each panel, then apply its block reflector's transpose, Hᵀ = I - V·Tᵀ·Vᵀ, to the columns right of it.
        for (int panel = 0; panel < panels; panel++)
        {
            int j = panel * PanelColumns;
            int width = Math.Min(PanelColumns, n - j);
            Factor<TL, TV>(a, m, j, width, tau, diagonal, v, leafT);
            int tOffset = panel * PanelColumns * PanelColumns;
            Pack(a, m, j, width, v);
            FormT<TL, TV>(v, m - j, width, tau.AsSpan(j, width), blockT.AsSpan(tOffset, width * width));
            ApplyBlock<TL, TV>(v, m - j, width, blockT, tOffset, transpose: true, a, m, j, j + width, n, parallel);
        }

        // Q = H1·H2·…·[I; 0]: the block reflectors applied backward. Columns right of a panel already hold their part of
        // Q (zero above the panel's first row); the panel's own columns start as the identity's.
        for (int panel = panels - 1; panel >= 0; panel--)
        {
            int j = panel * PanelColumns;
            int width = Math.Min(PanelColumns, n - j);
            Pack(a, m, j, width, v);
            for (int p = 0; p < width; p++)
            {
                Span<double> column = a.AsSpan((j + p) * m, m);
                column.Clear();
                column[j + p] = 1;
            }

            ApplyBlock<TL, TV>(v, m - j, width, blockT, panel * PanelColumns * PanelColumns, transpose: false, a, m, j, j, n, parallel);
        }

        // R's diagonal positive: Q·diag(sign) and diag(sign)·R are the same product.
        for (int k = 0; k < n; k++)
        {
            if (diagonal[k] < 0)
            {
                Span<double> column = a.AsSpan(k * m, m);
                for (int i = 0; i < column.Length; i++)
                {
                    column[i] = -column[i];
                }
            }
        }
    }

    /// <summary>
    /// Factors columns [j, j + width) of <paramref name="a"/>, rows j onward, which earlier reflectors have already been
    /// applied to: the reflectors' vectors go below the diagonal (unit first entry implied), R's diagonal to
    /// <paramref name="diagonal"/>.
    /// </summary>
    private static void Factor<TL, TV>(double[] a, int m, int j, int width, double[] tau, double[] diagonal, double[] v, double[] t)
        where TL : struct, ILanes8<TV>
        where TV : struct
    {
        if (width <= LeafColumns)
        {
            FactorLeaf<TL, TV>(a, m, j, width, tau, diagonal);
            return;
        }

        int left = (width / 2 + LeafColumns - 1) / LeafColumns * LeafColumns;
        Factor<TL, TV>(a, m, j, left, tau, diagonal, v, t);
        Pack(a, m, j, left, v);
        FormT<TL, TV>(v, m - j, left, tau.AsSpan(j, left), t.AsSpan(0, left * left));
        ApplyBlock<TL, TV>(v, m - j, left, t, 0, transpose: true, a, m, j, j + left, j + width, parallel: false);
        Factor<TL, TV>(a, m, j + left, width - left, tau, diagonal, v, t);
    }

    /// <summary>LAPACK's <c>dgeqr2</c>: one reflector per column (<c>dlarfg</c>), each applied to the rest of the panel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FactorLeaf<TL, TV>(double[] a, int m, int j, int width, double[] tau, double[] diagonal)
        where TL : struct, ILanes8<TV>
        where TV : struct
    {
        for (int k = j; k < j + width; k++)
        {
            int length = m - k;
            Span<double> x = a.AsSpan(k * m + k, length);
            double alpha = x[0];
            double tail = length > 1 ? Dot<TL, TV>(ref x[1], ref x[1], length - 1) : 0;
            double beta = alpha;
            double tauK = 0;
            if (tail != 0)
            {
                // H = I - τ·v·vᵀ with v = [1; x/(α-β)] maps x to [β; 0], β = -sign(α)·‖x‖ (no cancellation in α-β).
                beta = -Math.CopySign(Math.Sqrt(alpha * alpha + tail), alpha);
                tauK = (beta - alpha) / beta;
                double scale = 1 / (alpha - beta);
                for (int i = 1; i < length; i++)
                {
                    x[i] *= scale;
                }
            }

            tau[k] = tauK;
            diagonal[k] = beta;
            x[0] = 1;
            for (int c = k + 1; c < j + width; c++)
            {
                Span<double> y = a.AsSpan(c * m + k, length);
                double factor = -(tauK * Dot<TL, TV>(ref x[0], ref y[0], length));
                int i = 0;
                for (; i + 8 <= length; i += 8)
                {
                    TL.Store(TL.MultiplyAdd(TL.Load(ref x[i]), TL.Broadcast(factor), TL.Load(ref y[i])), ref y[i]);
                }

                for (; i < length; i++)
                {
                    y[i] = Math.FusedMultiplyAdd(x[i], factor, y[i]);
                }
            }

            x[0] = beta;
        }
    }

    /// <summary>
    /// Copies the reflector vectors of columns [j, j + width), rows j onward, into <paramref name="v"/> as an explicit
    /// (m - j)×width column-major matrix: zeros above the diagonal, ones on it.
    /// </summary>
    private static void Pack(double[] a, int m, int j, int width, double[] v)
    {
        int rows = m - j;
        for (int p = 0; p < width; p++)
        {
            Span<double> target = v.AsSpan(p * rows, rows);
            target.Slice(0, p).Clear();
            target[p] = 1;
            a.AsSpan((j + p) * m + j + p + 1, rows - p - 1).CopyTo(target.Slice(p + 1));
        }
    }

    /// <summary>
    /// LAPACK's <c>dlarft</c> (forward, column-wise): the upper triangular T with H1·H2·…·Hk = I - V·T·Vᵀ, from
    /// G = Vᵀ·V. <paramref name="t"/> is column-major k×k.
    /// </summary>
    private static void FormT<TL, TV>(double[] v, int rows, int k, ReadOnlySpan<double> tau, Span<double> t)
        where TL : struct, ILanes8<TV>
        where TV : struct
    {
        Span<double> g = stackalloc double[k * k];
        g.Clear();
        DotBlock<TL, TV>(ref v[0], rows, k, ref v[0], rows, k, rows, g);
        t.Clear();
        Span<double> z = stackalloc double[k];
        for (int i = 0; i < k; i++)
        {
            // T[0:i, i] = -τi · T[0:i, 0:i] · (Vᵀ·v_i)[0:i]
            for (int p = 0; p < i; p++)
            {
                z[p] = -tau[i] * g[i * k + p];
            }

            for (int p = 0; p < i; p++)
            {
                double sum = 0;
                for (int q = p; q < i; q++)
                {
                    sum += t[q * k + p] * z[q];
                }

                t[i * k + p] = sum;
            }

            t[i * k + i] = tau[i];
        }
    }

    /// <summary>
    /// C = (I - V·op(T)·Vᵀ)·C for C = rows [row0, m) of columns [column0, column1) of <paramref name="a"/>, op(T) = Tᵀ
    /// when <paramref name="transpose"/>: W = Vᵀ·C, W = op(T)·W, C -= V·W, chunk by chunk of columns.
    /// </summary>
    private static void ApplyBlock<TL, TV>(double[] v, int rows, int k, double[] t, int tOffset, bool transpose, double[] a, int m, int row0, int column0, int column1, bool parallel)
        where TL : struct, ILanes8<TV>
        where TV : struct
    {
        int count = column1 - column0;
        if (count <= 0)
        {
            return;
        }

        int chunks = (count + ChunkColumns - 1) / ChunkColumns;
        if (parallel && chunks > 1 && (long)rows * k * count >= ParallelWork)
        {
            Parallel.For(0, chunks, chunk => ApplyChunk<TL, TV>(v, rows, k, t, tOffset, transpose, a, m, row0, column0, column1, chunk));
        }
        else
        {
            for (int chunk = 0; chunk < chunks; chunk++)
            {
                ApplyChunk<TL, TV>(v, rows, k, t, tOffset, transpose, a, m, row0, column0, column1, chunk);
            }
        }
    }

    private static void ApplyChunk<TL, TV>(double[] v, int rows, int k, double[] t, int tOffset, bool transpose, double[] a, int m, int row0, int column0, int column1, int chunk)
        where TL : struct, ILanes8<TV>
        where TV : struct
    {
        int first = column0 + chunk * ChunkColumns;
        int columns = Math.Min(ChunkColumns, column1 - first);
        Span<double> w = stackalloc double[k * columns];
        w.Clear();
        ref double c = ref a[first * m + row0];
        DotBlock<TL, TV>(ref v[0], rows, k, ref c, m, columns, rows, w);
        ReadOnlySpan<double> tk = t.AsSpan(tOffset, k * k);
        for (int column = 0; column < columns; column++)
        {
            Span<double> x = w.Slice(column * k, k);
            if (transpose)
            {
                // x = Tᵀ·x, T upper triangular: x[p] = Σ_{q ≤ p} T[q, p]·x[q], from the last entry up.
                for (int p = k - 1; p >= 0; p--)
                {
                    double sum = 0;
                    for (int q = 0; q <= p; q++)
                    {
                        sum += tk[p * k + q] * x[q];
                    }

                    x[p] = sum;
                }
            }
            else
            {
                // x = T·x: x[p] = Σ_{q ≥ p} T[p, q]·x[q], from the first entry down.
                for (int p = 0; p < k; p++)
                {
                    double sum = 0;
                    for (int q = p; q < k; q++)
                    {
                        sum += tk[q * k + p] * x[q];
                    }

                    x[p] = sum;
                }
            }
        }

        // C -= V·W as C += V·(-W): negating W is exact, and spares a negation per product.
        for (int i = 0; i < w.Length; i++)
        {
            w[i] = -w[i];
        }

        AddProduct<TL, TV>(ref v[0], rows, k, ref c, m, columns, rows, w);
    }

    /// <summary>
    /// W[p, c] += Σ_i V[i, p]·C[i, c] for a rows×k V and a rows×columns C (column-major, strides given), W column-major
    /// k×columns. Each entry's sum is the same whichever path computes it: eight lanes per row block of
    /// <see cref="RowBlock"/>, reduced in a fixed order, the blocks added in turn.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void DotBlock<TL, TV>(ref double v, int vStride, int k, ref double c, int cStride, int columns, int rows, Span<double> w)
        where TL : struct, ILanes8<TV>
        where TV : struct
    {
        for (int start = 0; start < rows; start += RowBlock)
        {
            int length = Math.Min(RowBlock, rows - start);
            int column = 0;
            for (; column + 4 <= columns; column += 4)
            {
                ref double c0 = ref Unsafe.Add(ref c, column * cStride + start);
                int p = 0;
                for (; p + 4 <= k; p += 4)
                {
                    Dot4x4<TL, TV>(ref Unsafe.Add(ref v, p * vStride + start), vStride, ref c0, cStride, length, w, p, column, k);
                }

                for (; p < k; p++)
                {
                    for (int j = 0; j < 4; j++)
                    {
                        w[(column + j) * k + p] += DotRowBlock<TL, TV>(ref Unsafe.Add(ref v, p * vStride + start), ref Unsafe.Add(ref c0, j * cStride), length);
                    }
                }
            }

            for (; column < columns; column++)
            {
                ref double c0 = ref Unsafe.Add(ref c, column * cStride + start);
                for (int p = 0; p < k; p++)
                {
                    w[column * k + p] += DotRowBlock<TL, TV>(ref Unsafe.Add(ref v, p * vStride + start), ref c0, length);
                }
            }
        }
    }

    /// <summary>Sixteen entries of <see cref="DotBlock{TL, TV}"/> at once: V columns p..p+3 against C columns column..column+3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4x4<TL, TV>(ref double v, int vStride, ref double c, int cStride, int length, Span<double> w, int p, int column, int k)
        where TL : struct, ILanes8<TV>
        where TV : struct
    {
        TV a00 = TL.Zero, a01 = TL.Zero, a02 = TL.Zero, a03 = TL.Zero;
        TV a10 = TL.Zero, a11 = TL.Zero, a12 = TL.Zero, a13 = TL.Zero;
        TV a20 = TL.Zero, a21 = TL.Zero, a22 = TL.Zero, a23 = TL.Zero;
        TV a30 = TL.Zero, a31 = TL.Zero, a32 = TL.Zero, a33 = TL.Zero;
        ref double v1 = ref Unsafe.Add(ref v, vStride);
        ref double v2 = ref Unsafe.Add(ref v, 2 * vStride);
        ref double v3 = ref Unsafe.Add(ref v, 3 * vStride);
        ref double c1 = ref Unsafe.Add(ref c, cStride);
        ref double c2 = ref Unsafe.Add(ref c, 2 * cStride);
        ref double c3 = ref Unsafe.Add(ref c, 3 * cStride);
        int full = length & ~7;
        for (int i = 0; i < full; i += 8)
        {
            TV x0 = TL.Load(ref Unsafe.Add(ref v, i));
            TV x1 = TL.Load(ref Unsafe.Add(ref v1, i));
            TV x2 = TL.Load(ref Unsafe.Add(ref v2, i));
            TV x3 = TL.Load(ref Unsafe.Add(ref v3, i));
            TV y0 = TL.Load(ref Unsafe.Add(ref c, i));
            TV y1 = TL.Load(ref Unsafe.Add(ref c1, i));
            TV y2 = TL.Load(ref Unsafe.Add(ref c2, i));
            TV y3 = TL.Load(ref Unsafe.Add(ref c3, i));
            a00 = TL.MultiplyAdd(x0, y0, a00);
            a01 = TL.MultiplyAdd(x0, y1, a01);
            a02 = TL.MultiplyAdd(x0, y2, a02);
            a03 = TL.MultiplyAdd(x0, y3, a03);
            a10 = TL.MultiplyAdd(x1, y0, a10);
            a11 = TL.MultiplyAdd(x1, y1, a11);
            a12 = TL.MultiplyAdd(x1, y2, a12);
            a13 = TL.MultiplyAdd(x1, y3, a13);
            a20 = TL.MultiplyAdd(x2, y0, a20);
            a21 = TL.MultiplyAdd(x2, y1, a21);
            a22 = TL.MultiplyAdd(x2, y2, a22);
            a23 = TL.MultiplyAdd(x2, y3, a23);
            a30 = TL.MultiplyAdd(x3, y0, a30);
            a31 = TL.MultiplyAdd(x3, y1, a31);
            a32 = TL.MultiplyAdd(x3, y2, a32);
            a33 = TL.MultiplyAdd(x3, y3, a33);
        }

        // The lane sums first, so no accumulator lives on into the loops over the last rows.
        double s00 = TL.Sum(a00);
        double s10 = TL.Sum(a10);
        double s20 = TL.Sum(a20);
        double s30 = TL.Sum(a30);
        double s01 = TL.Sum(a01);
        double s11 = TL.Sum(a11);
        double s21 = TL.Sum(a21);
        double s31 = TL.Sum(a31);
        double s02 = TL.Sum(a02);
        double s12 = TL.Sum(a12);
        double s22 = TL.Sum(a22);
        double s32 = TL.Sum(a32);
        double s03 = TL.Sum(a03);
        double s13 = TL.Sum(a13);
        double s23 = TL.Sum(a23);
        double s33 = TL.Sum(a33);
        ref double w0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(w), column * k + p);
        ref double w1 = ref Unsafe.Add(ref w0, k);
        ref double w2 = ref Unsafe.Add(ref w0, 2 * k);
        ref double w3 = ref Unsafe.Add(ref w0, 3 * k);
        w0 += s00 + Tail(ref v, ref c, full, length);
        Unsafe.Add(ref w0, 1) += s10 + Tail(ref v1, ref c, full, length);
        Unsafe.Add(ref w0, 2) += s20 + Tail(ref v2, ref c, full, length);
        Unsafe.Add(ref w0, 3) += s30 + Tail(ref v3, ref c, full, length);
        w1 += s01 + Tail(ref v, ref c1, full, length);
        Unsafe.Add(ref w1, 1) += s11 + Tail(ref v1, ref c1, full, length);
        Unsafe.Add(ref w1, 2) += s21 + Tail(ref v2, ref c1, full, length);
        Unsafe.Add(ref w1, 3) += s31 + Tail(ref v3, ref c1, full, length);
        w2 += s02 + Tail(ref v, ref c2, full, length);
        Unsafe.Add(ref w2, 1) += s12 + Tail(ref v1, ref c2, full, length);
        Unsafe.Add(ref w2, 2) += s22 + Tail(ref v2, ref c2, full, length);
        Unsafe.Add(ref w2, 3) += s32 + Tail(ref v3, ref c2, full, length);
        w3 += s03 + Tail(ref v, ref c3, full, length);
        Unsafe.Add(ref w3, 1) += s13 + Tail(ref v1, ref c3, full, length);
        Unsafe.Add(ref w3, 2) += s23 + Tail(ref v2, ref c3, full, length);
        Unsafe.Add(ref w3, 3) += s33 + Tail(ref v3, ref c3, full, length);
    }

    /// <summary>One entry of <see cref="DotBlock{TL, TV}"/> over one row block: the same arithmetic as <see cref="Dot4x4{TL, TV}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double DotRowBlock<TL, TV>(ref double x, ref double y, int length)
        where TL : struct, ILanes8<TV>
        where TV : struct
    {
        TV sum = TL.Zero;
        int full = length & ~7;
        for (int i = 0; i < full; i += 8)
        {
            sum = TL.MultiplyAdd(TL.Load(ref Unsafe.Add(ref x, i)), TL.Load(ref Unsafe.Add(ref y, i)), sum);
        }

        return TL.Sum(sum) + Tail(ref x, ref y, full, length);
    }

    /// <summary>Σ x[i]·y[i] for the rows past the last full eight, one fused product at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Tail(ref double x, ref double y, int start, int length)
    {
        double sum = 0;
        for (int i = start; i < length; i++)
        {
            sum = Math.FusedMultiplyAdd(Unsafe.Add(ref x, i), Unsafe.Add(ref y, i), sum);
        }

        return sum;
    }

    /// <summary>Σ x[i]·y[i] over a whole column, four sets of eight lanes (rows i/8 mod 4) so the products overlap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static double Dot<TL, TV>(ref double x, ref double y, int length)
        where TL : struct, ILanes8<TV>
        where TV : struct
    {
        TV s0 = TL.Zero, s1 = TL.Zero, s2 = TL.Zero, s3 = TL.Zero;
        int i = 0;
        for (; i + 32 <= length; i += 32)
        {
            s0 = TL.MultiplyAdd(TL.Load(ref Unsafe.Add(ref x, i)), TL.Load(ref Unsafe.Add(ref y, i)), s0);
            s1 = TL.MultiplyAdd(TL.Load(ref Unsafe.Add(ref x, i + 8)), TL.Load(ref Unsafe.Add(ref y, i + 8)), s1);
            s2 = TL.MultiplyAdd(TL.Load(ref Unsafe.Add(ref x, i + 16)), TL.Load(ref Unsafe.Add(ref y, i + 16)), s2);
            s3 = TL.MultiplyAdd(TL.Load(ref Unsafe.Add(ref x, i + 24)), TL.Load(ref Unsafe.Add(ref y, i + 24)), s3);
        }

        for (; i + 8 <= length; i += 8)
        {
            s0 = TL.MultiplyAdd(TL.Load(ref Unsafe.Add(ref x, i)), TL.Load(ref Unsafe.Add(ref y, i)), s0);
        }

        return (TL.Sum(s0) + TL.Sum(s1)) + (TL.Sum(s2) + TL.Sum(s3)) + Tail(ref x, ref y, i, length);
    }

    /// <summary>
    /// C += V·W for a rows×k V, a rows×columns C and a k×columns W (column-major). Every entry is c + Σ_p v·w with
    /// one rounding per term, p in order, whichever tile computes it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void AddProduct<TL, TV>(ref double v, int vStride, int k, ref double c, int cStride, int columns, int rows, ReadOnlySpan<double> w)
        where TL : struct, ILanes8<TV>
        where TV : struct
    {
        int full32 = rows & ~31;
        int full8 = rows & ~7;
        for (int i = 0; i < full32; i += 32)
        {
            int column = 0;
            for (; column + 4 <= columns; column += 4)
            {
                ref double d0 = ref Unsafe.Add(ref c, column * cStride + i);
                ref double d1 = ref Unsafe.Add(ref d0, cStride);
                ref double d2 = ref Unsafe.Add(ref d0, 2 * cStride);
                ref double d3 = ref Unsafe.Add(ref d0, 3 * cStride);
                TV a00 = TL.Load(ref d0), a10 = TL.Load(ref Unsafe.Add(ref d0, 8)), a20 = TL.Load(ref Unsafe.Add(ref d0, 16)), a30 = TL.Load(ref Unsafe.Add(ref d0, 24));
                TV a01 = TL.Load(ref d1), a11 = TL.Load(ref Unsafe.Add(ref d1, 8)), a21 = TL.Load(ref Unsafe.Add(ref d1, 16)), a31 = TL.Load(ref Unsafe.Add(ref d1, 24));
                TV a02 = TL.Load(ref d2), a12 = TL.Load(ref Unsafe.Add(ref d2, 8)), a22 = TL.Load(ref Unsafe.Add(ref d2, 16)), a32 = TL.Load(ref Unsafe.Add(ref d2, 24));
                TV a03 = TL.Load(ref d3), a13 = TL.Load(ref Unsafe.Add(ref d3, 8)), a23 = TL.Load(ref Unsafe.Add(ref d3, 16)), a33 = TL.Load(ref Unsafe.Add(ref d3, 24));
                ReadOnlySpan<double> w0 = w.Slice(column * k, k);
                ReadOnlySpan<double> w1 = w.Slice((column + 1) * k, k);
                ReadOnlySpan<double> w2 = w.Slice((column + 2) * k, k);
                ReadOnlySpan<double> w3 = w.Slice((column + 3) * k, k);
                for (int p = 0; p < k; p++)
                {
                    ref double vp = ref Unsafe.Add(ref v, p * vStride + i);
                    TV x0 = TL.Load(ref vp), x1 = TL.Load(ref Unsafe.Add(ref vp, 8)), x2 = TL.Load(ref Unsafe.Add(ref vp, 16)), x3 = TL.Load(ref Unsafe.Add(ref vp, 24));
                    TV b = TL.Broadcast(w0[p]);
                    a00 = TL.MultiplyAdd(x0, b, a00);
                    a10 = TL.MultiplyAdd(x1, b, a10);
                    a20 = TL.MultiplyAdd(x2, b, a20);
                    a30 = TL.MultiplyAdd(x3, b, a30);
                    b = TL.Broadcast(w1[p]);
                    a01 = TL.MultiplyAdd(x0, b, a01);
                    a11 = TL.MultiplyAdd(x1, b, a11);
                    a21 = TL.MultiplyAdd(x2, b, a21);
                    a31 = TL.MultiplyAdd(x3, b, a31);
                    b = TL.Broadcast(w2[p]);
                    a02 = TL.MultiplyAdd(x0, b, a02);
                    a12 = TL.MultiplyAdd(x1, b, a12);
                    a22 = TL.MultiplyAdd(x2, b, a22);
                    a32 = TL.MultiplyAdd(x3, b, a32);
                    b = TL.Broadcast(w3[p]);
                    a03 = TL.MultiplyAdd(x0, b, a03);
                    a13 = TL.MultiplyAdd(x1, b, a13);
                    a23 = TL.MultiplyAdd(x2, b, a23);
                    a33 = TL.MultiplyAdd(x3, b, a33);
                }

                TL.Store(a00, ref d0);
                TL.Store(a10, ref Unsafe.Add(ref d0, 8));
                TL.Store(a20, ref Unsafe.Add(ref d0, 16));
                TL.Store(a30, ref Unsafe.Add(ref d0, 24));
                TL.Store(a01, ref d1);
                TL.Store(a11, ref Unsafe.Add(ref d1, 8));
                TL.Store(a21, ref Unsafe.Add(ref d1, 16));
                TL.Store(a31, ref Unsafe.Add(ref d1, 24));
                TL.Store(a02, ref d2);
                TL.Store(a12, ref Unsafe.Add(ref d2, 8));
                TL.Store(a22, ref Unsafe.Add(ref d2, 16));
                TL.Store(a32, ref Unsafe.Add(ref d2, 24));
                TL.Store(a03, ref d3);
                TL.Store(a13, ref Unsafe.Add(ref d3, 8));
                TL.Store(a23, ref Unsafe.Add(ref d3, 16));
                TL.Store(a33, ref Unsafe.Add(ref d3, 24));
            }

            for (; column < columns; column++)
            {
                for (int r = 0; r < 32; r += 8)
                {
                    AddColumn8<TL, TV>(ref v, vStride, k, ref Unsafe.Add(ref c, column * cStride + i + r), i + r, w.Slice(column * k, k));
                }
            }
        }

        for (int i = full32; i < full8; i += 8)
        {
            for (int column = 0; column < columns; column++)
            {
                AddColumn8<TL, TV>(ref v, vStride, k, ref Unsafe.Add(ref c, column * cStride + i), i, w.Slice(column * k, k));
            }
        }

        for (int i = full8; i < rows; i++)
        {
            for (int column = 0; column < columns; column++)
            {
                ref double d = ref Unsafe.Add(ref c, column * cStride + i);
                ReadOnlySpan<double> wc = w.Slice(column * k, k);
                double x = d;
                for (int p = 0; p < k; p++)
                {
                    x = Math.FusedMultiplyAdd(Unsafe.Add(ref v, p * vStride + i), wc[p], x);
                }

                d = x;
            }
        }
    }

    /// <summary>Eight rows of one column of <see cref="AddProduct{TL, TV}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddColumn8<TL, TV>(ref double v, int vStride, int k, ref double d, int row, ReadOnlySpan<double> w)
        where TL : struct, ILanes8<TV>
        where TV : struct
    {
        TV x = TL.Load(ref d);
        for (int p = 0; p < k; p++)
        {
            x = TL.MultiplyAdd(TL.Load(ref Unsafe.Add(ref v, p * vStride + row)), TL.Broadcast(w[p]), x);
        }

        TL.Store(x, ref d);
    }
}
