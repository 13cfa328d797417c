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
// Integer sums are exact, so every path (AVX-VNNI; AVX-512's and AVX2's 16-bit multiply-add; NEON's dot product or its
// widening multiplies; scalar) gives the same bits; the float epilogue is one multiply and one add per column in a fixed
// order on every path (from the accumulators on the AVX-VNNI path, through a stack buffer of sums on the others).
public static partial class MatrixKernels
{
    /// <summary>The most rows an int8 product takes: the 32-bit sums cannot overflow below it (255 · 127 · rows &lt; 2³¹).</summary>
    public const int MaxInt8Rows = 65536;

    /// <summary>
    /// Columns whose integer sums one pass of the paths without AVX-VNNI keeps on the stack before scaling them: four runs
    /// of 12 blocks (the AVX-VNNI path scales each block from its accumulators).
    /// </summary>
    private const int Int8Chunk = 384;

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
        if (AvxVnni.IsSupported)
        {
            // The sums go from the accumulators straight to y (the same multiply and add as Int8Scale).
            var epilogue = new Int8Epilogue(ref MemoryMarshal.GetReference(offsets), ref MemoryMarshal.GetReference(scales), ref MemoryMarshal.GetReference(addend), ref MemoryMarshal.GetReference(y), xScale, columns);
            Int8SumsVnni(ref MemoryMarshal.GetReference(xq), quads, ref weights, padded / 8, ref epilogue);
            return;
        }

        Span<int> sums = stackalloc int[Math.Min(padded, Int8Chunk)];
        for (int first = 0; first < columns; first += Int8Chunk)
        {
            int count = Math.Min(Int8Chunk, columns - first);
            int blocks = (count + 7) / 8;
            Int8Sums(xq, quads, ref weights, padded / 8, first / 8, blocks, offsets.Slice(first), sums);
            Int8Scale(sums.Slice(0, count), xScale, scales.Slice(first, count), addend.Slice(first, count), y.Slice(first, count));
        }
    }

    /// <summary>
    /// Quantizes <paramref name="x"/> into <paramref name="xq"/> (zeros past it; on the AVX-VNNI path every byte offset
    /// by 128, its top bit flipped) and returns its scale: the largest
    /// magnitude over 127; NaN (and all zeros) when an element is not finite, so every sum through it becomes NaN.
    /// </summary>
    /// <remarks>
    /// The largest magnitude is the largest of the values' bit patterns with the sign cleared, an integer maximum (for
    /// non-negative floats the bit patterns order as the values do, and ∞ and NaN lie above every finite value), so
    /// every path finds the same one. Each value is then multiplied by 127 over it and rounded to nearest even, in
    /// vectors or one at a time with the same result.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float QuantizeRow(ReadOnlySpan<float> x, Span<sbyte> xq)
    {
        // The AVX-VNNI product takes its inputs as unsigned bytes offset by 128: each byte's top bit flipped here once.
        sbyte flip = AvxVnni.IsSupported ? sbyte.MinValue : (sbyte)0;
        const int Magnitude = 0x7FFF_FFFF;
        const int Infinity = 0x7F80_0000;
        ref float source = ref MemoryMarshal.GetReference(x);
        int length = x.Length;
        int i = 0;
        int largestBits = 0;
        if (Vector256.IsHardwareAccelerated && length >= 8)
        {
            Vector256<int> largest = Vector256<int>.Zero;
            for (; i + 8 <= length; i += 8)
            {
                largest = Vector256.Max(largest, Vector256.LoadUnsafe(ref source, (nuint)i).AsInt32() & Vector256.Create(Magnitude));
            }

            Vector128<int> half = Vector128.Max(largest.GetLower(), largest.GetUpper());
            largestBits = Math.Max(Math.Max(half[0], half[1]), Math.Max(half[2], half[3]));
        }
        else if (Vector128.IsHardwareAccelerated && length >= 4)
        {
            Vector128<int> largest = Vector128<int>.Zero;
            for (; i + 4 <= length; i += 4)
            {
                largest = Vector128.Max(largest, Vector128.LoadUnsafe(ref source, (nuint)i).AsInt32() & Vector128.Create(Magnitude));
            }

            largestBits = Math.Max(Math.Max(largest[0], largest[1]), Math.Max(largest[2], largest[3]));
        }

        for (; i < length; i++)
        {
            largestBits = Math.Max(largestBits, BitConverter.SingleToInt32Bits(Unsafe.Add(ref source, i)) & Magnitude);
        }

        xq.Fill(flip);
        if (largestBits >= Infinity)
        {
            return float.NaN;
        }

        if (largestBits == 0)
        {
            return 0f;
        }

        float largestValue = BitConverter.Int32BitsToSingle(largestBits);
        float inverse = 127f / largestValue;
        ref sbyte target = ref MemoryMarshal.GetReference(xq);
        i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> scale = Vector256.Create(inverse);
            for (; i + 32 <= length; i += 32)
            {
                Vector256<int> q0 = Vector256.ConvertToInt32Native(Vector256.Round(Vector256.LoadUnsafe(ref source, (nuint)i) * scale));
                Vector256<int> q1 = Vector256.ConvertToInt32Native(Vector256.Round(Vector256.LoadUnsafe(ref source, (nuint)i + 8) * scale));
                Vector256<int> q2 = Vector256.ConvertToInt32Native(Vector256.Round(Vector256.LoadUnsafe(ref source, (nuint)i + 16) * scale));
                Vector256<int> q3 = Vector256.ConvertToInt32Native(Vector256.Round(Vector256.LoadUnsafe(ref source, (nuint)i + 24) * scale));
                (Vector256.Narrow(Vector256.Narrow(q0, q1), Vector256.Narrow(q2, q3)) ^ Vector256.Create(flip)).StoreUnsafe(ref target, (nuint)i);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            Vector128<float> scale = Vector128.Create(inverse);
            for (; i + 16 <= length; i += 16)
            {
                Vector128<int> q0 = Vector128.ConvertToInt32Native(Vector128.Round(Vector128.LoadUnsafe(ref source, (nuint)i) * scale));
                Vector128<int> q1 = Vector128.ConvertToInt32Native(Vector128.Round(Vector128.LoadUnsafe(ref source, (nuint)i + 4) * scale));
                Vector128<int> q2 = Vector128.ConvertToInt32Native(Vector128.Round(Vector128.LoadUnsafe(ref source, (nuint)i + 8) * scale));
                Vector128<int> q3 = Vector128.ConvertToInt32Native(Vector128.Round(Vector128.LoadUnsafe(ref source, (nuint)i + 12) * scale));
                (Vector128.Narrow(Vector128.Narrow(q0, q1), Vector128.Narrow(q2, q3)) ^ Vector128.Create(flip)).StoreUnsafe(ref target, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref target, i) = (sbyte)((int)MathF.Round(Unsafe.Add(ref source, i) * inverse) ^ flip);
        }

        return largestValue / 127f;
    }

    /// <summary><c>y[j] = addend[j] + (float)sums[j] · (xScale · scales[j])</c>: a multiply and an add per column on every path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Int8Scale(ReadOnlySpan<int> sums, float xScale, ReadOnlySpan<float> scales, ReadOnlySpan<float> addend, Span<float> y)
    {
        int count = y.Length;
        if (sums.Length < count || scales.Length < count || addend.Length < count)
        {
            throw new ArgumentException("The sums, scales and addends must cover every column.", nameof(y));
        }

        ref int s = ref MemoryMarshal.GetReference(sums);
        ref float scale = ref MemoryMarshal.GetReference(scales);
        ref float a = ref MemoryMarshal.GetReference(addend);
        ref float target = ref MemoryMarshal.GetReference(y);
        nuint j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> row = Vector256.Create(xScale);
            for (; j + 8 <= (nuint)count; j += 8)
            {
                Vector256<float> product = Vector256.ConvertToSingle(Vector256.LoadUnsafe(ref s, j)) * (row * Vector256.LoadUnsafe(ref scale, j));
                (Vector256.LoadUnsafe(ref a, j) + product).StoreUnsafe(ref target, j);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            Vector128<float> row = Vector128.Create(xScale);
            for (; j + 4 <= (nuint)count; j += 4)
            {
                Vector128<float> product = Vector128.ConvertToSingle(Vector128.LoadUnsafe(ref s, j)) * (row * Vector128.LoadUnsafe(ref scale, j));
                (Vector128.LoadUnsafe(ref a, j) + product).StoreUnsafe(ref target, j);
            }
        }

        for (; j < (nuint)count; j++)
        {
            Unsafe.Add(ref target, j) = Unsafe.Add(ref a, j) + ((float)Unsafe.Add(ref s, j) * (xScale * Unsafe.Add(ref scale, j)));
        }
    }

    /// <summary>
    /// The exact sums <c>S[j] = Σ_i xq[i] · q[i, j]</c> of <paramref name="count"/> blocks of 8 columns from block
    /// <paramref name="firstBlock"/> on (a whole run of 12, or the rest after the last one), into <paramref name="sums"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Int8Sums(ReadOnlySpan<sbyte> xq, int quads, ref byte weights, int blocks, int firstBlock, int count, ReadOnlySpan<int> offsets, Span<int> sums)
    {
        ref sbyte x = ref MemoryMarshal.GetReference(xq);
        ref int sum = ref MemoryMarshal.GetReference(sums);
        if (Avx512BW.IsSupported)
        {
            Int8SumsAvx512(ref x, quads, ref weights, blocks, firstBlock, count, ref sum);
        }
        else if (Avx2.IsSupported)
        {
            Int8SumsAvx2(ref x, quads, ref weights, blocks, firstBlock, count, ref sum);
        }
        else if (AdvSimd.Arm64.IsSupported && Dp.IsSupported)
        {
            Int8SumsNeon(ref x, quads, ref weights, blocks, firstBlock, count, ref sum);
        }
        else if (AdvSimd.Arm64.IsSupported)
        {
            Int8SumsNeonWidening(ref x, quads, ref weights, blocks, firstBlock, count, ref sum);
        }
        else
        {
            Int8SumsScalar(ref x, quads, ref weights, blocks, firstBlock, count, ref sum);
        }
    }

    /// <summary>Four signed inputs as one 32-bit lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Quad(ref sbyte x, int quad) => Unsafe.ReadUnaligned<int>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref x, 4 * quad)));

    /// <summary>
    /// AVX-VNNI: <c>vpdpbusd</c> multiplies unsigned bytes by signed ones, so the inputs come in offset by 128 (each
    /// byte's top bit flipped by <see cref="QuantizeRow"/>) and each column's <c>128 · Σ q</c>, kept in the matrix, comes
    /// off at the end. A run of twelve
    /// blocks at a time, read in address order: twelve accumulators (of the sixteen registers the VEX encoding reaches)
    /// keep the instruction's five-cycle latency covered at two a cycle; measured on an Emerald Rapids Xeon, eight
    /// chains ran at half that rate, and twelve blocks read as twelve separate streams at half the rate from L2.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Int8SumsVnni(ref sbyte x, int quads, ref byte weights, int blocks, ref Int8Epilogue epilogue)
    {
        int b = 0;
        while (b < blocks)
        {
            ref byte w = ref Unsafe.Add(ref weights, Int8Matrix.RunStart(quads, blocks, b, out int run));
            nuint column = (nuint)b * 8;
            if (run == 12)
            {
                Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
                Vector256<int> a6 = default, a7 = default, a8 = default, a9 = default, a10 = default, a11 = default;
                for (int k = 0; k < quads; k++)
                {
                    Vector256<byte> q = Vector256.Create(Quad(ref x, k)).AsByte();
                    ref byte cell = ref Unsafe.Add(ref w, (nint)k * 384);
                    a0 = Vnni(a0, q, ref cell, 0);
                    a1 = Vnni(a1, q, ref cell, 32);
                    a2 = Vnni(a2, q, ref cell, 64);
                    a3 = Vnni(a3, q, ref cell, 96);
                    a4 = Vnni(a4, q, ref cell, 128);
                    a5 = Vnni(a5, q, ref cell, 160);
                    a6 = Vnni(a6, q, ref cell, 192);
                    a7 = Vnni(a7, q, ref cell, 224);
                    a8 = Vnni(a8, q, ref cell, 256);
                    a9 = Vnni(a9, q, ref cell, 288);
                    a10 = Vnni(a10, q, ref cell, 320);
                    a11 = Vnni(a11, q, ref cell, 352);
                }

                epilogue.Finish(a0, column);
                epilogue.Finish(a1, column + 8);
                epilogue.Finish(a2, column + 16);
                epilogue.Finish(a3, column + 24);
                epilogue.Finish(a4, column + 32);
                epilogue.Finish(a5, column + 40);
                epilogue.Finish(a6, column + 48);
                epilogue.Finish(a7, column + 56);
                epilogue.Finish(a8, column + 64);
                epilogue.Finish(a9, column + 72);
                epilogue.Finish(a10, column + 80);
                epilogue.Finish(a11, column + 88);
            }
            else if (run == 4)
            {
                // Four blocks, the even and odd groups of rows apart: eight chains.
                Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default;
                Vector256<int> e0 = default, e1 = default, e2 = default, e3 = default;
                int k = 0;
                for (; k + 2 <= quads; k += 2)
                {
                    Vector256<byte> even = Vector256.Create(Quad(ref x, k)).AsByte();
                    Vector256<byte> odd = Vector256.Create(Quad(ref x, k + 1)).AsByte();
                    ref byte cell = ref Unsafe.Add(ref w, (nint)k * 128);
                    a0 = Vnni(a0, even, ref cell, 0);
                    a1 = Vnni(a1, even, ref cell, 32);
                    a2 = Vnni(a2, even, ref cell, 64);
                    a3 = Vnni(a3, even, ref cell, 96);
                    e0 = Vnni(e0, odd, ref cell, 128);
                    e1 = Vnni(e1, odd, ref cell, 160);
                    e2 = Vnni(e2, odd, ref cell, 192);
                    e3 = Vnni(e3, odd, ref cell, 224);
                }

                if (k < quads)
                {
                    Vector256<byte> last = Vector256.Create(Quad(ref x, k)).AsByte();
                    ref byte cell = ref Unsafe.Add(ref w, (nint)k * 128);
                    a0 = Vnni(a0, last, ref cell, 0);
                    a1 = Vnni(a1, last, ref cell, 32);
                    a2 = Vnni(a2, last, ref cell, 64);
                    a3 = Vnni(a3, last, ref cell, 96);
                }

                epilogue.Finish(a0 + e0, column);
                epilogue.Finish(a1 + e1, column + 8);
                epilogue.Finish(a2 + e2, column + 16);
                epilogue.Finish(a3 + e3, column + 24);
            }
            else
            {
                Vector256<int> a = default, e = default;
                int k = 0;
                for (; k + 2 <= quads; k += 2)
                {
                    a = Vnni(a, Vector256.Create(Quad(ref x, k)).AsByte(), ref w, (nuint)k * 32);
                    e = Vnni(e, Vector256.Create(Quad(ref x, k + 1)).AsByte(), ref w, ((nuint)k * 32) + 32);
                }

                if (k < quads)
                {
                    a = Vnni(a, Vector256.Create(Quad(ref x, k)).AsByte(), ref w, (nuint)k * 32);
                }

                epilogue.Finish(a + e, column);
            }

            b += run;
        }
    }

    /// <summary>One <c>vpdpbusd</c>: the 32 weights at <paramref name="at"/> times the four inputs in every lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Vnni(Vector256<int> sum, Vector256<byte> inputs, ref byte w, nuint at) =>
        AvxVnni.MultiplyWideningAndAdd(sum, inputs, Vector256.LoadUnsafe(ref w, at).AsSByte());


    /// <summary>
    /// AVX2 without VNNI: each 32-byte cell widened to two vectors of 16-bit weights (4 columns × 4 rows each) and
    /// multiplied by the four inputs with <c>vpmaddwd</c>, which sums pairs of rows into 32-bit lanes; the two lanes of
    /// each column are added once at the end. Two blocks of a run at a time (a run of one alone).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Int8SumsAvx2(ref sbyte x, int quads, ref byte weights, int blocks, int firstBlock, int count, ref int sums)
    {
        int b = 0;
        while (b < count)
        {
            ref sbyte w = ref Unsafe.As<byte, sbyte>(ref Unsafe.Add(ref weights, Int8Matrix.RunStart(quads, blocks, firstBlock + b, out int run)));
            nuint step = (nuint)run * 32;
            if (run > 1)
            {
                Vector256<int> l0 = default, h0 = default, l1 = default, h1 = default;
                for (int k = 0; k < quads; k++)
                {
                    Vector256<short> four = BroadcastQuad(ref x, k);
                    nuint at = (nuint)k * step;
                    l0 += Avx2.MultiplyAddAdjacent(Widen16(ref w, at), four);
                    h0 += Avx2.MultiplyAddAdjacent(Widen16(ref w, at + 16), four);
                    l1 += Avx2.MultiplyAddAdjacent(Widen16(ref w, at + 32), four);
                    h1 += Avx2.MultiplyAddAdjacent(Widen16(ref w, at + 48), four);
                }

                PairSums(l0, h0).StoreUnsafe(ref sums, (nuint)b * 8);
                PairSums(l1, h1).StoreUnsafe(ref sums, ((nuint)b * 8) + 8);
                // The next pair of this run starts two cells on (RunStart finds it the same way).
                b += 2;
                continue;
            }

            Vector256<int> lo = default, hi = default;
            for (int k = 0; k < quads; k++)
            {
                Vector256<short> four = BroadcastQuad(ref x, k);
                nuint at = (nuint)k * step;
                lo += Avx2.MultiplyAddAdjacent(Widen16(ref w, at), four);
                hi += Avx2.MultiplyAddAdjacent(Widen16(ref w, at + 16), four);
            }

            PairSums(lo, hi).StoreUnsafe(ref sums, (nuint)b * 8);
            b++;
        }
    }

    /// <summary>
    /// AVX-512 without AVX-VNNI (which .NET reaches only in its VEX form): each 32-byte cell widened to one vector of 32
    /// 16-bit weights and multiplied by the four inputs with a 512-bit <c>vpmaddwd</c>, which sums pairs of rows into
    /// 16 lanes, two per column, added once at the end. Up to six cells of a run at a time (twelve accumulators would
    /// spill: each cell needs its widened weights beside the sum).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Int8SumsAvx512(ref sbyte x, int quads, ref byte weights, int blocks, int firstBlock, int count, ref int sums)
    {
        int b = 0;
        while (b < count)
        {
            ref sbyte w = ref Unsafe.As<byte, sbyte>(ref Unsafe.Add(ref weights, Int8Matrix.RunStart(quads, blocks, firstBlock + b, out int run)));
            nint step = (nint)run * 32;
            if (run == 12)
            {
                // Two passes of six cells over the run.
                for (int half = 0; half < 2; half++)
                {
                    ref sbyte h = ref Unsafe.Add(ref w, half * 6 * 32);
                    Vector512<int> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
                    for (int k = 0; k < quads; k++)
                    {
                        Vector512<short> four = BroadcastQuad512(ref x, k);
                        ref sbyte cell = ref Unsafe.Add(ref h, k * step);
                        a0 += Avx512BW.MultiplyAddAdjacent(Widen512(ref cell, 0), four);
                        a1 += Avx512BW.MultiplyAddAdjacent(Widen512(ref cell, 32), four);
                        a2 += Avx512BW.MultiplyAddAdjacent(Widen512(ref cell, 64), four);
                        a3 += Avx512BW.MultiplyAddAdjacent(Widen512(ref cell, 96), four);
                        a4 += Avx512BW.MultiplyAddAdjacent(Widen512(ref cell, 128), four);
                        a5 += Avx512BW.MultiplyAddAdjacent(Widen512(ref cell, 160), four);
                    }

                    nuint column = ((nuint)b + (nuint)(half * 6)) * 8;
                    PairSums512(a0).StoreUnsafe(ref sums, column);
                    PairSums512(a1).StoreUnsafe(ref sums, column + 8);
                    PairSums512(a2).StoreUnsafe(ref sums, column + 16);
                    PairSums512(a3).StoreUnsafe(ref sums, column + 24);
                    PairSums512(a4).StoreUnsafe(ref sums, column + 32);
                    PairSums512(a5).StoreUnsafe(ref sums, column + 40);
                }

                b += 12;
                continue;
            }

            if (run == 4)
            {
                Vector512<int> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int k = 0; k < quads; k++)
                {
                    Vector512<short> four = BroadcastQuad512(ref x, k);
                    ref sbyte cell = ref Unsafe.Add(ref w, k * step);
                    a0 += Avx512BW.MultiplyAddAdjacent(Widen512(ref cell, 0), four);
                    a1 += Avx512BW.MultiplyAddAdjacent(Widen512(ref cell, 32), four);
                    a2 += Avx512BW.MultiplyAddAdjacent(Widen512(ref cell, 64), four);
                    a3 += Avx512BW.MultiplyAddAdjacent(Widen512(ref cell, 96), four);
                }

                nuint column = (nuint)b * 8;
                PairSums512(a0).StoreUnsafe(ref sums, column);
                PairSums512(a1).StoreUnsafe(ref sums, column + 8);
                PairSums512(a2).StoreUnsafe(ref sums, column + 16);
                PairSums512(a3).StoreUnsafe(ref sums, column + 24);
                b += 4;
                continue;
            }

            Vector512<int> a = default, e = default;
            int q = 0;
            for (; q + 2 <= quads; q += 2)
            {
                a += Avx512BW.MultiplyAddAdjacent(Widen512(ref w, q * step), BroadcastQuad512(ref x, q));
                e += Avx512BW.MultiplyAddAdjacent(Widen512(ref w, (q + 1) * step), BroadcastQuad512(ref x, q + 1));
            }

            if (q < quads)
            {
                a += Avx512BW.MultiplyAddAdjacent(Widen512(ref w, q * step), BroadcastQuad512(ref x, q));
            }

            PairSums512(a + e).StoreUnsafe(ref sums, (nuint)b * 8);
            b++;
        }
    }

    /// <summary>The four inputs of group <paramref name="quad"/> as 16-bit values, repeated across a 512-bit vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> BroadcastQuad512(ref sbyte x, int quad)
    {
        Vector128<short> four = Vector128.WidenLower(Vector128.CreateScalarUnsafe(Quad(ref x, quad)).AsSByte());
        return Vector512.Create(four.AsInt64().ToScalar()).AsInt16();
    }

    /// <summary>A 32-byte cell's signed bytes widened to 16-bit lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Widen512(ref sbyte cell, nint offset) =>
        Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref Unsafe.Add(ref cell, offset)));

    /// <summary>Sixteen lanes, each column's two partial sums side by side, to the eight columns' sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> PairSums512(Vector512<int> pairs)
    {
        Vector512<long> wide = pairs.AsInt64();
        Vector512<long> sum = Vector512.ShiftRightArithmetic(Vector512.ShiftLeft(wide, 32), 32) + Vector512.ShiftRightArithmetic(wide, 32);
        return Avx512F.ConvertToVector256Int32(sum);
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

    /// <summary>NEON's signed dot product (<c>sdot</c>): four columns of four rows per instruction, two per cell.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Int8SumsNeon(ref sbyte x, int quads, ref byte weights, int blocks, int firstBlock, int count, ref int sums)
    {
        for (int b = 0; b < count; b++)
        {
            ref sbyte w = ref Unsafe.As<byte, sbyte>(ref Unsafe.Add(ref weights, Int8Matrix.RunStart(quads, blocks, firstBlock + b, out int run)));
            nuint step = (nuint)run * 32;
            Vector128<int> low = default, high = default, low2 = default, high2 = default;
            int k = 0;
            for (; k + 2 <= quads; k += 2)
            {
                Vector128<sbyte> even = Vector128.Create(Quad(ref x, k)).AsSByte();
                Vector128<sbyte> odd = Vector128.Create(Quad(ref x, k + 1)).AsSByte();
                nuint at = (nuint)k * step;
                low = Dp.DotProduct(low, even, Vector128.LoadUnsafe(ref w, at));
                high = Dp.DotProduct(high, even, Vector128.LoadUnsafe(ref w, at + 16));
                low2 = Dp.DotProduct(low2, odd, Vector128.LoadUnsafe(ref w, at + step));
                high2 = Dp.DotProduct(high2, odd, Vector128.LoadUnsafe(ref w, at + step + 16));
            }

            if (k < quads)
            {
                Vector128<sbyte> last = Vector128.Create(Quad(ref x, k)).AsSByte();
                nuint at = (nuint)k * step;
                low = Dp.DotProduct(low, last, Vector128.LoadUnsafe(ref w, at));
                high = Dp.DotProduct(high, last, Vector128.LoadUnsafe(ref w, at + 16));
            }

            (low + low2).StoreUnsafe(ref sums, (nuint)b * 8);
            (high + high2).StoreUnsafe(ref sums, ((nuint)b * 8) + 4);
        }
    }

    /// <summary>
    /// NEON without the dot product (ARMv8.0, such as Cortex-A53 and A72): each 16 bytes of a cell (4 columns × 4 rows)
    /// multiplied by the four inputs into 16-bit products (<c>smull</c>, <c>smull2</c>; |x · w| ≤ 127², exact), added in
    /// pairs into 32-bit lanes (<c>sadalp</c>), and each column's two lanes added once at the end (<c>addp</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Int8SumsNeonWidening(ref sbyte x, int quads, ref byte weights, int blocks, int firstBlock, int count, ref int sums)
    {
        for (int b = 0; b < count; b++)
        {
            ref sbyte w = ref Unsafe.As<byte, sbyte>(ref Unsafe.Add(ref weights, Int8Matrix.RunStart(quads, blocks, firstBlock + b, out int run)));
            nuint step = (nuint)run * 32;
            Vector128<int> c01 = default, c23 = default, c45 = default, c67 = default;
            for (int k = 0; k < quads; k++)
            {
                Vector128<sbyte> four = Vector128.Create(Quad(ref x, k)).AsSByte();
                nuint at = (nuint)k * step;
                Vector128<sbyte> low = Vector128.LoadUnsafe(ref w, at);
                Vector128<sbyte> high = Vector128.LoadUnsafe(ref w, at + 16);
                c01 = AdvSimd.AddPairwiseWideningAndAdd(c01, AdvSimd.MultiplyWideningLower(low.GetLower(), four.GetLower()));
                c23 = AdvSimd.AddPairwiseWideningAndAdd(c23, AdvSimd.MultiplyWideningUpper(low, four));
                c45 = AdvSimd.AddPairwiseWideningAndAdd(c45, AdvSimd.MultiplyWideningLower(high.GetLower(), four.GetLower()));
                c67 = AdvSimd.AddPairwiseWideningAndAdd(c67, AdvSimd.MultiplyWideningUpper(high, four));
            }

            AdvSimd.Arm64.AddPairwise(c01, c23).StoreUnsafe(ref sums, (nuint)b * 8);
            AdvSimd.Arm64.AddPairwise(c45, c67).StoreUnsafe(ref sums, ((nuint)b * 8) + 4);
        }
    }

    /// <summary>The sums one multiply at a time, over the same layout.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Int8SumsScalar(ref sbyte x, int quads, ref byte weights, int blocks, int firstBlock, int count, ref int sums)
    {
        for (int b = 0; b < count; b++)
        {
            ref sbyte w = ref Unsafe.As<byte, sbyte>(ref Unsafe.Add(ref weights, Int8Matrix.RunStart(quads, blocks, firstBlock + b, out int run)));
            for (int c = 0; c < 8; c++)
            {
                int sum = 0;
                for (int k = 0; k < quads; k++)
                {
                    for (int r = 0; r < 4; r++)
                    {
                        sum += Unsafe.Add(ref x, (4 * k) + r) * Unsafe.Add(ref w, (k * run * 32) + (c * 4) + r);
                    }
                }

                Unsafe.Add(ref sums, (b * 8) + c) = sum;
            }
        }
    }
}

/// <summary>
/// Where the AVX-VNNI product puts each block of sums: less the columns' offsets, scaled and added to the addend,
/// <c>y[j] = addend[j] + (float)S[j] · (xScale · scale[j])</c> with the same two operations as <c>Int8Scale</c>; a block
/// past the last column writes only the columns there are.
/// </summary>
internal readonly ref struct Int8Epilogue(ref int offsets, ref float scales, ref float addend, ref float y, float xScale, int columns)
{
    private readonly ref int _offsets = ref offsets;
    private readonly ref float _scales = ref scales;
    private readonly ref float _addend = ref addend;
    private readonly ref float _y = ref y;
    private readonly float _xScale = xScale;
    private readonly int _columns = columns;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Finish(Vector256<int> sum, nuint column)
    {
        Vector256<float> product = Vector256.ConvertToSingle(sum - Vector256.LoadUnsafe(ref _offsets, column)) * (Vector256.Create(_xScale) * Vector256.LoadUnsafe(ref _scales, column));
        if (column + 8 <= (nuint)_columns)
        {
            (Vector256.LoadUnsafe(ref _addend, column) + product).StoreUnsafe(ref _y, column);
            return;
        }

        for (nuint j = 0; column + j < (nuint)_columns; j++)
        {
            Unsafe.Add(ref _y, column + j) = Unsafe.Add(ref _addend, column + j) + product.GetElement((int)j);
        }
    }
}
