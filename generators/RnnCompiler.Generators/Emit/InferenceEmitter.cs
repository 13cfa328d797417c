using System.Linq;
using RnnCompiler.Generators.Layers;
using RnnCompiler.Generators.Model;
using static RnnCompiler.Generators.Emit.CSharp;

namespace RnnCompiler.Generators.Emit;

/// <summary>
/// Predict and the streaming members (<c>ResetState</c>, <c>Step</c>): the checks of the arguments, then each layer's
/// part of the pass from its descriptor, in order.
/// </summary>
internal static class InferenceEmitter
{
    public static void WritePredict(EmitContext context)
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        string output = model.OutputSteps > 0 ? $"[{Int(model.OutputSteps)}, {Int(model.OutputWidth)}]" : model.OutputIsSequence ? $"[steps, {Int(model.OutputWidth)}]" : $"[{Int(model.OutputWidth)}]";
        writer.WriteLine("/// <summary>");
        writer.WriteLine(model.OutputSteps > 0
            ? $"/// Runs the network over a sequence from a zero state and writes the output of each of the {Int(model.OutputSteps)} steps after its RepeatVector."
            : model.OutputIsSequence
            ? "/// Runs the network over a sequence from a zero state and writes the output of every step."
            : "/// Runs the network over a sequence from a zero state and writes the output after the last step.");
        writer.WriteLine("/// The streaming state of <c>Step</c> is not touched.");
        writer.WriteLine("/// </summary>");
        string input = model.TakesTokens ? "tokens" : "inputs";
        if (model.TakesTokens)
        {
            writer.WriteLine($"/// <param name=\"tokens\">1 to {Int(model.SequenceLength)} token ids, each in [0, {Int(model.InputWidth)}).</param>");
        }
        else
        {
            writer.WriteLine($"/// <param name=\"inputs\">[steps, {Int(model.InputWidth)}] row-major, 1 to {Int(model.SequenceLength)} steps.</param>");
        }

        writer.WriteLine($"/// <param name=\"outputs\">Receives {output}.</param>");
        writer.WriteLine("/// <exception cref=\"global::System.ArgumentException\">A length is wrong or a token is out of range; nothing has changed.</exception>");
        writer.WriteLine(context.GeneratedCode);
        string signature = model.TakesTokens
            ? $"public void Predict({ReadOnlySpan}<int> tokens, {Span}<{t}> outputs)"
            : $"public void Predict({ReadOnlySpan}<{t}> inputs, {Span}<{t}> outputs)";
        writer.WriteLine(EmitContext.HotPath);
        using (writer.Block(signature))
        {
            writer.WriteLine(model.TakesTokens
                ? "int steps = global::RnnCompiler.ModelGuard.StepsOfTokens(tokens, VocabularySize, SequenceLength, nameof(tokens));"
                : "int steps = global::RnnCompiler.ModelGuard.StepsOfInputs(inputs.Length, InputFeatures, SequenceLength, nameof(inputs));");
            string expected = OutputsPerSequence(model);
            writer.WriteLine($"global::RnnCompiler.ModelGuard.Length(outputs.Length, {expected}, nameof(outputs), \"{output}\");");
            context.Guarded(() =>
            {
                PanelEmitter.WriteRefresh(context);
                if (model.HasWorkspaces)
                {
                    writer.WriteLine("EnsureWorkspaces();");
                }

                string target = model.HasWorkspaces ? "_workspaces[0]." : string.Empty;
                writer.WriteLine($"{target}RunForward({input}, steps, outputs);");
            });
        }

        writer.WriteLine();
        WritePredictBatch(context);
        if (!model.HasWorkspaces)
        {
            WriteRunForward(context);
            if (model.PredictsInLockStep)
            {
                LockStepEmitter.WritePredictPass(context);
            }
        }
    }

    /// <summary>
    /// Predict over many sequences of one length: in lock step, BatchSize at a time, when the model has a batch (a masking
    /// model's batch packed first); else sequence by sequence through Predict's own pass.
    /// </summary>
    private static void WritePredictBatch(EmitContext context)
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        string input = model.TakesTokens ? "tokens" : "inputs";
        string shape = model.OutputSteps > 0 ? $"[sequences, {Int(model.OutputSteps)}, {Int(model.OutputWidth)}]" : model.OutputIsSequence ? $"[sequences, steps, {Int(model.OutputWidth)}]" : $"[sequences, {Int(model.OutputWidth)}]";
        bool lockStep = model.PredictsInLockStep;
        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// Runs <paramref name=\"sequences\"/> sequences of the same length, each from a zero state, and writes their outputs back");
        if (lockStep)
        {
            writer.WriteLine("/// to back. They run in lock step, up to <see cref=\"BatchSize\"/> at a time: step t of every sequence together, one matrix");
            writer.WriteLine("/// product per recurrent step, so each weight is read once per step for the whole batch. Each sequence gets what");
            writer.WriteLine("/// <c>Predict</c> gives it alone: the same sums in the same order (within rounding where Predict reads packed panels).");
        }
        else
        {
            writer.WriteLine(model.Masks
                ? "/// to back, one after another as <c>Predict</c> does each (a masking model that trains on more than one core)."
                : "/// to back, one after another as <c>Predict</c> does each (declare <c>[RnnModel(BatchSize = …)]</c> to run them in lock step).");
        }

        writer.WriteLine("/// The streaming state of <c>Step</c> is not touched.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine(model.TakesTokens
            ? $"/// <param name=\"tokens\">[sequences, steps] token ids, each in [0, {Int(model.InputWidth)}); every sequence has the same 1 to {Int(model.SequenceLength)} steps.</param>"
            : $"/// <param name=\"inputs\">[sequences, steps, {Int(model.InputWidth)}] row-major; every sequence has the same 1 to {Int(model.SequenceLength)} steps.</param>");
        writer.WriteLine($"/// <param name=\"outputs\">Receives {shape}.</param>");
        writer.WriteLine("/// <param name=\"sequences\">The number of sequences, at least 1.</param>");
        writer.WriteLine(model.Masks
            ? "/// <exception cref=\"global::System.ArgumentException\">A length is wrong, a token is out of range, or a sequence has no unmasked step (the outputs of the batches before it are written); the model has not changed.</exception>"
            : "/// <exception cref=\"global::System.ArgumentException\">A length is wrong or a token is out of range; nothing has changed.</exception>");
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine(EmitContext.HotPath);
        string inputType = model.TakesTokens ? "int" : t;
        using (writer.Block($"public void Predict({ReadOnlySpan}<{inputType}> {input}, {Span}<{t}> outputs, int sequences)"))
        {
            string perStep = model.TakesTokens ? "1" : "InputFeatures";
            writer.WriteLine($"int steps = global::RnnCompiler.ModelGuard.StepsOfBatch({input}.Length, outputs.Length, sequences, {perStep}, SequenceLength, {(model.OutputSteps > 0 ? "OutputSteps * OutputUnits" : "OutputUnits")}, {Bool(model.OutputFollowsInput)}, nameof({input}));");
            if (model.TakesTokens)
            {
                writer.WriteLine($"global::RnnCompiler.Training.TrainingGuard.Tokens(tokens, VocabularySize, nameof(tokens));");
            }

            writer.WriteLine($"int inputsPerSequence = steps{(model.TakesTokens ? string.Empty : " * InputFeatures")};");
            writer.WriteLine($"int outputsPerSequence = {OutputsPerSequence(model)};");
            if (!lockStep)
            {
                writer.WriteLine("// One sequence after another, each checked and run as Predict runs it.");
                using (writer.Block("for (int s = 0; s < sequences; s++)"))
                {
                    writer.WriteLine($"Predict({input}.Slice(s * inputsPerSequence, inputsPerSequence), outputs.Slice(s * outputsPerSequence, outputsPerSequence));");
                }

                return;
            }

            context.Guarded(() =>
            {
                if (model.HasWorkspaces)
                {
                    WriteSharedPredictBatch(context, input);
                    return;
                }

                writer.WriteLine("// BatchSize sequences at a time (the working buffers hold that many), each batch in lock step.");
                using (writer.Block("for (int first = 0; first < sequences; first += BatchSize)"))
                {
                    writer.WriteLine("int count = global::System.Math.Min(BatchSize, sequences - first);");
                    if (model.PacksPredictBatch)
                    {
                        WritePackedPredictBatch(context, input);
                    }
                    else
                    {
                        writer.WriteLine($"RunPredictBatch({input}.Slice(first * inputsPerSequence, count * inputsPerSequence), count, steps, outputs.Slice(first * outputsPerSequence, count * outputsPerSequence));");
                    }
                }
            });
        }

        writer.WriteLine();
    }

    /// <summary>The outputs of one sequence as an expression in <c>steps</c>: its rows (<see cref="NetworkModel.OutputRows"/>) × OutputUnits.</summary>
    internal static string OutputsPerSequence(NetworkModel model, string steps = "steps") =>
        model.OutputRows(steps) is "1" ? "OutputUnits" : model.OutputRows(steps) + " * OutputUnits";

    /// <summary>
    /// One batch of a masking model's batched Predict: packed (each sequence's unmasked steps at the start of its block,
    /// the longest first), run in lock step over each sequence's own steps, and its outputs put back in the batch's order;
    /// a batch with no masked step runs as it came.
    /// </summary>
    private static void WritePackedPredictBatch(EmitContext context, string input)
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        string packed = BufferPlan.PackedOutputs(model);
        writer.WriteLine($"{ReadOnlySpan}<{(model.TakesTokens ? "int" : t)}> batch = {input}.Slice(first * inputsPerSequence, count * inputsPerSequence);");
        writer.WriteLine("// A masked step is left out of its sequence, as Predict leaves it out: each sequence's unmasked steps first, the");
        writer.WriteLine("// longest sequence first, so that every step runs the sequences still running.");
        string call = PackBatchCall(model);
        using (writer.Block($"if ({call})"))
        {
            string packedInputs = model.TakesTokens
                ? "new global::System.ReadOnlySpan<int>(_batchInputs, 0, count * inputsPerSequence)"
                : SliceOf("_batchInputs", "0", "count * inputsPerSequence");
            writer.WriteLine($"RunPredictBatch({packedInputs}, count, steps, new global::System.ReadOnlySpan<int>(_batchLengths, 0, count), {(model.SpreadsPredictBatch ? "batch, new global::System.ReadOnlySpan<int>(_batchOrder, 0, count), " : string.Empty)}{SliceOf(packed, "0", "count * outputsPerSequence")});");
            using (writer.Block("for (int b = 0; b < count; b++)"))
            {
                writer.WriteLine($"{SliceOf(packed, "b * outputsPerSequence", "outputsPerSequence")}.CopyTo(outputs.Slice((first + _batchOrder[b]) * outputsPerSequence, outputsPerSequence));");
            }
        }

        using (writer.Block("else"))
        {
            writer.WriteLine($"RunPredictBatch(batch, count, steps, default, {(model.SpreadsPredictBatch ? "batch, default, " : string.Empty)}outputs.Slice(first * outputsPerSequence, count * outputsPerSequence));");
        }
    }

    /// <summary>
    /// Batched Predict with Parallelism: each batch of BatchSize sequences goes where every share's thread can read it
    /// (a masking model's packed first: the longest sequence first, each one's unmasked steps at the start of its block),
    /// is split into fixed shares, each run in lock step in its own workspace on its own core, and their outputs are
    /// copied back in the batch's order. A masking model's batch with no masked step runs as it came.
    /// </summary>
    private static void WriteSharedPredictBatch(EmitContext context, string input)
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        bool packs = model.PacksPredictBatch;
        writer.WriteLine("EnsureWorkspaces();");
        writer.WriteLine("int shares = _workspaces.Length;");
        writer.WriteLine(packs
            ? "// BatchSize sequences at a time, each batch packed, then split into fixed shares that run at once, one per workspace."
            : "// BatchSize sequences at a time, each batch split into fixed shares that run at once, one per workspace.");
        using (writer.Block("for (int first = 0; first < sequences; first += BatchSize)"))
        {
            writer.WriteLine("int count = global::System.Math.Min(BatchSize, sequences - first);");
            if (packs)
            {
                writer.WriteLine($"{ReadOnlySpan}<{(model.TakesTokens ? "int" : t)}> batch = {input}.Slice(first * inputsPerSequence, count * inputsPerSequence);");
                writer.WriteLine("// A masked step is left out of its sequence, as Predict leaves it out; the shares run on other threads too, which a");
                writer.WriteLine("// span cannot reach, so the batch goes where they can read it, packed or as it came.");
                writer.WriteLine($"bool packed = {PackBatchCall(model)};");
                using (writer.Block("if (!packed)"))
                {
                    writer.WriteLine("batch.CopyTo(_batchInputs);");
                }

                if (model.SpreadsPredictBatch)
                {
                    writer.WriteLine("// Each share spreads its packed sequences back over their given steps: the batch as given, for every thread.");
                    writer.WriteLine("batch.CopyTo(_batchGiven);");
                }

                writer.WriteLine();
            }
            else
            {
                writer.WriteLine("// The shares run on other threads too, which a span cannot reach: the batch where they can read it.");
                writer.WriteLine($"{input}.Slice(first * inputsPerSequence, count * inputsPerSequence).CopyTo(_batchInputs);");
            }

            using (writer.Block("for (int k = 0; k < shares; k++)"))
            {
                writer.WriteLine($"_workspaces[k].PreparePredict(k * count / shares, (k + 1) * count / shares, steps{(packs ? ", packed" : string.Empty)});");
            }

            writer.WriteLine();
            writer.WriteLine("_workers.Run();");
            using (writer.Block("for (int k = 0; k < shares; k++)"))
            {
                writer.WriteLine("int start = k * count / shares;");
                if (packs)
                {
                    writer.WriteLine("int length = (k + 1) * count / shares - start;");
                    writer.WriteLine($"{ReadOnlySpan}<{t}> shareOutputs = _workspaces[k].PredictOutputs;");
                    using (writer.Block("for (int b = 0; b < length; b++)"))
                    {
                        writer.WriteLine("int sequence = packed ? _batchOrder[start + b] : start + b;");
                        writer.WriteLine("shareOutputs.Slice(b * outputsPerSequence, outputsPerSequence).CopyTo(outputs.Slice((first + sequence) * outputsPerSequence, outputsPerSequence));");
                    }
                }
                else
                {
                    writer.WriteLine("int length = ((k + 1) * count / shares - start) * outputsPerSequence;");
                    writer.WriteLine("_workspaces[k].PredictOutputs.Slice(0, length).CopyTo(outputs.Slice((first + start) * outputsPerSequence, length));");
                }
            }
        }
    }

    /// <summary>
    /// The call that packs <c>batch</c> (count sequences of steps) into <c>_batchInputs</c>, <c>_batchLengths</c> and
    /// <c>_batchOrder</c>, and returns whether some step was masked (else nothing is written).
    /// </summary>
    private static string PackBatchCall(NetworkModel model) => model.TakesTokens
        ? "global::RnnCompiler.Training.SequencePacking.PackTokens<int>(batch, default, count, steps, perStep: false, 0, default, maskZero: true, _batchInputs, default, _batchLengths, _batchOrder, nameof(tokens))"
        : $"global::RnnCompiler.Training.SequencePacking.PackFeatures<{model.ElementType}, {model.ElementType}>(batch, InputFeatures, default, count, steps, perStep: false, 0, default, masking: true, maskValue: {TrainingEmitter.MaskValue(model)}, _batchInputs, default, _batchLengths, _batchOrder, nameof(inputs))";

    /// <summary>
    /// Predict's forward pass over one sequence: every layer's outputs, gates and states stay in the layer buffers (the
    /// first sequence's block, in a model whose training runs a batch in lock step in the same buffers).
    /// </summary>
    internal static void WriteRunForward(EmitContext context, string visibility = "private")
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        string input = model.TakesTokens ? "tokens" : "inputs";
        string inputType = model.TakesTokens ? "int" : t;
        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// Runs every layer over one sequence of <paramref name=\"steps\"/> checked steps, keeping what each layer computes in its buffers.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine($"/// <param name=\"{input}\">The checked input, {(model.TakesTokens ? "one token id per step" : "[steps, InputFeatures]")}.</param>");
        writer.WriteLine("/// <param name=\"steps\">The number of steps, 1 to SequenceLength.</param>");
        writer.WriteLine("/// <param name=\"outputs\">Receives the model's outputs.</param>");
        writer.WriteLine(context.GeneratedCode);
        string signature = $"{visibility} void RunForward({ReadOnlySpan}<{inputType}> {input}, int steps, {Span}<{t}> outputs)";
        writer.WriteLine(EmitContext.HotPath);
        using (writer.Block(signature))
        {
            writer.WriteLine($"{ReadOnlySpan}<{t}> p = _parameters;");
            if (model.BFloat16Weights)
            {
                BFloat16Emitter.WriteReadWeights(context);
            }

            if (model.Int8Weights)
            {
                Int8Emitter.WriteReadWeights(context);
            }

            PanelEmitter.WriteReadWeights(context);
            LayerModel? lastRecurrent = LastRecurrent(model);
            if (lastRecurrent is not null)
            {
                WriteUnmask(context, input);
            }

            string current = input;
            bool sequence = true;
            for (int index = 0; index < model.Layers.Count; index++)
            {
                LayerModel layer = model.Layers[index];
                writer.WriteLine();
                if (layer.Descriptor.FeedsBackOutputs)
                {
                    // A decoder writes the rest of the pass: its layers stepped together, one output token at a time.
                    layer.Descriptor.WritePredictDecoding(context, layer, current, model.Layers.Skip(index + 1).ToList());
                    break;
                }

                current = layer.Descriptor.WritePredict(context, layer, current, sequence);
                sequence = layer.OutputIsSequence;
                if (layer == lastRecurrent)
                {
                    WriteSpread(context, layer, current);
                }
            }
        }

        writer.WriteLine();
        if (model.Decoder is { } decoder)
        {
            int at = model.Layers.ToList().IndexOf(decoder);
            decoder.Descriptor.WriteDecodingMembers(context, decoder, model.Layers.Skip(at + 1).ToList(), visibility);
        }
    }

    /// <summary>
    /// The last recurrent layer of a masking model before any <c>[RepeatVector]</c> (whose steps have no mask), up to which
    /// Predict runs over the unmasked steps only; else null.
    /// </summary>
    internal static LayerModel? LastRecurrent(NetworkModel model) =>
        model.Masks ? model.Layers.LastOrDefault(layer => layer.IsRecurrent && layer.FixedSteps == 0) : null;

    /// <summary>Predict's input without its masked steps, in <c>_unmaskedInput</c>; <c>given</c> and <c>givenSteps</c> keep the call's.</summary>
    private static void WriteUnmask(EmitContext context, string input)
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        writer.WriteLine();
        writer.WriteLine("// Keras's mask: a recurrent layer keeps its state through a masked step, which is running the layers up to the");
        writer.WriteLine("// last recurrent one over the unmasked steps only.");
        writer.WriteLine($"{ReadOnlySpan}<{(model.TakesTokens ? "int" : t)}> given = {input};");
        writer.WriteLine("int givenSteps = steps;");
        if (model.TakesTokens)
        {
            writer.WriteLine($"steps = global::RnnCompiler.Training.SequencePacking.UnmaskTokens(given, _unmaskedInput, nameof({input}));");
            writer.WriteLine($"{input} = new {ReadOnlySpan}<int>(_unmaskedInput, 0, steps);");
        }
        else
        {
            writer.WriteLine($"steps = global::RnnCompiler.Training.SequencePacking.UnmaskFeatures<{t}>(given, InputFeatures, {TrainingEmitter.MaskValue(model)}, _unmaskedInput, nameof({input}));");
            writer.WriteLine($"{input} = _unmaskedInput.Span.Slice(0, steps * InputFeatures);");
        }
    }

    /// <summary>
    /// After the last recurrent layer, when it returns sequences: its outputs spread back over every given step, as Keras
    /// outputs masked steps. (A layer that returns its last state leaves <c>steps</c> at the unmasked count, which the
    /// expression of that state reads.)
    /// </summary>
    private static void WriteSpread(EmitContext context, LayerModel layer, string output)
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        if (layer.OutputIsSequence && !layer.HandsStateToDecoder) // an encoder's outputs are attended to at its real steps only
        {
            writer.WriteLine();
            writer.WriteLine(layer.Bidirectional
                ? $"// Back to every given step: a masked step's output is zeros (Keras's bidirectional layer sets zero_output_for_mask)."
                : $"// Back to every given step: a masked step repeats the output of the step before it (zeros before the first), as Keras's RNN does.");
            string width = Int(layer.OutputWidth);
            writer.WriteLine(model.TakesTokens
                ? $"global::RnnCompiler.Training.SequencePacking.SpreadTokens<{t}>(given, {output}, {width}, zeros: {Bool(layer.Bidirectional)});"
                : $"global::RnnCompiler.Training.SequencePacking.SpreadFeatures<{t}>(given, InputFeatures, {TrainingEmitter.MaskValue(model)}, {output}, {width}, zeros: {Bool(layer.Bidirectional)});");
            writer.WriteLine("steps = givenSteps;");
        }
    }

    public static void WriteStreaming(EmitContext context)
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        string streams = model.HasStreams ? ", every stream's state" : string.Empty;
        writer.WriteLine(model.Training is { Stateful: true }
            ? $"/// <summary>Sets the streaming state{streams} and the carried training state of every recurrent layer to zero, as at the start of a sequence.</summary>"
            : $"/// <summary>Sets the streaming state{streams} of every recurrent layer to zero, as at the start of a sequence.</summary>");
        writer.WriteLine(context.GeneratedCode);
        using (writer.Block("public void ResetState()"))
        {
            foreach (LayerModel layer in model.Layers.Where(layer => layer.IsRecurrent))
            {
                string field = context.Field(layer);
                bool cell = layer.Descriptor is RecurrentLayer { HasCell: true };
                writer.WriteLine($"{field}State.Span.Clear();");
                if (cell)
                {
                    writer.WriteLine($"{field}CellState.Span.Clear();");
                }

                if (model.HasStreams)
                {
                    writer.WriteLine($"{field}StreamHidden.Span.Clear();");
                    if (cell)
                    {
                        writer.WriteLine($"{field}StreamCell.Span.Clear();");
                    }
                }

                if (model.Training is { Stateful: true })
                {
                    writer.WriteLine($"{field}TrainHidden.Span.Clear();");
                    if (cell)
                    {
                        writer.WriteLine($"{field}TrainCell.Span.Clear();");
                    }
                }
            }
        }

        writer.WriteLine();
        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// Runs one time step, carrying each recurrent layer's state over from the previous call (Keras's stateful mode):");
        writer.WriteLine("/// feeding a sequence step by step gives the outputs <c>Predict</c> gives for each prefix. Call");
        writer.WriteLine("/// <see cref=\"ResetState\"/> to start a new sequence.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine(model.TakesTokens
            ? $"/// <param name=\"token\">The token id of this step, in [0, {Int(model.InputWidth)}).</param>"
            : $"/// <param name=\"input\">The {Int(model.InputWidth)} features of this step.</param>");
        writer.WriteLine($"/// <param name=\"output\">Receives the model's {Int(model.OutputWidth)} outputs for this step.</param>");
        writer.WriteLine("/// <exception cref=\"global::System.ArgumentException\">A length is wrong or the token is out of range; the state has not changed.</exception>");
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine(EmitContext.HotPath);
        using (writer.Block(StepSignature(model, "public")))
        {
            // The checks compare here and call the guard only to throw: Step is compiled on its first call, before
            // the messages' strings exist, and strings passed on every call would be looked up on every call.
            writer.WriteLine("// The arguments, compared here; the guard is called only to throw, with the message's strings.");
            if (model.TakesTokens)
            {
                writer.WriteLine("if ((uint)token >= VocabularySize) global::RnnCompiler.ModelGuard.ThrowToken(token, VocabularySize, nameof(token));");
            }
            else
            {
                writer.WriteLine($"if (input.Length != InputFeatures) global::RnnCompiler.ModelGuard.ThrowLength(input.Length, InputFeatures, nameof(input), \"[{Int(model.InputWidth)}]\");");
            }

            writer.WriteLine($"if (output.Length != OutputUnits) global::RnnCompiler.ModelGuard.ThrowLength(output.Length, OutputUnits, nameof(output), \"[{Int(model.OutputWidth)}]\");");
            context.Guarded(() =>
            {
                PanelEmitter.WriteRefresh(context);
                if (model.HasWorkspaces)
                {
                    writer.WriteLine("EnsureWorkspaces();");
                    writer.WriteLine($"_workspaces[0].Step({(model.TakesTokens ? "token" : "input")}, output);");
                }
                else
                {
                    WriteStepBody(context);
                }
            });
        }

        writer.WriteLine();
        if (model.HasStreams)
        {
            WriteStreams(context);
        }
    }

    /// <summary>StepStreams and ResetStream: many independent streams stepped together, each with its own state.</summary>
    private static void WriteStreams(EmitContext context)
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        string input = model.TakesTokens ? "tokens" : "inputs";
        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// Runs one time step of every stream together, each from its own carried state (<see cref=\"Streams\"/> independent");
        writer.WriteLine("/// sequences, say one per sensor): every layer is one matrix product for all the streams, so each weight is read once per");
        writer.WriteLine("/// step for all of them. Stream s gets what <c>Step</c> gives a model that carries its state alone (the same sums in the");
        writer.WriteLine("/// same order, within rounding where Step reads packed panels). The state of <c>Step</c> is apart and not touched;");
        writer.WriteLine("/// <see cref=\"ResetStream\"/> starts one stream over, <see cref=\"ResetState\"/> all of them.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine(model.TakesTokens
            ? $"/// <param name=\"tokens\">One token id per stream, each in [0, {Int(model.InputWidth)}): [Streams].</param>"
            : $"/// <param name=\"inputs\">One step of each stream, [Streams, {Int(model.InputWidth)}] row-major.</param>");
        writer.WriteLine($"/// <param name=\"outputs\">Receives each stream's outputs for this step, [Streams, {Int(model.OutputWidth)}].</param>");
        writer.WriteLine("/// <exception cref=\"global::System.ArgumentException\">A length is wrong or a token is out of range; no state has changed.</exception>");
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine(EmitContext.HotPath);
        using (writer.Block($"public void StepStreams({ReadOnlySpan}<{(model.TakesTokens ? "int" : t)}> {input}, {Span}<{t}> outputs)"))
        {
            writer.WriteLine("// The arguments, compared here; the guard is called only to throw, with the message's strings.");
            if (model.TakesTokens)
            {
                writer.WriteLine($"if (tokens.Length != Streams) global::RnnCompiler.ModelGuard.ThrowLength(tokens.Length, Streams, nameof(tokens), \"[{Int(model.Streams)}]\");");
                writer.WriteLine("global::RnnCompiler.Training.TrainingGuard.Tokens(tokens, VocabularySize, nameof(tokens));");
            }
            else
            {
                writer.WriteLine($"if (inputs.Length != Streams * InputFeatures) global::RnnCompiler.ModelGuard.ThrowLength(inputs.Length, Streams * InputFeatures, nameof(inputs), \"[{Int(model.Streams)}, {Int(model.InputWidth)}]\");");
            }

            writer.WriteLine($"if (outputs.Length != Streams * OutputUnits) global::RnnCompiler.ModelGuard.ThrowLength(outputs.Length, Streams * OutputUnits, nameof(outputs), \"[{Int(model.Streams)}, {Int(model.OutputWidth)}]\");");
            context.Guarded(() =>
            {
                if (model.HasWorkspaces)
                {
                    writer.WriteLine("EnsureWorkspaces();");
                    writer.WriteLine($"_workspaces[0].RunStreams({input}, outputs);");
                }
                else
                {
                    writer.WriteLine($"RunStreams({input}, outputs);");
                }
            });
        }

        writer.WriteLine();
        writer.WriteLine("/// <summary>Sets the carried state of one stream of <see cref=\"StepStreams\"/> to zero, as at the start of its sequence; the other streams keep theirs.</summary>");
        writer.WriteLine("/// <param name=\"stream\">The stream, in [0, Streams).</param>");
        writer.WriteLine("/// <exception cref=\"global::System.ArgumentOutOfRangeException\">The stream is not in [0, Streams).</exception>");
        writer.WriteLine(context.GeneratedCode);
        using (writer.Block("public void ResetStream(int stream)"))
        {
            using (writer.Block("if ((uint)stream >= Streams)"))
            {
                writer.WriteLine($"throw new global::System.ArgumentOutOfRangeException(nameof(stream), stream, \"Expected a stream in [0, {Int(model.Streams)}).\");");
            }

            writer.WriteLine();
            foreach (LayerModel layer in model.Layers.Where(layer => layer.IsRecurrent))
            {
                string field = context.Field(layer);
                string units = Int(layer.Units);
                writer.WriteLine($"{SliceOf($"{field}StreamHidden", $"stream * {units}", units)}.Clear();");
                if (layer.Descriptor is RecurrentLayer { HasCell: true })
                {
                    writer.WriteLine($"{SliceOf($"{field}StreamCell", $"stream * {units}", units)}.Clear();");
                }
            }
        }

        writer.WriteLine();
        if (!model.HasWorkspaces)
        {
            LockStepEmitter.WriteStreamsPass(context);
        }
    }

    /// <summary>The signature of Step (public on the model; on a Workspace, the checked step without its guards).</summary>
    internal static string StepSignature(NetworkModel model, string visibility) => model.TakesTokens
        ? $"{visibility} void Step(int token, {Span}<{model.ElementType}> output)"
        : $"{visibility} void Step({ReadOnlySpan}<{model.ElementType}> input, {Span}<{model.ElementType}> output)";

    /// <summary>One checked streaming step: every layer from the carried state, which it then updates.</summary>
    internal static void WriteStepBody(EmitContext context)
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        writer.WriteLine($"{ReadOnlySpan}<{t}> p = _parameters;");
        if (model.BFloat16Weights)
        {
            BFloat16Emitter.WriteReadWeights(context);
        }

        if (model.Int8Weights)
        {
            Int8Emitter.WriteReadWeights(context);
        }

        PanelEmitter.WriteReadWeights(context);
        string current = "input";
        LayerModel? lastRecurrent = LastRecurrent(model);
        if (lastRecurrent is null)
        {
            foreach (LayerModel layer in model.Layers)
            {
                writer.WriteLine();
                current = layer.Descriptor.WriteStep(context, layer, current);
            }

            return;
        }

        writer.WriteLine();
        writer.WriteLine("// Keras's mask: a masked step keeps every state, and the layers after the last recurrent one read the output it kept.");
        writer.WriteLine(model.TakesTokens
            ? "bool masked = token == 0;"
            : $"bool masked = global::RnnCompiler.Training.SequencePacking.IsMasked<{t}>(input, {TrainingEmitter.MaskValue(model)});");
        int last = model.Layers.TakeWhile(layer => layer != lastRecurrent).Count();
        using (writer.Block("if (!masked)"))
        {
            for (int index = 0; index <= last; index++)
            {
                if (index > 0)
                {
                    writer.WriteLine();
                }

                current = model.Layers[index].Descriptor.WriteStep(context, model.Layers[index], current);
            }
        }

        if (lastRecurrent == model.Last)
        {
            using (writer.Block("else"))
            {
                writer.WriteLine($"{SliceOf(current, "0", Int(lastRecurrent.Units))}.CopyTo(output);");
            }
        }

        for (int index = last + 1; index < model.Layers.Count; index++)
        {
            writer.WriteLine();
            current = model.Layers[index].Descriptor.WriteStep(context, model.Layers[index], current);
        }
    }
}
