// The one implementation of the PyTorch → Keras weight conversion. It is compiled into the runtime (LoadWeights)
// and, as a linked file, into the generator (compile-time weights, netstandard2.0), so it depends on nothing but
// the base library: arrays, no spans, no types of either project.
using System;
using System.Collections.Generic;

// The generator defines RNNCOMPILER_GENERATOR and keeps the file in its own namespace: a namespace
// RnnCompiler.Weights in the generator assembly would hide members named Weights from its code.
#if RNNCOMPILER_GENERATOR
namespace RnnCompiler.Generators.WeightFiles;
#else
namespace RnnCompiler.Weights.Shared;
#endif

/// <summary>One weighted layer, described with what the conversion needs.</summary>
internal sealed class PyTorchLayer
{
    /// <param name="kind">The layer kind.</param>
    /// <param name="kerasName">The Keras layer name (for a bidirectional layer the wrapper's, <c>bidirectional</c>).</param>
    /// <param name="innerName">For a bidirectional layer the wrapped layer's name (<c>lstm</c>); otherwise <paramref name="kerasName"/>.</param>
    /// <param name="inputSize">The input width (for Embedding, the vocabulary size).</param>
    /// <param name="units">The units (for Embedding, the dimensions).</param>
    /// <param name="bidirectional">Whether the layer has a backward direction with its own weights.</param>
    /// <param name="resetAfter">For a GRU, Keras's <c>reset_after</c>.</param>
    public PyTorchLayer(LayerKind kind, string kerasName, string innerName, int inputSize, int units, bool bidirectional, bool resetAfter)
    {
        Kind = kind;
        KerasName = kerasName;
        InnerName = innerName;
        InputSize = inputSize;
        Units = units;
        Gates = KerasTensorLayout.Gates(kind);
        Bidirectional = bidirectional;
        ResetAfter = resetAfter;
    }

    public LayerKind Kind { get; }

    public string KerasName { get; }

    public string InnerName { get; }

    public int InputSize { get; }

    public int Units { get; }

    public int Gates { get; }

    public bool Bidirectional { get; }

    public bool ResetAfter { get; }
}

/// <summary>One tensor of a file, as the caller's lookup finds it.</summary>
internal sealed class PyTorchTensor
{
    /// <param name="shape">The shape in the file.</param>
    /// <param name="values">The values in row-major order, or null when the dtype is not floating point.</param>
    /// <param name="dtype">The dtype, named in the message when <paramref name="values"/> is null.</param>
    public PyTorchTensor(int[] shape, double[]? values, string dtype)
    {
        Shape = shape;
        Values = values;
        DType = dtype;
    }

    public int[] Shape { get; }

    public double[]? Values { get; }

    public string DType { get; }
}

/// <summary>The PyTorch module that holds a layer's tensors, and for a recurrent layer its layer index in that module (<c>_l{Index}</c>).</summary>
internal sealed class PyTorchModule
{
    public PyTorchModule(string name, int index)
    {
        Name = name;
        Index = index;
    }

    /// <summary>The module name: the tensors are <c>{Name}.weight_ih_l{Index}</c>, <c>{Name}.weight</c>, ...</summary>
    public string Name { get; }

    /// <summary>For a recurrent layer, its layer in a module of <c>num_layers</c> layers; 0 otherwise.</summary>
    public int Index { get; }
}

/// <summary>Finds a tensor of the file by name, or returns null when the file has none of that name.</summary>
internal delegate PyTorchTensor? PyTorchLookup(string name);

/// <summary>The converted values of one Keras tensor, or why they could not be converted.</summary>
internal sealed class PyTorchConversion
{
    private PyTorchConversion(double[]? values, string? error)
    {
        Values = values;
        Error = error;
    }

    /// <summary>The values in Keras's layout, or null when <see cref="Error"/> is set.</summary>
    public double[]? Values { get; }

    /// <summary>A message naming the PyTorch tensor, the Keras tensor and the shapes, or null.</summary>
    public string? Error { get; }

    public static PyTorchConversion Success(double[] values) => new PyTorchConversion(values, null);

    public static PyTorchConversion Failure(string error) => new PyTorchConversion(null, error);
}

/// <summary>
/// The mapping from PyTorch's <c>nn.LSTM</c>, <c>nn.GRU</c>, <c>nn.RNN</c>, <c>nn.Linear</c> and
/// <c>nn.Embedding</c> tensors to Keras's: <c>{module}.weight_ih_l0</c> [gates × units, input] and
/// <c>weight_hh_l0</c> transposed to the kernels, <c>bias_ih_l0</c> + <c>bias_hh_l0</c> summed (LSTM, RNN) or
/// stacked as Keras's [2, 3 × units] (GRU), GRU gates r, z, n reordered to z, r, h, <c>_reverse</c> for the
/// backward direction; Linear <c>weight</c> [out, in] transposed and <c>bias</c>; Embedding <c>weight</c>.
/// The module is named after the Keras layer or, for a bidirectional layer, also after the wrapped layer.
/// </summary>
internal static class PyTorchLayout
{
    /// <summary>The module names a layer's PyTorch tensors may have: the Keras layer name, and for a bidirectional layer also the wrapped layer's.</summary>
    public static string[] Candidates(PyTorchLayer layer) =>
        layer.KerasName == layer.InnerName ? new[] { layer.KerasName } : new[] { layer.KerasName, layer.InnerName };

    /// <summary>The module name the file uses for <paramref name="layer"/>, or null when none of its tensor names starts with a candidate.</summary>
    public static string? ModuleName(PyTorchLayer layer, IEnumerable<string> names)
    {
        foreach (string candidate in Candidates(layer))
        {
            string prefix = candidate + ".";
            foreach (string name in names)
            {
                if (name.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The module of each layer, in order. A layer named in <paramref name="map"/> (by its Keras name, or for a
    /// bidirectional layer also the wrapped layer's) takes the module given there; layers mapped to one module are
    /// its layers 0, 1, ... in model order (<c>nn.LSTM(num_layers = N)</c>). An unmapped layer takes the module named
    /// after it when the file has one; else, following a recurrent layer of the same kind whose module holds a next
    /// layer (<c>_l1</c>, ...), that next layer; else its Keras name (and the conversion reports what is missing).
    /// </summary>
    public static PyTorchModule[] Assign(IReadOnlyList<PyTorchLayer> layers, ICollection<string> names, IDictionary<string, string>? map)
    {
        var modules = new PyTorchModule[layers.Count];
        var used = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < layers.Count; i++)
        {
            PyTorchLayer layer = layers[i];
            bool recurrent = layer.Kind is LayerKind.SimpleRnn or LayerKind.Lstm or LayerKind.Gru;
            string? mapped = null;
            if (map is not null && !map.TryGetValue(layer.KerasName, out mapped))
            {
                map.TryGetValue(layer.InnerName, out mapped);
            }

            if (mapped is not null)
            {
                used.TryGetValue(mapped, out int count);
                used[mapped] = count + 1;
                modules[i] = new PyTorchModule(mapped, recurrent ? count : 0);
                continue;
            }

            string? own = ModuleName(layer, names);
            if (own is null && recurrent && i > 0 && layers[i - 1].Kind == layer.Kind && layers[i - 1].Bidirectional == layer.Bidirectional)
            {
                PyTorchModule previous = modules[i - 1];
                string next = previous.Name + ".weight_ih_l" + (previous.Index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (Contains(names, next))
                {
                    modules[i] = new PyTorchModule(previous.Name, previous.Index + 1);
                    continue;
                }
            }

            modules[i] = new PyTorchModule(own ?? layer.KerasName, 0);
        }

        return modules;
    }

    private static bool Contains(ICollection<string> names, string name)
    {
        foreach (string candidate in names)
        {
            if (string.Equals(candidate, name, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Converts one Keras tensor of <paramref name="layer"/> from the file's PyTorch tensors.
    /// </summary>
    /// <param name="layer">The layer that holds the tensor.</param>
    /// <param name="module">The layer's module, from <see cref="Assign"/>.</param>
    /// <param name="kerasName">The Keras tensor name, for messages (<c>gru/kernel</c>).</param>
    /// <param name="role">What the tensor is for.</param>
    /// <param name="backward">True for the backward direction of a bidirectional layer.</param>
    /// <param name="lookup">Finds a tensor of the file by name.</param>
    /// <param name="where">The file as messages name it: <c>the file</c>, or <c>'weights.safetensors'</c>.</param>
    public static PyTorchConversion Convert(PyTorchLayer layer, PyTorchModule module, string kerasName, TensorRole role, bool backward, PyTorchLookup lookup, string where)
    {
        // Every kind is listed and there is no default branch: a new kind is error CS8509 until it maps here.
#pragma warning disable CS8524 // kinds come from the attributes' parser, never an unnamed value
        return layer.Kind switch
        {
            LayerKind.Embedding or LayerKind.Decoder => Embedding(layer, kerasName, module.Name, lookup, where),
            LayerKind.Dense => Dense(layer, kerasName, role, module.Name, lookup, where),
            LayerKind.SimpleRnn or LayerKind.Lstm or LayerKind.Gru => Recurrent(layer, kerasName, role, backward, module, lookup, where),
            LayerKind.Input or LayerKind.Masking or LayerKind.Dropout or LayerKind.RepeatVector => PyTorchConversion.Failure($"Layer '{layer.KerasName}' holds no weights."),
            LayerKind.Normalization => Normalization(layer, kerasName, role, module.Name, lookup, where),
            LayerKind.Attention => PyTorchConversion.Failure($"Layer '{layer.KerasName}' is an attention layer, which PyTorch has no module for; save its weights with SaveWeights or as Keras names them."),
        };
#pragma warning restore CS8524
    }

    private static PyTorchConversion Embedding(PyTorchLayer layer, string kerasName, string module, PyTorchLookup lookup, string where)
    {
        double[]? table = Find(lookup, module + ".weight", kerasName, new[] { layer.InputSize, layer.Units }, where, out string? error);
        return table is null ? PyTorchConversion.Failure(error!) : PyTorchConversion.Success(table);
    }

    /// <summary>
    /// PyTorch has no Normalization module: a <c>state_dict</c> holds the statistics only as buffers a model registers
    /// itself, read here as <c>{module}.mean</c> and <c>{module}.variance</c> [features]. Keras's <c>count</c> has no
    /// counterpart and is 0, as Keras 3 leaves it.
    /// </summary>
    private static PyTorchConversion Normalization(PyTorchLayer layer, string kerasName, TensorRole role, string module, PyTorchLookup lookup, string where)
    {
        if (role == TensorRole.Count)
        {
            return PyTorchConversion.Success(new double[1]);
        }

        string name = module + (role == TensorRole.Mean ? ".mean" : ".variance");
        if (lookup(name) is null)
        {
            return PyTorchConversion.Failure(
                $"Tensor '{name}' [{layer.Units.ToString(System.Globalization.CultureInfo.InvariantCulture)}] (PyTorch name for '{kerasName}') is missing from {where}. PyTorch has no Normalization layer, so a state_dict holds "
                + $"its statistics only as buffers the PyTorch model registers: save the mean and variance the PyTorch code normalizes with as '{module}.mean' and '{module}.variance' "
                + "(register_buffer on a module of that name), or declare the model without [Normalization] and normalize the inputs before Predict.");
        }

        double[]? values = Find(lookup, name, kerasName, new[] { layer.Units }, where, out string? error);
        return values is null ? PyTorchConversion.Failure(error!) : PyTorchConversion.Success(values);
    }

    private static PyTorchConversion Dense(PyTorchLayer layer, string kerasName, TensorRole role, string module, PyTorchLookup lookup, string where)
    {
        string? error;
        if (role == TensorRole.Kernel)
        {
            double[]? weight = Find(lookup, module + ".weight", kerasName, new[] { layer.Units, layer.InputSize }, where, out error);
            return weight is null ? PyTorchConversion.Failure(error!) : PyTorchConversion.Success(Transpose(weight, layer.Units, layer.InputSize));
        }

        double[]? bias = Find(lookup, module + ".bias", kerasName, new[] { layer.Units }, where, out error);
        return bias is null ? PyTorchConversion.Failure(error!) : PyTorchConversion.Success(bias);
    }

    private static PyTorchConversion Recurrent(PyTorchLayer layer, string kerasName, TensorRole role, bool backward, PyTorchModule pytorchModule, PyTorchLookup lookup, string where)
    {
        string? error;
        if (layer.Kind == LayerKind.Gru && !layer.ResetAfter)
        {
            return PyTorchConversion.Failure($"Layer '{layer.KerasName}': PyTorch's GRU applies the reset gate after the recurrent product, which is Gru(ResetAfter = true); this layer has ResetAfter = false, so PyTorch weights cannot be converted to it.");
        }

        int units = layer.Units;
        int width = layer.Gates * units;
        string module = pytorchModule.Name;
        string suffix = "_l" + pytorchModule.Index.ToString(System.Globalization.CultureInfo.InvariantCulture) + (backward ? "_reverse" : string.Empty);
        switch (role)
        {
            case TensorRole.Kernel:
            {
                double[]? weight = Find(lookup, module + ".weight_ih" + suffix, kerasName, new[] { width, layer.InputSize }, where, out error);
                return weight is null ? PyTorchConversion.Failure(error!) : PyTorchConversion.Success(ReorderTransposed(weight, layer, layer.InputSize));
            }

            case TensorRole.RecurrentKernel:
            {
                double[]? weight = Find(lookup, module + ".weight_hh" + suffix, kerasName, new[] { width, units }, where, out error);
                return weight is null ? PyTorchConversion.Failure(error!) : PyTorchConversion.Success(ReorderTransposed(weight, layer, units));
            }

            default:
            {
                double[]? inputBias = Find(lookup, module + ".bias_ih" + suffix, kerasName, new[] { width }, where, out error);
                if (inputBias is null)
                {
                    return PyTorchConversion.Failure(error!);
                }

                double[]? recurrentBias = Find(lookup, module + ".bias_hh" + suffix, kerasName, new[] { width }, where, out error);
                if (recurrentBias is null)
                {
                    return PyTorchConversion.Failure(error!);
                }

                bool gru = layer.Kind == LayerKind.Gru;
                var target = new double[gru ? 2 * width : width];
                for (int block = 0; block < layer.Gates; block++)
                {
                    int source = TorchBlock(layer, block) * units;
                    for (int j = 0; j < units; j++)
                    {
                        if (gru)
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

                return PyTorchConversion.Success(target);
            }
        }
    }

    /// <summary>The PyTorch gate block that holds Keras gate block <paramref name="block"/>: GRU's r, z, n against Keras's z, r, h; LSTM's order is Keras's.</summary>
    private static int TorchBlock(PyTorchLayer layer, int block) =>
        layer.Kind == LayerKind.Gru && block < 2 ? 1 - block : block;

    /// <summary>Keras [columns, gates × units] from PyTorch [gates × units, columns], reordering gate blocks.</summary>
    private static double[] ReorderTransposed(double[] weight, PyTorchLayer layer, int columns)
    {
        int units = layer.Units;
        int width = layer.Gates * units;
        var target = new double[columns * width];
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

        return target;
    }

    private static double[] Transpose(double[] weight, int rows, int columns)
    {
        var target = new double[rows * columns];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                target[c * rows + r] = weight[r * columns + c];
            }
        }

        return target;
    }

    /// <summary>The values of PyTorch tensor <paramref name="name"/> with shape <paramref name="shape"/>, or null and why not.</summary>
    private static double[]? Find(PyTorchLookup lookup, string name, string kerasName, int[] shape, string where, out string? error)
    {
        string shapeText = ShapeText(shape);
        PyTorchTensor? tensor = lookup(name);
        if (tensor is null)
        {
            error = $"Tensor '{name}' {shapeText} (PyTorch name for '{kerasName}') is missing from {where}.";
            return null;
        }

        if (!SameShape(tensor.Shape, shape))
        {
            error = $"Tensor '{name}' has shape {ShapeText(tensor.Shape)} in {where}; the model expects {shapeText} (for '{kerasName}').";
            return null;
        }

        if (tensor.Values is null)
        {
            error = $"Tensor '{name}' has dtype {tensor.DType}; expected a floating-point dtype (F32, F64, F16 or BF16) (for '{kerasName}').";
            return null;
        }

        error = null;
        return tensor.Values;
    }

    private static bool SameShape(int[] actual, int[] expected)
    {
        if (actual.Length != expected.Length)
        {
            return false;
        }

        for (int i = 0; i < actual.Length; i++)
        {
            if (actual[i] != expected[i])
            {
                return false;
            }
        }

        return true;
    }

    private static string ShapeText(int[] shape) => "[" + string.Join(", ", shape) + "]";
}
