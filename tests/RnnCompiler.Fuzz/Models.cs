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
