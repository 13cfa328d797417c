using System;

namespace RnnCompiler;

/// <summary>
/// Marks a <c>partial class</c> as a recurrent network that the RnnCompiler generator implements at compile time.
/// The layers are the layer attributes on the same declaration, read in source order like <c>keras.Sequential</c>:
/// first <see cref="InputAttribute"/> or <see cref="EmbeddingAttribute"/>, then recurrent and dense layers.
/// </summary>
/// <example>
/// <code>
/// [RnnModel(SequenceLength = 80)]
/// [Embedding(1000, 64)]
/// [Lstm(128)]
/// [Dense(10, Activation = Activation.Softmax)]
/// public partial class Sentiment;
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class RnnModelAttribute : Attribute
{
    /// <summary>The largest number of time steps one call to <c>Predict</c> takes; buffers are sized for it. Must be at least 1.</summary>
    public int SequenceLength { get; set; }

    /// <summary>The floating-point type of weights, inputs and outputs; <see cref="Precision.Single"/> (float) by default.</summary>
    public Precision Precision { get; set; }

    /// <summary>
    /// How <c>Predict</c> and <c>Step</c> read the weight matrices; <see cref="WeightPrecision.Float"/> (the model's element
    /// type) by default. <see cref="WeightPrecision.BFloat16"/> keeps a bfloat16 copy of every kernel, half the bytes per
    /// step, for inference on float models; <c>Parameters</c>, weight files and the summary's parameter counts stay float.
    /// </summary>
    public WeightPrecision WeightPrecision { get; set; }

    /// <summary>
    /// A safetensors file of weights to compile into the assembly, named as the project's <c>AdditionalFiles</c> item
    /// lists it (its file name, or a path ending in it). The model then starts with these weights as constant data and
    /// reads no file. Keras tensor names, as <c>SaveWeights</c> writes them.
    /// </summary>
    public string? Weights { get; set; }

    /// <summary>
    /// When positive, the most bytes the model may hold (weights, working buffers, streaming state and training buffers,
    /// as its summary states them); the analyzer warns (RNN0101) when the declaration needs more, so a device's limit is
    /// checked as the model is typed.
    /// </summary>
    public long MemoryBudget { get; set; }

    /// <summary>
    /// The most sequences one batched <c>Predict(inputs, outputs, sequences)</c> runs in lock step: step t of every
    /// sequence together, one matrix product per step, so each weight is read once per step for the whole batch. The
    /// working buffers hold one block per sequence; more sequences run in batches of this size. 0 (the default) takes
    /// <c>[Train(BatchSize)]</c> on a model that trains (its passes already hold that many), else 1: sequence by sequence.
    /// From 1 to 65,536; on a model with <c>[Train]</c> only 0 or its training BatchSize.
    /// </summary>
    public int BatchSize { get; set; }

    /// <summary>
    /// The number of cores a batched <c>Predict(inputs, outputs, sequences)</c> runs on, on a model without
    /// <c>[Train]</c> (a model that trains takes <c>[Train(Parallelism)]</c>): each batch of <see cref="BatchSize"/>
    /// sequences is split into this many fixed shares, each run in lock step in its own working buffers on its own
    /// thread, the calling thread taking part (a masking model's batch is packed first, and the shares split the packed
    /// order). Each sequence gets exactly what it gets on one core. 0 (the default) or 1: the calling thread alone. From 0
    /// to 64, and at most BatchSize.
    /// </summary>
    public int Parallelism { get; set; }

    /// <summary>
    /// The number of independent streams <c>StepStreams</c> steps together, each with its own carried state (a device
    /// that watches 64 sensors: <c>Streams = 64</c>): one matrix product per layer for all of them, so each weight is read
    /// once per step for every stream. <c>ResetStream(s)</c> starts stream s over. 0 (the default) or 1: none (the model's
    /// <c>Step</c> carries one state). From 0 to 65,536; not on a bidirectional, masking or bfloat16 model.
    /// </summary>
    public int Streams { get; set; }
}
