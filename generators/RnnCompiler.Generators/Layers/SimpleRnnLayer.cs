using System.Collections.Generic;
using RnnCompiler.Generators.Model;
using RnnCompiler.Generators.WeightFiles;

namespace RnnCompiler.Generators.Layers;

/// <summary>Keras <c>SimpleRNN(units)</c>: <c>h[t] = activation(x[t]·kernel + h[t-1]·recurrent_kernel + bias)</c>.</summary>
internal sealed class SimpleRnnLayer : RecurrentLayer
{
    public override LayerKind Kind => LayerKind.SimpleRnn;

    public override string AttributeName => "SimpleRnn";

    public override string KerasClass => "SimpleRNN";

    public override string KerasName => "simple_rnn";

    public override string RuntimeClass => "SimpleRnnLayer";

    public override ActivationKind DefaultActivation => ActivationKind.Tanh;

    public override string Formula(LayerModel layer) => $"h[t] = {layer.Activation}(x[t]·kernel + h[t-1]·recurrent_kernel + bias)";

    protected override IEnumerable<(string Suffix, int Width, string What)> StepBuffers(LayerModel layer)
    {
        yield return ("Sums", layer.Units, "the sums before the activation");
    }

    protected override string Options(LayerModel layer) => $", global::RnnCompiler.Activation.{layer.Activation}";

    protected override string ForwardArguments(string buffer, string field, string initialCell) => $", preactivations: {buffer}Sums, hidden: {buffer}Hidden";

    protected override string BackwardArguments(string buffer, string initialCell) => $", hidden: {buffer}Hidden";

    protected override string StepArguments(string field) => $", hidden: {field}State, preactivations: {field}Sums";
}
