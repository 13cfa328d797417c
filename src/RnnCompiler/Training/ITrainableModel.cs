using System;
using System.IO;

namespace RnnCompiler.Training;

/// <summary>What training needs to know of a model: its batch size, loss and target layout.</summary>
/// <param name="BatchSize">The most sequences in one batch.</param>
/// <param name="Loss">The loss.</param>
/// <param name="TargetsPerRow">Targets per output row: 1 class id (SparseCategoricalCrossentropy) or OutputUnits floats.</param>
/// <param name="Stateful">Whether batches carry state from one to the next (truncated BPTT).</param>
/// <param name="Optimizer">The optimizer and its clipping.</param>
public sealed record TrainingInfo(int BatchSize, Loss Loss, int TargetsPerRow, bool Stateful, OptimizerSettings Optimizer);

/// <summary>
/// A model with <c>[Train]</c>: exact backpropagation through time fused with its loss and optimizer.
/// <typeparamref name="TInput"/> is <see cref="int"/> for token models and the element type otherwise;
/// <typeparamref name="TTarget"/> is <see cref="int"/> (class ids) for SparseCategoricalCrossentropy and the element type otherwise.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
/// <typeparam name="TInput">The type of one input value.</typeparam>
/// <typeparam name="TTarget">The type of one target value.</typeparam>
public interface ITrainableModel<T, TInput, TTarget> : IRnnModel<T>
    where T : unmanaged
    where TInput : unmanaged
    where TTarget : unmanaged
{
    /// <summary>The training configuration.</summary>
    TrainingInfo Training { get; }

    /// <summary>The gradients of the last <c>ComputeGradients</c> or <c>TrainBatch</c>, in the layout of <c>Parameters</c>.</summary>
    Span<T> Gradients { get; }

    /// <summary>The accuracy of the last <c>ComputeGradients</c> or <c>TrainBatch</c> batch, before its update (NaN for regression losses).</summary>
    T LastAccuracy { get; }

    /// <summary>The number of updates applied.</summary>
    long UpdateCount { get; }

    /// <summary>The number of batches whose loss or gradient was not finite, so that their update was skipped.</summary>
    long SkippedUpdates { get; }

    /// <summary>The learning rate of the next update when <see cref="LearningRateSchedule"/> is null; it can be changed between batches.</summary>
    double LearningRate { get; set; }

    /// <summary>A schedule of learning rates by update step, or null for <see cref="LearningRate"/>.</summary>
    LearningRateSchedule? LearningRateSchedule { get; set; }

    /// <summary>Forward, backpropagation through time, clipping and one optimizer update on <paramref name="sequences"/> sequences.</summary>
    /// <returns>The mean loss.</returns>
    T TrainBatch(ReadOnlySpan<TInput> inputs, ReadOnlySpan<TTarget> targets, int sequences);

    /// <summary>As <see cref="TrainBatch(ReadOnlySpan{TInput}, ReadOnlySpan{TTarget}, int)"/> without the update: fills <see cref="Gradients"/>.</summary>
    /// <returns>The mean loss.</returns>
    T ComputeGradients(ReadOnlySpan<TInput> inputs, ReadOnlySpan<TTarget> targets, int sequences);

    /// <summary>The mean loss and accuracy (NaN for regression losses) from a zero state, changing nothing.</summary>
    (T Loss, T Accuracy) Evaluate(ReadOnlySpan<TInput> inputs, ReadOnlySpan<TTarget> targets, int sequences);

    /// <summary>
    /// <see cref="TrainBatch(ReadOnlySpan{TInput}, ReadOnlySpan{TTarget}, int)"/> over sequences of different lengths, one
    /// per entry of <paramref name="lengths"/>, each padded after its real steps to the batch's steps.
    /// </summary>
    /// <returns>The mean loss over the real steps (per sequence, or per real step when the model outputs sequences).</returns>
    T TrainBatch(ReadOnlySpan<TInput> inputs, ReadOnlySpan<TTarget> targets, ReadOnlySpan<int> lengths);

    /// <summary>As the lengths overload of <c>TrainBatch</c> without the update: fills <see cref="Gradients"/>.</summary>
    /// <returns>The mean loss.</returns>
    T ComputeGradients(ReadOnlySpan<TInput> inputs, ReadOnlySpan<TTarget> targets, ReadOnlySpan<int> lengths);

    /// <summary>The mean loss and accuracy over sequences of different lengths, changing nothing.</summary>
    (T Loss, T Accuracy) Evaluate(ReadOnlySpan<TInput> inputs, ReadOnlySpan<TTarget> targets, ReadOnlySpan<int> lengths);

    /// <summary>Writes weights, optimizer moments and step count.</summary>
    void SaveCheckpoint(Stream stream);

    /// <summary>Reads what <see cref="SaveCheckpoint"/> wrote; nothing changes unless the whole file is valid.</summary>
    void LoadCheckpoint(Stream stream);
}
