using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Numerics;
using RnnCompiler.Weights.Shared;

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
        where T : unmanaged, IBinaryFloatingPointIeee754<T> => Load(stream, layers, parameters, modules: null);

    /// <summary>
    /// Reads weights as <see cref="Load{T}(Stream, IReadOnlyList{LayerDescriptor}, Span{T})"/> does; with
    /// <paramref name="modules"/>, the file is a PyTorch <c>state_dict</c> whose modules are named by that map.
    /// </summary>
    internal static void Load<T>(Stream stream, IReadOnlyList<LayerDescriptor> layers, Span<T> parameters, IDictionary<string, string>? modules)
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
        bool keras = modules is null && layers.SelectMany(layer => layer.Tensors).Any(tensor => entries.ContainsKey(tensor.Name));
        bool pytorch = modules is not null || (!keras && layers.Any(layer => PyTorchNames.Candidates(layer).Any(prefix => entries.Keys.Any(key => key.StartsWith(prefix + ".", StringComparison.Ordinal)))));
        if (!keras && !pytorch)
        {
            string expected = string.Join(", ", layers.SelectMany(layer => layer.Tensors).Take(3).Select(tensor => "'" + tensor.Name + "'"));
            throw new InvalidDataException($"The file holds none of this model's tensors: expected Keras names such as {expected} (or PyTorch names such as '{layers.FirstOrDefault()?.Name}.weight_ih_l0'); found {PyTorchNames.Listing(entries.Keys)}. For a PyTorch state_dict with other module names, pass them: model.LoadPyTorchWeights(stream, new Dictionary<string, string> {{ [\"{layers.FirstOrDefault()?.Name}\"] = \"rnn\" }}).");
        }

        PyTorchModule[] assigned = pytorch ? PyTorchNames.Assign(layers, entries.Keys, modules) : Array.Empty<PyTorchModule>();
        for (int index = 0; index < layers.Count; index++)
        {
            foreach (TensorDescriptor tensor in layers[index].Tensors)
            {
                Span<double> target = staged.AsSpan(tensor.Offset - baseOffset, tensor.Length);
                if (keras)
                {
                    ReadKeras(tensor, entries, data, target);
                }
                else
                {
                    PyTorchNames.Read(tensor, assigned[index], entries, data, target);
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

        SafeTensorsHeader.Decode(entry, data, 0, tensor.Name).CopyTo(target);
    }
}

/// <summary>
/// Reads a PyTorch <c>state_dict</c>'s tensors into Keras's layout through <see cref="PyTorchLayout"/>, the
/// conversion the generator also compiles (for compile-time weights).
/// </summary>
internal static class PyTorchNames
{
    /// <summary>The module names a layer's PyTorch tensors may have: the Keras layer name, and for a bidirectional layer also the wrapped layer's.</summary>
    public static IEnumerable<string> Candidates(LayerDescriptor layer) => PyTorchLayout.Candidates(Describe(layer));

    /// <summary>The module of each layer (<see cref="PyTorchLayout.Assign"/>).</summary>
    public static PyTorchModule[] Assign(IReadOnlyList<LayerDescriptor> layers, ICollection<string> names, IDictionary<string, string>? modules) =>
        PyTorchLayout.Assign(layers.Select(Describe).ToArray(), names, modules);

    /// <summary>The file's modules (the part of a name before its first dot) and up to eight tensor names, quoted, for messages.</summary>
    public static string Listing(IEnumerable<string> names)
    {
        string[] all = names.ToArray();
        if (all.Length == 0)
        {
            return "no tensors";
        }

        string modules = string.Join(", ", all.Select(name => name.Contains('.') ? name[..name.IndexOf('.')] : name).Distinct().Take(12).Select(module => "'" + SafeTensorsHeader.Shorten(module) + "'"));
        string shown = string.Join(", ", all.Take(8).Select(name => "'" + SafeTensorsHeader.Shorten(name) + "'"));
        return $"the modules {modules}, with tensors {shown}{(all.Length > 8 ? $" and {all.Length - 8} more" : string.Empty)}";
    }

    public static void Read(TensorDescriptor tensor, PyTorchModule module, Dictionary<string, SafeTensorEntry> entries, byte[] data, Span<double> target)
    {
        PyTorchTensor? Lookup(string name)
        {
            if (!entries.TryGetValue(name, out SafeTensorEntry? entry))
            {
                return null;
            }

            bool floating = entry.DType is "F32" or "F64" or "F16" or "BF16";
            return new PyTorchTensor(entry.Shape, floating ? SafeTensorsHeader.Decode(entry, data, 0, name) : null, entry.DType);
        }

        PyTorchConversion conversion = PyTorchLayout.Convert(Describe(tensor.Layer), module, tensor.Name, tensor.Role, tensor.Backward, Lookup, "the file");
        if (conversion.Values is null)
        {
            string error = conversion.Error!;
            if (error.Contains("is missing from", StringComparison.Ordinal))
            {
                // Name what the file holds, and how to map other module names.
                error += $" The file holds {Listing(entries.Keys)}. Modules named otherwise than the Keras layers are mapped with model.LoadPyTorchWeights(stream, new Dictionary<string, string> {{ [\"{tensor.Layer.Name}\"] = \"<module>\" }}).";
            }

            throw new InvalidDataException(error);
        }

        conversion.Values.CopyTo(target);
    }

    private static PyTorchLayer Describe(LayerDescriptor layer) =>
        new(layer.Kind, layer.Name, layer.InnerName, layer.InputSize, layer.Units, layer.Bidirectional, layer.ResetAfter);
}
