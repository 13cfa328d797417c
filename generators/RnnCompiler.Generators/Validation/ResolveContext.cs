using System.Collections.Generic;
using System.Globalization;
using RnnCompiler.Generators.Model;
using RnnCompiler.Generators.WeightFiles;

namespace RnnCompiler.Generators.Validation;

/// <summary>
/// The state of <see cref="NetworkValidator"/> as it walks a declaration's layers in order: what flows out of the
/// layers so far (width, whether a sequence), Keras's names given out, the tensors and offsets laid out, and the
/// problems found. Each layer descriptor's <c>Resolve</c> reads and advances it.
/// </summary>
internal sealed class ResolveContext(ModelDeclaration declaration, List<ValidationProblem> problems)
{
    private readonly Dictionary<string, int> _counters = new();

    public ModelDeclaration Declaration { get; } = declaration;

    public List<ValidationProblem> Problems { get; } = problems;

    /// <summary>Floats per step flowing into the next layer; 0 until an input layer has set it.</summary>
    public int Width { get; set; }

    /// <summary>Whether the next layer receives a sequence (true until a layer returns one vector per sequence).</summary>
    public bool IsSequence { get; set; } = true;

    /// <summary>The steps a <c>[RepeatVector(n)]</c> fixed for the layers after it (n), or 0 before one: the input's steps.</summary>
    public int FixedSteps { get; set; }

    /// <summary>
    /// The index in <see cref="Layers"/> of a <c>[Decoder]</c> whose first recurrent layer has not come yet (it starts from
    /// the encoder's state), or -1.
    /// </summary>
    public int PendingDecoder { get; set; } = -1;

    /// <summary>The model's input width: features per step, or the vocabulary size.</summary>
    public int InputWidth { get; set; }

    /// <summary>Whether token 0 is padding: the first layer is <c>[Embedding(…, MaskZero = true)]</c>.</summary>
    public bool MaskZero { get; set; }

    /// <summary>The value that masks a float step, from <c>[Masking(value)]</c>, or null.</summary>
    public double? MaskValue { get; set; }

    /// <summary>The Keras name of the <c>[Masking]</c> layer, for the summary, or null.</summary>
    public string? MaskingName { get; set; }

    /// <summary>Where the next tensor starts in the flat parameter vector (may pass the limit; then a problem is reported).</summary>
    public long Offset { get; private set; }

    /// <summary>The layers resolved so far, in order.</summary>
    public List<LayerModel> Layers { get; } = new();

    /// <summary>Every tensor laid out so far, in flat order.</summary>
    public List<TensorModel> Tensors { get; } = new();

    public void Problem(string id, int index, string message) => Problems.Add(new ValidationProblem(id, index, message));

    /// <summary>Keras's next default name for a layer of the kind: <c>lstm</c>, then <c>lstm_1</c>, …</summary>
    public string NextName(string kind)
    {
        _counters.TryGetValue(kind, out int count);
        _counters[kind] = count + 1;
        return count == 0 ? kind : kind + "_" + count.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Whether a size is in [1, <paramref name="max"/>]; if not, reports it on the layer.</summary>
    public bool CheckSize(int index, string label, int value, int max, string what)
    {
        if (value >= 1 && value <= max)
        {
            return true;
        }

        Problem(ProblemIds.SizeOutOfRange, index, $"{label}: {what} is {value}; it must be from 1 to {max.ToString("N0", CultureInfo.InvariantCulture)}.");
        return false;
    }

    /// <summary>
    /// Lays out the layer's tensors in Keras's order (<see cref="KerasTensorLayout"/>) and returns the layer with its
    /// parameter count; reports the layer when it brings the model past the parameter limit.
    /// </summary>
    public LayerModel AddTensors(LayerModel layer, int index)
    {
        long start = Offset;
        long cursor = Offset;
        foreach (KerasTensor tensor in KerasTensorLayout.Tensors(layer.Kind, layer.Name, layer.InnerName, layer.InputWidth, layer.Units, layer.Bidirectional, layer.ResetAfter, layer.AttentionScore))
        {
            long length = tensor.Length;
            if (cursor + length <= NetworkValidator.MaxElements)
            {
                string direction = !layer.Bidirectional ? string.Empty : tensor.Backward ? "Backward" : "Forward";
                Tensors.Add(new TensorModel(tensor.Name, layer.Identifier + direction + tensor.Role, "[" + string.Join(", ", tensor.Shape) + "]", (int)cursor, (int)length, tensor.Role, tensor.Backward));
            }

            cursor += length;
        }

        Offset = cursor;
        if (cursor > NetworkValidator.MaxElements)
        {
            Problem(ProblemIds.ModelTooLarge, index, $"{layer.Descriptor.Label} brings the model past {NetworkValidator.MaxElements.ToString("N0", CultureInfo.InvariantCulture)} parameters; make it smaller.");
            return layer;
        }

        return layer with { ParameterCount = (int)(cursor - start) };
    }
}
