using System.Collections.Generic;
using System.Linq;
using RnnCompiler.Generators.Model;
using static RnnCompiler.Generators.Emit.CSharp;

namespace RnnCompiler.Generators.Emit;

/// <summary>
/// Emits what <c>[Train(Parallelism = N)]</c>, N &gt; 1, adds: a nested <c>Workspace</c> class that holds one share's
/// working memory and gradients and runs its share of the batch in lock step (the passes, and Predict's forward pass and
/// streaming step, written by the same code as for a model without workspaces, so the text is the same), and the model's N
/// workspaces with the <c>BatchWorkers</c> that runs them.
/// </summary>
/// <remarks>
/// The workspace fields that the model also holds (weights, streaming and carried states, the copied batch) refer to
/// the model's buffers under the same names, so the passes read exactly as they do in the model. A field initializer
/// cannot reach the model's other fields, and the generator must not declare a constructor (the user may), so the
/// workspaces are created at the model's first call that needs them.
/// </remarks>
internal static class WorkspaceEmitter
{
    /// <summary>Model buffers that a workspace does not reach: the optimizer's, and the model's summed gradients.</summary>
    private static readonly string[] s_notShared = { "_gradients", "_optimizerFirst", "_optimizerSecond" };

    public static void Write(EmitContext context)
    {
        WriteModelMembers(context);
        WriteWorkspaceClass(context);
    }

    private static void WriteModelMembers(EmitContext context)
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        int workers = model.Workers;
        writer.WriteLine(model.Training is null
            ? $"/// <summary>One workspace per share of a batch of Predict ({Int(workers)}); Predict and Step use the first. Created at first use.</summary>"
            : $"/// <summary>One workspace per share of a training batch ({Int(workers)}); Predict and Step use the first. Created at first use.</summary>");
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine("private Workspace[]? _workspaces;");
        writer.WriteLine();
        writer.WriteLine("/// <summary>Runs the workspaces' shares of a batch at once, the calling thread taking part.</summary>");
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine("private global::RnnCompiler.Training.BatchWorkers? _workers;");
        writer.WriteLine();
        writer.WriteLine("/// <summary>Creates the workspaces and their runner at the first call that needs them; nothing is allocated after that.</summary>");
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine("[global::System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_workspaces), nameof(_workers))]");
        using (writer.Block("private void EnsureWorkspaces()"))
        {
            using (writer.Block("if (_workspaces is not null && _workers is not null)"))
            {
                writer.WriteLine("return;");
            }

            writer.WriteLine();
            writer.WriteLine($"var workspaces = new Workspace[{Int(workers)}];");
            if (model.Training is null)
            {
                using (writer.Block("for (int k = 0; k < workspaces.Length; k++)"))
                {
                    writer.WriteLine("workspaces[k] = new Workspace(this);");
                }
            }
            else
            {
                writer.WriteLine("// Share 0 adds its gradients into the model's own; the others are added to them afterwards, in share order.");
                writer.WriteLine("workspaces[0] = new Workspace(this, _gradients);");
                using (writer.Block("for (int k = 1; k < workspaces.Length; k++)"))
                {
                    writer.WriteLine($"workspaces[k] = new Workspace(this, new {CSharp.AlignedBuffer}<{t}>(ParameterCount));");
                }
            }

            writer.WriteLine();
            writer.WriteLine("_workers = new global::RnnCompiler.Training.BatchWorkers(workspaces);");
            writer.WriteLine("_workspaces = workspaces;");
        }

        writer.WriteLine();
    }

    private static void WriteWorkspaceClass(EmitContext context)
    {
        NetworkModel model = context.Model;
        if (model.Training is null)
        {
            WritePredictWorkspaceClass(context);
            return;
        }

        TrainingDeclaration training = model.Training;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        string input = model.TakesTokens ? "int" : t;
        string target = training.Loss == LossKind.SparseCategoricalCrossentropy ? "int" : t;
        var buffers = BufferPlan.For(model);
        var shared = buffers.Where(buffer => !buffer.InWorkspace && !s_notShared.Contains(buffer.Name)).ToList();

        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// One share's working memory and gradients, and the passes over its sequences that use them. The buffers the model");
        writer.WriteLine("/// also holds (weights, states, the copied batch) are the model's own, under the same names.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine(context.GeneratedCode);
        using (writer.Block($"private sealed class Workspace : global::RnnCompiler.Training.IBatchShare"))
        {
            WriteSharedFields(context, shared);
            writer.WriteLine("/// <summary>This share's gradients: the model's own for share 0; the model adds the others to them in share order.</summary>");
            writer.WriteLine(context.GeneratedCode);
            writer.WriteLine($"private readonly {CSharp.AlignedBuffer}<{t}> _gradients;");
            writer.WriteLine();
            foreach (BufferSpec buffer in buffers.Where(buffer => buffer.InWorkspace && buffer.Name != "_gradients"))
            {
                context.Buffer(buffer);
            }

            // The share of the batch that Prepare sets.
            WriteFields(context, new[]
            {
                ("int", "_first", "The first sequence of this share in the copied batch."),
                ("int", "_end", "One past the last sequence of this share."),
                ("int", "_steps", "The steps of every sequence in the batch."),
                (t, "_scale", "1 / (the batch's output rows): the loss's average."),
                ("bool", "_packed", "Whether the batch is packed (SequencePacking): its lengths are in _batchLengths."),
                ("bool", "_backward", "Whether to backpropagate (not for Evaluate)."),
            }.Concat(model.PredictsInLockStep ? new[] { ("bool", "_predicting", "Whether Run runs this share of a batched Predict rather than of a training batch.") } : System.Array.Empty<(string, string, string)>())
            .Concat(model.HasDropout ? new[] { ("long", "_dropoutStep", "The model's update step, from which the dropouts draw this update's masks.") } : System.Array.Empty<(string, string, string)>()));

            writer.WriteLine("/// <summary>Creates a workspace that reads and writes the model's shared buffers.</summary>");
            writer.WriteLine("/// <param name=\"model\">The model whose share this is.</param>");
            writer.WriteLine("/// <param name=\"gradients\">Where this share adds its gradients.</param>");
            writer.WriteLine(context.GeneratedCode);
            using (writer.Block($"public Workspace({CSharp.Identifier(model.TypeName)} model, {CSharp.AlignedBuffer}<{t}> gradients)"))
            {
                foreach (BufferSpec buffer in shared)
                {
                    writer.WriteLine($"{buffer.Name} = model.{buffer.Name};");
                }

                writer.WriteLine("_gradients = gradients;");
            }

            writer.WriteLine();
            writer.WriteLine("/// <summary>This share's summed loss (before the batch's scale), after <see cref=\"Run\"/>.</summary>");
            writer.WriteLine(context.GeneratedCode);
            writer.WriteLine($"public {t} Loss {{ get; private set; }}");
            writer.WriteLine();
            writer.WriteLine("/// <summary>This share's number of correct predictions, after <see cref=\"Run\"/>.</summary>");
            writer.WriteLine(context.GeneratedCode);
            writer.WriteLine($"public {t} Correct {{ get; private set; }}");
            writer.WriteLine();
            writer.WriteLine("/// <summary>This share's gradients, after a backward <see cref=\"Run\"/>.</summary>");
            writer.WriteLine(context.GeneratedCode);
            writer.WriteLine($"public {ReadOnlySpan}<{t}> Gradients => _gradients;");
            writer.WriteLine();

            writer.WriteLine("/// <summary>Sets the share of the checked, copied batch that <see cref=\"Run\"/> computes.</summary>");
            writer.WriteLine(context.GeneratedCode);
            using (writer.Block($"public void Prepare(int first, int end, int steps, {t} scale, bool packed, bool backward{(model.HasDropout ? ", long dropoutStep" : string.Empty)})"))
            {
                if (model.HasDropout)
                {
                    writer.WriteLine("_dropoutStep = dropoutStep;");
                }

                writer.WriteLine("_first = first;");
                writer.WriteLine("_end = end;");
                writer.WriteLine("_steps = steps;");
                writer.WriteLine("_scale = scale;");
                writer.WriteLine("_packed = packed;");
                writer.WriteLine("_backward = backward;");
                if (model.PredictsInLockStep)
                {
                    writer.WriteLine("_predicting = false;");
                }
            }

            writer.WriteLine();
            if (model.PredictsInLockStep)
            {
                writer.WriteLine("/// <summary>Sets the share of the copied batch of a batched Predict that <see cref=\"Run\"/> computes, into <see cref=\"PredictOutputs\"/>.</summary>");
                writer.WriteLine(context.GeneratedCode);
                using (writer.Block("public void PreparePredict(int first, int end, int steps)"))
                {
                    writer.WriteLine("_first = first;");
                    writer.WriteLine("_end = end;");
                    writer.WriteLine("_steps = steps;");
                    writer.WriteLine("_predicting = true;");
                }

                writer.WriteLine();
                writer.WriteLine("/// <summary>This share's outputs of a batched Predict, one block per sequence, after <see cref=\"Run\"/>.</summary>");
                writer.WriteLine(context.GeneratedCode);
                writer.WriteLine($"public {ReadOnlySpan}<{t}> PredictOutputs => _trainOutputs;");
                writer.WriteLine();
            }

            writer.WriteLine();
            writer.WriteLine("/// <summary>Runs this share's sequences in lock step: forward, the loss and, when backward, backpropagation through time into its gradients.</summary>");
            writer.WriteLine(context.GeneratedCode);
            using (writer.Block("public void Run()"))
            {
                if (model.PredictsInLockStep)
                {
                    using (writer.Block("if (_predicting)"))
                    {
                        WritePredictShare(context);
                        writer.WriteLine();
                        writer.WriteLine("return;");
                    }

                    writer.WriteLine();
                }

                writer.WriteLine($"{ReadOnlySpan}<{input}> inputs = _batchInputs;");
                writer.WriteLine($"{ReadOnlySpan}<{target}> targets = _batchTargets;");
                writer.WriteLine("int steps = _steps;");
                writer.WriteLine($"{ReadOnlySpan}<int> lengths = _packed ? _batchLengths : default;");
                writer.WriteLine($"int rows = {TrainingEmitter.Rows(model)};");
                writer.WriteLine($"{t} scale = _scale;");
                writer.WriteLine("bool backward = _backward;");
                using (writer.Block("if (backward)"))
                {
                    writer.WriteLine("_gradients.Span.Clear();");
                }

                writer.WriteLine();
                writer.WriteLine($"{t} total = 0;");
                writer.WriteLine($"{t} correct = 0;");
                writer.WriteLine("int sequences = _end - _first;");
                using (writer.Block("if (sequences > 0)"))
                {
                    LockStepEmitter.WriteSequences(context, "_first");
                    writer.RemoveTrailingBlankLine();
                }

                writer.WriteLine();
                writer.WriteLine("Loss = total;");
                writer.WriteLine("Correct = correct;");
            }

            writer.WriteLine();
            WriteInferencePasses(context, training: true);
        }

        writer.WriteLine();
    }

    /// <summary>
    /// The workspace of a model without <c>[Train]</c> whose batched Predict runs on more than one core
    /// (<c>[RnnModel(Parallelism = N)]</c>): one share's working memory and its lock-step pass over its sequences.
    /// </summary>
    private static void WritePredictWorkspaceClass(EmitContext context)
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        string outputs = BufferPlan.SharePredictOutputs(model);
        var buffers = BufferPlan.For(model);
        var shared = buffers.Where(buffer => !buffer.InWorkspace).ToList();

        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// One share's working memory, and the passes over its sequences that use it. The buffers the model also holds");
        writer.WriteLine("/// (weights, states, the copied batch) are the model's own, under the same names.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine(context.GeneratedCode);
        using (writer.Block($"private sealed class Workspace : global::RnnCompiler.Training.IBatchShare"))
        {
            WriteSharedFields(context, shared);
            foreach (BufferSpec buffer in buffers.Where(buffer => buffer.InWorkspace))
            {
                context.Buffer(buffer);
            }

            // The share of the batch that PreparePredict sets.
            bool packs = model.PacksPredictBatch;
            WriteFields(context, new[]
            {
                ("int", "_first", "The first sequence of this share in the copied batch."),
                ("int", "_end", "One past the last sequence of this share."),
                ("int", "_steps", "The steps of every sequence in the batch."),
            }.Concat(packs ? new[] { ("bool", "_packed", "Whether the batch is packed (SequencePacking): its lengths are in _batchLengths.") } : System.Array.Empty<(string, string, string)>()));

            writer.WriteLine("/// <summary>Creates a workspace that reads the model's shared buffers.</summary>");
            writer.WriteLine("/// <param name=\"model\">The model whose share this is.</param>");
            writer.WriteLine(context.GeneratedCode);
            using (writer.Block($"public Workspace({CSharp.Identifier(model.TypeName)} model)"))
            {
                foreach (BufferSpec buffer in shared)
                {
                    writer.WriteLine($"{buffer.Name} = model.{buffer.Name};");
                }
            }

            writer.WriteLine();
            writer.WriteLine("/// <summary>Sets the share of the copied batch of a batched Predict that <see cref=\"Run\"/> computes, into <see cref=\"PredictOutputs\"/>.</summary>");
            writer.WriteLine(context.GeneratedCode);
            using (writer.Block($"public void PreparePredict(int first, int end, int steps{(packs ? ", bool packed" : string.Empty)})"))
            {
                writer.WriteLine("_first = first;");
                writer.WriteLine("_end = end;");
                writer.WriteLine("_steps = steps;");
                if (packs)
                {
                    writer.WriteLine("_packed = packed;");
                }
            }

            writer.WriteLine();
            writer.WriteLine(packs
                ? "/// <summary>This share's outputs of a batched Predict, one block per sequence in the batch's (packed) order, after <see cref=\"Run\"/>.</summary>"
                : "/// <summary>This share's outputs of a batched Predict, one block per sequence, after <see cref=\"Run\"/>.</summary>");
            writer.WriteLine(context.GeneratedCode);
            writer.WriteLine($"public {ReadOnlySpan}<{t}> PredictOutputs => {outputs};");
            writer.WriteLine();
            writer.WriteLine("/// <summary>Runs this share's sequences of a batched Predict in lock step.</summary>");
            writer.WriteLine(context.GeneratedCode);
            using (writer.Block("public void Run()"))
            {
                WritePredictShare(context);
            }

            writer.WriteLine();
            WriteInferencePasses(context, training: false);
        }

        writer.WriteLine();
    }

    /// <summary>The model's buffers a workspace reads under their own names: a field for each.</summary>
    private static void WriteSharedFields(EmitContext context, IEnumerable<BufferSpec> shared)
    {
        SourceWriter writer = context.Writer;
        foreach (BufferSpec buffer in shared)
        {
            writer.WriteLine($"/// <summary>The model's own buffer: {Xml(LowerFirst(buffer.Summary))}</summary>");
            writer.WriteLine(context.GeneratedCode);
            writer.WriteLine($"private readonly {CSharp.FieldType(buffer, context.Model.ElementType)} {buffer.Name};");
            writer.WriteLine();
        }
    }

    /// <summary>A workspace's own fields of plain values: type, name and summary of each.</summary>
    private static void WriteFields(EmitContext context, IEnumerable<(string Type, string Name, string Summary)> fields)
    {
        SourceWriter writer = context.Writer;
        foreach ((string type, string name, string summary) in fields)
        {
            writer.WriteLine($"/// <summary>{summary}</summary>");
            writer.WriteLine(context.GeneratedCode);
            writer.WriteLine($"private {type} {name};");
            writer.WriteLine();
        }
    }

    /// <summary>
    /// A share of a batched Predict: its sequences of the copied batch (packed, with their lengths, when the model packs
    /// its batches) through RunPredictBatch into the share's outputs.
    /// </summary>
    private static void WritePredictShare(EmitContext context)
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string input = model.TakesTokens ? "int" : model.ElementType;
        string perStep = model.TakesTokens ? string.Empty : " * InputFeatures";
        string perOutput = InferenceEmitter.OutputsPerSequence(model, "_steps");
        string lengths = model.PacksPredictBatch
            ? "_packed ? new global::System.ReadOnlySpan<int>(_batchLengths, _first, count) : default, "
            : string.Empty;
        if (model.SpreadsPredictBatch)
        {
            lengths += "_batchGiven, _packed ? new global::System.ReadOnlySpan<int>(_batchOrder, _first, count) : default, ";
        }
        writer.WriteLine("// This share of a batched Predict, in lock step.");
        writer.WriteLine("int count = _end - _first;");
        using (writer.Block("if (count > 0)"))
        {
            writer.WriteLine($"{ReadOnlySpan}<{input}> batch = _batchInputs;");
            writer.WriteLine($"RunPredictBatch(batch.Slice(_first * _steps{perStep}, count * _steps{perStep}), count, _steps, {lengths}{SliceOf(BufferPlan.SharePredictOutputs(model), "0", $"count * {perOutput}")});");
        }
    }

    /// <summary>A workspace's forward pass, streaming step, lock-step passes and StepStreams' pass.</summary>
    private static void WriteInferencePasses(EmitContext context, bool training)
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        InferenceEmitter.WriteRunForward(context, "public");
        if (model.CanStream)
        {
            writer.WriteLine("/// <summary>One streaming step from the carried state; the model has checked the arguments.</summary>");
            writer.WriteLine(context.GeneratedCode);
            writer.WriteLine(EmitContext.HotPath);
            using (writer.Block(InferenceEmitter.StepSignature(model, "public")))
            {
                InferenceEmitter.WriteStepBody(context);
            }

            writer.WriteLine();
        }

        if (training)
        {
            LockStepEmitter.WritePasses(context, "public");
        }

        if (model.PredictsInLockStep)
        {
            LockStepEmitter.WritePredictPass(context, "public");
        }

        if (model.HasStreams)
        {
            LockStepEmitter.WriteStreamsPass(context, "public");
        }

        writer.RemoveTrailingBlankLine();
    }

    /// <summary>"Every weight" → "every weight"; "gru: …" stays.</summary>
    private static string LowerFirst(string text) =>
        text.Length > 1 && char.IsUpper(text[0]) && char.IsLower(text[1]) ? char.ToLowerInvariant(text[0]) + text.Substring(1) : text;
}
