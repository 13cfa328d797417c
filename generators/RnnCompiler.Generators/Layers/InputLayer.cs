using RnnCompiler.Generators.Emit;
using RnnCompiler.Generators.Model;
using RnnCompiler.Generators.Validation;
using RnnCompiler.Generators.WeightFiles;

namespace RnnCompiler.Generators.Layers;

/// <summary>
/// <c>[Input(features)]</c>: the width of the float steps the model reads. It holds no weights and resolves to no
/// <see cref="LayerModel"/>, so every pass reads the model's input directly; its emitting members pass the input through.
/// </summary>
internal sealed class InputLayer : LayerDescriptor
{
    public override LayerKind Kind => LayerKind.Input;

    public override string AttributeName => "Input";

    public override string KerasClass => "InputLayer";

    public override bool IsModelInput => true;

    public override void Resolve(ResolveContext context, LayerDeclaration layer, int index)
    {
        if (context.CheckSize(index, Label, layer.First, NetworkValidator.MaxFeatures, "features"))
        {
            context.Width = context.InputWidth = layer.First;
        }
    }

    public override string WritePredict(EmitContext context, LayerModel layer, string input, bool sequence) => input;

    public override string WriteStep(EmitContext context, LayerModel layer, string input) => input;

    public override string WriteForwardBatch(EmitContext context, LayerModel layer, string input, bool sequence) => input;

    public override void WriteBackwardBatch(EmitContext context, LayerModel layer, BackwardPass pass)
    {
    }
}
