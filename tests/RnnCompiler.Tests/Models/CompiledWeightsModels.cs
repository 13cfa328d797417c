namespace RnnCompiler.Tests.Models;

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
