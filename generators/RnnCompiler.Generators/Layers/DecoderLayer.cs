using System.Collections.Generic;
using System.Globalization;
using RnnCompiler.Generators.Emit;
using RnnCompiler.Generators.Model;
using RnnCompiler.Generators.Validation;
using RnnCompiler.Generators.WeightFiles;
using static RnnCompiler.Generators.Emit.CSharp;

namespace RnnCompiler.Generators.Layers;

/// <summary>
/// <c>[Decoder(vocabulary, dimensions, MaxLength = n)]</c>: the start of an encoder-decoder model's decoder. It holds the
/// target side's embedding table (Keras's second <c>Embedding</c>); its input in the flow is the encoder's last output,
/// which with the encoder's final cell state (an LSTM's) becomes the initial state of the recurrent layer after it
/// (<see cref="LayerModel.StartsFromEncoder"/>). From it on the layers run over the model's <c>OutputSteps</c> (n), as
/// after a <c>[RepeatVector]</c>. While training the decoder reads the start token then each target token (teacher
/// forcing, <see cref="WriteBeforeBatch"/>); Predict feeds back the most likely token, stepping the decoder's layers one
/// step at a time from the encoder's state (<see cref="WritePredictDecoding"/>), until the end token.
/// </summary>
internal sealed class DecoderLayer : LayerDescriptor
{
    public override LayerKind Kind => LayerKind.Decoder;

    public override string AttributeName => "Decoder";

    public override string KerasClass => "Embedding";

    public override bool FeedsBackOutputs => true;

    public override void Resolve(ResolveContext context, LayerDeclaration layer, int index)
    {
        if (context.Width == 0)
        {
            return;
        }

        bool ok = context.CheckSize(index, Label, layer.First, NetworkValidator.MaxVocabulary, "the target vocabulary size")
            & context.CheckSize(index, Label, layer.Second, NetworkValidator.MaxUnits, "dimensions");
        int steps = layer.Int("MaxLength") ?? 0;
        int start = layer.Int("StartToken") ?? 1;
        int end = layer.Int("EndToken") ?? 2;
        int beam = layer.Int("BeamWidth") ?? 4;
        LayerModel? encoder = context.Layers.Count > 0 ? context.Layers[context.Layers.Count - 1] : null;
        void Problem(string message) => context.Problem(ProblemIds.DecoderPlacement, index, message);
        bool attends = false;
        for (int later = index + 1; later < context.Declaration.Layers.Count; later++)
        {
            attends |= context.Declaration.Layers[later].Kind == LayerKind.Attention;
        }

        if (steps < 1 || steps > NetworkValidator.MaxSequenceLength)
        {
            Problem($"{Label}: MaxLength is {steps}; set the most tokens the decoder writes, its end token included, from 1 to {NetworkValidator.MaxSequenceLength.ToString("N0", CultureInfo.InvariantCulture)}, for example [Decoder(13, 16, MaxLength = 11)].");
            ok = false;
        }

        if (ok && (start < 0 || start >= layer.First || end < 0 || end >= layer.First || start == end))
        {
            Problem($"{Label}: StartToken is {start} and EndToken {end}; they are two different tokens of the target vocabulary, from 0 to {layer.First - 1}.");
            ok = false;
        }

        if (beam < 1 || beam > 1024)
        {
            Problem($"{Label}: BeamWidth is {beam}; set the widest beam Decode searches with, from 1 to 1,024 (4 by default).");
            ok = false;
        }

        if (context.FixedSteps > 0)
        {
            Problem($"{Label}: the model already has a [RepeatVector] or [Decoder]; an encoder-decoder model has one decoder, after its encoder.");
            ok = false;
        }
        else if (encoder is { Kind: LayerKind.Dense, OutputIsSequence: true } && (context.MaskZero || context.MaskValue is not null))
        {
            Problem($"{Label} starts from the [Dense] before it, at the input's last step; a masking model's last step may be padding, so start it from a recurrent encoder, or remove the mask.");
            ok = false;
        }
        else if (encoder is null || (!encoder.IsRecurrent && encoder.Kind != LayerKind.Dense) || (encoder.IsRecurrent && ((encoder.OutputIsSequence && !attends) || (encoder.Bidirectional && encoder.MergeMode != MergeKind.Concat) || (context.IsSequence && !attends))))
        {
            Problem($"{Label} starts from the encoder's final state, so the layer before it is the encoder's last recurrent layer, returning its last output (without ReturnSequences = true, unless an [Attention] reads its outputs; a bidirectional one joins its directions' states with MergeMode.Concat), for example [Lstm(128)] [Decoder(…)], or a [Dense] whose output is the decoder's initial state.");
            ok = false;
        }

        if (context.Declaration.Training is { } training && training.Loss != LossKind.SparseCategoricalCrossentropy)
        {
            Problem($"{Label}: training reads the target tokens, which the decoder is also fed; train with Loss = Loss.SparseCategoricalCrossentropy.");
            ok = false;
        }

        if (context.Declaration.WeightPrecision is 1 or 2 || context.Declaration.BatchSize > 1 || context.Declaration.Streams > 1)
        {
            Problem($"{Label}: an encoder-decoder model predicts one sequence at a time in float weights; remove BatchSize, Streams and WeightPrecision from [RnnModel].");
            ok = false;
        }

        // After a problem the flow goes on as the decoder's, so the layers after it get no second error for it.
        context.IsSequence = true;
        if (!ok || encoder is null)
        {
            context.Width = layer.Second > 0 ? layer.Second : context.Width;
            return;
        }

        string name = context.NextName("embedding");
        var model = new LayerModel(Kind, name, name, NetworkValidator.Identifier(name), layer.First, layer.Second, layer.Second,
            false, true, ActivationKind.Linear, false, MergeKind.Concat, false, (int)context.Offset, 0)
        {
            StartToken = start,
            EndToken = end,
            BeamWidth = beam,
            MaskAfterEnd = layer.Bool("MaskAfterEnd") ?? false,
        };
        context.Layers[context.Layers.Count - 1] = encoder with { HandsStateToDecoder = true };
        context.Layers.Add(context.AddTensors(model, index));
        context.Width = layer.Second;
        context.FixedSteps = steps;
        context.PendingDecoder = context.Layers.Count - 1;
    }

    /// <summary>The encoder's last recurrent layer, whose final state starts the decoder.</summary>
    private static LayerModel Encoder(NetworkModel model, LayerModel decoder)
    {
        LayerModel? before = null;
        foreach (LayerModel layer in model.Layers)
        {
            if (layer == decoder)
            {
                break;
            }

            before = layer;
        }

        return before!;
    }

    /// <summary>The decoder's first recurrent layer, which starts from the encoder's final state.</summary>
    internal static LayerModel First(NetworkModel model)
    {
        foreach (LayerModel layer in model.Layers)
        {
            if (layer.StartsFromEncoder)
            {
                return layer;
            }
        }

        throw new System.InvalidOperationException("A valid decoder model has a recurrent layer after its [Decoder].");
    }

    private static bool HasCell(LayerModel layer) => layer.Descriptor is RecurrentLayer { HasCell: true };

    /// <summary>The decoder's recurrent layers, in order.</summary>
    private static IEnumerable<LayerModel> Recurrent(NetworkModel model)
    {
        bool after = false;
        foreach (LayerModel layer in model.Layers)
        {
            after |= layer.Descriptor.FeedsBackOutputs;
            if (after && layer.IsRecurrent)
            {
                yield return layer;
            }
        }
    }

    public override void AddBuffers(BufferSink buffers, LayerModel layer, bool isLast)
    {
        NetworkModel model = buffers.Model;
        string field = BufferPlan.Stem(layer);
        LayerModel first = First(model);
        long sequences = model.HasLockStepBuffers ? model.PredictBatch : 1;
        string perBatch = model.HasLockStepBuffers ? BufferPlan.SequencesPerPassText(model) + " * " : string.Empty;
        buffers.Add(new BufferSpec($"{field}Tokens", $"{perBatch}OutputSteps", sequences * layer.FixedSteps, $"{layer.Name}: the token the decoder reads at each step (teacher forcing while training), [sequences, OutputSteps].", BufferKind.Working, "int", InWorkspace: model.Workers > 1, Copies: model.Workers, Sequences: sequences));
        buffers.PerStep(BufferKind.Working, $"{field}Output", layer.OutputWidth, $"{layer.Name}: each step's embedding row");
        buffers.PerSequence(BufferKind.Working, $"{field}InitialHidden", first.Units, $"{layer.Name}: the encoder's final hidden state, the decoder's initial one");
        if (HasCell(first))
        {
            buffers.PerSequence(BufferKind.Working, $"{field}InitialCell", first.Units, $"{layer.Name}: the encoder's final cell state, the decoder's initial one");
        }

        foreach (LayerModel recurrent in Recurrent(model))
        {
            string stem = BufferPlan.Stem(recurrent);
            foreach (string state in HasCell(recurrent) ? new[] { "Hidden", "Cell" } : new[] { "Hidden" })
            {
                buffers.Add(new BufferSpec($"{stem}Beam{state}", $"{Int(layer.BeamWidth)} * {Int(recurrent.Units)}", (long)layer.BeamWidth * recurrent.Units, $"{recurrent.Name}: each live beam's {state.ToLowerInvariant()} state in Decode's beam search.", BufferKind.Streaming));
                buffers.Add(new BufferSpec($"{stem}BeamNext{state}", $"{Int(layer.BeamWidth)} * {Int(recurrent.Units)}", (long)layer.BeamWidth * recurrent.Units, $"{recurrent.Name}: each beam's {state.ToLowerInvariant()} state after the step, before the beams are reordered.", BufferKind.Streaming));
            }
        }

        buffers.Add(new BufferSpec("_beamOutputs", $"{Int(layer.BeamWidth)} * OutputUnits", (long)layer.BeamWidth * model.OutputWidth, "Each live beam's next-token probabilities in Decode's beam search.", BufferKind.Streaming));
        buffers.Add(new BufferSpec("_beamProbabilities", $"{Int(layer.BeamWidth)} * OutputUnits", (long)layer.BeamWidth * model.OutputWidth, "The same as float, as BeamSearch reads them.", BufferKind.Streaming, "float"));
        buffers.Add(new BufferSpec("_beamParents", Int(layer.BeamWidth), layer.BeamWidth, "The beam each live beam extends, from BeamSearch.Advance.", BufferKind.Streaming, "int"));
        buffers.Add(new BufferSpec("_encodeOnly", "1", 1, "1 while Sample runs Predict for the encoder's state only (no greedy decoding), else 0.", BufferKind.Working, "int"));
        buffers.Add(new BufferSpec("_decodedTokens", "OutputSteps", layer.FixedSteps, "The tokens the last Predict decoded, greedily (the model's own, which a workspace's Predict writes too).", BufferKind.Working, "int"));
        buffers.Add(new BufferSpec("_decodeOutputs", "OutputSteps * OutputUnits", (long)layer.FixedSteps * model.OutputWidth, "Decode's outputs: Predict's, of which it keeps the tokens.", BufferKind.Working));
    }

    public override void AddTrainingBuffers(BufferSink buffers, LayerModel layer, bool isLast)
    {
        LayerModel first = First(buffers.Model);
        string field = BufferPlan.Stem(layer);
        buffers.TrainingPerSequence($"{field}InitialHiddenGradients", Int(first.Units), first.Units, $"{layer.Name}: dLoss/d(the decoder's initial hidden state), the encoder's last output's.");
        if (HasCell(first))
        {
            buffers.TrainingPerSequence($"{field}InitialCellGradients", Int(first.Units), first.Units, $"{layer.Name}: dLoss/d(the decoder's initial cell state), the encoder's final cell's.");
            LayerModel encoder = Encoder(buffers.Model, layer);
            if (encoder.Bidirectional)
            {
                foreach (string direction in encoder.Directions)
                {
                    buffers.TrainingPerSequence($"{field}{direction}CellGradients", Int(encoder.Units), encoder.Units, $"{layer.Name}: the {direction.ToLowerInvariant()} direction's half of the initial cell state's gradient, its final cell's.");
                }
            }
        }
    }

    public override void WriteMembers(EmitContext context, LayerModel layer)
    {
        SourceWriter writer = context.Writer;
        string input = context.Model.TakesTokens ? "tokens" : "inputs";
        string inputType = context.Model.TakesTokens ? "int" : context.T;
        writer.WriteLine("/// <summary>");
        writer.WriteLine($"/// Decodes a source sequence greedily: the tokens <c>Predict</c> picks, up to (not including) the end token {Int(layer.EndToken)}, or");
        writer.WriteLine("/// OutputSteps of them when it writes none.");
        writer.WriteLine("/// </summary>");
        WriteSourceAndOutputDocs(context);
        writer.WriteLine("/// <returns>The number of tokens written.</returns>");
        writer.WriteLine("/// <exception cref=\"global::System.ArgumentException\">A length is wrong, a token is out of range, or <paramref name=\"output\"/> is shorter than the decoded target; nothing has changed.</exception>");
        writer.WriteLine(context.GeneratedCode);
        using (writer.Block($"public int Decode({ReadOnlySpan}<{inputType}> {input}, {Span}<int> output)"))
        {
            writer.WriteLine($"Predict({input}, _decodeOutputs.Span);");
            writer.WriteLine("int length = 0;");
            writer.WriteLine("while (length < OutputSteps && _decodedTokens[length] != EndToken)");
            using (writer.Block(string.Empty))
            {
                writer.WriteLine("length++;");
            }

            WriteReturnTokens(writer, "decoded");
        }

        writer.WriteLine();
        string target = context.Model.HasWorkspaces ? "_workspaces![0]." : string.Empty; // Predict, just called, made them
        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// Decodes a source sequence by beam search: the target with the best score of <paramref name=\"search\"/> (its length");
        writer.WriteLine("/// penalty included) among the beams it keeps and the greedy target, which it is offered when it fits the search's");
        writer.WriteLine("/// MaxLength, so the result is never worse in that score than <c>Decode</c> without a search; the tokens up to (not");
        writer.WriteLine("/// including) the end token.");
        writer.WriteLine("/// </summary>");
        WriteSourceAndOutputDocs(context);
        writer.WriteLine($"/// <param name=\"search\">A search of 1 to BeamWidth ({Int(layer.BeamWidth)}) beams over OutputUnits tokens, at most OutputSteps long, ending with EndToken.</param>");
        writer.WriteLine("/// <returns>The number of tokens written.</returns>");
        writer.WriteLine("/// <exception cref=\"global::System.ArgumentException\">A length is wrong, a token is out of range, the search does not fit the model, or <paramref name=\"output\"/> is shorter than the decoded target; the model has not changed.</exception>");
        writer.WriteLine(context.GeneratedCode);
        using (writer.Block($"public int Decode({ReadOnlySpan}<{inputType}> {input}, {Span}<int> output, global::RnnCompiler.Decoding.BeamSearch search)"))
        {
            writer.WriteLine("global::System.ArgumentNullException.ThrowIfNull(search);");
            using (writer.Block("if (search.Width > BeamWidth || search.Vocabulary != OutputUnits || search.MaxLength > OutputSteps || search.EndToken != EndToken)"))
            {
                writer.WriteLine("throw new global::System.ArgumentException($\"The search must have at most {BeamWidth} beams, {OutputUnits} tokens, a maximum length of at most {OutputSteps} and end token {EndToken}; it has {search.Width}, {search.Vocabulary}, {search.MaxLength} and {search.EndToken}.\", nameof(search));");
            }

            writer.WriteLine();
            writer.WriteLine("// Greedy decoding first: it keeps the encoder's state, and its target is offered to the search.");
            writer.WriteLine($"Predict({input}, _decodeOutputs.Span);");
            writer.WriteLine("int greedy = 0;");
            writer.WriteLine("double logProbability = 0;");
            using (writer.Block("while (greedy < OutputSteps)"))
            {
                writer.WriteLine("int token = _decodedTokens[greedy];");
                writer.WriteLine("logProbability += global::System.Math.Log((double)(_decodeOutputs.Span[greedy * OutputUnits + token]));");
                writer.WriteLine("greedy++;");
                using (writer.Block("if (token == EndToken)"))
                {
                    writer.WriteLine("break;");
                }
            }

            context.Guarded(() =>
            {
                writer.WriteLine($"{target}RunBeamSearch(search);");
            });
            using (writer.Block("if (double.IsFinite(logProbability) && greedy <= search.MaxLength) // a shorter search is offered a greedy target that fits it"))
            {
                writer.WriteLine("search.Offer(new global::System.ReadOnlySpan<int>(_decodedTokens, 0, greedy), logProbability);");
            }

            writer.WriteLine("int length = search.Result(_decodedTokens, out _);");
            if (context.Model.Attention is not null)
            {
                writer.WriteLine("// The result's own attention weights: its tokens replayed through the decoder.");
                context.Guarded(() => writer.WriteLine($"{target}RunReplay(length);"));
            }

            writer.WriteLine("length -= length > 0 && _decodedTokens[length - 1] == EndToken ? 1 : 0;");
            WriteReturnTokens(writer, "decoded");
        }

        writer.WriteLine();
        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// Samples a target for a source sequence: each decoder step draws its token from the step's outputs sharpened or");
        writer.WriteLine("/// flattened by <paramref name=\"temperature\"/> (p^(1/T), normalized; towards greedy decoding as T falls) and reads it");
        writer.WriteLine("/// at the next step; the tokens up to (not including) the end token. The same sampler state gives the same target.");
        writer.WriteLine("/// </summary>");
        WriteSourceAndOutputDocs(context);
        writer.WriteLine("/// <param name=\"sampler\">Where the draws come from.</param>");
        writer.WriteLine("/// <param name=\"temperature\">T, above 0 and at most 100: 1 samples the model's distribution.</param>");
        writer.WriteLine("/// <returns>The number of tokens written.</returns>");
        writer.WriteLine("/// <exception cref=\"global::System.ArgumentException\">A length is wrong, a token or the temperature is out of range, or <paramref name=\"output\"/> is shorter than the target; the model has not changed.</exception>");
        writer.WriteLine(context.GeneratedCode);
        using (writer.Block($"public int Sample({ReadOnlySpan}<{inputType}> {input}, {Span}<int> output, global::RnnCompiler.Decoding.TokenSampler sampler, double temperature)"))
        {
            writer.WriteLine("global::System.ArgumentNullException.ThrowIfNull(sampler);");
            using (writer.Block("if (!(temperature > 0 && temperature <= 100))"))
            {
                writer.WriteLine("throw new global::System.ArgumentOutOfRangeException(nameof(temperature), temperature, \"Expected a temperature above 0 and at most 100.\");");
            }

            writer.WriteLine("// The encoder's state, kept for the draws: Predict without its greedy decoding.");
            writer.WriteLine("_encodeOnly[0] = 1;");
            using (writer.Block("try"))
            {
                writer.WriteLine($"Predict({input}, _decodeOutputs.Span);");
            }

            using (writer.Block("finally"))
            {
                writer.WriteLine("_encodeOnly[0] = 0;");
            }

            writer.WriteLine("int length = 0;");
            context.Guarded(() => writer.WriteLine($"length = {target}RunSampling(sampler, temperature);"));
            writer.WriteLine("length -= _decodedTokens[length - 1] == EndToken ? 1 : 0;");
            WriteReturnTokens(writer, "sampled");
        }

        writer.WriteLine();
        context.Member("The widest beam <c>Decode</c> searches with.", $"public const int BeamWidth = {Int(layer.BeamWidth)};");
        context.Member($"The token the decoder reads at its first step.", $"public const int StartToken = {Int(layer.StartToken)};");
        context.Member($"The token that ends a target.", $"public const int EndToken = {Int(layer.EndToken)};");
    }

    /// <summary>The end of a decoding method: the first <c>length</c> tokens of <c>_decodedTokens</c> into the caller's <c>output</c>, checked.</summary>
    private static void WriteReturnTokens(SourceWriter writer, string what)
    {
        using (writer.Block("if (output.Length < length)"))
        {
            writer.WriteLine($"throw new global::System.ArgumentException($\"The {what} target has {{length}} tokens; output holds {{output.Length}}.\", nameof(output));");
        }

        writer.WriteLine("new global::System.ReadOnlySpan<int>(_decodedTokens, 0, length).CopyTo(output);");
        writer.WriteLine("return length;");
    }

    /// <summary>The documentation of a decoding method's source and output parameters.</summary>
    private static void WriteSourceAndOutputDocs(EmitContext context)
    {
        NetworkModel model = context.Model;
        context.Writer.WriteLine(model.TakesTokens
            ? $"/// <param name=\"tokens\">1 to {Int(model.SequenceLength)} source token ids, each in [0, {Int(model.InputWidth)}).</param>"
            : $"/// <param name=\"inputs\">[steps, {Int(model.InputWidth)}] row-major, 1 to {Int(model.SequenceLength)} steps.</param>");
        context.Writer.WriteLine("/// <param name=\"output\">Receives the target tokens; OutputSteps of room is always enough.</param>");
    }

    public override void WriteFallbackMembers(System.Action<string, string, string> member, string elementType, string source, string throwing)
    {
        member("Decode", "Decodes a source sequence greedily.", $"public int Decode({source}, global::System.Span<int> output) => {throwing}");
        member("Decode", "Decodes a source sequence by beam search.", $"public int Decode({source}, global::System.Span<int> output, global::RnnCompiler.Decoding.BeamSearch search) => {throwing}");
        member("Sample", "Samples a target for a source sequence.", $"public int Sample({source}, global::System.Span<int> output, global::RnnCompiler.Decoding.TokenSampler sampler, double temperature) => {throwing}");
    }

    // Predict's pass from the decoder on is written by WritePredictDecoding; these are not reached.
    public override string WritePredict(EmitContext context, LayerModel layer, string input, bool sequence) => input;

    public override string WriteStep(EmitContext context, LayerModel layer, string input) => input;

    public override void WritePredictDecoding(EmitContext context, LayerModel layer, string input, IReadOnlyList<LayerModel> rest)
    {
        SourceWriter writer = context.Writer;
        NetworkModel model = context.Model;
        LayerModel encoder = Encoder(model, layer);
        if (encoder.IsRecurrent)
        {
            WriteStartFromEncoder(context, layer, encoder, input, batch: false);
        }
        else
        {
            WriteStartFromVector(context, layer, encoder, input, batch: false);
        }

        WriteStartStates(context, layer, rest);
        foreach (LayerModel other in rest)
        {
            other.Descriptor.WriteBeforeDecoding(context, other);
        }

        using (writer.Block("if (_encodeOnly[0] != 0)"))
        {
            writer.WriteLine("return; // Sample draws its own target from this state");
        }

        writer.WriteLine();
        writer.WriteLine("// Greedy decoding: each step reads the token the step before picked (the start token first), up to the end token;");
        writer.WriteLine("// the steps after it write zeros.");
        writer.WriteLine("int token = StartToken;");
        writer.WriteLine("outputs.Clear();");
        writer.WriteLine("new global::System.Span<int>(_decodedTokens).Fill(EndToken);");
        using (writer.Block("for (int t = 0; t < OutputSteps; t++)"))
        {
            writer.WriteLine($"{Span}<{context.T}> output = outputs.Slice(t * OutputUnits, OutputUnits);");
            writer.WriteLine("DecodeStep(token, output);");
            WriteAfterDecodedStep(context, rest, "t");

            writer.WriteLine($"token = {RuntimeLayers}DecoderLayer.ArgMax<{context.T}>(output);");
            writer.WriteLine("_decodedTokens[t] = token;");
            using (writer.Block("if (token == EndToken)"))
            {
                writer.WriteLine("break;");
            }
        }
    }

    /// <summary>
    /// The decoder's start from a recurrent encoder: its final h, and c for an LSTM, after each sequence's last (real)
    /// step, in Predict's pass over one sequence or in a lock-step batch.
    /// </summary>
    private static void WriteStartFromEncoder(EmitContext context, LayerModel layer, LayerModel encoder, string input, bool batch)
    {
        SourceWriter writer = context.Writer;
        NetworkModel model = context.Model;
        LayerModel first = First(model);
        string field = context.Field(layer);
        string units = Int(first.Units);
        if (!batch)
        {
            writer.WriteLine($"// {layer.Name}: the decoder starts from the encoder's final state ({encoder.Name}'s h{(HasCell(first) ? " and c" : string.Empty)} after its last step),");
            writer.WriteLine("// kept for Decode's beam search; its other recurrent layers start from zeros.");
            if (encoder.OutputIsSequence && encoder.Bidirectional)
            {
                // The forward direction's h after the last step, the backward one's after the first (in time order).
                string half = Int(encoder.Units);
                writer.WriteLine($"{SliceOf($"{context.Field(encoder)}ForwardHidden", $"(steps - 1) * {half}", half)}.CopyTo({SliceOf($"{field}InitialHidden", "0", half)});");
                writer.WriteLine($"{SliceOf($"{context.Field(encoder)}BackwardHidden", "0", half)}.CopyTo({SliceOf($"{field}InitialHidden", half, half)});");
            }
            else
            {
                writer.WriteLine(encoder.OutputIsSequence
                    ? $"{SliceOf(input, $"(steps - 1) * {units}", units)}.CopyTo({field}InitialHidden.Span);"
                    : $"{SpanOf(input)}.CopyTo({field}InitialHidden.Span);");
            }

            if (HasCell(first) && encoder.Bidirectional)
            {
                // The forward direction ends at the last step, the backward one at the first.
                string half = Int(encoder.Units);
                writer.WriteLine($"{SliceOf($"{context.Field(encoder)}ForwardCells", $"(steps - 1) * {half}", half)}.CopyTo({SliceOf($"{field}InitialCell", "0", half)});");
                writer.WriteLine($"{SliceOf($"{context.Field(encoder)}BackwardCells", "0", half)}.CopyTo({SliceOf($"{field}InitialCell", half, half)});");
            }
            else if (HasCell(first))
            {
                writer.WriteLine($"{SliceOf($"{context.Field(encoder)}Cells", $"(steps - 1) * {units}", units)}.CopyTo({field}InitialCell.Span);");
            }

            return;
        }

        writer.WriteLine($"// {layer.Name}: the encoder's final state starts the decoder: its last output, and its cell after each sequence's last{(model.Masks ? " real" : string.Empty)} step.");
        if (encoder.OutputIsSequence && encoder.Bidirectional)
        {
            // The forward direction's h after each sequence's last real step; the backward one's after its first, whose
            // real steps end the block in a packed batch.
            string half = Int(encoder.Units);
            using (writer.Block("for (int b = 0; b < sequences; b++)"))
            {
                writer.WriteLine("int length = global::RnnCompiler.Training.SequencePacking.LengthOf(lengths, b, steps);");
                writer.WriteLine($"{Row($"{context.Field(encoder)}ForwardHidden", "b * steps + length - 1", half)}.CopyTo({SliceOf($"{field}InitialHidden", $"b * {units}", half)});");
                writer.WriteLine($"{Row($"{context.Field(encoder)}BackwardHidden", "b * steps + steps - length", half)}.CopyTo({SliceOf($"{field}InitialHidden", $"b * {units} + {half}", half)});");
            }
        }
        else if (encoder.OutputIsSequence)
        {
            using (writer.Block("for (int b = 0; b < sequences; b++)"))
            {
                writer.WriteLine($"{Row(input, "b * steps + global::RnnCompiler.Training.SequencePacking.LengthOf(lengths, b, steps) - 1", units)}.CopyTo({Row($"{field}InitialHidden", "b", units)});");
            }
        }
        else
        {
            writer.WriteLine($"{SliceOf(input, "0", $"sequences * {units}")}.CopyTo({field}InitialHidden);");
        }

        if (HasCell(first))
        {
            using (writer.Block("for (int b = 0; b < sequences; b++)"))
            {
                writer.WriteLine("int length = global::RnnCompiler.Training.SequencePacking.LengthOf(lengths, b, steps);");
                if (encoder.Bidirectional)
                {
                    // The forward direction ends at the sequence's last real step; the backward one, whose real steps end
                    // the block in a packed batch, at its first.
                    string half = Int(encoder.Units);
                    writer.WriteLine($"{Row($"{context.Field(encoder)}ForwardCells", "b * steps + length - 1", half)}.CopyTo({SliceOf($"{field}InitialCell", $"b * {units}", half)});");
                    writer.WriteLine($"{Row($"{context.Field(encoder)}BackwardCells", "b * steps + steps - length", half)}.CopyTo({SliceOf($"{field}InitialCell", $"b * {units} + {half}", half)});");
                }
                else
                {
                    writer.WriteLine($"{Row($"{context.Field(encoder)}Cells", "b * steps + length - 1", units)}.CopyTo({Row($"{field}InitialCell", "b", units)});");
                }
            }
        }
    }

    /// <summary>
    /// A decoder after a [Dense] (a feature vector's projection: captioning's form) starts from its output at each
    /// sequence's last step as h, and an LSTM's c from zeros.
    /// </summary>
    private static void WriteStartFromVector(EmitContext context, LayerModel layer, LayerModel encoder, string input, bool batch)
    {
        SourceWriter writer = context.Writer;
        LayerModel first = First(context.Model);
        string field = context.Field(layer);
        string units = Int(first.Units);
        writer.WriteLine($"// {layer.Name}: {encoder.Name}'s output{(encoder.OutputIsSequence ? " at the last step" : string.Empty)} is the decoder's initial h{(HasCell(first) ? "; its c starts at zero" : string.Empty)}.");
        if (!batch)
        {
            writer.WriteLine(encoder.OutputIsSequence
                ? $"{SliceOf(input, $"(steps - 1) * {units}", units)}.CopyTo({field}InitialHidden.Span);"
                : $"{SliceOf(input, "0", units)}.CopyTo({field}InitialHidden.Span);");
            if (HasCell(first))
            {
                writer.WriteLine($"{field}InitialCell.Span.Clear();");
            }

            return;
        }

        if (encoder.OutputIsSequence)
        {
            using (writer.Block("for (int b = 0; b < sequences; b++)"))
            {
                writer.WriteLine($"{Row(input, "b * steps + global::RnnCompiler.Training.SequencePacking.LengthOf(lengths, b, steps) - 1", units)}.CopyTo({Row($"{field}InitialHidden", "b", units)});");
            }
        }
        else
        {
            writer.WriteLine($"{SliceOf(input, "0", $"sequences * {units}")}.CopyTo({field}InitialHidden);");
        }

        if (HasCell(first))
        {
            writer.WriteLine($"{SliceOf($"{field}InitialCell", "0", $"sequences * {units}")}.Clear();");
        }
    }

    /// <summary>The decoder's step states set to its start: the encoder's final state for its first recurrent layer, zeros for the others.</summary>
    private static void WriteStartStates(EmitContext context, LayerModel layer, IReadOnlyList<LayerModel> rest)
    {
        SourceWriter writer = context.Writer;
        LayerModel first = First(context.Model);
        string field = context.Field(layer);
        string units = Int(first.Units);
        writer.WriteLine($"{SliceOf($"{field}InitialHidden", "0", units)}.CopyTo({context.Field(first)}State.Span);");
        if (HasCell(first))
        {
            writer.WriteLine($"{SliceOf($"{field}InitialCell", "0", units)}.CopyTo({context.Field(first)}CellState.Span);");
        }

        foreach (LayerModel other in rest)
        {
            if (other.IsRecurrent && other != first)
            {
                writer.WriteLine($"{context.Field(other)}State.Span.Clear();");
                if (HasCell(other))
                {
                    writer.WriteLine($"{context.Field(other)}CellState.Span.Clear();");
                }
            }
        }
    }

    public override void WriteDecodingMembers(EmitContext context, LayerModel layer, IReadOnlyList<LayerModel> rest, string visibility)
    {
        SourceWriter writer = context.Writer;
        NetworkModel model = context.Model;
        string t = context.T;
        string dimensions = Int(layer.Units);
        writer.WriteLine("/// <summary>One decoder step from the decoder layers' step states: the token's row of the target table through every");
        writer.WriteLine("/// layer after the decoder, each recurrent one advancing its state; writes the step's output.</summary>");
        writer.WriteLine("/// <param name=\"token\">The token the step reads.</param>");
        writer.WriteLine("/// <param name=\"output\">Receives [OutputUnits].</param>");
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine(EmitContext.HotPath);
        using (writer.Block($"{visibility} void DecodeStep(int token, {Span}<{t}> output)"))
        {
            writer.WriteLine($"{ReadOnlySpan}<{t}> p = _parameters;");
            PanelEmitter.WriteReadWeights(context);
            string local = context.Field(layer).TrimStart('_');
            writer.WriteLine($"// {layer.Name}: the token's row of the target table.");
            writer.WriteLine($"{ReadOnlySpan}<{t}> {local} = p.Slice(Layout.{layer.Identifier}Embeddings + token * {dimensions}, {dimensions});");
            string current = local;
            foreach (LayerModel other in rest)
            {
                current = other.Descriptor.WriteStep(context, other, current);
            }
        }

        writer.WriteLine();
        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// Beam search from the encoder's state the last Predict kept: each live beam's decoder states are set into the step");
        writer.WriteLine("/// states, stepped on its last token, and kept; the search picks the beams that go on, whose states are reordered.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine("/// <param name=\"search\">A checked search of at most BeamWidth beams over OutputUnits tokens and OutputSteps steps.</param>");
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine(EmitContext.HotPath);
        using (writer.Block($"{visibility} void RunBeamSearch(global::RnnCompiler.Decoding.BeamSearch search)"))
        {
            writer.WriteLine("search.Reset();");
            writer.WriteLine("// Beam 0 starts where greedy decoding started.");
            WriteStartStates(context, layer, rest);
            WriteBeamStates(context, "State", "Beam", "0");
            writer.WriteLine("int live = 1;");
            using (writer.Block("while (!search.IsDone)"))
            {
                writer.WriteLine("global::System.ReadOnlySpan<int> last = search.LastTokens;");
                using (writer.Block("for (int b = 0; b < live; b++)"))
                {
                    WriteBeamStates(context, "Beam", "State", "b");
                    writer.WriteLine($"{Span}<{t}> output = _beamOutputs.Span.Slice(b * OutputUnits, OutputUnits);");
                    writer.WriteLine("DecodeStep(search.Length == 0 ? StartToken : last[b], output);");
                    writer.WriteLine("global::RnnCompiler.Layers.DecoderLayer.ToSingle<" + t + ">(output, _beamProbabilities.Span.Slice(b * OutputUnits, OutputUnits));");
                    WriteBeamStates(context, "State", "BeamNext", "b");
                }

                writer.WriteLine("int before = live;");
                writer.WriteLine("live = search.Advance(_beamProbabilities.Span.Slice(0, before * OutputUnits), _beamParents);");
                writer.WriteLine("// Each beam that goes on takes the states of the beam it extends.");
                using (writer.Block("for (int b = 0; b < live; b++)"))
                {
                    foreach (LayerModel recurrent in Recurrent(model))
                    {
                        string stem = context.Field(recurrent);
                        string units = Int(recurrent.Units);
                        foreach (string state in HasCell(recurrent) ? new[] { "Hidden", "Cell" } : new[] { "Hidden" })
                        {
                            writer.WriteLine($"{SliceOf($"{stem}BeamNext{state}", $"_beamParents[b] * {units}", units)}.CopyTo({SliceOf($"{stem}Beam{state}", $"b * {units}", units)});");
                        }
                    }
                }
            }
        }

        writer.WriteLine();
        WriteSampling(context, layer, rest, visibility);
        if (model.Attention is { } attention)
        {
            WriteReplay(context, layer, rest, attention, visibility);
        }
    }

    /// <summary>Temperature sampling from the encoder's state the last Predict kept, into <c>_decodedTokens</c>.</summary>
    private static void WriteSampling(EmitContext context, LayerModel layer, IReadOnlyList<LayerModel> rest, string visibility)
    {
        SourceWriter writer = context.Writer;
        writer.WriteLine("/// <summary>Samples a target from the encoder's state the last Predict kept: each step draws its token from the step's");
        writer.WriteLine("/// outputs at <paramref name=\"temperature\"/>, up to the end token; returns the tokens drawn, the end token included.</summary>");
        writer.WriteLine("/// <param name=\"sampler\">Where the draws come from.</param>");
        writer.WriteLine("/// <param name=\"temperature\">T, above 0 and at most 100 (checked by the caller).</param>");
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine(EmitContext.HotPath);
        using (writer.Block($"{visibility} int RunSampling(global::RnnCompiler.Decoding.TokenSampler sampler, double temperature)"))
        {
            writer.WriteLine("// The decoder from the encoder's state; each step reads the token the step before drew (the start token first).");
            WriteStartStates(context, layer, rest);
            writer.WriteLine("int token = StartToken;");
            using (writer.Block("for (int t = 0; t < OutputSteps; t++)"))
            {
                writer.WriteLine($"{Span}<{context.T}> output = _beamOutputs.Span.Slice(0, OutputUnits);");
                writer.WriteLine("DecodeStep(token, output);");
                WriteAfterDecodedStep(context, rest, "t");
                writer.WriteLine("// The next token, drawn from the step's outputs at the temperature; the end token stops the target.");
                writer.WriteLine($"{RuntimeLayers}DecoderLayer.ToSingle<{context.T}>(output, _beamProbabilities.Span.Slice(0, OutputUnits));");
                writer.WriteLine("token = sampler.Sample(_beamProbabilities.Span.Slice(0, OutputUnits), temperature);");
                writer.WriteLine("_decodedTokens[t] = token;");
                using (writer.Block("if (token == EndToken)"))
                {
                    writer.WriteLine("return t + 1;");
                }
            }

            writer.WriteLine();
            writer.WriteLine("return OutputSteps;");
        }

        writer.WriteLine();
    }

    /// <summary>
    /// Replays a decoded target (the first <c>length</c> tokens of <c>_decodedTokens</c>) through the decoder from the
    /// encoder's state the last Predict kept, each step reading the token before (teacher forcing), so that what the
    /// steps keep (the attention's weights) describes that target: a beam search's result.
    /// </summary>
    private static void WriteReplay(EmitContext context, LayerModel layer, IReadOnlyList<LayerModel> rest, LayerModel attention, string visibility)
    {
        SourceWriter writer = context.Writer;
        string weights = context.Field(attention);
        writer.WriteLine("/// <summary>Replays the first <paramref name=\"length\"/> decoded tokens through the decoder from the encoder's state the");
        writer.WriteLine("/// last Predict kept, each step reading the token before, keeping each step's attention weights.</summary>");
        writer.WriteLine("/// <param name=\"length\">The tokens of <c>_decodedTokens</c> to replay, at most OutputSteps.</param>");
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine(EmitContext.HotPath);
        using (writer.Block($"{visibility} void RunReplay(int length)"))
        {
            writer.WriteLine("// No step's weights yet; the decoder from the encoder's state.");
            writer.WriteLine($"{SliceOf($"{weights}Map", "0", $"OutputSteps * {weights}SourceSteps[0]")}.Clear();");
            WriteStartStates(context, layer, rest);
            writer.WriteLine();
            writer.WriteLine("// Each step reads the target's token before it (the start token first).");
            using (writer.Block("for (int t = 0; t < length; t++)"))
            {
                writer.WriteLine("DecodeStep(t == 0 ? StartToken : _decodedTokens[t - 1], _beamOutputs.Span.Slice(0, OutputUnits));");
                WriteAfterDecodedStep(context, rest, "t");
            }
        }

        writer.WriteLine();
    }

    /// <summary>What the decoder's layers keep of a step once it has run (the attention's weights): greedy, sampled or replayed.</summary>
    private static void WriteAfterDecodedStep(EmitContext context, IReadOnlyList<LayerModel> rest, string step)
    {
        foreach (LayerModel other in rest)
        {
            other.Descriptor.WriteAfterDecodedStep(context, other, step);
        }
    }

    /// <summary>Copies every decoder recurrent layer's states between the step states and a beam's slot (<paramref name="from"/> → <paramref name="to"/>).</summary>
    private static void WriteBeamStates(EmitContext context, string from, string to, string beam)
    {
        foreach (LayerModel recurrent in Recurrent(context.Model))
        {
            string stem = context.Field(recurrent);
            string units = Int(recurrent.Units);
            foreach ((string state, string step) in HasCell(recurrent) ? new[] { ("Hidden", "State"), ("Cell", "CellState") } : new[] { ("Hidden", "State") })
            {
                string stepBuffer = SliceOf($"{stem}{step}", "0", units);
                string slot = SliceOf($"{stem}{(from == "State" ? to : from)}{state}", $"{beam} * {units}", units);
                context.Writer.WriteLine(from == "State" ? $"{stepBuffer}.CopyTo({slot});" : $"{slot}.CopyTo({stepBuffer});");
            }
        }
    }

    public override void WriteBeforeBatch(EmitContext context, LayerModel layer, string first)
    {
        string start = first == "0" ? "0" : $"{first} * rows";
        context.Writer.WriteLine($"// {layer.Name}: the decoder reads the start token, then each target token (teacher forcing).");
        context.Writer.WriteLine($"{RuntimeLayers}DecoderLayer.TeacherForcing(targets.Slice({start}, sequences * rows), sequences, OutputSteps, StartToken, {context.Field(layer)}Tokens);");
    }

    public override string WriteForwardBatch(EmitContext context, LayerModel layer, string input, bool sequence)
    {
        SourceWriter writer = context.Writer;
        NetworkModel model = context.Model;
        LayerModel encoder = Encoder(model, layer);
        LayerModel first = First(model);
        string field = context.Field(layer);
        string units = Int(first.Units);
        string dimensions = Int(layer.Units);
        if (encoder.IsRecurrent)
        {
            WriteStartFromEncoder(context, layer, encoder, input, batch: true);
        }
        else
        {
            WriteStartFromVector(context, layer, encoder, input, batch: true);
        }

        writer.WriteLine($"// {layer.Name}: row tokens[t] of the [{Int(layer.InputWidth)}, {dimensions}] target table for every decoder step; every sequence runs all OutputSteps.");
        writer.WriteLine($"{RuntimeLayers}EmbeddingLayer.Forward<{context.T}>(new global::System.ReadOnlySpan<int>({field}Tokens, 0, sequences * OutputSteps), {context.Weights(layer, "Embeddings")}, {dimensions}, {field}Output);");
        if (model.Attention is not null)
        {
            writer.WriteLine("// The attention reads the encoder's outputs over the source's steps and lengths.");
            writer.WriteLine("int inputSteps = steps;");
            writer.WriteLine("global::System.ReadOnlySpan<int> inputLengths = lengths;");
        }

        writer.WriteLine("steps = OutputSteps;");
        writer.WriteLine("lengths = default;");
        return $"{field}Output";
    }

    public override void WriteBackwardBatch(EmitContext context, LayerModel layer, BackwardPass pass)
    {
        SourceWriter writer = context.Writer;
        LayerModel first = First(context.Model);
        string field = context.Field(layer);
        string dimensions = Int(layer.Units);
        writer.WriteLine($"// {layer.Name}: add each decoder step's gradient to its token's row.");
        writer.WriteLine($"{RuntimeLayers}EmbeddingLayer.Backward<{context.T}>(new global::System.ReadOnlySpan<int>({field}Tokens, 0, sequences * OutputSteps), {SliceOf(pass.Gradient, "0", $"sequences * steps * {dimensions}")}, {dimensions}, {context.Weights(layer, "Embeddings", "g")});");
        LayerModel encoder = Encoder(context.Model, layer);
        writer.WriteLine($"// The decoder's initial hidden state was the encoder's last output: its gradient goes back there{(HasCell(first) ? " (and the cell's into the encoder's backward pass)" : string.Empty)}.");
        if (pass.Previous is not null && !encoder.OutputIsSequence)
        {
            writer.WriteLine($"{SliceOf($"{field}InitialHiddenGradients", "0", $"sequences * {Int(first.Units)}")}.CopyTo({pass.InputGradient});");
        }

        if (HasCell(first) && encoder.Bidirectional)
        {
            string units = Int(first.Units);
            string half = Int(encoder.Units);
            writer.WriteLine("// A bidirectional encoder's directions each take their half of the cell's gradient.");
            using (writer.Block("for (int b = 0; b < sequences; b++)"))
            {
                writer.WriteLine($"{SliceOf($"{field}InitialCellGradients", $"b * {units}", half)}.CopyTo({Row($"{field}ForwardCellGradients", "b", half)});");
                writer.WriteLine($"{SliceOf($"{field}InitialCellGradients", $"b * {units} + {half}", half)}.CopyTo({Row($"{field}BackwardCellGradients", "b", half)});");
            }
        }

        writer.WriteLine("steps = inputSteps;");
        writer.WriteLine("lengths = inputLengths;");
        if (pass.Previous is not null && encoder.OutputIsSequence)
        {
            string width = Int(encoder.OutputWidth);
            string gradients = $"{context.Field(encoder)}OutputGradients";
            if (context.Model.Attention is { } attention)
            {
                writer.WriteLine($"// The encoder's outputs: the attention's gradient at each step, and the hand-off's at each sequence's last{(context.Model.Masks ? " real" : string.Empty)} step.");
                using (writer.Block("for (int b = 0; b < sequences; b++)"))
                {
                    writer.WriteLine($"{SliceOf($"{context.Field(attention)}MemoryGradients", $"b * SequenceLength * {width}", $"steps * {width}")}.CopyTo({SliceOf(gradients, $"b * steps * {width}", $"steps * {width}")});");
                }
            }
            else
            {
                writer.WriteLine($"// {encoder.Name}'s outputs: the hand-off's gradient at each sequence's last step, zero at the others.");
                writer.WriteLine($"{SliceOf(gradients, "0", $"sequences * steps * {width}")}.Clear();");
            }

            using (writer.Block("for (int b = 0; b < sequences; b++)"))
            {
                string last = "b * steps + global::RnnCompiler.Training.SequencePacking.LengthOf(lengths, b, steps) - 1";
                if (encoder.Bidirectional)
                {
                    // The merged outputs are in time order: the forward half of the last real step, the backward half of the first.
                    string half = Int(encoder.Units);
                    writer.WriteLine($"global::RnnCompiler.Kernels.MatrixKernels.Axpy<{context.T}>(1, {SliceOf($"{field}InitialHiddenGradients", $"b * {width}", half)}, {SliceOf(gradients, $"({last}) * {width}", half)});");
                    writer.WriteLine($"global::RnnCompiler.Kernels.MatrixKernels.Axpy<{context.T}>(1, {SliceOf($"{field}InitialHiddenGradients", $"b * {width} + {half}", half)}, {SliceOf(gradients, $"b * steps * {width} + {half}", half)});");
                }
                else
                {
                    writer.WriteLine($"global::RnnCompiler.Kernels.MatrixKernels.Axpy<{context.T}>(1, {Row($"{field}InitialHiddenGradients", "b", width)}, {Row(gradients, last, width)});");
                }
            }
        }
    }
}
