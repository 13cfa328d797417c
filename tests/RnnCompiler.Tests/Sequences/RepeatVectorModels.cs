namespace RnnCompiler.Tests.Sequences;

// Encoder-decoder models of Keras's addition_rnn form: an encoder that returns its last output, a RepeatVector, a
// decoder over the repeated vector, and a Dense at every decoder step.

[RnnModel(SequenceLength = 6, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 4)]
[Embedding(10, 3)]
[Lstm(4)]
[RepeatVector(3)]
[Gru(3, ReturnSequences = true)]
[Dense(10, Activation = Activation.Softmax)]
public partial class RepeatTokenModel;

[RnnModel(SequenceLength = 6, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 4, Parallelism = 2)]
[Embedding(10, 3)]
[Lstm(4)]
[RepeatVector(3)]
[Gru(3, ReturnSequences = true)]
[Dense(10, Activation = Activation.Softmax)]
public partial class ParallelRepeatTokenModel;

// A masked, bidirectional encoder, and more output steps than input steps.
[RnnModel(SequenceLength = 4, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 5)]
[Embedding(8, 3, MaskZero = true)]
[Lstm(3, Bidirectional = true)]
[RepeatVector(5)]
[Lstm(4, ReturnSequences = true)]
[Dense(8, Activation = Activation.Softmax)]
public partial class MaskedRepeatTokenModel;

// Float features to float values: a Dense before the repeat, a dropout-free stacked decoder, mean squared error.
[RnnModel(SequenceLength = 7, Precision = Precision.Double)]
[Train(Loss = Loss.MeanSquaredError, BatchSize = 3)]
[Input(2)]
[SimpleRnn(5)]
[Dense(4, Activation = Activation.Tanh)]
[RepeatVector(2)]
[Lstm(3, ReturnSequences = true)]
[Gru(2, ReturnSequences = true)]
[Dense(2)]
public partial class RepeatFeatureModel;

[RnnModel(SequenceLength = 7)]
[Train(Loss = Loss.MeanSquaredError, BatchSize = 3)]
[Input(2)]
[SimpleRnn(5)]
[Dense(4, Activation = Activation.Tanh)]
[RepeatVector(2)]
[Lstm(3, ReturnSequences = true)]
[Gru(2, ReturnSequences = true)]
[Dense(2)]
public partial class FloatRepeatFeatureModel;

// Inference only: batched Predict in lock step on two cores, of a masking model (packed) and of a plain one.
[RnnModel(SequenceLength = 4, BatchSize = 6, Parallelism = 2)]
[Embedding(8, 3, MaskZero = true)]
[Lstm(3, Bidirectional = true)]
[RepeatVector(5)]
[Lstm(4, ReturnSequences = true)]
[Dense(8, Activation = Activation.Softmax)]
public partial class ParallelMaskedRepeatScorer;

[RnnModel(SequenceLength = 4, BatchSize = 6)]
[Embedding(8, 3, MaskZero = true)]
[Lstm(3, Bidirectional = true)]
[RepeatVector(5)]
[Lstm(4, ReturnSequences = true)]
[Dense(8, Activation = Activation.Softmax)]
public partial class MaskedRepeatScorer;

[RnnModel(SequenceLength = 4)]
[Embedding(8, 3, MaskZero = true)]
[Lstm(3, Bidirectional = true)]
[RepeatVector(5)]
[Lstm(4, ReturnSequences = true)]
[Dense(8, Activation = Activation.Softmax)]
public partial class SingleMaskedRepeatScorer;

// Dropout on both sides of the repeat: a [Dropout] layer in the decoder's input and the decoder's own dropouts.
[RnnModel(SequenceLength = 6, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 4)]
[Embedding(10, 3)]
[Lstm(4, Dropout = 0)]
[RepeatVector(3)]
[Dropout(0)]
[Gru(3, ReturnSequences = true, Dropout = 0, RecurrentDropout = 0)]
[Dense(10, Activation = Activation.Softmax)]
public partial class ZeroDropoutRepeatTokenModel;

[RnnModel(SequenceLength = 6, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 4)]
[Embedding(10, 3)]
[Lstm(4, Dropout = 0.2)]
[RepeatVector(3)]
[Dropout(0.3)]
[Gru(3, ReturnSequences = true, Dropout = 0.2, RecurrentDropout = 0.2)]
[Dense(10, Activation = Activation.Softmax)]
public partial class DropoutRepeatTokenModel;

// One-to-many: one feature vector in (a sequence of one step), a sequence of 6 out, as a captioning or music model
// generates from its conditioning vector (Keras's "inject" form: the vector at every decoder step).
[RnnModel(SequenceLength = 1, Precision = Precision.Double)]
[Train(Loss = Loss.MeanSquaredError, BatchSize = 2)]
[Input(5)]
[Dense(4, Activation = Activation.Relu)]
[Gru(4)]
[RepeatVector(6)]
[Lstm(3, ReturnSequences = true)]
[Dense(2)]
public partial class OneToManyModel;
