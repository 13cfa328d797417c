namespace RnnCompiler.Tests.Models;

// The benchmark networks with int8 weights (their float peers are in BFloat16Models.cs), and the other int8 layer
// overloads: SimpleRNN, GRU with the reset gate before, Dense at every step, tokens, both directions, activations.

[RnnModel(SequenceLength = 16, WeightPrecision = WeightPrecision.Int8)]
[Input(1)]
[Lstm(8)]
[Dense(1)]
public partial class Int8Lstm1x8x1;

[RnnModel(SequenceLength = 16, WeightPrecision = WeightPrecision.Int8)]
[Input(1)]
[Lstm(32)]
[Dense(1)]
public partial class Int8Lstm1x32x1;

[RnnModel(SequenceLength = 16, WeightPrecision = WeightPrecision.Int8)]
[Input(1)]
[Gru(32)]
[Dense(1)]
public partial class Int8Gru1x32x1;

[RnnModel(SequenceLength = 32, WeightPrecision = WeightPrecision.Int8)]
[Input(64)]
[Lstm(128)]
[Dense(10)]
public partial class Int8Lstm64x128x10;

[RnnModel(SequenceLength = 32, WeightPrecision = WeightPrecision.Int8)]
[Input(64)]
[Gru(128)]
[Dense(10)]
public partial class Int8Gru64x128x10;

[RnnModel(SequenceLength = 9, WeightPrecision = WeightPrecision.Int8)]
[Input(5)]
[SimpleRnn(13, ReturnSequences = true)]
[Gru(7, ResetAfter = false, ReturnSequences = true)]
[Dense(3, Activation = Activation.Tanh)]
public partial class Int8SimpleGruStack;

[RnnModel(SequenceLength = 9, WeightPrecision = WeightPrecision.Int8)]
[Embedding(20, 6)]
[Lstm(9, Bidirectional = true)]
[Dense(4, Activation = Activation.Softmax)]
public partial class Int8BiLstmTokens;

[RnnModel(SequenceLength = 9, WeightPrecision = WeightPrecision.Int8)]
[Input(4)]
[Lstm(16, ReturnSequences = true, Activation = Activation.Relu, RecurrentActivation = Activation.HardSigmoidKeras2)]
[Gru(7, ResetAfter = false, ReturnSequences = true, RecurrentActivation = Activation.HardSigmoid)]
[Gru(32, Activation = Activation.Linear, RecurrentActivation = Activation.HardSigmoidKeras2)]
[Dense(2, Activation = Activation.HardSigmoid)]
public partial class Int8ActivationStack;
