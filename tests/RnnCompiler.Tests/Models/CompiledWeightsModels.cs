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

/// <summary>
/// The same network with weights compiled in from <c>compiled_torch.safetensors</c>: a PyTorch state_dict
/// (<c>gru.weight_ih_l0</c> … <c>gru.bias_hh_l0</c> of an nn.GRU(3, 4), <c>dense.weight</c> and <c>dense.bias</c> of an
/// nn.Linear(4, 2)), converted to Keras's layout by the generator as LoadWeights converts it.
/// </summary>
[RnnModel(SequenceLength = 6, Weights = "compiled_torch.safetensors")]
[Input(3)]
[Gru(4)]
[Dense(2, Activation = Activation.Tanh)]
public partial class CompiledTorchWeightsModel;

/// <summary>Compiled-in weights with an int8 copy: quantized by the first Predict or Step.</summary>
[RnnModel(SequenceLength = 6, Weights = "compiled.safetensors", WeightPrecision = WeightPrecision.Int8)]
[Input(3)]
[Gru(4)]
[Dense(2, Activation = Activation.Tanh)]
public partial class Int8CompiledWeightsModel;
