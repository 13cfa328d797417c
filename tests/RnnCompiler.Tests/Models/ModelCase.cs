using System;
using System.Collections.Generic;
using System.Linq;
using RnnCompiler.Tests.Reference;

namespace RnnCompiler.Tests.Models;

/// <summary>A generated model and the naive reference's description of the same network.</summary>
public sealed record ModelCase(string Name, Func<IRnnModel<float>> Create, RefLayer[] Layers)
{
    public override string ToString() => Name;

    public static ModelCase Get(string name) => ModelCatalog.All.Single(c => c.Name == name);

    public static IEnumerable<object[]> Names() => ModelCatalog.All.Select(c => new object[] { c.Name });

    public static IEnumerable<object[]> StreamingNames() =>
        ModelCatalog.All.Where(c => c.Create().Info.CanStream).Select(c => new object[] { c.Name });
}

/// <summary>A model whose weights are compiled in from <c>compiled.safetensors</c> (an AdditionalFiles item of this project).</summary>
[RnnModel(SequenceLength = 6, Weights = "compiled.safetensors")]
[Input(3)]
[Gru(4)]
[Dense(2, Activation = Activation.Tanh)]
public partial class CompiledWeightsModel;

/// <summary>The same network without compiled weights.</summary>
[RnnModel(SequenceLength = 6)]
[Input(3)]
[Gru(4)]
[Dense(2, Activation = Activation.Tanh)]
public partial class RuntimeWeightsModel;
