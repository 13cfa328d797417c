namespace RnnCompiler.Tests.Training;

// Keras's Dropout layer and the recurrent layers' input dropout, with twins without dropout: what they compute when
// not training, and what their masks do when training.

[RnnModel(SequenceLength = 6, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 4)]
[Input(3)]
[Dropout(0.3)]
[Lstm(4, ReturnSequences = true, Dropout = 0.25)]
[Gru(3, Bidirectional = true, Dropout = 0.4)]
[Dropout(0.5)]
[Dense(3, Activation = Activation.Softmax)]
public partial class DropoutClassifier;

[RnnModel(SequenceLength = 6, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 4)]
[Input(3)]
[Lstm(4, ReturnSequences = true)]
[Gru(3, Bidirectional = true)]
[Dense(3, Activation = Activation.Softmax)]
public partial class PlainClassifier;

[RnnModel(SequenceLength = 6)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 4)]
[Input(3)]
[Dropout(0.3)]
[Lstm(4, ReturnSequences = true, Dropout = 0.25)]
[Gru(3, Bidirectional = true, Dropout = 0.4)]
[Dropout(0.5)]
[Dense(3, Activation = Activation.Softmax)]
public partial class FloatDropoutClassifier;

[RnnModel(SequenceLength = 6, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 4, Parallelism = 2)]
[Input(3)]
[Dropout(0.3)]
[Lstm(4, ReturnSequences = true, Dropout = 0.25)]
[Gru(3, Bidirectional = true, Dropout = 0.4)]
[Dropout(0.5)]
[Dense(3, Activation = Activation.Softmax)]
public partial class ParallelDropoutClassifier;

// A token tagger: dropout on the embedding rows at every step and a SimpleRNN's input dropout, per-step outputs.
[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 3)]
[Embedding(9, 4, MaskZero = true)]
[Dropout(0.2)]
[SimpleRnn(5, ReturnSequences = true, Dropout = 0.3)]
[Dense(4, Activation = Activation.Softmax)]
public partial class DropoutTagger;

// One LSTM with input dropout as the first layer, and its twin: the dropout is the twin's input times the mask.
[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.MeanSquaredError, BatchSize = 3)]
[Input(2)]
[Lstm(3, Dropout = 0.5)]
[Dense(1)]
public partial class InputDropoutLstm;

[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.MeanSquaredError, BatchSize = 3)]
[Input(2)]
[Lstm(3)]
[Dense(1)]
public partial class PlainLstm;

[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.MeanSquaredError, BatchSize = 3)]
[Input(2)]
[Dropout(0.5)]
[Lstm(3)]
[Dense(1)]
public partial class LayerDropoutLstm;

// Raw values through Normalization and Masking into a dropout LSTM: gradients of everything trained, with the
// statistics adapted (not trained) and the masks fixed.
[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.MeanSquaredError, BatchSize = 3)]
[Input(2)]
[Masking(-1)]
[Normalization]
[Lstm(3, ReturnSequences = true, Dropout = 0.2)]
[Dense(2)]
public partial class NormalizedMaskedDropoutTagger;

// Keras's recurrent_dropout: masks per gate on the state (and, with dropout, per gate on the input) for LSTM and GRU in
// both reset modes, SimpleRNN's single masks, bidirectional, stacked, packed and in two shares.
[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.MeanSquaredError, BatchSize = 3)]
[Input(2)]
[Lstm(3, Dropout = 0.5, RecurrentDropout = 0.5)]
[Dense(1)]
public partial class RecurrentDropoutLstm;

[RnnModel(SequenceLength = 6, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 4)]
[Input(3)]
[Lstm(4, ReturnSequences = true, RecurrentDropout = 0.3)]
[Gru(3, Bidirectional = true, Dropout = 0.2, RecurrentDropout = 0.25)]
[Dense(3, Activation = Activation.Softmax)]
public partial class RecurrentDropoutStack;

[RnnModel(SequenceLength = 6)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 4)]
[Input(3)]
[Lstm(4, ReturnSequences = true, RecurrentDropout = 0.3)]
[Gru(3, Bidirectional = true, Dropout = 0.2, RecurrentDropout = 0.25)]
[Dense(3, Activation = Activation.Softmax)]
public partial class FloatRecurrentDropoutStack;

[RnnModel(SequenceLength = 6, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 4)]
[Input(3)]
[Lstm(4, ReturnSequences = true)]
[Gru(3, Bidirectional = true)]
[Dense(3, Activation = Activation.Softmax)]
public partial class PlainStack;

[RnnModel(SequenceLength = 6, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 4, Parallelism = 2)]
[Input(3)]
[Lstm(4, ReturnSequences = true, RecurrentDropout = 0.3)]
[Gru(3, Bidirectional = true, Dropout = 0.2, RecurrentDropout = 0.25)]
[Dense(3, Activation = Activation.Softmax)]
public partial class ParallelRecurrentDropoutStack;

[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.MeanSquaredError, BatchSize = 3)]
[Input(2)]
[Gru(4, ReturnSequences = true, ResetAfter = false, Dropout = 0.3, RecurrentDropout = 0.4, Bidirectional = true, MergeMode = MergeMode.Sum)]
[SimpleRnn(3, Dropout = 0.2, RecurrentDropout = 0.3)]
[Dense(2)]
public partial class RecurrentDropoutResetBefore;

[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, BatchSize = 3)]
[Embedding(9, 3, MaskZero = true)]
[Gru(4, ReturnSequences = true, Dropout = 0.25, RecurrentDropout = 0.3)]
[Lstm(3, Dropout = 0.2, RecurrentDropout = 0.2, Bidirectional = true)]
[Dense(3, Activation = Activation.Softmax)]
public partial class MaskedRecurrentDropout;

[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.MeanSquaredError, BatchSize = 3, DropoutSeed = 5)]
[Input(2)]
[Lstm(3, Dropout = 0.5)]
[Dense(1)]
public partial class SeededInputDropoutLstm;

// Dropout(0) after a many-to-one LSTM: it keeps its place in training and drops nothing, so it trains as PlainLstm.
[RnnModel(SequenceLength = 5, Precision = Precision.Double)]
[Train(Loss = Loss.MeanSquaredError, BatchSize = 3)]
[Input(2)]
[Lstm(3)]
[Dropout(0)]
[Dense(1)]
public partial class ZeroRateDropoutLstm;
