using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Threading;

namespace RnnCompiler.Training;

/// <summary>How <c>ModelTrainer.Fit</c> trains.</summary>
/// <param name="Epochs">Passes over the training data.</param>
/// <param name="Seed">The shuffling seed; the same seed and data give the same weights.</param>
/// <param name="ValidationSplit">The fraction of sequences, taken from the end before shuffling (as Keras), held out for validation.</param>
/// <param name="Patience">
/// When positive, an <see cref="EarlyStopping"/> on the validation loss (the training loss without validation) with
/// this patience runs after <see cref="Callbacks"/>; 0 never stops early.
/// </param>
/// <param name="RestoreBestWeights">With <paramref name="Patience"/>, put back the weights of the best epoch when training ends.</param>
/// <param name="Shuffle">Shuffle the training sequences every epoch.</param>
public sealed record FitOptions(int Epochs = 10, int Seed = 0, double ValidationSplit = 0, int Patience = 0, bool RestoreBestWeights = true, bool Shuffle = true)
{
    /// <summary>Callbacks to run, in this order, on the training thread (see <see cref="TrainingCallback"/>).</summary>
    public IReadOnlyList<TrainingCallback>? Callbacks { get; init; }

    /// <summary>Print Keras's progress bar (<see cref="ConsoleProgressBar"/>) to the console: one line per epoch when the output is redirected.</summary>
    public bool ProgressBar { get; init; }
}

/// <summary>One epoch's figures, as Keras's history reports them.</summary>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="Loss">The mean training loss over the epoch's batches.</param>
/// <param name="Accuracy">The mean training accuracy (NaN for regression losses).</param>
/// <param name="ValidationLoss">The validation loss (NaN without validation).</param>
/// <param name="ValidationAccuracy">The validation accuracy (NaN without validation or for regression).</param>
/// <param name="SkippedUpdates">The model's count of skipped non-finite updates so far.</param>
public sealed record EpochReport(int Epoch, double Loss, double Accuracy, double ValidationLoss, double ValidationAccuracy, long SkippedUpdates)
{
    /// <summary>The learning rate of the next update, as the epoch ended (after the epoch's callbacks it may change).</summary>
    public double LearningRate { get; init; } = double.NaN;

    /// <summary>The epoch's time, its validation included. Not part of equality: two runs of the same seed and data have equal reports.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Whether <paramref name="other"/> has the same figures (every member but <see cref="Elapsed"/>; NaN equals NaN).</summary>
    /// <param name="other">Another report.</param>
    /// <returns>True when the figures are the same.</returns>
    public bool Equals(EpochReport? other) =>
        other is not null
        && Epoch == other.Epoch
        && Loss.Equals(other.Loss)
        && Accuracy.Equals(other.Accuracy)
        && ValidationLoss.Equals(other.ValidationLoss)
        && ValidationAccuracy.Equals(other.ValidationAccuracy)
        && SkippedUpdates == other.SkippedUpdates
        && LearningRate.Equals(other.LearningRate);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Epoch, Loss, Accuracy, ValidationLoss, ValidationAccuracy, SkippedUpdates, LearningRate);
}

/// <summary>The mean figures of a model over a dataset (<c>ModelTrainer.Evaluate</c>).</summary>
/// <param name="Loss">The mean loss per sequence.</param>
/// <param name="Accuracy">The mean accuracy (NaN for regression losses).</param>
/// <param name="Sequences">The sequences evaluated.</param>
public sealed record EvaluationResult(double Loss, double Accuracy, int Sequences);

/// <summary>
/// Keras's <c>model.fit</c>, <c>evaluate</c> and <c>predict</c> for generated models: in-memory datasets of any size,
/// run in batches of the model's BatchSize.
/// </summary>
/// <remarks>
/// The sequence count is always passed: <c>inputs</c> holds <c>sequenceCount</c> sequences of <c>steps</c> steps back to
/// back, and <c>targets</c> their targets back to back (one row per sequence, or one per step when the model outputs
/// sequences). Messages name the argument that does not fit.
/// </remarks>
public static class ModelTrainer
{
    /// <summary>
    /// Trains <paramref name="model"/> on <paramref name="sequenceCount"/> sequences of <paramref name="steps"/> steps.
    /// <paramref name="inputs"/> holds them back to back ([count, steps, features] or [count, steps] tokens) and
    /// <paramref name="targets"/> their targets back to back (per sequence, or per step when the model outputs sequences).
    /// </summary>
    /// <param name="model">The model; it trains in place.</param>
    /// <param name="inputs">The inputs of every sequence.</param>
    /// <param name="targets">The targets of every sequence.</param>
    /// <param name="sequenceCount">The sequences in <paramref name="inputs"/>.</param>
    /// <param name="steps">The steps of each sequence, 1 to the model's SequenceLength.</param>
    /// <param name="options">Epochs, validation, shuffling, callbacks and the progress bar; Keras's defaults when null.</param>
    /// <param name="progress">
    /// Told of each epoch's report. It is called on the training thread; a <see cref="Progress{T}"/> then posts to its
    /// synchronization context (or the thread pool), so its handler can run late and out of order. For callbacks that
    /// run in order, use <see cref="FitOptions.Callbacks"/>.
    /// </param>
    /// <param name="cancellationToken">Checked before every batch; cancelling throws <see cref="OperationCanceledException"/> and leaves the model as the last batch left it.</param>
    /// <returns>The history.</returns>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads differ in their fourth parameter, a sequence count or the lengths array, so no call is ambiguous.")]
    public static FitResult Fit<T, TInput, TTarget>(
        ITrainableModel<T, TInput, TTarget> model, TInput[] inputs, TTarget[] targets, int sequenceCount, int steps,
        FitOptions? options = null, IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TInput : unmanaged
        where TTarget : unmanaged
        => Fit(model, inputs, targets, sequenceCount, steps, lengths: null, options, progress, cancellationToken);

    /// <summary>
    /// Trains <paramref name="model"/> on sequences of different lengths: sequence <c>i</c> has <c>lengths[i]</c> real
    /// steps, padded after them to <paramref name="steps"/> (PyTorch's <c>pack_padded_sequence</c>); its targets are
    /// padded the same way when the model outputs sequences. Each batch is packed (<see cref="SequencePacking"/>), so
    /// the padding costs nothing and counts in no loss. Otherwise as the other overload: shuffling, validation (the last
    /// sequences, with their lengths) and callbacks.
    /// </summary>
    /// <param name="model">The model; it trains in place.</param>
    /// <param name="inputs">The inputs of every sequence, each padded to <paramref name="steps"/> steps.</param>
    /// <param name="targets">The targets of every sequence, back to back.</param>
    /// <param name="lengths">The real steps of each sequence, 1 to <paramref name="steps"/>; one per sequence.</param>
    /// <param name="steps">The padded steps of each sequence, 1 to the model's SequenceLength.</param>
    /// <param name="options">Epochs, validation, shuffling, callbacks and the progress bar; Keras's defaults when null.</param>
    /// <param name="progress">Told of each epoch's report (see the other overload).</param>
    /// <param name="cancellationToken">Checked before every batch.</param>
    /// <returns>The history.</returns>
    /// <exception cref="ArgumentException">A length is outside [1, steps], or the data does not hold one sequence per length.</exception>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads differ in their fourth parameter, a sequence count or the lengths array, so no call is ambiguous.")]
    public static FitResult Fit<T, TInput, TTarget>(
        ITrainableModel<T, TInput, TTarget> model, TInput[] inputs, TTarget[] targets, int[] lengths, int steps,
        FitOptions? options = null, IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TInput : unmanaged
        where TTarget : unmanaged
    {
        ArgumentNullException.ThrowIfNull(lengths);
        return Fit(model, inputs, targets, lengths.Length, steps, lengths, options, progress, cancellationToken);
    }

    private static FitResult Fit<T, TInput, TTarget>(
        ITrainableModel<T, TInput, TTarget> model, TInput[] inputs, TTarget[] targets, int sequenceCount, int steps, int[]? lengths,
        FitOptions? options, IProgress<EpochReport>? progress, CancellationToken cancellationToken)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TInput : unmanaged
        where TTarget : unmanaged
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        options ??= new FitOptions();
        (int inputPerSequence, int targetPerSequence) = CheckDataset(model, inputs, targets, sequenceCount, steps, lengths);
        if (options.ValidationSplit is < 0 or >= 1 || options.Epochs < 1 || options.Patience < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Epochs must be at least 1, Patience at least 0, ValidationSplit in [0, 1).");
        }

        int validationCount = (int)(sequenceCount * options.ValidationSplit);
        int trainCount = sequenceCount - validationCount;
        if (trainCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"ValidationSplit {options.ValidationSplit} of {sequenceCount} sequences leaves no training sequences.");
        }

        TrainingCallback[] callbacks = CallbacksOf(options);
        TrainingInfo training = model.Training;
        int batchSize = training.BatchSize;
        var order = new int[trainCount];
        for (int i = 0; i < trainCount; i++)
        {
            order[i] = i;
        }

        var batchInputs = new TInput[batchSize * inputPerSequence];
        var batchTargets = new TTarget[batchSize * targetPerSequence];
        var batchLengths = new int[batchSize];
        var random = new Random(options.Seed);
        var state = new FitState(new FitModel<T, TInput, TTarget>(model), options.Epochs, (trainCount + batchSize - 1) / batchSize, trainCount, validationCount);
        double bestLoss = double.PositiveInfinity;
        int bestEpoch = 0;
        bool stoppedEarly = false;
        // Index loops over the callbacks throughout: nothing is allocated per batch.
        for (int c = 0; c < callbacks.Length; c++)
        {
            callbacks[c].OnTrainBegin(state);
        }

        for (int epoch = 1; epoch <= options.Epochs && !state.StopTraining; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (options.Shuffle && !training.Stateful)
            {
                random.Shuffle(order);
            }

            state.BeginEpoch(epoch);
            for (int c = 0; c < callbacks.Length; c++)
            {
                callbacks[c].OnEpochBegin(state);
            }

            double lossSum = 0;
            double accuracySum = 0;
            int seen = 0;
            for (int start = 0; start < trainCount && !state.StopTraining; start += batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int count = Math.Min(batchSize, trainCount - start);
                for (int b = 0; b < count; b++)
                {
                    int index = order[start + b];
                    Array.Copy(inputs, (long)index * inputPerSequence, batchInputs, (long)b * inputPerSequence, inputPerSequence);
                    Array.Copy(targets, (long)index * targetPerSequence, batchTargets, (long)b * targetPerSequence, targetPerSequence);
                    batchLengths[b] = lengths is null ? steps : lengths[index];
                }

                ReadOnlySpan<TInput> x = batchInputs.AsSpan(0, count * inputPerSequence);
                ReadOnlySpan<TTarget> y = batchTargets.AsSpan(0, count * targetPerSequence);
                double loss = double.CreateTruncating(lengths is null ? model.TrainBatch(x, y, count) : model.TrainBatch(x, y, batchLengths.AsSpan(0, count)));
                double accuracy = double.CreateTruncating(model.LastAccuracy);
                lossSum += loss * count;
                accuracySum += accuracy * count;
                seen += count;
                state.EndBatch(count, loss, accuracy, lossSum / seen, accuracySum / seen);
                for (int c = 0; c < callbacks.Length; c++)
                {
                    callbacks[c].OnBatchEnd(state);
                }

                // A stop asked for after a batch ends the epoch here (its validation and epoch end still run, as in Keras).
                stoppedEarly |= state.StopTraining && start + batchSize < trainCount;
            }

            double validationLoss = double.NaN;
            double validationAccuracy = double.NaN;
            if (validationCount > 0)
            {
                (validationLoss, validationAccuracy) = EvaluateRange(model, inputs, targets, lengths, trainCount, validationCount, inputPerSequence, targetPerSequence, batchSize);
            }

            EpochReport report = state.EndEpoch(validationLoss, validationAccuracy);
            progress?.Report(report);
            double monitored = validationCount > 0 ? validationLoss : report.Loss;
            if (monitored < bestLoss)
            {
                bestLoss = monitored;
                bestEpoch = epoch;
            }

            for (int c = 0; c < callbacks.Length; c++)
            {
                callbacks[c].OnEpochEnd(state);
            }

            stoppedEarly |= state.StopTraining && epoch < options.Epochs;
        }

        for (int c = 0; c < callbacks.Length; c++)
        {
            callbacks[c].OnTrainEnd(state);
        }

        return new FitResult(state.History, bestEpoch, stoppedEarly);
    }

    /// <summary>
    /// Keras's <c>model.evaluate</c>: the mean loss and accuracy of <paramref name="model"/> over
    /// <paramref name="sequenceCount"/> sequences (any number), each from a zero state, in batches of the model's
    /// BatchSize. Nothing changes in the model.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="inputs">[count, steps, features] values or [count, steps] tokens, back to back.</param>
    /// <param name="targets">The targets of every sequence, back to back.</param>
    /// <param name="sequenceCount">The sequences in <paramref name="inputs"/>.</param>
    /// <param name="steps">The steps of each sequence, 1 to the model's SequenceLength.</param>
    /// <returns>The loss and accuracy averaged over the sequences (each batch weighted by its sequences).</returns>
    public static EvaluationResult Evaluate<T, TInput, TTarget>(
        ITrainableModel<T, TInput, TTarget> model, ReadOnlySpan<TInput> inputs, ReadOnlySpan<TTarget> targets, int sequenceCount, int steps)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TInput : unmanaged
        where TTarget : unmanaged
    {
        ArgumentNullException.ThrowIfNull(model);
        (int inputPerSequence, int targetPerSequence) = CheckDataset(model, inputs, targets, sequenceCount, steps, lengths: null);
        (double loss, double accuracy) = EvaluateRange(model, inputs, targets, null, 0, sequenceCount, inputPerSequence, targetPerSequence, model.Training.BatchSize);
        return new EvaluationResult(loss, accuracy, sequenceCount);
    }

    /// <summary>
    /// <see cref="Evaluate{T, TInput, TTarget}(ITrainableModel{T, TInput, TTarget}, ReadOnlySpan{TInput}, ReadOnlySpan{TTarget}, int, int)"/>
    /// over sequences of different lengths, each padded after its <c>lengths[i]</c> real steps to <paramref name="steps"/>.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="inputs">The inputs of every sequence, each padded to <paramref name="steps"/> steps.</param>
    /// <param name="targets">The targets of every sequence, back to back.</param>
    /// <param name="lengths">The real steps of each sequence, 1 to <paramref name="steps"/>; one per sequence.</param>
    /// <param name="steps">The padded steps of each sequence, 1 to the model's SequenceLength.</param>
    /// <returns>The loss and accuracy averaged over the sequences (each batch weighted by its sequences).</returns>
    public static EvaluationResult Evaluate<T, TInput, TTarget>(
        ITrainableModel<T, TInput, TTarget> model, ReadOnlySpan<TInput> inputs, ReadOnlySpan<TTarget> targets, int[] lengths, int steps)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TInput : unmanaged
        where TTarget : unmanaged
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(lengths);
        (int inputPerSequence, int targetPerSequence) = CheckDataset(model, inputs, targets, lengths.Length, steps, lengths);
        (double loss, double accuracy) = EvaluateRange(model, inputs, targets, lengths, 0, lengths.Length, inputPerSequence, targetPerSequence, model.Training.BatchSize);
        return new EvaluationResult(loss, accuracy, lengths.Length);
    }

    private static (int InputPerSequence, int TargetPerSequence) CheckDataset<T, TInput, TTarget>(
        ITrainableModel<T, TInput, TTarget> model, ReadOnlySpan<TInput> inputs, ReadOnlySpan<TTarget> targets, int sequenceCount, int steps, int[]? lengths)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TInput : unmanaged
        where TTarget : unmanaged
    {
        ModelInfo info = model.Info;
        if (lengths is not null)
        {
            for (int i = 0; i < lengths.Length; i++)
            {
                if (lengths[i] < 1 || lengths[i] > steps)
                {
                    throw new ArgumentException($"Each length must be 1 to the {steps} padded steps; lengths[{i}] is {lengths[i]}.", nameof(lengths));
                }
            }
        }

        if (sequenceCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(sequenceCount), sequenceCount, "Expected at least one sequence.");
        }

        if (steps < 1 || steps > info.SequenceLength)
        {
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"Each sequence has 1 to {info.SequenceLength} steps (the model's SequenceLength).");
        }

        int inputPerSequence = steps * (info.TakesTokens ? 1 : info.InputWidth);
        int targetRows = info.OutputSteps > 0 ? info.OutputSteps : info.OutputIsSequence ? steps : 1;
        int targetPerSequence = targetRows * model.Training.TargetsPerRow;
        if (inputs.Length != (long)sequenceCount * inputPerSequence)
        {
            throw new ArgumentException($"Expected {sequenceCount} sequences × {inputPerSequence} input values ({steps} steps{(info.TakesTokens ? " of one token" : $" of {info.InputWidth} features")}) = {(long)sequenceCount * inputPerSequence}; got {inputs.Length}.", nameof(inputs));
        }

        if (targets.Length != (long)sequenceCount * targetPerSequence)
        {
            throw new ArgumentException($"Expected {sequenceCount} sequences × {targetPerSequence} target values ({(targetRows > 1 || info.OutputIsSequence ? $"{targetRows} steps" : "one row")} of {model.Training.TargetsPerRow}) = {(long)sequenceCount * targetPerSequence}; got {targets.Length}.", nameof(targets));
        }

        return (inputPerSequence, targetPerSequence);
    }

    private static TrainingCallback[] CallbacksOf(FitOptions options)
    {
        var callbacks = new List<TrainingCallback>();
        if (options.Callbacks is { } given)
        {
            foreach (TrainingCallback? callback in given)
            {
                callbacks.Add(callback ?? throw new ArgumentException("FitOptions.Callbacks holds a null callback.", nameof(options)));
            }
        }

        if (options.Patience > 0)
        {
            callbacks.Add(new EarlyStopping { Monitor = FitMetric.ValidationLoss, Patience = options.Patience, RestoreBestWeights = options.RestoreBestWeights });
        }

        if (options.ProgressBar)
        {
            callbacks.Add(new ConsoleProgressBar());
        }

        return callbacks.ToArray();
    }

    private static (double Loss, double Accuracy) EvaluateRange<T, TInput, TTarget>(
        ITrainableModel<T, TInput, TTarget> model, ReadOnlySpan<TInput> inputs, ReadOnlySpan<TTarget> targets, int[]? lengths, int first, int count,
        int inputPerSequence, int targetPerSequence, int batchSize)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TInput : unmanaged
        where TTarget : unmanaged
    {
        double loss = 0;
        double accuracy = 0;
        for (int start = 0; start < count; start += batchSize)
        {
            int n = Math.Min(batchSize, count - start);
            ReadOnlySpan<TInput> x = inputs.Slice((first + start) * inputPerSequence, n * inputPerSequence);
            ReadOnlySpan<TTarget> y = targets.Slice((first + start) * targetPerSequence, n * targetPerSequence);
            (T batchLoss, T batchAccuracy) = lengths is null ? model.Evaluate(x, y, n) : model.Evaluate(x, y, lengths.AsSpan(first + start, n));
            loss += double.CreateTruncating(batchLoss) * n;
            accuracy += double.CreateTruncating(batchAccuracy) * n;
        }

        return (loss / count, accuracy / count);
    }
}
