namespace RnnCompiler.Tests.Models;

// The benchmark networks of issue 5 (tests/RnnCompiler.Benchmarks/Models.cs) twice: with bfloat16 weights, and the
// float model they are compared with. SequenceLength is longer than the benchmarks' so Predict runs real sequences.

[RnnModel(SequenceLength = 16, WeightPrecision = WeightPrecision.BFloat16)]
[Input(1)]
[Lstm(8)]
[Dense(1)]
public partial class Bf16Lstm1x8x1;

[RnnModel(SequenceLength = 16)]
[Input(1)]
[Lstm(8)]
[Dense(1)]
public partial class F32Lstm1x8x1;

[RnnModel(SequenceLength = 16, WeightPrecision = WeightPrecision.BFloat16)]
[Input(1)]
[Lstm(32)]
[Dense(1)]
public partial class Bf16Lstm1x32x1;

[RnnModel(SequenceLength = 16)]
[Input(1)]
[Lstm(32)]
[Dense(1)]
public partial class F32Lstm1x32x1;

[RnnModel(SequenceLength = 16, WeightPrecision = WeightPrecision.BFloat16)]
[Input(1)]
[Gru(32)]
[Dense(1)]
public partial class Bf16Gru1x32x1;

[RnnModel(SequenceLength = 16)]
[Input(1)]
[Gru(32)]
[Dense(1)]
public partial class F32Gru1x32x1;

[RnnModel(SequenceLength = 32, WeightPrecision = WeightPrecision.BFloat16)]
[Input(64)]
[Lstm(128)]
[Dense(10)]
public partial class Bf16Lstm64x128x10;

[RnnModel(SequenceLength = 32)]
[Input(64)]
[Lstm(128)]
[Dense(10)]
public partial class F32Lstm64x128x10;

[RnnModel(SequenceLength = 32, WeightPrecision = WeightPrecision.BFloat16)]
[Input(64)]
[Gru(128)]
[Dense(10)]
public partial class Bf16Gru64x128x10;

[RnnModel(SequenceLength = 32)]
[Input(64)]
[Gru(128)]
[Dense(10)]
public partial class F32Gru64x128x10;

/// <summary>The other bfloat16 layer overloads: SimpleRNN, GRU with the reset gate before, a Dense at every step.</summary>
[RnnModel(SequenceLength = 9, WeightPrecision = WeightPrecision.BFloat16)]
[Input(5)]
[SimpleRnn(13, ReturnSequences = true)]
[Gru(7, ResetAfter = false, ReturnSequences = true)]
[Dense(3, Activation = Activation.Tanh)]
public partial class Bf16SimpleGruStack;

/// <summary>Tokens, and both directions of a bidirectional LSTM (Predict only: it cannot stream).</summary>
[RnnModel(SequenceLength = 9, WeightPrecision = WeightPrecision.BFloat16)]
[Embedding(20, 6)]
[Lstm(9, Bidirectional = true)]
[Dense(4, Activation = Activation.Softmax)]
public partial class Bf16BiLstmTokens;

/// <summary><see cref="CompiledWeightsModel"/> with bfloat16 weights: the rounded kernels are compiled in as constants.</summary>
[RnnModel(SequenceLength = 6, Weights = "compiled.safetensors", WeightPrecision = WeightPrecision.BFloat16)]
[Input(3)]
[Gru(4)]
[Dense(2, Activation = Activation.Tanh)]
public partial class Bf16CompiledWeightsModel;

/// <summary><see cref="RuntimeWeightsModel"/> with bfloat16 weights.</summary>
[RnnModel(SequenceLength = 6, WeightPrecision = WeightPrecision.BFloat16)]
[Input(3)]
[Gru(4)]
[Dense(2, Activation = Activation.Tanh)]
public partial class Bf16RuntimeWeightsModel;

/// <summary>Keras's activation options through the bfloat16 LSTM and GRU, both reset modes, Predict and Step.</summary>
[RnnModel(SequenceLength = 9, WeightPrecision = WeightPrecision.BFloat16)]
[Input(4)]
[Lstm(16, ReturnSequences = true, Activation = Activation.Relu, RecurrentActivation = Activation.HardSigmoidKeras2)]
[Gru(7, ResetAfter = false, ReturnSequences = true, RecurrentActivation = Activation.HardSigmoid)]
[Gru(32, Activation = Activation.Linear, RecurrentActivation = Activation.HardSigmoidKeras2)]
[Dense(2, Activation = Activation.HardSigmoid)]
public partial class Bf16ActivationStack;

[RnnModel(SequenceLength = 9)]
[Input(4)]
[Lstm(16, ReturnSequences = true, Activation = Activation.Relu, RecurrentActivation = Activation.HardSigmoidKeras2)]
[Gru(7, ResetAfter = false, ReturnSequences = true, RecurrentActivation = Activation.HardSigmoid)]
[Gru(32, Activation = Activation.Linear, RecurrentActivation = Activation.HardSigmoidKeras2)]
[Dense(2, Activation = Activation.HardSigmoid)]
public partial class F32ActivationStack;
