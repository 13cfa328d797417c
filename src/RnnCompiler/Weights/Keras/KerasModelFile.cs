using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace RnnCompiler.Weights.Keras;

/// <summary>
/// A whole Keras model file read as an RnnCompiler model: a Keras 3 <c>.keras</c> archive (<c>model.save("m.keras")</c>)
/// or the legacy <c>.h5</c> of Keras 2 and tf.keras (<c>model.save("m.h5")</c>, with its <c>model_config</c>). It gives
/// the model's layers, the C# declaration of the same network (<see cref="ToDeclaration"/>), and its weights as
/// safetensors under the names the declared model reads (<see cref="SaveWeights"/>).
/// </summary>
/// <remarks>
/// <para>Layers that do nothing at inference (<c>Dropout</c>, <c>SpatialDropout1D</c>, <c>GaussianNoise</c>, ...) are left
/// out, each with a line in <see cref="Notes"/>. A layer or an option RnnCompiler does not have (<c>Conv1D</c>,
/// <c>Masking</c>, <c>use_bias = false</c>, <c>stateful</c>, an activation it lacks, ...) is a line in
/// <see cref="Unsupported"/>, naming the layer, its class and the option; such a file has no declaration and no weights.</para>
/// <para>The sequence length comes from the model's input shape (<c>batch_shape</c>, <c>batch_input_shape</c>,
/// <c>input_shape</c>, the model's build shape, or a Keras 2 <c>Embedding</c>'s <c>input_length</c>). Where Keras left
/// it open (None), give it to <see cref="Read"/>.</para>
/// <para>Activation names are read as the Keras that wrote the file means them: <c>"hard_sigmoid"</c> is
/// <see cref="Activation.HardSigmoidKeras2"/> in a file of Keras 2 or tf.keras and <see cref="Activation.HardSigmoid"/>
/// in one of Keras 3 (<see cref="KerasVersion"/>; a file that does not say is taken as Keras 2's when it is an
/// <c>.h5</c>, Keras 3's when it is a <c>.keras</c> archive).</para>
/// <para>HDF5 is read with PureHDF, through reflection that NativeAOT cannot compile ahead: read Keras files in a JIT
/// program (the <c>rnncompiler</c> tool does) and give a NativeAOT program the safetensors file.</para>
/// </remarks>
[RequiresDynamicCode(KerasFile.HdfMessage)]
[RequiresUnreferencedCode(KerasFile.HdfMessage)]
public sealed class KerasModelFile
{
    /// <summary>C#'s reserved words, which a class or namespace name cannot be.</summary>
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const", "continue",
        "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern", "false", "finally",
        "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface", "internal", "is", "lock",
        "long", "namespace", "new", "null", "object", "operator", "out", "override", "params", "private", "protected",
        "public", "readonly", "ref", "return", "sbyte", "sealed", "short", "sizeof", "stackalloc", "static", "string",
        "struct", "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort",
        "using", "virtual", "void", "volatile", "while",
    };

    private readonly double[]? _weights;

    private readonly int _repeatAfter;

    private KerasModelFile(string? kerasVersion, int? sequenceLength, int? inputFeatures, double? maskValue, LayerDescriptor[] layers, string[] unsupported, string[] notes, double[]? weights, int outputSteps = 0, int repeatAfter = 0)
    {
        OutputSteps = outputSteps;
        _repeatAfter = repeatAfter;
        KerasVersion = kerasVersion;
        SequenceLength = sequenceLength;
        InputFeatures = inputFeatures;
        MaskValue = maskValue;
        Layers = layers;
        Unsupported = unsupported;
        Notes = notes;
        _weights = weights;
    }

    /// <summary>The <c>keras_version</c> the file says wrote it (<c>"3.8.0"</c>, <c>"2.15.0"</c>), or null when it does not say.</summary>
    public string? KerasVersion { get; }

    /// <summary>
    /// The most steps one prediction takes (<c>[RnnModel(SequenceLength = …)]</c>): the one given to <see cref="Read"/>,
    /// else the file's input shape's; null when the file leaves it open and none was given.
    /// </summary>
    public int? SequenceLength { get; }

    /// <summary>The floats per step of a model whose first layer is not an <c>Embedding</c> (<c>[Input(features)]</c>); null for a model of token ids.</summary>
    public int? InputFeatures { get; }

    /// <summary>
    /// The value of the model's <c>Masking</c> layer (a float step whose every feature equals it is padding), declared as
    /// <c>[Masking(value)]</c> after <c>[Input]</c>; null when the model has none.
    /// </summary>
    public double? MaskValue { get; }

    /// <summary>
    /// The steps of the model's <c>RepeatVector</c> (the layers after it run over them), declared as
    /// <c>[RepeatVector(steps)]</c> where it stands; 0 when the model has none.
    /// </summary>
    public int OutputSteps { get; }

    /// <summary>The weighted layers, in order, as the declared model describes them (names, sizes, offsets, settings); empty when <see cref="Unsupported"/> is not.</summary>
    public IReadOnlyList<LayerDescriptor> Layers { get; }

    /// <summary>
    /// What RnnCompiler cannot build, one line each, naming the layer, its Keras class and the option
    /// (<c>layer 'lstm' (LSTM): stateful is true; …</c>); empty when the whole model can be declared.
    /// </summary>
    public IReadOnlyList<string> Unsupported { get; }

    /// <summary>What was read in a way worth saying: the layers left out because they do nothing at inference, how a <c>hard_sigmoid</c> was read, a sequence length given in place of the file's.</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>The number of weights, as Keras's <c>model.count_params()</c>.</summary>
    public int ParameterCount => Layers.Sum(layer => layer.ParameterCount);

    /// <summary>Reads a whole Keras model: its configuration, and its weights when every layer is one RnnCompiler has.</summary>
    /// <param name="stream">A readable stream of a <c>.keras</c> archive or a whole-model legacy <c>.h5</c> file; it is left open.</param>
    /// <param name="sequenceLength">
    /// The most steps one prediction takes, for a file whose input shape leaves it open (None); when given, it is used
    /// in place of the file's too. Null takes the file's.
    /// </param>
    /// <returns>The model, with <see cref="Unsupported"/> listing whatever RnnCompiler cannot build.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> cannot be read.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sequenceLength"/> is less than 1.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not a whole Keras model (the message says what it is: weights alone, another format), is damaged,
    /// or a tensor is missing or has another shape than its layer's configuration gives.
    /// </exception>
    public static KerasModelFile Read(Stream stream, int? sequenceLength = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead)
        {
            throw new ArgumentException("The stream must be readable.", nameof(stream));
        }

        if (sequenceLength is int given && given < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(sequenceLength), given, "The sequence length is the most steps one prediction takes; it must be at least 1.");
        }

        byte[] file = KerasFile.ReadAll(stream);
        KerasSavedModel saved = KerasFile.ReadModel(file);
        var reader = new KerasModelReader(KerasActivations.MajorVersion(saved.KerasVersion, saved.Archive));
        reader.Read(saved.Configuration, sequenceLength);
        if (reader.Unsupported.Count > 0)
        {
            return new KerasModelFile(saved.KerasVersion, reader.SequenceLength, reader.InputFeatures, reader.MaskValue, [], [.. reader.Unsupported], [.. reader.Notes], weights: null);
        }

        // The layers come from the file's own configuration, so comparing them with it again would check nothing.
        LayerDescriptor[] layers = [.. reader.Layers];
        double[] weights = KerasFile.Read(file, layers, checkConfiguration: false);
        return new KerasModelFile(saved.KerasVersion, reader.SequenceLength, reader.InputFeatures, reader.MaskValue, layers, [], [.. reader.Notes], weights, reader.OutputSteps, reader.RepeatAfter);
    }

    /// <summary>
    /// The C# declaration of the model: comments on where it comes from and (with <paramref name="weightsFile"/>) how
    /// to add the weights file to the project, <c>using RnnCompiler;</c>, the namespace, <c>[RnnModel(…)]</c>, one
    /// attribute per layer with the options that differ from the defaults, and <c>public partial class {className};</c>.
    /// </summary>
    /// <param name="className">The model's class name, a C# identifier.</param>
    /// <param name="namespace">The namespace (<c>Contoso.Models</c>), or null for none.</param>
    /// <param name="weightsFile">
    /// The safetensors file to compile in (<c>[RnnModel(Weights = "…")]</c>), as the project lists it; null declares
    /// the model without, to load its weights at run time.
    /// </param>
    /// <returns>The text of a C# file, with <c>\n</c> line ends.</returns>
    /// <exception cref="ArgumentException">A name is not a C# identifier (or dotted identifiers), or <paramref name="weightsFile"/> is empty or holds a quote or a control character.</exception>
    /// <exception cref="InvalidOperationException">The model has an unsupported layer or option, or no sequence length.</exception>
    public string ToDeclaration(string className, string? @namespace = null, string? weightsFile = null)
    {
        ArgumentNullException.ThrowIfNull(className);
        if (!IsIdentifier(className))
        {
            throw new ArgumentException($"'{className}' is not a C# class name: letters, digits and '_', not starting with a digit, and not a keyword.", nameof(className));
        }

        if (@namespace is not null && !@namespace.Split('.').All(IsIdentifier))
        {
            throw new ArgumentException($"'{@namespace}' is not a C# namespace: identifiers separated by dots, for example Contoso.Models.", nameof(@namespace));
        }

        if (weightsFile is not null && (weightsFile.Length == 0 || weightsFile.Any(c => c == '"' || char.IsControl(c))))
        {
            throw new ArgumentException($"'{weightsFile}' cannot be a weights file name: it must be non-empty, without quotes or control characters.", nameof(weightsFile));
        }

        int sequenceLength = CheckComplete();
        var text = new StringBuilder();
        string version = KerasVersion is null ? "Keras" : "Keras " + KerasVersion;
        Line(text, $"// A {version} model read by RnnCompiler: {Layers.Count} weighted layer{(Layers.Count == 1 ? string.Empty : "s")}, {ParameterCount.ToString("N0", CultureInfo.InvariantCulture)} parameters.");
        foreach (string note in Notes)
        {
            Line(text, "// " + note);
        }

        if (weightsFile is not null)
        {
            string xml = weightsFile.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
            Line(text, $"// Its weights are in {weightsFile}. The generator compiles them into the assembly when the project lists");
            Line(text, "// the file as RnnWeights, in the .csproj:");
            Line(text, "//   <ItemGroup>");
            Line(text, $"//     <RnnWeights Include=\"{xml}\" />");
            Line(text, "//   </ItemGroup>");
            Line(text, $"// To load them at run time instead, remove Weights = \"…\" and call model.LoadWeights(File.OpenRead(\"{weightsFile.Replace("\\", "\\\\", StringComparison.Ordinal)}\")).");
        }

        Line(text, "using RnnCompiler;");
        Line(text, string.Empty);
        if (@namespace is not null)
        {
            Line(text, $"namespace {@namespace};");
            Line(text, string.Empty);
        }

        string weights = weightsFile is null ? string.Empty : $", Weights = \"{weightsFile.Replace("\\", "\\\\", StringComparison.Ordinal)}\"";
        Line(text, $"[RnnModel(SequenceLength = {sequenceLength.ToString(CultureInfo.InvariantCulture)}{weights})]");
        if (InputFeatures is int features)
        {
            Line(text, $"[Input({features.ToString(CultureInfo.InvariantCulture)})]");
            if (MaskValue is double mask)
            {
                Line(text, $"[Masking({mask.ToString("R", CultureInfo.InvariantCulture)})]");
            }
        }

        for (int i = 0; i < Layers.Count; i++)
        {
            if (OutputSteps > 0 && i == _repeatAfter)
            {
                Line(text, $"[RepeatVector({OutputSteps.ToString(CultureInfo.InvariantCulture)})]");
            }

            Line(text, Attribute(Layers[i]));
        }

        Line(text, $"public partial class {className};");
        return text.ToString();
    }

    /// <summary>
    /// Writes the weights as safetensors with the names and layouts the declared model reads (<c>lstm/kernel</c>, ...):
    /// its <c>LoadWeights</c> and compile-time <c>[RnnModel(Weights = "…")]</c> take the file. Float32 (F32) unless a
    /// value of the Keras file needs float64 (F64) to be kept exactly.
    /// </summary>
    /// <param name="stream">A writable stream; it is left open.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> cannot be written.</exception>
    /// <exception cref="InvalidOperationException">The model has an unsupported layer or option, so it has no weights.</exception>
    public void SaveWeights(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (_weights is null)
        {
            throw new InvalidOperationException(UnsupportedMessage());
        }

        if (_weights.All(value => (double)(float)value == value || double.IsNaN(value)))
        {
            float[] values = Array.ConvertAll(_weights, value => (float)value);
            WeightFile.Save<float>(stream, Layers, values);
        }
        else
        {
            WeightFile.Save<double>(stream, Layers, _weights);
        }
    }

    /// <summary>The sequence length, once the model is known to be complete.</summary>
    private int CheckComplete()
    {
        if (_weights is null)
        {
            throw new InvalidOperationException(UnsupportedMessage());
        }

        return SequenceLength ?? throw new InvalidOperationException("The file's input shape leaves the number of steps open (None); give the most steps one prediction takes: KerasModelFile.Read(stream, sequenceLength: 80).");
    }

    private string UnsupportedMessage() =>
        $"The Keras model has {Unsupported.Count} layer{(Unsupported.Count == 1 ? string.Empty : "s")} or option{(Unsupported.Count == 1 ? string.Empty : "s")} that RnnCompiler does not have:" +
        string.Concat(Unsupported.Select(line => Environment.NewLine + " - " + line));

    /// <summary>A layer's attribute, with the options that differ from the attribute's defaults.</summary>
    private static string Attribute(LayerDescriptor layer)
    {
        string units = layer.Units.ToString(CultureInfo.InvariantCulture);
        var options = new List<string>();
        switch (layer.Kind)
        {
            case LayerKind.Embedding:
                return $"[Embedding({layer.InputSize.ToString(CultureInfo.InvariantCulture)}, {units}{(layer.MaskZero ? ", MaskZero = true" : string.Empty)})]";

            case LayerKind.Normalization:
                return "[Normalization]";

            case LayerKind.Dense:
                if (layer.Activation != Activation.Linear)
                {
                    options.Add($"Activation = Activation.{layer.Activation}");
                }

                return $"[Dense({units}{string.Concat(options.Select(option => ", " + option))})]";
        }

        if (layer.Activation != Activation.Tanh)
        {
            options.Add($"Activation = Activation.{layer.Activation}");
        }

        if (layer.Kind is LayerKind.Lstm or LayerKind.Gru && layer.RecurrentActivation != Activation.Sigmoid)
        {
            options.Add($"RecurrentActivation = Activation.{layer.RecurrentActivation}");
        }

        if (layer.Kind == LayerKind.Gru && !layer.ResetAfter)
        {
            options.Add("ResetAfter = false");
        }

        if (layer.ReturnSequences)
        {
            options.Add("ReturnSequences = true");
        }

        if (layer.Bidirectional)
        {
            options.Add("Bidirectional = true");
            if (layer.MergeMode != MergeMode.Concat)
            {
                options.Add($"MergeMode = MergeMode.{layer.MergeMode}");
            }
        }

        string attribute = layer.Kind switch
        {
            LayerKind.SimpleRnn => "SimpleRnn",
            LayerKind.Lstm => "Lstm",
            _ => "Gru",
        };
        return $"[{attribute}({units}{string.Concat(options.Select(option => ", " + option))})]";
    }

    private static void Line(StringBuilder text, string line) => text.Append(line).Append('\n');

    private static bool IsIdentifier(string name) =>
        name.Length > 0 && (char.IsLetter(name[0]) || name[0] == '_') && name.All(c => char.IsLetterOrDigit(c) || c == '_') && !Keywords.Contains(name);
}
