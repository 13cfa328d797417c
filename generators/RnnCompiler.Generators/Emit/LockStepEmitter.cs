using System.Linq;
using RnnCompiler.Generators.Model;
using static RnnCompiler.Generators.Emit.ModelEmitter;

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
        writer.WriteLine($"{t} scale = 1 / ({t})(sequences * rows);");
        WriteSequences(context, "0");
    }

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
        string stateRows = training.Stateful ? $"{first}, " : string.Empty;
        writer.WriteLine($"{ReadOnlySpan}<{TrainingEmitter.InputType(model)}> batch = inputs.Slice({(first == "0" ? "0" : $"{first} * steps{perStep}")}, sequences * steps{perStep});");
        writer.WriteLine(training.Stateful
            ? "// The sequences in lock step, from each row's carried state when training (from zeros when evaluating)."
            : "// The sequences in lock step: step t of every sequence together.");
        writer.WriteLine($"RunForwardBatch(batch, {stateRows}sequences, steps{(training.Stateful ? ", carried: backward" : string.Empty)});");
        writer.WriteLine($"// The {training.Loss} loss of each sequence in order{(model.TrainsOnLogits ? ", fused with the last activation: it reads the logits and gives dLoss/dlogits" : string.Empty)}, averaged over the batch{(model.OutputIsSequence ? " and its steps" : string.Empty)}.");
        using (writer.Block("for (int b = 0; b < sequences; b++)"))
        {
            string labels = sparse ? $"targets.Slice({row} * rows, rows)" : "default";
            string values = sparse ? "default" : $"targets.Slice({row} * rows * OutputUnits, rows * OutputUnits)";
            writer.WriteLine($"{Span}<{t}> outputGradients = backward ? {SliceOf("_outputGradients", "b * rows * OutputUnits", "rows * OutputUnits")} : default;");
            writer.WriteLine($"total += global::RnnCompiler.Training.Losses.Compute<{t}>(global::RnnCompiler.Loss.{training.Loss}, {SliceOf("_trainOutputs", "b * rows * OutputUnits", "rows * OutputUnits")}, rows, OutputUnits, {labels}, {values}, scale, outputGradients, out {t} right);");
            writer.WriteLine("correct += right;");
        }

        writer.WriteLine();
        using (writer.Block("if (backward)"))
        {
            writer.WriteLine($"RunBackwardBatch(batch, {stateRows}sequences, steps);");
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
        bool stateful = model.Training!.Stateful;
        if (stateful)
        {
            writer.WriteLine("/// The sequences start from the carried states of batch rows <c>first</c> on when <c>carried</c> (training), else from zeros.");
        }

        writer.WriteLine("/// </summary>");

        writer.WriteLine(context.GeneratedCode);
        using (writer.Block($"{visibility} void RunForwardBatch({ReadOnlySpan}<{TrainingEmitter.InputType(model)}> {input}, {(stateful ? "int first, " : string.Empty)}int sequences, int steps{(stateful ? ", bool carried" : string.Empty)})"))
        {
            writer.WriteLine($"{ReadOnlySpan}<{t}> p = _parameters;");
            string current = input;
            bool sequence = true;
            foreach (LayerModel layer in model.Layers)
            {
                writer.WriteLine();
                current = WriteForwardLayer(context, layer, current, sequence);
                sequence = layer.OutputIsSequence;
            }
        }

        writer.WriteLine();
    }

    /// <summary>The rows a layer's input has in the batch: every step of every sequence, or one per sequence.</summary>
    private static string Rows(bool sequence) => sequence ? "sequences * steps" : "sequences";

    private static string WriteForwardLayer(EmitContext context, LayerModel layer, string input, bool sequence)
    {
        SourceWriter writer = context.Writer;
        NetworkModel model = context.Model;
        string field = context.Field(layer);
        bool isLast = layer == model.Last;
        string t = model.ElementType;
        string units = Int(layer.Units);
        switch (layer.Type)
        {
            case LayerType.Embedding:
                writer.WriteLine($"// {layer.Name}: row tokens[t] of the [{Int(layer.InputWidth)}, {units}] table for every step of every sequence.");
                writer.WriteLine($"{Layers}EmbeddingLayer.Forward<{t}>(tokens, {Weights(context, layer, "Embeddings")}, {units}, {field}Output);");
                return $"{field}Output";
            case LayerType.Dense:
            {
                string target = isLast ? "_trainOutputs" : $"{field}Output";
                string activation = isLast && model.TrainsOnLogits ? "Linear" : layer.Activation.ToString();
                writer.WriteLine($"// {layer.Name}: {activation}(x·kernel + bias) for {(sequence ? "every step of every sequence" : "each sequence")}, [{Int(layer.InputWidth)}] → [{units}]{(activation != layer.Activation.ToString() ? "; the loss applies the " + layer.Activation : string.Empty)}.");
                writer.WriteLine($"{Layers}DenseLayer.Forward<{t}>({input}, {Rows(sequence)}, {Int(layer.InputWidth)}, {Weights(context, layer, "Kernel")}, {Weights(context, layer, "Bias")}, global::RnnCompiler.Activation.{activation}, {target});");
                return target;
            }
        }

        foreach (string direction in Directions(layer))
        {
            bool reverse = direction == "Backward";
            writer.WriteLine($"// {layer.Name}{(direction.Length == 0 ? string.Empty : " " + direction.ToLowerInvariant())}, every sequence in lock step, {(reverse ? "last step to first" : "first step to last")}: {Formula(layer)}.");
            writer.WriteLine(ForwardCall(context, layer, direction, input));
        }

        string hidden = field + Directions(layer)[0] + "Hidden";
        if (!layer.Bidirectional)
        {
            if (layer.OutputIsSequence)
            {
                if (isLast)
                {
                    writer.WriteLine($"{SliceOf(hidden, "0", $"sequences * steps * {units}")}.CopyTo(_trainOutputs);");
                    return "_trainOutputs";
                }

                return hidden;
            }

            string last = isLast ? "_trainOutputs" : $"{field}Last";
            writer.WriteLine($"// {layer.Name}: each sequence's state after its last step, one row per sequence.");
            using (writer.Block("for (int b = 0; b < sequences; b++)"))
            {
                writer.WriteLine($"{SliceOf(hidden, $"(b * steps + steps - 1) * {units}", units)}.CopyTo({SliceOf(last, $"b * {units}", units)});");
            }

            return last;
        }

        string merged = isLast ? "_trainOutputs" : $"{field}Output";
        string backward = field + "BackwardHidden";
        string mode = $"global::RnnCompiler.MergeMode.{layer.MergeMode}";
        if (layer.OutputIsSequence)
        {
            writer.WriteLine($"// {layer.Name}: merge both directions at every step of every sequence ({layer.MergeMode}).");
            writer.WriteLine($"{Layers}BidirectionalMerge.Merge<{t}>({mode}, {hidden}, {backward}, sequences * steps, {units}, {merged});");
            return merged;
        }

        string width = Int(layer.OutputWidth);
        writer.WriteLine($"// {layer.Name}: merge each sequence's forward state after its last step with its backward state after its first ({layer.MergeMode}).");
        using (writer.Block("for (int b = 0; b < sequences; b++)"))
        {
            writer.WriteLine($"{Layers}BidirectionalMerge.Merge<{t}>({mode}, {Row(hidden, "b * steps + steps - 1", units)}, {Row(backward, "b * steps", units)}, 1, {units}, {Row(merged, "b", width)});");
        }

        return merged;
    }

    /// <summary>A span over row <paramref name="row"/> of a buffer of rows <paramref name="width"/> wide.</summary>
    private static string Row(string field, string row, string width) => SliceOf(field, $"({row}) * {width}", width);

    /// <summary>A recurrent layer's initial states in a pass: each row's carried state in stateful training when <c>carried</c>, else zeros.</summary>
    private static string Initial(EmitContext context, LayerModel layer, string which, bool forward) =>
        context.Model.Training!.Stateful
            ? (forward ? "carried ? " : string.Empty) + SliceOf($"{context.Field(layer)}Train{which}", $"first * {Int(layer.Units)}", $"sequences * {Int(layer.Units)}") + (forward ? " : default" : string.Empty)
            : "default";

    /// <summary>The call that runs one direction of a recurrent layer over the batch.</summary>
    private static string ForwardCall(EmitContext context, LayerModel layer, string direction, string input)
    {
        string t = context.Model.ElementType;
        string buffer = context.Field(layer) + direction;
        string head = $"<{t}>({input}, sequences, steps, {Int(layer.InputWidth)}, {Int(layer.Units)}, {Weights(context, layer, direction + "Kernel")}, {Weights(context, layer, direction + "RecurrentKernel")}, {Weights(context, layer, direction + "Bias")}";
        string reverse = Bool(direction == "Backward");
        string hidden = Initial(context, layer, "Hidden", forward: true);
        return layer.Type switch
        {
            LayerType.Lstm => $"{Layers}LstmLayer.ForwardBatch{head}, reverse: {reverse}, initialHidden: {hidden}, initialCell: {Initial(context, layer, "Cell", forward: true)}, gates: {buffer}Gates, cells: {buffer}Cells, hidden: {buffer}Hidden);",
            LayerType.Gru => $"{Layers}GruLayer.ForwardBatch{head}, resetAfter: {Bool(layer.ResetAfter)}, reverse: {reverse}, initialHidden: {hidden}, gates: {buffer}Gates, candidates: {buffer}Candidates, hidden: {buffer}Hidden, scratch: {context.Field(layer)}Scratch);",
            _ => $"{Layers}SimpleRnnLayer.ForwardBatch{head}, global::RnnCompiler.Activation.{layer.Activation}, reverse: {reverse}, initialHidden: {hidden}, preactivations: {buffer}Sums, hidden: {buffer}Hidden);",
        };
    }

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
        string first = model.Training!.Stateful ? "int first, " : string.Empty;
        using (writer.Block($"{visibility} void RunBackwardBatch({ReadOnlySpan}<{TrainingEmitter.InputType(model)}> {input}, {first}int sequences, int steps)"))
        {
            writer.WriteLine($"{ReadOnlySpan}<{t}> p = _parameters;");
            writer.WriteLine($"{Span}<{t}> g = _gradients;");
            for (int index = model.Layers.Count - 1; index >= 0; index--)
            {
                writer.WriteLine();
                WriteBackwardLayer(context, index, input);
            }
        }

        writer.WriteLine();
    }

    /// <summary>The expression of a layer's forward output in the batch, as RunForwardBatch leaves it.</summary>
    private static string Output(EmitContext context, LayerModel layer)
    {
        string field = context.Field(layer);
        if (!layer.IsRecurrent || layer.Bidirectional)
        {
            return $"{field}Output";
        }

        return layer.OutputIsSequence ? $"{field}Hidden" : $"{field}Last";
    }

    private static void WriteBackwardLayer(EmitContext context, int index, string input)
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        LayerModel layer = model.Layers[index];
        LayerModel? previous = index > 0 ? model.Layers[index - 1] : null;
        string field = context.Field(layer);
        bool isLast = layer == model.Last;
        string gradient = isLast ? "_outputGradients" : $"{field}OutputGradients";
        string x = previous is null ? input : Output(context, previous);
        string units = Int(layer.Units);

        // Where this layer's input gradient goes: the previous layer's output gradient, cleared first (the kernels add).
        string inputGradient = "default";
        if (previous is not null)
        {
            inputGradient = SliceOf($"{context.Field(previous)}OutputGradients", "0", $"{Rows(previous.OutputIsSequence)} * {Int(previous.OutputWidth)}");
        }

        switch (layer.Type)
        {
            case LayerType.Embedding:
                writer.WriteLine($"// {layer.Name}: add each step's gradient to its token's row (only the rows used are touched).");
                writer.WriteLine($"{Layers}EmbeddingLayer.Backward<{t}>(tokens, {SliceOf(gradient, "0", $"sequences * steps * {units}")}, {units}, {Weights(context, layer, "Embeddings", "g")});");
                return;
            case LayerType.Dense:
            {
                bool fused = isLast && model.TrainsOnLogits;
                string outputs = isLast ? "_trainOutputs" : $"{field}Output";
                writer.WriteLine(fused
                    ? $"// {layer.Name}: the loss gave dLoss/dlogits; kernel, bias and input gradients from it, all rows of the batch at once."
                    : $"// {layer.Name}: through {layer.Activation}, then kernel, bias and input gradients, all rows of the batch at once.");
                if (previous is not null)
                {
                    writer.WriteLine($"{inputGradient}.Clear();");
                }

                string activation = fused ? "Linear" : layer.Activation.ToString();
                string rows = Rows(layer.InputIsSequence);
                writer.WriteLine($"{Layers}DenseLayer.Backward<{t}>({x}, {rows}, {Int(layer.InputWidth)}, {Weights(context, layer, "Kernel")}, {outputs}, global::RnnCompiler.Activation.{activation}, {SliceOf(gradient, "0", $"{rows} * {units}")}, {inputGradient}, {Weights(context, layer, "Kernel", "g")}, {Weights(context, layer, "Bias", "g")});");
                return;
            }
        }

        string forwardGradients = field + Directions(layer)[0] + "HiddenGradients";
        if (!layer.Bidirectional)
        {
            if (layer.OutputIsSequence)
            {
                writer.WriteLine($"// {layer.Name}: dLoss/dh[t] at every step of every sequence.");
                writer.WriteLine($"{SliceOf(gradient, "0", $"sequences * steps * {units}")}.CopyTo({forwardGradients});");
            }
            else
            {
                writer.WriteLine($"// {layer.Name}: only each sequence's last h was used.");
                writer.WriteLine($"{SliceOf(forwardGradients, "0", $"sequences * steps * {units}")}.Clear();");
                using (writer.Block("for (int b = 0; b < sequences; b++)"))
                {
                    writer.WriteLine($"{SliceOf(gradient, $"b * {units}", units)}.CopyTo({Row(forwardGradients, "b * steps + steps - 1", units)});");
                }

                writer.WriteLine();
            }
        }
        else
        {
            string forwardHidden = field + "ForwardHidden";
            string backwardHidden = field + "BackwardHidden";
            string backwardGradients = field + "BackwardHiddenGradients";
            string mode = $"global::RnnCompiler.MergeMode.{layer.MergeMode}";
            string width = Int(layer.OutputWidth);
            if (layer.OutputIsSequence)
            {
                writer.WriteLine($"// {layer.Name}: split the merged gradient ({layer.MergeMode}) between the directions at every step of every sequence.");
                writer.WriteLine($"{Layers}BidirectionalMerge.Backward<{t}>({mode}, {SliceOf(gradient, "0", $"sequences * steps * {width}")}, {forwardHidden}, {backwardHidden}, sequences * steps, {units}, {forwardGradients}, {backwardGradients});");
            }
            else
            {
                writer.WriteLine($"// {layer.Name}: each sequence's forward last step and backward first step were merged ({layer.MergeMode}).");
                writer.WriteLine($"{SliceOf(forwardGradients, "0", $"sequences * steps * {units}")}.Clear();");
                writer.WriteLine($"{SliceOf(backwardGradients, "0", $"sequences * steps * {units}")}.Clear();");
                using (writer.Block("for (int b = 0; b < sequences; b++)"))
                {
                    writer.WriteLine($"{Layers}BidirectionalMerge.Backward<{t}>({mode}, {Row(gradient, "b", width)}, "
                        + $"{Row(forwardHidden, "b * steps + steps - 1", units)}, {Row(backwardHidden, "b * steps", units)}, 1, {units}, "
                        + $"{Row(forwardGradients, "b * steps + steps - 1", units)}, {Row(backwardGradients, "b * steps", units)});");
                }

                writer.WriteLine();
            }
        }

        if (previous is not null)
        {
            writer.WriteLine($"// {layer.Name}: dLoss/d(its inputs) starts from zero; {(layer.Bidirectional ? "both directions add to it" : "the pass adds to it")}.");
            writer.WriteLine($"{inputGradient}.Clear();");
        }

        foreach (string direction in Directions(layer))
        {
            bool reverse = direction == "Backward";
            string buffer = field + direction;
            string head = $"<{t}>({x}, sequences, steps, {Int(layer.InputWidth)}, {units}, {Weights(context, layer, direction + "Kernel")}, {Weights(context, layer, direction + "RecurrentKernel")}";
            string tail = $"hiddenGradients: {buffer}HiddenGradients, inputGradients: {inputGradient}, "
                + $"kernelGradients: {Weights(context, layer, direction + "Kernel", "g")}, recurrentKernelGradients: {Weights(context, layer, direction + "RecurrentKernel", "g")}, biasGradients: {Weights(context, layer, direction + "Bias", "g")}, scratch: {field}BackwardScratch);";
            string hidden = Initial(context, layer, "Hidden", forward: false);
            writer.WriteLine($"// {layer.Name}{(direction.Length == 0 ? string.Empty : " " + direction.ToLowerInvariant())}: backpropagation through time, every sequence in lock step, {(reverse ? "first step to last" : "last step to first")}.");
            writer.WriteLine(layer.Type switch
            {
                LayerType.Lstm => $"{Layers}LstmLayer.BackwardBatch{head}, reverse: {Bool(reverse)}, initialHidden: {hidden}, initialCell: {Initial(context, layer, "Cell", forward: false)}, gates: {buffer}Gates, cells: {buffer}Cells, hidden: {buffer}Hidden, {tail}",
                LayerType.Gru => $"{Layers}GruLayer.BackwardBatch{head}, resetAfter: {Bool(layer.ResetAfter)}, reverse: {Bool(reverse)}, initialHidden: {hidden}, gates: {buffer}Gates, candidates: {buffer}Candidates, hidden: {buffer}Hidden, {tail}",
                _ => $"{Layers}SimpleRnnLayer.BackwardBatch{head}, global::RnnCompiler.Activation.{layer.Activation}, reverse: {Bool(reverse)}, initialHidden: {hidden}, hidden: {buffer}Hidden, {tail}",
            });
        }
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
                    if (layer.Type == LayerType.Lstm)
                    {
                        writer.WriteLine($"{SliceOf($"{field}Cells", $"(b * steps + steps - 1) * {units}", units)}.CopyTo({SliceOf($"{field}TrainCellNext", $"(first + b) * {units}", units)});");
                    }
                }
            }
        }

        writer.WriteLine();
    }
}
