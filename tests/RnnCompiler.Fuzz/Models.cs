using RnnCompiler;
using RnnCompiler.Training;

namespace RnnCompiler.Fuzz;

// Small models whose files are the seeds: every layer kind's tensors, and an optimizer with both moments.

/// <summary>Weights of an embedding, a bidirectional LSTM, a GRU and a dense layer: the LoadWeights target.</summary>
[RnnModel(SequenceLength = 4)]
[Embedding(6, 3)]
[Lstm(2, ReturnSequences = true, Bidirectional = true)]
[Gru(2, ReturnSequences = true)]
[SimpleRnn(2)]
[Dense(2, Activation = Activation.Softmax)]
public partial class WeightsTarget;

/// <summary>A checkpoint with Adam's two moments: the LoadCheckpoint target.</summary>
[RnnModel(SequenceLength = 3)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, Optimizer = Optimizer.Adam, LearningRate = 0.01, BatchSize = 2)]
[Embedding(5, 2)]
[Gru(2)]
[Dense(2, Activation = Activation.Softmax)]
public partial class CheckpointTarget;

/// <summary>The model of the h5py-written Keras files (tests/RnnCompiler.Tests/Models/keras_files/deep_stack*): the LoadKerasWeights target.</summary>
[RnnModel(SequenceLength = 10)]
[Input(4)]
[Lstm(13, ReturnSequences = true)]
[Gru(3, ReturnSequences = true, Bidirectional = true)]
[SimpleRnn(33, Activation = Activation.Relu)]
[Dense(5, Activation = Activation.Softmax)]
public partial class KerasTarget;

/// <summary>The model of bi_lstm.keras, the Keras 3 archive among those files.</summary>
[RnnModel(SequenceLength = 9)]
[Input(5)]
[Lstm(3, ReturnSequences = true, Bidirectional = true)]
public partial class KerasArchiveTarget;
