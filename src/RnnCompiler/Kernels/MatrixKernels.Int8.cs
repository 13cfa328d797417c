using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace RnnCompiler.Kernels;

// The matrix products with int8 weights (WeightPrecision.Int8, Int8Matrix). Each product quantizes its input row on the
// fly, symmetric with one scale for the row (its largest magnitude over 127, values rounded to nearest even), sums
// x_q · w_q exactly in 32-bit integers, and scales each column's sum back to float: y[j] (+)= S[j] · (x_scale · w_scale[j]).
// Integer sums are exact, so every path (AVX-VNNI, AVX2's 16-bit multiply-add, NEON's dot product, scalar) gives the same
// bits; the float epilogue is one multiply and one add per column in a fixed order on every path.
public static partial class MatrixKernels
{
    /// <summary>The most rows an int8 product takes: the 32-bit sums cannot overflow below it (255 · 127 · rows &lt; 2³¹).</summary>
    public const int MaxInt8Rows = 65536;

    /// <summary>Columns whose integer sums one pass keeps on the stack before scaling them.</summary>
    private const int Int8Chunk = 128;

    /// <summary>
    /// <c>y[j] += Σ_i x[i] · w[i, j]</c> for every <c>j &lt; y.Length</c>, with <paramref name="w"/> quantized to int8
    /// (<see cref="Int8Matrix"/>) and <paramref name="x"/> quantized per call (see the remarks in this file):
    /// <c>y[j] = y[j] + S[j] · (x_scale · w_scale[j])</c>.
    /// </summary>
    /// <param name="x">The row vector, one element per matrix row.</param>
    /// <param name="w">The quantized [x.Length, y.Length] matrix.</param>
    /// <param name="y">The accumulators, one per column; must not overlap the inputs.</param>
    /// <exception cref="ArgumentException">The matrix is too short for the shapes, or x has more than <see cref="MaxInt8Rows"/> elements.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAdd(ReadOnlySpan<float> x, ReadOnlySpan<byte> w, Span<float> y)
    {
        CheckInt8(x.Length, y.Length, w.Length, nameof(x), nameof(w));
        Int8Row(x, w, y, y);
    }

    /// <summary>
    /// For every step <c>t &lt; steps</c>: <c>y[t] = bias + x[t] · w</c> with <paramref name="w"/> [inputs, outputs]
    /// quantized to int8 and each row of <paramref name="x"/> quantized on its own.
    /// </summary>
    /// <param name="x">The inputs, [steps, inputs].</param>
    /// <param name="steps">The number of rows of <paramref name="x"/> and <paramref name="y"/> to use.</param>
    /// <param name="inputs">The width of a row of <paramref name="x"/>.</param>
    /// <param name="w">The quantized [inputs, outputs] matrix.</param>
    /// <param name="bias">The bias, [outputs].</param>
    /// <param name="y">The outputs, [steps, outputs].</param>
    /// <exception cref="ArgumentException">A span is too short for the shapes.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Project(ReadOnlySpan<float> x, int steps, int inputs, ReadOnlySpan<byte> w, ReadOnlySpan<float> bias, Span<float> y)
    {
        int outputs = bias.Length;
        if (steps <= 0)
        {
            return;
        }

        if (x.Length < (long)steps * inputs || y.Length < (long)steps * outputs)
        {
            throw new ArgumentException($"Project needs x [{steps}, {inputs}] and y [{steps}, {outputs}].", nameof(y));
        }

        CheckInt8(inputs, outputs, w.Length, nameof(inputs), nameof(w));
        for (int t = 0; t < steps; t++)
        {
            Int8Row(x.Slice(t * inputs, inputs), w, bias, y.Slice(t * outputs, outputs));
        }
    }

    /// <summary>
    /// <c>y = (bias + x · w) + h · u</c> with <paramref name="w"/> and <paramref name="u"/> quantized to int8: the
    /// products of a streaming step, in the order <see cref="Project(ReadOnlySpan{float}, int, int, ReadOnlySpan{byte}, ReadOnlySpan{float}, Span{float})"/>
    /// followed by <see cref="MultiplyAdd(ReadOnlySpan{float}, ReadOnlySpan{byte}, Span{float})"/> use, so a step gives
    /// bit for bit what the same step gives inside a sequence.
    /// </summary>
    /// <param name="x">The input row, one element per row of <paramref name="w"/>.</param>
    /// <param name="w">The quantized [x.Length, y.Length] matrix.</param>
    /// <param name="h">The state row, one element per row of <paramref name="u"/>; empty for no recurrent product.</param>
    /// <param name="u">The quantized [h.Length, y.Length] matrix; ignored when <paramref name="h"/> is empty.</param>
    /// <param name="bias">[y.Length].</param>
    /// <param name="y">Receives the sums; must not overlap the inputs.</param>
    /// <exception cref="ArgumentException">A span is too short for the shapes.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Affine(ReadOnlySpan<float> x, ReadOnlySpan<byte> w, ReadOnlySpan<float> h, ReadOnlySpan<byte> u, ReadOnlySpan<float> bias, Span<float> y)
    {
        int columns = y.Length;
        if (bias.Length < columns)
        {
            throw new ArgumentException($"The bias needs {columns} elements; it has {bias.Length}.", nameof(bias));
        }

        CheckInt8(x.Length, columns, w.Length, nameof(x), nameof(w));
        if (!h.IsEmpty)
        {
            CheckInt8(h.Length, columns, u.Length, nameof(h), nameof(u));
        }

        Int8Row(x, w, bias, y);
        if (!h.IsEmpty)
        {
            Int8Row(h, u, y, y);
        }
    }

    private static void CheckInt8(int rows, int columns, int length, string rowsArgument, string argument)
    {
        if (rows > MaxInt8Rows)
        {
            throw new ArgumentException($"An int8 product takes at most {MaxInt8Rows} rows; this one has {rows}.", rowsArgument);
        }

        int size = Int8Matrix.Size(rows, columns);
        if (length < size)
        {
            throw new ArgumentException($"A quantized [{rows}, {columns}] matrix takes {size} bytes; it has {length}.", argument);
        }
    }

    /// <summary><c>y[j] = addend[j] + S[j] · (x_scale · w_scale[j])</c> for one row; <paramref name="addend"/> may be <paramref name="y"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Int8Row(ReadOnlySpan<float> x, ReadOnlySpan<byte> w, ReadOnlySpan<float> addend, Span<float> y)
    {
        int rows = x.Length;
        int columns = y.Length;
        if (columns == 0)
        {
            return;
        }

        int quads = Int8Matrix.Quads(rows);
        int padded = Int8Matrix.PaddedColumns(columns);
        Span<sbyte> xq = stackalloc sbyte[4 * quads]; // at most 64 KB (MaxInt8Rows)
        float xScale = QuantizeRow(x, xq);
        ReadOnlySpan<float> scales = MemoryMarshal.Cast<byte, float>(w.Slice(0, 4 * padded));
        ReadOnlySpan<int> offsets = MemoryMarshal.Cast<byte, int>(w.Slice(4 * padded, 4 * padded));
        ref byte weights = ref Unsafe.Add(ref MemoryMarshal.GetReference(w), 8 * padded);
        Span<int> sums = stackalloc int[Int8Chunk];
        for (int first = 0; first < columns; first += Int8Chunk)
        {
            int count = Math.Min(Int8Chunk, columns - first);
            int blocks = (count + 7) / 8;
            Int8Sums(xq, quads, ref weights, first / 8, blocks, offsets.Slice(first), sums);
            Int8Scale(sums.Slice(0, count), xScale, scales.Slice(first, count), addend.Slice(first, count), y.Slice(first, count));
        }
    }

    /// <summary>
    /// Quantizes <paramref name="x"/> into <paramref name="xq"/> (zeros past it) and returns its scale: the largest
    /// magnitude over 127; NaN (and all zeros) when an element is not finite, so every sum through it becomes NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float QuantizeRow(ReadOnlySpan<float> x, Span<sbyte> xq)
    {
        float largest = 0f;
        bool finite = true;
        for (int i = 0; i < x.Length; i++)
        {
            float magnitude = MathF.Abs(x[i]);
            finite &= float.IsFinite(magnitude);
            largest = magnitude > largest ? magnitude : largest;
        }

        xq.Clear();
        if (!finite)
        {
            return float.NaN;
        }

        if (largest == 0f)
        {
            return 0f;
        }

        float inverse = 127f / largest;
        for (int i = 0; i < x.Length; i++)
        {
            xq[i] = (sbyte)(int)MathF.Round(x[i] * inverse);
        }

        return largest / 127f;
    }

    /// <summary><c>y[j] = addend[j] + (float)sums[j] · (xScale · scales[j])</c>: a multiply and an add per column on every path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Int8Scale(ReadOnlySpan<int> sums, float xScale, ReadOnlySpan<float> scales, ReadOnlySpan<float> addend, Span<float> y)
    {
        int j = 0;
        int count = y.Length;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> scale = Vector256.Create(xScale);
            for (; j + 8 <= count; j += 8)
            {
                Vector256<float> product = Vector256.ConvertToSingle(Vector256.Create(sums.Slice(j, 8))) * (scale * Vector256.Create(scales.Slice(j, 8)));
                (Vector256.Create(addend.Slice(j, 8)) + product).CopyTo(y.Slice(j, 8));
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            Vector128<float> scale = Vector128.Create(xScale);
            for (; j + 4 <= count; j += 4)
            {
                Vector128<float> product = Vector128.ConvertToSingle(Vector128.Create(sums.Slice(j, 4))) * (scale * Vector128.Create(scales.Slice(j, 4)));
                (Vector128.Create(addend.Slice(j, 4)) + product).CopyTo(y.Slice(j, 4));
            }
        }

        for (; j < count; j++)
        {
            y[j] = addend[j] + ((float)sums[j] * (xScale * scales[j]));
        }
    }

    /// <summary>
    /// The exact sums <c>S[j] = Σ_i xq[i] · q[i, j]</c> of <paramref name="blocks"/> blocks of 8 columns from block
    /// <paramref name="firstBlock"/> on, into <paramref name="sums"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Int8Sums(ReadOnlySpan<sbyte> xq, int quads, ref byte weights, int firstBlock, int blocks, ReadOnlySpan<int> offsets, Span<int> sums)
    {
        ref byte first = ref Unsafe.Add(ref weights, (nint)firstBlock * quads * 32);
        ref sbyte x = ref MemoryMarshal.GetReference(xq);
        ref int sum = ref MemoryMarshal.GetReference(sums);
        if (AvxVnni.IsSupported)
        {
            Int8SumsVnni(ref x, quads, ref first, blocks, ref MemoryMarshal.GetReference(offsets), ref sum);
        }
        else if (Avx2.IsSupported)
        {
            Int8SumsAvx2(ref x, quads, ref first, blocks, ref sum);
        }
        else if (AdvSimd.Arm64.IsSupported && Dp.IsSupported)
        {
            Int8SumsNeon(ref x, quads, ref first, blocks, ref sum);
        }
        else
        {
            Int8SumsScalar(ref x, quads, ref first, blocks, ref sum);
        }
    }

    /// <summary>Four signed inputs as one 32-bit lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Quad(ref sbyte x, int quad) => Unsafe.ReadUnaligned<int>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref x, 4 * quad)));

    /// <summary>
    /// AVX-VNNI: <c>vpdpbusd</c> multiplies unsigned bytes by signed ones, so the inputs go in offset by 128 (a flip of
    /// each byte's top bit) and each column's <c>128 · Σ q</c>, kept in the matrix, comes off at the end. Four blocks
    /// at a time, even and odd groups of rows in separate accumulators (eight chains of the instruction's latency).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Int8SumsVnni(ref sbyte x, int quads, ref byte weights, int blocks, ref int offsets, ref int sums)
    {
        const int Flip = unchecked((int)0x80808080);
        nuint stride = (nuint)quads * 32;
        int b = 0;
        for (; b + 4 <= blocks; b += 4)
        {
            ref byte w = ref Unsafe.Add(ref weights, (nint)b * quads * 32);
            Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector256<int> e0 = default, e1 = default, e2 = default, e3 = default;
            int k = 0;
            for (; k + 2 <= quads; k += 2)
            {
                Vector256<byte> even = Vector256.Create(Quad(ref x, k) ^ Flip).AsByte();
                Vector256<byte> odd = Vector256.Create(Quad(ref x, k + 1) ^ Flip).AsByte();
                nuint at = (nuint)k * 32;
                a0 = AvxVnni.MultiplyWideningAndAdd(a0, even, Vector256.LoadUnsafe(ref w, at).AsSByte());
                a1 = AvxVnni.MultiplyWideningAndAdd(a1, even, Vector256.LoadUnsafe(ref w, at + stride).AsSByte());
                a2 = AvxVnni.MultiplyWideningAndAdd(a2, even, Vector256.LoadUnsafe(ref w, at + (2 * stride)).AsSByte());
                a3 = AvxVnni.MultiplyWideningAndAdd(a3, even, Vector256.LoadUnsafe(ref w, at + (3 * stride)).AsSByte());
                e0 = AvxVnni.MultiplyWideningAndAdd(e0, odd, Vector256.LoadUnsafe(ref w, at + 32).AsSByte());
                e1 = AvxVnni.MultiplyWideningAndAdd(e1, odd, Vector256.LoadUnsafe(ref w, at + stride + 32).AsSByte());
                e2 = AvxVnni.MultiplyWideningAndAdd(e2, odd, Vector256.LoadUnsafe(ref w, at + (2 * stride) + 32).AsSByte());
                e3 = AvxVnni.MultiplyWideningAndAdd(e3, odd, Vector256.LoadUnsafe(ref w, at + (3 * stride) + 32).AsSByte());
            }

            if (k < quads)
            {
                Vector256<byte> last = Vector256.Create(Quad(ref x, k) ^ Flip).AsByte();
                nuint at = (nuint)k * 32;
                a0 = AvxVnni.MultiplyWideningAndAdd(a0, last, Vector256.LoadUnsafe(ref w, at).AsSByte());
                a1 = AvxVnni.MultiplyWideningAndAdd(a1, last, Vector256.LoadUnsafe(ref w, at + stride).AsSByte());
                a2 = AvxVnni.MultiplyWideningAndAdd(a2, last, Vector256.LoadUnsafe(ref w, at + (2 * stride)).AsSByte());
                a3 = AvxVnni.MultiplyWideningAndAdd(a3, last, Vector256.LoadUnsafe(ref w, at + (3 * stride)).AsSByte());
            }

            nuint column = (nuint)b * 8;
            (a0 + e0 - Vector256.LoadUnsafe(ref offsets, column)).StoreUnsafe(ref sums, column);
            (a1 + e1 - Vector256.LoadUnsafe(ref offsets, column + 8)).StoreUnsafe(ref sums, column + 8);
            (a2 + e2 - Vector256.LoadUnsafe(ref offsets, column + 16)).StoreUnsafe(ref sums, column + 16);
            (a3 + e3 - Vector256.LoadUnsafe(ref offsets, column + 24)).StoreUnsafe(ref sums, column + 24);
        }

        for (; b < blocks; b++)
        {
            ref byte w = ref Unsafe.Add(ref weights, (nint)b * quads * 32);
            Vector256<int> a = default, e = default;
            int k = 0;
            for (; k + 2 <= quads; k += 2)
            {
                a = AvxVnni.MultiplyWideningAndAdd(a, Vector256.Create(Quad(ref x, k) ^ Flip).AsByte(), Vector256.LoadUnsafe(ref w, (nuint)k * 32).AsSByte());
                e = AvxVnni.MultiplyWideningAndAdd(e, Vector256.Create(Quad(ref x, k + 1) ^ Flip).AsByte(), Vector256.LoadUnsafe(ref w, ((nuint)k * 32) + 32).AsSByte());
            }

            if (k < quads)
            {
                a = AvxVnni.MultiplyWideningAndAdd(a, Vector256.Create(Quad(ref x, k) ^ Flip).AsByte(), Vector256.LoadUnsafe(ref w, (nuint)k * 32).AsSByte());
            }

            nuint column = (nuint)b * 8;
            (a + e - Vector256.LoadUnsafe(ref offsets, column)).StoreUnsafe(ref sums, column);
        }
    }

    /// <summary>
    /// AVX2 without VNNI: each block's 32 bytes widened to two vectors of 16-bit weights (4 columns × 4 rows each) and
    /// multiplied by the four inputs with <c>vpmaddwd</c>, which sums pairs of rows into 32-bit lanes; the two lanes of
    /// each column are added once at the end. Two blocks at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Int8SumsAvx2(ref sbyte x, int quads, ref byte weights, int blocks, ref int sums)
    {
        nuint stride = (nuint)quads * 32;
        int b = 0;
        for (; b + 2 <= blocks; b += 2)
        {
            ref sbyte w = ref Unsafe.As<byte, sbyte>(ref Unsafe.Add(ref weights, (nint)b * quads * 32));
            Vector256<int> l0 = default, h0 = default, l1 = default, h1 = default;
            for (int k = 0; k < quads; k++)
            {
                Vector256<short> four = BroadcastQuad(ref x, k);
                nuint at = (nuint)k * 32;
                l0 += Avx2.MultiplyAddAdjacent(Widen16(ref w, at), four);
                h0 += Avx2.MultiplyAddAdjacent(Widen16(ref w, at + 16), four);
                l1 += Avx2.MultiplyAddAdjacent(Widen16(ref w, at + stride), four);
                h1 += Avx2.MultiplyAddAdjacent(Widen16(ref w, at + stride + 16), four);
            }

            PairSums(l0, h0).StoreUnsafe(ref sums, (nuint)b * 8);
            PairSums(l1, h1).StoreUnsafe(ref sums, ((nuint)b * 8) + 8);
        }

        for (; b < blocks; b++)
        {
            ref sbyte w = ref Unsafe.As<byte, sbyte>(ref Unsafe.Add(ref weights, (nint)b * quads * 32));
            Vector256<int> l0 = default, h0 = default;
            for (int k = 0; k < quads; k++)
            {
                Vector256<short> four = BroadcastQuad(ref x, k);
                nuint at = (nuint)k * 32;
                l0 += Avx2.MultiplyAddAdjacent(Widen16(ref w, at), four);
                h0 += Avx2.MultiplyAddAdjacent(Widen16(ref w, at + 16), four);
            }

            PairSums(l0, h0).StoreUnsafe(ref sums, (nuint)b * 8);
        }
    }

    /// <summary>The four inputs of group <paramref name="quad"/> as 16-bit values, repeated across the vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> BroadcastQuad(ref sbyte x, int quad)
    {
        Vector128<short> four = Vector128.WidenLower(Vector128.CreateScalarUnsafe(Quad(ref x, quad)).AsSByte());
        return Vector256.Create(four.AsInt64().ToScalar()).AsInt16();
    }

    /// <summary>16 signed bytes widened to 16-bit lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Widen16(ref sbyte w, nuint offset) => Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref w, offset));

    /// <summary>
    /// Lanes [c0 c0' c1 c1' c2 c2' c3 c3'] and [c4 c4' … c7 c7'] (each column's two partial sums) to [c0 … c7]:
    /// <c>vphaddd</c> gives [c0 c1 c4 c5 | c2 c3 c6 c7], and a 64-bit permute puts the pairs in order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> PairSums(Vector256<int> low, Vector256<int> high) =>
        Avx2.Permute4x64(Avx2.HorizontalAdd(low, high).AsInt64(), 0b11_01_10_00).AsInt32();

    /// <summary>NEON's signed dot product (<c>sdot</c>): four columns of four rows per instruction, two per block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Int8SumsNeon(ref sbyte x, int quads, ref byte weights, int blocks, ref int sums)
    {
        for (int b = 0; b < blocks; b++)
        {
            ref sbyte w = ref Unsafe.As<byte, sbyte>(ref Unsafe.Add(ref weights, (nint)b * quads * 32));
            Vector128<int> low = default, high = default, low2 = default, high2 = default;
            int k = 0;
            for (; k + 2 <= quads; k += 2)
            {
                Vector128<sbyte> even = Vector128.Create(Quad(ref x, k)).AsSByte();
                Vector128<sbyte> odd = Vector128.Create(Quad(ref x, k + 1)).AsSByte();
                nuint at = (nuint)k * 32;
                low = Dp.DotProduct(low, even, Vector128.LoadUnsafe(ref w, at));
                high = Dp.DotProduct(high, even, Vector128.LoadUnsafe(ref w, at + 16));
                low2 = Dp.DotProduct(low2, odd, Vector128.LoadUnsafe(ref w, at + 32));
                high2 = Dp.DotProduct(high2, odd, Vector128.LoadUnsafe(ref w, at + 48));
            }

            if (k < quads)
            {
                Vector128<sbyte> last = Vector128.Create(Quad(ref x, k)).AsSByte();
                nuint at = (nuint)k * 32;
                low = Dp.DotProduct(low, last, Vector128.LoadUnsafe(ref w, at));
                high = Dp.DotProduct(high, last, Vector128.LoadUnsafe(ref w, at + 16));
            }

            (low + low2).StoreUnsafe(ref sums, (nuint)b * 8);
            (high + high2).StoreUnsafe(ref sums, ((nuint)b * 8) + 4);
        }
    }

    /// <summary>The sums one multiply at a time, over the same layout.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Int8SumsScalar(ref sbyte x, int quads, ref byte weights, int blocks, ref int sums)
    {
        for (int b = 0; b < blocks; b++)
        {
            ref sbyte w = ref Unsafe.As<byte, sbyte>(ref Unsafe.Add(ref weights, (nint)b * quads * 32));
            for (int c = 0; c < 8; c++)
            {
                int sum = 0;
                for (int k = 0; k < quads; k++)
                {
                    for (int r = 0; r < 4; r++)
                    {
                        sum += Unsafe.Add(ref x, (4 * k) + r) * Unsafe.Add(ref w, (k * 32) + (c * 4) + r);
                    }
                }

                Unsafe.Add(ref sums, (b * 8) + c) = sum;
            }
        }
    }
}
