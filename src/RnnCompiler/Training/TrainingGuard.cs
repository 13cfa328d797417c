using System;
using System.Numerics;

namespace RnnCompiler.Training;

/// <summary>The argument checks of generated training code: every message names the argument and what was expected.</summary>
public static class TrainingGuard
{
    /// <summary>Checks the batch's sequence count and input length, and returns the steps per sequence.</summary>
    public static int Steps(int inputLength, int sequences, int perStep, int maxSteps, int batchSize, string argument)
    {
        if (sequences < 1 || sequences > batchSize)
        {
            throw new ArgumentOutOfRangeException(nameof(sequences), sequences, $"A batch holds 1 to {batchSize} sequences.");
        }

        return StepsOf(inputLength, sequences, perStep, maxSteps, argument);
    }

    /// <summary>The steps per sequence of <paramref name="sequences"/> (at least 1) equal sequences in <paramref name="inputLength"/> values.</summary>
    internal static int StepsOf(int inputLength, int sequences, int perStep, int maxSteps, string argument)
    {
        long perSequence = inputLength / sequences;
        if (inputLength == 0 || inputLength % sequences != 0 || perSequence % perStep != 0 || perSequence / perStep > maxSteps)
        {
            throw new ArgumentException(
                $"Expected {sequences} sequences of 1 to {maxSteps} steps of {perStep} value(s): a length that is a multiple of {(long)sequences * perStep} up to {(long)sequences * perStep * maxSteps}; got {inputLength}.",
                argument);
        }

        return (int)(perSequence / perStep);
    }

    /// <summary>The number of sequences a span of lengths gives: one per length, 1 to <paramref name="batchSize"/>.</summary>
    /// <param name="lengthsLength">The number of lengths.</param>
    /// <param name="batchSize">The most sequences in a batch.</param>
    /// <param name="argument">The argument's name, for the message.</param>
    /// <returns>The number of sequences.</returns>
    /// <exception cref="ArgumentException">There are no lengths, or more than a batch holds.</exception>
    public static int SequencesFromLengths(int lengthsLength, int batchSize, string argument)
    {
        if (lengthsLength < 1 || lengthsLength > batchSize)
        {
            throw new ArgumentException($"Expected one length per sequence, 1 to {batchSize} of them; got {lengthsLength}.", argument);
        }

        return lengthsLength;
    }

    /// <summary>Checks that every length, if any are given, is the batch's <paramref name="steps"/> (stateful training).</summary>
    /// <param name="lengths">The lengths, or empty.</param>
    /// <param name="sequences">The sequences in the batch.</param>
    /// <param name="steps">The batch's steps.</param>
    /// <param name="argument">The argument's name, for the message.</param>
    /// <exception cref="ArgumentException">A length differs from <paramref name="steps"/>, or there is not one per sequence.</exception>
    public static void EqualLengths(ReadOnlySpan<int> lengths, int sequences, int steps, string argument)
    {
        if (lengths.IsEmpty)
        {
            return;
        }

        if (lengths.Length != sequences)
        {
            throw new ArgumentException($"Expected one length per sequence, {sequences}; got {lengths.Length}.", argument);
        }

        foreach (int length in lengths)
        {
            if (length != steps)
            {
                throw new ArgumentException($"A stateful model carries each row's state after its last step into the next batch, so every sequence has the batch's {steps} steps; got a length of {length}.", argument);
            }
        }
    }

    /// <summary>
    /// The sequence count of a call without one (the two-argument <c>TrainBatch</c>, <c>ComputeGradients</c> and
    /// <c>Evaluate</c>): the batch is the whole of the targets, <paramref name="rowsPerSequence"/> rows of
    /// <paramref name="targetsPerRow"/> values per sequence (one row for a model with one output per sequence,
    /// SequenceLength rows for a model that outputs sequences).
    /// </summary>
    /// <exception cref="ArgumentException">The targets' length is not a whole number of sequences from 1 to <paramref name="batchSize"/>; the message names <paramref name="argument"/>.</exception>
    public static int SequencesFromTargets(int targetsLength, int rowsPerSequence, int targetsPerRow, int batchSize, string argument)
    {
        long perSequence = (long)rowsPerSequence * targetsPerRow;
        if (targetsLength == 0 || targetsLength % perSequence != 0 || targetsLength / perSequence > batchSize)
        {
            string unit = rowsPerSequence == 1
                ? $"{perSequence} value(s) per sequence"
                : $"{targetsPerRow} value(s) at each of the {rowsPerSequence} steps of a full-length sequence, {perSequence} per sequence";
            string hint = rowsPerSequence == 1
                ? string.Empty
                : " For sequences shorter than the model's SequenceLength, pass the sequence count as the third argument.";
            throw new ArgumentException(
                $"Without a sequence count the batch is the whole of {argument}: {unit}, so its length must be a multiple of {perSequence} up to {perSequence * batchSize} (BatchSize {batchSize}); got {targetsLength}.{hint}",
                argument);
        }

        return (int)(targetsLength / perSequence);
    }

    /// <summary>Checks that every token is in [0, <paramref name="vocabulary"/>).</summary>
    public static void Tokens(ReadOnlySpan<int> tokens, int vocabulary, string argument)
    {
        for (int i = 0; i < tokens.Length; i++)
        {
            if ((uint)tokens[i] >= (uint)vocabulary)
            {
                throw new ArgumentOutOfRangeException(argument, tokens[i], $"Token {i} is {tokens[i]}; token ids must be in [0, {vocabulary}).");
            }
        }
    }

    /// <summary>Checks class-id targets: the count, and each id in [0, <paramref name="classes"/>).</summary>
    public static void Labels(ReadOnlySpan<int> labels, int expected, int classes, string argument)
    {
        if (labels.Length != expected)
        {
            throw new ArgumentException($"Expected {expected} class ids (one per sequence, or per step when the model outputs sequences); got {labels.Length}.", argument);
        }

        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
            {
                throw new ArgumentOutOfRangeException(argument, labels[i], $"Target {i} is {labels[i]}; class ids must be in [0, {classes}).");
            }
        }
    }

    /// <summary>Checks float targets: the count, and that every value is finite.</summary>
    public static void Targets<T>(ReadOnlySpan<T> targets, int expected, string argument)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (targets.Length != expected)
        {
            throw new ArgumentException($"Expected {expected} target values; got {targets.Length}.", argument);
        }

        for (int i = 0; i < targets.Length; i++)
        {
            if (!T.IsFinite(targets[i]))
            {
                throw new ArgumentException($"Target {i} is {targets[i]}; targets must be finite.", argument);
            }
        }
    }
}
