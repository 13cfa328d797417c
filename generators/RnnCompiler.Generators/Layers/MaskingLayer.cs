using System.Globalization;
using RnnCompiler.Generators.Emit;
using RnnCompiler.Generators.Model;
using RnnCompiler.Generators.Validation;
using RnnCompiler.Generators.WeightFiles;

namespace RnnCompiler.Generators.Layers;

/// <summary>
/// <c>[Masking(value)]</c>, Keras's <c>Masking(mask_value)</c>: a float step whose every feature equals the value is
/// masked. It holds no weights and, like <c>[Input]</c>, resolves to no <see cref="LayerModel"/>: the model records the
/// mask (<see cref="NetworkModel.MaskValue"/>) and every pass applies it where the steps are read, so its emitting members
/// pass the input through. The summary still shows it as Keras does.
/// </summary>
internal sealed class MaskingLayer : LayerDescriptor
{
    public override LayerKind Kind => LayerKind.Masking;

    public override string AttributeName => "Masking";

    public override string KerasClass => "Masking";

    public override void Resolve(ResolveContext context, LayerDeclaration layer, int index)
    {
        if (index != 1 || context.Layers.Count > 0 || context.InputWidth == 0 || context.MaskValue is not null)
        {
            context.Problem(ProblemIds.MaskingPlacement, index, $"{Label} comes directly after [Input(features)], once: it masks the model's float steps. A model of token ids masks with [Embedding(vocabulary, dimensions, MaskZero = true)].");
            return;
        }

        double value = layer.PositionalDouble(0) ?? 0;
        if (double.IsNaN(value) || double.IsInfinity(value))
        {
            context.Problem(ProblemIds.MaskingPlacement, index, $"{Label}: the mask value is {value.ToString("R", CultureInfo.InvariantCulture)}; it must be a finite number that marks padded steps, as 0 (the default) or -1.");
            return;
        }

        context.MaskValue = value;
        context.MaskingName = context.NextName("masking");
    }

    public override string WritePredict(EmitContext context, LayerModel layer, string input, bool sequence) => input;

    public override string WriteStep(EmitContext context, LayerModel layer, string input) => input;

    public override string WriteForwardBatch(EmitContext context, LayerModel layer, string input, bool sequence) => input;

    public override void WriteBackwardBatch(EmitContext context, LayerModel layer, BackwardPass pass)
    {
    }
}
