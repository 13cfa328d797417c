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

        long perSequence = inputLength / sequences;
        if (inputLength == 0 || inputLength % sequences != 0 || perSequence % perStep != 0 || perSequence / perStep > maxSteps)
        {
            throw new ArgumentException(
                $"Expected {sequences} sequences of 1 to {maxSteps} steps of {perStep} value(s): a length that is a multiple of {(long)sequences * perStep} up to {(long)sequences * perStep * maxSteps}; got {inputLength}.",
                argument);
        }

        return (int)(perSequence / perStep);
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
