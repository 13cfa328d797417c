// The benchmark models of issue 5, declared as a user would: the generator writes each one's Step and Predict.
// Dense layers are linear, so the ONNX peer (LSTM/GRU + Gemm) computes exactly the same function.
namespace RnnCompiler.Benchmarks;

/// <summary>Streaming LSTM 1 → 8 → Dense 1 (the smallest case: call overhead dominates).</summary>
[RnnModel(SequenceLength = 1)]
[Input(1)]
[Lstm(8)]
[Dense(1)]
public partial class Lstm1x8x1;

/// <summary>Streaming LSTM 1 → 32 → Dense 1.</summary>
[RnnModel(SequenceLength = 1)]
[Input(1)]
[Lstm(32)]
[Dense(1)]
public partial class Lstm1x32x1;

/// <summary>Streaming GRU (reset after, as Keras and PyTorch) 1 → 32 → Dense 1.</summary>
[RnnModel(SequenceLength = 1)]
[Input(1)]
[Gru(32)]
[Dense(1)]
public partial class Gru1x32x1;

/// <summary>LSTM 64 → 128 → Dense 10: streamed one step at a time, and whole sequences of 32 steps.</summary>
[RnnModel(SequenceLength = 32)]
[Input(64)]
[Lstm(128)]
[Dense(10)]
public partial class Lstm64x128x10;

/// <summary>Streaming GRU 64 → 128 → Dense 10.</summary>
[RnnModel(SequenceLength = 1)]
[Input(64)]
[Gru(128)]
[Dense(10)]
public partial class Gru64x128x10;

/// <summary>
/// The training case of issue 5: tokens from a 1,000-word vocabulary → Embedding 64 → LSTM 128 → Dense 10 (softmax, on
/// the last step), sparse categorical cross-entropy, Adam, batches of 32 sequences of 32 tokens.
/// </summary>
[RnnModel(SequenceLength = 32)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, Optimizer = Optimizer.Adam, BatchSize = 32)]
[Embedding(1000, 64)]
[Lstm(128)]
[Dense(10, Activation = Activation.Softmax)]
public partial class TrainEmbedLstm128x10;

/// <summary>
/// <see cref="Lstm64x128x10"/> with bfloat16 weights (issue 5: "≤ 2.0 µs a step, ≤ 60 µs for T = 32"): the step reads
/// 200 KB of kernels instead of 400 KB.
/// </summary>
[RnnModel(SequenceLength = 32, WeightPrecision = WeightPrecision.BFloat16)]
[Input(64)]
[Lstm(128)]
[Dense(10)]
public partial class Lstm64x128x10Bf16;

/// <summary><see cref="Lstm64x128x10"/> with int8 weights: the step reads about 100 KB of kernels instead of 400 KB.</summary>
[RnnModel(SequenceLength = 32, WeightPrecision = WeightPrecision.Int8)]
[Input(64)]
[Lstm(128)]
[Dense(10)]
public partial class Lstm64x128x10Int8;

/// <summary>
/// The training case on both cores: the same model with <c>Parallelism = 2</c> (each batch as two fixed shares of 16
/// sequences on two threads, their gradients summed in share order).
/// </summary>
[RnnModel(SequenceLength = 32)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, Optimizer = Optimizer.Adam, BatchSize = 32, Parallelism = 2)]
[Embedding(1000, 64)]
[Lstm(128)]
[Dense(10, Activation = Activation.Softmax)]
public partial class TrainEmbedLstm128x10Parallel;

/// <summary><see cref="Lstm64x128x10"/> holding 64 sequences: batched Predict runs up to 64 in lock step.</summary>
[RnnModel(SequenceLength = 32, BatchSize = 64)]
[Input(64)]
[Lstm(128)]
[Dense(10)]
public partial class Lstm64x128x10Batch;

/// <summary><see cref="Lstm64x128x10"/> stepping 64 independent streams together (StepStreams).</summary>
[RnnModel(SequenceLength = 1, Streams = 64)]
[Input(64)]
[Lstm(128)]
[Dense(10)]
public partial class Lstm64x128x10Streams;

/// <summary><see cref="Lstm64x128x10Batch"/> on two cores: batched Predict splits each batch of 64 into two shares of 32.</summary>
[RnnModel(SequenceLength = 32, BatchSize = 64, Parallelism = 2)]
[Input(64)]
[Lstm(128)]
[Dense(10)]
public partial class Lstm64x128x10BatchParallel;
