using RnnCompiler.Generators.Emit;
using RnnCompiler.Generators.Model;
using RnnCompiler.Generators.Validation;
using RnnCompiler.Generators.WeightFiles;
using static RnnCompiler.Generators.Emit.CSharp;

namespace RnnCompiler.Generators.Layers;

/// <summary>
/// <c>[Attention(score)]</c>, after a decoder's last recurrent layer: each decoder step's output (the query) attends to the
/// encoder's outputs at the source's real steps (the memory), and its output is the query joined to its context,
/// <c>[query, context]</c> (Luong's form; Keras's <c>Attention</c> or <c>AdditiveAttention</c> then <c>Concatenate</c>).
/// The runtime's <c>AttentionLayer.JoinedForward</c> and <c>JoinedBackward</c> do the work, one sequence (or one decoder
/// step) a call. Its input width is the query's, its units the memory's (the encoder's output width), its output both.
/// Predict keeps the weights of each greedy step for <c>CopyAttentionWeights</c>.
/// </summary>
internal sealed class AttentionLayer : LayerDescriptor
{
    private const int Dot = 0, Additive = 1, General = 3;

    public override LayerKind Kind => LayerKind.Attention;

    public override string AttributeName => "Attention";

    public override string KerasClass => "Attention";

    public override string KerasClassOf(LayerModel layer) => layer.AttentionScore == Additive ? "AdditiveAttention" : KerasClass;

    /// <summary>The runtime's <c>AttentionScore</c> member of the layer's score.</summary>
    public static string ScoreName(LayerModel layer) => layer.AttentionScore switch
    {
        Additive => "Additive",
        General => "General",
        _ => "Dot",
    };

    public override void Resolve(ResolveContext context, LayerDeclaration layer, int index)
    {
        if (context.Width == 0)
        {
            return;
        }

        int score = layer.First;
        void Problem(string message) => context.Problem(ProblemIds.AttentionPlacement, index, message);
        int decoderIndex = context.Layers.FindIndex(model => model.Kind == LayerKind.Decoder);
        LayerModel? before = context.Layers.Count > 0 ? context.Layers[context.Layers.Count - 1] : null;
        LayerModel? encoder = decoderIndex >= 1 ? context.Layers[decoderIndex - 1] : null;
        if (score is not (Dot or Additive or General))
        {
            Problem($"{Label}: the score is {score}; use AttentionScore.Dot (Luong), AttentionScore.General (Luong, with a learned matrix) or AttentionScore.Additive (Bahdanau).");
            return;
        }

        if (context.Layers.Exists(model => model.Kind == LayerKind.Attention))
        {
            Problem($"{Label}: the model already has an [Attention]; a decoder attends to its encoder once, after its last recurrent layer.");
            return;
        }

        if (encoder is null || before is null || !before.IsRecurrent || before.StartsFromEncoder == false && context.Layers.IndexOf(before) <= decoderIndex || !before.OutputIsSequence)
        {
            Problem($"{Label} attends from each decoder step, so it comes directly after a recurrent layer of a [Decoder]'s stack that returns sequences, for example [Decoder(…)] [Lstm(128, ReturnSequences = true)] [Attention] [Dense(vocabulary, Activation = Activation.Softmax)].");
            return;
        }

        if (!encoder.IsRecurrent || !encoder.OutputIsSequence)
        {
            Problem($"{Label} attends to the encoder's output at every source step, and the encoder's last recurrent layer returns only its last output; give it ReturnSequences = true (it still hands its final state to the decoder): [{encoder.Descriptor.AttributeName}({encoder.Units}, ReturnSequences = true)] [Decoder(…)].");
            return;
        }

        if (score != General && context.Width != encoder.OutputWidth)
        {
            Problem($"{Label}: {(score == Dot ? "Dot" : "Additive")} attention compares each decoder output ({context.Width} values) with an encoder output of the same width, and the encoder's has {encoder.OutputWidth}; make them equal, or use AttentionScore.General, whose learned matrix maps one to the other.");
            return;
        }

        if (index == context.Declaration.Layers.Count - 1)
        {
            Problem($"{Label} cannot be the last layer: its output is each decoder step's output joined to its context; put the output layer after it, for example [Dense(vocabulary, Activation = Activation.Softmax)].");
            return;
        }

        string name = context.NextName(score == Additive ? "additive_attention" : "attention");
        int memory = encoder.OutputWidth;
        var model = new LayerModel(Kind, name, name, NetworkValidator.Identifier(name), context.Width, memory, context.Width + memory,
            true, true, ActivationKind.Linear, false, MergeKind.Concat, false, (int)context.Offset, 0)
        {
            AttentionScore = score,
        };
        context.Layers.Add(context.AddTensors(model, index));
        context.Width = model.OutputWidth;
    }

    /// <summary>The expression of the layer's parameters: General's kernel, Additive's scale, or <c>default</c> for Dot.</summary>
    private static string Parameters(EmitContext context, LayerModel layer, string span = "p") => layer.AttentionScore switch
    {
        General => context.Weights(layer, "Kernel", span),
        Additive => context.Weights(layer, "Scale", span),
        _ => "default",
    };

    /// <summary>The encoder's last recurrent layer, whose outputs are the memory.</summary>
    private static LayerModel Encoder(NetworkModel model)
    {
        LayerModel? before = null;
        foreach (LayerModel layer in model.Layers)
        {
            if (layer.Kind == LayerKind.Decoder)
            {
                return before!;
            }

            before = layer;
        }

        throw new System.InvalidOperationException("An [Attention] model has a [Decoder].");
    }

    private static string Score(LayerModel layer) => $"global::RnnCompiler.AttentionScore.{ScoreName(layer)}";

    public override void AddBuffers(BufferSink buffers, LayerModel layer, bool isLast)
    {
        string field = BufferPlan.Stem(layer);
        int memory = layer.Units;
        buffers.PerStep(BufferKind.Working, $"{field}Output", layer.OutputWidth, $"{layer.Name}: each decoder step's output joined to its context");
        buffers.PerStep(BufferKind.Working, $"{field}Weights", buffers.Model.SequenceLength, $"{layer.Name}: each decoder step's attention weights over the source's steps");
        if (layer.AttentionScore == General)
        {
            buffers.PerStep(BufferKind.Working, $"{field}Projected", memory, $"{layer.Name}: each decoder step's output times the kernel");
        }

        long scratch = buffers.Model.SequenceLength + 3L * memory;
        buffers.Add(new BufferSpec($"{field}Scratch", $"SequenceLength + {Int(3 * memory)}", scratch, $"{layer.Name}: working space of the attention's forward and backward passes.", BufferKind.Working, InWorkspace: buffers.Model.Workers > 1, Copies: buffers.Model.Workers));
        buffers.Add(new BufferSpec($"{field}Map", $"OutputSteps * SequenceLength", (long)layer.FixedSteps * buffers.Model.SequenceLength, $"{layer.Name}: the attention weights of each step of the last decoded target, [OutputSteps, source steps].", BufferKind.Working));
        buffers.Add(new BufferSpec($"{field}SourceSteps", "1", 1, $"{layer.Name}: the real steps of the source the last Predict decoded (0 before one).", BufferKind.Working, "int"));
    }

    public override void AddTrainingBuffers(BufferSink buffers, LayerModel layer, bool isLast)
    {
        string field = BufferPlan.Stem(layer);
        buffers.TrainingPerSequence($"{field}MemoryGradients", $"SequenceLength * {Int(layer.Units)}", (long)buffers.Model.SequenceLength * layer.Units, $"{layer.Name}: dLoss/d(the encoder's outputs) through the attention, [sequences, SequenceLength, {Int(layer.Units)}].");
    }

    public override void WriteMembers(EmitContext context, LayerModel layer)
    {
        SourceWriter writer = context.Writer;
        string field = context.Field(layer);
        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// Writes the attention weights of the last decoded target (<c>Predict</c>, <c>Decode</c>, <c>Decode</c> with a beam search,");
        writer.WriteLine("/// <c>Sample</c>): for each of the OutputSteps decoder steps, one weight per real source step, summing to 1 (zeros after");
        writer.WriteLine("/// the end token), [OutputSteps, source steps] row-major, to draw which source steps each target token looked at.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine("/// <param name=\"weights\">Receives OutputSteps × source steps values; OutputSteps × SequenceLength is always enough.</param>");
        writer.WriteLine("/// <returns>The source steps: the tokens of the source that were not masked.</returns>");
        writer.WriteLine("/// <exception cref=\"global::System.InvalidOperationException\">Nothing has been decoded yet.</exception>");
        writer.WriteLine("/// <exception cref=\"global::System.ArgumentException\"><paramref name=\"weights\"/> is too short.</exception>");
        writer.WriteLine(context.GeneratedCode);
        using (writer.Block($"public int CopyAttentionWeights({Span}<{context.T}> weights)"))
        {
            writer.WriteLine($"int sourceSteps = {field}SourceSteps[0];");
            using (writer.Block("if (sourceSteps == 0)"))
            {
                writer.WriteLine("throw new global::System.InvalidOperationException(\"Nothing has been decoded yet: call Predict or Decode first.\");");
            }

            using (writer.Block("if (weights.Length < OutputSteps * sourceSteps)"))
            {
                writer.WriteLine("throw new global::System.ArgumentException($\"Expected room for {OutputSteps} × {sourceSteps} weights; weights holds {weights.Length}.\", nameof(weights));");
            }

            writer.WriteLine($"{SliceOf($"{field}Map", "0", "OutputSteps * sourceSteps")}.CopyTo(weights);");
            writer.WriteLine("return sourceSteps;");
        }

        writer.WriteLine();
    }

    public override void WriteFallbackMembers(System.Action<string, string, string> member, string elementType, string source, string throwing) =>
        member("CopyAttentionWeights", "Writes the attention weights of the last decoded target.", $"public int CopyAttentionWeights(global::System.Span<{elementType}> weights) => {throwing}");

    // Predict's pass from the decoder on is its decoding (DecodeStep calls WriteStep); this is not reached.
    public override string WritePredict(EmitContext context, LayerModel layer, string input, bool sequence) => input;

    public override void WriteBeforeDecoding(EmitContext context, LayerModel layer)
    {
        string field = context.Field(layer);
        context.Writer.WriteLine($"// {layer.Name}: the decoder attends to the source's {(context.Model.Masks ? "real " : string.Empty)}steps; no weights yet.");
        context.Writer.WriteLine($"{field}SourceSteps[0] = steps;");
        context.Writer.WriteLine($"{SliceOf($"{field}Map", "0", "OutputSteps * steps")}.Clear();");
    }

    public override void WriteAfterDecodedStep(EmitContext context, LayerModel layer, string step)
    {
        string field = context.Field(layer);
        context.Writer.WriteLine($"// {layer.Name}: the step's weights, kept for CopyAttentionWeights.");
        context.Writer.WriteLine($"{SliceOf($"{field}Weights", "0", $"{field}SourceSteps[0]")}.CopyTo({SliceOf($"{field}Map", $"{step} * {field}SourceSteps[0]", $"{field}SourceSteps[0]")});");
    }

    public override string WriteStep(EmitContext context, LayerModel layer, string input)
    {
        LayerModel encoder = Encoder(context.Model);
        string field = context.Field(layer);
        string memory = Int(layer.Units);
        string query = Int(layer.InputWidth);
        string output = SliceOf($"{field}Output", "0", Int(layer.OutputWidth));
        SourceWriter writer = context.Writer;
        writer.WriteLine($"// {layer.Name}: the step's output attends to {encoder.Name}'s outputs at the source's steps ({ScoreName(layer)} score); [output, context].");
        writer.WriteLine($"int sourceSteps = {field}SourceSteps[0];");
        string projected = layer.AttentionScore == General ? SliceOf($"{field}Projected", "0", memory) : "default";
        writer.WriteLine($"{RuntimeLayers}AttentionLayer.JoinedForward<{context.T}>({Score(layer)}, {input}, 1, {query}, {SliceOf(encoder.Descriptor.BatchOutput(context, encoder), "0", $"sourceSteps * {memory}")}, sourceSteps, {memory}, {Parameters(context, layer)}, {projected}, {SliceOf($"{field}Weights", "0", "sourceSteps")}, {output}, {field}Scratch.Span);");
        return output;
    }

    /// <summary>The lock-step passes' count of sequence b's real source steps, which its attention covers.</summary>
    private const string SourceStepsOfSequence = "int sourceSteps = global::RnnCompiler.Training.SequencePacking.LengthOf(inputLengths, b, inputSteps);";

    /// <summary>
    /// The arguments <c>JoinedForward</c> and <c>JoinedBackward</c> share in a lock-step pass, up to the weights: sequence
    /// b's queries (its rows of <paramref name="queries"/>), its encoder outputs, the parameters and its buffers.
    /// </summary>
    private static string SequenceArguments(EmitContext context, LayerModel layer, string queries)
    {
        LayerModel encoder = Encoder(context.Model);
        string field = context.Field(layer);
        string memory = Int(layer.Units);
        string query = Int(layer.InputWidth);
        string projected = layer.AttentionScore == General ? SliceOf($"{field}Projected", $"b * OutputSteps * {memory}", $"OutputSteps * {memory}") : "default";
        return $"{Score(layer)}, {SliceOf(queries, $"b * OutputSteps * {query}", $"OutputSteps * {query}")}, OutputSteps, {query}, "
            + $"{SliceOf(encoder.Descriptor.BatchOutput(context, encoder), $"b * inputSteps * {memory}", $"sourceSteps * {memory}")}, sourceSteps, {memory}, "
            + $"{Parameters(context, layer)}, {projected}, {SliceOf($"{field}Weights", "b * OutputSteps * SequenceLength", "OutputSteps * sourceSteps")}";
    }

    public override string WriteForwardBatch(EmitContext context, LayerModel layer, string input, bool sequence)
    {
        LayerModel encoder = Encoder(context.Model);
        string field = context.Field(layer);
        string width = Int(layer.OutputWidth);
        SourceWriter writer = context.Writer;
        writer.WriteLine($"// {layer.Name}: each decoder step's output attends to its sequence's {encoder.Name} outputs at the source's real steps ({ScoreName(layer)} score); [output, context].");
        using (writer.Block("for (int b = 0; b < sequences; b++)"))
        {
            writer.WriteLine(SourceStepsOfSequence);
            writer.WriteLine($"{RuntimeLayers}AttentionLayer.JoinedForward<{context.T}>({SequenceArguments(context, layer, input)}, {SliceOf($"{field}Output", $"b * OutputSteps * {width}", $"OutputSteps * {width}")}, {field}Scratch.Span);");
        }

        return $"{field}Output";
    }

    public override void WriteBackwardBatch(EmitContext context, LayerModel layer, BackwardPass pass)
    {
        LayerModel encoder = Encoder(context.Model);
        string field = context.Field(layer);
        string memory = Int(layer.Units);
        string query = Int(layer.InputWidth);
        string width = Int(layer.OutputWidth);
        SourceWriter writer = context.Writer;
        writer.WriteLine($"// {layer.Name}: the output's gradient splits into the decoder output's (directly and through the scores) and the");
        writer.WriteLine($"// encoder outputs' (as keys and values), which {encoder.Name}'s backward pass receives with the hand-off's.");
        writer.WriteLine($"{pass.InputGradient}.Clear();");
        writer.WriteLine($"{SliceOf($"{field}MemoryGradients", "0", $"sequences * SequenceLength * {memory}")}.Clear();");
        using (writer.Block("for (int b = 0; b < sequences; b++)"))
        {
            writer.WriteLine(SourceStepsOfSequence);
            writer.WriteLine($"{RuntimeLayers}AttentionLayer.JoinedBackward<{context.T}>({SequenceArguments(context, layer, pass.Input)}, {SliceOf(pass.Gradient, $"b * OutputSteps * {width}", $"OutputSteps * {width}")}, {pass.InputGradient}.Slice(b * OutputSteps * {query}, OutputSteps * {query}), {SliceOf($"{field}MemoryGradients", $"b * SequenceLength * {memory}", $"sourceSteps * {memory}")}, {(layer.AttentionScore == Dot ? "default" : Parameters(context, layer, "g"))}, {field}Scratch.Span);");
        }
    }
}
