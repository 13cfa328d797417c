namespace RnnCompiler.Tests.Sequences;

// Encoder-decoder models: the encoder's final state starts the decoder, which reads the target tokens shifted by one
// while training (teacher forcing) and its own greedy picks while predicting.

[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 4)]
[Embedding(9, 3)]
[Lstm(4)]
[Decoder(7, 2, MaxLength = 4, StartToken = 1, EndToken = 2)]
[Lstm(4, ReturnSequences = true)]
[Dense(7, Activation = Activation.Softmax)]
public partial class LstmTranslator;

[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 4, Parallelism = 2)]
[Embedding(9, 3)]
[Lstm(4)]
[Decoder(7, 2, MaxLength = 4, StartToken = 1, EndToken = 2)]
[Lstm(4, ReturnSequences = true)]
[Dense(7, Activation = Activation.Softmax)]
public partial class ParallelLstmTranslator;

// A GRU encoder over a masked, stacked source; a stacked decoder whose second layer starts from zeros.
[RnnModel(SequenceLength = 6, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 3)]
[Embedding(8, 3, MaskZero = true)]
[Gru(3, ReturnSequences = true)]
[Gru(4)]
[Decoder(6, 3, MaxLength = 3, StartToken = 0, EndToken = 5)]
[Gru(4, ReturnSequences = true)]
[SimpleRnn(3, ReturnSequences = true)]
[Dense(6, Activation = Activation.Softmax)]
public partial class MaskedGruTranslator;

[RnnModel(SequenceLength = 5)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 4)]
[Embedding(9, 3)]
[Lstm(4)]
[Decoder(7, 2, MaxLength = 4, StartToken = 1, EndToken = 2)]
[Lstm(4, ReturnSequences = true)]
[Dense(7, Activation = Activation.Softmax)]
public partial class FloatLstmTranslator;

// The same translator with a beam wide enough to keep every unfinished output of its 4 steps (7^3 = 343).
[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Embedding(9, 3)]
[Lstm(4)]
[Decoder(7, 2, MaxLength = 4, StartToken = 1, EndToken = 2, BeamWidth = 343)]
[Lstm(4, ReturnSequences = true)]
[Dense(7, Activation = Activation.Softmax)]
public partial class WideBeamTranslator;

// A bidirectional LSTM encoder over masked sources: its directions' final states, joined, start a decoder of twice its units.
[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 3)]
[Embedding(9, 3, MaskZero = true)]
[Lstm(3, Bidirectional = true)]
[Decoder(7, 2, MaxLength = 4, StartToken = 1, EndToken = 2)]
[Lstm(6, ReturnSequences = true)]
[Dense(7, Activation = Activation.Softmax)]
public partial class BidirectionalTranslator;

// Targets of different lengths: the steps after each target's end token count in no loss.
[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 4)]
[Embedding(9, 3)]
[Lstm(4)]
[Decoder(7, 2, MaxLength = 4, StartToken = 1, EndToken = 2, MaskAfterEnd = true)]
[Lstm(4, ReturnSequences = true)]
[Dense(7, Activation = Activation.Softmax)]
public partial class MaskedTargetTranslator;

// One-to-many from a feature vector (captioning's form): a Dense of the features is the decoder's initial h.
[RnnModel(SequenceLength = 1, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 4)]
[Input(5)]
[Dense(4, Activation = Activation.Tanh)]
[Decoder(7, 2, MaxLength = 4, StartToken = 1, EndToken = 2)]
[Lstm(4, ReturnSequences = true)]
[Dense(7, Activation = Activation.Softmax)]
public partial class FeatureCaptioner;

[RnnModel(SequenceLength = 1, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 4)]
[Input(5)]
[Dense(3)]
[Decoder(7, 2, MaxLength = 4, StartToken = 1, EndToken = 2)]
[Gru(3, ReturnSequences = true)]
[Dense(7, Activation = Activation.Softmax)]
public partial class FeatureGruCaptioner;

// A Dense bridge: a masked bidirectional encoder's joined final h, through a Dense, starts a decoder of other units.
[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 3)]
[Embedding(9, 3, MaskZero = true)]
[Gru(3, Bidirectional = true)]
[Dense(5, Activation = Activation.Tanh)]
[Decoder(7, 2, MaxLength = 4, StartToken = 1, EndToken = 2)]
[Lstm(5, ReturnSequences = true)]
[Dense(7, Activation = Activation.Softmax)]
public partial class BridgedTranslator;
