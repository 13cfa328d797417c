namespace RnnCompiler.Tests.Training;

// Double-precision models for the finite-difference gradient checks: every layer kind, option and loss, with sizes
// that are not multiples of a vector width.

[RnnModel(SequenceLength = 6, Precision = Precision.Double)]
[Train(Loss = Loss.MeanSquaredError, BatchSize = 3)]
[Input(3)]
[SimpleRnn(5, ReturnSequences = true)]
[SimpleRnn(3, Activation = Activation.Relu, Bidirectional = true, ReturnSequences = true)]
[Dense(2)]
public partial class GradSimpleRnnMse;

[RnnModel(SequenceLength = 6, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 3)]
[Input(4)]
[Lstm(3, ReturnSequences = true, Bidirectional = true, MergeMode = MergeMode.Sum)]
[Lstm(5)]
[Dense(3, Activation = Activation.Softmax)]
public partial class GradLstmSparse;

[RnnModel(SequenceLength = 6, Precision = Precision.Double)]
[Train(Loss = Loss.BinaryCrossentropy, BatchSize = 2)]
[Input(2)]
[Gru(4, ReturnSequences = true, ResetAfter = false, Bidirectional = true, MergeMode = MergeMode.Multiply)]
[Gru(3, Bidirectional = true, MergeMode = MergeMode.Average)]
[Dense(2, Activation = Activation.Sigmoid)]
public partial class GradGruBinary;

[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.CategoricalCrossentropy, BatchSize = 2)]
[Embedding(11, 3)]
[Gru(5, ReturnSequences = true)]
[Dense(4, Activation = Activation.Softmax)]
public partial class GradTokenTagger;

[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.MeanAbsoluteError, BatchSize = 2)]
[Input(3)]
[Dense(4, Activation = Activation.Tanh)]
[SimpleRnn(3, Activation = Activation.Sigmoid, ReturnSequences = true, Bidirectional = true)]
[Dense(2, Activation = Activation.Relu)]
public partial class GradDenseFirstMae;

[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.MeanSquaredError, BatchSize = 2)]
[Input(3)]
[SimpleRnn(2, Activation = Activation.Linear)]
[Dense(1)]
public partial class GradLinearRnn;

[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, FromLogits = true, BatchSize = 2)]
[Input(3)]
[Lstm(4, Bidirectional = true)]
[Dense(3)]
public partial class GradLstmLogits;

[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.BinaryCrossentropy, FromLogits = true, BatchSize = 2)]
[Input(2)]
[Gru(3, ReturnSequences = true)]
[Dense(2)]
public partial class GradGruSequenceLogits;

[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.MeanSquaredError, BatchSize = 2)]
[Input(2)]
[Lstm(3, ReturnSequences = true)]
public partial class GradLstmOutputIsState;

[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.MeanSquaredError, BatchSize = 2)]
[Input(2)]
[Gru(3, ResetAfter = true, Bidirectional = true, MergeMode = MergeMode.Concat, ReturnSequences = true)]
[Dense(2, Activation = Activation.Softmax)]
public partial class GradSoftmaxMse;

// A float twin of GradLstmSparse, for float-against-double gradients.
[RnnModel(SequenceLength = 6)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 3)]
[Input(4)]
[Lstm(3, ReturnSequences = true, Bidirectional = true, MergeMode = MergeMode.Sum)]
[Lstm(5)]
[Dense(3, Activation = Activation.Softmax)]
public partial class FloatLstmSparse;

// A float twin of GradTokenTagger.
[RnnModel(SequenceLength = 5)]
[Train(Loss = Loss.CategoricalCrossentropy, BatchSize = 2)]
[Embedding(11, 3)]
[Gru(5, ReturnSequences = true)]
[Dense(4, Activation = Activation.Softmax)]
public partial class FloatTokenTagger;

[RnnModel(SequenceLength = 4, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 2, Stateful = true, Optimizer = Optimizer.Sgd, LearningRate = 0.1)]
[Input(2)]
[Lstm(3, ReturnSequences = true)]
[Gru(2)]
[Dense(3, Activation = Activation.Softmax)]
public partial class StatefulClassifier;

// Parallelism twins of the models above: the same networks, each batch split into fixed shares run on several
// threads, for the finite-difference checks and for comparison with one thread.

[RnnModel(SequenceLength = 6, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 3, Parallelism = 2)]
[Input(4)]
[Lstm(3, ReturnSequences = true, Bidirectional = true, MergeMode = MergeMode.Sum)]
[Lstm(5)]
[Dense(3, Activation = Activation.Softmax)]
public partial class ParallelGradLstmSparse;

[RnnModel(SequenceLength = 6)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 3, Parallelism = 2)]
[Input(4)]
[Lstm(3, ReturnSequences = true, Bidirectional = true, MergeMode = MergeMode.Sum)]
[Lstm(5)]
[Dense(3, Activation = Activation.Softmax)]
public partial class ParallelFloatLstmSparse;

[RnnModel(SequenceLength = 6, Precision = Precision.Double)]
[Train(Loss = Loss.BinaryCrossentropy, BatchSize = 2, Parallelism = 2)]
[Input(2)]
[Gru(4, ReturnSequences = true, ResetAfter = false, Bidirectional = true, MergeMode = MergeMode.Multiply)]
[Gru(3, Bidirectional = true, MergeMode = MergeMode.Average)]
[Dense(2, Activation = Activation.Sigmoid)]
public partial class ParallelGradGruBinary;

// Three shares of a batch of up to three: a batch of two leaves a share empty.
[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.MeanAbsoluteError, BatchSize = 3, Parallelism = 3)]
[Input(3)]
[Dense(4, Activation = Activation.Tanh)]
[SimpleRnn(3, Activation = Activation.Sigmoid, ReturnSequences = true, Bidirectional = true)]
[Dense(2, Activation = Activation.Relu)]
public partial class ParallelGradDenseFirstMae;

[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.CategoricalCrossentropy, BatchSize = 2, Parallelism = 2)]
[Embedding(11, 3)]
[Gru(5, ReturnSequences = true)]
[Dense(4, Activation = Activation.Softmax)]
public partial class ParallelGradTokenTagger;

[RnnModel(SequenceLength = 4, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 2, Stateful = true, Optimizer = Optimizer.Sgd, LearningRate = 0.1, Parallelism = 2)]
[Input(2)]
[Lstm(3, ReturnSequences = true)]
[Gru(2)]
[Dense(3, Activation = Activation.Softmax)]
public partial class ParallelStatefulClassifier;

// TokenClassifier (OptimizerModels.cs) on three threads: batches of 4 split 1 + 1 + 2.
[RnnModel(SequenceLength = 12)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, Optimizer = Optimizer.Adam, LearningRate = 0.01, BatchSize = 4, ClipNorm = 1, Parallelism = 3)]
[Embedding(20, 5)]
[Lstm(7, ReturnSequences = true)]
[Gru(6)]
[Dense(3, Activation = Activation.Softmax)]
public partial class ParallelTokenClassifier;

// Models whose batch runs in lock step (every recurrent layer a one-directional LSTM, one thread): every way the
// lock-step passes join layers. Stacked LSTMs into a last state, two Dense layers on it (one row per sequence):
[RnnModel(SequenceLength = 6, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 3)]
[Input(4)]
[Lstm(3, ReturnSequences = true)]
[Lstm(5)]
[Dense(4, Activation = Activation.Tanh)]
[Dense(3, Activation = Activation.Softmax)]
public partial class GradLockStepStacked;

// The same network in two shares (Parallelism = 2), each share's sequences in lock step in its own workspace.
[RnnModel(SequenceLength = 6, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 3, Parallelism = 2)]
[Input(4)]
[Lstm(3, ReturnSequences = true)]
[Lstm(5)]
[Dense(4, Activation = Activation.Tanh)]
[Dense(3, Activation = Activation.Softmax)]
public partial class ParallelLockStepStacked;

// Embedding rows of every step of every sequence, a per-step Dense on the LSTM's sequence:
[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.CategoricalCrossentropy, BatchSize = 2)]
[Embedding(11, 3)]
[Lstm(5, ReturnSequences = true)]
[Dense(4, Activation = Activation.Softmax)]
public partial class GradLockStepTagger;

// A per-step Dense before the LSTM, and one after it:
[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.MeanAbsoluteError, BatchSize = 2)]
[Input(3)]
[Dense(4, Activation = Activation.Tanh)]
[Lstm(3, ReturnSequences = true)]
[Dense(2, Activation = Activation.Relu)]
public partial class GradLockStepDenseFirst;

// Stateful training in lock step (each row's carried state is its initial state), and its float twin.
[RnnModel(SequenceLength = 4, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 2, Stateful = true, Optimizer = Optimizer.Sgd, LearningRate = 0.1)]
[Input(2)]
[Lstm(3, ReturnSequences = true)]
[Lstm(2)]
[Dense(3, Activation = Activation.Softmax)]
public partial class StatefulLockStep;

[RnnModel(SequenceLength = 8, Precision = Precision.Double)]
[Input(2)]
[Lstm(3, ReturnSequences = true)]
[Lstm(2)]
[Dense(3, Activation = Activation.Softmax)]
public partial class LongStatefulLockStepTwin;

[RnnModel(SequenceLength = 6)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 3)]
[Input(4)]
[Lstm(3, ReturnSequences = true)]
[Lstm(5)]
[Dense(4, Activation = Activation.Tanh)]
[Dense(3, Activation = Activation.Softmax)]
public partial class FloatLockStepStacked;

[RnnModel(SequenceLength = 4, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 2, Stateful = true, Optimizer = Optimizer.Sgd, LearningRate = 0.1, Parallelism = 2)]
[Input(2)]
[Lstm(3, ReturnSequences = true)]
[Lstm(2)]
[Dense(3, Activation = Activation.Softmax)]
public partial class ParallelStatefulLockStep;

// Keras's activation options on LSTM and GRU (activation, recurrent_activation), every one of them in some layer, with
// a hard-sigmoid Dense output; a float twin for the 1e-4 comparison, and two shares (Parallelism = 2).
[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 3)]
[Input(3)]
[Lstm(4, ReturnSequences = true, Bidirectional = true, Activation = Activation.Relu, RecurrentActivation = Activation.HardSigmoid)]
[Lstm(3, Activation = Activation.Linear, RecurrentActivation = Activation.HardSigmoidKeras2)]
[Dense(3, Activation = Activation.Softmax)]
public partial class GradLstmActivations;

[RnnModel(SequenceLength = 5)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 3)]
[Input(3)]
[Lstm(4, ReturnSequences = true, Bidirectional = true, Activation = Activation.Relu, RecurrentActivation = Activation.HardSigmoid)]
[Lstm(3, Activation = Activation.Linear, RecurrentActivation = Activation.HardSigmoidKeras2)]
[Dense(3, Activation = Activation.Softmax)]
public partial class FloatLstmActivations;

[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.MeanSquaredError, BatchSize = 2)]
[Input(2)]
[Gru(4, ReturnSequences = true, ResetAfter = false, Activation = Activation.Sigmoid, RecurrentActivation = Activation.HardSigmoidKeras2)]
[Gru(3, ReturnSequences = true, Bidirectional = true, Activation = Activation.Relu, RecurrentActivation = Activation.Tanh)]
[Gru(3, Activation = Activation.Linear, RecurrentActivation = Activation.HardSigmoid)]
[Dense(2, Activation = Activation.HardSigmoid)]
public partial class GradGruActivations;

[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.MeanSquaredError, BatchSize = 3, Parallelism = 2)]
[Input(2)]
[Gru(4, ReturnSequences = true, ResetAfter = false, Activation = Activation.Sigmoid, RecurrentActivation = Activation.HardSigmoidKeras2)]
[Gru(3, ReturnSequences = true, Bidirectional = true, Activation = Activation.Relu, RecurrentActivation = Activation.Tanh)]
[Gru(3, Activation = Activation.Linear, RecurrentActivation = Activation.HardSigmoid)]
[Dense(2, Activation = Activation.HardSigmoidKeras2)]
public partial class ParallelGradGruActivations;
