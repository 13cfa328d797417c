// Models declared for the end-to-end tests; each entry pairs a generated model with its naive reference description.
// Written by hand-run script from a table of cases; every case is an ordinary user declaration.
using System;
using System.Collections.Generic;
using RnnCompiler.Tests.Reference;

namespace RnnCompiler.Tests.Models;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[SimpleRnn(1, ReturnSequences = true)]
public partial class SimpleRnnTanh1;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[Lstm(1, ReturnSequences = true)]
public partial class Lstm1;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[Gru(1, ReturnSequences = true)]
public partial class GruAfter1;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[Gru(1, ResetAfter = false, ReturnSequences = true)]
public partial class GruBefore1;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[SimpleRnn(1, ReturnSequences = true, Bidirectional = true)]
public partial class BiSimpleRnn1;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[Lstm(1, ReturnSequences = true, Bidirectional = true)]
public partial class BiLstm1;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[Gru(1, ReturnSequences = true, Bidirectional = true)]
public partial class BiGruAfter1;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[Gru(1, ResetAfter = false, ReturnSequences = true, Bidirectional = true)]
public partial class BiGruBefore1;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[SimpleRnn(3, ReturnSequences = true)]
public partial class SimpleRnnTanh3;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[Lstm(3, ReturnSequences = true)]
public partial class Lstm3;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[Gru(3, ReturnSequences = true)]
public partial class GruAfter3;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[Gru(3, ResetAfter = false, ReturnSequences = true)]
public partial class GruBefore3;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[SimpleRnn(3, ReturnSequences = true, Bidirectional = true)]
public partial class BiSimpleRnn3;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[Lstm(3, ReturnSequences = true, Bidirectional = true)]
public partial class BiLstm3;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[Gru(3, ReturnSequences = true, Bidirectional = true)]
public partial class BiGruAfter3;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[Gru(3, ResetAfter = false, ReturnSequences = true, Bidirectional = true)]
public partial class BiGruBefore3;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[SimpleRnn(13, ReturnSequences = true)]
public partial class SimpleRnnTanh13;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[Lstm(13, ReturnSequences = true)]
public partial class Lstm13;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[Gru(13, ReturnSequences = true)]
public partial class GruAfter13;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[Gru(13, ResetAfter = false, ReturnSequences = true)]
public partial class GruBefore13;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[SimpleRnn(13, ReturnSequences = true, Bidirectional = true)]
public partial class BiSimpleRnn13;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[Lstm(13, ReturnSequences = true, Bidirectional = true)]
public partial class BiLstm13;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[Gru(13, ReturnSequences = true, Bidirectional = true)]
public partial class BiGruAfter13;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[Gru(13, ResetAfter = false, ReturnSequences = true, Bidirectional = true)]
public partial class BiGruBefore13;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[SimpleRnn(33, ReturnSequences = true)]
public partial class SimpleRnnTanh33;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[Lstm(33, ReturnSequences = true)]
public partial class Lstm33;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[Gru(33, ReturnSequences = true)]
public partial class GruAfter33;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[Gru(33, ResetAfter = false, ReturnSequences = true)]
public partial class GruBefore33;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[SimpleRnn(33, ReturnSequences = true, Bidirectional = true)]
public partial class BiSimpleRnn33;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[Lstm(33, ReturnSequences = true, Bidirectional = true)]
public partial class BiLstm33;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[Gru(33, ReturnSequences = true, Bidirectional = true)]
public partial class BiGruAfter33;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[Gru(33, ResetAfter = false, ReturnSequences = true, Bidirectional = true)]
public partial class BiGruBefore33;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[SimpleRnn(3, Activation = Activation.Relu, ReturnSequences = true)]
public partial class SimpleRnnRelu3;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[SimpleRnn(13, Activation = Activation.Relu, ReturnSequences = true)]
public partial class SimpleRnnRelu13;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[SimpleRnn(3, Activation = Activation.Sigmoid, ReturnSequences = true)]
public partial class SimpleRnnSigmoid3;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[SimpleRnn(13, Activation = Activation.Sigmoid, ReturnSequences = true)]
public partial class SimpleRnnSigmoid13;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[SimpleRnn(3, Activation = Activation.Linear, ReturnSequences = true)]
public partial class SimpleRnnLinear3;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[SimpleRnn(13, Activation = Activation.Linear, ReturnSequences = true)]
public partial class SimpleRnnLinear13;

[RnnModel(SequenceLength = 7, BatchSize = 3)]
[Input(4)]
[SimpleRnn(3, ReturnSequences = true, Bidirectional = true, MergeMode = MergeMode.Concat)]
public partial class BiSimpleRnnConcatSequence;

[RnnModel(SequenceLength = 7, BatchSize = 3)]
[Input(4)]
[SimpleRnn(13, Bidirectional = true, MergeMode = MergeMode.Concat)]
[Dense(2)]
public partial class BiSimpleRnnConcatLast;

[RnnModel(SequenceLength = 7, BatchSize = 3)]
[Input(4)]
[Lstm(3, ReturnSequences = true, Bidirectional = true, MergeMode = MergeMode.Concat)]
public partial class BiLstmConcatSequence;

[RnnModel(SequenceLength = 7, BatchSize = 3)]
[Input(4)]
[Lstm(13, Bidirectional = true, MergeMode = MergeMode.Concat)]
[Dense(2)]
public partial class BiLstmConcatLast;

[RnnModel(SequenceLength = 7, BatchSize = 3)]
[Input(4)]
[Gru(3, ReturnSequences = true, Bidirectional = true, MergeMode = MergeMode.Concat)]
public partial class BiGruConcatSequence;

[RnnModel(SequenceLength = 7, BatchSize = 3)]
[Input(4)]
[Gru(13, Bidirectional = true, MergeMode = MergeMode.Concat)]
[Dense(2)]
public partial class BiGruConcatLast;

[RnnModel(SequenceLength = 7, BatchSize = 3)]
[Input(4)]
[SimpleRnn(3, ReturnSequences = true, Bidirectional = true, MergeMode = MergeMode.Sum)]
public partial class BiSimpleRnnSumSequence;

[RnnModel(SequenceLength = 7, BatchSize = 3)]
[Input(4)]
[SimpleRnn(13, Bidirectional = true, MergeMode = MergeMode.Sum)]
[Dense(2)]
public partial class BiSimpleRnnSumLast;

[RnnModel(SequenceLength = 7, BatchSize = 3)]
[Input(4)]
[Lstm(3, ReturnSequences = true, Bidirectional = true, MergeMode = MergeMode.Sum)]
public partial class BiLstmSumSequence;

[RnnModel(SequenceLength = 7, BatchSize = 3)]
[Input(4)]
[Lstm(13, Bidirectional = true, MergeMode = MergeMode.Sum)]
[Dense(2)]
public partial class BiLstmSumLast;

[RnnModel(SequenceLength = 7, BatchSize = 3)]
[Input(4)]
[Gru(3, ReturnSequences = true, Bidirectional = true, MergeMode = MergeMode.Sum)]
public partial class BiGruSumSequence;

[RnnModel(SequenceLength = 7, BatchSize = 3)]
[Input(4)]
[Gru(13, Bidirectional = true, MergeMode = MergeMode.Sum)]
[Dense(2)]
public partial class BiGruSumLast;

[RnnModel(SequenceLength = 7, BatchSize = 3)]
[Input(4)]
[SimpleRnn(3, ReturnSequences = true, Bidirectional = true, MergeMode = MergeMode.Multiply)]
public partial class BiSimpleRnnMultiplySequence;

[RnnModel(SequenceLength = 7, BatchSize = 3)]
[Input(4)]
[SimpleRnn(13, Bidirectional = true, MergeMode = MergeMode.Multiply)]
[Dense(2)]
public partial class BiSimpleRnnMultiplyLast;

[RnnModel(SequenceLength = 7, BatchSize = 3)]
[Input(4)]
[Lstm(3, ReturnSequences = true, Bidirectional = true, MergeMode = MergeMode.Multiply)]
public partial class BiLstmMultiplySequence;

[RnnModel(SequenceLength = 7, BatchSize = 3)]
[Input(4)]
[Lstm(13, Bidirectional = true, MergeMode = MergeMode.Multiply)]
[Dense(2)]
public partial class BiLstmMultiplyLast;

[RnnModel(SequenceLength = 7, BatchSize = 3)]
[Input(4)]
[Gru(3, ReturnSequences = true, Bidirectional = true, MergeMode = MergeMode.Multiply)]
public partial class BiGruMultiplySequence;

[RnnModel(SequenceLength = 7, BatchSize = 3)]
[Input(4)]
[Gru(13, Bidirectional = true, MergeMode = MergeMode.Multiply)]
[Dense(2)]
public partial class BiGruMultiplyLast;

[RnnModel(SequenceLength = 7, BatchSize = 3)]
[Input(4)]
[SimpleRnn(3, ReturnSequences = true, Bidirectional = true, MergeMode = MergeMode.Average)]
public partial class BiSimpleRnnAverageSequence;

[RnnModel(SequenceLength = 7, BatchSize = 3)]
[Input(4)]
[SimpleRnn(13, Bidirectional = true, MergeMode = MergeMode.Average)]
[Dense(2)]
public partial class BiSimpleRnnAverageLast;

[RnnModel(SequenceLength = 7, BatchSize = 3)]
[Input(4)]
[Lstm(3, ReturnSequences = true, Bidirectional = true, MergeMode = MergeMode.Average)]
public partial class BiLstmAverageSequence;

[RnnModel(SequenceLength = 7, BatchSize = 3)]
[Input(4)]
[Lstm(13, Bidirectional = true, MergeMode = MergeMode.Average)]
[Dense(2)]
public partial class BiLstmAverageLast;

[RnnModel(SequenceLength = 7, BatchSize = 3)]
[Input(4)]
[Gru(3, ReturnSequences = true, Bidirectional = true, MergeMode = MergeMode.Average)]
public partial class BiGruAverageSequence;

[RnnModel(SequenceLength = 7, BatchSize = 3)]
[Input(4)]
[Gru(13, Bidirectional = true, MergeMode = MergeMode.Average)]
[Dense(2)]
public partial class BiGruAverageLast;

[RnnModel(SequenceLength = 11, BatchSize = 3)]
[Input(3)]
[SimpleRnn(13)]
[Dense(4, Activation = Activation.Softmax)]
public partial class SimpleRnnManyToOne;

[RnnModel(SequenceLength = 11, BatchSize = 3)]
[Input(3)]
[Lstm(13)]
[Dense(4, Activation = Activation.Softmax)]
public partial class LstmManyToOne;

[RnnModel(SequenceLength = 11, BatchSize = 3)]
[Input(3)]
[Gru(33, ResetAfter = false)]
[Dense(1, Activation = Activation.Sigmoid)]
public partial class GruBeforeManyToOne;

[RnnModel(SequenceLength = 11, BatchSize = 3)]
[Input(3)]
[Gru(33)]
public partial class GruAfterLastState;

[RnnModel(SequenceLength = 10, BatchSize = 3)]
[Input(4)]
[Lstm(13, ReturnSequences = true)]
[Gru(3, ReturnSequences = true, Bidirectional = true)]
[SimpleRnn(33, Activation = Activation.Relu)]
[Dense(5, Activation = Activation.Softmax)]
public partial class DeepStack;

[RnnModel(SequenceLength = 10, BatchSize = 3)]
[Input(4)]
[Lstm(13, ReturnSequences = true)]
[Gru(3, ResetAfter = false, ReturnSequences = true)]
[SimpleRnn(17, ReturnSequences = true)]
[Dense(5, Activation = Activation.Softmax)]
public partial class DeepStreaming;

[RnnModel(SequenceLength = 8, BatchSize = 3)]
[Input(6)]
[Dense(8, Activation = Activation.Tanh)]
[Gru(5)]
[Dense(2, Activation = Activation.Sigmoid)]
public partial class DenseFirst;

[RnnModel(SequenceLength = 8, BatchSize = 3)]
[Input(3)]
[Lstm(7, ReturnSequences = true)]
[Dense(4, Activation = Activation.Relu)]
public partial class ManyToMany;

[RnnModel(SequenceLength = 5, BatchSize = 3)]
[Input(3)]
[Dense(2, Activation = Activation.Tanh)]
public partial class DenseOnly;

[RnnModel(SequenceLength = 12, BatchSize = 3)]
[Embedding(50, 7)]
[Gru(13)]
[Dense(3, Activation = Activation.Softmax)]
public partial class TokenGru;

[RnnModel(SequenceLength = 12, BatchSize = 3)]
[Embedding(31, 5)]
[Lstm(6, ReturnSequences = true)]
[Dense(3, Activation = Activation.Softmax)]
public partial class TokenTagger;

[RnnModel(SequenceLength = 80, BatchSize = 3)]
[Embedding(1000, 64)]
[Lstm(128)]
[Dense(10, Activation = Activation.Softmax)]
public partial class Sentiment;

// Kernels of 32 KB or more, which Predict and Step read from a copy packed in panels (MatrixKernels.PackPanels): both of
// a reset-after GRU's (288 columns, 18 vectors of 16); only the recurrent one of a SimpleRNN (96 columns, 6 vectors); a
// reset-before GRU, which keeps its kernels row-major; a bidirectional LSTM of 200 columns (whole vectors of 8 but not
// of 16: with AVX-512 its last 8 columns follow the panels row-major); a stack whose first LSTM packs only its recurrent kernel
// and whose second packs both, with row counts (64, 72) around the groups of eight rows.
[RnnModel(SequenceLength = 6, BatchSize = 3)]
[Input(40)]
[Gru(96)]
[Dense(3)]
public partial class PanelGru;

[RnnModel(SequenceLength = 6, BatchSize = 3)]
[Input(8)]
[SimpleRnn(96)]
[Dense(2, Activation = Activation.Sigmoid)]
public partial class PanelSimpleRnn;

[RnnModel(SequenceLength = 6, BatchSize = 3)]
[Input(40)]
[Gru(96, ResetAfter = false)]
[Dense(3)]
public partial class PanelGruBefore;

[RnnModel(SequenceLength = 5, BatchSize = 3)]
[Input(20)]
[Lstm(50, ReturnSequences = true, Bidirectional = true)]
public partial class PanelBiLstm;

[RnnModel(SequenceLength = 6, BatchSize = 3)]
[Input(16)]
[Lstm(64, ReturnSequences = true)]
[Lstm(72)]
[Dense(4, Activation = Activation.Softmax)]
public partial class PanelStack;

// PyTorch's nn.LSTM(num_layers = 3) and nn.GRU(num_layers = 2, bidirectional = True): stacks of one size.
[RnnModel(SequenceLength = 7, BatchSize = 3)]
[Input(3)]
[Lstm(8, ReturnSequences = true)]
[Lstm(8, ReturnSequences = true)]
[Lstm(8)]
[Dense(2)]
public partial class TorchLstmStack;

[RnnModel(SequenceLength = 7, BatchSize = 3)]
[Embedding(20, 4)]
[Gru(5, ReturnSequences = true, Bidirectional = true)]
[Gru(5, ReturnSequences = true, Bidirectional = true)]
[Dense(3, Activation = Activation.Softmax)]
public partial class TorchBiGruStack;

// Keras's activation options on LSTM and GRU (activation, recurrent_activation), over the shapes whose Step and update
// have their own paths: one vector of units (8 with AVX2), two vectors (32 with AVX-512), whole vectors plus a tail
// (13), a panel-packed kernel (96 columns and more), both directions, both GRU reset modes, a stack of mixed ones.
// A linear candidate stays in small layers: in 96 units of random weights it makes the recurrence so ill-conditioned
// that a different summation order (NEON's four lanes) moves Step past 1e-5 of the reference.
[RnnModel(SequenceLength = 6, BatchSize = 3)]
[Input(3)]
[Lstm(8, RecurrentActivation = Activation.HardSigmoidKeras2, ReturnSequences = true)]
public partial class LstmHardSigmoidKeras2;

[RnnModel(SequenceLength = 6, BatchSize = 3)]
[Input(4)]
[Lstm(16, Activation = Activation.Relu, RecurrentActivation = Activation.HardSigmoid)]
[Dense(2, Activation = Activation.HardSigmoid)]
public partial class LstmReluHardSigmoid;

[RnnModel(SequenceLength = 5, BatchSize = 3)]
[Input(2)]
[Lstm(13, Activation = Activation.Linear, RecurrentActivation = Activation.Tanh, ReturnSequences = true, Bidirectional = true)]
public partial class BiLstmLinearTanh;

[RnnModel(SequenceLength = 6, BatchSize = 3)]
[Input(3)]
[Gru(32, Activation = Activation.Sigmoid, RecurrentActivation = Activation.HardSigmoid, ReturnSequences = true)]
public partial class GruSigmoidHardSigmoid;

[RnnModel(SequenceLength = 6, BatchSize = 3)]
[Input(3)]
[Gru(13, Activation = Activation.Relu, RecurrentActivation = Activation.HardSigmoidKeras2, ResetAfter = false, ReturnSequences = true, Bidirectional = true, MergeMode = MergeMode.Sum)]
public partial class BiGruBeforeReluHard;

[RnnModel(SequenceLength = 5, BatchSize = 3)]
[Input(40)]
[Gru(96, Activation = Activation.Sigmoid, RecurrentActivation = Activation.HardSigmoidKeras2)]
[Dense(3)]
public partial class PanelGruSigmoid;

[RnnModel(SequenceLength = 7, BatchSize = 3)]
[Embedding(20, 4)]
[Lstm(6, RecurrentActivation = Activation.HardSigmoidKeras2, ReturnSequences = true)]
[Gru(5, RecurrentActivation = Activation.HardSigmoidKeras2, ReturnSequences = true)]
[SimpleRnn(3, Activation = Activation.HardSigmoid)]
[Dense(3, Activation = Activation.Softmax)]
public partial class Keras2Stack;

// Normalization (Keras's Normalization(axis=-1)) on the raw input: a forecaster, and a bidirectional GRU whose Dense runs at every step.
[RnnModel(SequenceLength = 24, BatchSize = 3)]
[Input(3)]
[Normalization]
[Lstm(32)]
[Dense(1)]
public partial class NormalizedForecaster;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(4)]
[Normalization]
[Gru(5, ReturnSequences = true, Bidirectional = true)]
[Dense(2)]
public partial class NormalizedBiGru;

public static class ModelCatalog
{
    public static readonly IReadOnlyList<ModelCase> All = new ModelCase[]
    {
        new("SimpleRnnTanh1", () => new SimpleRnnTanh1(), new RefLayer[] { new RefInput(5), new RefSimpleRnn(1, RefActivation.Tanh, true, false, RefMerge.Concat) }),
        new("Lstm1", () => new Lstm1(), new RefLayer[] { new RefInput(5), new RefLstm(1, true, false, RefMerge.Concat) }),
        new("GruAfter1", () => new GruAfter1(), new RefLayer[] { new RefInput(5), new RefGru(1, true, true, false, RefMerge.Concat) }),
        new("GruBefore1", () => new GruBefore1(), new RefLayer[] { new RefInput(5), new RefGru(1, false, true, false, RefMerge.Concat) }),
        new("BiSimpleRnn1", () => new BiSimpleRnn1(), new RefLayer[] { new RefInput(5), new RefSimpleRnn(1, RefActivation.Tanh, true, true, RefMerge.Concat) }),
        new("BiLstm1", () => new BiLstm1(), new RefLayer[] { new RefInput(5), new RefLstm(1, true, true, RefMerge.Concat) }),
        new("BiGruAfter1", () => new BiGruAfter1(), new RefLayer[] { new RefInput(5), new RefGru(1, true, true, true, RefMerge.Concat) }),
        new("BiGruBefore1", () => new BiGruBefore1(), new RefLayer[] { new RefInput(5), new RefGru(1, false, true, true, RefMerge.Concat) }),
        new("SimpleRnnTanh3", () => new SimpleRnnTanh3(), new RefLayer[] { new RefInput(5), new RefSimpleRnn(3, RefActivation.Tanh, true, false, RefMerge.Concat) }),
        new("Lstm3", () => new Lstm3(), new RefLayer[] { new RefInput(5), new RefLstm(3, true, false, RefMerge.Concat) }),
        new("GruAfter3", () => new GruAfter3(), new RefLayer[] { new RefInput(5), new RefGru(3, true, true, false, RefMerge.Concat) }),
        new("GruBefore3", () => new GruBefore3(), new RefLayer[] { new RefInput(5), new RefGru(3, false, true, false, RefMerge.Concat) }),
        new("BiSimpleRnn3", () => new BiSimpleRnn3(), new RefLayer[] { new RefInput(5), new RefSimpleRnn(3, RefActivation.Tanh, true, true, RefMerge.Concat) }),
        new("BiLstm3", () => new BiLstm3(), new RefLayer[] { new RefInput(5), new RefLstm(3, true, true, RefMerge.Concat) }),
        new("BiGruAfter3", () => new BiGruAfter3(), new RefLayer[] { new RefInput(5), new RefGru(3, true, true, true, RefMerge.Concat) }),
        new("BiGruBefore3", () => new BiGruBefore3(), new RefLayer[] { new RefInput(5), new RefGru(3, false, true, true, RefMerge.Concat) }),
        new("SimpleRnnTanh13", () => new SimpleRnnTanh13(), new RefLayer[] { new RefInput(5), new RefSimpleRnn(13, RefActivation.Tanh, true, false, RefMerge.Concat) }),
        new("Lstm13", () => new Lstm13(), new RefLayer[] { new RefInput(5), new RefLstm(13, true, false, RefMerge.Concat) }),
        new("GruAfter13", () => new GruAfter13(), new RefLayer[] { new RefInput(5), new RefGru(13, true, true, false, RefMerge.Concat) }),
        new("GruBefore13", () => new GruBefore13(), new RefLayer[] { new RefInput(5), new RefGru(13, false, true, false, RefMerge.Concat) }),
        new("BiSimpleRnn13", () => new BiSimpleRnn13(), new RefLayer[] { new RefInput(5), new RefSimpleRnn(13, RefActivation.Tanh, true, true, RefMerge.Concat) }),
        new("BiLstm13", () => new BiLstm13(), new RefLayer[] { new RefInput(5), new RefLstm(13, true, true, RefMerge.Concat) }),
        new("BiGruAfter13", () => new BiGruAfter13(), new RefLayer[] { new RefInput(5), new RefGru(13, true, true, true, RefMerge.Concat) }),
        new("BiGruBefore13", () => new BiGruBefore13(), new RefLayer[] { new RefInput(5), new RefGru(13, false, true, true, RefMerge.Concat) }),
        new("SimpleRnnTanh33", () => new SimpleRnnTanh33(), new RefLayer[] { new RefInput(5), new RefSimpleRnn(33, RefActivation.Tanh, true, false, RefMerge.Concat) }),
        new("Lstm33", () => new Lstm33(), new RefLayer[] { new RefInput(5), new RefLstm(33, true, false, RefMerge.Concat) }),
        new("GruAfter33", () => new GruAfter33(), new RefLayer[] { new RefInput(5), new RefGru(33, true, true, false, RefMerge.Concat) }),
        new("GruBefore33", () => new GruBefore33(), new RefLayer[] { new RefInput(5), new RefGru(33, false, true, false, RefMerge.Concat) }),
        new("BiSimpleRnn33", () => new BiSimpleRnn33(), new RefLayer[] { new RefInput(5), new RefSimpleRnn(33, RefActivation.Tanh, true, true, RefMerge.Concat) }),
        new("BiLstm33", () => new BiLstm33(), new RefLayer[] { new RefInput(5), new RefLstm(33, true, true, RefMerge.Concat) }),
        new("BiGruAfter33", () => new BiGruAfter33(), new RefLayer[] { new RefInput(5), new RefGru(33, true, true, true, RefMerge.Concat) }),
        new("BiGruBefore33", () => new BiGruBefore33(), new RefLayer[] { new RefInput(5), new RefGru(33, false, true, true, RefMerge.Concat) }),
        new("SimpleRnnRelu3", () => new SimpleRnnRelu3(), new RefLayer[] { new RefInput(5), new RefSimpleRnn(3, RefActivation.Relu, true, false, RefMerge.Concat) }),
        new("SimpleRnnRelu13", () => new SimpleRnnRelu13(), new RefLayer[] { new RefInput(5), new RefSimpleRnn(13, RefActivation.Relu, true, false, RefMerge.Concat) }),
        new("SimpleRnnSigmoid3", () => new SimpleRnnSigmoid3(), new RefLayer[] { new RefInput(5), new RefSimpleRnn(3, RefActivation.Sigmoid, true, false, RefMerge.Concat) }),
        new("SimpleRnnSigmoid13", () => new SimpleRnnSigmoid13(), new RefLayer[] { new RefInput(5), new RefSimpleRnn(13, RefActivation.Sigmoid, true, false, RefMerge.Concat) }),
        new("SimpleRnnLinear3", () => new SimpleRnnLinear3(), new RefLayer[] { new RefInput(5), new RefSimpleRnn(3, RefActivation.Linear, true, false, RefMerge.Concat) }),
        new("SimpleRnnLinear13", () => new SimpleRnnLinear13(), new RefLayer[] { new RefInput(5), new RefSimpleRnn(13, RefActivation.Linear, true, false, RefMerge.Concat) }),
        new("BiSimpleRnnConcatSequence", () => new BiSimpleRnnConcatSequence(), new RefLayer[] { new RefInput(4), new RefSimpleRnn(3, RefActivation.Tanh, true, true, RefMerge.Concat) }),
        new("BiSimpleRnnConcatLast", () => new BiSimpleRnnConcatLast(), new RefLayer[] { new RefInput(4), new RefSimpleRnn(13, RefActivation.Tanh, false, true, RefMerge.Concat), new RefDense(2, RefActivation.Linear) }),
        new("BiLstmConcatSequence", () => new BiLstmConcatSequence(), new RefLayer[] { new RefInput(4), new RefLstm(3, true, true, RefMerge.Concat) }),
        new("BiLstmConcatLast", () => new BiLstmConcatLast(), new RefLayer[] { new RefInput(4), new RefLstm(13, false, true, RefMerge.Concat), new RefDense(2, RefActivation.Linear) }),
        new("BiGruConcatSequence", () => new BiGruConcatSequence(), new RefLayer[] { new RefInput(4), new RefGru(3, true, true, true, RefMerge.Concat) }),
        new("BiGruConcatLast", () => new BiGruConcatLast(), new RefLayer[] { new RefInput(4), new RefGru(13, true, false, true, RefMerge.Concat), new RefDense(2, RefActivation.Linear) }),
        new("BiSimpleRnnSumSequence", () => new BiSimpleRnnSumSequence(), new RefLayer[] { new RefInput(4), new RefSimpleRnn(3, RefActivation.Tanh, true, true, RefMerge.Sum) }),
        new("BiSimpleRnnSumLast", () => new BiSimpleRnnSumLast(), new RefLayer[] { new RefInput(4), new RefSimpleRnn(13, RefActivation.Tanh, false, true, RefMerge.Sum), new RefDense(2, RefActivation.Linear) }),
        new("BiLstmSumSequence", () => new BiLstmSumSequence(), new RefLayer[] { new RefInput(4), new RefLstm(3, true, true, RefMerge.Sum) }),
        new("BiLstmSumLast", () => new BiLstmSumLast(), new RefLayer[] { new RefInput(4), new RefLstm(13, false, true, RefMerge.Sum), new RefDense(2, RefActivation.Linear) }),
        new("BiGruSumSequence", () => new BiGruSumSequence(), new RefLayer[] { new RefInput(4), new RefGru(3, true, true, true, RefMerge.Sum) }),
        new("BiGruSumLast", () => new BiGruSumLast(), new RefLayer[] { new RefInput(4), new RefGru(13, true, false, true, RefMerge.Sum), new RefDense(2, RefActivation.Linear) }),
        new("BiSimpleRnnMultiplySequence", () => new BiSimpleRnnMultiplySequence(), new RefLayer[] { new RefInput(4), new RefSimpleRnn(3, RefActivation.Tanh, true, true, RefMerge.Multiply) }),
        new("BiSimpleRnnMultiplyLast", () => new BiSimpleRnnMultiplyLast(), new RefLayer[] { new RefInput(4), new RefSimpleRnn(13, RefActivation.Tanh, false, true, RefMerge.Multiply), new RefDense(2, RefActivation.Linear) }),
        new("BiLstmMultiplySequence", () => new BiLstmMultiplySequence(), new RefLayer[] { new RefInput(4), new RefLstm(3, true, true, RefMerge.Multiply) }),
        new("BiLstmMultiplyLast", () => new BiLstmMultiplyLast(), new RefLayer[] { new RefInput(4), new RefLstm(13, false, true, RefMerge.Multiply), new RefDense(2, RefActivation.Linear) }),
        new("BiGruMultiplySequence", () => new BiGruMultiplySequence(), new RefLayer[] { new RefInput(4), new RefGru(3, true, true, true, RefMerge.Multiply) }),
        new("BiGruMultiplyLast", () => new BiGruMultiplyLast(), new RefLayer[] { new RefInput(4), new RefGru(13, true, false, true, RefMerge.Multiply), new RefDense(2, RefActivation.Linear) }),
        new("BiSimpleRnnAverageSequence", () => new BiSimpleRnnAverageSequence(), new RefLayer[] { new RefInput(4), new RefSimpleRnn(3, RefActivation.Tanh, true, true, RefMerge.Average) }),
        new("BiSimpleRnnAverageLast", () => new BiSimpleRnnAverageLast(), new RefLayer[] { new RefInput(4), new RefSimpleRnn(13, RefActivation.Tanh, false, true, RefMerge.Average), new RefDense(2, RefActivation.Linear) }),
        new("BiLstmAverageSequence", () => new BiLstmAverageSequence(), new RefLayer[] { new RefInput(4), new RefLstm(3, true, true, RefMerge.Average) }),
        new("BiLstmAverageLast", () => new BiLstmAverageLast(), new RefLayer[] { new RefInput(4), new RefLstm(13, false, true, RefMerge.Average), new RefDense(2, RefActivation.Linear) }),
        new("BiGruAverageSequence", () => new BiGruAverageSequence(), new RefLayer[] { new RefInput(4), new RefGru(3, true, true, true, RefMerge.Average) }),
        new("BiGruAverageLast", () => new BiGruAverageLast(), new RefLayer[] { new RefInput(4), new RefGru(13, true, false, true, RefMerge.Average), new RefDense(2, RefActivation.Linear) }),
        new("SimpleRnnManyToOne", () => new SimpleRnnManyToOne(), new RefLayer[] { new RefInput(3), new RefSimpleRnn(13, RefActivation.Tanh, false, false, RefMerge.Concat), new RefDense(4, RefActivation.Softmax) }),
        new("LstmManyToOne", () => new LstmManyToOne(), new RefLayer[] { new RefInput(3), new RefLstm(13, false, false, RefMerge.Concat), new RefDense(4, RefActivation.Softmax) }),
        new("GruBeforeManyToOne", () => new GruBeforeManyToOne(), new RefLayer[] { new RefInput(3), new RefGru(33, false, false, false, RefMerge.Concat), new RefDense(1, RefActivation.Sigmoid) }),
        new("GruAfterLastState", () => new GruAfterLastState(), new RefLayer[] { new RefInput(3), new RefGru(33, true, false, false, RefMerge.Concat) }),
        new("DeepStack", () => new DeepStack(), new RefLayer[] { new RefInput(4), new RefLstm(13, true, false, RefMerge.Concat), new RefGru(3, true, true, true, RefMerge.Concat), new RefSimpleRnn(33, RefActivation.Relu, false, false, RefMerge.Concat), new RefDense(5, RefActivation.Softmax) }),
        new("DeepStreaming", () => new DeepStreaming(), new RefLayer[] { new RefInput(4), new RefLstm(13, true, false, RefMerge.Concat), new RefGru(3, false, true, false, RefMerge.Concat), new RefSimpleRnn(17, RefActivation.Tanh, true, false, RefMerge.Concat), new RefDense(5, RefActivation.Softmax) }),
        new("DenseFirst", () => new DenseFirst(), new RefLayer[] { new RefInput(6), new RefDense(8, RefActivation.Tanh), new RefGru(5, true, false, false, RefMerge.Concat), new RefDense(2, RefActivation.Sigmoid) }),
        new("ManyToMany", () => new ManyToMany(), new RefLayer[] { new RefInput(3), new RefLstm(7, true, false, RefMerge.Concat), new RefDense(4, RefActivation.Relu) }),
        new("DenseOnly", () => new DenseOnly(), new RefLayer[] { new RefInput(3), new RefDense(2, RefActivation.Tanh) }),
        new("TokenGru", () => new TokenGru(), new RefLayer[] { new RefEmbedding(50, 7), new RefGru(13, true, false, false, RefMerge.Concat), new RefDense(3, RefActivation.Softmax) }),
        new("TokenTagger", () => new TokenTagger(), new RefLayer[] { new RefEmbedding(31, 5), new RefLstm(6, true, false, RefMerge.Concat), new RefDense(3, RefActivation.Softmax) }),
        new("Sentiment", () => new Sentiment(), new RefLayer[] { new RefEmbedding(1000, 64), new RefLstm(128, false, false, RefMerge.Concat), new RefDense(10, RefActivation.Softmax) }),
        new("PanelGru", () => new PanelGru(), new RefLayer[] { new RefInput(40), new RefGru(96, true, false, false, RefMerge.Concat), new RefDense(3, RefActivation.Linear) }),
        new("PanelSimpleRnn", () => new PanelSimpleRnn(), new RefLayer[] { new RefInput(8), new RefSimpleRnn(96, RefActivation.Tanh, false, false, RefMerge.Concat), new RefDense(2, RefActivation.Sigmoid) }),
        new("PanelGruBefore", () => new PanelGruBefore(), new RefLayer[] { new RefInput(40), new RefGru(96, false, false, false, RefMerge.Concat), new RefDense(3, RefActivation.Linear) }),
        new("PanelBiLstm", () => new PanelBiLstm(), new RefLayer[] { new RefInput(20), new RefLstm(50, true, true, RefMerge.Concat) }),
        new("PanelStack", () => new PanelStack(), new RefLayer[] { new RefInput(16), new RefLstm(64, true, false, RefMerge.Concat), new RefLstm(72, false, false, RefMerge.Concat), new RefDense(4, RefActivation.Softmax) }),
        new("TorchLstmStack", () => new TorchLstmStack(), new RefLayer[] { new RefInput(3), new RefLstm(8, true, false, RefMerge.Concat), new RefLstm(8, true, false, RefMerge.Concat), new RefLstm(8, false, false, RefMerge.Concat), new RefDense(2) }),
        new("TorchBiGruStack", () => new TorchBiGruStack(), new RefLayer[] { new RefEmbedding(20, 4), new RefGru(5, true, true, true, RefMerge.Concat), new RefGru(5, true, true, true, RefMerge.Concat), new RefDense(3, RefActivation.Softmax) }),
        new("LstmHardSigmoidKeras2", () => new LstmHardSigmoidKeras2(), new RefLayer[] { new RefInput(3), new RefLstm(8, true, RecurrentActivation: RefActivation.HardSigmoidKeras2) }),
        new("LstmReluHardSigmoid", () => new LstmReluHardSigmoid(), new RefLayer[] { new RefInput(4), new RefLstm(16, Activation: RefActivation.Relu, RecurrentActivation: RefActivation.HardSigmoid), new RefDense(2, RefActivation.HardSigmoid) }),
        new("BiLstmLinearTanh", () => new BiLstmLinearTanh(), new RefLayer[] { new RefInput(2), new RefLstm(13, true, true, Activation: RefActivation.Linear, RecurrentActivation: RefActivation.Tanh) }),
        new("GruSigmoidHardSigmoid", () => new GruSigmoidHardSigmoid(), new RefLayer[] { new RefInput(3), new RefGru(32, true, true, Activation: RefActivation.Sigmoid, RecurrentActivation: RefActivation.HardSigmoid) }),
        new("BiGruBeforeReluHard", () => new BiGruBeforeReluHard(), new RefLayer[] { new RefInput(3), new RefGru(13, false, true, true, RefMerge.Sum, RefActivation.Relu, RefActivation.HardSigmoidKeras2) }),
        new("PanelGruSigmoid", () => new PanelGruSigmoid(), new RefLayer[] { new RefInput(40), new RefGru(96, Activation: RefActivation.Sigmoid, RecurrentActivation: RefActivation.HardSigmoidKeras2), new RefDense(3) }),
        new("NormalizedForecaster", () => new NormalizedForecaster(), new RefLayer[] { new RefInput(3), new RefNormalization(), new RefLstm(32), new RefDense(1) }),
        new("NormalizedBiGru", () => new NormalizedBiGru(), new RefLayer[] { new RefInput(4), new RefNormalization(), new RefGru(5, true, true, true, RefMerge.Concat), new RefDense(2) }),
        new("Keras2Stack", () => new Keras2Stack(), new RefLayer[] { new RefEmbedding(20, 4), new RefLstm(6, true, RecurrentActivation: RefActivation.HardSigmoidKeras2), new RefGru(5, true, true, RecurrentActivation: RefActivation.HardSigmoidKeras2), new RefSimpleRnn(3, RefActivation.HardSigmoid), new RefDense(3, RefActivation.Softmax) }),
    };
}

// States of exactly one vector (8 floats with AVX2, 16 with AVX-512): LstmLayer.Step runs them in one fused method.
[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[Lstm(8)]
[Dense(2)]
public partial class LstmOneVector8;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[Lstm(16)]
[Dense(2)]
public partial class LstmOneVector16;

// A state of exactly two vectors with AVX-512 (LstmOneVector16 is two with AVX2): LstmLayer.Step fuses it as well.
[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[Lstm(32)]
[Dense(2)]
public partial class LstmTwoVectors32;

// GRU states of exactly two vectors (16 floats with AVX2, 32 with AVX-512): GruLayer.Step fuses both products.
[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[Gru(16)]
[Dense(2)]
public partial class GruTwoVectors16;

[RnnModel(SequenceLength = 9, BatchSize = 3)]
[Input(5)]
[Gru(32)]
[Dense(2)]
public partial class GruTwoVectors32;

// One output: DenseLayer.Step takes the single dot product directly (40 units: full vectors and a tail; 30 steps, so
// that a sum in another order would show in some step's last bit).
[RnnModel(SequenceLength = 30, BatchSize = 3)]
[Input(1)]
[Lstm(40)]
[Dense(1)]
public partial class LstmOneOutput;
