using System.Collections.Generic;
using RnnCompiler.Generators.WeightFiles;

namespace RnnCompiler.Generators.Model;

/// <summary>Which pass reads a weight: Predict's forward pass over a sequence, or the streaming Step.</summary>
internal enum WeightUse
{
    Predict,
    Step,
}

/// <summary>Where a pass reads one weight tensor from: which copy of the weights, where in it, and in which layout.</summary>
/// <param name="Copy">The copy: <see cref="WeightCopy.Parameters"/>, the float panel copy, or the bfloat16 copy.</param>
/// <param name="LayoutClass">The emitted class of offsets into that copy (<c>Layout</c>, <c>PanelLayout</c>, <c>BFloat16Layout</c>).</param>
/// <param name="Name">The tensor's constant in that class.</param>
/// <param name="Length">Its number of elements.</param>
/// <param name="Panels">Whether the copy holds it packed in panels (<c>MatrixLayout.Panels</c>) rather than row-major.</param>
internal sealed record WeightRead(WeightCopy Copy, string LayoutClass, string Name, int Length, bool Panels);

/// <summary>The copies of the weights a generated model may read in Predict and Step.</summary>
internal enum WeightCopy
{
    /// <summary><c>Parameters</c> itself (the local <c>p</c>).</summary>
    Parameters,

    /// <summary>The float panel copy (<see cref="PanelWeights"/>, the local <c>panels</c>).</summary>
    Panels,

    /// <summary>The bfloat16 copy (<see cref="PackedWeights"/>, the local <c>w16</c>).</summary>
    BFloat16,

    /// <summary>The int8 copy (<see cref="Int8Weights"/>, the local <c>w8</c>).</summary>
    Int8,
}

/// <summary>
/// The inference variants decided once per tensor, as data: for each weight tensor and each pass, the copy, offset class
/// and layout it is read from. The emitters ask here and never combine the bfloat16 and panel rules themselves.
/// </summary>
internal sealed class WeightReads
{
    private readonly Dictionary<(string Identifier, WeightUse Use), WeightRead> _reads = new();

    public WeightReads(NetworkModel model)
    {
        var floatPanels = new HashSet<string>();
        foreach (PanelTensor panel in PanelWeights.For(model))
        {
            floatPanels.Add(panel.Tensor.Identifier);
        }

        var bfloat16 = new HashSet<string>();
        foreach (PackedTensor packed in PackedWeights.For(model))
        {
            bfloat16.Add(packed.Tensor.Identifier);
        }

        var bfloat16Panels = new HashSet<string>();
        foreach (PanelTensor panel in PanelWeights.ForBFloat16(model))
        {
            bfloat16Panels.Add(panel.Tensor.Identifier);
        }

        var bfloat16StepPanels = new HashSet<string>();
        foreach (PanelTensor panel in PanelWeights.ForBFloat16Step(model))
        {
            bfloat16StepPanels.Add(panel.Tensor.Identifier);
        }

        var int8 = new Dictionary<string, Int8Tensor>();
        foreach (Int8Tensor tensor in Int8Weights.For(model))
        {
            int8[tensor.Tensor.Identifier] = tensor;
        }

        foreach (TensorModel tensor in model.Tensors)
        {
            foreach (WeightUse use in new[] { WeightUse.Predict, WeightUse.Step })
            {
                string id = tensor.Identifier;
                // Predict's input projection reuses each kernel row over every step, so it reads the row-major kernel;
                // the recurrent kernels, and everything Step reads, come from a packed copy when there is one.
                bool streamed = use == WeightUse.Step || tensor.Role == TensorRole.RecurrentKernel;
                WeightRead read =
                    int8.TryGetValue(id, out Int8Tensor? quantized) ? new WeightRead(WeightCopy.Int8, "Int8Layout", id, quantized.Size, false)
                    : streamed && floatPanels.Contains(id) ? new WeightRead(WeightCopy.Panels, "PanelLayout", id, tensor.Length, true)
                    : use == WeightUse.Step && bfloat16StepPanels.Contains(id) ? new WeightRead(WeightCopy.BFloat16, "BFloat16Layout", id + "Panels", tensor.Length, true)
                    : bfloat16.Contains(id) ? new WeightRead(WeightCopy.BFloat16, "BFloat16Layout", id, tensor.Length, bfloat16Panels.Contains(id))
                    : new WeightRead(WeightCopy.Parameters, "Layout", id, tensor.Length, false);
                _reads[(id, use)] = read;
            }
        }
    }

    /// <summary>Where <paramref name="use"/> reads the tensor <paramref name="identifier"/> (<c>Lstm1RecurrentKernel</c>).</summary>
    public WeightRead For(string identifier, WeightUse use) => _reads[(identifier, use)];
}
