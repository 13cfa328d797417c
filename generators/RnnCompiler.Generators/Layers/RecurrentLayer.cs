using System.Linq;
using System.Collections.Generic;
using System.Globalization;
using RnnCompiler.Generators.Emit;
using RnnCompiler.Generators.Model;
using RnnCompiler.Generators.Validation;
using static RnnCompiler.Generators.Emit.CSharp;

namespace RnnCompiler.Generators.Layers;

/// <summary>
/// What SimpleRNN, LSTM and GRU share: the checks (a sequence in, units, bidirectional and merge), the per-step
/// buffers and carried states, and the shape of every pass (each direction over the steps, then the merge or the last
/// step). A kind supplies its runtime class, Keras name, formula, per-step buffers and the arguments its calls add.
/// </summary>
internal abstract class RecurrentLayer : LayerDescriptor
{
    public override bool IsRecurrent => true;

    public override bool PacksKernels(LayerModel layer) => true;

    /// <summary>The runtime class whose Forward, Step, ForwardBatch and BackwardBatch run the kind: <c>LstmLayer</c>.</summary>
    public abstract string RuntimeClass { get; }

    /// <summary>Keras's default name of the kind: <c>lstm</c>, <c>simple_rnn</c>.</summary>
    public abstract string KerasName { get; }

    /// <summary>Whether the kind carries a cell state besides the hidden state (LSTM).</summary>
    public virtual bool HasCell => false;

    /// <summary>The recurrence, for the comments of the emitted calls.</summary>
    public abstract string Formula(LayerModel layer);

    /// <summary>The buffers each direction keeps per step before its hidden state, as backpropagation reads them: suffix, width, what.</summary>
    protected abstract IEnumerable<(string Suffix, int Width, string What)> StepBuffers(LayerModel layer);

    /// <summary>The elements of a per-sequence scratch row (<c>{field}Scratch</c>), or 0 when the kind needs none.</summary>
    protected virtual int ScratchWidth(LayerModel layer) => 0;

    /// <summary>
    /// Whether the kind has gates with an activation of their own, Keras's <c>recurrent_activation</c> (LSTM, GRU): the
    /// declaration's <c>Activation</c> and <c>RecurrentActivation</c> are checked and passed to every call.
    /// </summary>
    protected virtual bool HasGates => false;

    /// <summary>Whether the kind uses the declaration's <c>ResetAfter</c>.</summary>
    protected virtual bool ResetAfter(LayerDeclaration layer) => false;

    /// <summary>
    /// The starting bias of the keep gate when the declaration sets one other than Keras's (<c>KeepGateBias</c>, or an
    /// LSTM's <c>UnitForgetBias = false</c>), else null. NaN, the attribute's "not set", is null.
    /// </summary>
    protected virtual double? KeepGateBias(LayerDeclaration layer) => null;

    /// <summary>A problem with the declaration's activations (Softmax as the activation, or as a gated kind's gates'), or null.</summary>
    private string? ActivationProblem(LayerDeclaration layer) =>
        layer.Activation == ActivationKind.Softmax
            ? $"{Label}: Softmax is not a recurrent activation; use Tanh (the default), HardSigmoid, HardSigmoidKeras2, Sigmoid, Relu or Linear, and put a Dense layer with Softmax after it."
        : HasGates && layer.RecurrentActivation == ActivationKind.Softmax
            ? $"{Label}: Softmax cannot be the gates' RecurrentActivation; use Sigmoid (the default), HardSigmoid (Keras 3, PyTorch), HardSigmoidKeras2 (Keras 2), Tanh, Relu or Linear."
        : null;

    /// <summary>The gates' activation in a formula: σ for sigmoid, else the activation's name.</summary>
    protected static string GateName(LayerModel layer) => layer.RecurrentActivation == ActivationKind.Sigmoid ? "σ" : layer.RecurrentActivation.ToString();

    /// <summary>The candidate's activation in a formula: tanh, or the activation's name.</summary>
    protected static string CellName(LayerModel layer) => layer.Activation == ActivationKind.Tanh ? "tanh" : layer.Activation.ToString();

    /// <summary>
    /// The named activation arguments every call of a gated layer ends with when its activations are not Keras's
    /// defaults, else nothing (the runtime's defaults are tanh and sigmoid).
    /// </summary>
    private string ActivationArguments(LayerModel layer) =>
        !HasGates || layer.HasDefaultGateActivations ? string.Empty
        : $", activation: global::RnnCompiler.Activation.{layer.Activation}, recurrentActivation: global::RnnCompiler.Activation.{layer.RecurrentActivation}";

    /// <summary>The arguments every call of the kind passes after the bias: <c>, resetAfter: true</c>, or nothing.</summary>
    protected abstract string Options(LayerModel layer);

    /// <summary>The arguments of a forward call after <c>initialHidden</c>: its buffers, and the initial cell where it has one.</summary>
    protected abstract string ForwardArguments(string buffer, string field, string initialCell);

    /// <summary>The arguments of a BackwardBatch call after <c>initialHidden</c>, before the gradients.</summary>
    protected abstract string BackwardArguments(string buffer, string initialCell);

    /// <summary>The arguments of a Step call after the options: the carried state fields and step buffers.</summary>
    protected abstract string StepArguments(string field);

    public override void Resolve(ResolveContext context, LayerDeclaration layer, int index)
    {
        if (!context.CheckSize(index, Label, layer.First, NetworkValidator.MaxUnits, "units") || context.Width == 0)
        {
            return;
        }

        if (!context.IsSequence)
        {
            context.Problem(ProblemIds.NeedsSequence, index, $"{Label} needs a sequence, but the layer before it returns one vector per sequence; set ReturnSequences = true on the layer before it.");
            return;
        }

        if (layer.MergeModeSet && !layer.Bidirectional)
        {
            context.Problem(ProblemIds.MergeModeWithoutBidirectional, index, $"{Label}: MergeMode only applies to a bidirectional layer; set Bidirectional = true, or remove MergeMode.");
        }

        if (ActivationProblem(layer) is { } problem)
        {
            context.Problem(ProblemIds.UnsupportedActivation, index, problem);
            return;
        }

        double dropout = layer.Double("Dropout") ?? 0;
        if (!(dropout >= 0 && dropout < 1))
        {
            context.Problem(ProblemIds.DropoutOutOfRange, index, $"{Label}: Dropout is {dropout.ToString("R", CultureInfo.InvariantCulture)}; it is the fraction of input features dropped while training, from 0 up to (not including) 1, for example Dropout = 0.2.");
            return;
        }

        double recurrentDropout = layer.Double("RecurrentDropout") ?? 0;
        if (!(recurrentDropout >= 0 && recurrentDropout < 1))
        {
            context.Problem(ProblemIds.DropoutOutOfRange, index, $"{Label}: RecurrentDropout is {recurrentDropout.ToString("R", CultureInfo.InvariantCulture)}; it is the fraction of the state dropped while training, from 0 up to (not including) 1, for example RecurrentDropout = 0.2.");
            return;
        }

        double? keepGateBias = KeepGateBias(layer);
        if (keepGateBias is double keep && double.IsInfinity(keep))
        {
            context.Problem(ProblemIds.SizeOutOfRange, index, $"{Label}: KeepGateBias is {keep.ToString("R", CultureInfo.InvariantCulture)}; it must be a finite number, for example KeepGateBias = 3.");
            return;
        }

        string inner = context.NextName(KerasName);
        string name = layer.Bidirectional ? context.NextName("bidirectional") : inner;
        int units = layer.First;
        int output = layer.Bidirectional && layer.MergeMode == MergeKind.Concat ? 2 * units : units;
        var model = new LayerModel(Kind, name, inner, NetworkValidator.Identifier(name), context.Width, units, output,
            true, layer.ReturnSequences, layer.Activation, layer.Bidirectional, layer.MergeMode, ResetAfter(layer), (int)context.Offset, 0)
        {
            KeepGateBias = keepGateBias,
            RecurrentActivation = HasGates ? layer.RecurrentActivation : ActivationKind.Sigmoid,
            DropoutRate = dropout,
            RecurrentDropoutRate = recurrentDropout,
        };
        if (context.PendingDecoder >= 1)
        {
            // The decoder's first recurrent layer starts from the encoder's final state, which must fit it.
            LayerModel encoder = context.Layers[context.PendingDecoder - 1];
            context.PendingDecoder = -1;
            if ((encoder.IsRecurrent && encoder.Kind != Kind) || encoder.OutputWidth != units || layer.Bidirectional)
            {
                context.Problem(ProblemIds.DecoderPlacement, index, $"{Label} starts the decoder from the encoder's final state, so it is one-directional and of the encoder's kind and units (twice a bidirectional encoder's, whose directions' states are joined): [{encoder.Descriptor.AttributeName}({encoder.OutputWidth}, ReturnSequences = true)].");
                return;
            }

            model = model with { StartsFromEncoder = true };
        }

        if ((long)(context.FixedSteps > 0 ? context.FixedSteps : context.Declaration.SequenceLength) * model.Gates * units > NetworkValidator.MaxElements)
        {
            context.Problem(ProblemIds.ModelTooLarge, index, $"{Label}: SequenceLength × gates × units is over {NetworkValidator.MaxElements.ToString("N0", CultureInfo.InvariantCulture)} values; make the layer or the sequence smaller.");
            return;
        }

        context.Layers.Add(context.AddTensors(model, index));
        context.Width = output;
        context.IsSequence = layer.ReturnSequences;
    }

    public override void AddBuffers(BufferSink buffers, LayerModel layer, bool isLast)
    {
        string field = BufferPlan.Stem(layer);
        foreach (string direction in layer.Directions)
        {
            string buffer = field + direction;
            string who = layer.Name + Who(direction);
            foreach ((string suffix, int width, string what) in StepBuffers(layer))
            {
                buffers.PerStep(BufferKind.Working, buffer + suffix, width, $"{who}: {what}");
            }

            buffers.PerStep(BufferKind.Working, $"{buffer}Hidden", layer.Units, $"{who}: the hidden state of each step");
        }

        if (ScratchWidth(layer) > 0)
        {
            buffers.PerSequence(BufferKind.Working, $"{field}Scratch", ScratchWidth(layer), $"{layer.Name}: the recurrent product of one step");
        }

        if (layer.Bidirectional && !isLast)
        {
            buffers.Output(BufferKind.Working, $"{field}Output", layer, $"{layer.Name}: both directions merged ({layer.MergeMode})");
        }

        if (buffers.Model.HasLockStepBuffers && !layer.OutputIsSequence && !isLast && !layer.Bidirectional)
        {
            buffers.PerSequence(BufferKind.Working, $"{field}Last", layer.Units, $"{layer.Name}: in a lock-step pass, the hidden state after the last step, the next layer's input");
        }

        if (buffers.Model.CanStream || (buffers.Model.Decoder is not null && layer.FixedSteps > 0))
        {
            // Step's carried state, or a decoder layer's while Predict decodes one token at a time.
            buffers.Fixed(BufferKind.Streaming, $"{field}State", layer.Units, $"{layer.Name}: the hidden state that Step carries from call to call.");
            if (HasCell)
            {
                buffers.Fixed(BufferKind.Streaming, $"{field}CellState", layer.Units, $"{layer.Name}: the cell state that Step carries from call to call.");
            }
        }

        if (buffers.Model.HasStreams)
        {
            buffers.Streams($"{field}StreamHidden", layer.Units, $"{layer.Name}: the hidden state of each stream that StepStreams carries, [Streams, {Int(layer.Units)}].");
            if (HasCell)
            {
                buffers.Streams($"{field}StreamCell", layer.Units, $"{layer.Name}: the cell state of each stream that StepStreams carries, [Streams, {Int(layer.Units)}].");
            }
        }
    }

    public override void AddTrainingBuffers(BufferSink buffers, LayerModel layer, bool isLast)
    {
        string field = BufferPlan.Stem(layer);
        long sequence = buffers.Steps;
        foreach (string direction in layer.Directions)
        {
            buffers.TrainingPerSequence($"{field}{direction}HiddenGradients", $"{buffers.StepsText} * {Int(layer.Units)}", sequence * layer.Units, $"{layer.Name}{Who(direction)}: dLoss/dh from the layers above, per step.");
        }

        buffers.TrainingPerSequence($"{field}BackwardScratch", Int(2 * layer.Units), 2L * layer.Units, $"{layer.Name}: dL/dh and dL/dc carried from step to step, one row per sequence.");
        if (layer.RecurrentDropoutRate > 0)
        {
            int gates = layer.Gates;
            long width = (long)gates * layer.Units;
            foreach (string direction in layer.Directions)
            {
                string who = layer.Name + Who(direction);
                buffers.TrainingPerSequence($"{field}{direction}RecurrentMasks", Int(gates * layer.Units), width, $"{who}: this update's recurrent dropout masks, [gates, sequences, units].");
                if (PerGateInputMasks(layer))
                {
                    buffers.TrainingPerSequence($"{field}{direction}InputMasks", Int(gates * layer.InputWidth), (long)gates * layer.InputWidth, $"{who}: this update's input dropout masks, one per gate, [gates, sequences, inputs].");
                }
            }

            long perPass = BufferPlan.SequencesPerPass(buffers.Model);
            long scratch = (perPass * layer.Units) + (((long)layer.InputWidth + System.Math.Max(layer.InputWidth, layer.Units)) * width);
            buffers.TrainingScratch($"{field}DropoutScratch", $"{BufferPlan.SequencesPerPassText(buffers.Model)} * {Int(layer.Units)} + {Int((layer.InputWidth + System.Math.Max(layer.InputWidth, layer.Units)) * gates * layer.Units)}", scratch, $"{layer.Name}: recurrent dropout's masked states, a sequence's masked kernel and a gradient block.");
        }

        if (SingleInputMask(layer))
        {
            bool first = buffers.Model.Layers[0] == layer;
            foreach (string direction in layer.Directions)
            {
                string who = layer.Name + Who(direction);
                buffers.TrainingPerSequence($"{field}{direction}DropoutMask", Int(layer.InputWidth), layer.InputWidth, $"{who}: this update's input dropout mask, one row per sequence.");
                buffers.TrainingPerSequence($"{field}{direction}DroppedInput", $"{buffers.StepsText} * {Int(layer.InputWidth)}", sequence * layer.InputWidth, $"{who}: its inputs with the dropout mask applied.");
                if (!first)
                {
                    buffers.TrainingPerSequence($"{field}{direction}DroppedInputGradients", $"{buffers.StepsText} * {Int(layer.InputWidth)}", sequence * layer.InputWidth, $"{who}: dLoss/d(its dropped inputs).");
                }
            }
        }
        if (buffers.Model.Training!.Stateful)
        {
            long rows = (long)buffers.Model.Training.BatchSize * layer.Units;
            string size = $"BatchSize * {Int(layer.Units)}";
            buffers.Training($"{field}TrainHidden", size, rows, $"{layer.Name}: each batch row's carried hidden state.");
            buffers.Training($"{field}TrainHiddenNext", size, rows, $"{layer.Name}: each batch row's hidden state after this batch, kept only if the batch is finite.");
            if (HasCell)
            {
                buffers.Training($"{field}TrainCell", size, rows, $"{layer.Name}: each batch row's carried cell state.");
                buffers.Training($"{field}TrainCellNext", size, rows, $"{layer.Name}: each batch row's cell state after this batch.");
            }
        }
    }

    public override string WritePredict(EmitContext context, LayerModel layer, string input, bool sequence)
    {
        SourceWriter writer = context.Writer;
        string field = context.Field(layer);
        bool isLast = layer == context.Model.Last;
        string units = Int(layer.Units);
        foreach (string direction in layer.Directions)
        {
            bool reverse = direction == "Backward";
            string buffer = field + direction;
            string head = $"({input}, steps, {Int(layer.InputWidth)}, {units}, {context.ReadSpan(layer, direction + "Kernel", WeightUse.Predict)}, "
                + $"{context.ReadSpan(layer, direction + "RecurrentKernel", WeightUse.Predict)}, {context.Weights(layer, direction + "Bias")}";
            string layout = context.LayoutArgument(layer, direction + "RecurrentKernel", WeightUse.Predict, "recurrentLayout");
            writer.WriteLine($"// {layer.Name}{Who(direction)}, steps {(reverse ? "last to first" : "first to last")}: {Formula(layer)}.");
            writer.WriteLine($"{context.InferenceMethod(RuntimeClass, "Forward")}{head}{Options(layer)}, reverse: {Bool(reverse)}, initialHidden: default{ForwardArguments(buffer, field, "default")}{layout}{ActivationArguments(layer)});");
        }

        string hidden = field + layer.Directions[0] + "Hidden";
        if (!layer.Bidirectional)
        {
            string result = layer.OutputIsSequence ? SliceOf(hidden, "0", $"steps * {units}") : SliceOf(hidden, $"(steps - 1) * {units}", units);
            if (isLast)
            {
                writer.WriteLine($"{result}.CopyTo(outputs);");
                return "outputs";
            }

            return layer.OutputIsSequence ? hidden : result;
        }

        string merged = isLast ? "outputs" : $"{field}Output";
        string backward = field + "BackwardHidden";
        writer.WriteLine(layer.OutputIsSequence
            ? $"// {layer.Name}: merge both directions at every step ({layer.MergeMode})."
            : $"// {layer.Name}: merge the forward state after the last step with the backward state after the first ({layer.MergeMode}).");
        writer.WriteLine(layer.OutputIsSequence
            ? $"{RuntimeLayers}BidirectionalMerge.Merge<{context.T}>(global::RnnCompiler.MergeMode.{layer.MergeMode}, {hidden}, {backward}, steps, {units}, {merged});"
            : $"{RuntimeLayers}BidirectionalMerge.Merge<{context.T}>(global::RnnCompiler.MergeMode.{layer.MergeMode}, {SliceOf(hidden, $"(steps - 1) * {units}", units)}, {SliceOf(backward, "0", units)}, 1, {units}, {merged});");
        return merged;
    }

    public override string WriteStep(EmitContext context, LayerModel layer, string input)
    {
        string field = context.Field(layer);
        string head = $"({input}, {Int(layer.InputWidth)}, {Int(layer.Units)}, {context.ReadSpan(layer, "Kernel", WeightUse.Step)}, "
            + $"{context.ReadSpan(layer, "RecurrentKernel", WeightUse.Step)}, {context.Weights(layer, "Bias")}";
        string layout = context.LayoutArgument(layer, "Kernel", WeightUse.Step, "kernelLayout") + context.LayoutArgument(layer, "RecurrentKernel", WeightUse.Step, "recurrentLayout");
        context.Writer.WriteLine($"// {layer.Name}, one step from the carried state: {Formula(layer)}.");
        context.Writer.WriteLine($"{context.InferenceMethod(RuntimeClass, "Step")}{head}{Options(layer)}{StepArguments(field)}{layout}{ActivationArguments(layer)});");
        string state = $"{field}State";
        if (layer == context.Model.Last)
        {
            context.Writer.WriteLine($"{SliceOf(state, "0", Int(layer.Units))}.CopyTo(output);");
        }

        return state;
    }

    public override string WriteForwardBatch(EmitContext context, LayerModel layer, string input, bool sequence)
    {
        SourceWriter writer = context.Writer;
        string field = context.Field(layer);
        bool isLast = layer == context.Model.Last;
        string t = context.T;
        string units = Int(layer.Units);
        foreach (string direction in layer.Directions)
        {
            bool reverse = direction == "Backward";
            string buffer = field + direction;
            string x = WriteInputDropout(context, layer, direction, input);
            string head = $"<{t}>({x}, sequences, steps, {Int(layer.InputWidth)}, {units}, {context.Weights(layer, direction + "Kernel")}, {context.Weights(layer, direction + "RecurrentKernel")}, {context.Weights(layer, direction + "Bias")}";
            writer.WriteLine(context.SteppingStreams
                ? $"// {layer.Name}, one step of every stream in lock step, from each stream's carried state: {Formula(layer)}."
                : $"// {layer.Name}{Who(direction)}, every sequence in lock step, {(reverse ? "last step to first" : "first step to last")}: {Formula(layer)}.");
            string masks = WriteRecurrentDropout(context, layer, direction);
            writer.WriteLine($"{RuntimeLayers}{RuntimeClass}.ForwardBatch{head}{Options(layer)}, reverse: {Bool(reverse)}, initialHidden: {Initial(context, layer, "Hidden", forward: true)}{ForwardArguments(buffer, field, Initial(context, layer, "Cell", forward: true))}{ActivationArguments(layer)}, lengths: lengths{masks});");
        }

        string hidden = field + layer.Directions[0] + "Hidden";
        if (!layer.Bidirectional)
        {
            if (layer.OutputIsSequence)
            {
                if (isLast)
                {
                    writer.WriteLine($"{SliceOf(hidden, "0", $"sequences * steps * {units}")}.CopyTo({context.BatchOutputs});");
                    return context.BatchOutputs;
                }

                return hidden;
            }

            string last = isLast ? context.BatchOutputs : $"{field}Last";
            writer.WriteLine($"// {layer.Name}: each sequence's state after its last {(context.Model.Masks ? "real " : string.Empty)}step, one row per sequence.");
            using (writer.Block("for (int b = 0; b < sequences; b++)"))
            {
                writer.WriteLine(Length);
                writer.WriteLine($"{SliceOf(hidden, $"(b * steps + length - 1) * {units}", units)}.CopyTo({SliceOf(last, $"b * {units}", units)});");
            }

            return last;
        }

        string merged = isLast ? context.BatchOutputs : $"{field}Output";
        string backward = field + "BackwardHidden";
        string mode = $"global::RnnCompiler.MergeMode.{layer.MergeMode}";
        if (layer.OutputIsSequence)
        {
            writer.WriteLine($"// {layer.Name}: merge both directions at every step of every sequence ({layer.MergeMode}); in a packed batch the");
            writer.WriteLine("// backward direction's real steps end each block, so each sequence merges its own, and its padding is zero.");
            using (writer.Block("if (lengths.IsEmpty)"))
            {
                writer.WriteLine($"{RuntimeLayers}BidirectionalMerge.Merge<{t}>({mode}, {hidden}, {backward}, sequences * steps, {units}, {merged});");
            }

            using (writer.Block("else"))
            {
                string mergedWidth = Int(layer.OutputWidth);
                using (writer.Block("for (int b = 0; b < sequences; b++)"))
                {
                    writer.WriteLine(Length);
                    writer.WriteLine($"{RuntimeLayers}BidirectionalMerge.Merge<{t}>({mode}, {SliceOf(hidden, $"b * steps * {units}", $"length * {units}")}, {SliceOf(backward, $"(b * steps + steps - length) * {units}", $"length * {units}")}, length, {units}, {SliceOf(merged, $"b * steps * {mergedWidth}", $"length * {mergedWidth}")});");
                    writer.WriteLine($"{SliceOf(merged, $"(b * steps + length) * {mergedWidth}", $"(steps - length) * {mergedWidth}")}.Clear();");
                }
            }

            return merged;
        }

        string width = Int(layer.OutputWidth);
        writer.WriteLine($"// {layer.Name}: merge each sequence's forward state after its last step with its backward state after its first ({layer.MergeMode}).");
        using (writer.Block("for (int b = 0; b < sequences; b++)"))
        {
            writer.WriteLine(Length);
            writer.WriteLine($"{RuntimeLayers}BidirectionalMerge.Merge<{t}>({mode}, {Row(hidden, "b * steps + length - 1", units)}, {Row(backward, "b * steps + steps - length", units)}, 1, {units}, {Row(merged, "b", width)});");
        }

        return merged;
    }

    public override string BatchOutput(EmitContext context, LayerModel layer)
    {
        string field = context.Field(layer);
        return layer.Bidirectional ? $"{field}Output" : layer.OutputIsSequence ? $"{field}Hidden" : $"{field}Last";
    }

    public override void WriteBackwardBatch(EmitContext context, LayerModel layer, BackwardPass pass)
    {
        SourceWriter writer = context.Writer;
        string t = context.T;
        string field = context.Field(layer);
        string units = Int(layer.Units);
        string gradient = pass.Gradient;
        string forwardGradients = field + layer.Directions[0] + "HiddenGradients";
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
                    writer.WriteLine(Length);
                    writer.WriteLine($"{SliceOf(gradient, $"b * {units}", units)}.CopyTo({Row(forwardGradients, "b * steps + length - 1", units)});");
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
                writer.WriteLine($"// {layer.Name}: split the merged gradient ({layer.MergeMode}) between the directions at every step of every sequence (of its real steps in a packed batch).");
                using (writer.Block("if (lengths.IsEmpty)"))
                {
                    writer.WriteLine($"{RuntimeLayers}BidirectionalMerge.Backward<{t}>({mode}, {SliceOf(gradient, "0", $"sequences * steps * {width}")}, {forwardHidden}, {backwardHidden}, sequences * steps, {units}, {forwardGradients}, {backwardGradients});");
                }

                using (writer.Block("else"))
                {
                    using (writer.Block("for (int b = 0; b < sequences; b++)"))
                    {
                        writer.WriteLine(Length);
                        string forwardRows = $"b * steps * {units}", backwardRows = $"(b * steps + steps - length) * {units}", rows = $"length * {units}";
                        writer.WriteLine($"{RuntimeLayers}BidirectionalMerge.Backward<{t}>({mode}, {SliceOf(gradient, $"b * steps * {width}", $"length * {width}")}, "
                            + $"{SliceOf(forwardHidden, forwardRows, rows)}, {SliceOf(backwardHidden, backwardRows, rows)}, length, {units}, {SliceOf(forwardGradients, forwardRows, rows)}, {SliceOf(backwardGradients, backwardRows, rows)});");
                    }
                }

                writer.WriteLine();
            }
            else
            {
                writer.WriteLine($"// {layer.Name}: each sequence's forward last step and backward first step were merged ({layer.MergeMode}).");
                writer.WriteLine($"{SliceOf(forwardGradients, "0", $"sequences * steps * {units}")}.Clear();");
                writer.WriteLine($"{SliceOf(backwardGradients, "0", $"sequences * steps * {units}")}.Clear();");
                using (writer.Block("for (int b = 0; b < sequences; b++)"))
                {
                    writer.WriteLine(Length);
                    writer.WriteLine($"{RuntimeLayers}BidirectionalMerge.Backward<{t}>({mode}, {Row(gradient, "b", width)}, "
                        + $"{Row(forwardHidden, "b * steps + length - 1", units)}, {Row(backwardHidden, "b * steps + steps - length", units)}, 1, {units}, "
                        + $"{Row(forwardGradients, "b * steps + length - 1", units)}, {Row(backwardGradients, "b * steps + steps - length", units)});");
                }

                writer.WriteLine();
            }
        }

        if (pass.Previous is not null)
        {
            writer.WriteLine($"// {layer.Name}: dLoss/d(its inputs) starts from zero; {(layer.Bidirectional ? "both directions add to it" : "the pass adds to it")}.");
            writer.WriteLine($"{pass.InputGradient}.Clear();");
        }

        foreach (string direction in layer.Directions)
        {
            bool reverse = direction == "Backward";
            string buffer = field + direction;
            bool dropped = SingleInputMask(layer);
            string x = dropped ? $"{buffer}DroppedInput" : pass.Input;
            string dx = pass.InputGradient;
            if (dropped && pass.Previous is not null)
            {
                dx = SliceOf($"{buffer}DroppedInputGradients", "0", $"sequences * steps * {Int(layer.InputWidth)}");
                writer.WriteLine($"// {layer.Name}{Who(direction)}: dLoss/d(its dropped inputs) starts from zero; the mask then passes it on.");
                writer.WriteLine($"{dx}.Clear();");
            }

            string head = $"<{t}>({x}, sequences, steps, {Int(layer.InputWidth)}, {units}, {context.Weights(layer, direction + "Kernel")}, {context.Weights(layer, direction + "RecurrentKernel")}";
            string tail = $"hiddenGradients: {buffer}HiddenGradients, inputGradients: {dx}, "
                + $"kernelGradients: {context.Weights(layer, direction + "Kernel", "g")}, recurrentKernelGradients: {context.Weights(layer, direction + "RecurrentKernel", "g")}, biasGradients: {context.Weights(layer, direction + "Bias", "g")}, scratch: {field}BackwardScratch{ActivationArguments(layer)}, lengths: lengths{MaskArguments(context, layer, direction, training: false)}{StatePorts(context, layer, direction)});";
            writer.WriteLine($"// {layer.Name}{Who(direction)}: backpropagation through time, every sequence in lock step, {(reverse ? "first step to last" : "last step to first")}.");
            writer.WriteLine($"{RuntimeLayers}{RuntimeClass}.BackwardBatch{head}{Options(layer)}, reverse: {Bool(reverse)}, initialHidden: {Initial(context, layer, "Hidden", forward: false)}{BackwardArguments(buffer, Initial(context, layer, "Cell", forward: false))}, {tail}");
            if (dropped && pass.Previous is not null)
            {
                writer.WriteLine($"{RuntimeLayers}DropoutLayer.AddBackwardPerSequence<{t}>({dx}, {buffer}DropoutMask, sequences, steps, {Int(layer.InputWidth)}, {pass.InputGradient});");
            }
        }
    }

    /// <summary>
    /// The backward call's state ports in an encoder-decoder model: the decoder's first layer gives the gradients of the
    /// initial states it started from to the <c>[Decoder]</c>'s buffers, and the encoder's last LSTM takes its final cell's
    /// from there.
    /// </summary>
    private string StatePorts(EmitContext context, LayerModel layer, string direction)
    {
        if (context.Model.Decoder is not { } decoder)
        {
            return string.Empty;
        }

        string field = context.Field(decoder);
        string states = $"sequences * {Int(layer.Units)}";
        if (layer.StartsFromEncoder)
        {
            return $", initialHiddenGradients: {SliceOf($"{field}InitialHiddenGradients", "0", states)}" + (HasCell ? $", initialCellGradients: {SliceOf($"{field}InitialCellGradients", "0", states)}" : string.Empty);
        }

        // A bidirectional encoder's directions each take their half of the decoder's cell gradient, split for them.
        string cell = layer.Bidirectional ? $"{field}{direction}CellGradients" : $"{field}InitialCellGradients";
        return layer.HandsStateToDecoder && HasCell && context.Model.Layers.Any(other => other.StartsFromEncoder && other.Descriptor is RecurrentLayer { HasCell: true })
            ? $", finalCellGradients: {SliceOf(cell, "0", states)}"
            : string.Empty;
    }

    /// <summary>Whether the layer's input dropout is one mask per sequence (a Dropout without RecurrentDropout, or SimpleRNN's).</summary>
    private bool SingleInputMask(LayerModel layer) => layer.DropoutRate > 0 && !PerGateInputMasks(layer);

    /// <summary>
    /// Whether an LSTM's or GRU's input dropout draws a mask per gate: with RecurrentDropout, as Keras's
    /// <c>implementation=1</c> does; the runtime applies them (<c>inputMasks</c>).
    /// </summary>
    private bool PerGateInputMasks(LayerModel layer) => HasGates && layer.RecurrentDropoutRate > 0 && layer.DropoutRate > 0;

    /// <summary>
    /// A direction's recurrent dropout masks drawn while training (and, for an LSTM or GRU with Dropout, its per-gate
    /// input masks); returns the arguments that pass them to ForwardBatch, or nothing without RecurrentDropout.
    /// </summary>
    private string WriteRecurrentDropout(EmitContext context, LayerModel layer, string direction)
    {
        if (layer.RecurrentDropoutRate <= 0 || context.Predicting)
        {
            return string.Empty;
        }

        SourceWriter writer = context.Writer;
        string t = context.T;
        string buffer = context.Field(layer) + direction;
        int gates = layer.Gates;
        int directionIndex = direction == "Backward" ? 1 : 0;
        bool inputs = PerGateInputMasks(layer);
        writer.WriteLine($"// {layer.Name}{Who(direction)}: while training, Keras's recurrent_dropout of {DropoutLayer.Rate(layer.RecurrentDropoutRate)}: a mask per gate on the state each step reads{(inputs ? $", and its dropout of {DropoutLayer.Rate(layer)} as a mask per gate on the input" : string.Empty)}, one per sequence for every step.");
        using (writer.Block("if (dropoutStep >= 0)"))
        {
            writer.WriteLine($"// Gate g's masks of the batch's sequences follow each other: [{Int(gates)}, sequences, size].");
            using (writer.Block($"for (int g = 0; g < {Int(gates)}; g++)"))
            {
                string units = Int(layer.Units);
                writer.WriteLine($"{RuntimeLayers}DropoutLayer.Draw<{t}>({SliceOf($"{buffer}RecurrentMasks", $"g * sequences * {units}", $"sequences * {units}")}, {DropoutLayer.Rate(layer.RecurrentDropoutRate)}, site: {Int(GateSite(context, layer, directionIndex, recurrent: true))} + g, dropoutStep, first: (long)first * {units}{DropoutLayer.Seed(context)});");
                if (inputs)
                {
                    string width = Int(layer.InputWidth);
                    writer.WriteLine($"{RuntimeLayers}DropoutLayer.Draw<{t}>({SliceOf($"{buffer}InputMasks", $"g * sequences * {width}", $"sequences * {width}")}, {DropoutLayer.Rate(layer)}, site: {Int(GateSite(context, layer, directionIndex, recurrent: false))} + g, dropoutStep, first: (long)first * {width}{DropoutLayer.Seed(context)});");
                }
            }
        }

        return MaskArguments(context, layer, direction, training: true);
    }

    /// <summary>The recurrent dropout arguments of a ForwardBatch (masks only while training) or BackwardBatch call.</summary>
    private string MaskArguments(EmitContext context, LayerModel layer, string direction, bool training)
    {
        if (layer.RecurrentDropoutRate <= 0)
        {
            return string.Empty;
        }

        string buffer = context.Field(layer) + direction;
        string when = training ? "dropoutStep >= 0 ? " : string.Empty;
        string otherwise = training ? " : default" : string.Empty;
        string masks = $", recurrentMasks: {when}{SliceOf($"{buffer}RecurrentMasks", "0", $"{Int(layer.Gates * layer.Units)} * sequences")}{otherwise}";
        if (PerGateInputMasks(layer))
        {
            masks += $", inputMasks: {when}{SliceOf($"{buffer}InputMasks", "0", $"{Int(layer.Gates * layer.InputWidth)} * sequences")}{otherwise}";
        }

        return masks + $", dropoutScratch: {context.Field(layer)}DropoutScratch";
    }

    /// <summary>The site of a per-gate dropout mask (gate 0's; gate g adds g), apart from every layer's single masks.</summary>
    private static int GateSite(EmitContext context, LayerModel layer, int direction, bool recurrent) =>
        1_000 + (64 * (DropoutLayer.Site(context, layer, 0) / 2)) + (16 * direction) + (recurrent ? 8 : 0);

    /// <summary>
    /// A direction's input dropout while training (Keras's <c>dropout</c>, one mask per sequence for every step and
    /// gate); returns the expression the direction reads: a local that is the dropped inputs while training, or the
    /// input itself when the layer has no dropout.
    /// </summary>
    private string WriteInputDropout(EmitContext context, LayerModel layer, string direction, string input)
    {
        if (!SingleInputMask(layer) || context.Predicting)
        {
            return input;
        }

        SourceWriter writer = context.Writer;
        string t = context.T;
        string buffer = context.Field(layer) + direction;
        string local = buffer.TrimStart('_') + "Input";
        string width = Int(layer.InputWidth);
        writer.WriteLine($"// {layer.Name}{Who(direction)}: while training, Keras's dropout of {DropoutLayer.Rate(layer)} on its inputs: one mask per sequence, the same at every step and gate.");
        writer.WriteLine($"{ReadOnlySpan}<{t}> {local} = {input};");
        using (writer.Block("if (dropoutStep >= 0)"))
        {
            writer.WriteLine($"{RuntimeLayers}DropoutLayer.Draw<{t}>({SliceOf($"{buffer}DropoutMask", "0", $"sequences * {width}")}, {DropoutLayer.Rate(layer)}, site: {Int(DropoutLayer.Site(context, layer, direction == "Backward" ? 1 : 0))}, dropoutStep, first: (long)first * {width}{DropoutLayer.Seed(context)});");
            writer.WriteLine($"{RuntimeLayers}DropoutLayer.ForwardPerSequence<{t}>({input}, {buffer}DropoutMask, sequences, steps, {width}, {buffer}DroppedInput);");
            writer.WriteLine($"{local} = {buffer}DroppedInput;");
        }

        return local;
    }

    /// <summary>
    /// Sequence <c>b</c>'s real steps in a batch pass: all of them, or its length in a packed batch (whose forward rows
    /// start each block and whose backward rows end it, so that its last step is row <c>length - 1</c> and the backward
    /// direction's first is row <c>steps - length</c>).
    /// </summary>
    private const string Length = "int length = global::RnnCompiler.Training.SequencePacking.LengthOf(lengths, b, steps);";

    /// <summary>The direction in a comment: nothing, or <c> forward</c> / <c> backward</c>.</summary>
    private static string Who(string direction) => direction.Length == 0 ? string.Empty : " " + direction.ToLowerInvariant();

    /// <summary>A layer's initial states in a training pass: each row's carried state in stateful training when <c>carried</c>, else zeros.</summary>
    private static string Initial(EmitContext context, LayerModel layer, string which, bool forward) =>
        layer.StartsFromEncoder ? SliceOf($"{context.Field(context.Model.Decoder!)}Initial{which}", "0", $"sequences * {Int(layer.Units)}")
        : forward && context.SteppingStreams ? $"{context.Field(layer)}Stream{which}"
        : context.Model.Training is { Stateful: true } && !(forward && context.Predicting)
            ? (forward ? "carried ? " : string.Empty) + SliceOf($"{context.Field(layer)}Train{which}", $"first * {Int(layer.Units)}", $"sequences * {Int(layer.Units)}") + (forward ? " : default" : string.Empty)
            : "default";
}
