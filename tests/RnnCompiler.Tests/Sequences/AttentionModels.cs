namespace RnnCompiler.Tests.Sequences;

// Encoder-decoder models with attention: the encoder returns its sequence, which each decoder step attends to, and
// still hands its final state to the decoder.

[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 4)]
[Embedding(9, 3)]
[Lstm(4, ReturnSequences = true)]
[Decoder(7, 2, MaxLength = 4, StartToken = 1, EndToken = 2)]
[Lstm(4, ReturnSequences = true)]
[Attention(AttentionScore.Dot)]
[Dense(7, Activation = Activation.Softmax)]
public partial class DotAttentionTranslator;

[RnnModel(SequenceLength = 5)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 4)]
[Embedding(9, 3)]
[Lstm(4, ReturnSequences = true)]
[Decoder(7, 2, MaxLength = 4, StartToken = 1, EndToken = 2)]
[Lstm(4, ReturnSequences = true)]
[Attention(AttentionScore.Dot)]
[Dense(7, Activation = Activation.Softmax)]
public partial class FloatDotAttentionTranslator;

// Additive (Bahdanau) attention, trained on two cores.
[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 4, Parallelism = 2)]
[Embedding(9, 3)]
[Lstm(4, ReturnSequences = true)]
[Decoder(7, 2, MaxLength = 4, StartToken = 1, EndToken = 2)]
[Lstm(4, ReturnSequences = true)]
[Attention(AttentionScore.Additive)]
[Dense(7, Activation = Activation.Softmax)]
public partial class AdditiveAttentionTranslator;

[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 4)]
[Embedding(9, 3)]
[Lstm(4, ReturnSequences = true)]
[Decoder(7, 2, MaxLength = 4, StartToken = 1, EndToken = 2)]
[Lstm(4, ReturnSequences = true)]
[Attention(AttentionScore.Additive)]
[Dense(7, Activation = Activation.Softmax)]
public partial class SerialAdditiveAttentionTranslator;

// Luong's general score over a masked GRU source, from a decoder stack whose last layer is wider than the encoder.
[RnnModel(SequenceLength = 6, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 3)]
[Embedding(8, 3, MaskZero = true)]
[Gru(3, ReturnSequences = true)]
[Decoder(6, 3, MaxLength = 3, StartToken = 0, EndToken = 5)]
[Gru(3, ReturnSequences = true)]
[SimpleRnn(5, ReturnSequences = true)]
[Attention(AttentionScore.General)]
[Dense(6, Activation = Activation.Softmax)]
public partial class GeneralAttentionTranslator;

// Bahdanau's own setting: additive attention over a bidirectional encoder of masked sources (its merged outputs), whose
// directions' final states, joined, start a decoder of twice its units.
[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 3)]
[Embedding(9, 3, MaskZero = true)]
[Lstm(3, Bidirectional = true, ReturnSequences = true)]
[Decoder(7, 2, MaxLength = 4, StartToken = 1, EndToken = 2)]
[Lstm(6, ReturnSequences = true)]
[Attention(AttentionScore.Additive)]
[Dense(7, Activation = Activation.Softmax)]
public partial class BidirectionalAttentionTranslator;
