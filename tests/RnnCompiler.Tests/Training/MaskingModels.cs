namespace RnnCompiler.Tests.Training;

// Models for the masking and variable-length tests: Keras's mask_zero and Masking through stacked, bidirectional,
// many-to-one and many-to-many layers of every kind, in double (for exact and finite-difference checks) and float.

[RnnModel(SequenceLength = 8, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 5)]
[Embedding(12, 3, MaskZero = true)]
[Lstm(4, ReturnSequences = true)]
[Gru(3, Bidirectional = true)]
[Dense(3, Activation = Activation.Softmax)]
public partial class MaskedTokenClassifier;

[RnnModel(SequenceLength = 8)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 5)]
[Embedding(12, 3, MaskZero = true)]
[Lstm(4, ReturnSequences = true)]
[Gru(3, Bidirectional = true)]
[Dense(3, Activation = Activation.Softmax)]
public partial class FloatMaskedTokenClassifier;

// The same network without the mask: on sequences without token 0 the two must agree bit for bit.
[RnnModel(SequenceLength = 8, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 5)]
[Embedding(12, 3)]
[Lstm(4, ReturnSequences = true)]
[Gru(3, Bidirectional = true)]
[Dense(3, Activation = Activation.Softmax)]
public partial class UnmaskedTokenClassifier;

[RnnModel(SequenceLength = 7, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 4)]
[Embedding(10, 3, MaskZero = true)]
[Gru(3, ReturnSequences = true, Bidirectional = true, ResetAfter = false)]
[SimpleRnn(3, ReturnSequences = true)]
[Dense(4, Activation = Activation.Softmax)]
public partial class MaskedTokenTagger;

[RnnModel(SequenceLength = 7, Precision = Precision.Double)]
[Train(Loss = Loss.MeanSquaredError, BatchSize = 4)]
[Input(2)]
[Masking(-1)]
[Lstm(3, ReturnSequences = true, Bidirectional = true, MergeMode = MergeMode.Sum)]
[SimpleRnn(3)]
[Dense(2)]
public partial class MaskedFeatureRegressor;

// A bidirectional layer that returns sequences last: Keras gives zeros at its masked steps.
[RnnModel(SequenceLength = 6, Precision = Precision.Double)]
[Train(Loss = Loss.MeanSquaredError, BatchSize = 3)]
[Input(2)]
[Masking]
[Gru(3, ReturnSequences = true, Bidirectional = true)]
public partial class MaskedBidirectionalSequence;

// Streaming: Step keeps every state through a masked step.
[RnnModel(SequenceLength = 8, Precision = Precision.Double)]
[Embedding(12, 3, MaskZero = true)]
[Lstm(4, ReturnSequences = true)]
[Gru(3)]
[Dense(3, Activation = Activation.Softmax)]
public partial class MaskedStreamingClassifier;

[RnnModel(SequenceLength = 6, Precision = Precision.Double)]
[Input(2)]
[Masking(-1)]
[SimpleRnn(3, ReturnSequences = true)]
[Dense(2)]
public partial class MaskedStreamingTagger;

// Two shares on two threads, each packed share in lock step.
[RnnModel(SequenceLength = 8, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 5, Parallelism = 2)]
[Embedding(12, 3, MaskZero = true)]
[Lstm(4, ReturnSequences = true)]
[Gru(3, Bidirectional = true)]
[Dense(3, Activation = Activation.Softmax)]
public partial class ParallelMaskedTokenClassifier;
