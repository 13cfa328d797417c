using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Numerics;

namespace RnnCompiler.Weights;

/// <summary>
/// Saves and loads a model's weights as safetensors. Saved files use Keras's names and layouts
/// (<c>lstm/kernel</c> [input, 4 × units], ...). Loading also takes a PyTorch <c>state_dict</c> saved as safetensors,
/// whose modules are named like the Keras layers (<c>lstm.weight_ih_l0</c>, <c>dense.weight</c>, <c>embedding.weight</c>;
/// a bidirectional layer's <c>_reverse</c> tensors under the wrapper's or the wrapped layer's name) and converts gate
/// order, transposes and bias pairs. Everything is checked before anything is copied: a file that fails leaves the
/// model as it was.
/// </summary>
public static class WeightFile
{
    /// <summary>Writes the weights of <paramref name="layers"/> from <paramref name="parameters"/> to <paramref name="stream"/>.</summary>
    /// <param name="stream">A writable stream; it is not closed.</param>
    /// <param name="layers">The model's weighted layers.</param>
    /// <param name="parameters">The flat parameter vector.</param>
    public static void Save<T>(Stream stream, IReadOnlyList<LayerDescriptor> layers, ReadOnlySpan<T> parameters)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The stream must be writable.", nameof(stream));
        }

        var tensors = new List<(string, int[], double[])>();
        AddTensors(tensors, layers, parameters, string.Empty);
        var metadata = new Dictionary<string, string> { ["format"] = "keras", ["producer"] = "RnnCompiler" };
        SafeTensorsFile.Write(stream, tensors, typeof(T) == typeof(double), metadata);
    }

    /// <summary>
    /// Reads weights for <paramref name="layers"/> from <paramref name="stream"/> into <paramref name="parameters"/>,
    /// only after every tensor has been found and checked.
    /// </summary>
    /// <param name="stream">A readable safetensors stream; it is not closed.</param>
    /// <param name="layers">The model's weighted layers.</param>
    /// <param name="parameters">The flat parameter vector, changed only when the whole file is valid.</param>
    /// <exception cref="InvalidDataException">
    /// The file is truncated or malformed, or a tensor is missing, has the wrong shape or a dtype that is not floating point.
    /// </exception>
    public static void Load<T>(Stream stream, IReadOnlyList<LayerDescriptor> layers, Span<T> parameters)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead)
        {
            throw new ArgumentException("The stream must be readable.", nameof(stream));
        }

        (Dictionary<string, SafeTensorEntry> entries, byte[] data) = SafeTensorsFile.Read(stream);
        int total = layers.Sum(layer => layer.ParameterCount);
        var staged = new double[total];
        int baseOffset = layers.Count == 0 ? 0 : layers.Min(layer => layer.Offset);
        bool keras = layers.SelectMany(layer => layer.Tensors).Any(tensor => entries.ContainsKey(tensor.Name));
        bool pytorch = !keras && layers.Any(layer => PyTorchNames.Candidates(layer).Any(prefix => entries.Keys.Any(key => key.StartsWith(prefix + ".", StringComparison.Ordinal))));
        if (!keras && !pytorch)
        {
            string expected = string.Join(", ", layers.SelectMany(layer => layer.Tensors).Take(3).Select(tensor => "'" + tensor.Name + "'"));
            string found = string.Join(", ", entries.Keys.Take(5).Select(key => "'" + key + "'"));
            throw new InvalidDataException($"The file holds none of this model's tensors: expected Keras names such as {expected} (or PyTorch names such as '{layers.FirstOrDefault()?.Name}.weight_ih_l0'); found {(found.Length == 0 ? "no tensors" : found)}.");
        }

        foreach (LayerDescriptor layer in layers)
        {
            foreach (TensorDescriptor tensor in layer.Tensors)
            {
                Span<double> target = staged.AsSpan(tensor.Offset - baseOffset, tensor.Length);
                if (keras)
                {
                    ReadKeras(tensor, entries, data, target);
                }
                else
                {
                    PyTorchNames.Read(tensor, entries, data, target);
                }
            }
        }

        // Everything is valid: only now is the model changed.
        for (int i = 0; i < staged.Length; i++)
        {
            parameters[baseOffset + i] = T.CreateTruncating(staged[i]);
        }
    }

    /// <summary>Adds every tensor of <paramref name="layers"/>, read from <paramref name="values"/>, under its Keras name with <paramref name="prefix"/>.</summary>
    internal static void AddTensors<T>(List<(string, int[], double[])> tensors, IReadOnlyList<LayerDescriptor> layers, ReadOnlySpan<T> values, string prefix)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        foreach (LayerDescriptor layer in layers)
        {
            foreach (TensorDescriptor tensor in layer.Tensors)
            {
                var copy = new double[tensor.Length];
                ReadOnlySpan<T> source = values.Slice(tensor.Offset, tensor.Length);
                for (int i = 0; i < copy.Length; i++)
                {
                    copy[i] = double.CreateTruncating(source[i]);
                }

                tensors.Add((prefix + tensor.Name, tensor.Shape, copy));
            }
        }
    }

    /// <summary>Reads every tensor of <paramref name="layers"/> under its Keras name with <paramref name="prefix"/> into a staged flat vector.</summary>
    internal static double[] StageKeras(IReadOnlyList<LayerDescriptor> layers, Dictionary<string, SafeTensorEntry> entries, byte[] data, string prefix)
    {
        var staged = new double[layers.Sum(layer => layer.ParameterCount)];
        int baseOffset = layers.Count == 0 ? 0 : layers.Min(layer => layer.Offset);
        foreach (LayerDescriptor layer in layers)
        {
            foreach (TensorDescriptor tensor in layer.Tensors)
            {
                ReadKeras(tensor with { Name = prefix + tensor.Name }, entries, data, staged.AsSpan(tensor.Offset - baseOffset, tensor.Length));
            }
        }

        return staged;
    }

    private static void ReadKeras(TensorDescriptor tensor, Dictionary<string, SafeTensorEntry> entries, byte[] data, Span<double> target)
    {
        if (!entries.TryGetValue(tensor.Name, out SafeTensorEntry? entry))
        {
            throw new InvalidDataException($"Tensor '{tensor.Name}' {tensor.ShapeText} is missing from the file.");
        }

        if (!entry.Shape.SequenceEqual(tensor.Shape))
        {
            throw new InvalidDataException($"Tensor '{tensor.Name}' has shape {entry.ShapeText} in the file; the model expects {tensor.ShapeText}.");
        }

        SafeTensorsFile.Decode(entry, data, tensor.Name).CopyTo(target);
    }
}

/// <summary>The mapping from PyTorch's <c>nn.LSTM</c>, <c>nn.GRU</c>, <c>nn.RNN</c>, <c>nn.Linear</c> and <c>nn.Embedding</c> tensors to Keras's.</summary>
internal static class PyTorchNames
{
    /// <summary>The module names a layer's PyTorch tensors may have: the Keras layer name, and for a bidirectional layer also the wrapped layer's.</summary>
    public static IEnumerable<string> Candidates(LayerDescriptor layer) =>
        layer.Name == layer.InnerName ? new[] { layer.Name } : new[] { layer.Name, layer.InnerName };

    public static void Read(TensorDescriptor tensor, Dictionary<string, SafeTensorEntry> entries, byte[] data, Span<double> target)
    {
        LayerDescriptor layer = tensor.Layer;
        string prefix = Candidates(layer).FirstOrDefault(candidate => entries.Keys.Any(key => key.StartsWith(candidate + ".", StringComparison.Ordinal))) ?? layer.Name;
        switch (layer.Kind)
        {
            case LayerKind.Embedding:
                Find(entries, data, prefix + ".weight", tensor, [layer.InputSize, layer.Units]).CopyTo(target);
                return;
            case LayerKind.Dense:
                if (tensor.Role == TensorRole.Kernel)
                {
                    double[] weight = Find(entries, data, prefix + ".weight", tensor, [layer.Units, layer.InputSize]);
                    Transpose(weight, layer.Units, layer.InputSize, target);
                }
                else
                {
                    Find(entries, data, prefix + ".bias", tensor, [layer.Units]).CopyTo(target);
                }

                return;
        }

        if (layer.Kind == LayerKind.Gru && !layer.ResetAfter)
        {
            throw new InvalidDataException($"Layer '{layer.Name}': PyTorch's GRU applies the reset gate after the recurrent product, which is Gru(ResetAfter = true); this layer has ResetAfter = false, so PyTorch weights cannot be converted to it.");
        }

        int units = layer.Units;
        int width = layer.Gates * units;
        string suffix = "_l0" + (tensor.Backward ? "_reverse" : string.Empty);
        switch (tensor.Role)
        {
            case TensorRole.Kernel:
            {
                double[] weight = Find(entries, data, prefix + ".weight_ih" + suffix, tensor, [width, layer.InputSize]);
                ReorderTransposed(weight, layer, layer.InputSize, target);
                break;
            }

            case TensorRole.RecurrentKernel:
            {
                double[] weight = Find(entries, data, prefix + ".weight_hh" + suffix, tensor, [width, units]);
                ReorderTransposed(weight, layer, units, target);
                break;
            }

            default:
            {
                double[] inputBias = Find(entries, data, prefix + ".bias_ih" + suffix, tensor, [width]);
                double[] recurrentBias = Find(entries, data, prefix + ".bias_hh" + suffix, tensor, [width]);
                for (int block = 0; block < layer.Gates; block++)
                {
                    int source = TorchBlock(layer, block) * units;
                    for (int j = 0; j < units; j++)
                    {
                        if (layer.Kind == LayerKind.Gru)
                        {
                            // Keras reset_after bias [2, 3u]: row 0 the input bias, row 1 the recurrent bias.
                            target[block * units + j] = inputBias[source + j];
                            target[width + block * units + j] = recurrentBias[source + j];
                        }
                        else
                        {
                            target[block * units + j] = inputBias[source + j] + recurrentBias[source + j];
                        }
                    }
                }

                break;
            }
        }
    }

    /// <summary>The PyTorch gate block that holds Keras gate block <paramref name="block"/>: GRU's r, z, n against Keras's z, r, h; LSTM's order is Keras's.</summary>
    private static int TorchBlock(LayerDescriptor layer, int block) =>
        layer.Kind == LayerKind.Gru && block < 2 ? 1 - block : block;

    /// <summary>Keras [columns, gates × units] from PyTorch [gates × units, columns], reordering gate blocks.</summary>
    private static void ReorderTransposed(double[] weight, LayerDescriptor layer, int columns, Span<double> target)
    {
        int units = layer.Units;
        int width = layer.Gates * units;
        for (int block = 0; block < layer.Gates; block++)
        {
            int source = TorchBlock(layer, block) * units;
            for (int j = 0; j < units; j++)
            {
                for (int i = 0; i < columns; i++)
                {
                    target[i * width + block * units + j] = weight[(source + j) * columns + i];
                }
            }
        }
    }

    private static void Transpose(double[] weight, int rows, int columns, Span<double> target)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                target[c * rows + r] = weight[r * columns + c];
            }
        }
    }

    private static double[] Find(Dictionary<string, SafeTensorEntry> entries, byte[] data, string name, TensorDescriptor tensor, int[] shape)
    {
        string shapeText = "[" + string.Join(", ", shape) + "]";
        if (!entries.TryGetValue(name, out SafeTensorEntry? entry))
        {
            throw new InvalidDataException($"Tensor '{name}' {shapeText} (PyTorch name for '{tensor.Name}') is missing from the file.");
        }

        if (!entry.Shape.SequenceEqual(shape))
        {
            throw new InvalidDataException($"Tensor '{name}' has shape {entry.ShapeText} in the file; the model expects {shapeText} (for '{tensor.Name}').");
        }

        return SafeTensorsFile.Decode(entry, data, name);
    }
}
