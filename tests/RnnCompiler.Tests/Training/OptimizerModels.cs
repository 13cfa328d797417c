namespace RnnCompiler.Tests.Training;

// Small double-precision models, one per optimizer and clipping mode, for checking updates against the formulas.

[RnnModel(SequenceLength = 4, Precision = Precision.Double)]
[Train(Loss = Loss.MeanSquaredError, Optimizer = Optimizer.Sgd, LearningRate = 0.1, BatchSize = 2)]
[Input(2)]
[Gru(3)]
[Dense(2)]
public partial class SgdModel;

[RnnModel(SequenceLength = 4, Precision = Precision.Double)]
[Train(Loss = Loss.MeanSquaredError, Optimizer = Optimizer.Sgd, LearningRate = 0.1, Momentum = 0.9, BatchSize = 2)]
[Input(2)]
[Gru(3)]
[Dense(2)]
public partial class MomentumModel;

[RnnModel(SequenceLength = 4, Precision = Precision.Double)]
[Train(Loss = Loss.MeanSquaredError, Optimizer = Optimizer.Sgd, LearningRate = 0.1, Momentum = 0.8, Nesterov = true, BatchSize = 2)]
[Input(2)]
[Gru(3)]
[Dense(2)]
public partial class NesterovModel;

[RnnModel(SequenceLength = 4, Precision = Precision.Double)]
[Train(Loss = Loss.MeanSquaredError, Optimizer = Optimizer.Adam, LearningRate = 0.01, BatchSize = 2)]
[Input(2)]
[Gru(3)]
[Dense(2)]
public partial class AdamModel;

[RnnModel(SequenceLength = 4, Precision = Precision.Double)]
[Train(Loss = Loss.MeanSquaredError, Optimizer = Optimizer.RmsProp, LearningRate = 0.01, BatchSize = 2)]
[Input(2)]
[Gru(3)]
[Dense(2)]
public partial class RmsPropModel;

[RnnModel(SequenceLength = 4, Precision = Precision.Double)]
[Train(Loss = Loss.MeanSquaredError, Optimizer = Optimizer.Sgd, LearningRate = 0.1, ClipNorm = 0.05, BatchSize = 2)]
[Input(2)]
[Gru(3)]
[Dense(2)]
public partial class ClipNormModel;

[RnnModel(SequenceLength = 4, Precision = Precision.Double)]
[Train(Loss = Loss.MeanSquaredError, Optimizer = Optimizer.Sgd, LearningRate = 0.1, GlobalClipNorm = 0.05, BatchSize = 2)]
[Input(2)]
[Gru(3)]
[Dense(2)]
public partial class GlobalClipNormModel;

[RnnModel(SequenceLength = 4, Precision = Precision.Double)]
[Train(Loss = Loss.MeanSquaredError, Optimizer = Optimizer.Sgd, LearningRate = 0.1, ClipValue = 0.01, BatchSize = 2)]
[Input(2)]
[Gru(3)]
[Dense(2)]
public partial class ClipValueModel;

// A float model for the behaviour tests (allocation, bad input, non-finite batches, checkpoints).
[RnnModel(SequenceLength = 12)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, Optimizer = Optimizer.Adam, LearningRate = 0.01, BatchSize = 4, ClipNorm = 1)]
[Embedding(20, 5)]
[Lstm(7, ReturnSequences = true)]
[Gru(6)]
[Dense(3, Activation = Activation.Softmax)]
public partial class TokenClassifier;

[RnnModel(SequenceLength = 9)]
[Train(Loss = Loss.MeanSquaredError, Optimizer = Optimizer.RmsProp, BatchSize = 3)]
[Input(2)]
[SimpleRnn(5, ReturnSequences = true, Bidirectional = true)]
[Dense(2)]
public partial class SequenceRegressor;

// StatefulClassifier without [Train] and with room for two batches' steps: the reference for carried state.
[RnnModel(SequenceLength = 8, Precision = Precision.Double)]
[Input(2)]
[Lstm(3, ReturnSequences = true)]
[Gru(2)]
[Dense(3, Activation = Activation.Softmax)]
public partial class LongStatefulTwin;
