using System.Collections.Generic;
using System.Globalization;
using RnnCompiler.Generators.Model;
using RnnCompiler.Generators.WeightFiles;

namespace RnnCompiler.Generators.Emit;

/// <summary>The network described for people: Keras's summary table, and the remarks that IntelliSense shows.</summary>
internal static class DocumentationWriter
{
    private const int NameWidth = 29;
    private const int ShapeWidth = 26;
    private const int LineWidth = 65;

    /// <summary>Keras's <c>model.summary()</c>, one string per line.</summary>
    public static string[] Summary(NetworkModel model)
    {
        var lines = new List<string>
        {
            $"Model: \"{model.TypeName}\"",
            new('_', LineWidth),
            Row("Layer (type)", "Output Shape", "Param #"),
            new('=', LineWidth),
        };
        if (model.MaskingName is { } masking)
        {
            // [Masking] holds no weights and resolves to no layer of its own; Keras lists it.
            lines.Add(Row($"{masking} (Masking)", $"(None, {Int(model.SequenceLength)}, {Int(model.InputWidth)})", "0"));
        }

        foreach (LayerModel layer in model.Layers)
        {
            lines.Add(Row($"{layer.Name} ({layer.KerasClass})", OutputShape(model, layer), Count(layer.ParameterCount)));
        }

        lines.Add(new('=', LineWidth));
        // Keras counts a layer's weights added with trainable=False (Normalization's mean, variance and count) in the
        // total and apart from the trainable ones.
        int fixedCount = 0;
        foreach (TensorModel tensor in model.Tensors)
        {
            if (!KerasTensorLayout.IsTrainable(tensor.Role))
            {
                fixedCount += tensor.Length;
            }
        }

        lines.Add("Total params: " + Count(model.ParameterCount));
        lines.Add("Trainable params: " + Count(model.ParameterCount - fixedCount));
        lines.Add("Non-trainable params: " + Count(fixedCount));
        lines.Add(new('_', LineWidth));
        (long weights, long working, long streaming, long training, long total) = BufferPlan.Bytes(model);
        long size = model.IsDouble ? 8 : 4;
        string copy = string.Empty;
        foreach (BufferSpec buffer in BufferPlan.For(model))
        {
            if (buffer.Kind == BufferKind.Weights && buffer.ElementType == "ushort")
            {
                copy = $" (with the bfloat16 kernels' {Bytes(buffer.AllocatedBytes(size))})";
            }

            if (buffer.Kind == BufferKind.Weights && buffer.ElementType == "byte")
            {
                copy = $" (with the int8 kernels' {Bytes(buffer.AllocatedBytes(size))})";
            }

            if (buffer.Name == BufferPlan.PanelBuffer)
            {
                copy = $" (with the panel copy's {Bytes(buffer.AllocatedBytes(size))})";
            }
        }

        lines.Add($"Memory: {Bytes(total)} in all: weights {Bytes(weights)}{copy}, working buffers {Bytes(working)}{(model.HasWorkspaces ? $" ({Int(model.Workers)} workspaces)" : string.Empty)}, streaming state {Bytes(streaming)}"
            + (model.Training is null ? string.Empty : $", training {Bytes(training)}"));
        return lines.ToArray();
    }

    public static void WriteRemarks(SourceWriter writer, NetworkModel model)
    {
        string input = model.TakesTokens
            ? $"1 to {Count(model.SequenceLength)} token ids in [0, {Int(model.InputWidth)})"
            : $"1 to {Count(model.SequenceLength)} steps of {Count(model.InputWidth)} floats";
        string floats = model.OutputWidth == 1 ? "1 float" : Count(model.OutputWidth) + " floats";
        string output = model.OutputSteps > 0 ? $"{floats} at each of its {Count(model.OutputSteps)} output steps" : model.OutputIsSequence ? floats + " per step" : floats + " after the last step";
        writer.WriteLine("/// <remarks>");
        string mask = model.MaskZero ? " Token 0 is padding: a step with it is masked, as Keras's mask_zero masks it."
            : model.MaskValue is not null ? " A step whose every feature is the mask value is padding: it is masked, as Keras's Masking masks it."
            : string.Empty;
        writer.WriteLine($"/// <para>A recurrent network compiled by RnnCompiler. It reads {input} and writes {output}.{mask}</para>");
        writer.WriteLine("/// <code>");
        foreach (string line in Summary(model))
        {
            writer.WriteLine("/// " + CSharp.Xml(line));
        }

        writer.WriteLine("/// </code>");
        writer.WriteLine($"/// <para><c>Parameters</c> holds the {Count(model.ParameterCount)} weights flat, in Keras's order and layout (row-major):</para>");
        writer.WriteLine("/// <list type=\"bullet\">");
        foreach (TensorModel tensor in model.Tensors)
        {
            writer.WriteLine($"/// <item><description><c>{tensor.Name}</c> {tensor.Shape} at {Count(tensor.Offset)}{GateNote(model, tensor)}</description></item>");
        }

        writer.WriteLine("/// </list>");
        foreach (string line in BFloat16Emitter.Remarks(model))
        {
            writer.WriteLine("/// " + line);
        }

        foreach (string line in Int8Emitter.Remarks(model))
        {
            writer.WriteLine("/// " + line);
        }

        foreach (string line in PanelEmitter.Remarks(model))
        {
            writer.WriteLine("/// " + line);
        }

        if (model.PredictsInLockStep)
        {
            string masked = model.PacksPredictBatch ? ", each batch packed to its sequences' unmasked steps" : string.Empty;
            string cores = model.HasWorkspaces ? $", split over {Int(model.Workers)} cores" : string.Empty;
            writer.WriteLine($"/// <para>Predict with a sequence count runs up to {Count(model.Training is null ? model.DeclaredBatchSize : model.Training.BatchSize)} sequences at a time in lock step{masked}{cores}: one matrix product per step for all of them.</para>");
        }

        if (model.HasStreams)
        {
            writer.WriteLine($"/// <para>StepStreams steps {Count(model.Streams)} independent streams together, each with its own carried state (ResetStream starts one over).</para>");
        }

        writer.WriteLine("/// </remarks>");
    }

    private static string GateNote(NetworkModel model, TensorModel tensor)
    {
        foreach (LayerModel layer in model.Layers)
        {
            if (!tensor.Name.StartsWith(layer.Name + "/", System.StringComparison.Ordinal) || layer.Descriptor.GateOrder is not { } order)
            {
                continue;
            }

            string gates = "gates " + order;
            if (tensor.Name.EndsWith("/bias", System.StringComparison.Ordinal) && layer.ResetAfter)
            {
                return $"; {gates}; row 0 input bias, row 1 recurrent bias";
            }

            return "; " + gates;
        }

        return string.Empty;
    }

    private static string OutputShape(NetworkModel model, LayerModel layer) => layer.OutputIsSequence
        ? $"(None, {Int(layer.FixedSteps > 0 ? layer.FixedSteps : model.SequenceLength)}, {Int(layer.OutputWidth)})"
        : $"(None, {Int(layer.OutputWidth)})";

    private static string Row(string name, string shape, string count)
    {
        string text = " " + Pad(name, NameWidth - 1) + Pad(shape, ShapeWidth) + count;
        return text.TrimEnd();
    }

    private static string Pad(string text, int width) => text.Length >= width ? text.Substring(0, width - 1) + " " : text.PadRight(width);

    private static string Bytes(long value) => value.ToString("N0", CultureInfo.InvariantCulture) + " bytes";

    private static string Count(int value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
}
