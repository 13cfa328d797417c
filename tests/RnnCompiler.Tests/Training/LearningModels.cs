namespace RnnCompiler.Tests.Training;

// Models for the learning experiments (LearningTests.cs). Float precision, as users train.

// The long-lag task (LongLagTask): 51 steps of 9 features (4 class channels, 1 first-step flag, 4 noise channels),
// 4 classes, many-to-one. The three recurrent kinds have the same width and the same budget: the same optimizer,
// learning rate, clipping and batch size here, and the same epochs, data and seeds in the tests.

[RnnModel(SequenceLength = 51)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, Optimizer = Optimizer.Adam, LearningRate = 5e-3, BatchSize = 32, GlobalClipNorm = 1)]
[Input(9)]
[Lstm(32, KeepGateBias = LongLagTask.KeepGateBias)]
[Dense(4, Activation = Activation.Softmax)]
public partial class LongLagLstm;

[RnnModel(SequenceLength = 51)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, Optimizer = Optimizer.Adam, LearningRate = 5e-3, BatchSize = 32, GlobalClipNorm = 1)]
[Input(9)]
[Gru(32, KeepGateBias = LongLagTask.KeepGateBias)]
[Dense(4, Activation = Activation.Softmax)]
public partial class LongLagGru;

[RnnModel(SequenceLength = 51)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, Optimizer = Optimizer.Adam, LearningRate = 5e-3, BatchSize = 32, GlobalClipNorm = 1)]
[Input(9)]
[SimpleRnn(32)]
[Dense(4, Activation = Activation.Softmax)]
public partial class LongLagSimpleRnn;

// The exploding-gradient experiment: a tanh SimpleRnn over 50 steps with MSE, plain SGD (no momentum) at a learning
// rate of 0.3, without clipping, with per-tensor ClipNorm and with GlobalClipNorm. Everything else is identical, and
// the tests start all three from the same weights.

[RnnModel(SequenceLength = 50)]
[Train(Loss = Loss.MeanSquaredError, Optimizer = Optimizer.Sgd, LearningRate = 0.3, BatchSize = 32)]
[Input(1)]
[SimpleRnn(16)]
[Dense(1)]
public partial class ExplodingRnn;

[RnnModel(SequenceLength = 50)]
[Train(Loss = Loss.MeanSquaredError, Optimizer = Optimizer.Sgd, LearningRate = 0.3, BatchSize = 32, ClipNorm = 1)]
[Input(1)]
[SimpleRnn(16)]
[Dense(1)]
public partial class ExplodingRnnClipNorm;

[RnnModel(SequenceLength = 50)]
[Train(Loss = Loss.MeanSquaredError, Optimizer = Optimizer.Sgd, LearningRate = 0.3, BatchSize = 32, GlobalClipNorm = 1)]
[Input(1)]
[SimpleRnn(16)]
[Dense(1)]
public partial class ExplodingRnnGlobalClipNorm;

// Determinism: a token model with a bidirectional and a stacked layer, Adam and clipping, so that shuffling,
// embedding rows, both directions and the optimizer's moments all take part.

[RnnModel(SequenceLength = 20)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, Optimizer = Optimizer.Adam, LearningRate = 1e-2, BatchSize = 16, ClipNorm = 1)]
[Embedding(12, 6)]
[Lstm(10, ReturnSequences = true, Bidirectional = true)]
[Gru(7)]
[Dense(3, Activation = Activation.Softmax)]
public partial class DeterministicTokenModel;
