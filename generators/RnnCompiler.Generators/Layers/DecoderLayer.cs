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
        LayerModel? encoder = context.Layers.Count > 0 ? context.Layers[context.Layers.Count - 1] : null;
        void Problem(string message) => context.Problem(ProblemIds.DecoderPlacement, index, message);
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

        if (context.FixedSteps > 0)
        {
            Problem($"{Label}: the model already has a [RepeatVector] or [Decoder]; an encoder-decoder model has one decoder, after its encoder.");
            ok = false;
        }
        else if (encoder is null || !encoder.IsRecurrent || encoder.OutputIsSequence || encoder.Bidirectional || context.IsSequence)
        {
            Problem($"{Label} starts from the encoder's final state, so the layer before it is the encoder's last recurrent layer, one-directional and returning its last output (without ReturnSequences = true), for example [Lstm(128)] [Decoder(…)].");
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
        writer.WriteLine(context.Model.TakesTokens
            ? $"/// <param name=\"tokens\">1 to {Int(context.Model.SequenceLength)} source token ids, each in [0, {Int(context.Model.InputWidth)}).</param>"
            : $"/// <param name=\"inputs\">[steps, {Int(context.Model.InputWidth)}] row-major, 1 to {Int(context.Model.SequenceLength)} steps.</param>");
        writer.WriteLine("/// <param name=\"output\">Receives the target tokens; OutputSteps of room is always enough.</param>");
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

            using (writer.Block("if (output.Length < length)"))
            {
                writer.WriteLine("throw new global::System.ArgumentException($\"The decoded target has {length} tokens; output holds {output.Length}.\", nameof(output));");
            }

            writer.WriteLine("new global::System.ReadOnlySpan<int>(_decodedTokens, 0, length).CopyTo(output);");
            writer.WriteLine("return length;");
        }

        writer.WriteLine();
        context.Member($"The token the decoder reads at its first step.", $"public const int StartToken = {Int(layer.StartToken)};");
        context.Member($"The token that ends a target.", $"public const int EndToken = {Int(layer.EndToken)};");
    }

    public override void WriteFallbackMembers(System.Action<string, string, string> member, string elementType, string throwing) =>
        member("Decode", "Decodes a source sequence greedily.", $"public int Decode(global::System.ReadOnlySpan<int> tokens, global::System.Span<int> output) => {throwing}");

    // Predict's pass from the decoder on is written by WritePredictDecoding; these are not reached.
    public override string WritePredict(EmitContext context, LayerModel layer, string input, bool sequence) => input;

    public override string WriteStep(EmitContext context, LayerModel layer, string input) => input;

    public override void WritePredictDecoding(EmitContext context, LayerModel layer, string input, IReadOnlyList<LayerModel> rest)
    {
        SourceWriter writer = context.Writer;
        NetworkModel model = context.Model;
        LayerModel encoder = Encoder(model, layer);
        LayerModel first = First(model);
        string t = context.T;
        string units = Int(first.Units);
        string dimensions = Int(layer.Units);
        writer.WriteLine($"// {layer.Name}: the decoder starts from the encoder's final state ({encoder.Name}'s h{(HasCell(first) ? " and c" : string.Empty)} after its last step);");
        writer.WriteLine("// its other recurrent layers start from zeros.");
        writer.WriteLine($"{input}.CopyTo({context.Field(first)}State.Span);");
        if (HasCell(first))
        {
            writer.WriteLine($"{SliceOf($"{context.Field(encoder)}Cells", $"(steps - 1) * {units}", units)}.CopyTo({context.Field(first)}CellState.Span);");
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

        writer.WriteLine();
        writer.WriteLine("// Greedy decoding: each step reads the token the step before picked (the start token first), up to the end token;");
        writer.WriteLine("// the steps after it write zeros.");
        writer.WriteLine($"int token = StartToken;");
        writer.WriteLine("outputs.Clear();");
        writer.WriteLine("new global::System.Span<int>(_decodedTokens).Fill(EndToken);");
        using (writer.Block("for (int t = 0; t < OutputSteps; t++)"))
        {
            writer.WriteLine($"{Span}<{t}> output = outputs.Slice(t * OutputUnits, OutputUnits);");
            string local = context.Field(layer).TrimStart('_');
            writer.WriteLine($"// {layer.Name}: the token's row of the target table.");
            writer.WriteLine($"{ReadOnlySpan}<{t}> {local} = p.Slice(Layout.{layer.Identifier}Embeddings + token * {dimensions}, {dimensions});");
            string current = local;
            foreach (LayerModel other in rest)
            {
                current = other.Descriptor.WriteStep(context, other, current);
            }

            writer.WriteLine($"token = {RuntimeLayers}DecoderLayer.ArgMax<{t}>(output);");
            writer.WriteLine("_decodedTokens[t] = token;");
            using (writer.Block("if (token == EndToken)"))
            {
                writer.WriteLine("break;");
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
        writer.WriteLine($"// {layer.Name}: the encoder's final state starts the decoder: its last output, and its cell after each sequence's last{(model.Masks ? " real" : string.Empty)} step.");
        writer.WriteLine($"{SliceOf(input, "0", $"sequences * {units}")}.CopyTo({field}InitialHidden);");
        if (HasCell(first))
        {
            using (writer.Block("for (int b = 0; b < sequences; b++)"))
            {
                writer.WriteLine("int length = global::RnnCompiler.Training.SequencePacking.LengthOf(lengths, b, steps);");
                writer.WriteLine($"{Row($"{context.Field(encoder)}Cells", "b * steps + length - 1", units)}.CopyTo({Row($"{field}InitialCell", "b", units)});");
            }
        }

        writer.WriteLine($"// {layer.Name}: row tokens[t] of the [{Int(layer.InputWidth)}, {dimensions}] target table for every decoder step; every sequence runs all OutputSteps.");
        writer.WriteLine($"{RuntimeLayers}EmbeddingLayer.Forward<{context.T}>(new global::System.ReadOnlySpan<int>({field}Tokens, 0, sequences * OutputSteps), {context.Weights(layer, "Embeddings")}, {dimensions}, {field}Output);");
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
        writer.WriteLine($"// The decoder's initial hidden state was the encoder's last output: its gradient goes back there{(HasCell(first) ? " (and the cell's into the encoder's backward pass)" : string.Empty)}.");
        if (pass.Previous is not null)
        {
            writer.WriteLine($"{SliceOf($"{field}InitialHiddenGradients", "0", $"sequences * {Int(first.Units)}")}.CopyTo({pass.InputGradient});");
        }

        writer.WriteLine("steps = inputSteps;");
        writer.WriteLine("lengths = inputLengths;");
    }
}
