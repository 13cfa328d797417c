using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace RnnCompiler.Analyzers.Tests;

/// <summary>
/// Writes one random C# file around [RnnModel] classes: mostly plausible networks (so that a good share is valid),
/// with random sizes (negative, zero, huge), wrong argument types, missing and extra arguments, odd enum casts, random
/// [Train] settings and Precision values, partial/non-partial/static/generic/nested/record types, layers split over
/// parts, members named like generated ones, and, for some files, a syntax error cut or spliced into the text.
/// </summary>
internal sealed class DeclarationFuzzer
{
    private static readonly string[] s_sizes =
    {
        "1", "2", "3", "4", "5", "8", "16", "32", "3", "8", "12", "64", "7", "2", "1", "6", "0x10", "(int)2.9", "checked(3)", "(short)9",
    };

    private static readonly string[] s_oddSizes =
    {
        "0", "-1", "-8", "int.MinValue", "int.MaxValue", "65536", "65537", "1 << 20", "(1 << 20) + 1", "1 << 24", "100_000_000", "'a'", "default",
    };

    private static readonly string[] s_badValues = { "\"8\"", "8.5", "8L", "null", "true", "8u", "1e3f", "Activation.Tanh", "typeof(int)", "nameof(Lstm)", "int.MaxValue + 1", "new[] { 1 }", "" };

    private static readonly string[] s_activations =
    {
        "Activation.Linear", "Activation.Tanh", "Activation.Sigmoid", "Activation.Relu", "Activation.Softmax", "Activation.HardSigmoid", "Activation.HardSigmoidKeras2",
        "(Activation)42", "(Activation)(-1)", "(Activation)4", "(Activation)1", "default", "0", "(Activation)int.MaxValue",
    };

    private static readonly string[] s_mergeModes = { "MergeMode.Concat", "MergeMode.Sum", "MergeMode.Multiply", "MergeMode.Average", "(MergeMode)9", "(MergeMode)(-3)", "default" };

    private static readonly string[] s_losses = { "Loss.SparseCategoricalCrossentropy", "Loss.CategoricalCrossentropy", "Loss.BinaryCrossentropy", "Loss.MeanSquaredError", "Loss.MeanAbsoluteError", "(Loss)17", "(Loss)(-1)" };

    private static readonly string[] s_optimizers = { "Optimizer.Sgd", "Optimizer.Adam", "Optimizer.RmsProp", "(Optimizer)5", "(Optimizer)(-2)" };

    private static readonly string[] s_floats = { "1e-3f", "0.01f", "0.5f", "0f", "-1f", "float.NaN", "float.PositiveInfinity", "float.NegativeInfinity", "float.Epsilon", "1f", "0.9f", "0.999f", "1e-7f", "float.MaxValue", "2", "0.1", "\"x\"" };

    private static readonly string[] s_precisions = { "Precision.Single", "Precision.Double", "(Precision)5", "(Precision)(-1)", "default", "1" };

    private static readonly string[] s_memberNames =
    {
        "Predict", "Step", "Parameters", "Summary", "ResetState", "LoadWeights", "TrainBatch", "s_layers", "_parameters", "RunForward", "Layout",
        "Helper", "Value", "Run", "Forward", "Dispose", "ToString", "_state", "_buffer", "Train", "Weights", "Units", "Evaluate", "Gradients",
        "StepStreams", "ResetStream", "Streams", "BatchSize", "RunPredictBatch", "RunStreams",
    };

    private static readonly string[] s_classNames = { "Forecaster", "Model", "Sentiment", "Net", "@Model", "Summary", "Lstm", "Activation", "Predict", "M2", "Parameters", "RnnModel" };

    private static readonly string[] s_recurrent = { "SimpleRnn", "Lstm", "Gru" };

    private readonly Random _random;
    private int _models;

    /// <param name="random">The source of every choice.</param>
    public DeclarationFuzzer(Random random) => _random = random;

    /// <summary>One file.</summary>
    public string Next()
    {
        var text = new StringBuilder();
        text.Append(Chance(0.02) ? string.Empty : Pick("using RnnCompiler;\n", "using RnnCompiler;\n", "using RnnCompiler;\nusing System;\n", "using R = RnnCompiler;\nusing RnnCompiler;\n", "using static RnnCompiler.Activation;\nusing RnnCompiler;\n"));
        int style = _random.Next(4);
        string ns = Pick("Demo", "Demo.Models", "Fuzz", "@Demo", "@class.Models");
        if (style == 1)
        {
            text.Append("namespace ").Append(ns).Append(";\n");
        }
        else if (style == 2)
        {
            text.Append("namespace ").Append(ns).Append("\n{\n");
        }

        int models = Chance(0.1) ? 2 : 1;
        for (int index = 0; index < models; index++)
        {
            WriteNested(text);
        }

        if (Chance(0.03))
        {
            text.Append("[RnnModel(SequenceLength = 4)]\n[Input(2)]\n[Lstm(3)]\npublic partial record Recorded;\n");
        }

        if (style == 2)
        {
            text.Append("}\n");
        }

        string source = text.ToString();
        return Chance(0.08) ? Break(source) : source;
    }

    private void WriteNested(StringBuilder text)
    {
        int depth = Chance(0.15) ? _random.Next(1, 3) : 0;
        for (int level = 0; level < depth; level++)
        {
            string keyword = Pick("class", "class", "struct", "record", "record struct", "interface", "static class");
            string partial = Chance(0.8) ? "partial " : string.Empty;
            if (keyword == "static class")
            {
                keyword = "class";
                partial = "static " + partial;
            }

            string generic = Chance(0.05) ? "<T>" : string.Empty;
            text.Append("public ").Append(partial).Append(keyword).Append(" Outer").Append(level).Append(generic).Append("\n{\n");
        }

        WriteModel(text);
        for (int level = 0; level < depth; level++)
        {
            text.Append("}\n");
        }
    }

    private void WriteModel(StringBuilder text)
    {
        _models++;
        string name = _models == 1 ? Pick(s_classNames.Concat(Enumerable.Repeat("Forecaster", 40)).ToArray()) : "Second" + _models;
        var attributes = new List<string>();
        if (!Chance(0.02))
        {
            attributes.Add(ModelAttribute());
        }

        if (Chance(0.15))
        {
            attributes.Add(TrainAttribute());
        }

        List<string> layers = Layers();
        bool split = Chance(0.06) && layers.Count > 1;
        int splitAt = split ? _random.Next(1, layers.Count) : layers.Count;
        attributes.AddRange(layers.Take(splitAt));
        if (Chance(0.02))
        {
            // A layer attribute duplicated (AllowMultiple = false for Input and Embedding, true for the rest).
            attributes.Add(Pick(attributes.Count > 0 ? attributes.ToArray() : new[] { "Input(1)" }));
        }

        Shuffle(attributes, Chance(0.05));
        WriteAttributes(text, attributes);

        string modifiers = Modifiers();
        string keyword = Pick(Enumerable.Repeat("class", 60).Concat(new[] { "record", "struct", "record class", "interface" }).ToArray());
        string generic = Chance(0.03) ? Pick("<T>", "<T, U>", "<T> where T : struct") : string.Empty;
        string baseList = Chance(0.04) ? Pick(" : System.IDisposable", " : Base", " : System.Exception", " : IFeatureModel<float>") : string.Empty;
        text.Append(modifiers).Append(keyword).Append(' ').Append(name).Append(generic).Append(baseList);
        if (Chance(0.5) && !split)
        {
            text.Append(";\n");
        }
        else
        {
            text.Append("\n{\n");
            if (Chance(0.15))
            {
                text.Append(Member());
            }

            text.Append("}\n");
        }

        if (split || Chance(0.04))
        {
            // A second part: the rest of the layers, or a duplicated [RnnModel].
            WriteAttributes(text, split ? layers.Skip(splitAt).ToList() : new List<string> { ModelAttribute() });
            text.Append(Chance(0.8) ? "partial class " : "class ").Append(name).Append(" { }\n");
        }
    }

    private void WriteAttributes(StringBuilder text, List<string> attributes)
    {
        if (Chance(0.15) && attributes.Count > 0)
        {
            text.Append('[').Append(string.Join(", ", attributes)).Append("]\n");
            return;
        }

        foreach (string attribute in attributes)
        {
            text.Append('[').Append(Chance(0.02) ? "RnnCompiler." : string.Empty).Append(attribute).Append("]\n");
        }
    }

    private string Modifiers()
    {
        var modifiers = new List<string>();
        if (Chance(0.7))
        {
            modifiers.Add(Pick("public", "internal", "public", "public", "internal", "file", "private"));
        }

        if (Chance(0.03))
        {
            modifiers.Add("static");
        }

        if (Chance(0.04))
        {
            modifiers.Add(Pick("sealed", "abstract", "unsafe", "new"));
        }

        if (!Chance(0.05))
        {
            modifiers.Add("partial");
        }

        return modifiers.Count == 0 ? string.Empty : string.Join(" ", modifiers) + " ";
    }

    private string Member() => Pick(
        $"    public void {Pick(s_memberNames)}() {{ }}\n",
        $"    private int {Pick(s_memberNames)};\n",
        $"    public int {Pick(s_memberNames)} {{ get; set; }}\n",
        $"    public static float {Pick(s_memberNames)}(int x) => x;\n",
        $"    public class {Pick(s_memberNames)} {{ }}\n",
        $"    public {Pick("Forecaster", "Model")}() {{ }}\n",
        "    public void Predict(System.ReadOnlySpan<float> inputs, System.Span<float> outputs) { }\n",
        "    const int Units = 4;\n");

    private string ModelAttribute()
    {
        var arguments = new List<string>();
        if (!Chance(0.03))
        {
            arguments.Add("SequenceLength = " + (Chance(0.03) ? Pick(s_badValues) : SequenceLength()));
        }

        if (Chance(0.15))
        {
            arguments.Add("Precision = " + Pick(s_precisions));
        }

        if (Chance(0.1))
        {
            arguments.Add("WeightPrecision = " + Pick("WeightPrecision.BFloat16", "WeightPrecision.Int8", "WeightPrecision.Float", "(WeightPrecision)7"));
        }

        if (Chance(0.12))
        {
            arguments.Add("BatchSize = " + Pick("2", "3", "8", "32", "0", "1", "-1", "70000", "int.MaxValue"));
        }

        if (Chance(0.12))
        {
            arguments.Add("Streams = " + Pick("2", "3", "5", "64", "0", "1", "-4", "100000"));
        }

        if (Chance(0.03))
        {
            arguments.Add(Pick("SequenceLength = 5", "Units = 3", "5"));
        }

        Shuffle(arguments, true);
        return arguments.Count == 0 && Chance(0.5) ? "RnnModel" : "RnnModel(" + string.Join(", ", arguments) + ")";
    }

    private string TrainAttribute()
    {
        var arguments = new List<string>();
        foreach ((string name, Func<string> value) in new (string, Func<string>)[]
        {
            ("Loss", () => Pick(s_losses)), ("Optimizer", () => Pick(s_optimizers)), ("LearningRate", () => Pick(s_floats)),
            ("BatchSize", () => Size()), ("FromLogits", () => Pick("true", "false")), ("Stateful", () => Pick("true", "false")),
            ("ClipNorm", () => Pick(s_floats)), ("GlobalClipNorm", () => Pick(s_floats)), ("ClipValue", () => Pick(s_floats)),
            ("Momentum", () => Pick(s_floats)), ("Nesterov", () => Pick("true", "false")), ("Beta1", () => Pick(s_floats)),
            ("Beta2", () => Pick(s_floats)), ("Rho", () => Pick(s_floats)), ("Epsilon", () => Pick(s_floats)),
            ("Parallelism", () => Pick("0", "1", "2", "3", "-1", "65", "int.MaxValue")),
        })
        {
            if (Chance(0.2))
            {
                arguments.Add(name + " = " + value());
            }
        }

        return arguments.Count == 0 && Chance(0.5) ? "Train" : "Train(" + string.Join(", ", arguments) + ")";
    }

    private List<string> Layers()
    {
        var layers = new List<string>();
        int count = Chance(0.03) ? 0 : _random.Next(2, 6);
        for (int index = 0; index < count; index++)
        {
            bool first = index == 0;
            string type = first && !Chance(0.08)
                ? Pick("Input", "Input", "Embedding")
                : index == 1 && Chance(0.25) ? Pick("Normalization", "Masking") // valid after Input, RNN0028 and RNN0030 after Embedding
                : Chance(0.06) ? "Dropout"
                : Chance(0.05) ? "RepeatVector"
                : Chance(0.04) ? "Decoder"
                : Chance(0.04) ? "Attention"
                : Chance(0.015) ? Pick("Input", "Embedding", "RnnModel", "Train", "Normalization", "Masking") : Pick("SimpleRnn", "Lstm", "Gru", "Dense", "Lstm", "Gru", "Dense");
            bool last = index == count - 1;
            layers.Add(Layer(type, last));
        }

        return layers;
    }

    private string Layer(string type, bool last)
    {
        var positional = new List<string>();
        int wanted = type switch { "Embedding" or "Decoder" => 2, "Input" or "SimpleRnn" or "Lstm" or "Gru" or "Dense" or "RepeatVector" => 1, _ => 0 };
        for (int index = 0; index < wanted; index++)
        {
            positional.Add(Chance(0.01) ? Pick(s_badValues) : Size());
        }

        // A dropout rate (mostly in [0, 1)) and a mask value (sometimes not finite), or none for Masking's default.
        if (type == "Dropout" || (type == "Masking" && Chance(0.6)))
        {
            positional.Add(Chance(0.85) ? Pick("0.2", "0.5", "0", "0.1f", "0.75") : Pick(s_floats));
        }

        if (Chance(0.03) && positional.Count > 0)
        {
            positional.RemoveAt(positional.Count - 1);
        }
        else if (Chance(0.01))
        {
            positional.Add(Size());
        }

        var named = new List<string>();
        bool recurrent = s_recurrent.Contains(type);
        if (recurrent || Chance(0.02))
        {
            if (Chance(last ? 0.15 : 0.85))
            {
                named.Add("ReturnSequences = " + (Chance(0.01) ? "1" : Chance(0.9) ? "true" : "false"));
            }

            if (Chance(0.15))
            {
                named.Add("Bidirectional = " + Pick("true", "false"));
            }

            if (Chance(0.06))
            {
                named.Add("MergeMode = " + Pick(s_mergeModes));
            }

            if (Chance(0.06))
            {
                named.Add("ResetAfter = " + Pick("true", "false"));
            }

            if (Chance(0.08))
            {
                named.Add("Dropout = " + (Chance(0.85) ? Pick("0.1", "0.3", "0") : Pick(s_floats)));
            }

            if (Chance(0.06))
            {
                named.Add("RecurrentDropout = " + (Chance(0.85) ? Pick("0.2", "0.5", "0") : Pick(s_floats)));
            }
        }

        if ((type == "Embedding" && Chance(0.3)) || Chance(0.005))
        {
            named.Add("MaskZero = " + Pick("true", "false", "1"));
        }

        if (type == "Attention" && Chance(0.8))
        {
            positional.Add(Pick("AttentionScore.Dot", "AttentionScore.General", "AttentionScore.Additive", "AttentionScore.Concat", "(AttentionScore)7"));
        }

        if (type == "Decoder")
        {
            // Mostly a length and tokens a decoder can have; sometimes none, or tokens outside the vocabulary.
            if (Chance(0.85))
            {
                named.Add("MaxLength = " + Pick("4", "11", "0", "-1"));
            }

            if (Chance(0.3))
            {
                named.Add("StartToken = " + Pick("0", "1", "2", "99"));
            }

            if (Chance(0.3))
            {
                named.Add("EndToken = " + Pick("0", "2", "3", "-5"));
            }

            if (Chance(0.2))
            {
                named.Add("MaskAfterEnd = " + Pick("true", "false"));
            }
        }

        if ((type is "SimpleRnn" or "Dense" or "Lstm" or "Gru" && Chance(0.3)) || Chance(0.01))
        {
            named.Add("Activation = " + (Chance(0.8) ? Pick(s_activations.Take(7).ToArray()) : Pick(s_activations)));
        }

        if ((type is "Lstm" or "Gru" && Chance(0.2)) || Chance(0.01))
        {
            named.Add("RecurrentActivation = " + (Chance(0.8) ? Pick(s_activations.Take(7).ToArray()) : Pick(s_activations)));
        }

        if (Chance(0.01))
        {
            named.Add(Pick("Units = 3", "Features = 2", "Unknown = 1", "ReturnSequences = true"));
        }

        Shuffle(named, true);
        IEnumerable<string> arguments = positional.Concat(named);
        if (Chance(0.01))
        {
            // Named arguments before positional ones: a compile error.
            arguments = named.Concat(positional);
        }

        return type + (Chance(0.01) ? string.Empty : "(" + string.Join(", ", arguments) + ")");
    }

    /// <summary>A syntax error: a cut, a deleted or doubled span, or a stray token spliced in.</summary>
    private string Break(string source)
    {
        int at = _random.Next(source.Length);
        return _random.Next(5) switch
        {
            0 => source.Substring(0, at),
            1 => source.Remove(at, Math.Min(_random.Next(1, 6), source.Length - at)),
            2 => source.Insert(at, Pick("[", "]", "(", ")", "{", "}", ";", ",", "=", "\"", "/*", "#if X\n", "@", "<", "partial ", "class ")),
            3 => source.Insert(at, source.Substring(at, Math.Min(_random.Next(1, 20), source.Length - at))),
            _ => source.Replace(Pick("(", ")", "[", "]", ";", "="), string.Empty),
        };
    }

    private void Shuffle(List<string> items, bool really)
    {
        if (!really)
        {
            return;
        }

        for (int index = items.Count - 1; index > 0; index--)
        {
            int other = _random.Next(index + 1);
            (items[index], items[other]) = (items[other], items[index]);
        }
    }

    /// <summary>A SequenceLength: mostly small, sometimes out of range or large enough to overflow a buffer length.</summary>
    private string SequenceLength()
    {
        if (Chance(0.06))
        {
            return Pick("0", "-1", "int.MinValue", "65536", "1 << 20", "1_048_576", "(1 << 20) + 1", "1_048_577", "int.MaxValue", "1 << 24", "'a'", "default");
        }

        return Pick("10", "80", "1", "20", "32_767", "10", "4", "(short)9", "0x10");
    }

    /// <summary>A size: mostly small and valid, sometimes zero, negative, huge or of another type.</summary>
    private string Size(params string[] more) =>
        Chance(0.06) ? Pick(s_oddSizes) : Pick(more.Length > 0 && Chance(0.5) ? more : s_sizes);

    private bool Chance(double probability) => _random.NextDouble() < probability;

    private string Pick(params string[] options) => options[_random.Next(options.Length)];
}
