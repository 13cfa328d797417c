using System.Collections.Generic;
using RnnCompiler.Generators.Model;
using RnnCompiler.Generators.WeightFiles;

namespace RnnCompiler.Generators.Layers;

/// <summary>Keras <c>LSTM(units)</c>: gates i, f, c, o; a cell state carried beside the hidden state.</summary>
internal sealed class LstmLayer : RecurrentLayer
{
    public override LayerKind Kind => LayerKind.Lstm;

    public override string AttributeName => "Lstm";

    public override string KerasClass => "LSTM";

    public override string KerasName => "lstm";

    public override ActivationKind DefaultActivation => ActivationKind.Tanh;

    protected override bool HasGates => true;

    public override string RuntimeClass => "LstmLayer";

    public override bool HasCell => true;

    public override string? GateOrder => "i, f, c, o";

    public override string Formula(LayerModel layer) => layer.HasDefaultGateActivations
        ? "gates = x[t]·kernel + h[t-1]·recurrent_kernel + bias; c[t] = f⊙c[t-1] + i⊙g; h[t] = o⊙tanh(c[t])"
        : $"gates = x[t]·kernel + h[t-1]·recurrent_kernel + bias, i, f, o through {GateName(layer)}, g through {CellName(layer)}; c[t] = f⊙c[t-1] + i⊙g; h[t] = o⊙{CellName(layer)}(c[t])";

    protected override IEnumerable<(string Suffix, int Width, string What)> StepBuffers(LayerModel layer)
    {
        yield return ("Gates", layer.Gates * layer.Units, $"the activated gates {GateOrder} of each step");
        yield return ("Cells", layer.Units, "the cell state of each step");
    }

    protected override string Options(LayerModel layer) => string.Empty;

    protected override double? KeepGateBias(LayerDeclaration layer) =>
        layer.Double("KeepGateBias") is double keep && !double.IsNaN(keep) ? keep
        : layer.Bool("UnitForgetBias") == false ? 0
        : null;

    protected override string ForwardArguments(string buffer, string field, string initialCell) =>
        $", initialCell: {initialCell}, gates: {buffer}Gates, cells: {buffer}Cells, hidden: {buffer}Hidden";

    protected override string BackwardArguments(string buffer, string initialCell) => ForwardArguments(buffer, string.Empty, initialCell);

    protected override string StepArguments(string field) => $", hidden: {field}State, cell: {field}CellState, gates: {field}Gates";
}
