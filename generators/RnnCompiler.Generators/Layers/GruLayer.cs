using System.Collections.Generic;
using RnnCompiler.Generators.Model;
using RnnCompiler.Generators.WeightFiles;
using static RnnCompiler.Generators.Emit.CSharp;

namespace RnnCompiler.Generators.Layers;

/// <summary>Keras <c>GRU(units)</c>: gates z, r, h, with Keras's <c>reset_after</c> (the default) or the original formulation.</summary>
internal sealed class GruLayer : RecurrentLayer
{
    public override LayerKind Kind => LayerKind.Gru;

    public override string AttributeName => "Gru";

    public override string KerasClass => "GRU";

    public override string KerasName => "gru";

    public override ActivationKind DefaultActivation => ActivationKind.Tanh;

    protected override bool HasGates => true;

    public override string RuntimeClass => "GruLayer";

    public override string? GateOrder => "z, r, h";

    /// <summary>Without <c>reset_after</c> the candidate reads a block of the recurrent kernel's columns on its own, so it stays row-major.</summary>
    public override bool PacksKernels(LayerModel layer) => layer.ResetAfter;

    public override string Formula(LayerModel layer) => layer.ResetAfter
        ? $"z, r = {GateName(layer)}(x[t]·W + b + h[t-1]·U + b'); ĥ = {CellName(layer)}(x[t]·Wh + bh + r⊙(h[t-1]·Uh + b'h)); h[t] = z⊙h[t-1] + (1-z)⊙ĥ"
        : $"z, r = {GateName(layer)}(x[t]·W + h[t-1]·U + b); ĥ = {CellName(layer)}(x[t]·Wh + (r⊙h[t-1])·Uh + bh); h[t] = z⊙h[t-1] + (1-z)⊙ĥ";

    protected override bool ResetAfter(LayerDeclaration layer) => layer.ResetAfter;

    protected override double? KeepGateBias(LayerDeclaration layer) =>
        layer.Double("KeepGateBias") is double keep && !double.IsNaN(keep) ? keep : null;

    protected override IEnumerable<(string Suffix, int Width, string What)> StepBuffers(LayerModel layer)
    {
        yield return ("Gates", layer.Gates * layer.Units, $"the activated gates {GateOrder} of each step");
        yield return ("Candidates", layer.Units, "the recurrent part of each step's candidate");
    }

    protected override int ScratchWidth(LayerModel layer) => 3 * layer.Units;

    protected override string Options(LayerModel layer) => $", resetAfter: {Bool(layer.ResetAfter)}";

    protected override string ForwardArguments(string buffer, string field, string initialCell) =>
        $", gates: {buffer}Gates, candidates: {buffer}Candidates, hidden: {buffer}Hidden, scratch: {field}Scratch";

    protected override string BackwardArguments(string buffer, string initialCell) => $", gates: {buffer}Gates, candidates: {buffer}Candidates, hidden: {buffer}Hidden";

    protected override string StepArguments(string field) => $", hidden: {field}State, gates: {field}Gates, candidates: {field}Candidates, scratch: {field}Scratch";
}
