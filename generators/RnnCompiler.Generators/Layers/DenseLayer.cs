using RnnCompiler.Generators.Emit;
using RnnCompiler.Generators.Model;
using RnnCompiler.Generators.Validation;
using RnnCompiler.Generators.WeightFiles;
using static RnnCompiler.Generators.Emit.CSharp;

namespace RnnCompiler.Generators.Layers;

/// <summary>Keras <c>Dense(units)</c>: <c>y = activation(x·kernel + bias)</c> for every row it receives (each step of a sequence, or the one vector).</summary>
internal sealed class DenseLayer : LayerDescriptor
{
    public override LayerKind Kind => LayerKind.Dense;

    public override string AttributeName => "Dense";

    public override string KerasClass => "Dense";

    public override bool FusesWithLoss => true;

    public override void Resolve(ResolveContext context, LayerDeclaration layer, int index)
    {
        if (!context.CheckSize(index, Label, layer.First, NetworkValidator.MaxUnits, "units") || context.Width == 0)
        {
            return;
        }

        string name = context.NextName("dense");
        var model = new LayerModel(Kind, name, name, NetworkValidator.Identifier(name), context.Width, layer.First, layer.First,
            context.IsSequence, context.IsSequence, layer.Activation, false, MergeKind.Concat, false, (int)context.Offset, 0);
        context.Layers.Add(context.AddTensors(model, index));
        context.Width = layer.First;
    }

    public override void AddBuffers(BufferSink buffers, LayerModel layer, bool isLast)
    {
        if (!isLast) // the last layer writes the caller's outputs
        {
            buffers.Output(BufferKind.Working, $"{BufferPlan.Stem(layer)}Output", layer, $"{layer.Name}: its outputs");
        }
    }

    public override string WritePredict(EmitContext context, LayerModel layer, string input, bool sequence)
    {
        bool isLast = layer == context.Model.Last;
        string target = isLast ? "outputs" : $"{context.Field(layer)}Output";
        context.Writer.WriteLine(sequence
            ? $"// {layer.Name}: y[t] = {layer.Activation}(x[t]·kernel + bias) at every step, [{Int(layer.InputWidth)}] → [{Int(layer.Units)}]."
            : $"// {layer.Name}: y = {layer.Activation}(x·kernel + bias), [{Int(layer.InputWidth)}] → [{Int(layer.Units)}].");
        string activation = $"global::RnnCompiler.Activation.{layer.Activation}";
        context.Writer.WriteLine($"{context.InferenceMethod("DenseLayer", "Forward")}({input}, {(sequence ? "steps" : "1")}, {Int(layer.InputWidth)}, {context.ReadSpan(layer, "Kernel", WeightUse.Predict)}, {context.Weights(layer, "Bias")}, {activation}, {target});");
        return target;
    }

    public override string WriteStep(EmitContext context, LayerModel layer, string input)
    {
        bool isLast = layer == context.Model.Last;
        string target = isLast ? "output" : SliceOf(context.Field(layer) + "Output", "0", Int(layer.Units));
        context.Writer.WriteLine($"// {layer.Name}: y = {layer.Activation}(x·kernel + bias).");
        context.Writer.WriteLine($"{context.InferenceMethod("DenseLayer", "Step")}({input}, {Int(layer.InputWidth)}, {context.ReadSpan(layer, "Kernel", WeightUse.Step)}, {context.Weights(layer, "Bias")}, global::RnnCompiler.Activation.{layer.Activation}, {target});");
        return target;
    }

    public override string WriteForwardBatch(EmitContext context, LayerModel layer, string input, bool sequence)
    {
        NetworkModel model = context.Model;
        bool isLast = layer == model.Last;
        string target = isLast ? context.BatchOutputs : $"{context.Field(layer)}Output";
        string activation = isLast && model.TrainsOnLogits && !context.Predicting ? "Linear" : layer.Activation.ToString();
        context.Writer.WriteLine($"// {layer.Name}: {activation}(x·kernel + bias) for {(sequence ? "every step of every sequence" : "each sequence")}, [{Int(layer.InputWidth)}] → [{Int(layer.Units)}]{(activation != layer.Activation.ToString() ? "; the loss applies the " + layer.Activation : string.Empty)}.");
        context.Writer.WriteLine($"{RuntimeLayers}DenseLayer.Forward<{context.T}>({input}, {LockStepEmitter.Rows(sequence)}, {Int(layer.InputWidth)}, {context.Weights(layer, "Kernel")}, {context.Weights(layer, "Bias")}, global::RnnCompiler.Activation.{activation}, {target});");
        return target;
    }

    public override void WriteBackwardBatch(EmitContext context, LayerModel layer, BackwardPass pass)
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        bool isLast = layer == model.Last;
        bool fused = isLast && model.TrainsOnLogits;
        string outputs = isLast ? "_trainOutputs" : $"{context.Field(layer)}Output";
        writer.WriteLine(fused
            ? $"// {layer.Name}: the loss gave dLoss/dlogits; kernel, bias and input gradients from it, all rows of the batch at once."
            : $"// {layer.Name}: through {layer.Activation}, then kernel, bias and input gradients, all rows of the batch at once.");
        if (pass.Previous is not null)
        {
            writer.WriteLine($"{pass.InputGradient}.Clear();");
        }

        string activation = fused ? "Linear" : layer.Activation.ToString();
        string rows = LockStepEmitter.Rows(layer.InputIsSequence);
        writer.WriteLine($"{RuntimeLayers}DenseLayer.Backward<{context.T}>({pass.Input}, {rows}, {Int(layer.InputWidth)}, {context.Weights(layer, "Kernel")}, {outputs}, global::RnnCompiler.Activation.{activation}, {SliceOf(pass.Gradient, "0", $"{rows} * {Int(layer.Units)}")}, {pass.InputGradient}, {context.Weights(layer, "Kernel", "g")}, {context.Weights(layer, "Bias", "g")});");
    }
}
