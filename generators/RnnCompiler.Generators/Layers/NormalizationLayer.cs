using RnnCompiler.Generators.Emit;
using RnnCompiler.Generators.Model;
using RnnCompiler.Generators.Validation;
using RnnCompiler.Generators.WeightFiles;
using static RnnCompiler.Generators.Emit.CSharp;

namespace RnnCompiler.Generators.Layers;

/// <summary>
/// Keras <c>Normalization(axis=-1)</c>: <c>y[t] = (x[t] - mean) / max(sqrt(variance), 1e-7)</c> per feature, directly
/// after <c>[Input(features)]</c>. Its <c>mean</c>, <c>variance</c> and <c>count</c> are weights that training never
/// changes (the model's <c>Adapt</c> sets them); it reads the model's input, so the backward pass stops at it.
/// </summary>
internal sealed class NormalizationLayer : LayerDescriptor
{
    /// <summary>
    /// The kinds that may stand between <c>[Input]</c> and <c>[Normalization]</c>: layers without weights that pass the
    /// features on unchanged in width. <c>[Masking]</c>, which masks the raw steps.
    /// </summary>
    private static readonly LayerKind[] s_passThrough = { LayerKind.Masking };

    public override LayerKind Kind => LayerKind.Normalization;

    public override string AttributeName => "Normalization";

    public override string KerasClass => "Normalization";

    public override bool StopsBackward => true;

    public override void Resolve(ResolveContext context, LayerDeclaration layer, int index)
    {
        EquatableArray<LayerDeclaration> layers = context.Declaration.Layers;
        if (layers[0].Kind.Descriptor().TakesTokens)
        {
            context.Problem(ProblemIds.NormalizationNotAfterInput, index, $"{Label} normalizes float features, and '{context.Declaration.TypeName}' reads token ids through {layers[0].Kind.Descriptor().Label}; remove {Label}, or start the model with [Input(features)].");
            return;
        }

        if (!FollowsInput(layers, index))
        {
            context.Problem(ProblemIds.NormalizationNotAfterInput, index, $"{Label} normalizes the model's input features, so it must come directly after [Input(features)]; move it there, for example [Input(3)] [Normalization] [Lstm(32)].");
            return;
        }

        if (context.Width == 0)
        {
            return; // the input's own problem is reported
        }

        string name = context.NextName("normalization");
        int features = context.Width;
        var model = new LayerModel(Kind, name, name, NetworkValidator.Identifier(name), features, features, features,
            context.IsSequence, context.IsSequence, ActivationKind.Linear, false, MergeKind.Concat, false, (int)context.Offset, 0);
        context.Layers.Add(context.AddTensors(model, index));
    }

    /// <summary>Whether the layer at <paramref name="index"/> follows <c>[Input]</c>, directly or across <see cref="s_passThrough"/> kinds.</summary>
    private static bool FollowsInput(EquatableArray<LayerDeclaration> layers, int index)
    {
        for (int i = index - 1; i >= 0; i--)
        {
            LayerKind kind = layers[i].Kind;
            if (kind == LayerKind.Input)
            {
                return true;
            }

            if (System.Array.IndexOf(s_passThrough, kind) < 0)
            {
                return false;
            }
        }

        return false;
    }

    public override void AddBuffers(BufferSink buffers, LayerModel layer, bool isLast)
    {
        if (!isLast) // the last layer writes the caller's outputs
        {
            buffers.Output(BufferKind.Working, $"{BufferPlan.Stem(layer)}Output", layer, $"{layer.Name}: the normalized inputs");
        }
    }

    public override string WritePredict(EmitContext context, LayerModel layer, string input, bool sequence)
    {
        string target = layer == context.Model.Last ? "outputs" : $"{context.Field(layer)}Output";
        context.Writer.WriteLine($"// {layer.Name}: x[t] = (x[t] - mean) / max(sqrt(variance), 1e-7) at every step, [{Int(layer.InputWidth)}] features.");
        context.Writer.WriteLine($"{Call(context, "Forward")}({input}, {(sequence ? "steps" : "1")}, {Statistics(context, layer)}, {target});");
        return target;
    }

    public override string WriteStep(EmitContext context, LayerModel layer, string input)
    {
        string target = layer == context.Model.Last ? "output" : SliceOf(context.Field(layer) + "Output", "0", Int(layer.OutputWidth));
        context.Writer.WriteLine($"// {layer.Name}: x = (x - mean) / max(sqrt(variance), 1e-7).");
        context.Writer.WriteLine($"{Call(context, "Step")}({input}, {Statistics(context, layer)}, {target});");
        return target;
    }

    public override string WriteForwardBatch(EmitContext context, LayerModel layer, string input, bool sequence)
    {
        string target = layer == context.Model.Last ? context.BatchOutputs : $"{context.Field(layer)}Output";
        context.Writer.WriteLine($"// {layer.Name}: (x - mean) / max(sqrt(variance), 1e-7) for every step of every sequence; mean and variance are not trained.");
        context.Writer.WriteLine($"{Call(context, "Forward")}({input}, {LockStepEmitter.Rows(sequence)}, {Statistics(context, layer)}, {target});");
        return target;
    }

    public override void WriteBackwardBatch(EmitContext context, LayerModel layer, BackwardPass pass) =>
        context.Writer.WriteLine($"// {layer.Name}: its mean and variance are not trained and it reads the model's input, so the backward pass ends here.");

    /// <summary>
    /// <c>Adapt</c>, Keras's <c>adapt(data)</c>: over a batch of equal sequences, and over a list of sequences of any
    /// lengths. Both check everything before the statistics change.
    /// </summary>
    public override void WriteMembers(EmitContext context, LayerModel layer)
    {
        SourceWriter writer = context.Writer;
        string t = context.T;
        string features = Int(layer.InputWidth);
        string maxSteps = Int(context.Model.SequenceLength);
        string remarks = $"/// Keras's <c>adapt</c> for <c>{layer.Name}</c>: sets its mean and variance to each feature's mean and population variance over every";
        writer.WriteLine("/// <summary>");
        writer.WriteLine(remarks);
        writer.WriteLine("/// step of every sequence given (summed in double), so that the layers after it see each feature centred at 0 with");
        writer.WriteLine("/// variance 1. Training never changes them; <c>SaveWeights</c> and <c>LoadWeights</c> keep them under Keras's names.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine($"/// <param name=\"inputs\">[sequences, steps, {features}] row-major, every sequence 1 to {maxSteps} steps long.</param>");
        writer.WriteLine("/// <param name=\"sequences\">The number of sequences in <paramref name=\"inputs\"/>, at least 1.</param>");
        writer.WriteLine("/// <exception cref=\"global::System.ArgumentException\">A length or count is wrong, or a value is not finite; nothing has changed.</exception>");
        writer.WriteLine(context.GeneratedCode);
        using (writer.Block($"public void Adapt({ReadOnlySpan}<{t}> inputs, int sequences)"))
        {
            writer.WriteLine("global::RnnCompiler.ModelGuard.StepsOfSequences(inputs.Length, sequences, InputFeatures, SequenceLength, nameof(inputs));");
            context.Guarded(() =>
            {
                writer.WriteLine($"// {layer.Name}: mean and variance of every step of every sequence, written only when all are finite.");
                writer.WriteLine($"{Span}<{t}> w = _parameters;");
                writer.WriteLine($"{RuntimeLayers}NormalizationLayer.Adapt<{t}>(inputs, InputFeatures, {context.Weights(layer, "Mean", "w")}, {context.Weights(layer, "Variance", "w")});");
            });
        }

        writer.WriteLine();
        writer.WriteLine("/// <summary>");
        writer.WriteLine(remarks);
        writer.WriteLine($"/// step of every sequence given, as <see cref=\"Adapt(System.ReadOnlySpan{{{t}}}, int)\"/> does, for sequences of different lengths.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine($"/// <param name=\"sequences\">Each [steps, {features}] row-major, 1 to {maxSteps} steps; at least one sequence.</param>");
        writer.WriteLine("/// <exception cref=\"global::System.ArgumentException\">There is no sequence, one is empty, too long or not whole steps, or a value is not finite; nothing has changed.</exception>");
        writer.WriteLine(context.GeneratedCode);
        using (writer.Block($"public void Adapt(global::System.Collections.Generic.IReadOnlyList<{t}[]> sequences)"))
        {
            writer.WriteLine("global::System.ArgumentNullException.ThrowIfNull(sequences);");
            context.Guarded(() =>
            {
                writer.WriteLine($"// {layer.Name}: the sequences are checked, then their statistics written only when all are finite.");
                writer.WriteLine($"{Span}<{t}> w = _parameters;");
                writer.WriteLine($"{RuntimeLayers}NormalizationLayer.Adapt<{t}>(sequences, InputFeatures, SequenceLength, {context.Weights(layer, "Mean", "w")}, {context.Weights(layer, "Variance", "w")});");
            });
        }

        writer.WriteLine();
    }

    public override void WriteFallbackMembers(System.Action<string, string, string> member, string elementType, string source, string throwing)
    {
        member("Adapt", "Computes the Normalization layer's mean and variance from a batch of sequences.", $"public void Adapt({ReadOnlySpan}<{elementType}> inputs, int sequences) => {throwing}");
        member("Adapt", "Computes the Normalization layer's mean and variance from sequences of any lengths.", $"public void Adapt(global::System.Collections.Generic.IReadOnlyList<{elementType}[]> sequences) => {throwing}");
    }

    /// <summary>
    /// The runtime method, generic over the model's element type in every model: a bfloat16 model keeps its
    /// statistics float, in <c>Parameters</c>, as it keeps its biases.
    /// </summary>
    private static string Call(EmitContext context, string method) => $"{RuntimeLayers}NormalizationLayer.{method}<{context.T}>";

    /// <summary>The arguments <c>mean, variance</c>: the layer's two tensors in <c>Parameters</c>.</summary>
    private static string Statistics(EmitContext context, LayerModel layer) => $"{context.Weights(layer, "Mean")}, {context.Weights(layer, "Variance")}";
}
