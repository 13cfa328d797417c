using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Text.Json;
using PureHDF;
using PureHDF.VOL.Native;

namespace RnnCompiler.Weights.Keras;

/// <summary>
/// Reads the weights of Keras's own files into a model's flat parameter layout, checked against its layers:
/// <list type="bullet">
/// <item>Keras 3 <c>.keras</c> archives (<c>config.json</c>, <c>metadata.json</c>, <c>model.weights.h5</c>), whose
/// configuration is compared with the declaration layer by layer;</item>
/// <item>Keras 3 <c>.weights.h5</c>: <c>layers/{lstm, lstm_1, ...}/cell/vars/0..2</c>, one name per class in model
/// order, <c>forward_layer</c> and <c>backward_layer</c> for Bidirectional;</item>
/// <item>legacy Keras 2 and tf.keras <c>.h5</c> (whole models with <c>model_weights</c> and <c>model_config</c>, or
/// weights alone): the layers in <c>layer_names</c> order, each layer's tensors in <c>weight_names</c> order,
/// wherever those names put them.</item>
/// </list>
/// Nothing is returned until every tensor has been found and checked.
/// </summary>
[RequiresDynamicCode(KerasFile.HdfMessage)]
[RequiresUnreferencedCode(KerasFile.HdfMessage)]
internal static class KerasFile
{
    internal const string HdfMessage = "PureHDF reads through reflection that NativeAOT cannot compile ahead; convert the file to safetensors for a NativeAOT program.";

    /// <summary>The most bytes read from a <c>.keras</c> archive's <c>config.json</c> or <c>metadata.json</c>.</summary>
    private const int MaxJsonBytes = 16 << 20;

    /// <summary>What an archive entry may hold beyond the archive's own size (Keras stores its entries uncompressed).</summary>
    private const int EntrySlack = 1 << 16;

    /// <summary>Reads and checks every tensor of <paramref name="layers"/> from a Keras file; returns them in flat order.</summary>
    /// <exception cref="InvalidDataException">The file is not a Keras file, is damaged, or does not match the layers.</exception>
    public static double[] Read(Stream stream, IReadOnlyList<LayerDescriptor> layers, double? maskValue = null, int outputSteps = 0) => Read(ReadAll(stream), layers, checkConfiguration: true, maskValue, outputSteps);

    /// <summary>
    /// Reads and checks every tensor of <paramref name="layers"/> from a whole Keras file; returns them in flat order.
    /// With <paramref name="checkConfiguration"/> false the file's model configuration is not compared with the layers
    /// (for layers made from that same configuration, <see cref="KerasModelFile"/>).
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a Keras file, is damaged, or does not match the layers.</exception>
    public static double[] Read(byte[] file, IReadOnlyList<LayerDescriptor> layers, bool checkConfiguration, double? maskValue = null, int outputSteps = 0)
    {
        if (WeightFormats.IsHdf5(file, 0))
        {
            return ReadHdf5(file, layers, configuration: null, archiveKerasMajor: 3, checkConfiguration, maskValue, outputSteps);
        }

        if (WeightFormats.IsZip(file, 0))
        {
            return ReadArchive(file, layers, checkConfiguration, maskValue, outputSteps);
        }

        throw NotKeras(file);
    }

    /// <summary>
    /// The model configuration of a whole-model Keras file (a <c>.keras</c> archive's <c>config.json</c>, a legacy
    /// <c>.h5</c> file's <c>model_config</c>) and the <c>keras_version</c> it was written by, if it says.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// The file is not a Keras file, is damaged, or holds weights alone (a <c>.weights.h5</c>, <c>save_weights</c>).
    /// </exception>
    public static KerasSavedModel ReadModel(byte[] file)
    {
        if (WeightFormats.IsHdf5(file, 0))
        {
            CheckEndOfFile(file);
            try
            {
                using NativeFile h5 = H5File.Open(new MemoryStream(file, writable: false), leaveOpen: false);
                if (!h5.AttributeExists("model_config"))
                {
                    throw new InvalidDataException(h5.LinkExists("layers") || h5.LinkExists("model_weights") || h5.AttributeExists("layer_names")
                        ? "The HDF5 file holds weights alone (model.save_weights), without the model's configuration; save the whole model with model.save(\"model.keras\") (or model.save(\"model.h5\") in Keras 2) and read that."
                        : "The HDF5 file is not a whole Keras model: it has no model_config attribute.");
                }

                string? version = h5.AttributeExists("keras_version") ? h5.Attribute("keras_version").Read<string>()
                    : h5.LinkExists("model_weights") && h5.Group("model_weights").AttributeExists("keras_version") ? h5.Group("model_weights").Attribute("keras_version").Read<string>()
                    : null;
                string configuration = h5.Attribute("model_config").Read<string>() ?? throw new InvalidDataException("The HDF5 file's model_config attribute holds no text.");
                return new KerasSavedModel(configuration, string.IsNullOrEmpty(version) ? null : version, Archive: false);
            }
            catch (InvalidDataException)
            {
                throw;
            }
            catch (Exception e)
            {
                // PureHDF's own failures on damaged input: not a file this reader can trust.
                throw new InvalidDataException("The HDF5 file is damaged or holds data this reader does not know: " + e.Message, e);
            }
        }

        if (!WeightFormats.IsZip(file, 0))
        {
            throw NotKeras(file);
        }

        try
        {
            using var archive = new ZipArchive(new MemoryStream(file, writable: false), ZipArchiveMode.Read);
            ZipArchiveEntry config = archive.GetEntry("config.json")
                ?? throw new InvalidDataException(archive.GetEntry("model.weights.h5") is null
                    ? "The zip archive has no config.json: it is not a Keras 3 .keras file."
                    : "The .keras archive has no config.json, so it does not say what model its weights are for.");
            string configuration = Encoding.UTF8.GetString(ReadEntry(config, MaxJsonBytes));
            ZipArchiveEntry? metadata = archive.GetEntry("metadata.json");
            return new KerasSavedModel(configuration, metadata is null ? null : MetadataVersion(ReadEntry(metadata, MaxJsonBytes)), Archive: true);
        }
        catch (InvalidDataException)
        {
            throw;
        }
        catch (Exception e) when (e is IOException or NotSupportedException or ArgumentException)
        {
            throw new InvalidDataException("The .keras archive is damaged: " + e.Message, e);
        }
    }

    /// <summary><c>metadata.json</c>'s <c>keras_version</c>, or null where it has none.</summary>
    private static string? MetadataVersion(byte[] json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("keras_version", out JsonElement version)
                && version.ValueKind == JsonValueKind.String ? version.GetString() : null;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("The .keras archive's metadata.json is not valid JSON: " + e.Message, e);
        }
    }

    private static InvalidDataException NotKeras(byte[] file)
    {
        string? format = file.Length >= WeightFormats.PrefixLength ? WeightFormats.Describe(file, 0) : null;
        return new InvalidDataException("The file is not a Keras file: a .keras archive (a zip) or an HDF5 .h5 / .weights.h5 file was expected" +
            (format is null ? "." : ". " + format) + (LooksLikeSafeTensors(file) ? " It looks like safetensors: read it with LoadWeights." : string.Empty));
    }

    private static double[] ReadArchive(byte[] file, IReadOnlyList<LayerDescriptor> layers, bool checkConfiguration, double? maskValue, int outputSteps)
    {
        byte[] weights;
        string? configuration;
        string? version;
        try
        {
            using var archive = new ZipArchive(new MemoryStream(file, writable: false), ZipArchiveMode.Read);
            ZipArchiveEntry? entry = archive.GetEntry("model.weights.h5");
            if (entry is null)
            {
                bool torch = archive.Entries.Any(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal));
                throw new InvalidDataException(torch
                    ? "The archive is a PyTorch torch.save file, not a Keras .keras archive; save the state_dict as safetensors instead: safetensors.torch.save_file(model.state_dict(), \"model.safetensors\"), and read it with LoadWeights."
                    : "The zip archive has no model.weights.h5: it is not a Keras 3 .keras file.");
            }

            weights = ReadEntry(entry, file.Length + (long)EntrySlack);
            ZipArchiveEntry? config = archive.GetEntry("config.json");
            configuration = config is null || !checkConfiguration ? null : Encoding.UTF8.GetString(ReadEntry(config, MaxJsonBytes));
            ZipArchiveEntry? metadata = archive.GetEntry("metadata.json");
            version = metadata is null || !checkConfiguration ? null : MetadataVersion(ReadEntry(metadata, MaxJsonBytes));
        }
        catch (InvalidDataException)
        {
            throw;
        }
        catch (Exception e) when (e is IOException or NotSupportedException or ArgumentException)
        {
            throw new InvalidDataException("The .keras archive is damaged: " + e.Message, e);
        }

        if (!WeightFormats.IsHdf5(weights, 0))
        {
            throw new InvalidDataException("The .keras archive's model.weights.h5 is not HDF5.");
        }

        // tf.keras 2.13 and later write .keras archives too, with their version in metadata.json; without one, Keras 3.
        return ReadHdf5(weights, layers, configuration, KerasActivations.MajorVersion(version, archive: true), checkConfiguration, maskValue, outputSteps);
    }

    /// <summary>Reads an entry whole, refusing one that holds more than <paramref name="limit"/> bytes (however much it claims).</summary>
    private static byte[] ReadEntry(ZipArchiveEntry entry, long limit)
    {
        if (entry.Length > limit)
        {
            throw new InvalidDataException($"The archive's {entry.FullName} claims {entry.Length} bytes, more than the archive could hold ({limit}).");
        }

        using Stream source = entry.Open();
        var bytes = new byte[entry.Length];
        int read = 0;
        while (read < bytes.Length)
        {
            int n = source.Read(bytes, read, bytes.Length - read);
            if (n == 0)
            {
                throw new InvalidDataException($"The archive's {entry.FullName} ends after {read} of its {entry.Length} bytes.");
            }

            read += n;
        }

        return bytes;
    }

    private static double[] ReadHdf5(byte[] bytes, IReadOnlyList<LayerDescriptor> layers, string? configuration, int archiveKerasMajor, bool checkConfiguration, double? maskValue, int outputSteps)
    {
        CheckEndOfFile(bytes);
        try
        {
            using NativeFile file = H5File.Open(new MemoryStream(bytes, writable: false), leaveOpen: false);
            if (file.LinkExists("layers") || file.LinkExists("_layer_checkpoint_dependencies"))
            {
                CheckConfiguration(configuration, layers, "The .keras archive's config.json", archiveKerasMajor, maskValue, outputSteps);
                return ReadKeras3(file, file.LinkExists("layers") ? "layers" : "_layer_checkpoint_dependencies", layers);
            }

            IH5Group weights = file.LinkExists("model_weights") ? file.Group("model_weights") : file;
            if (!weights.AttributeExists("layer_names") && !weights.AttributeExists("layer_names0"))
            {
                throw new InvalidDataException("The HDF5 file is not a Keras weights file: it has neither Keras 3's 'layers' group nor Keras 2's 'layer_names' attribute.");
            }

            if (checkConfiguration && file.AttributeExists("model_config"))
            {
                // Keras 2 and tf.keras write their version as a root attribute; a file without one is from Keras 1 or 2.
                string? version = file.AttributeExists("keras_version") ? file.Attribute("keras_version").Read<string>() : null;
                CheckConfiguration(file.Attribute("model_config").Read<string>(), layers, "The file's model_config", KerasActivations.MajorVersion(version, archive: false), maskValue, outputSteps);
            }

            return ReadLegacy(weights, layers);
        }
        catch (InvalidDataException)
        {
            throw;
        }
        catch (Exception e)
        {
            // PureHDF's own failures on damaged input: not a file this reader can trust.
            throw new InvalidDataException("The HDF5 file is damaged or holds data this reader does not know: " + e.Message, e);
        }
    }

    private static void CheckConfiguration(string? configuration, IReadOnlyList<LayerDescriptor> layers, string source, int kerasMajor, double? maskValue, int outputSteps)
    {
        if (configuration is null)
        {
            return;
        }

        List<string> differences = KerasConfig.Differences(KerasConfig.Layers(configuration), layers, kerasMajor, maskValue, outputSteps);
        if (differences.Count > 0)
        {
            throw new InvalidDataException($"{source} describes another model than this one ({differences.Count} difference{(differences.Count == 1 ? string.Empty : "s")}):" +
                string.Concat(differences.Select(d => Environment.NewLine + " - " + d)));
        }
    }

    /// <summary>Keras 3: <c>layers/{name}/vars/{i}</c>, with <c>cell/</c> for a recurrent layer and the direction for Bidirectional.</summary>
    private static double[] ReadKeras3(NativeFile file, string root, IReadOnlyList<LayerDescriptor> layers)
    {
        double[] staged = Staged(layers, out int baseOffset);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (LayerDescriptor layer in layers)
        {
            // Keras 3 names each layer's group after its class, snake-cased, counted per class in model order
            // (saving_lib's _save_container_state), not after layer.name.
            string snake = layer.Bidirectional ? "bidirectional" : SnakeName(layer.Kind);
            counts.TryGetValue(snake, out int count);
            counts[snake] = count + 1;
            string name = count == 0 ? snake : snake + "_" + count.ToString(CultureInfo.InvariantCulture);
            used.Add(name);
            string layerPath = root + "/" + name;
            if (!file.LinkExists(layerPath))
            {
                string present = file.LinkExists(root) ? string.Join(", ", file.Group(root).Children().Select(c => "'" + c.Name + "'")) : "none";
                throw new InvalidDataException($"The file has no group '{layerPath}' for this model's layer '{layer.Name}' ({KerasConfig.KerasClass(layer.Kind)}); its layers are {present}.");
            }

            int recurrentIndex = 0;
            foreach (TensorDescriptor tensor in layer.Tensors)
            {
                string path = layerPath;
                int index;
                if (layer.Kind is LayerKind.SimpleRnn or LayerKind.Lstm or LayerKind.Gru)
                {
                    if (layer.Bidirectional)
                    {
                        path += tensor.Backward ? "/backward_layer" : "/forward_layer";
                    }

                    path += "/cell";
                    index = recurrentIndex++ % 3;
                }
                else
                {
                    // Dense: kernel, bias; Normalization: mean, variance, count (vars/0 to vars/2, in build's order).
                    index = tensor.Role switch { TensorRole.Bias or TensorRole.Variance => 1, TensorRole.Count => 2, _ => 0 };
                }

                ReadTensor(file, path + "/vars/" + index.ToString(CultureInfo.InvariantCulture), tensor, staged.AsSpan(tensor.Offset - baseOffset, tensor.Length));
            }
        }

        // A layer with weights in the file and none here means another model.
        if (file.LinkExists(root))
        {
            foreach (IH5Object child in file.Group(root).Children())
            {
                if (!used.Contains(child.Name) && child is IH5Group group && HoldsData(group, 4))
                {
                    throw new InvalidDataException($"The file holds weights for a layer '{child.Name}' that this model does not have; this model's layers are {string.Join(", ", used.Select(n => "'" + n + "'"))}.");
                }
            }
        }

        return staged;
    }

    /// <summary>Legacy Keras 2 / tf.keras: layers in <c>layer_names</c> order, tensors in <c>weight_names</c> order.</summary>
    private static double[] ReadLegacy(IH5Group weights, IReadOnlyList<LayerDescriptor> layers)
    {
        var weighted = new List<(string Name, IH5Group Group, string[] WeightNames)>();
        foreach (string layerName in Strings(weights, "layer_names"))
        {
            IH5Group group = weights.Group(layerName);
            string[] weightNames = Strings(group, "weight_names");
            if (weightNames.Length > 0)
            {
                weighted.Add((layerName, group, weightNames));
            }
        }

        if (weighted.Count != layers.Count)
        {
            throw new InvalidDataException($"The file holds weights for {weighted.Count} layers ({string.Join(", ", weighted.Select(w => "'" + w.Name + "'"))}); this model has {layers.Count} weighted layers ({string.Join(", ", layers.Select(l => "'" + l.Name + "'"))}).");
        }

        double[] staged = Staged(layers, out int baseOffset);
        for (int i = 0; i < layers.Count; i++)
        {
            LayerDescriptor layer = layers[i];
            (string name, IH5Group group, string[] weightNames) = weighted[i];
            IReadOnlyList<TensorDescriptor> tensors = layer.Tensors;
            if (weightNames.Length != tensors.Count)
            {
                throw new InvalidDataException($"The file's layer '{name}' holds {weightNames.Length} tensors ({string.Join(", ", weightNames)}); this model's layer {i + 1} '{layer.Name}' ({KerasConfig.KerasClass(layer.Kind)}{(layer.Bidirectional ? ", bidirectional" : string.Empty)}) has {tensors.Count}.");
            }

            for (int t = 0; t < tensors.Count; t++)
            {
                ReadTensor(group, weightNames[t], tensors[t], staged.AsSpan(tensors[t].Offset - baseOffset, tensors[t].Length));
            }
        }

        return staged;
    }

    private static void ReadTensor(IH5Group group, string path, TensorDescriptor tensor, Span<double> target)
    {
        if (!group.LinkExists(path))
        {
            throw new InvalidDataException($"Tensor '{tensor.Name}' {tensor.ShapeText} is missing from the file (looked for '{path}').");
        }

        IH5Dataset dataset = group.Dataset(path);
        ulong[] dimensions = dataset.Space.Dimensions;
        bool sameShape = dimensions.Length == tensor.Shape.Length;
        for (int i = 0; sameShape && i < dimensions.Length; i++)
        {
            sameShape = dimensions[i] == (ulong)tensor.Shape[i];
        }

        if (!sameShape)
        {
            throw new InvalidDataException($"Tensor '{tensor.Name}' ('{path}' in the file) has shape [{string.Join(", ", dimensions)}] in the file; the model expects {tensor.ShapeText}.");
        }

        IH5DataType type = dataset.Type;
        if (tensor.Role == TensorRole.Count && type.Class == H5DataTypeClass.FixedPoint && type.Size is 4 or 8)
        {
            // Normalization's count: an integer (int64 from TensorFlow, int32 from the other Keras 3 backends).
            target[0] = type.Size == 8 ? dataset.Read<long[]>()[0] : dataset.Read<int[]>()[0];
            return;
        }

        if (type.Class != H5DataTypeClass.FloatingPoint || type.Size is not (4 or 8))
        {
            throw new InvalidDataException($"Tensor '{tensor.Name}' ('{path}' in the file) is stored as {type.Class} of {type.Size} bytes; float32 or float64 was expected.");
        }

        if (type.Size == 4)
        {
            float[] values = dataset.Read<float[]>();
            CheckLength(values.Length, tensor, path);
            for (int i = 0; i < values.Length; i++)
            {
                target[i] = values[i];
            }
        }
        else
        {
            double[] values = dataset.Read<double[]>();
            CheckLength(values.Length, tensor, path);
            values.CopyTo(target);
        }
    }

    private static void CheckLength(int length, TensorDescriptor tensor, string path)
    {
        if (length != tensor.Length)
        {
            throw new InvalidDataException($"Tensor '{tensor.Name}' ('{path}' in the file) gave {length} values; its shape {tensor.ShapeText} needs {tensor.Length}.");
        }
    }

    /// <summary>A string-list attribute, or its chunks <c>{name}0</c>, <c>{name}1</c>, ... (Keras splits lists over 64 KB).</summary>
    private static string[] Strings(IH5Object owner, string name)
    {
        if (owner.AttributeExists(name))
        {
            return owner.Attribute(name).Read<string[]>();
        }

        var chunks = new List<string>();
        for (int chunk = 0; owner.AttributeExists(name + chunk.ToString(CultureInfo.InvariantCulture)); chunk++)
        {
            chunks.AddRange(owner.Attribute(name + chunk.ToString(CultureInfo.InvariantCulture)).Read<string[]>());
        }

        return chunks.ToArray();
    }

    /// <summary>Whether a group holds a dataset within <paramref name="depth"/> levels.</summary>
    private static bool HoldsData(IH5Group group, int depth)
    {
        foreach (IH5Object child in group.Children())
        {
            if (child is IH5Dataset || (depth > 0 && child is IH5Group inner && HoldsData(inner, depth - 1)))
            {
                return true;
            }
        }

        return false;
    }

    private static double[] Staged(IReadOnlyList<LayerDescriptor> layers, out int baseOffset)
    {
        baseOffset = layers.Count == 0 ? 0 : layers.Min(layer => layer.Offset);
        return new double[layers.Sum(layer => layer.ParameterCount)];
    }

    private static string SnakeName(LayerKind kind) => kind switch
    {
        LayerKind.Embedding => "embedding",
        LayerKind.SimpleRnn => "simple_rnn",
        LayerKind.Lstm => "lstm",
        LayerKind.Gru => "gru",
        LayerKind.Dense => "dense",
        LayerKind.Normalization => "normalization",
        _ => "input_layer",
    };

    /// <summary>
    /// Refuses a file shorter than its superblock's end-of-file address: a cut file, however much of it a reader
    /// could still follow. Superblock versions 0 and 1 keep the address after the base and free-space addresses,
    /// versions 2 and 3 after the base and superblock-extension addresses.
    /// </summary>
    private static void CheckEndOfFile(byte[] bytes)
    {
        if (bytes.Length < 16)
        {
            throw new InvalidDataException($"The HDF5 file is truncated: {bytes.Length} bytes hold no superblock.");
        }

        int version = bytes[8];
        int offsetSize = version <= 1 ? bytes[13] : bytes[9];
        int at = version switch
        {
            0 => 24 + (2 * offsetSize),
            1 => 28 + (2 * offsetSize),
            2 or 3 => 12 + (2 * offsetSize),
            _ => throw new InvalidDataException($"The HDF5 superblock has version {version}; versions 0 to 3 are known."),
        };
        if (offsetSize is not (2 or 4 or 8) || at + offsetSize > bytes.Length)
        {
            throw new InvalidDataException("The HDF5 superblock is damaged: its offsets are " + offsetSize + " bytes.");
        }

        ulong end = 0;
        for (int i = offsetSize - 1; i >= 0; i--)
        {
            end = (end << 8) | bytes[at + i];
        }

        if (end > (ulong)bytes.Length)
        {
            throw new InvalidDataException($"The HDF5 file is truncated: its superblock says it ends at byte {end}, and it holds {bytes.Length}.");
        }

        // Every address in the file lies before its end: one that ends short of its bytes has a damaged superblock.
        if (end < (ulong)bytes.Length)
        {
            throw new InvalidDataException($"The HDF5 superblock is damaged: it says the file ends at byte {end}, and the file holds {bytes.Length}.");
        }
    }

    private static bool LooksLikeSafeTensors(byte[] bytes)
    {
        if (bytes.Length < 9)
        {
            return false;
        }

        ulong length = BitConverter.ToUInt64(bytes, 0);
        return length > 0 && length <= (ulong)(bytes.Length - 8) && bytes[8] == (byte)'{';
    }

    /// <summary>Reads the whole stream: a seekable one in one allocation of its length, another as its bytes arrive.</summary>
    public static byte[] ReadAll(Stream stream)
    {
        if (stream.CanSeek)
        {
            long remaining = stream.Length - stream.Position;
            if (remaining > Array.MaxLength)
            {
                throw new InvalidDataException($"The file holds {remaining} bytes, more than this library reads at once.");
            }

            var bytes = new byte[remaining];
            stream.ReadExactly(bytes);
            return bytes;
        }

        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}

/// <summary>What a whole-model Keras file says about its model: the configuration JSON and the Keras version that wrote it.</summary>
/// <param name="Configuration">The model configuration (<c>config.json</c>, or <c>model_config</c>).</param>
/// <param name="KerasVersion">The file's <c>keras_version</c>, or null when it gives none.</param>
/// <param name="Archive">True for a <c>.keras</c> archive, false for a legacy <c>.h5</c>.</param>
internal sealed record KerasSavedModel(string Configuration, string? KerasVersion, bool Archive);
