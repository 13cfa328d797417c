using System.Globalization;
using RnnCompiler.Generators.Emit;
using RnnCompiler.Generators.Model;
using RnnCompiler.Generators.Validation;
using RnnCompiler.Generators.WeightFiles;
using static RnnCompiler.Generators.Emit.CSharp;

namespace RnnCompiler.Generators.Layers;

/// <summary>
/// Keras <c>RepeatVector(n)</c>: the one vector per sequence that the layer before it returns, repeated as the input of
/// n steps. From it on every layer runs over those n steps (<see cref="LayerModel.FixedSteps"/>, the class's constant
/// <c>OutputSteps</c>), whatever the input's length and mask: each pass sets its local <c>steps</c> to OutputSteps and
/// its <c>lengths</c> to none here, and the backward pass gives the layers before it back the input's. It holds no
/// weights (<see cref="HoldsWeights"/>), and a model with one does not stream: its outputs come after the whole input.
/// </summary>
internal sealed class RepeatVectorLayer : LayerDescriptor
{
    public override LayerKind Kind => LayerKind.RepeatVector;

    public override string AttributeName => "RepeatVector";

    public override string KerasClass => "RepeatVector";

    public override bool HoldsWeights => false;

    public override void Resolve(ResolveContext context, LayerDeclaration layer, int index)
    {
        if (context.Width == 0)
        {
            return;
        }

        // After a problem the flow goes on as a sequence, which is what the layers after a [RepeatVector] read, so they get
        // no second error for the same mistake.
        int steps = layer.First;
        bool wasSequence = context.IsSequence;
        context.IsSequence = true;
        if (steps < 1 || steps > NetworkValidator.MaxSequenceLength)
        {
            context.Problem(ProblemIds.RepeatVectorPlacement, index, $"{Label}: the steps are {steps}; set how many steps the layers after it run over, from 1 to {NetworkValidator.MaxSequenceLength.ToString("N0", CultureInfo.InvariantCulture)}, for example [RepeatVector(4)] for a decoder that writes 4 steps.");
            return;
        }

        if (context.FixedSteps > 0)
        {
            context.Problem(ProblemIds.RepeatVectorPlacement, index, $"{Label}: the model already repeats a vector over {context.FixedSteps} steps; a model has one [RepeatVector], between its encoder and its decoder.");
            return;
        }

        if (wasSequence)
        {
            context.Problem(ProblemIds.RepeatVectorPlacement, index, $"{Label} repeats one vector per sequence, and the layer before it returns a sequence; end the encoder with a recurrent layer that returns its last output (leave out ReturnSequences = true).");
            return;
        }

        if (context.Declaration.Training is { Stateful: true })
        {
            context.Problem(ProblemIds.RepeatVectorPlacement, index, $"{Label}: stateful training carries each row's state from one batch to the next, and the layers after a [RepeatVector] start every sequence from its vector; remove Stateful = true from [Train].");
            return;
        }

        if (index == context.Declaration.Layers.Count - 1)
        {
            context.Problem(ProblemIds.RepeatVectorPlacement, index, $"{Label} cannot be the last layer: it only copies its input; put the decoder after it, for example [Lstm(128, ReturnSequences = true)] [Dense(vocabulary, Activation = Activation.Softmax)].");
            return;
        }

        string name = context.NextName("repeat_vector");
        var model = new LayerModel(Kind, name, name, NetworkValidator.Identifier(name), context.Width, context.Width, context.Width,
            false, true, ActivationKind.Linear, false, MergeKind.Concat, false, (int)context.Offset, 0);
        context.Layers.Add(model);
        context.FixedSteps = steps;
    }

    public override void AddBuffers(BufferSink buffers, LayerModel layer, bool isLast) =>
        buffers.PerStep(BufferKind.Working, $"{BufferPlan.Stem(layer)}Output", layer.OutputWidth, $"{layer.Name}: the repeated vector at each of its steps");

    public override string WritePredict(EmitContext context, LayerModel layer, string input, bool sequence)
    {
        string output = $"{context.Field(layer)}Output";
        context.Writer.WriteLine($"// {layer.Name}: the vector [{Int(layer.Units)}] repeated as the input of each of the OutputSteps ({Int(layer.FixedSteps)}) steps that follow.");
        context.Writer.WriteLine($"{RuntimeLayers}RepeatVectorLayer.Forward<{context.T}>({input}, 1, OutputSteps, {Int(layer.Units)}, {output});");
        context.Writer.WriteLine("steps = OutputSteps;");
        return output;
    }

    // A model with a RepeatVector does not stream (NetworkModel.CanStream), so no Step is written.
    public override string WriteStep(EmitContext context, LayerModel layer, string input) => input;

    public override string WriteForwardBatch(EmitContext context, LayerModel layer, string input, bool sequence)
    {
        SourceWriter writer = context.Writer;
        string output = $"{context.Field(layer)}Output";
        writer.WriteLine($"// {layer.Name}: each sequence's vector [{Int(layer.Units)}] repeated as the input of each of the OutputSteps ({Int(layer.FixedSteps)}) steps");
        writer.WriteLine("// that follow; every sequence runs all of them, whatever its own length.");
        writer.WriteLine($"{RuntimeLayers}RepeatVectorLayer.Forward<{context.T}>({input}, sequences, OutputSteps, {Int(layer.Units)}, {output});");
        writer.WriteLine("steps = OutputSteps;");
        writer.WriteLine("lengths = default;");
        return output;
    }

    public override void WriteBackwardBatch(EmitContext context, LayerModel layer, BackwardPass pass)
    {
        SourceWriter writer = context.Writer;
        writer.WriteLine($"// {layer.Name}: the vector's gradient is the sum of its steps'; the layers before it ran over the input's steps.");
        if (pass.Previous is not null)
        {
            writer.WriteLine($"{RuntimeLayers}RepeatVectorLayer.Backward<{context.T}>({pass.Gradient}, sequences, OutputSteps, {Int(layer.Units)}, {pass.InputGradient});");
        }

        writer.WriteLine("steps = inputSteps;");
        writer.WriteLine("lengths = inputLengths;");
    }
}
