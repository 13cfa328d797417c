using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;

namespace RnnCompiler.Weights.Keras;

/// <summary>One layer of a Keras model configuration: its class and its <c>config</c> object.</summary>
/// <param name="ClassName">Keras's class name (<c>LSTM</c>, <c>Bidirectional</c>, ...).</param>
/// <param name="Name">The layer's name in the file.</param>
/// <param name="Config">The layer's <c>config</c> object.</param>
internal sealed record KerasConfigLayer(string ClassName, string Name, JsonElement Config);

/// <summary>
/// A Keras model configuration (a <c>.keras</c> archive's <c>config.json</c>, a legacy <c>.h5</c> file's
/// <c>model_config</c>) compared with a declaration layer by layer: kind, units, activations, return_sequences,
/// reset_after, merge mode, vocabulary. Every difference goes into one message.
/// </summary>
internal static class KerasConfig
{
    /// <summary>Layers that hold no weights and change nothing at inference: they may stand between the declared ones.</summary>
    public static readonly HashSet<string> InferenceNoOps = new(StringComparer.Ordinal)
    {
        "InputLayer", "Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization",
    };

    /// <summary>Reads the layers of a Sequential or Functional model configuration, in order.</summary>
    /// <exception cref="InvalidDataException">The text is not a model configuration.</exception>
    public static List<KerasConfigLayer> Layers(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("The Keras model configuration is not valid JSON: " + e.Message, e);
        }

        JsonElement root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("config", out JsonElement config))
        {
            throw new InvalidDataException("The Keras model configuration has no \"config\" object.");
        }

        // Sequential in Keras 2.2.3 and later, Functional, Keras 3: {"layers": [...]}; Sequential up to Keras 2.2.2: [...].
        JsonElement layers = config.ValueKind == JsonValueKind.Array ? config
            : config.ValueKind == JsonValueKind.Object && config.TryGetProperty("layers", out JsonElement list) ? list
            : throw new InvalidDataException("The Keras model configuration lists no layers.");
        if (layers.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException("The Keras model configuration's \"layers\" is not a list.");
        }

        var result = new List<KerasConfigLayer>();
        foreach (JsonElement layer in layers.EnumerateArray())
        {
            string className = layer.ValueKind == JsonValueKind.Object && layer.TryGetProperty("class_name", out JsonElement c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "?";
            JsonElement layerConfig = layer.ValueKind == JsonValueKind.Object && layer.TryGetProperty("config", out JsonElement lc) && lc.ValueKind == JsonValueKind.Object ? lc : default;
            result.Add(new KerasConfigLayer(className, String(layerConfig, "name") ?? "?", layerConfig));
        }

        return result;
    }

    /// <summary>
    /// Every difference between the file's layers and the declared ones, one line each; empty when they match.
    /// </summary>
    /// <param name="fileLayers">The file's layers, from <see cref="Layers"/>.</param>
    /// <param name="layers">The declared layers.</param>
    /// <param name="kerasMajor">The major version of the Keras that wrote the file: it decides what <c>hard_sigmoid</c> means.</param>
    /// <param name="maskValue">The model's <c>[Masking]</c> value, or null when it has none.</param>
    /// <param name="outputSteps">The model's <c>[RepeatVector]</c> steps, or 0 when it has none.</param>
    public static List<string> Differences(List<KerasConfigLayer> fileLayers, IReadOnlyList<LayerDescriptor> layers, int kerasMajor, double? maskValue = null, int outputSteps = 0)
    {
        var differences = new List<string>();
        var weighted = new List<KerasConfigLayer>();
        bool fileMasks = false;
        bool fileRepeats = false;
        foreach (KerasConfigLayer layer in fileLayers)
        {
            if (layer.ClassName == "RepeatVector")
            {
                // RepeatVector holds no weights either: it is compared with the model's [RepeatVector] (the widths and
                // return_sequences of the layers around it place it).
                long? n = Int(layer.Config, "n");
                string steps = n?.ToString(CultureInfo.InvariantCulture) ?? "?";
                if (fileRepeats)
                {
                    differences.Add($"the file's layer '{layer.Name}' is a second RepeatVector; a model has one");
                }
                else if (outputSteps == 0)
                {
                    differences.Add($"the file's layer '{layer.Name}' repeats a vector over {steps} steps (RepeatVector); declare [RepeatVector({steps})] where it stands");
                }
                else if (n != outputSteps)
                {
                    differences.Add($"the file's layer '{layer.Name}' repeats over {steps} steps; this model's [RepeatVector] over {outputSteps}");
                }

                fileRepeats = true;
                continue;
            }

            if (layer.ClassName == "Masking")
            {
                // Masking holds no weights: it is compared with the model's [Masking] rather than paired with a layer.
                fileMasks = true;
                double fileValue = Double(layer.Config, "mask_value") ?? 0;
                if (maskValue is null)
                {
                    differences.Add($"the file's layer '{layer.Name}' masks steps whose every feature is {fileValue.ToString("R", CultureInfo.InvariantCulture)} (Masking); declare [Masking({fileValue.ToString("R", CultureInfo.InvariantCulture)})] after [Input]");
                }
                else if (fileValue != maskValue)
                {
                    differences.Add($"the file's layer '{layer.Name}' masks with mask_value {fileValue.ToString("R", CultureInfo.InvariantCulture)}; this model's [Masking] value is {maskValue.Value.ToString("R", CultureInfo.InvariantCulture)}");
                }

                continue;
            }

            if (!InferenceNoOps.Contains(layer.ClassName))
            {
                weighted.Add(layer);
            }
        }

        if (outputSteps > 0 && !fileRepeats)
        {
            differences.Add($"this model repeats a vector over {outputSteps} steps ([RepeatVector]); the file has no RepeatVector layer");
        }

        if (maskValue is double declared && !fileMasks)
        {
            differences.Add($"this model masks steps whose every feature is {declared.ToString("R", CultureInfo.InvariantCulture)} ([Masking]); the file has no Masking layer");
        }

        int count = Math.Min(weighted.Count, layers.Count);
        for (int i = 0; i < count; i++)
        {
            Compare(weighted[i], layers[i], i + 1, kerasMajor, differences);
        }

        for (int i = count; i < weighted.Count; i++)
        {
            differences.Add($"the file's layer '{weighted[i].Name}' ({weighted[i].ClassName}) has no counterpart in this model, which has {layers.Count} weighted layers");
        }

        for (int i = count; i < layers.Count; i++)
        {
            differences.Add($"this model's layer {i + 1} '{layers[i].Name}' ({KerasClass(layers[i].Kind)}) has no counterpart in the file, which has {weighted.Count} weighted layers");
        }

        return differences;
    }

    private static void Compare(KerasConfigLayer file, LayerDescriptor layer, int position, int kerasMajor, List<string> differences)
    {
        string where = $"layer {position} '{file.Name}'";
        JsonElement config = file.Config;
        string fileClass = file.ClassName;
        if (fileClass == "Bidirectional")
        {
            if (!layer.Bidirectional)
            {
                differences.Add($"{where}: Bidirectional in the file; this model's '{layer.Name}' is not bidirectional (Bidirectional = true)");
                return;
            }

            string mergeMode = String(config, "merge_mode") ?? "null";
            string expected = MergeModeName(layer.MergeMode);
            if (mergeMode != expected)
            {
                differences.Add($"{where}: merge_mode \"{mergeMode}\" in the file; this model merges with \"{expected}\" (MergeMode = MergeMode.{layer.MergeMode})");
            }

            JsonElement inner = config.ValueKind == JsonValueKind.Object && config.TryGetProperty("layer", out JsonElement wrapped) && wrapped.ValueKind == JsonValueKind.Object ? wrapped : default;
            fileClass = inner.ValueKind == JsonValueKind.Object && inner.TryGetProperty("class_name", out JsonElement c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "?";
            config = inner.ValueKind == JsonValueKind.Object && inner.TryGetProperty("config", out JsonElement ic) ? ic : default;
        }
        else if (layer.Bidirectional)
        {
            differences.Add($"{where}: {fileClass} in the file; this model's '{layer.Name}' is bidirectional");
            return;
        }

        string expectedClass = KerasClass(layer.Kind);
        if (fileClass != expectedClass)
        {
            differences.Add($"{where}: {fileClass} in the file; this model has {expectedClass} ('{layer.Name}')");
            return;
        }

        switch (layer.Kind)
        {
            case LayerKind.Embedding:
                Expect(differences, where, config, "input_dim", layer.InputSize, "the vocabulary size");
                Expect(differences, where, config, "output_dim", layer.Units, "the dimensions");
                if ((Bool(config, "mask_zero") == true) != layer.MaskZero)
                {
                    differences.Add(layer.MaskZero
                        ? $"{where}: mask_zero is false in the file; this model masks token 0 (MaskZero = true)"
                        : $"{where}: mask_zero is true in the file; declare [Embedding(…, MaskZero = true)] to mask padding tokens as it does");
                }

                break;

            case LayerKind.Dense:
                Expect(differences, where, config, "units", layer.Units, "units");
                ExpectActivation(differences, where, config, "activation", layer.Activation, kerasMajor, "Activation");
                ExpectUseBias(differences, where, config);
                break;

            case LayerKind.Normalization:
                NormalizationDifferences(differences, where, config);
                break;

            default:
                Expect(differences, where, config, "units", layer.Units, "units");
                ExpectActivation(differences, where, config, "activation", layer.Activation, kerasMajor, "Activation");
                if (layer.Kind != LayerKind.SimpleRnn)
                {
                    ExpectActivation(differences, where, config, "recurrent_activation", layer.RecurrentActivation, kerasMajor, "RecurrentActivation");
                }

                ExpectUseBias(differences, where, config);
                if ((Bool(config, "return_sequences") ?? false) != layer.ReturnSequences)
                {
                    differences.Add($"{where}: return_sequences is {Lower(Bool(config, "return_sequences") ?? false)} in the file; this model's is {Lower(layer.ReturnSequences)} (ReturnSequences = {Lower(layer.ReturnSequences)})");
                }

                if (Bool(config, "go_backwards") == true && !layer.Bidirectional)
                {
                    differences.Add($"{where}: go_backwards is true in the file; this model reads sequences forwards");
                }

                if (layer.Kind == LayerKind.Gru)
                {
                    // Multi-backend Keras 2 defaulted to reset_after = false and wrote it only from 2.1.
                    bool resetAfter = Bool(config, "reset_after") ?? false;
                    if (resetAfter != layer.ResetAfter)
                    {
                        differences.Add($"{where}: reset_after is {Lower(resetAfter)} in the file; this model's is {Lower(layer.ResetAfter)} (ResetAfter = {Lower(resetAfter)})");
                    }
                }

                break;
        }
    }

    /// <summary>
    /// What a Normalization layer of the file must be to match <c>[Normalization]</c>: one mean and variance per feature
    /// (<c>axis</c> -1, the last axis, or 2 of [batch, steps, features]), not <c>invert</c>, and statistics held as
    /// weights (from <c>adapt</c>) rather than passed to its constructor, which keeps them in the configuration only.
    /// </summary>
    public static void NormalizationDifferences(List<string> differences, string where, JsonElement config)
    {
        if (config.ValueKind == JsonValueKind.Object && config.TryGetProperty("axis", out JsonElement axis) && !IsFeatureAxis(axis))
        {
            differences.Add($"{where}: axis {axis.GetRawText()} in the file; [Normalization] keeps one mean and variance per feature, Keras's axis=-1");
        }

        if (Bool(config, "invert") == true)
        {
            differences.Add($"{where}: invert is true in the file; [Normalization] normalizes, it does not undo a normalization");
        }

        foreach (string key in new[] { "mean", "variance" })
        {
            if (config.ValueKind == JsonValueKind.Object && config.TryGetProperty(key, out JsonElement value) && value.ValueKind is not JsonValueKind.Null)
            {
                differences.Add($"{where}: the layer was given its {key} in its constructor, so the file keeps the statistics in its configuration and not as weights; build it with adapt() instead (Normalization(axis=-1) then layer.adapt(data)), or set them with Adapt");
                break;
            }
        }
    }

    /// <summary>Whether a Normalization <c>axis</c> (an integer or a list of one) is the features' axis: -1, or 2 of a sequence input.</summary>
    private static bool IsFeatureAxis(JsonElement axis)
    {
        JsonElement single = axis;
        if (axis.ValueKind == JsonValueKind.Array)
        {
            if (axis.GetArrayLength() != 1)
            {
                return false;
            }

            single = axis[0];
        }

        return single.ValueKind == JsonValueKind.Number && single.TryGetInt64(out long value) && value is -1 or 2;
    }

    private static void Expect(List<string> differences, string where, JsonElement config, string key, int expected, string what)
    {
        if (Int(config, key) is not long value)
        {
            differences.Add($"{where}: the file gives no {key}; this model has {expected} {what}");
        }
        else if (value != expected)
        {
            differences.Add($"{where}: {key} {value.ToString(CultureInfo.InvariantCulture)} in the file; this model has {expected} {what}");
        }
    }

    private static void ExpectActivation(List<string> differences, string where, JsonElement config, string key, Activation expected, int kerasMajor, string property)
    {
        // An activation left out of a configuration is taken as the declared one (Keras writes every one it has).
        string? actualName = Activation(config, key);
        if (actualName is null)
        {
            return;
        }

        Activation? actual = KerasActivations.FromName(actualName, kerasMajor);
        if (actual != expected)
        {
            string meaning = actual is { } known ? $"Activation.{known}" : "an activation RnnCompiler does not have";
            string note = actualName == "hard_sigmoid"
                ? $"; Keras {kerasMajor} wrote the file, and its hard_sigmoid is {(kerasMajor < 3 ? "clip(0.2·x + 0.5, 0, 1)" : "relu6(x + 3) / 6")}"
                : string.Empty;
            differences.Add($"{where}: {key} \"{actualName}\" in the file ({meaning}{note}); this model has {property} = Activation.{expected}");
        }
    }

    private static void ExpectUseBias(List<string> differences, string where, JsonElement config)
    {
        if (Bool(config, "use_bias") == false)
        {
            differences.Add($"{where}: use_bias is false in the file; this model's layers always have a bias");
        }
    }

    /// <summary>An activation as a string: Keras 2 and 3 store built-in ones as their names, Keras 3 others as objects.</summary>
    public static string? Activation(JsonElement config, string key)
    {
        if (config.ValueKind != JsonValueKind.Object || !config.TryGetProperty(key, out JsonElement value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Null => "linear",
            JsonValueKind.Object when value.TryGetProperty("config", out JsonElement inner) && String(inner, "name") is string name => name,
            JsonValueKind.Object when String(value, "class_name") is string name => name,
            _ => "?",
        };
    }

    public static string? String(JsonElement config, string key) =>
        config.ValueKind == JsonValueKind.Object && config.TryGetProperty(key, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static bool? Bool(JsonElement config, string key) =>
        config.ValueKind == JsonValueKind.Object && config.TryGetProperty(key, out JsonElement value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : null;

    public static double? Double(JsonElement config, string key) =>
        config.ValueKind == JsonValueKind.Object && config.TryGetProperty(key, out JsonElement value) && value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double number) ? number : null;

    public static long? Int(JsonElement config, string key) =>
        config.ValueKind == JsonValueKind.Object && config.TryGetProperty(key, out JsonElement value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long number) ? number : null;

    private static string Lower(bool value) => value ? "true" : "false";

    /// <summary>Keras's class name of a layer kind.</summary>
    public static string KerasClass(LayerKind kind) => kind switch
    {
        LayerKind.Embedding => "Embedding",
        LayerKind.SimpleRnn => "SimpleRNN",
        LayerKind.Lstm => "LSTM",
        LayerKind.Gru => "GRU",
        LayerKind.Dense => "Dense",
        LayerKind.Normalization => "Normalization",
        _ => "InputLayer",
    };

    /// <summary>Keras's name of a merge mode.</summary>
    public static string MergeModeName(MergeMode mode) => mode switch
    {
        MergeMode.Sum => "sum",
        MergeMode.Multiply => "mul",
        MergeMode.Average => "ave",
        _ => "concat",
    };
}
