using System.Globalization;
using System.Linq;
using RnnCompiler.Generators.Model;
using static RnnCompiler.Generators.Emit.ModelEmitter;

namespace RnnCompiler.Generators.Emit;

/// <summary>
/// Emits training for a model with <c>[Train]</c>: buffers for gradients and optimizer moments, the batch loop
/// (forward, fused loss, backpropagation through time), the update with clipping, evaluation and checkpoints.
/// The backward pass of each layer kind lives once in the runtime (<c>RnnCompiler.Layers.*.Backward</c>); this writes
/// the calls, last layer first, with constant shapes.
/// </summary>
internal static class TrainingEmitter
{
    private const string Guard = "global::RnnCompiler.Training.TrainingGuard";

    public static string InterfaceName(NetworkModel model) =>
        $"global::RnnCompiler.Training.ITrainableModel<{model.ElementType}, {InputType(model)}, {TargetType(model)}>";

    private static string InputType(NetworkModel model) => model.TakesTokens ? "int" : model.ElementType;

    private static string TargetType(NetworkModel model) => model.Training!.Loss == LossKind.SparseCategoricalCrossentropy ? "int" : model.ElementType;

    public static void Write(EmitContext context)
    {
        WriteFields(context);
        WritePublicMembers(context);
        WriteRunBatch(context);
        if (context.Model.LockStep)
        {
            if (!context.Model.HasWorkspaces)
            {
                // With Parallelism > 1 the passes are the Workspace's (WorkspaceEmitter).
                LockStepEmitter.WritePasses(context);
            }

            if (context.Model.Training!.Stateful)
            {
                WriteCommitTrainingState(context);
            }

            return;
        }

        if (!context.Model.HasWorkspaces)
        {
            // With Parallelism > 1 the per-sequence passes are the Workspace's (WorkspaceEmitter).
            WriteRunBackward(context);
        }

        if (context.Model.Training!.Stateful)
        {
            if (!context.Model.HasWorkspaces)
            {
                WriteKeepTrainingState(context);
            }

            WriteCommitTrainingState(context);
        }
    }

    private static void WriteFields(EmitContext context)
    {
        NetworkModel model = context.Model;
        TrainingDeclaration training = model.Training!;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        context.Member("The most sequences in one training batch.", $"public const int BatchSize = {Int(training.BatchSize)};");
        string settings =
            $"new(global::RnnCompiler.Optimizer.{training.Optimizer}, LearningRate: {Float(training.LearningRate)}, Momentum: {Float(training.Momentum)}, Nesterov: {Bool(training.Nesterov)}, "
            + $"Beta1: {Float(training.Beta1)}, Beta2: {Float(training.Beta2)}, Rho: {Float(training.Rho)}, Epsilon: {Float(training.Epsilon)}, "
            + $"ClipNorm: {Float(training.ClipNorm)}, GlobalClipNorm: {Float(training.GlobalClipNorm)}, ClipValue: {Float(training.ClipValue)})";
        context.Member($"The optimizer ({training.Optimizer}) and its gradient clipping.", $"private static readonly global::RnnCompiler.Training.OptimizerSettings s_optimizer = {settings};");
        context.Member("The training configuration, for code that trains models generically.",
            $"private static readonly global::RnnCompiler.Training.TrainingInfo s_training = new(BatchSize, global::RnnCompiler.Loss.{training.Loss}, {Int(model.TargetsPerRow)}, {Bool(training.Stateful)}, s_optimizer);");
        foreach (BufferSpec buffer in BufferPlan.For(model))
        {
            if (buffer.Kind == BufferKind.Training && !buffer.InWorkspace)
            {
                context.Buffer(buffer.Name, buffer.Size, buffer.Summary, buffer.ElementType);
            }
        }

        context.Member("The number of updates applied (Adam's step).", "private long _updateCount;");
        context.Member("The number of batches skipped for a non-finite loss or gradient.", "private long _skippedUpdates;");
        context.Member("The accuracy of the last batch run.", $"private {t} _lastAccuracy = {t}.NaN;");
    }

    private static void WritePublicMembers(EmitContext context)
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        string input = $"{ReadOnlySpan}<{InputType(model)}> inputs";
        string target = $"{ReadOnlySpan}<{TargetType(model)}> targets";
        string inputShape = model.TakesTokens ? "[sequences, steps] token ids" : $"[sequences, steps, {Int(model.InputWidth)}]";
        string targetShape = (model.Training!.Loss == LossKind.SparseCategoricalCrossentropy ? "class ids" : $"{Int(model.OutputWidth)} values")
            + (model.OutputIsSequence ? " per step of each sequence" : " per sequence");
        string sequences = model.OutputIsSequence ? "BatchSize" : $"global::System.Math.Max(1, targets.Length / {Int(model.TargetsPerRow)})";
        string interfaceName = InterfaceName(model);

        context.Member("The gradients of the last <c>ComputeGradients</c> or <c>TrainBatch</c>, in the layout of <see cref=\"Parameters\"/>.", $"public {Span}<{t}> Gradients => _gradients;");
        context.Member("The number of optimizer updates applied so far.", "public long UpdateCount => _updateCount;");
        context.Member("The number of batches whose loss or gradient was not finite: their update was skipped and the weights kept.", "public long SkippedUpdates => _skippedUpdates;");
        context.Member("The accuracy of the last batch run (NaN for regression losses).", $"public {t} LastAccuracy => _lastAccuracy;");
        writer.WriteLine("/// <inheritdoc/>");
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine($"global::RnnCompiler.Training.TrainingInfo {interfaceName}.Training => s_training;");
        writer.WriteLine();

        void Doc(string summary, string returns)
        {
            writer.WriteLine($"/// <summary>{summary}</summary>");
            writer.WriteLine($"/// <param name=\"inputs\">{inputShape}, row-major; every sequence has the same 1 to {Int(model.SequenceLength)} steps.</param>");
            writer.WriteLine($"/// <param name=\"targets\">{Xml(targetShape)}.</param>");
        }

        void Overloads(string name, string summary, string returns, string result, string body)
        {
            Doc(summary + $" The batch holds all of <paramref name=\"targets\"/>{(model.OutputIsSequence ? " (BatchSize sequences)" : string.Empty)}.", returns);
            writer.WriteLine($"/// <returns>{returns}</returns>");
            writer.WriteLine(context.GeneratedCode);
            writer.WriteLine($"public {result} {name}({input}, {target}) => {name}(inputs, targets, {sequences});");
            writer.WriteLine();
            Doc(summary, returns);
            writer.WriteLine("/// <param name=\"sequences\">The sequences in this batch, 1 to BatchSize.</param>");
            writer.WriteLine($"/// <returns>{returns}</returns>");
            writer.WriteLine("/// <exception cref=\"global::System.ArgumentException\">A length, token, class id or target is wrong; nothing has changed.</exception>");
            writer.WriteLine(context.GeneratedCode);
            using (writer.Block($"public {result} {name}({input}, {target}, int sequences)"))
            {
                foreach (string line in body.Split('\n'))
                {
                    writer.WriteLine(line);
                }
            }

            writer.WriteLine();
        }

        string commit = model.Training.Stateful ? "CommitTrainingState(sequences);\n" : string.Empty;
        Overloads(
            "TrainBatch",
            "Trains on one batch: forward, backpropagation through time, clipping and one optimizer update. A batch whose loss or gradient is not finite changes nothing and is counted in <see cref=\"SkippedUpdates\"/>.",
            "The mean loss of the batch, before the update.",
            t,
            $"{t} loss = RunBatch(inputs, targets, sequences, backward: true);\n"
            + $"if (!{t}.IsFinite(loss) || !global::RnnCompiler.Training.Optimizers.AllFinite<{t}>(_gradients))\n{{\n    _skippedUpdates++;\n    return loss;\n}}\n\n"
            + commit
            + $"global::RnnCompiler.Training.Optimizers.Clip<{t}>(s_optimizer, s_layers, _gradients);\n"
            + "_updateCount++;\n"
            + $"global::RnnCompiler.Training.Optimizers.Apply<{t}>(s_optimizer, _parameters, _gradients, _optimizerFirst, _optimizerSecond, _updateCount);\n"
            + "return loss;");
        Overloads(
            "ComputeGradients",
            "Computes the batch's mean loss and its exact gradients into <see cref=\"Gradients\"/>, without an update.",
            "The mean loss of the batch.",
            t,
            $"{t} loss = RunBatch(inputs, targets, sequences, backward: true);\n"
            + (model.Training.Stateful ? $"if ({t}.IsFinite(loss))\n{{\n    CommitTrainingState(sequences);\n}}\n\n" : string.Empty)
            + "return loss;");
        Overloads(
            "Evaluate",
            "The mean loss and accuracy of a batch, from a zero state; weights and states do not change.",
            "The mean loss, and the accuracy (NaN for regression losses).",
            $"({t} Loss, {t} Accuracy)",
            $"{t} loss = RunBatch(inputs, targets, sequences, backward: false);\nreturn (loss, _lastAccuracy);");

        writer.WriteLine("/// <summary>Writes the weights, the optimizer's moments and its step count as safetensors, so that training can resume exactly.</summary>");
        writer.WriteLine("/// <param name=\"stream\">A writable stream; it is left open.</param>");
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine($"public void SaveCheckpoint(global::System.IO.Stream stream) => global::RnnCompiler.Training.Checkpoint.Save<{t}>(stream, s_layers, s_optimizer, _parameters, _optimizerFirst, _optimizerSecond, _updateCount, _skippedUpdates);");
        writer.WriteLine();
        writer.WriteLine("/// <summary>Writes a checkpoint to a temporary file and then replaces <paramref name=\"path\"/> with it, so an interrupted save keeps the previous checkpoint.</summary>");
        writer.WriteLine("/// <param name=\"path\">The checkpoint file.</param>");
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine("public void SaveCheckpoint(string path) => global::RnnCompiler.Training.Checkpoint.WriteAtomically(path, SaveCheckpoint);");
        writer.WriteLine();
        writer.WriteLine("/// <summary>Reads a checkpoint written by <see cref=\"SaveCheckpoint(global::System.IO.Stream)\"/>; nothing changes unless the whole file is valid.</summary>");
        writer.WriteLine("/// <param name=\"stream\">A readable stream; it is left open.</param>");
        writer.WriteLine("/// <exception cref=\"global::System.IO.InvalidDataException\">The file is damaged, is for another optimizer, or lacks a tensor.</exception>");
        writer.WriteLine(context.GeneratedCode);
        using (writer.Block("public void LoadCheckpoint(global::System.IO.Stream stream)"))
        {
            writer.WriteLine($"global::RnnCompiler.Training.Checkpoint.Load<{t}>(stream, s_layers, s_optimizer, _parameters, _optimizerFirst, _optimizerSecond, out long step, out long skipped);");
            writer.WriteLine("_updateCount = step;");
            writer.WriteLine("_skippedUpdates = skipped;");
        }

        writer.WriteLine();
        writer.WriteLine("/// <summary>Reads a checkpoint file; nothing changes unless the whole file is valid.</summary>");
        writer.WriteLine("/// <param name=\"path\">The checkpoint file.</param>");
        writer.WriteLine(context.GeneratedCode);
        using (writer.Block("public void LoadCheckpoint(string path)"))
        {
            writer.WriteLine("using var stream = global::System.IO.File.OpenRead(path);");
            writer.WriteLine("LoadCheckpoint(stream);");
        }

        writer.WriteLine();
    }

    private static void WriteRunBatch(EmitContext context)
    {
        NetworkModel model = context.Model;
        TrainingDeclaration training = model.Training!;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        bool sparse = training.Loss == LossKind.SparseCategoricalCrossentropy;
        string perStep = model.TakesTokens ? "1" : "InputFeatures";
        writer.WriteLine(model.HasWorkspaces
            ? "/// <summary>Checks a batch, then runs its fixed shares of sequences at once, each in its own workspace, and adds up their losses and gradients in share order.</summary>"
            : model.LockStep
            ? "/// <summary>Checks a batch, then runs all its sequences forward in lock step, through the loss and (when <paramref name=\"backward\"/>) backward in lock step, summing the gradients.</summary>"
            : "/// <summary>Checks a batch, then runs each sequence forward, through the loss and (when <paramref name=\"backward\"/>) backward, summing the gradients.</summary>");
        writer.WriteLine(context.GeneratedCode);
        using (writer.Block($"private {t} RunBatch({ReadOnlySpan}<{InputType(model)}> inputs, {ReadOnlySpan}<{TargetType(model)}> targets, int sequences, bool backward)"))
        {
            writer.WriteLine("// Check the whole batch before anything changes.");
            writer.WriteLine($"int steps = {Guard}.Steps(inputs.Length, sequences, {perStep}, SequenceLength, BatchSize, nameof(inputs));");
            if (model.TakesTokens)
            {
                writer.WriteLine($"{Guard}.Tokens(inputs, VocabularySize, nameof(inputs));");
            }

            writer.WriteLine($"int rows = {Rows(model)};");
            writer.WriteLine(sparse
                ? $"{Guard}.Labels(targets, sequences * rows, OutputUnits, nameof(targets));"
                : $"{Guard}.Targets<{t}>(targets, sequences * rows * OutputUnits, nameof(targets));");
            if (model.HasWorkspaces)
            {
                WriteSharedBatch(context);
            }
            else if (model.LockStep)
            {
                LockStepEmitter.WriteBatch(context);
                WriteBatchResult(context);
            }
            else
            {
                using (writer.Block("if (backward)"))
                {
                    writer.WriteLine("global::System.Array.Clear(_gradients);");
                }

                writer.WriteLine();
                writer.WriteLine($"{t} total = 0;");
                writer.WriteLine($"{t} correct = 0;");
                writer.WriteLine($"{t} scale = 1 / ({t})(sequences * rows);");
                writer.WriteLine("// One sequence at a time: forward, the loss, and backpropagation through time adding to _gradients.");
                using (writer.Block("for (int b = 0; b < sequences; b++)"))
                {
                    WriteSequence(context);
                }

                writer.WriteLine();
                WriteBatchResult(context);
            }
        }

        writer.WriteLine();
    }

    /// <summary>The output rows of one sequence, as an expression in <c>steps</c>.</summary>
    internal static string Rows(NetworkModel model) => model.OutputIsSequence ? "steps" : "1";

    /// <summary>
    /// The body of the batch loop for sequence <c>b</c>: forward, the fused loss, and backpropagation through time adding
    /// to <c>_gradients</c>. It reads the locals <c>inputs</c>, <c>targets</c>, <c>steps</c>, <c>rows</c>, <c>scale</c>
    /// and <c>backward</c>, and adds to <c>total</c> and <c>correct</c>; the model's batch loop and a Workspace's share
    /// run the same code.
    /// </summary>
    internal static void WriteSequence(EmitContext context)
    {
        NetworkModel model = context.Model;
        TrainingDeclaration training = model.Training!;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        bool sparse = training.Loss == LossKind.SparseCategoricalCrossentropy;
        string perStep = model.TakesTokens ? "1" : "InputFeatures";
        writer.WriteLine($"{ReadOnlySpan}<{InputType(model)}> sequence = inputs.Slice(b * steps * {perStep}, steps * {perStep});");
        writer.WriteLine(training.Stateful ? "int stateRow = backward ? b : -1;" : "const int stateRow = -1;");
        writer.WriteLine("RunForward(sequence, steps, _trainOutputs, logits: true, stateRow);");
        string labels = sparse ? "targets.Slice(b * rows, rows)" : "default";
        string values = sparse ? "default" : "targets.Slice(b * rows * OutputUnits, rows * OutputUnits)";
        writer.WriteLine($"// The {training.Loss} loss{(model.TrainsOnLogits ? ", fused with the last activation: it reads the logits and gives dLoss/dlogits" : string.Empty)}, averaged over the batch{(model.OutputIsSequence ? " and its steps" : string.Empty)}.");
        writer.WriteLine($"{Span}<{t}> outputGradients = backward ? new {Span}<{t}>(_outputGradients, 0, rows * OutputUnits) : default;");
        writer.WriteLine($"total += global::RnnCompiler.Training.Losses.Compute<{t}>(global::RnnCompiler.Loss.{training.Loss}, new {ReadOnlySpan}<{t}>(_trainOutputs, 0, rows * OutputUnits), rows, OutputUnits, {labels}, {values}, scale, outputGradients, out {t} right);");
        writer.WriteLine("correct += right;");
        using (writer.Block("if (backward)"))
        {
            writer.WriteLine("RunBackward(sequence, steps, stateRow);");
            if (training.Stateful)
            {
                writer.WriteLine("KeepTrainingState(b, steps);");
            }
        }
    }

    /// <summary>Sets the last accuracy and returns the mean loss, from the locals <c>total</c>, <c>correct</c> and <c>scale</c>.</summary>
    private static void WriteBatchResult(EmitContext context)
    {
        NetworkModel model = context.Model;
        context.Writer.WriteLine(model.Training!.Loss is LossKind.MeanSquaredError or LossKind.MeanAbsoluteError
            ? $"_lastAccuracy = {model.ElementType}.NaN;"
            : "_lastAccuracy = correct * scale;");
        context.Writer.WriteLine("return total * scale;");
    }

    /// <summary>
    /// The rest of RunBatch with Parallelism &gt; 1: the batch copied where every thread can read it, fixed contiguous
    /// shares run by <c>BatchWorkers</c>, and the shares' results added up in share order.
    /// </summary>
    private static void WriteSharedBatch(EmitContext context)
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        writer.WriteLine();
        writer.WriteLine("// The shares run on other threads too, which a span cannot reach: copy the batch where they can read it.");
        writer.WriteLine("inputs.CopyTo(_batchInputs);");
        writer.WriteLine("targets.CopyTo(_batchTargets);");
        writer.WriteLine($"{t} scale = 1 / ({t})(sequences * rows);");
        writer.WriteLine("EnsureWorkspaces();");
        writer.WriteLine("int shares = _workspaces.Length;");
        writer.WriteLine("// Share k runs the fixed contiguous sequences [k·sequences/shares, (k+1)·sequences/shares) in its own workspace");
        writer.WriteLine("// (none when the batch is smaller than the shares); share 0 adds to _gradients itself, the others to their own.");
        using (writer.Block("for (int k = 0; k < shares; k++)"))
        {
            writer.WriteLine("_workspaces[k].Prepare(k * sequences / shares, (k + 1) * sequences / shares, steps, scale, backward);");
        }

        writer.WriteLine();
        writer.WriteLine("_workers.Run();");
        writer.WriteLine();
        writer.WriteLine("// Add the shares up in share order, never in the order their threads finished: the result depends only on the data.");
        writer.WriteLine($"{t} total = 0;");
        writer.WriteLine($"{t} correct = 0;");
        using (writer.Block("for (int k = 0; k < shares; k++)"))
        {
            writer.WriteLine("total += _workspaces[k].Loss;");
            writer.WriteLine("correct += _workspaces[k].Correct;");
            using (writer.Block("if (backward && k > 0)"))
            {
                writer.WriteLine($"global::RnnCompiler.Kernels.MatrixKernels.Axpy<{t}>(1, _workspaces[k].Gradients, _gradients);");
            }
        }

        writer.WriteLine();
        WriteBatchResult(context);
    }

    internal static void WriteRunBackward(EmitContext context, string visibility = "private")
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        string input = model.TakesTokens ? "tokens" : "inputs";
        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// Backpropagation through time over the sequence <see cref=\"RunForward\"/> just ran: from dLoss/d(outputs) in");
        writer.WriteLine("/// <c>_outputGradients</c>, layer by layer from the last, adding every weight's gradient to <c>_gradients</c>.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine(context.GeneratedCode);
        using (writer.Block($"{visibility} void RunBackward({ReadOnlySpan}<{InputType(model)}> {input}, int steps, int stateRow)"))
        {
            writer.WriteLine($"{ReadOnlySpan}<{t}> p = _parameters;");
            writer.WriteLine($"{Span}<{t}> g = _gradients;");
            for (int index = model.Layers.Count - 1; index >= 0; index--)
            {
                writer.WriteLine();
                WriteLayerBackward(context, index, input);
            }
        }

        writer.WriteLine();
    }

    private static void WriteLayerBackward(EmitContext context, int index, string input)
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        LayerModel layer = model.Layers[index];
        LayerModel? previous = index > 0 ? model.Layers[index - 1] : null;
        string field = context.Field(layer);
        bool isLast = layer == model.Last;
        string gradient = isLast ? "_outputGradients" : $"{field}OutputGradients";
        string x = previous is null ? input : OutputExpression(context, previous);
        string rows = layer.InputIsSequence ? "steps" : "1";
        string units = Int(layer.Units);

        // Where this layer's input gradient goes: the previous layer's output gradient, cleared first (the kernels add).
        string inputGradient = "default";
        if (previous is not null)
        {
            string size = previous.OutputIsSequence ? $"steps * {Int(previous.OutputWidth)}" : Int(previous.OutputWidth);
            inputGradient = $"new {Span}<{t}>({context.Field(previous)}OutputGradients, 0, {size})";
        }

        switch (layer.Type)
        {
            case LayerType.Embedding:
                writer.WriteLine($"// {layer.Name}: add each step's gradient to its token's row (only the rows used are touched).");
                writer.WriteLine($"{Layers}EmbeddingLayer.Backward<{t}>(tokens, new {ReadOnlySpan}<{t}>({gradient}, 0, steps * {units}), {units}, {Weights(context, layer, "Embeddings", "g")});");
                return;
            case LayerType.Dense:
            {
                bool fused = isLast && model.TrainsOnLogits;
                string outputs = isLast ? "_trainOutputs" : $"{field}Output";
                writer.WriteLine(fused
                    ? $"// {layer.Name}: the loss gave dLoss/dlogits; kernel, bias and input gradients from it."
                    : $"// {layer.Name}: through {layer.Activation}, then kernel, bias and input gradients.");
                if (previous is not null)
                {
                    writer.WriteLine($"{inputGradient}.Clear();");
                }

                string activation = fused ? "Linear" : layer.Activation.ToString();
                writer.WriteLine($"{Layers}DenseLayer.Backward<{t}>({x}, {rows}, {Int(layer.InputWidth)}, {Weights(context, layer, "Kernel")}, {outputs}, global::RnnCompiler.Activation.{activation}, new {Span}<{t}>({gradient}, 0, {(rows == "1" ? units : rows + " * " + units)}), {inputGradient}, {Weights(context, layer, "Kernel", "g")}, {Weights(context, layer, "Bias", "g")});");
                return;
            }
        }

        string forwardHidden = field + Directions(layer)[0] + "Hidden";
        string forwardGradients = field + Directions(layer)[0] + "HiddenGradients";
        if (!layer.Bidirectional)
        {
            if (layer.OutputIsSequence)
            {
                writer.WriteLine($"// {layer.Name}: dLoss/dh[t] at every step.");
                writer.WriteLine($"new {ReadOnlySpan}<{t}>({gradient}, 0, steps * {units}).CopyTo({forwardGradients});");
            }
            else
            {
                writer.WriteLine($"// {layer.Name}: only the last step's h was used.");
                writer.WriteLine($"new {Span}<{t}>({forwardGradients}, 0, steps * {units}).Clear();");
                writer.WriteLine($"new {ReadOnlySpan}<{t}>({gradient}, 0, {units}).CopyTo(new {Span}<{t}>({forwardGradients}, (steps - 1) * {units}, {units}));");
            }
        }
        else
        {
            string backwardHidden = field + "BackwardHidden";
            string backwardGradients = field + "BackwardHiddenGradients";
            string mode = $"global::RnnCompiler.MergeMode.{layer.MergeMode}";
            if (layer.OutputIsSequence)
            {
                writer.WriteLine($"// {layer.Name}: split the merged gradient ({layer.MergeMode}) between the directions at every step.");
                writer.WriteLine($"{Layers}BidirectionalMerge.Backward<{t}>({mode}, new {ReadOnlySpan}<{t}>({gradient}, 0, steps * {Int(layer.OutputWidth)}), {forwardHidden}, {backwardHidden}, steps, {units}, {forwardGradients}, {backwardGradients});");
            }
            else
            {
                writer.WriteLine($"// {layer.Name}: the forward direction's last step and the backward direction's first were merged ({layer.MergeMode}).");
                writer.WriteLine($"new {Span}<{t}>({forwardGradients}, 0, steps * {units}).Clear();");
                writer.WriteLine($"new {Span}<{t}>({backwardGradients}, 0, steps * {units}).Clear();");
                writer.WriteLine($"{Layers}BidirectionalMerge.Backward<{t}>({mode}, new {ReadOnlySpan}<{t}>({gradient}, 0, {Int(layer.OutputWidth)}), "
                    + $"{SliceOf(context, forwardHidden, $"(steps - 1) * {units}", units)}, {SliceOf(context, backwardHidden, "0", units)}, 1, {units}, "
                    + $"{SliceOf(context, forwardGradients, $"(steps - 1) * {units}", units)}, {SliceOf(context, backwardGradients, "0", units)});");
            }
        }

        if (previous is not null)
        {
            writer.WriteLine($"{inputGradient}.Clear();");
        }

        foreach (string direction in Directions(layer))
        {
            bool reverse = direction == "Backward";
            string buffer = field + direction;
            string head = $"({x}, steps, {Int(layer.InputWidth)}, {units}, {Weights(context, layer, direction + "Kernel")}, {Weights(context, layer, direction + "RecurrentKernel")}";
            string tail = $"hiddenGradients: {buffer}HiddenGradients, inputGradients: {inputGradient}, "
                + $"kernelGradients: {Weights(context, layer, direction + "Kernel", "g")}, recurrentKernelGradients: {Weights(context, layer, direction + "RecurrentKernel", "g")}, biasGradients: {Weights(context, layer, direction + "Bias", "g")}, scratch: {field}BackwardScratch);";
            string hiddenIn = InitialState(context, layer, "Hidden");
            writer.WriteLine($"// {layer.Name}{(direction.Length == 0 ? string.Empty : " " + direction.ToLowerInvariant())}: backpropagation through time, {(reverse ? "first step to last" : "last step to first")}.");
            writer.WriteLine(layer.Type switch
            {
                LayerType.Lstm => $"{Layers}LstmLayer.Backward<{t}>{head}, reverse: {Bool(reverse)}, initialHidden: {hiddenIn}, initialCell: {InitialState(context, layer, "Cell")}, gates: {buffer}Gates, cells: {buffer}Cells, hidden: {buffer}Hidden, {tail}",
                LayerType.Gru => $"{Layers}GruLayer.Backward<{t}>{head}, resetAfter: {Bool(layer.ResetAfter)}, reverse: {Bool(reverse)}, initialHidden: {hiddenIn}, gates: {buffer}Gates, candidates: {buffer}Candidates, hidden: {buffer}Hidden, {tail}",
                _ => $"{Layers}SimpleRnnLayer.Backward<{t}>{head}, global::RnnCompiler.Activation.{layer.Activation}, reverse: {Bool(reverse)}, initialHidden: {hiddenIn}, hidden: {buffer}Hidden, {tail}",
            });
        }
    }

    /// <summary>The expression of a (non-last) layer's forward output, as RunForward leaves it.</summary>
    private static string OutputExpression(EmitContext context, LayerModel layer)
    {
        string field = context.Field(layer);
        if (!layer.IsRecurrent || layer.Bidirectional)
        {
            return $"{field}Output";
        }

        return layer.OutputIsSequence
            ? $"{field}Hidden"
            : SliceOf(context, field + "Hidden", $"(steps - 1) * {Int(layer.Units)}", Int(layer.Units));
    }

    internal static void WriteKeepTrainingState(EmitContext context, string visibility = "private")
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        var recurrent = model.Layers.Where(layer => layer.IsRecurrent).ToList();
        writer.WriteLine("/// <summary>Keeps a batch row's final states, to carry into the next batch once this one proves finite.</summary>");
        writer.WriteLine(context.GeneratedCode);
        using (writer.Block($"{visibility} void KeepTrainingState(int row, int steps)"))
        {
            foreach (LayerModel layer in recurrent)
            {
                string field = context.Field(layer);
                string units = Int(layer.Units);
                writer.WriteLine($"new {ReadOnlySpan}<{t}>({field}Hidden, (steps - 1) * {units}, {units}).CopyTo(new {Span}<{t}>({field}TrainHiddenNext, row * {units}, {units}));");
                if (layer.Type == LayerType.Lstm)
                {
                    writer.WriteLine($"new {ReadOnlySpan}<{t}>({field}Cells, (steps - 1) * {units}, {units}).CopyTo(new {Span}<{t}>({field}TrainCellNext, row * {units}, {units}));");
                }
            }
        }

        writer.WriteLine();
    }

    private static void WriteCommitTrainingState(EmitContext context)
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        var recurrent = model.Layers.Where(layer => layer.IsRecurrent).ToList();
        writer.WriteLine("/// <summary>Makes the kept final states of the batch's rows the states the next batch starts from.</summary>");
        writer.WriteLine(context.GeneratedCode);
        using (writer.Block("private void CommitTrainingState(int sequences)"))
        {
            foreach (LayerModel layer in recurrent)
            {
                string field = context.Field(layer);
                string units = Int(layer.Units);
                writer.WriteLine($"new {ReadOnlySpan}<{t}>({field}TrainHiddenNext, 0, sequences * {units}).CopyTo({field}TrainHidden);");
                if (layer.Type == LayerType.Lstm)
                {
                    writer.WriteLine($"new {ReadOnlySpan}<{t}>({field}TrainCellNext, 0, sequences * {units}).CopyTo({field}TrainCell);");
                }
            }
        }

        writer.WriteLine();
    }

    /// <summary>A float attribute value as the double the optimizer uses: the exact value of the float.</summary>
    private static string Float(float value) => "(double)" + value.ToString("R", CultureInfo.InvariantCulture) + "f";
}
