using System.Collections.Generic;
using RnnCompiler.Generators.WeightFiles;

namespace RnnCompiler.Generators.Model;

/// <summary>
/// One matrix of the int8 copy: the float tensor it quantizes, its shape, where it starts in the copy and how many bytes it
/// takes there (<c>RnnCompiler.Kernels.Int8Matrix</c>). <paramref name="GruResetBefore"/> marks a GRU recurrent kernel
/// without <c>reset_after</c>, held as two matrices (<c>GruLayer.QuantizeRecurrentKernel</c>).
/// </summary>
internal sealed record Int8Tensor(TensorModel Tensor, int Rows, int Columns, int Offset, int Size, bool GruResetBefore);

/// <summary>
/// The int8 copy of a <c>WeightPrecision.Int8</c> model: every matrix the products read (each recurrent layer's
/// <c>kernel</c> and <c>recurrent_kernel</c>, each Dense <c>kernel</c>) quantized, one after another in the order of
/// <c>Parameters</c>, each on a 64-byte boundary. Biases and embeddings are read element by element, so they stay float.
/// </summary>
internal static class Int8Weights
{
    public static IReadOnlyList<Int8Tensor> For(NetworkModel model)
    {
        var tensors = new List<Int8Tensor>();
        if (!model.Int8Weights)
        {
            return tensors;
        }

        var resetBefore = new HashSet<string>();
        foreach (LayerModel layer in model.Layers)
        {
            if (layer.Kind == LayerKind.Gru && !layer.ResetAfter)
            {
                foreach (string direction in layer.Directions)
                {
                    resetBefore.Add(layer.Identifier + direction + "RecurrentKernel");
                }
            }
        }

        int offset = 0;
        foreach (TensorModel tensor in model.Tensors)
        {
            if (!PackedWeights.IsPacked(tensor))
            {
                continue;
            }

            (int rows, int columns) = Shape(tensor.Shape);
            bool split = resetBefore.Contains(tensor.Identifier);
            int size = split ? Size(rows, 2 * rows) + Size(rows, rows) : Size(rows, columns);
            tensors.Add(new Int8Tensor(tensor, rows, columns, offset, size, split));
            offset += size;
        }

        return tensors;
    }

    /// <summary>The bytes of the whole copy (0 for a model without int8 weights).</summary>
    public static int Count(NetworkModel model)
    {
        int count = 0;
        foreach (Int8Tensor tensor in For(model))
        {
            count += tensor.Size;
        }

        return count;
    }

    /// <summary>
    /// The bytes of one quantized matrix: <c>Int8Matrix.Size</c> (the runtime checks each destination against it, so a
    /// difference would fail the first quantization): 8 header bytes per column padded to 8, 4 bytes per padded column
    /// per group of 4 rows, rounded up to 64.
    /// </summary>
    public static int Size(int rows, int columns)
    {
        long padded = (columns + 7) / 8 * 8;
        long size = (8 * padded) + (padded * 4 * ((rows + 3) / 4));
        return (int)((size + 63) / 64 * 64);
    }

    /// <summary>The two dimensions of a matrix's shape text, <c>[64, 512]</c>.</summary>
    private static (int Rows, int Columns) Shape(string shape)
    {
        string[] parts = shape.Trim('[', ']').Split(',');
        return (int.Parse(parts[0].Trim(), System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1].Trim(), System.Globalization.CultureInfo.InvariantCulture));
    }
}
