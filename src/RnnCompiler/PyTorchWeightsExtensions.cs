using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Numerics;
using RnnCompiler.Weights;

namespace RnnCompiler;

/// <summary>
/// Loads a PyTorch <c>state_dict</c> saved as safetensors whose modules are named as the user's PyTorch model names
/// them (<c>rnn</c>, <c>fc</c>), not after the Keras layers.
/// </summary>
public static class PyTorchWeightsExtensions
{
    /// <summary>
    /// Reads a PyTorch <c>state_dict</c> saved with <c>safetensors.torch.save_file</c>, with the module of each layer
    /// given by <paramref name="modules"/>; the model changes only if the whole file is valid.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="stream">A readable safetensors stream; it is left open.</param>
    /// <param name="modules">
    /// The PyTorch module of each layer, by the layer's Keras name (as <c>Summary</c> lists it; for a bidirectional
    /// layer the wrapper's or the wrapped layer's name): <c>{ ["embedding"] = "embed", ["lstm"] = "rnn",
    /// ["lstm_1"] = "rnn", ["dense"] = "fc" }</c>. Layers mapped to one module are that module's layers 0, 1, ... in
    /// model order, as <c>nn.LSTM(num_layers = 2)</c> holds them (<c>rnn.weight_ih_l0</c>, <c>rnn.weight_ih_l1</c>).
    /// A layer left out keeps its Keras name.
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="modules"/> names a layer the model does not have, or an empty module.</exception>
    /// <exception cref="InvalidDataException">The file is damaged, or a tensor is missing (the message lists the file's tensors) or has another shape or dtype.</exception>
    public static void LoadPyTorchWeights<T>(this IRnnModel<T> model, Stream stream, IReadOnlyDictionary<string, string> modules)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(modules);
        IReadOnlyList<LayerDescriptor> layers = model.Info.Layers;
        var names = new HashSet<string>(layers.SelectMany(layer => new[] { layer.Name, layer.InnerName }), StringComparer.Ordinal);
        foreach (KeyValuePair<string, string> pair in modules)
        {
            if (!names.Contains(pair.Key))
            {
                throw new ArgumentException($"The model has no layer '{pair.Key}'; its layers are {string.Join(", ", layers.Select(layer => "'" + layer.Name + "'"))}.", nameof(modules));
            }

            if (string.IsNullOrEmpty(pair.Value))
            {
                throw new ArgumentException($"The module of layer '{pair.Key}' is empty; give the PyTorch module name, such as \"rnn\".", nameof(modules));
            }
        }

        WeightFile.Load(stream, layers, model.Parameters, modules.ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal));
    }
}
