using System.Collections.Generic;

namespace RnnCompiler.Generators.Model;

/// <summary>One tensor of the bfloat16 copy: the float tensor it rounds, and where it starts in the copy.</summary>
internal sealed record PackedTensor(TensorModel Tensor, int Offset);

/// <summary>
/// The bfloat16 copy of a <c>WeightPrecision.BFloat16</c> model: every matrix the products read (each recurrent layer's
/// <c>kernel</c> and <c>recurrent_kernel</c>, each Dense <c>kernel</c>), one after another in the order of
/// <c>Parameters</c>. Biases and embeddings are read element by element, not streamed through a product, so they stay float.
/// </summary>
internal static class PackedWeights
{
    public static bool IsPacked(TensorModel tensor) => tensor.Name.EndsWith("/kernel") || tensor.Name.EndsWith("/recurrent_kernel");

    public static IReadOnlyList<PackedTensor> For(NetworkModel model)
    {
        var packed = new List<PackedTensor>();
        if (!model.BFloat16Weights)
        {
            return packed;
        }

        int offset = 0;
        foreach (TensorModel tensor in model.Tensors)
        {
            if (IsPacked(tensor))
            {
                packed.Add(new PackedTensor(tensor, offset));
                offset += tensor.Length;
            }
        }

        return packed;
    }

    /// <summary>The number of bfloat16 values in the copy (0 for a float model).</summary>
    public static int Count(NetworkModel model)
    {
        int count = 0;
        foreach (PackedTensor tensor in For(model))
        {
            count += tensor.Tensor.Length;
        }

        return count;
    }
}
