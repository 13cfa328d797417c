using System;
using System.Collections.Generic;
using System.Numerics;
using System.Threading;

namespace RnnCompiler.Training;

/// <summary>How <see cref="ModelTrainer.Fit"/> trains.</summary>
/// <param name="Epochs">Passes over the training data.</param>
/// <param name="Seed">The shuffling seed; the same seed and data give the same weights.</param>
/// <param name="ValidationSplit">The fraction of sequences, taken from the end before shuffling (as Keras), held out for validation.</param>
/// <param name="Patience">Stop after this many epochs without a better validation loss (training loss without validation); 0 never stops early.</param>
/// <param name="RestoreBestWeights">When stopping early, go back to the weights of the best epoch.</param>
/// <param name="Shuffle">Shuffle the training sequences every epoch.</param>
public sealed record FitOptions(int Epochs = 10, int Seed = 0, double ValidationSplit = 0, int Patience = 0, bool RestoreBestWeights = true, bool Shuffle = true);

/// <summary>One epoch's figures, as Keras's history reports them.</summary>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="Loss">The mean training loss over the epoch's batches.</param>
/// <param name="Accuracy">The mean training accuracy (NaN for regression losses).</param>
/// <param name="ValidationLoss">The validation loss (NaN without validation).</param>
/// <param name="ValidationAccuracy">The validation accuracy (NaN without validation or for regression).</param>
/// <param name="SkippedUpdates">The model's count of skipped non-finite updates so far.</param>
public sealed record EpochReport(int Epoch, double Loss, double Accuracy, double ValidationLoss, double ValidationAccuracy, long SkippedUpdates);

/// <summary>What <see cref="ModelTrainer.Fit"/> did.</summary>
/// <param name="History">One report per epoch run.</param>
/// <param name="BestEpoch">The epoch with the lowest monitored loss.</param>
/// <param name="StoppedEarly">Whether early stopping ended training.</param>
public sealed record FitResult(IReadOnlyList<EpochReport> History, int BestEpoch, bool StoppedEarly);

/// <summary>Keras's <c>model.fit</c> for generated models: epochs over an in-memory dataset in batches.</summary>
public static class ModelTrainer
{
    /// <summary>
    /// Trains <paramref name="model"/> on <paramref name="sequenceCount"/> sequences of <paramref name="steps"/> steps.
    /// <paramref name="inputs"/> holds them back to back ([count, steps, features] or [count, steps] tokens) and
    /// <paramref name="targets"/> their targets back to back (per sequence, or per step when the model outputs sequences).
    /// </summary>
    public static FitResult Fit<T, TInput, TTarget>(
        ITrainableModel<T, TInput, TTarget> model, TInput[] inputs, TTarget[] targets, int sequenceCount, int steps,
        FitOptions? options = null, IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TInput : unmanaged
        where TTarget : unmanaged
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        options ??= new FitOptions();
        ModelInfo info = model.Info;
        TrainingInfo training = model.Training;
        int inputPerSequence = steps * (info.TakesTokens ? 1 : info.InputWidth);
        int targetPerSequence = (info.OutputIsSequence ? steps : 1) * training.TargetsPerRow;
        if (sequenceCount < 1 || steps < 1 || steps > info.SequenceLength)
        {
            throw new ArgumentOutOfRangeException(nameof(sequenceCount), $"Expected at least one sequence of 1 to {info.SequenceLength} steps.");
        }

        if (inputs.Length != (long)sequenceCount * inputPerSequence)
        {
            throw new ArgumentException($"Expected {sequenceCount} × {inputPerSequence} input values; got {inputs.Length}.", nameof(inputs));
        }

        if (targets.Length != (long)sequenceCount * targetPerSequence)
        {
            throw new ArgumentException($"Expected {sequenceCount} × {targetPerSequence} target values; got {targets.Length}.", nameof(targets));
        }

        if (options.ValidationSplit is < 0 or >= 1 || options.Epochs < 1 || options.Patience < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Epochs must be at least 1, Patience at least 0, ValidationSplit in [0, 1).");
        }

        int validationCount = (int)(sequenceCount * options.ValidationSplit);
        int trainCount = sequenceCount - validationCount;
        if (trainCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "The validation split leaves no training sequences.");
        }

        int batchSize = training.BatchSize;
        var order = new int[trainCount];
        for (int i = 0; i < trainCount; i++)
        {
            order[i] = i;
        }

        var batchInputs = new TInput[batchSize * inputPerSequence];
        var batchTargets = new TTarget[batchSize * targetPerSequence];
        var random = new Random(options.Seed);
        var history = new List<EpochReport>();
        T[]? best = null;
        double bestLoss = double.PositiveInfinity;
        int bestEpoch = 0;
        bool stoppedEarly = false;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (options.Shuffle && !training.Stateful)
            {
                random.Shuffle(order);
            }

            double lossSum = 0;
            double accuracySum = 0;
            int seen = 0;
            for (int start = 0; start < trainCount; start += batchSize)
            {
                int count = Math.Min(batchSize, trainCount - start);
                for (int b = 0; b < count; b++)
                {
                    int index = order[start + b];
                    Array.Copy(inputs, (long)index * inputPerSequence, batchInputs, (long)b * inputPerSequence, inputPerSequence);
                    Array.Copy(targets, (long)index * targetPerSequence, batchTargets, (long)b * targetPerSequence, targetPerSequence);
                }

                ReadOnlySpan<TInput> x = batchInputs.AsSpan(0, count * inputPerSequence);
                ReadOnlySpan<TTarget> y = batchTargets.AsSpan(0, count * targetPerSequence);
                T loss = model.TrainBatch(x, y, count);
                lossSum += double.CreateTruncating(loss) * count;
                accuracySum += double.CreateTruncating(model.LastAccuracy) * count;
                seen += count;
            }

            double validationLoss = double.NaN;
            double validationAccuracy = double.NaN;
            if (validationCount > 0)
            {
                (validationLoss, validationAccuracy) = EvaluateAll(model, inputs, targets, trainCount, validationCount, inputPerSequence, targetPerSequence, batchSize);
            }

            var report = new EpochReport(epoch, lossSum / seen, accuracySum / seen, validationLoss, validationAccuracy, model.SkippedUpdates);
            history.Add(report);
            progress?.Report(report);
            double monitored = validationCount > 0 ? validationLoss : report.Loss;
            if (monitored < bestLoss)
            {
                bestLoss = monitored;
                bestEpoch = epoch;
                if (options.Patience > 0 && options.RestoreBestWeights)
                {
                    best = model.Parameters.ToArray();
                }
            }
            else if (options.Patience > 0 && epoch - bestEpoch >= options.Patience)
            {
                stoppedEarly = true;
                best?.CopyTo(model.Parameters);
                break;
            }
        }

        return new FitResult(history, bestEpoch, stoppedEarly);
    }

    private static (double Loss, double Accuracy) EvaluateAll<T, TInput, TTarget>(
        ITrainableModel<T, TInput, TTarget> model, TInput[] inputs, TTarget[] targets, int first, int count,
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
            (T batchLoss, T batchAccuracy) = model.Evaluate(
                inputs.AsSpan((first + start) * inputPerSequence, n * inputPerSequence),
                targets.AsSpan((first + start) * targetPerSequence, n * targetPerSequence),
                n);
            loss += double.CreateTruncating(batchLoss) * n;
            accuracy += double.CreateTruncating(batchAccuracy) * n;
        }

        return (loss / count, accuracy / count);
    }
}
