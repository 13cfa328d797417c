using System;
using System.Collections.Generic;
using System.IO;
using RnnCompiler.Weights;

namespace RnnCompiler;

/// <summary>The shape of a generated model, for code that handles models generically.</summary>
/// <param name="SequenceLength">The most steps one <c>Predict</c> call takes.</param>
/// <param name="TakesTokens">True when the model reads token ids (an Embedding model), false for float vectors.</param>
/// <param name="InputWidth">Floats per input step, or the vocabulary size of a token model.</param>
/// <param name="OutputUnits">Floats per output step (or per sequence).</param>
/// <param name="OutputIsSequence">True when <c>Predict</c> writes an output for every step.</param>
/// <param name="ParameterCount">The number of weights.</param>
/// <param name="CanStream">True when the model has <c>Step</c> and <c>ResetState</c> (no bidirectional layer).</param>
public sealed record ModelInfo(int SequenceLength, bool TakesTokens, int InputWidth, int OutputUnits, bool OutputIsSequence, int ParameterCount, bool CanStream)
{
    /// <summary>The weighted layers in order, as Keras names and shapes them (what weight files and exports read).</summary>
    public IReadOnlyList<LayerDescriptor> Layers { get; init; } = Array.Empty<LayerDescriptor>();

    /// <summary>
    /// The value of the model's <c>[Masking]</c> (Keras's <c>Masking(mask_value)</c>): a step whose every feature equals it
    /// is masked. Null when the model has none. (An Embedding's <c>mask_zero</c> is <see cref="LayerDescriptor.MaskZero"/>.)
    /// </summary>
    public double? MaskValue { get; init; }

    /// <summary>The independent streams the model's <c>StepStreams</c> steps together (<c>[RnnModel(Streams)]</c>); 0 when it has none.</summary>
    public int Streams { get; init; }

    /// <summary>
    /// How the model's <c>Predict</c> and <c>Step</c> read its kernels (<c>[RnnModel(WeightPrecision)]</c>): in the element
    /// type, or from a bfloat16 or int8 copy. <see cref="IRnnModel{T}.Parameters"/> is in the element type either way.
    /// </summary>
    public WeightPrecision WeightPrecision { get; init; }

    /// <summary>
    /// The steps of every output sequence when the model fixes them (a <c>[RepeatVector(n)]</c>'s n: the layers after it
    /// run over n steps whatever the input's length), else 0: a model that outputs sequences writes one row per input step.
    /// </summary>
    public int OutputSteps { get; init; }
}

/// <summary>What every generated model has: its weights and their initialization and I/O.</summary>
/// <typeparam name="T">The element type of weights and activations.</typeparam>
public interface IRnnModel<T>
    where T : unmanaged
{
    /// <summary>The model's shape.</summary>
    ModelInfo Info { get; }

    /// <summary>Every weight, flat, in Keras's order and layout.</summary>
    Span<T> Parameters { get; }

    /// <summary>Draws new weights with Keras's default initializers.</summary>
    /// <param name="seed">The seed; the same seed gives the same weights.</param>
    void InitializeWeights(int seed);

    /// <summary>Writes the weights as safetensors with Keras's names.</summary>
    /// <param name="stream">A writable stream.</param>
    void SaveWeights(Stream stream);

    /// <summary>Reads weights from safetensors (Keras or PyTorch names); the model changes only if the whole file is valid.</summary>
    /// <param name="stream">A readable stream.</param>
    void LoadWeights(Stream stream);
}

/// <summary>A model whose steps are float vectors.</summary>
/// <typeparam name="T">The element type.</typeparam>
public interface IFeatureModel<T> : IRnnModel<T>
    where T : unmanaged
{
    /// <summary>Runs the model over [steps, features] inputs from a zero state.</summary>
    /// <param name="inputs">[steps, features] row-major.</param>
    /// <param name="outputs">Receives [units] or [steps, units].</param>
    void Predict(ReadOnlySpan<T> inputs, Span<T> outputs);

    /// <summary>
    /// Runs <paramref name="sequences"/> sequences of the same length, each from a zero state, as Keras's
    /// <c>model.predict</c> does a dataset: in lock step, up to the model's BatchSize at a time, when it has one; each
    /// sequence gets what <see cref="Predict(ReadOnlySpan{T}, Span{T})"/> gives it alone.
    /// </summary>
    /// <param name="inputs">[sequences, steps, features] row-major; every sequence has the same 1 to SequenceLength steps.</param>
    /// <param name="outputs">Receives [sequences, units], or [sequences, steps, units] for a model that outputs sequences.</param>
    /// <param name="sequences">The number of sequences, at least 1.</param>
    void Predict(ReadOnlySpan<T> inputs, Span<T> outputs, int sequences);
}

/// <summary>A model whose steps are token ids.</summary>
/// <typeparam name="T">The element type.</typeparam>
public interface ITokenModel<T> : IRnnModel<T>
    where T : unmanaged
{
    /// <summary>Runs the model over token ids from a zero state.</summary>
    /// <param name="tokens">One id per step.</param>
    /// <param name="outputs">Receives [units] or [steps, units].</param>
    void Predict(ReadOnlySpan<int> tokens, Span<T> outputs);

    /// <summary>
    /// Runs <paramref name="sequences"/> token sequences of the same length, each from a zero state, as Keras's
    /// <c>model.predict</c> does a dataset: in lock step, up to the model's BatchSize at a time, when it has one; each
    /// sequence gets what <see cref="Predict(ReadOnlySpan{int}, Span{T})"/> gives it alone.
    /// </summary>
    /// <param name="tokens">[sequences, steps] token ids row-major; every sequence has the same 1 to SequenceLength steps.</param>
    /// <param name="outputs">Receives [sequences, units], or [sequences, steps, units] for a model that outputs sequences.</param>
    /// <param name="sequences">The number of sequences, at least 1.</param>
    void Predict(ReadOnlySpan<int> tokens, Span<T> outputs, int sequences);
}

/// <summary>A float-vector model that can run one step at a time.</summary>
/// <typeparam name="T">The element type.</typeparam>
public interface IFeatureStreamingModel<T> : IFeatureModel<T>
    where T : unmanaged
{
    /// <summary>Zeroes the carried state.</summary>
    void ResetState();

    /// <summary>Runs one step from the carried state.</summary>
    /// <param name="input">One step's features.</param>
    /// <param name="output">Receives the step's outputs.</param>
    void Step(ReadOnlySpan<T> input, Span<T> output);
}

/// <summary>A token model that can run one step at a time.</summary>
/// <typeparam name="T">The element type.</typeparam>
public interface ITokenStreamingModel<T> : ITokenModel<T>
    where T : unmanaged
{
    /// <summary>Zeroes the carried state.</summary>
    void ResetState();

    /// <summary>Runs one step from the carried state.</summary>
    /// <param name="token">One step's token id.</param>
    /// <param name="output">Receives the step's outputs.</param>
    void Step(int token, Span<T> output);
}

/// <summary>A float-vector model that steps many independent streams together (<c>[RnnModel(Streams = N)]</c>).</summary>
/// <typeparam name="T">The element type.</typeparam>
public interface IFeatureStreamsModel<T> : IFeatureStreamingModel<T>
    where T : unmanaged
{
    /// <summary>Runs one step of every stream together, each from its own carried state.</summary>
    /// <param name="inputs">[streams, features]: one step of each stream.</param>
    /// <param name="outputs">Receives [streams, units].</param>
    void StepStreams(ReadOnlySpan<T> inputs, Span<T> outputs);

    /// <summary>Zeroes one stream's carried state.</summary>
    /// <param name="stream">The stream, in [0, streams).</param>
    void ResetStream(int stream);
}

/// <summary>A token model that steps many independent streams together (<c>[RnnModel(Streams = N)]</c>).</summary>
/// <typeparam name="T">The element type.</typeparam>
public interface ITokenStreamsModel<T> : ITokenStreamingModel<T>
    where T : unmanaged
{
    /// <summary>Runs one step of every stream together, each from its own carried state.</summary>
    /// <param name="tokens">One token id per stream.</param>
    /// <param name="outputs">Receives [streams, units].</param>
    void StepStreams(ReadOnlySpan<int> tokens, Span<T> outputs);

    /// <summary>Zeroes one stream's carried state.</summary>
    /// <param name="stream">The stream, in [0, streams).</param>
    void ResetStream(int stream);
}
