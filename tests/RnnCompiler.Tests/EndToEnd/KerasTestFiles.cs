using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Text.Json.Nodes;
using PureHDF;
using RnnCompiler.Tests.Reference;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>
/// Writes Keras's files for a test model, with PureHDF, as Keras's own saving code lays them out
/// (keras/src/saving/saving_lib.py for Keras 3; tf_keras/saving/legacy/hdf5_format.py and Keras 2.2's
/// keras/engine/saving.py for legacy .h5), from the test's own layout of the reference layers.
/// </summary>
internal static class KerasTestFiles
{
    /// <summary>The legacy writers: tf.keras 2.x (cell name scopes, <c>:0</c>) and multi-backend Keras 2.2 (no cell level, names from <c>_1</c>).</summary>
    public enum LegacyStyle { TfKeras, Keras22 }

    /// <summary>A Keras 3 <c>.weights.h5</c>: <c>layers/{class}_{n}/[forward_layer/|backward_layer/][cell/]vars/{i}</c>.</summary>
    public static byte[] Keras3Weights(RefLayer[] reference, ReadOnlySpan<float> parameters)
    {
        var file = new H5File();
        Group(file, "vars").Attributes["name"] = "sequential";
        var counters = new Dictionary<string, int>();
        List<KerasLayer> layout = KerasLayout.Of(reference);
        for (int i = 0; i < layout.Count; i++)
        {
            KerasLayer layer = layout[i];
            string snake = layer.Bidirectional ? "bidirectional" : Snake(layer.Kind);
            counters.TryGetValue(snake, out int count);
            counters[snake] = count + 1;
            string path = "layers/" + (count == 0 ? snake : snake + "_" + count);
            Group(file, path + "/vars").Attributes["name"] = layer.Name;
            bool recurrent = layer.Kind is TestLayerKind.SimpleRnn or TestLayerKind.Lstm or TestLayerKind.Gru;
            for (int t = 0; t < layer.Tensors.Count; t++)
            {
                KerasTensor tensor = layer.Tensors[t];
                string vars = path + (layer.Bidirectional ? (tensor.Backward ? "/backward_layer" : "/forward_layer") : string.Empty) + (recurrent ? "/cell" : string.Empty) + "/vars";
                Group(file, vars)[(recurrent ? t % 3 : t).ToString()] = Dataset(tensor, parameters);
            }
        }

        return Bytes(file);
    }

    /// <summary>
    /// A Keras 3 <c>.keras</c> archive: <c>metadata.json</c> (with <paramref name="kerasVersion"/>, or without a
    /// <c>keras_version</c> when it is null), <c>config.json</c>, <c>model.weights.h5</c>, stored uncompressed.
    /// </summary>
    public static byte[] Archive(RefLayer[] reference, ReadOnlySpan<float> parameters, string config, bool withWeights = true, string? kerasVersion = "3.8.0")
    {
        byte[] weights = Keras3Weights(reference, parameters);
        using var archive = new MemoryStream();
        using (var zip = new ZipArchive(archive, ZipArchiveMode.Create, leaveOpen: true))
        {
            string version = kerasVersion is null ? string.Empty : $"\"keras_version\": \"{kerasVersion}\", ";
            Entry(zip, "metadata.json", Encoding.UTF8.GetBytes("{" + version + "\"date_saved\": \"2026-03-03@12:00:00\"}"));
            Entry(zip, "config.json", Encoding.UTF8.GetBytes(config));
            if (withWeights)
            {
                Entry(zip, "model.weights.h5", weights);
            }
        }

        return archive.ToArray();
    }

    /// <summary>
    /// A legacy <c>.h5</c>: a whole model (<c>model_config</c> and <c>keras_version</c> at the root, the weights under
    /// <c>model_weights</c>) or weights alone (at the root), each layer's tensors at <c>{layer}/{weight name}</c> in
    /// <c>weight_names</c> order. Groups are written in name order, as Keras does; <c>layer_names</c> keeps model order.
    /// Without <paramref name="writeVersion"/> the file has no <c>keras_version</c> attribute.
    /// </summary>
    public static byte[] Legacy(RefLayer[] reference, ReadOnlySpan<float> parameters, LegacyStyle style, string? modelConfig, IReadOnlyList<string>? extraLayers = null, bool writeVersion = true)
    {
        var file = new H5File();
        H5Group weights = file;
        string version = style == LegacyStyle.TfKeras ? "2.15.0" : "2.2.4";
        if (modelConfig is not null)
        {
            if (writeVersion)
            {
                file.Attributes["keras_version"] = version;
            }

            file.Attributes["backend"] = "tensorflow";
            file.Attributes["model_config"] = modelConfig;
            weights = Group(file, "model_weights");
        }

        if (writeVersion)
        {
            weights.Attributes["keras_version"] = version;
        }

        weights.Attributes["backend"] = "tensorflow";
        var layerNames = new List<string>(extraLayers ?? Array.Empty<string>());
        foreach (string extra in layerNames)
        {
            Group(weights, extra).Attributes["weight_names"] = Array.Empty<string>();
        }

        // Keras 2.2 numbers layer names from 1 (lstm_1), tf.keras from 0 (lstm, lstm_1).
        var counters = new Dictionary<string, int>();
        string Name(string baseName)
        {
            counters.TryGetValue(baseName, out int count);
            counters[baseName] = count + 1;
            int n = style == LegacyStyle.Keras22 ? count + 1 : count;
            return n == 0 ? baseName : baseName + "_" + n;
        }

        foreach (KerasLayer layer in KerasLayout.Of(reference))
        {
            string inner = Name(Snake(layer.Kind));
            string layerName = layer.Bidirectional ? Name("bidirectional") : inner;
            layerNames.Add(layerName);
            H5Group group = Group(weights, layerName);
            var weightNames = new List<string>();
            bool recurrent = layer.Kind is TestLayerKind.SimpleRnn or TestLayerKind.Lstm or TestLayerKind.Gru;
            foreach (KerasTensor tensor in layer.Tensors)
            {
                string leaf = tensor.Name[(tensor.Name.LastIndexOf('/') + 1)..];
                string scope = layerName;
                if (layer.Bidirectional)
                {
                    scope += "/" + (tensor.Backward ? "backward_" : "forward_") + inner;
                }

                if (recurrent && style == LegacyStyle.TfKeras)
                {
                    scope += "/" + Snake(layer.Kind) + "_cell";
                }

                string weightName = scope + "/" + leaf + ":0";
                weightNames.Add(weightName);
                int slash = weightName.LastIndexOf('/');
                Group(group, weightName[..slash])[weightName[(slash + 1)..]] = Dataset(tensor, parameters);
            }

            group.Attributes["weight_names"] = weightNames.ToArray();
        }

        weights.Attributes["layer_names"] = layerNames.ToArray();
        return Bytes(file);
    }

    /// <summary>
    /// A Sequential model's configuration as Keras 3 writes it (<c>module</c>, <c>class_name</c>, <c>config</c>, an
    /// InputLayer with its <c>batch_shape</c> first), or as legacy Keras writes <c>model_config</c> (no <c>module</c>):
    /// tf.keras 2.x with an InputLayer whose <c>batch_input_shape</c> gives the input shape, Keras 2.2 with that shape
    /// on the first layer (and an Embedding's <c>input_length</c>). A null <paramref name="sequenceLength"/> is Keras's
    /// None. <paramref name="edit"/> may change a layer's config (by position among the non-input layers) to make a
    /// mismatch; <paramref name="insert"/> puts layers before a position.
    /// </summary>
    public static string Config(RefLayer[] reference, int? sequenceLength, bool legacy = false, Action<int, JsonObject>? edit = null, IReadOnlyList<(int Before, JsonObject Layer)>? insert = null, LegacyStyle legacyStyle = LegacyStyle.TfKeras)
    {
        var layers = new JsonArray();
        var counters = new Dictionary<string, int>();
        string Name(string baseName)
        {
            counters.TryGetValue(baseName, out int count);
            counters[baseName] = count + 1;
            return count == 0 ? baseName : baseName + "_" + count;
        }

        JsonObject Layer(string className, JsonObject config) =>
            legacy
                ? new JsonObject { ["class_name"] = className, ["config"] = config }
                : new JsonObject { ["module"] = "keras.layers", ["class_name"] = className, ["config"] = config, ["registered_name"] = null };

        RefLayer first = reference[0];
        JsonArray batchShape = first is RefInput input ? new JsonArray(null, sequenceLength, input.Features) : new JsonArray(null, sequenceLength);
        if (!legacy)
        {
            layers.Add(Layer("InputLayer", new JsonObject { ["batch_shape"] = batchShape, ["dtype"] = "float32", ["name"] = "input_layer" }));
        }
        else if (legacyStyle == LegacyStyle.TfKeras)
        {
            layers.Add(Layer("InputLayer", new JsonObject { ["batch_input_shape"] = batchShape, ["dtype"] = "float32", ["sparse"] = false, ["ragged"] = false, ["name"] = "input_1" }));
        }

        int position = 0;
        foreach (RefLayer layer in reference.Where(l => l is not RefInput))
        {
            foreach ((int before, JsonObject extra) in insert ?? Array.Empty<(int, JsonObject)>())
            {
                if (before == position)
                {
                    layers.Add(extra.DeepClone());
                }
            }

            (string className, JsonObject config) = layer switch
            {
                RefEmbedding e => ("Embedding", new JsonObject { ["name"] = Name("embedding"), ["input_dim"] = e.Vocabulary, ["output_dim"] = e.Dimensions, ["mask_zero"] = false }),
                RefNormalization => ("Normalization", new JsonObject { ["name"] = Name("normalization"), ["axis"] = new JsonArray(-1), ["invert"] = false, ["mean"] = null, ["variance"] = null }),
                RefDense d => ("Dense", new JsonObject { ["name"] = Name("dense"), ["units"] = d.Units, ["activation"] = Activation(d.Activation, legacy), ["use_bias"] = true }),
                RefSimpleRnn s => Recurrent("SimpleRNN", "simple_rnn", s.Units, s.ReturnSequences, s.Bidirectional, s.Merge, Activation(s.Activation, legacy), null, null),
                RefLstm l => Recurrent("LSTM", "lstm", l.Units, l.ReturnSequences, l.Bidirectional, l.Merge, Activation(l.Activation, legacy), Activation(l.RecurrentActivation, legacy), null),
                RefGru g => Recurrent("GRU", "gru", g.Units, g.ReturnSequences, g.Bidirectional, g.Merge, Activation(g.Activation, legacy), Activation(g.RecurrentActivation, legacy), g.ResetAfter),
                _ => throw new ArgumentException(layer.ToString()),
            };
            if (legacy && legacyStyle == LegacyStyle.Keras22 && position == 0)
            {
                config["batch_input_shape"] = batchShape.DeepClone();
                if (layer is RefEmbedding)
                {
                    config["input_length"] = sequenceLength;
                }
            }

            edit?.Invoke(position, config);
            layers.Add(Layer(className, config));
            position++;
        }

        var model = legacy
            ? new JsonObject { ["class_name"] = "Sequential", ["config"] = new JsonObject { ["name"] = "sequential", ["layers"] = layers } }
            : new JsonObject { ["module"] = "keras", ["class_name"] = "Sequential", ["config"] = new JsonObject { ["name"] = "sequential", ["trainable"] = true, ["layers"] = layers }, ["registered_name"] = null };
        return model.ToJsonString();

        (string, JsonObject) Recurrent(string className, string baseName, int units, bool returnSequences, bool bidirectional, RefMerge merge, string activation, string? recurrentActivation, bool? resetAfter)
        {
            string name = Name(baseName);
            var config = new JsonObject
            {
                ["name"] = name, ["trainable"] = true, ["return_sequences"] = returnSequences, ["return_state"] = false,
                ["go_backwards"] = false, ["stateful"] = false, ["unroll"] = false, ["units"] = units,
                ["activation"] = activation, ["use_bias"] = true, ["dropout"] = 0.0, ["recurrent_dropout"] = 0.0,
            };
            if (recurrentActivation is not null)
            {
                config["recurrent_activation"] = recurrentActivation;
            }

            if (resetAfter is bool after)
            {
                config["reset_after"] = after;
            }

            if (!bidirectional)
            {
                return (className, config);
            }

            string mergeMode = merge switch { RefMerge.Sum => "sum", RefMerge.Multiply => "mul", RefMerge.Average => "ave", _ => "concat" };
            return ("Bidirectional", new JsonObject
            {
                ["name"] = Name("bidirectional"),
                ["merge_mode"] = mergeMode,
                ["layer"] = Layer(className, config),
            });
        }
    }

    /// <summary>
    /// Keras's name of an activation in a file of Keras 2 (<paramref name="legacy"/>) or 3: "hard_sigmoid" is
    /// clip(0.2x + 0.5) in Keras 2 and relu6(x + 3) / 6 in Keras 3, so each version writes only its own.
    /// </summary>
    private static string Activation(RefActivation activation, bool legacy) => activation switch
    {
        RefActivation.HardSigmoidKeras2 when legacy => "hard_sigmoid",
        RefActivation.HardSigmoid when !legacy => "hard_sigmoid",
        RefActivation.HardSigmoid or RefActivation.HardSigmoidKeras2 => throw new ArgumentException($"Keras {(legacy ? 2 : 3)} has no name for {activation}.", nameof(activation)),
        _ => activation.ToString().ToLowerInvariant(),
    };

    /// <summary>Whether every activation of <paramref name="reference"/> has a name in Keras 2 (<paramref name="legacy"/>) or 3.</summary>
    public static bool Expressible(RefLayer[] reference, bool legacy)
    {
        RefActivation other = legacy ? RefActivation.HardSigmoid : RefActivation.HardSigmoidKeras2;
        return reference.All(layer => layer switch
        {
            RefDense d => d.Activation != other,
            RefSimpleRnn r => r.Activation != other,
            RefLstm l => l.Activation != other && l.RecurrentActivation != other,
            RefGru g => g.Activation != other && g.RecurrentActivation != other,
            _ => true,
        });
    }

    private static string Snake(TestLayerKind kind) => kind switch
    {
        TestLayerKind.Embedding => "embedding",
        TestLayerKind.SimpleRnn => "simple_rnn",
        TestLayerKind.Lstm => "lstm",
        TestLayerKind.Gru => "gru",
        TestLayerKind.Normalization => "normalization",
        _ => "dense",
    };

    private static H5Dataset Dataset(KerasTensor tensor, ReadOnlySpan<float> parameters) => tensor.Role == TestRole.Count
        ? new((long)parameters[tensor.Offset]) // Normalization's count: a scalar int64, as Keras on TensorFlow writes it
        : new(parameters.Slice(tensor.Offset, tensor.Length).ToArray(), fileDims: tensor.Shape.Select(d => (ulong)d).ToArray());

    /// <summary>The group at <paramref name="path"/> under <paramref name="root"/>, made with its parents when missing.</summary>
    private static H5Group Group(H5Group root, string path)
    {
        H5Group current = root;
        foreach (string part in path.Split('/'))
        {
            if (!current.TryGetValue(part, out object? child))
            {
                child = new H5Group();
                current[part] = child;
            }

            current = (H5Group)child;
        }

        return current;
    }

    private static void Entry(ZipArchive zip, string name, byte[] bytes)
    {
        using Stream stream = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
        stream.Write(bytes);
    }

    private static byte[] Bytes(H5File file)
    {
        using var stream = new MemoryStream();
        file.Write(stream);
        return stream.ToArray();
    }
}
