using System;
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Threading.Tasks;
using RnnCompiler.Kernels;
using static RnnCompiler.Weights.HouseholderQr;

namespace RnnCompiler.Weights;

/// <summary>
/// The thin Q of a tall, well-conditioned matrix by Cholesky QR: R is the Cholesky factor of the Gram matrix AᵀA, and
/// Q = A·R⁻¹ by forward substitution, in place. R's diagonal is positive, and the QR decomposition with a positive
/// diagonal is unique, so this is the Q that <see cref="HouseholderQr"/> gives for the same matrix, up to rounding.
/// The orthogonal initializer's path for the recurrent kernels of LSTM and GRU layers, whose normal matrices are four
/// and three times as tall as wide.
/// </summary>
/// <remarks>
/// <para>
/// Q's columns are orthonormal to about ε·cond(A)²·n, so this is only for well-conditioned matrices: a normal m×n
/// matrix with m ≥ 2n has cond(A) near (√m + √n)/(√m - √n), below 6, with overwhelming probability, which puts Q
/// within about 1e-13 of orthonormal in double precision. A matrix whose Cholesky factorization meets a pivot that is not
/// positive, or whose R has diagonal entries more than <see cref="MaxDiagonalRatio"/> apart, is refused before anything
/// is written, and the caller takes the Householder QR.
/// </para>
/// <para>
/// Work for m = 4n: 2n³ multiply-adds for the Gram matrix's upper triangle, n³/6 for its Cholesky factor and 2n³ for
/// the substitution, against about 7.3n³ for the Householder QR and its Q. Both large parts are matrix-matrix
/// products split over the cores: the Gram matrix by tiles of <see cref="Tile"/> × <see cref="Tile"/> entries, the
/// substitution by chunks of <see cref="RowChunk"/> rows (each row of Q depends only on its own row of A).
/// </para>
/// <para>
/// Deterministic, as <see cref="HouseholderQr"/> is: every dot product runs in its eight lanes and every other sum
/// term by term with fused products in a fixed order, and the tiles and chunks depend only on the shape; so the bits
/// do not depend on the number of threads or on the vector hardware.
/// </para>
/// </remarks>
internal static class CholeskyQr
{
    /// <summary>The Gram matrix's tile edge, the Cholesky factor's and the substitution's column block, and the substitution's row tile.</summary>
    private const int Tile = 32;

    /// <summary>Rows of Q one work item of the substitution computes.</summary>
    private const int RowChunk = 64;

    /// <summary>Work (multiply-adds) below which everything stays on the calling thread.</summary>
    private const long ParallelWork = 1L << 22;

    /// <summary>The largest ratio between R's diagonal entries accepted (a lower bound on cond(A)).</summary>
    internal const double MaxDiagonalRatio = 100;

    /// <summary>
    /// Overwrites the column-major m×n matrix <paramref name="a"/> (m ≥ n ≥ 1) with the thin Q of its QR decomposition,
    /// R's diagonal positive, and returns <see langword="true"/>; or returns <see langword="false"/> and leaves
    /// <paramref name="a"/> as it was when the matrix is too ill-conditioned for Cholesky QR.
    /// </summary>
    /// <param name="a">m·n values, column j at <c>a[j·m]</c>.</param>
    /// <param name="m">Rows.</param>
    /// <param name="n">Columns, at most <paramref name="m"/>.</param>
    /// <param name="parallel">Whether the products may run on several threads; the result is the same either way.</param>
    internal static bool TryReplaceWithQ(double[] a, int m, int n, bool parallel)
    {
        if (n < 1 || m < n || a.Length < (long)m * n)
        {
            throw new ArgumentException($"Expected an m×n matrix with m ≥ n ≥ 1 in {a.Length} values; got {m}×{n}.");
        }

        parallel &= (long)m * n * n >= ParallelWork;
        if (VectorPaths.Use512)
        {
            return Run<Lanes512, Vector512<double>>(a, m, n, parallel);
        }

        if (Vector256.IsHardwareAccelerated)
        {
            return Run<Lanes256, Lanes256>(a, m, n, parallel);
        }

        return Vector128.IsHardwareAccelerated
            ? Run<Lanes128, Lanes128>(a, m, n, parallel)
            : Run<LanesScalar, LanesScalar>(a, m, n, parallel);
    }

    private static bool Run<TL, TV>(double[] a, int m, int n, bool parallel)
        where TL : struct, ILanes8<TV>
        where TV : struct
    {
        // G = AᵀA (its upper triangle), then R with RᵀR = G: nothing is written to a before R is known to be usable.
        var gram = new double[n * n];
        FillGram<TL, TV>(a, m, n, gram, parallel);
        var r = new double[n * n];
        if (!Factor<TL, TV>(gram, n, r, parallel))
        {
            return false;
        }

        Substitute<TL, TV>(a, m, n, r, parallel);
        return true;
    }

    /// <summary>The upper triangle of G = AᵀA (column-major, G[i, j] at <c>gram[j·n + i]</c>), tile by tile.</summary>
    private static void FillGram<TL, TV>(double[] a, int m, int n, double[] gram, bool parallel)
        where TL : struct, ILanes8<TV>
        where TV : struct
    {
        int tiles = (n + Tile - 1) / Tile;
        int count = tiles * (tiles + 1) / 2;
        if (parallel)
        {
            Parallel.For(0, count, index => GramTile<TL, TV>(a, m, n, gram, tiles, index));
        }
        else
        {
            for (int index = 0; index < count; index++)
            {
                GramTile<TL, TV>(a, m, n, gram, tiles, index);
            }
        }
    }

    /// <summary>Tile <paramref name="index"/> of the upper triangle (row tile ≤ column tile): its dot products of A's columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GramTile<TL, TV>(double[] a, int m, int n, double[] gram, int tiles, int index)
        where TL : struct, ILanes8<TV>
        where TV : struct
    {
        // Column tile c holds c + 1 tiles (row tiles 0..c); find the one this index names.
        int columnTile = 0;
        while ((columnTile + 1) * (columnTile + 2) / 2 <= index)
        {
            columnTile++;
        }

        int rowTile = index - columnTile * (columnTile + 1) / 2;
        int p0 = rowTile * Tile, c0 = columnTile * Tile;
        int k = Math.Min(Tile, n - p0), columns = Math.Min(Tile, n - c0);
        Span<double> w = stackalloc double[Tile * Tile];
        w.Clear();
        DotBlock<TL, TV>(ref a[p0 * m], m, k, ref a[c0 * m], m, columns, m, w);
        for (int column = 0; column < columns; column++)
        {
            w.Slice(column * k, k).CopyTo(gram.AsSpan((c0 + column) * n + p0, k));
        }
    }

    /// <summary>
    /// R, upper triangular with RᵀR = G, column by column (R[i, j] at <c>r[j·n + i]</c>): R[i, j] = (G[i, j] -
    /// R[0:i, i]·R[0:i, j]) / R[i, i], R[j, j] = √(G[j, j] - ‖R[0:j, j]‖²). Returns false when a pivot is not positive
    /// (or not a number), or R's diagonal spans more than <see cref="MaxDiagonalRatio"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Factor<TL, TV>(double[] gram, int n, double[] r, bool parallel)
        where TL : struct, ILanes8<TV>
        where TV : struct
    {
        for (int j0 = 0; j0 < n; j0 += Tile)
        {
            int j1 = Math.Min(n, j0 + Tile);

            // Rows above the block: each column of the block needs only the finished columns left of the block and its
            // own entries above, so the block's columns are independent here and split over the threads.
            if (parallel && j0 >= Tile)
            {
                int first = j0, last = j1;
                Parallel.For(0, 2, half =>
                {
                    int middle = (first + last) / 2;
                    AboveBlock<TL, TV>(gram, n, r, j0, half == 0 ? first : middle, half == 0 ? middle : last);
                });
            }
            else
            {
                AboveBlock<TL, TV>(gram, n, r, j0, j0, j1);
            }

            // The block's own triangle, one column after the other.
            for (int j = j0; j < j1; j++)
            {
                ref double rj = ref r[j * n];
                for (int i = j0; i < j; i++)
                {
                    double dot = i > 0 ? Dot<TL, TV>(ref r[i * n], ref rj, i) : 0;
                    r[j * n + i] = (gram[j * n + i] - dot) / r[i * n + i];
                }

                double pivot = gram[j * n + j] - (j > 0 ? Dot<TL, TV>(ref rj, ref rj, j) : 0);
                if (!(pivot > 0))
                {
                    return false;
                }

                r[j * n + j] = Math.Sqrt(pivot);
            }
        }

        double smallest = double.PositiveInfinity, largest = 0;
        for (int j = 0; j < n; j++)
        {
            smallest = Math.Min(smallest, r[j * n + j]);
            largest = Math.Max(largest, r[j * n + j]);
        }

        return largest <= MaxDiagonalRatio * smallest;
    }

    /// <summary>R[i, j] for rows i &lt; <paramref name="j0"/> of columns [<paramref name="first"/>, <paramref name="last"/>), row by row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AboveBlock<TL, TV>(double[] gram, int n, double[] r, int j0, int first, int last)
        where TL : struct, ILanes8<TV>
        where TV : struct
    {
        for (int i = 0; i < j0; i++)
        {
            double pivot = r[i * n + i];
            for (int j = first; j < last; j++)
            {
                double dot = i > 0 ? Dot<TL, TV>(ref r[i * n], ref r[j * n], i) : 0;
                r[j * n + i] = (gram[j * n + i] - dot) / pivot;
            }
        }
    }

    /// <summary>
    /// A = Q·R solved for Q in place: Q[:, j] = (A[:, j] - Σ_{i&lt;j} Q[:, i]·R[i, j]) / R[j, j], the terms in order of
    /// i; by column blocks (the part left of a block as one product), for chunks of rows at once.
    /// </summary>
    private static void Substitute<TL, TV>(double[] a, int m, int n, double[] r, bool parallel)
        where TL : struct, ILanes8<TV>
        where TV : struct
    {
        // -R[0:j0, J] for each column block J = [j0, j0 + Tile), column-major with j0 rows: the product's right factor.
        var negated = new double[n * n];
        for (int j0 = Tile; j0 < n; j0 += Tile)
        {
            int columns = Math.Min(Tile, n - j0);
            for (int column = 0; column < columns; column++)
            {
                ReadOnlySpan<double> source = r.AsSpan((j0 + column) * n, j0);
                Span<double> target = negated.AsSpan(j0 * j0 + column * j0, j0);
                for (int i = 0; i < j0; i++)
                {
                    target[i] = -source[i];
                }
            }
        }

        int chunks = (m + RowChunk - 1) / RowChunk;
        if (parallel && chunks > 1)
        {
            Parallel.For(0, chunks, chunk => SubstituteRows<TL, TV>(a, m, n, r, negated, chunk * RowChunk, Math.Min(m, (chunk + 1) * RowChunk)));
        }
        else
        {
            for (int chunk = 0; chunk < chunks; chunk++)
            {
                SubstituteRows<TL, TV>(a, m, n, r, negated, chunk * RowChunk, Math.Min(m, (chunk + 1) * RowChunk));
            }
        }
    }

    /// <summary>
    /// Rows [<paramref name="row0"/>, <paramref name="row1"/>) of <see cref="Substitute{TL, TV}"/>, in tiles of
    /// <see cref="Tile"/> rows. Each tile's finished columns are also copied into a packed buffer, column after column
    /// with the tile's rows contiguous, so the product reads them as one sequential stream: read in place, the columns
    /// lie m rows apart and the product ran at about a quarter of the FMA peak.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SubstituteRows<TL, TV>(double[] a, int m, int n, double[] r, double[] negated, int row0, int row1)
        where TL : struct, ILanes8<TV>
        where TV : struct
    {
        double[] packed = ArrayPool<double>.Shared.Rent((row1 - row0) * n);
        try
        {
            for (int j0 = 0; j0 < n; j0 += Tile)
            {
                int j1 = Math.Min(n, j0 + Tile);
                for (int tile0 = row0; tile0 < row1; tile0 += Tile)
                {
                    int height = Math.Min(Tile, row1 - tile0);
                    int packedTile = (tile0 - row0) * n;
                    if (j0 > 0)
                    {
                        // Q[:, J] += Q[:, 0:j0]·(-R[0:j0, J]).
                        AddProduct<TL, TV>(ref packed[packedTile], height, j0, ref a[j0 * m + tile0], m, j1 - j0, height, negated.AsSpan(j0 * j0, j0 * (j1 - j0)));
                    }

                    // The block's own triangle: each column takes the terms of the block's earlier columns, then its division.
                    for (int j = j0; j < j1; j++)
                    {
                        SolveColumn<TL, TV>(a, m, n, r, j0, j, tile0, height);
                        a.AsSpan(j * m + tile0, height).CopyTo(packed.AsSpan(packedTile + j * height, height));
                    }
                }
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(packed);
        }
    }

    /// <summary>Q[:, j] = (Q[:, j] - Σ_{j0 ≤ i &lt; j} Q[:, i]·R[i, j]) / R[j, j] for the given rows, eight at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SolveColumn<TL, TV>(double[] a, int m, int n, double[] r, int j0, int j, int row0, int rows)
        where TL : struct, ILanes8<TV>
        where TV : struct
    {
        ReadOnlySpan<double> rj = r.AsSpan(j * n, j + 1);
        double pivot = rj[j];
        TV divisor = TL.Broadcast(pivot);
        int full = rows & ~7;
        for (int row = row0; row < row0 + full; row += 8)
        {
            ref double target = ref a[j * m + row];
            TV sum = TL.Load(ref target);
            for (int i = j0; i < j; i++)
            {
                sum = TL.MultiplyAdd(TL.Load(ref a[i * m + row]), TL.Broadcast(-rj[i]), sum);
            }

            TL.Store(TL.Divide(sum, divisor), ref target);
        }

        for (int row = row0 + full; row < row0 + rows; row++)
        {
            double sum = a[j * m + row];
            for (int i = j0; i < j; i++)
            {
                sum = Math.FusedMultiplyAdd(a[i * m + row], -rj[i], sum);
            }

            a[j * m + row] = sum / pivot;
        }
    }
}
