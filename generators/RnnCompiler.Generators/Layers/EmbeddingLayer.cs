using RnnCompiler.Generators.Emit;
using RnnCompiler.Generators.Model;
using RnnCompiler.Generators.Validation;
using RnnCompiler.Generators.WeightFiles;
using static RnnCompiler.Generators.Emit.CSharp;

namespace RnnCompiler.Generators.Layers;

/// <summary>Keras <c>Embedding(vocabulary, dimensions)</c>: the first layer of a model that reads token ids; row <c>tokens[t]</c> of its table per step.</summary>
internal sealed class EmbeddingLayer : LayerDescriptor
{
    public override LayerKind Kind => LayerKind.Embedding;

    public override string AttributeName => "Embedding";

    public override string KerasClass => "Embedding";

    public override bool IsModelInput => true;

    public override bool TakesTokens => true;

    public override void Resolve(ResolveContext context, LayerDeclaration layer, int index)
    {
        bool ok = context.CheckSize(index, Label, layer.First, NetworkValidator.MaxVocabulary, "the vocabulary size")
            & context.CheckSize(index, Label, layer.Second, NetworkValidator.MaxUnits, "dimensions");
        if (!ok)
        {
            return;
        }

        string name = context.NextName("embedding");
        bool maskZero = layer.Bool("MaskZero") ?? false;
        var model = new LayerModel(Kind, name, name, NetworkValidator.Identifier(name), layer.First, layer.Second, layer.Second,
            true, true, ActivationKind.Linear, false, MergeKind.Concat, false, (int)context.Offset, 0)
        {
            MaskZero = maskZero,
        };
        context.Layers.Add(context.AddTensors(model, index));
        context.InputWidth = layer.First;
        context.Width = layer.Second;
        context.MaskZero = maskZero;
    }

    public override void AddBuffers(BufferSink buffers, LayerModel layer, bool isLast) =>
        buffers.PerStep(BufferKind.Working, $"{BufferPlan.Stem(layer)}Output", layer.OutputWidth, $"{layer.Name}: each step's embedding row");

    public override string WritePredict(EmitContext context, LayerModel layer, string input, bool sequence) =>
        WriteLookup(context, layer, "every step t");

    public override string WriteStep(EmitContext context, LayerModel layer, string input)
    {
        string local = context.Field(layer).TrimStart('_');
        string units = Int(layer.Units);
        context.Writer.WriteLine($"// {layer.Name}: the token's row of the table.");
        context.Writer.WriteLine($"{ReadOnlySpan}<{context.T}> {local} = p.Slice(Layout.{layer.Identifier}Embeddings + token * {units}, {units});");
        return local;
    }

    public override string WriteForwardBatch(EmitContext context, LayerModel layer, string input, bool sequence) =>
        WriteLookup(context, layer, "every step of every sequence");

    public override void WriteBackwardBatch(EmitContext context, LayerModel layer, BackwardPass pass)
    {
        string units = Int(layer.Units);
        context.Writer.WriteLine($"// {layer.Name}: add each step's gradient to its token's row (only the rows used are touched).");
        context.Writer.WriteLine($"{RuntimeLayers}EmbeddingLayer.Backward<{context.T}>(tokens, {SliceOf(pass.Gradient, "0", $"sequences * steps * {units}")}, {units}, {context.Weights(layer, "Embeddings", "g")});");
    }

    /// <summary>The lookup of every token's row into the layer's output buffer (Predict's sequence, or a batch's).</summary>
    private static string WriteLookup(EmitContext context, LayerModel layer, string where)
    {
        string field = context.Field(layer);
        string units = Int(layer.Units);
        context.Writer.WriteLine($"// {layer.Name}: row tokens[t] of the [{Int(layer.InputWidth)}, {units}] table for {where}.");
        context.Writer.WriteLine($"{RuntimeLayers}EmbeddingLayer.Forward<{context.T}>(tokens, {context.Weights(layer, "Embeddings")}, {units}, {field}Output);");
        return $"{field}Output";
    }
}
