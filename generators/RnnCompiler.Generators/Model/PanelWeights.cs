using System.Collections.Generic;

namespace RnnCompiler.Generators.Model;

/// <summary>One matrix of the panel copy: the tensor it packs, its shape, and where it starts in the copy.</summary>
internal sealed record PanelTensor(TensorModel Tensor, int Offset, int Rows, int Columns);

/// <summary>
/// The panel copy of a float or double model: the recurrent layers' kernels and recurrent kernels that Predict and Step
/// stream from L2, packed by <c>MatrixKernels.PackPanels</c> so that each product reads its matrix in address order.
/// Predict's input projection reads the row-major kernel (it reuses each row over every step), so the copy's kernels
/// serve Step; the recurrent kernels serve both. A bfloat16 model has its own copy instead; a GRU with
/// <c>reset_after = false</c> reads a block of its recurrent kernel's columns on its own, so it stays row-major.
/// </summary>
internal static class PanelWeights
{
    /// <summary>
    /// The smallest matrix, in bytes, that the runtime packs (<c>MatrixKernels.StreamingBytes</c>, the size of an L1 data
    /// cache). Smaller ones are left out of the copy: the runtime would copy them unchanged, so the generated code passes
    /// <c>Parameters</c>' own, which reads the same.
    /// </summary>
    public const int StreamingBytes = 32 * 1024;

    public static IReadOnlyList<PanelTensor> For(NetworkModel model)
    {
        var panels = new List<PanelTensor>();
        if (model.BFloat16Weights || model.Int8Weights)
        {
            return panels;
        }

        int offset = 0;
        foreach ((TensorModel tensor, int rows, int columns, bool _) in Candidates(model, model.IsDouble ? 8 : 4))
        {
            panels.Add(new PanelTensor(tensor, offset, rows, columns));
            offset += tensor.Length;
        }

        return panels;
    }

    /// <summary>
    /// The recurrent kernels of a bfloat16 model that its bfloat16 copy holds in panels (<c>MatrixKernels.PackBFloat16Panels</c>),
    /// 32 KB or more at two bytes a weight; the offsets are those of the bfloat16 copy (<see cref="PackedWeights"/>). Its
    /// kernels stay row-major: Predict's input projection reads them, and the copy holds each matrix once.
    /// </summary>
    public static IReadOnlyList<PanelTensor> ForBFloat16(NetworkModel model)
    {
        var panels = new List<PanelTensor>();
        if (!model.BFloat16Weights)
        {
            return panels;
        }

        foreach ((TensorModel tensor, int rows, int columns, bool recurrent) in Candidates(model, 2))
        {
            foreach (PackedTensor packed in PackedWeights.For(model))
            {
                if (recurrent && packed.Tensor.Identifier == tensor.Identifier)
                {
                    panels.Add(new PanelTensor(tensor, packed.Offset, rows, columns));
                }
            }
        }

        return panels;
    }

    /// <summary>
    /// The kernels of a bfloat16 model's streaming layers that <c>Step</c> reads from a second, packed copy at the end of
    /// the bfloat16 copy (after <see cref="PackedWeights"/>), 32 KB or more at two bytes a weight: the row-major one
    /// stays for <c>Predict</c>'s input projection. A bidirectional layer does not stream, so it has none.
    /// </summary>
    public static IReadOnlyList<PanelTensor> ForBFloat16Step(NetworkModel model)
    {
        var panels = new List<PanelTensor>();
        if (!model.BFloat16Weights || !model.CanStream)
        {
            return panels;
        }

        int offset = PackedWeights.Count(model);
        foreach ((TensorModel tensor, int rows, int columns, bool recurrent) in Candidates(model, 2))
        {
            if (!recurrent)
            {
                panels.Add(new PanelTensor(tensor, offset, rows, columns));
                offset += tensor.Length;
            }
        }

        return panels;
    }

    /// <summary>The elements of the bfloat16 copy: the row-major kernels, then <see cref="ForBFloat16Step"/>.</summary>
    public static int BFloat16CopyCount(NetworkModel model)
    {
        int count = PackedWeights.Count(model);
        foreach (PanelTensor panel in ForBFloat16Step(model))
        {
            count += panel.Tensor.Length;
        }

        return count;
    }

    /// <summary>The kernels and recurrent kernels of the recurrent layers that can be packed, of 32 KB or more at <paramref name="elementBytes"/> a weight.</summary>
    private static IEnumerable<(TensorModel Tensor, int Rows, int Columns, bool Recurrent)> Candidates(NetworkModel model, int elementBytes)
    {
        foreach (LayerModel layer in model.Layers)
        {
            if (!layer.Descriptor.PacksKernels(layer))
            {
                continue;
            }

            int columns = layer.Gates * layer.Units;
            foreach (string direction in layer.Directions)
            {
                foreach ((string name, int rows, bool recurrent) in new[] { (direction + "Kernel", layer.InputWidth, false), (direction + "RecurrentKernel", layer.Units, true) })
                {
                    if ((long)rows * columns * elementBytes < StreamingBytes)
                    {
                        continue;
                    }

                    foreach (TensorModel tensor in model.Tensors)
                    {
                        if (tensor.Identifier == layer.Identifier + name)
                        {
                            yield return (tensor, rows, columns, recurrent);
                        }
                    }
                }
            }
        }
    }

    /// <summary>The number of elements in the copy (0 when no matrix is large enough, and for a bfloat16 model).</summary>
    public static int Count(NetworkModel model)
    {
        int count = 0;
        foreach (PanelTensor tensor in For(model))
        {
            count += tensor.Tensor.Length;
        }

        return count;
    }
}
