using System.Globalization;
using System.Linq;
using RnnCompiler.Generators.Model;
using RnnCompiler.Generators.Layers;
using static RnnCompiler.Generators.Emit.CSharp;

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

    internal static string InputType(NetworkModel model) => model.TakesTokens ? "int" : model.ElementType;

    private static string TargetType(NetworkModel model) => model.Training!.Loss == LossKind.SparseCategoricalCrossentropy ? "int" : model.ElementType;

    public static void Write(EmitContext context)
    {
        WriteFields(context);
        WritePublicMembers(context);
        WriteRunBatch(context);
        if (!context.Model.HasWorkspaces)
        {
            // With Parallelism > 1 the passes are the Workspace's (WorkspaceEmitter).
            LockStepEmitter.WritePasses(context);
        }

        if (context.Model.Training!.Stateful)
        {
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
                context.Buffer(buffer);
            }
        }

        context.Member("The number of updates applied (Adam's step).", "private long _updateCount;");
        context.Member("The number of batches skipped for a non-finite loss or gradient.", "private long _skippedUpdates;");
        context.Member("The accuracy of the last batch run.", $"private {t} _lastAccuracy = {t}.NaN;");
        context.Member("The learning rate of the next update without a schedule: the declared rate until changed.", "private double _learningRate = s_optimizer.LearningRate;");
        context.Member("The learning rate schedule, or null.", "private global::RnnCompiler.Training.LearningRateSchedule? _learningRateSchedule;");
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
            + (model.OutputSteps > 0 ? $" for each of the {Int(model.OutputSteps)} output steps of each sequence" : model.OutputIsSequence ? " per step of each sequence" : " per sequence");
        string sequences = $"{Guard}.SequencesFromTargets(targets.Length, {(model.OutputSteps > 0 ? "OutputSteps" : model.OutputIsSequence ? "SequenceLength" : "1")}, {Int(model.TargetsPerRow)}, BatchSize, nameof(targets))";
        string interfaceName = InterfaceName(model);

        context.Member("The gradients of the last <c>ComputeGradients</c> or <c>TrainBatch</c>, in the layout of <see cref=\"Parameters\"/>.", $"public {Span}<{t}> Gradients => _gradients;");
        context.Member("The number of optimizer updates applied so far.", "public long UpdateCount => _updateCount;");
        context.Member("The number of batches whose loss or gradient was not finite: their update was skipped and the weights kept.", "public long SkippedUpdates => _skippedUpdates;");
        context.Member("The accuracy of the last batch run (NaN for regression losses).", $"public {t} LastAccuracy => _lastAccuracy;");
        writer.WriteLine("/// <summary>The learning rate of the next update when no <see cref=\"LearningRateSchedule\"/> is set: the declared <c>[Train(LearningRate)]</c> until set; it can be set between batches, and checkpoints keep it.</summary>");
        writer.WriteLine("/// <exception cref=\"global::System.ArgumentOutOfRangeException\">The rate set is negative, infinite or NaN.</exception>");
        writer.WriteLine(context.GeneratedCode);
        using (writer.Block("public double LearningRate"))
        {
            writer.WriteLine("get => _learningRate;");
            writer.WriteLine("set => _learningRate = global::RnnCompiler.Training.LearningRateSchedule.CheckRate(value, nameof(value));");
        }

        writer.WriteLine();
        writer.WriteLine("/// <summary>A schedule of learning rates by step, as Keras's <c>keras.optimizers.schedules</c>, or null: update <c>n</c> (from 0: <see cref=\"UpdateCount\"/> before it) uses the schedule's rate for <c>n</c> instead of <see cref=\"LearningRate\"/>.</summary>");
        writer.WriteLine(context.GeneratedCode);
        using (writer.Block("public global::RnnCompiler.Training.LearningRateSchedule? LearningRateSchedule"))
        {
            writer.WriteLine("get => _learningRateSchedule;");
            writer.WriteLine("set => _learningRateSchedule = value;");
        }

        writer.WriteLine();
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

        string lengthsGuard = $"{Guard}.SequencesFromLengths(lengths.Length, BatchSize, nameof(lengths))";
        string masked = model.MaskZero ? "; steps whose token is 0 are masked (padding, before or after the real tokens)"
            : model.MaskValue is not null ? "; steps whose every feature is the mask value are masked (padding, before or after the real steps)"
            : string.Empty;

        void Overloads(string name, string summary, string returns, string result, string body)
        {
            Doc(summary + (model.OutputFollowsInput
                ? " The batch is the whole of <paramref name=\"targets\"/>: sequences of the full SequenceLength steps (pass the count for shorter ones)."
                : " The batch is the whole of <paramref name=\"targets\"/>: one sequence per target row."), returns);
            writer.WriteLine($"/// <returns>{returns}</returns>");
            writer.WriteLine(context.GeneratedCode);
            writer.WriteLine($"public {result} {name}({input}, {target}) => {name}Core(inputs, targets, {sequences}, default);");
            writer.WriteLine();
            Doc(summary, returns);
            writer.WriteLine("/// <param name=\"sequences\">The sequences in this batch, 1 to BatchSize.</param>");
            writer.WriteLine($"/// <returns>{returns}</returns>");
            writer.WriteLine("/// <exception cref=\"global::System.ArgumentException\">A length, token, class id or target is wrong; nothing has changed.</exception>");
            writer.WriteLine(context.GeneratedCode);
            writer.WriteLine($"public {result} {name}({input}, {target}, int sequences) => {name}Core(inputs, targets, sequences, default);");
            writer.WriteLine();
            writer.WriteLine($"/// <summary>{summary} The sequences have different lengths, each padded to the batch's steps after its real steps (PyTorch's <c>pack_padded_sequence</c>){Xml(masked)}: losses, metrics and gradients leave the padding out, as Keras's masking does.</summary>");
            writer.WriteLine($"/// <param name=\"inputs\">{inputShape}, row-major: every sequence padded to the same 1 to {Int(model.SequenceLength)} steps.</param>");
            writer.WriteLine($"/// <param name=\"targets\">{Xml(targetShape)}{(model.OutputIsSequence ? ", padded as the inputs are" : string.Empty)}.</param>");
            writer.WriteLine("/// <param name=\"lengths\">The real steps of each sequence, 1 to the batch's steps; one per sequence, 1 to BatchSize of them.</param>");
            writer.WriteLine($"/// <returns>{returns}</returns>");
            writer.WriteLine("/// <exception cref=\"global::System.ArgumentException\">A length, token, class id or target is wrong, or a sequence has no unmasked step; nothing has changed.</exception>");
            writer.WriteLine(context.GeneratedCode);
            writer.WriteLine($"public {result} {name}({input}, {target}, {ReadOnlySpan}<int> lengths) => {name}Core(inputs, targets, {lengthsGuard}, lengths);");
            writer.WriteLine();
            writer.WriteLine($"/// <summary>{name} over a batch whose lengths are given (empty: every sequence has the batch's steps).</summary>");
            writer.WriteLine(context.GeneratedCode);
            using (writer.Block($"private {result} {name}Core({input}, {target}, int sequences, {ReadOnlySpan}<int> lengths)"))
            {
                context.Guarded(() =>
                {
                    foreach (string line in body.Split('\n'))
                    {
                        writer.WriteLine(line);
                    }
                });
            }

            writer.WriteLine();
        }

        string commit = model.Training.Stateful ? "CommitTrainingState(sequences);\n" : string.Empty;
        Overloads(
            "TrainBatch",
            "Trains on one batch: forward, backpropagation through time, clipping and one optimizer update. A batch whose loss or gradient is not finite changes nothing and is counted in <see cref=\"SkippedUpdates\"/>.",
            "The mean loss of the batch, before the update.",
            t,
            $"{t} loss = RunBatch(inputs, targets, sequences, lengths, backward: true);\n"
            + "// A batch whose loss or gradient is not finite is skipped: the weights stay as they were.\n"
            + $"if (!{t}.IsFinite(loss) || !global::RnnCompiler.Training.Optimizers.AllFinite<{t}>(_gradients))\n{{\n    _skippedUpdates++;\n    return loss;\n}}\n\n"
            + "// This update's rate (the schedule's for step UpdateCount, else LearningRate), found before anything changes;\n"
            + (model.Training.Stateful
                ? "// then the batch's final states kept for the next batch, the gradients clipped, and one optimizer step.\n"
                : "// then the gradients clipped and one optimizer step.\n")
            + "double learningRate = global::RnnCompiler.Training.LearningRateSchedule.RateAt(_learningRateSchedule, _learningRate, _updateCount);\n"
            + commit
            + $"global::RnnCompiler.Training.Optimizers.Clip<{t}>(s_optimizer, s_layers, _gradients);\n"
            + "_updateCount++;\n"
            + $"global::RnnCompiler.Training.Optimizers.Apply<{t}>(s_optimizer, learningRate, _parameters, _gradients, _optimizerFirst, _optimizerSecond, _updateCount);\n"
            + (PanelEmitter.Applies(model) ? PanelEmitter.MarkStale + "\n" : string.Empty)
            + "return loss;");
        Overloads(
            "ComputeGradients",
            "Computes the batch's mean loss and its exact gradients into <see cref=\"Gradients\"/>, without an update.",
            "The mean loss of the batch.",
            t,
            $"{t} loss = RunBatch(inputs, targets, sequences, lengths, backward: true);\n"
            + (model.Training.Stateful ? $"if ({t}.IsFinite(loss))\n{{\n    CommitTrainingState(sequences);\n}}\n\n" : string.Empty)
            + "return loss;");
        Overloads(
            "Evaluate",
            "The mean loss and accuracy of a batch, from a zero state; weights and states do not change.",
            "The mean loss, and the accuracy (NaN for regression losses).",
            $"({t} Loss, {t} Accuracy)",
            $"{t} loss = RunBatch(inputs, targets, sequences, lengths, backward: false);\nreturn (loss, _lastAccuracy);");

        writer.WriteLine("/// <summary>Writes the weights, the optimizer's moments and its step count as safetensors, so that training can resume exactly.</summary>");
        writer.WriteLine("/// <param name=\"stream\">A writable stream; it is left open.</param>");
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine($"public void SaveCheckpoint(global::System.IO.Stream stream) => global::RnnCompiler.Training.Checkpoint.Save<{t}>(stream, s_layers, s_optimizer, _learningRate, _parameters, _optimizerFirst, _optimizerSecond, _updateCount, _skippedUpdates);");
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
            writer.WriteLine($"global::RnnCompiler.Training.Checkpoint.Load<{t}>(stream, s_layers, s_optimizer, _parameters, _optimizerFirst, _optimizerSecond, out long step, out long skipped, out double learningRate);");
            writer.WriteLine("_updateCount = step;");
            writer.WriteLine("_learningRate = learningRate;");
            writer.WriteLine("_skippedUpdates = skipped;");
            if (PanelEmitter.Applies(model))
            {
                writer.WriteLine(PanelEmitter.MarkStale);
            }
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
            ? "/// <summary>Checks a batch, then runs its fixed shares of sequences at once, each share in lock step in its own workspace, and adds up their losses and gradients in share order.</summary>"
            : "/// <summary>Checks a batch, then runs all its sequences forward in lock step, through the loss and (when <paramref name=\"backward\"/>) backward in lock step, summing the gradients.</summary>");
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine(EmitContext.HotPath);
        using (writer.Block($"private {t} RunBatch({ReadOnlySpan}<{InputType(model)}> inputs, {ReadOnlySpan}<{TargetType(model)}> targets, int sequences, {ReadOnlySpan}<int> lengths, bool backward)"))
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
            WritePacking(context);
            if (model.HasWorkspaces)
            {
                WriteSharedBatch(context);
            }
            else
            {
                LockStepEmitter.WriteBatch(context);
                WriteBatchResult(context);
            }
        }

        writer.WriteLine();
    }

    /// <summary>The output rows of one sequence, as an expression in <c>steps</c>.</summary>
    internal static string Rows(NetworkModel model) => model.OutputRows("steps");

    /// <summary>
    /// The packing of a batch whose sequences have different lengths (given, or from the mask): afterwards <c>inputs</c>,
    /// <c>targets</c> and <c>lengths</c> are the packed ones, or <c>lengths</c> is empty and the batch runs as it came.
    /// </summary>
    private static void WritePacking(EmitContext context)
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        string target = TargetType(model);
        if (model.Training!.Stateful)
        {
            writer.WriteLine("// Stateful training carries each row's state after its last step: every sequence has the batch's steps.");
            writer.WriteLine($"{Guard}.EqualLengths(lengths, sequences, steps, nameof(lengths));");
            writer.WriteLine("lengths = default;");
            return;
        }

        writer.WriteLine(model.Masks
            ? "// Sequences of different lengths (given, or from the mask) are packed: each one's real steps first, the longest sequence first."
            : "// Sequences of different lengths are packed: the longest sequence first, so that each step runs the sequences still running.");
        // Targets move with their sequence: per step when the outputs follow the input's steps, else a block per sequence
        // (one row, or OutputSteps rows after a [RepeatVector]).
        string perStep = Bool(model.OutputFollowsInput);
        string targetsPerBlock = model.OutputSteps > 0 ? $"OutputSteps * {Int(model.TargetsPerRow)}" : Int(model.TargetsPerRow);
        string call = model.TakesTokens
            ? $"global::RnnCompiler.Training.SequencePacking.PackTokens<{target}>(inputs, targets, sequences, steps, perStep: {perStep}, {targetsPerBlock}, lengths, maskZero: {Bool(model.MaskZero)}, _batchInputs, _batchTargets, _batchLengths, _batchOrder, nameof(inputs))"
            : $"global::RnnCompiler.Training.SequencePacking.PackFeatures<{t}, {target}>(inputs, InputFeatures, targets, sequences, steps, perStep: {perStep}, {targetsPerBlock}, lengths, masking: {Bool(model.MaskValue is not null)}, maskValue: {MaskValue(model)}, _batchInputs, _batchTargets, _batchLengths, _batchOrder, nameof(inputs))";
        using (writer.Block($"if ({call})"))
        {
            string perStepInputs = model.TakesTokens ? string.Empty : " * InputFeatures";
            writer.WriteLine($"inputs = {Prefix("_batchInputs", model.TakesTokens, $"sequences * steps{perStepInputs}")};");
            writer.WriteLine($"targets = {Prefix("_batchTargets", target == "int", "targets.Length")};");
            writer.WriteLine($"lengths = {Prefix("_batchLengths", true, "sequences")};");
        }

        using (writer.Block("else"))
        {
            writer.WriteLine("lengths = default;");
        }

        writer.WriteLine();
    }

    /// <summary>The first <paramref name="length"/> elements of a buffer: of an int array, or of an aligned buffer.</summary>
    private static string Prefix(string buffer, bool isInt, string length) =>
        isInt ? $"new {Span}<int>({buffer}, 0, {length})" : $"{buffer}.Span.Slice(0, {length})";

    /// <summary>The mask value of a [Masking] model as a literal of the model's type (0 when it has none).</summary>
    internal static string MaskValue(NetworkModel model) =>
        model.IsDouble ? $"{Float(model.MaskValue ?? 0)}d" : $"{((float)(model.MaskValue ?? 0)).ToString("R", CultureInfo.InvariantCulture)}f";

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
        writer.WriteLine("// The shares run on other threads too, which a span cannot reach: the batch where they can read it (packed, it is there).");
        using (writer.Block("if (lengths.IsEmpty)"))
        {
            writer.WriteLine("inputs.CopyTo(_batchInputs);");
            writer.WriteLine("targets.CopyTo(_batchTargets);");
        }

        writer.WriteLine();
        writer.WriteLine($"{t} scale = 1 / ({t}){LockStepEmitter.Counted(model)};");
        writer.WriteLine("EnsureWorkspaces();");
        writer.WriteLine("int shares = _workspaces.Length;");
        writer.WriteLine("// Share k runs the fixed contiguous sequences [k·sequences/shares, (k+1)·sequences/shares) in its own workspace");
        writer.WriteLine("// (none when the batch is smaller than the shares); share 0 adds to _gradients itself, the others to their own.");
        using (writer.Block("for (int k = 0; k < shares; k++)"))
        {
            writer.WriteLine($"_workspaces[k].Prepare(k * sequences / shares, (k + 1) * sequences / shares, steps, scale, !lengths.IsEmpty, backward{(model.HasDropout ? ", _updateCount" : string.Empty)});");
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
                writer.WriteLine($"{SliceOf($"{field}TrainHiddenNext", "0", $"sequences * {units}")}.CopyTo({field}TrainHidden);");
                if (layer.Descriptor is RecurrentLayer { HasCell: true })
                {
                    writer.WriteLine($"{SliceOf($"{field}TrainCellNext", "0", $"sequences * {units}")}.CopyTo({field}TrainCell);");
                }
            }
        }

        writer.WriteLine();
    }

    /// <summary>A float attribute value as the double the optimizer uses: the exact value of the float.</summary>
    private static string Float(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
