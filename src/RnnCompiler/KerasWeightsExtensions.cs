using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Linq;
using System.Numerics;
using RnnCompiler.Weights;
using RnnCompiler.Weights.Keras;

namespace RnnCompiler;

/// <summary>
/// Loads weights from the files Keras writes: a Keras 3 <c>.keras</c> archive (<c>model.save("m.keras")</c>), a Keras 3
/// <c>.weights.h5</c> (<c>model.save_weights(...)</c>), and the legacy HDF5 <c>.h5</c> of Keras 2 and tf.keras, whole
/// models or weights alone.
/// </summary>
/// <remarks>
/// Where the file holds the model's configuration (a <c>.keras</c> archive, a whole-model <c>.h5</c>), it is compared
/// with the declaration layer by layer (kind, units, vocabulary, activations, <c>return_sequences</c>,
/// <c>reset_after</c>, merge mode, <c>use_bias</c>, <c>mask_zero</c>) and every difference is reported in one
/// exception message. Layers that do nothing at inference (<c>Dropout</c> and its kin, <c>InputLayer</c>) may stand
/// between the declared ones. Every tensor is checked for its shape before any weight changes: a file that fails
/// leaves the model as it was. HDF5 is read with PureHDF, through reflection that NativeAOT cannot compile ahead; a
/// NativeAOT program converts the file to safetensors first (<c>SaveWeights</c> in a JIT program) or compiles the
/// weights in.
/// </remarks>
public static class KerasWeightsExtensions
{
    private const string Reason = "Keras files are HDF5, read with PureHDF through reflection that NativeAOT and trimming cannot follow; load them in a JIT program and save them as safetensors (SaveWeights) for a NativeAOT one.";

    /// <summary>Reads the weights of a Keras file into <paramref name="model"/>; the model changes only if the whole file is valid and matches.</summary>
    /// <param name="model">The model.</param>
    /// <param name="stream">A readable stream of a <c>.keras</c>, <c>.weights.h5</c> or <c>.h5</c> file; it is left open.</param>
    /// <exception cref="ArgumentException"><paramref name="stream"/> cannot be read.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not a Keras file (the message names what it is), is damaged, describes another model (every
    /// difference is listed), or a tensor is missing or has another shape.
    /// </exception>
    [RequiresDynamicCode(Reason)]
    [RequiresUnreferencedCode(Reason)]
    public static void LoadKerasWeights<T>(this IRnnModel<T> model, Stream stream)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead)
        {
            throw new ArgumentException("The stream must be readable.", nameof(stream));
        }

        IReadOnlyList<LayerDescriptor> layers = model.Info.Layers;
        if (layers.Count == 0)
        {
            throw new ArgumentException("The model describes no layers (ModelInfo.Layers is empty); only generated models can load Keras files.", nameof(model));
        }

        double[] staged = KerasFile.Read(stream, layers, model.Info.MaskValue, model.Info.OutputSteps);

        // Everything is valid: only now is the model changed.
        Span<T> parameters = model.Parameters;
        int baseOffset = layers.Min(layer => layer.Offset);
        for (int i = 0; i < staged.Length; i++)
        {
            parameters[baseOffset + i] = T.CreateTruncating(staged[i]);
        }
    }
}
