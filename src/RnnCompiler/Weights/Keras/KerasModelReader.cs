using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;

namespace RnnCompiler.Weights.Keras;

/// <summary>
/// Walks a model configuration's layers: the input shape, each layer's kind, sizes and options as a
/// <see cref="LayerDescriptor"/> named as the generator names it, and every layer or option RnnCompiler lacks.
/// </summary>
internal sealed class KerasModelReader(int kerasMajorVersion)
{
    /// <summary>Keras's recurrent classes and RnnCompiler's names for them.</summary>
    private static readonly Dictionary<string, (LayerKind Kind, string KerasName)> Recurrent = new(StringComparer.Ordinal)
    {
        ["SimpleRNN"] = (LayerKind.SimpleRnn, "simple_rnn"),
        ["LSTM"] = (LayerKind.Lstm, "lstm"),
        ["GRU"] = (LayerKind.Gru, "gru"),
    };

    private static readonly Activation[] DenseActivations = [Activation.Linear, Activation.Tanh, Activation.Sigmoid, Activation.Relu, Activation.Softmax, Activation.HardSigmoid, Activation.HardSigmoidKeras2];
    private static readonly Activation[] SimpleRnnActivations = [Activation.Tanh, Activation.Relu, Activation.Sigmoid, Activation.Linear, Activation.HardSigmoid, Activation.HardSigmoidKeras2];
    private static readonly Activation[] GatedActivations = [Activation.Tanh, Activation.Sigmoid, Activation.Relu, Activation.Linear, Activation.HardSigmoid, Activation.HardSigmoidKeras2];

    private readonly Dictionary<string, int> _counters = new(StringComparer.Ordinal);

    /// <summary>The floats per step flowing into the next layer; 0 where the input shape does not give them.</summary>
    private int _width;

    /// <summary>Where the next layer's first tensor starts in the flat parameter vector.</summary>
    private int _offset;

    public List<LayerDescriptor> Layers { get; } = [];

    public List<string> Unsupported { get; } = [];

    public List<string> Notes { get; } = [];

    public int? SequenceLength { get; private set; }

    /// <summary>The steps of the model's RepeatVector, or 0 when it has none.</summary>
    public int OutputSteps { get; private set; }

    /// <summary>How many of <see cref="Layers"/> stand before the RepeatVector.</summary>
    public int RepeatAfter { get; private set; }

    /// <summary>Whether the flow into the next layer is a sequence (until a recurrent layer returns its last output).</summary>
    private bool _isSequence = true;

    public int? InputFeatures { get; private set; }

    /// <summary>The mask value of a Masking layer after the input, or null.</summary>
    public double? MaskValue { get; private set; }

    public void Read(string configuration, int? sequenceLength)
    {
        List<KerasConfigLayer> layers = KerasConfig.Layers(configuration);
        KerasConfigLayer[] weighted = layers.Where(layer => !KerasConfig.InferenceNoOps.Contains(layer.ClassName) && layer.ClassName != "Masking").ToArray();
        bool tokens = weighted.Length > 0 && weighted[0].ClassName == "Embedding";
        ReadInputShape(configuration, layers, tokens, sequenceLength);
        if (weighted.Length == 0)
        {
            Unsupported.Add("the model has no layer with weights; RnnCompiler's models start with an Embedding, a recurrent or a Dense layer");
        }

        int inputs = 0;
        foreach (KerasConfigLayer layer in layers)
        {
            string where = $"layer '{layer.Name}' ({layer.ClassName})";
            if (layer.ClassName == "InputLayer")
            {
                if (++inputs == 2)
                {
                    Unsupported.Add($"{where}: a second input; an RnnCompiler model has one");
                }
            }
            else if (KerasConfig.InferenceNoOps.Contains(layer.ClassName))
            {
                Notes.Add($"{where} is left out: it does nothing at inference.");
            }
            else if (layer.ClassName == "Masking")
            {
                ReadMasking(layer.Config, where, tokens);
            }
            else if (layer.ClassName == "Embedding")
            {
                ReadEmbedding(layer.Config, where, first: ReferenceEquals(layer, weighted[0]));
            }
            else if (layer.ClassName == "Dense")
            {
                ReadDense(layer.Config, where);
            }
            else if (layer.ClassName == "Normalization")
            {
                ReadNormalization(layer.Config, where, first: ReferenceEquals(layer, weighted[0]));
            }
            else if (Recurrent.ContainsKey(layer.ClassName))
            {
                ReadRecurrent(layer.ClassName, layer.Config, where, bidirectional: false, MergeMode.Concat);
            }
            else if (layer.ClassName == "RepeatVector")
            {
                ReadRepeatVector(layer.Config, where);
            }
            else if (layer.ClassName == "Bidirectional")
            {
                ReadBidirectional(layer.Config, where);
            }
            else
            {
                Unsupported.Add($"{where}: {Missing(layer)}");
            }
        }
    }

    /// <summary>Why a class is not read, with what to do where there is something.</summary>
    private static string Missing(KerasConfigLayer layer)
    {
        string wrapped = InnerClass(layer.Config);
        return layer.ClassName switch
        {
            "CuDNNLSTM" or "CuDNNGRU" => $"a CuDNN layer, whose weights are laid out for cuDNN; in tf.keras, build the model with {layer.ClassName[5..]} (recurrent_activation \"sigmoid\"{(layer.ClassName == "CuDNNGRU" ? ", reset_after True" : string.Empty)}), load these weights into it and save that",
            "TimeDistributed" when wrapped == "Dense" => "RnnCompiler has no TimeDistributed wrapper; its Dense after a layer that returns sequences runs at every step, so in Keras put the Dense itself in place of TimeDistributed(Dense(…)) and save again",
            "TimeDistributed" => $"RnnCompiler has no TimeDistributed wrapper (here around {wrapped})",
            "Activation" => "RnnCompiler has no Activation layer; give the activation to the Dense layer before it (Dense(…, activation=…)) and save again",
            "Sequential" or "Functional" or "Model" => "a model nested in the model; RnnCompiler reads one flat stack of layers",
            _ => $"RnnCompiler has no {layer.ClassName} layer",
        };
    }

    private void ReadEmbedding(JsonElement config, string where, bool first)
    {
        if (!first)
        {
            Unsupported.Add($"{where}: an Embedding after other layers; RnnCompiler's Embedding is the model's first layer");
            return;
        }

        int? vocabulary = Size(config, "input_dim", where);
        int? dimensions = Size(config, "output_dim", where);
        bool maskZero = KerasConfig.Bool(config, "mask_zero") == true;
        CheckLora(config, where);
        if (vocabulary is int v && dimensions is int d)
        {
            string name = Next("embedding");
            Add(new LayerDescriptor(LayerKind.Embedding, name, name, v, d, _offset, resetAfter: false) { MaskZero = maskZero }, d);
        }
    }

    /// <summary>Keras's <c>Masking(mask_value)</c>: RnnCompiler's <c>[Masking]</c>, directly after the float input.</summary>
    private void ReadMasking(JsonElement config, string where, bool tokens)
    {
        double value = KerasConfig.Double(config, "mask_value") ?? 0;
        if (tokens || Layers.Count > 0 || MaskValue is not null)
        {
            Unsupported.Add($"{where}: a Masking layer that is not the first after the input; RnnCompiler's [Masking] masks the model's float steps (a model of tokens masks with Embedding's mask_zero)");
        }
        else if (!double.IsFinite(value))
        {
            Unsupported.Add($"{where}: mask_value is not a finite number");
        }
        else
        {
            MaskValue = value;
        }
    }

    private void ReadNormalization(JsonElement config, string where, bool first)
    {
        if (!first)
        {
            Unsupported.Add($"{where}: a Normalization after other layers; RnnCompiler's [Normalization] comes directly after the input");
            return;
        }

        var differences = new List<string>();
        KerasConfig.NormalizationDifferences(differences, where, config);
        Unsupported.AddRange(differences);
        if (differences.Count == 0 && _width > 0)
        {
            string name = Next("normalization");
            Add(new LayerDescriptor(LayerKind.Normalization, name, name, _width, _width, _offset, resetAfter: false), _width);
        }
    }

    private void ReadDense(JsonElement config, string where)
    {
        int? units = Size(config, "units", where);
        Activation? activation = ReadActivation(config, "activation", "linear", DenseActivations, "Dense", where);
        CheckBias(config, where);
        CheckLora(config, where);
        if (units is int u && activation is Activation a && _width > 0)
        {
            string name = Next("dense");
            Add(new LayerDescriptor(LayerKind.Dense, name, name, _width, u, _offset, resetAfter: false) { Activation = a }, u);
        }
    }

    private void ReadBidirectional(JsonElement config, string where)
    {
        string inner = InnerClass(config);
        string innerWhere = $"{where[..^1]}({inner}))";
        if (!Recurrent.ContainsKey(inner))
        {
            Unsupported.Add($"{where}: it wraps {inner}; RnnCompiler's bidirectional layers are SimpleRNN, LSTM or GRU");
            return;
        }

        string? mergeName = KerasConfig.String(config, "merge_mode");
        MergeMode? merge = mergeName switch
        {
            "concat" => MergeMode.Concat,
            "sum" => MergeMode.Sum,
            "mul" => MergeMode.Multiply,
            "ave" => MergeMode.Average,
            _ => null,
        };
        if (merge is null)
        {
            Unsupported.Add(mergeName is null
                ? $"{where}: merge_mode is None (the two directions as two outputs); RnnCompiler merges them with \"concat\", \"sum\", \"mul\" or \"ave\""
                : $"{where}: merge_mode \"{mergeName}\"; RnnCompiler merges with \"concat\", \"sum\", \"mul\" or \"ave\"");
        }

        JsonElement forward = InnerConfig(config, "layer");
        if (KerasConfig.Bool(forward, "go_backwards") == true)
        {
            Unsupported.Add($"{innerWhere}: go_backwards is true on the wrapped layer, which reverses both directions; RnnCompiler's forward direction reads forwards");
        }

        // Keras 3 (and Keras 2 from 2.3) also write the backward layer; RnnCompiler's two directions are alike.
        if (Property(config, "backward_layer").ValueKind == JsonValueKind.Object)
        {
            string backwardClass = InnerClass(config, "backward_layer");
            if (backwardClass != inner || !Settings(inner, forward, innerWhere, []).Equals(Settings(inner, InnerConfig(config, "backward_layer"), innerWhere, [])))
            {
                Unsupported.Add($"{innerWhere}: its backward_layer is configured unlike its forward layer; RnnCompiler's two directions are alike");
            }
        }

        ReadRecurrent(inner, forward, innerWhere, bidirectional: true, merge ?? MergeMode.Concat);
    }

    /// <summary>Keras's <c>RepeatVector(n)</c>: RnnCompiler's <c>[RepeatVector(n)]</c>, once, after a layer that returns one vector.</summary>
    private void ReadRepeatVector(JsonElement config, string where)
    {
        int? steps = Size(config, "n", where);
        if (OutputSteps > 0)
        {
            Unsupported.Add($"{where}: a second RepeatVector; an RnnCompiler model repeats once, between its encoder and its decoder");
        }
        else if (_isSequence)
        {
            Unsupported.Add($"{where}: a RepeatVector after a layer that returns a sequence; RnnCompiler repeats one vector per sequence (an encoder's last output)");
        }
        else if (steps is int n)
        {
            OutputSteps = n;
            RepeatAfter = Layers.Count;
            _isSequence = true;
        }
    }

    private void ReadRecurrent(string className, JsonElement config, string where, bool bidirectional, MergeMode merge)
    {
        (LayerKind kind, string kerasName) = Recurrent[className];
        int before = Unsupported.Count;
        (int? units, Activation? activation, Activation? gates, bool resetAfter, bool returnSequences) = Settings(className, config, where, Unsupported);
        if (!bidirectional && KerasConfig.Bool(config, "go_backwards") == true)
        {
            Unsupported.Add($"{where}: go_backwards is true; RnnCompiler reads sequences forwards (a backward direction is Bidirectional's)");
        }

        if (Unsupported.Count > before || units is not int u || activation is not Activation a || gates is not Activation g || _width == 0)
        {
            return;
        }

        string inner = Next(kerasName);
        string name = bidirectional ? Next("bidirectional") : inner;
        int output = bidirectional && merge == MergeMode.Concat ? 2 * u : u;
        var layer = new LayerDescriptor(kind, name, inner, _width, u, _offset, bidirectional, resetAfter)
        {
            Activation = a,
            RecurrentActivation = kind == LayerKind.SimpleRnn ? Activation.Linear : g,
            ReturnSequences = returnSequences,
            MergeMode = bidirectional ? merge : MergeMode.Concat,
        };
        Add(layer, output);
        _isSequence = returnSequences;
        if (a is Activation.HardSigmoid or Activation.HardSigmoidKeras2 || g is Activation.HardSigmoid or Activation.HardSigmoidKeras2)
        {
            Notes.Add($"{where}: \"hard_sigmoid\" is read as Keras {(kerasMajorVersion >= 3 ? "3's, relu6(x + 3) / 6: Activation.HardSigmoid" : "2's, clip(0.2·x + 0.5, 0, 1): Activation.HardSigmoidKeras2")}, as the file was written by Keras {(kerasMajorVersion >= 3 ? "3" : "2")}.");
        }
    }

    /// <summary>A recurrent layer's settings; what RnnCompiler lacks goes into <paramref name="unsupported"/>.</summary>
    private (int? Units, Activation? Activation, Activation? Gates, bool ResetAfter, bool ReturnSequences) Settings(string className, JsonElement config, string where, List<string> unsupported)
    {
        bool gated = className != "SimpleRNN";
        int? units = Size(config, "units", where, unsupported);
        Activation? activation = ReadActivation(config, "activation", "tanh", gated ? GatedActivations : SimpleRnnActivations, className, where, unsupported);
        Activation? gates = gated ? ReadActivation(config, "recurrent_activation", "sigmoid", GatedActivations, className, where, unsupported) : Activation.Linear;
        CheckBias(config, where, unsupported);
        foreach ((string option, string why) in new[]
        {
            ("stateful", "RnnCompiler's Predict starts every sequence from a zero state; its Step carries the state from call to call"),
            ("return_state", "RnnCompiler's layers output their hidden states only"),
            ("time_major", "RnnCompiler's inputs are [steps, features] per sequence"),
        })
        {
            if (KerasConfig.Bool(config, option) == true)
            {
                unsupported.Add($"{where}: {option} is true; {why}");
            }
        }

        // Multi-backend Keras 2 defaulted to reset_after = false and wrote it only from 2.1.
        bool resetAfter = className == "GRU" && (KerasConfig.Bool(config, "reset_after") ?? false);
        return (units, activation, gates, resetAfter, KerasConfig.Bool(config, "return_sequences") ?? false);
    }

    private Activation? ReadActivation(JsonElement config, string key, string keras, Activation[] allowed, string className, string where, List<string>? unsupported = null)
    {
        // Keras's default for an activation left out: linear for Dense, tanh and sigmoid for the recurrent layers.
        string name = KerasConfig.Activation(config, key) ?? keras;
        Activation? activation = KerasActivations.FromName(name, kerasMajorVersion);
        if (activation is Activation known && allowed.Contains(known))
        {
            return known;
        }

        string choices = string.Join(", ", allowed.Select(KerasActivations.Name).Distinct().Select(n => "\"" + n + "\""));
        (unsupported ?? Unsupported).Add($"{where}: {key} \"{name}\" is not one RnnCompiler's {className} has; it takes {choices}");
        return null;
    }

    private void CheckBias(JsonElement config, string where, List<string>? unsupported = null)
    {
        if (KerasConfig.Bool(config, "use_bias") == false)
        {
            (unsupported ?? Unsupported).Add($"{where}: use_bias is false; RnnCompiler's layers always have a bias");
        }
    }

    private void CheckLora(JsonElement config, string where)
    {
        if (KerasConfig.Int(config, "lora_rank") is long rank)
        {
            Unsupported.Add($"{where}: lora_rank is {rank.ToString(CultureInfo.InvariantCulture)}; merge the LoRA weights into the layer (layer.enable_lora undone) and save again");
        }
    }

    private int? Size(JsonElement config, string key, string where, List<string>? unsupported = null)
    {
        if (KerasConfig.Int(config, key) is long value && value >= 1 && value <= int.MaxValue)
        {
            return (int)value;
        }

        (unsupported ?? Unsupported).Add($"{where}: the configuration gives no {key} of 1 or more");
        return null;
    }

    private void Add(LayerDescriptor layer, int output)
    {
        Layers.Add(layer);
        _offset += layer.ParameterCount;
        _width = output;
    }

    /// <summary>Keras's next default name for a layer of the kind, as the generator gives it: <c>lstm</c>, then <c>lstm_1</c>, …</summary>
    private string Next(string kind)
    {
        _counters.TryGetValue(kind, out int count);
        _counters[kind] = count + 1;
        return count == 0 ? kind : kind + "_" + count.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The sequence length and, for a model of float steps, the features per step, from the first place the
    /// configuration gives them: an InputLayer's <c>batch_shape</c> (Keras 3) or <c>batch_input_shape</c> (Keras 2),
    /// the first layer's <c>batch_input_shape</c> or <c>input_shape</c> (Keras 2), the model's build shape, the first
    /// layer's <c>build_config</c> (Keras 3); a Keras 2 Embedding's <c>input_length</c> for the steps.
    /// </summary>
    private void ReadInputShape(string configuration, List<KerasConfigLayer> layers, bool tokens, int? given)
    {
        using var document = JsonDocument.Parse(configuration, new JsonDocumentOptions { MaxDepth = 64 });
        JsonElement root = document.RootElement;
        KerasConfigLayer? input = layers.FirstOrDefault(layer => layer.ClassName == "InputLayer");
        KerasConfigLayer? first = layers.FirstOrDefault(layer => layer.ClassName != "InputLayer");
        JsonElement firstEntry = FirstLayerEntry(root);
        long?[]? firstInputShape = first is null ? null : Shape(first.Config, "input_shape");
        (long?[] Dimensions, string Source)? shape =
            (input is null ? null : BatchShape(input.Config, $"the InputLayer '{input.Name}'"))
            ?? (first is null ? null : BatchShape(first.Config, $"layer '{first.Name}'"))
            ?? Found(firstInputShape is null ? null : [null, .. firstInputShape], $"layer '{first?.Name}''s input_shape")
            ?? Found(Shape(Property(root, "config"), "build_input_shape"), "the model's build_input_shape")
            ?? Found(Shape(Property(root, "build_config"), "input_shape"), "the model's build_config")
            ?? Found(Shape(Property(firstEntry, "build_config"), "input_shape"), "the first layer's build_config");

        long? steps = null;
        long? features = null;
        if (shape is ({ } dimensions, string source))
        {
            string text = "(" + string.Join(", ", dimensions.Select(d => d?.ToString(CultureInfo.InvariantCulture) ?? "None")) + ")";
            int rank = tokens ? 2 : 3;
            if (dimensions.Length != rank)
            {
                Unsupported.Add(tokens
                    ? $"the input shape {text} (from {source}) is not (batch, steps) token ids; RnnCompiler's Embedding models read one id per step"
                    : $"the input shape {text} (from {source}) is not (batch, steps, features); RnnCompiler's models read a vector of floats per step");
            }
            else
            {
                steps = dimensions[1];
                features = tokens ? null : dimensions[2];
            }

            if (!tokens && dimensions.Length == rank && features is null)
            {
                Unsupported.Add($"the input shape {text} (from {source}) leaves the features per step open (None); RnnCompiler's [Input(features)] needs them");
            }
        }
        else if (!tokens)
        {
            Unsupported.Add("the configuration gives no input shape, so not the features per step that [Input(features)] needs");
        }

        if (steps is null && tokens && layers.FirstOrDefault(layer => layer.ClassName == "Embedding") is { } embedding)
        {
            steps = KerasConfig.Int(embedding.Config, "input_length");
        }

        if (features is long f)
        {
            if (f < 1 || f > int.MaxValue)
            {
                Unsupported.Add($"the input shape gives {f.ToString(CultureInfo.InvariantCulture)} features per step");
            }
            else
            {
                InputFeatures = (int)f;
                _width = (int)f;
            }
        }

        if (given is int length)
        {
            SequenceLength = length;
            if (steps is long fileSteps && fileSteps != length)
            {
                Notes.Add($"SequenceLength is {length.ToString(CultureInfo.InvariantCulture)} as given, in place of the file's {fileSteps.ToString(CultureInfo.InvariantCulture)}.");
            }
        }
        else if (steps is long s)
        {
            if (s >= 1 && s <= int.MaxValue)
            {
                SequenceLength = (int)s;
            }
            else
            {
                Unsupported.Add($"the input shape gives {s.ToString(CultureInfo.InvariantCulture)} steps per sequence");
            }
        }
    }

    /// <summary>A batch shape, <c>batch_shape</c> (Keras 3) or <c>batch_input_shape</c> (Keras 2), of a layer's config.</summary>
    private static (long?[], string)? BatchShape(JsonElement config, string source) =>
        Found(Shape(config, "batch_shape"), source + "'s batch_shape") ?? Found(Shape(config, "batch_input_shape"), source + "'s batch_input_shape");

    private static (long?[], string)? Found(long?[]? dimensions, string source) => dimensions is null ? null : (dimensions, source);

    /// <summary>A list of numbers and nulls (None), or null when the key holds none.</summary>
    private static long?[]? Shape(JsonElement config, string key)
    {
        if (config.ValueKind != JsonValueKind.Object || !config.TryGetProperty(key, out JsonElement value) || value.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var dimensions = new List<long?>();
        foreach (JsonElement dimension in value.EnumerateArray())
        {
            if (dimension.ValueKind == JsonValueKind.Null)
            {
                dimensions.Add(null);
            }
            else if (dimension.ValueKind == JsonValueKind.Number && dimension.TryGetInt64(out long number))
            {
                dimensions.Add(number);
            }
            else
            {
                return null;
            }
        }

        return [.. dimensions];
    }

    /// <summary>The model configuration's first layer entry that is not an InputLayer (for Keras 3's <c>build_config</c>).</summary>
    private static JsonElement FirstLayerEntry(JsonElement root)
    {
        JsonElement config = Property(root, "config");
        JsonElement layers = config.ValueKind == JsonValueKind.Array ? config : Property(config, "layers");
        if (layers.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement layer in layers.EnumerateArray())
            {
                if (KerasConfig.String(layer, "class_name") != "InputLayer")
                {
                    return layer;
                }
            }
        }

        return default;
    }

    private static JsonElement Property(JsonElement element, string key) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(key, out JsonElement value) ? value : default;

    /// <summary>The class of a wrapper's inner layer (<c>layer</c>, or <c>backward_layer</c>).</summary>
    private static string InnerClass(JsonElement config, string key = "layer") => KerasConfig.String(Property(config, key), "class_name") ?? "?";

    private static JsonElement InnerConfig(JsonElement config, string key) => Property(Property(config, key), "config");
}
