using System.Linq;
using RnnCompiler.Generators.Model;
using RnnCompiler.Generators.Layers;
using static RnnCompiler.Generators.Emit.CSharp;

namespace RnnCompiler.Generators.Emit;

/// <summary>
/// Emits the training passes. Every training batch runs in lock step: each layer over all the batch's sequences in one
/// call, in buffers that hold one block per sequence ([sequences, steps, …], each block laid out as Predict's
/// one-sequence pass lays it out). The recurrent layers step all sequences together (the layers' <c>ForwardBatch</c> and
/// <c>BackwardBatch</c>), so each row of a recurrent kernel is read once per step for the whole batch; the Dense and
/// Embedding layers see the batch as more rows.
/// </summary>
internal static class LockStepEmitter
{
    /// <summary>
    /// The rest of RunBatch on one thread: both passes over the whole batch and the loss sequence by sequence in between.
    /// It reads the locals <c>inputs</c>, <c>targets</c>, <c>sequences</c>, <c>steps</c>, <c>rows</c> and <c>backward</c>.
    /// </summary>
    public static void WriteBatch(EmitContext context)
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        using (writer.Block("if (backward)"))
        {
            writer.WriteLine("_gradients.Span.Clear();");
        }

        writer.WriteLine();
        writer.WriteLine($"{t} total = 0;");
        writer.WriteLine($"{t} correct = 0;");
        writer.WriteLine($"{t} scale = 1 / ({t}){Counted(model)};");
        WriteSequences(context, "0");
    }

    /// <summary>
    /// What the batch's loss is averaged over: its sequences, or the real steps of all of them when the model outputs
    /// sequences (Keras's masked mean), or a decoder's target steps up to each end token (<c>MaskAfterEnd</c>). It reads
    /// the locals <c>sequences</c>, <c>rows</c>, <c>lengths</c> and <c>targets</c>.
    /// </summary>
    internal static string Counted(NetworkModel model) => model.OutputFollowsInput
        ? "(lengths.IsEmpty ? sequences * rows : global::RnnCompiler.Training.SequencePacking.Total(lengths))"
        : model.Decoder is { MaskAfterEnd: true }
            ? "global::RnnCompiler.Layers.DecoderLayer.CountedSteps(targets, sequences, OutputSteps, EndToken)"
            : "(sequences * rows)";

    /// <summary>
    /// Runs the sequences [first, first + sequences) of the batch in lock step: forward, the loss of each in order (adding
    /// to the locals <c>total</c> and <c>correct</c>), and backward when <c>backward</c>. The model's RunBatch runs the
    /// whole batch with <paramref name="first"/> 0; with Parallelism each workspace runs its share.
    /// </summary>
    public static void WriteSequences(EmitContext context, string first)
    {
        NetworkModel model = context.Model;
        TrainingDeclaration training = model.Training!;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        bool sparse = training.Loss == LossKind.SparseCategoricalCrossentropy;
        string perStep = model.TakesTokens ? string.Empty : " * InputFeatures";
        string row = first == "0" ? "b" : $"({first} + b)";
        string stateRows = training.Stateful || model.HasDropout ? $"{first}, " : string.Empty;
        string dropout = model.HasDropout ? $", dropoutStep: backward ? {(first == "0" ? "_updateCount" : "_dropoutStep")} : -1" : string.Empty;
        writer.WriteLine($"{ReadOnlySpan}<{TrainingEmitter.InputType(model)}> batch = inputs.Slice({(first == "0" ? "0" : $"{first} * steps{perStep}")}, sequences * steps{perStep});");
        writer.WriteLine(training.Stateful
            ? "// The sequences in lock step, from each row's carried state when training (from zeros when evaluating)."
            : "// The sequences in lock step: step t of every sequence together.");
        string lengths = first == "0" ? "lengths" : $"lengths.IsEmpty ? default : lengths.Slice({first}, sequences)";
        writer.WriteLine($"{ReadOnlySpan}<int> share = {lengths};");
        foreach (LayerModel layer in model.Layers)
        {
            layer.Descriptor.WriteBeforeBatch(context, layer, first);
        }

        writer.WriteLine($"RunForwardBatch(batch, {stateRows}sequences, steps, share{(training.Stateful ? ", carried: backward" : string.Empty)}{dropout});");
        bool afterEnd = model.Decoder is { MaskAfterEnd: true };
        if (afterEnd)
        {
            writer.WriteLine("// The target steps after each end token count in no loss: their gradients stay zero.");
            using (writer.Block("if (backward)"))
            {
                writer.WriteLine($"{SliceOf("_outputGradients", "0", "sequences * rows * OutputUnits")}.Clear();");
            }

            writer.WriteLine();
        }

        if (model.OutputFollowsInput)
        {
            writer.WriteLine("// A packed batch's steps after each sequence's real ones count in no loss: their gradients stay zero.");
            using (writer.Block("if (backward && !share.IsEmpty)"))
            {
                writer.WriteLine($"{SliceOf("_outputGradients", "0", "sequences * rows * OutputUnits")}.Clear();");
            }

            writer.WriteLine();
        }

        writer.WriteLine($"// The {training.Loss} loss of each sequence in order{(model.TrainsOnLogits ? ", fused with the last activation: it reads the logits and gives dLoss/dlogits" : string.Empty)}, averaged over the batch{(model.OutputIsSequence ? " and its steps" : string.Empty)}.");
        using (writer.Block("for (int b = 0; b < sequences; b++)"))
        {
            string count = "rows";
            if (model.OutputFollowsInput)
            {
                writer.WriteLine("int count = share.IsEmpty ? rows : share[b];");
                count = "count";
            }
            else if (afterEnd)
            {
                writer.WriteLine($"int count = global::RnnCompiler.Layers.DecoderLayer.CountedSteps(targets.Slice({row} * rows, rows), EndToken);");
                count = "count";
            }

            string labels = sparse ? $"targets.Slice({row} * rows, {count})" : "default";
            string values = sparse ? "default" : $"targets.Slice({row} * rows * OutputUnits, {count} * OutputUnits)";
            writer.WriteLine($"{Span}<{t}> outputGradients = backward ? {SliceOf("_outputGradients", "b * rows * OutputUnits", $"{count} * OutputUnits")} : default;");
            writer.WriteLine($"total += global::RnnCompiler.Training.Losses.Compute<{t}>(global::RnnCompiler.Loss.{training.Loss}, {SliceOf("_trainOutputs", "b * rows * OutputUnits", $"{count} * OutputUnits")}, {count}, OutputUnits, {labels}, {values}, scale, outputGradients, out {t} right);");
            writer.WriteLine("correct += right;");
        }

        writer.WriteLine();
        using (writer.Block("if (backward)"))
        {
            writer.WriteLine($"RunBackwardBatch(batch, {(training.Stateful ? $"{first}, " : string.Empty)}sequences, steps, share);");
            if (training.Stateful)
            {
                writer.WriteLine($"KeepTrainingStates({first}, sequences, steps);");
            }
        }

        writer.WriteLine();
    }

    /// <summary>RunForwardBatch, RunBackwardBatch and (stateful) KeepTrainingStates.</summary>
    public static void WritePasses(EmitContext context, string visibility = "private")
    {
        WriteForward(context, visibility);
        WriteBackward(context, visibility);
        if (context.Model.Training!.Stateful)
        {
            WriteKeepStates(context, visibility);
        }
    }

    private static void WriteForward(EmitContext context, string visibility)
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        string input = model.TakesTokens ? "tokens" : "inputs";
        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// Runs every layer over a batch of checked sequences at once, keeping what each layer computes in its buffers, one");
        writer.WriteLine("/// block per sequence; the last layer writes its sums (logits) or outputs to <c>_trainOutputs</c>, one block per sequence.");
        writer.WriteLine("/// A packed batch (<c>lengths</c> not empty) runs each sequence over its real steps only (SequencePacking).");
        if (model.HasDropout)
        {
            writer.WriteLine("/// While training (<c>dropoutStep</c>, the update's step, at least 0) the dropouts draw their masks for rows <c>first</c> on; else they pass values through.");
        }

        bool stateful = model.Training!.Stateful;
        if (stateful)
        {
            writer.WriteLine("/// The sequences start from the carried states of batch rows <c>first</c> on when <c>carried</c> (training), else from zeros.");
        }

        writer.WriteLine("/// </summary>");

        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine(EmitContext.HotPath);
        using (writer.Block($"{visibility} void RunForwardBatch({ReadOnlySpan}<{TrainingEmitter.InputType(model)}> {input}, {(stateful || model.HasDropout ? "int first, " : string.Empty)}int sequences, int steps, {ReadOnlySpan}<int> lengths{(stateful ? ", bool carried" : string.Empty)}{(model.HasDropout ? ", long dropoutStep" : string.Empty)})"))
        {
            writer.WriteLine($"{ReadOnlySpan}<{t}> p = _parameters;");
            string current = input;
            bool sequence = true;
            foreach (LayerModel layer in model.Layers)
            {
                writer.WriteLine();
                current = layer.Descriptor.WriteForwardBatch(context, layer, current, sequence);
                sequence = layer.OutputIsSequence;
            }
        }

        writer.WriteLine();
    }

    /// <summary>
    /// RunPredictBatch: batched Predict's pass, the training forward pass's text with the model's own last activation, no
    /// dropout and zero initial states, writing the caller's outputs. Each element is summed as the one-sequence kernels
    /// sum it, so a sequence gets what Predict gives it (bit for bit where Predict reads the same layout of the weights).
    /// </summary>
    public static void WritePredictPass(EmitContext context, string visibility = "private")
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        string input = model.TakesTokens ? "tokens" : "inputs";
        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// Runs every layer over checked sequences in lock step, each from zero states: step t of every sequence together, so");
        writer.WriteLine("/// each recurrent step is one matrix product for all of them. The layers keep what they compute in their buffers,");
        writer.WriteLine("/// one block per sequence; the last writes <paramref name=\"outputs\"/>, one block per sequence.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine($"/// <param name=\"{input}\">The checked input, {(model.TakesTokens ? "[sequences, steps] token ids" : "[sequences, steps, InputFeatures]")}.</param>");
        writer.WriteLine("/// <param name=\"sequences\">The sequences, 1 to BatchSize.</param>");
        writer.WriteLine("/// <param name=\"steps\">The steps of every sequence, 1 to SequenceLength.</param>");
        if (model.PacksPredictBatch)
        {
            writer.WriteLine("/// <param name=\"lengths\">Empty when every sequence runs all its steps; else each packed sequence's unmasked steps, longest first.</param>");
        }

        if (model.SpreadsPredictBatch)
        {
            writer.WriteLine("/// <param name=\"given\">The batch as given, before packing: where each packed sequence's masked steps were.</param>");
            writer.WriteLine("/// <param name=\"order\">The sequence of <paramref name=\"given\"/> each packed sequence came from (<c>_batchOrder</c>).</param>");
        }

        writer.WriteLine("/// <param name=\"outputs\">Receives the model's outputs for each sequence.</param>");
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine(EmitContext.HotPath);
        string lengths = model.PacksPredictBatch ? $"{ReadOnlySpan}<int> lengths, " : string.Empty;
        if (model.SpreadsPredictBatch)
        {
            lengths += $"{ReadOnlySpan}<{TrainingEmitter.InputType(model)}> given, {ReadOnlySpan}<int> order, ";
        }

        using (writer.Block($"{visibility} void RunPredictBatch({ReadOnlySpan}<{TrainingEmitter.InputType(model)}> {input}, int sequences, int steps, {lengths}{Span}<{t}> outputs)"))
        {
            writer.WriteLine($"{ReadOnlySpan}<{t}> p = _parameters;");
            WritePredictingLayers(context, input, streams: false, declareLengths: !model.PacksPredictBatch);
        }

        writer.WriteLine();
    }

    /// <summary>
    /// RunStreams: one step of every stream in lock step, as a batch of Streams one-step sequences that start from the
    /// streams' carried states; then each stream's new states are kept for its next step.
    /// </summary>
    public static void WriteStreamsPass(EmitContext context, string visibility = "private")
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        string input = model.TakesTokens ? "tokens" : "inputs";
        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// One checked step of every stream in lock step: a batch of Streams sequences of one step, each recurrent layer starting");
        writer.WriteLine("/// from the streams' carried states, which then take the new ones.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine($"/// <param name=\"{input}\">The checked input, {(model.TakesTokens ? "one token id per stream" : "[Streams, InputFeatures]")}.</param>");
        writer.WriteLine("/// <param name=\"outputs\">Receives [Streams, OutputUnits].</param>");
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine(EmitContext.HotPath);
        using (writer.Block($"{visibility} void RunStreams({ReadOnlySpan}<{TrainingEmitter.InputType(model)}> {input}, {Span}<{t}> outputs)"))
        {
            writer.WriteLine($"{ReadOnlySpan}<{t}> p = _parameters;");
            writer.WriteLine("// A batch of Streams sequences of one step each.");
            writer.WriteLine("const int sequences = Streams;");
            writer.WriteLine("const int steps = 1;");
            WritePredictingLayers(context, input, streams: true);
            writer.WriteLine();
            writer.WriteLine("// Each stream's new states, carried to its next step.");
            foreach (LayerModel layer in model.Layers.Where(layer => layer.IsRecurrent))
            {
                string field = context.Field(layer);
                string units = Int(layer.Units);
                writer.WriteLine($"{SliceOf($"{field}Hidden", "0", $"Streams * {units}")}.CopyTo({field}StreamHidden);");
                if (layer.Descriptor is RecurrentLayer { HasCell: true })
                {
                    writer.WriteLine($"{SliceOf($"{field}Cells", "0", $"Streams * {units}")}.CopyTo({field}StreamCell);");
                }
            }
        }

        writer.WriteLine();
    }

    /// <summary>Every layer's part of a lock-step inference pass (batched Predict's, or StepStreams').</summary>
    private static void WritePredictingLayers(EmitContext context, string input, bool streams, bool declareLengths = true)
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        if (declareLengths && model.Layers.Any(layer => layer.IsRecurrent))
        {
            writer.WriteLine(streams ? "// Every stream runs that step." : "// Every sequence runs all its steps.");
            writer.WriteLine($"{ReadOnlySpan}<int> lengths = default;");
        }

        string current = input;
        bool sequence = true;
        context.Predicting = true;
        context.SteppingStreams = streams;
        try
        {
            LayerModel? spreadAfter = !streams && model.SpreadsPredictBatch ? InferenceEmitter.LastRecurrent(model) : null;
            foreach (LayerModel layer in model.Layers)
            {
                writer.WriteLine();
                current = layer.Descriptor.WriteForwardBatch(context, layer, current, sequence);
                sequence = layer.OutputIsSequence;
                if (layer == spreadAfter)
                {
                    WriteSpread(context, layer, current);
                }
            }
        }
        finally
        {
            context.Predicting = false;
            context.SteppingStreams = false;
        }
    }

    /// <summary>
    /// After the last recurrent layer of a packed batch whose outputs follow the input's steps: each sequence's rows
    /// spread back over its given steps, as Predict spreads one sequence's, so the layers after it (and the outputs) have a
    /// row per given step; from there on every sequence runs all its steps.
    /// </summary>
    private static void WriteSpread(EmitContext context, LayerModel layer, string output)
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        string width = Int(layer.OutputWidth);
        writer.WriteLine();
        writer.WriteLine(layer.Bidirectional
            ? "// Back to every given step of each packed sequence: a masked step's output is zeros (Keras's bidirectional layer sets zero_output_for_mask)."
            : "// Back to every given step of each packed sequence: a masked step repeats the output of the step before it (zeros before the first), as Keras's RNN does.");
        using (writer.Block("if (!lengths.IsEmpty)"))
        {
            using (writer.Block("for (int b = 0; b < sequences; b++)"))
            {
                string rows = SliceOf(output, $"b * steps * {width}", $"steps * {width}");
                writer.WriteLine(model.TakesTokens
                    ? $"global::RnnCompiler.Training.SequencePacking.SpreadTokens<{t}>(given.Slice(order[b] * steps, steps), {rows}, {width}, zeros: {Bool(layer.Bidirectional)});"
                    : $"global::RnnCompiler.Training.SequencePacking.SpreadFeatures<{t}>(given.Slice(order[b] * steps * InputFeatures, steps * InputFeatures), InputFeatures, {TrainingEmitter.MaskValue(model)}, {rows}, {width}, zeros: {Bool(layer.Bidirectional)});");
            }

            writer.WriteLine("lengths = default;");
        }
    }

    /// <summary>The rows a layer's input has in the batch: every step of every sequence, or one per sequence.</summary>
    internal static string Rows(bool sequence) => sequence ? "sequences * steps" : "sequences";

    private static void WriteBackward(EmitContext context, string visibility)
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        string input = model.TakesTokens ? "tokens" : "inputs";
        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// Backpropagation through time over the batch <see cref=\"RunForwardBatch\"/> just ran: from dLoss/d(outputs) in");
        writer.WriteLine("/// <c>_outputGradients</c>, layer by layer from the last, adding every weight's gradient to <c>_gradients</c>.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine(EmitContext.HotPath);
        string first = model.Training!.Stateful ? "int first, " : string.Empty;
        using (writer.Block($"{visibility} void RunBackwardBatch({ReadOnlySpan}<{TrainingEmitter.InputType(model)}> {input}, {first}int sequences, int steps, {ReadOnlySpan}<int> lengths)"))
        {
            writer.WriteLine($"{ReadOnlySpan}<{t}> p = _parameters;");
            writer.WriteLine($"{Span}<{t}> g = _gradients;");
            if (model.OutputSteps > 0)
            {
                writer.WriteLine();
                writer.WriteLine("// The layers from the RepeatVector or Decoder on ran over its OutputSteps steps, every sequence all of them;");
                writer.WriteLine("// its backward part gives the layers before it back the input's steps and lengths.");
                writer.WriteLine("int inputSteps = steps;");
                writer.WriteLine($"{ReadOnlySpan}<int> inputLengths = lengths;");
                writer.WriteLine("steps = OutputSteps;");
                writer.WriteLine("lengths = default;");
            }
            for (int index = model.Layers.Count - 1; index >= 0; index--)
            {
                writer.WriteLine();
                WriteBackwardLayer(context, index, input);
            }
        }

        writer.WriteLine();
    }

    private static void WriteBackwardLayer(EmitContext context, int index, string input)
    {
        NetworkModel model = context.Model;
        LayerModel layer = model.Layers[index];
        LayerModel? previous = index > 0 ? model.Layers[index - 1] : null;
        string gradient = layer == model.Last ? "_outputGradients" : $"{context.Field(layer)}OutputGradients";
        string x = previous is null ? input : previous.Descriptor.BatchOutput(context, previous);

        // Where this layer's input gradient goes: the previous layer's output gradient, cleared first (the kernels add);
        // nowhere when there is no previous layer or the backward pass stops at it.
        LayerModel? receiver = previous is { Descriptor.StopsBackward: false } ? previous : null;
        string inputGradient = receiver is null
            ? "default"
            : SliceOf($"{context.Field(receiver)}OutputGradients", "0", $"{Rows(receiver.OutputIsSequence)} * {Int(receiver.OutputWidth)}");
        layer.Descriptor.WriteBackwardBatch(context, layer, new BackwardPass(receiver, x, gradient, inputGradient));
    }

    private static void WriteKeepStates(EmitContext context, string visibility)
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        writer.WriteLine("/// <summary>Keeps each batch row's final states, to carry into the next batch once this one proves finite.</summary>");
        writer.WriteLine(context.GeneratedCode);
        using (writer.Block($"{visibility} void KeepTrainingStates(int first, int sequences, int steps)"))
        {
            using (writer.Block("for (int b = 0; b < sequences; b++)"))
            {
                foreach (LayerModel layer in model.Layers.Where(layer => layer.IsRecurrent))
                {
                    string field = context.Field(layer);
                    string units = Int(layer.Units);
                    writer.WriteLine($"{SliceOf($"{field}Hidden", $"(b * steps + steps - 1) * {units}", units)}.CopyTo({SliceOf($"{field}TrainHiddenNext", $"(first + b) * {units}", units)});");
                    if (layer.Descriptor is RecurrentLayer { HasCell: true })
                    {
                        writer.WriteLine($"{SliceOf($"{field}Cells", $"(b * steps + steps - 1) * {units}", units)}.CopyTo({SliceOf($"{field}TrainCellNext", $"(first + b) * {units}", units)});");
                    }
                }
            }
        }

        writer.WriteLine();
    }
}
