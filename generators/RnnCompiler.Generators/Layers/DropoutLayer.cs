using System.Globalization;
using RnnCompiler.Generators.Emit;
using RnnCompiler.Generators.Model;
using RnnCompiler.Generators.Validation;
using RnnCompiler.Generators.WeightFiles;
using static RnnCompiler.Generators.Emit.CSharp;

namespace RnnCompiler.Generators.Layers;

/// <summary>
/// Keras <c>Dropout(rate)</c>: while training, each value it receives is kept with probability <c>1 - rate</c> and scaled
/// by <c>1 / (1 - rate)</c>, else zeroed, with a new mask every update (<c>DropoutLayer.Draw</c>); Predict, Step and
/// Evaluate pass the values through. It holds no weights, so it has no runtime layer descriptor (<see cref="HoldsWeights"/>).
/// </summary>
internal sealed class DropoutLayer : LayerDescriptor
{
    public override LayerKind Kind => LayerKind.Dropout;

    public override string AttributeName => "Dropout";

    public override string KerasClass => "Dropout";

    public override bool HoldsWeights => false;

    public override void Resolve(ResolveContext context, LayerDeclaration layer, int index)
    {
        if (context.Width == 0)
        {
            return;
        }

        double rate = layer.PositionalDouble(0) ?? double.NaN;
        if (!(rate >= 0 && rate < 1))
        {
            context.Problem(ProblemIds.DropoutOutOfRange, index, $"{Label}: the rate is {rate.ToString("R", CultureInfo.InvariantCulture)}; it is the fraction of values dropped while training, from 0 up to (not including) 1, for example [Dropout(0.2)].");
            return;
        }

        if (index == context.Declaration.Layers.Count - 1)
        {
            context.Problem(ProblemIds.DropoutOutOfRange, index, $"{Label} cannot be the last layer: it would drop the model's outputs while training; put it before a Dense or recurrent layer.");
            return;
        }

        string name = context.NextName("dropout");
        var model = new LayerModel(Kind, name, name, NetworkValidator.Identifier(name), context.Width, context.Width, context.Width,
            context.IsSequence, context.IsSequence, ActivationKind.Linear, false, MergeKind.Concat, false, (int)context.Offset, 0)
        {
            DropoutRate = rate,
        };
        context.Layers.Add(model);
    }

    public override void AddTrainingBuffers(BufferSink buffers, LayerModel layer, bool isLast)
    {
        string field = BufferPlan.Stem(layer);
        long steps = layer.OutputIsSequence ? buffers.Steps : 1;
        string size = layer.OutputIsSequence ? $"{buffers.StepsText} * {Int(layer.Units)}" : Int(layer.Units);
        buffers.TrainingPerSequence($"{field}Output", size, steps * layer.Units, $"{layer.Name}: its outputs while training (the kept values, scaled).");
        buffers.TrainingPerSequence($"{field}Mask", size, steps * layer.Units, $"{layer.Name}: this update's mask, 0 or 1 / (1 - rate) per value.");
    }

    public override string WritePredict(EmitContext context, LayerModel layer, string input, bool sequence) => input;

    public override string WriteStep(EmitContext context, LayerModel layer, string input) => input;

    public override string WriteForwardBatch(EmitContext context, LayerModel layer, string input, bool sequence)
    {
        SourceWriter writer = context.Writer;
        if (context.Predicting)
        {
            writer.WriteLine($"// {layer.Name}: Dropout acts only while training; the values pass through.");
            return input;
        }

        string field = context.Field(layer);
        string t = context.T;
        string perSequence = sequence ? $"steps * {Int(layer.Units)}" : Int(layer.Units);
        string count = $"sequences * {perSequence}";
        writer.WriteLine($"// {layer.Name}: while training, Keras's Dropout({Rate(layer)}): each value kept with probability {Rate(1 - layer.DropoutRate)} and scaled by 1 / {Rate(1 - layer.DropoutRate)}, a new mask every update; else the values pass through.");
        using (writer.Block("if (dropoutStep >= 0)"))
        {
            writer.WriteLine($"{RuntimeLayers}DropoutLayer.Draw<{t}>({SliceOf($"{field}Mask", "0", count)}, {Rate(layer)}, site: {Int(Site(context, layer, 0))}, dropoutStep, first: (long)first * {perSequence}{DropoutLayer.Seed(context)});");
            writer.WriteLine($"{RuntimeLayers}DropoutLayer.Forward<{t}>({input}, {field}Mask, {count}, {field}Output);");
        }

        using (writer.Block("else"))
        {
            writer.WriteLine($"{ReadOnlySpan}<{t}> passed = {input};");
            writer.WriteLine($"passed.Slice(0, {count}).CopyTo({field}Output);");
        }

        return $"{field}Output";
    }

    public override void WriteBackwardBatch(EmitContext context, LayerModel layer, BackwardPass pass)
    {
        if (pass.Previous is null)
        {
            return; // the model's input needs no gradient
        }

        string field = context.Field(layer);
        string count = $"{LockStepEmitter.Rows(layer.InputIsSequence)} * {Int(layer.Units)}";
        context.Writer.WriteLine($"// {layer.Name}: the gradient passes where the value was kept, scaled as it was.");
        context.Writer.WriteLine($"{RuntimeLayers}DropoutLayer.Backward<{context.T}>({pass.Gradient}, {field}Mask, {count}, {pass.InputGradient});");
    }

    /// <summary>The seed argument of a Draw call: the model's <c>[Train(DropoutSeed)]</c> when it sets one, else nothing.</summary>
    internal static string Seed(EmitContext context) =>
        context.Model.Training is { DropoutSeed: not 0 } training ? $", seed: {Int(training.DropoutSeed)}" : string.Empty;

    /// <summary>A rate as a C# literal.</summary>
    internal static string Rate(LayerModel layer) => Rate(layer.DropoutRate);

    internal static string Rate(double rate) => rate.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>
    /// The dropout's site in the model, which keeps its masks apart from every other's: twice the layer's index, plus
    /// one for a bidirectional layer's backward direction.
    /// </summary>
    internal static int Site(EmitContext context, LayerModel layer, int direction)
    {
        int index = 0;
        foreach (LayerModel other in context.Model.Layers)
        {
            if (other == layer)
            {
                break;
            }

            index++;
        }

        return 2 * index + direction;
    }
}
