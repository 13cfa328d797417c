using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace RnnCompiler;

/// <summary>
/// The argument checks of generated models, in one place so every model's messages read alike: each names the
/// argument and the size expected. They run before a model changes anything.
/// </summary>
public static class ModelGuard
{
    /// <summary>Checks that <paramref name="length"/> floats are 1 to <paramref name="maxSteps"/> whole steps of <paramref name="features"/>, and returns the steps.</summary>
    /// <exception cref="ArgumentException">The length is not such a multiple.</exception>
    public static int StepsOfInputs(int length, int features, int maxSteps, string argument)
    {
        if (length == 0 || length % features != 0 || length / features > maxSteps)
        {
            throw new ArgumentException(
                $"Expected 1 to {maxSteps} steps of {features} features: a length that is a multiple of {features} from {features} to {(long)maxSteps * features}; got {length}.",
                argument);
        }

        return length / features;
    }

    /// <summary>
    /// Checks that <paramref name="sequences"/> is at least 1 and that <paramref name="length"/> floats are that many
    /// sequences of 1 to <paramref name="maxSteps"/> whole steps of <paramref name="features"/>, and returns the steps.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sequences"/> is below 1.</exception>
    /// <exception cref="ArgumentException">The length is not such a multiple.</exception>
    public static int StepsOfSequences(int length, int sequences, int features, int maxSteps, string argument)
    {
        if (sequences < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(sequences), sequences, "Expected at least one sequence.");
        }

        return Training.TrainingGuard.StepsOf(length, sequences, features, maxSteps, argument);
    }

    /// <summary>
    /// Checks the arguments of a batched <c>Predict</c>: <paramref name="sequences"/> at least 1, the input that many
    /// sequences of 1 to <paramref name="maxSteps"/> whole steps of <paramref name="perStep"/> values, and the outputs
    /// exactly their outputs. Returns the steps of every sequence.
    /// </summary>
    /// <param name="inputLength">The length of the inputs (or tokens).</param>
    /// <param name="outputLength">The length of the outputs.</param>
    /// <param name="sequences">The number of sequences.</param>
    /// <param name="perStep">The values of one input step: the features, or 1 for a token.</param>
    /// <param name="maxSteps">The model's SequenceLength.</param>
    /// <param name="outputUnits">The model's OutputUnits.</param>
    /// <param name="outputIsSequence">Whether the model writes an output for every step.</param>
    /// <param name="argument">The name of the inputs argument, for the message.</param>
    /// <returns>The steps of every sequence.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sequences"/> is below 1.</exception>
    /// <exception cref="ArgumentException">The inputs or the outputs have another length.</exception>
    public static int StepsOfBatch(int inputLength, int outputLength, int sequences, int perStep, int maxSteps, int outputUnits, bool outputIsSequence, string argument)
    {
        int steps = StepsOfSequences(inputLength, sequences, perStep, maxSteps, argument);
        long perSequence = (long)outputUnits * (outputIsSequence ? steps : 1);
        if (outputLength != sequences * perSequence)
        {
            throw new ArgumentException(
                $"Expected {sequences} sequences × {perSequence} outputs ({(outputIsSequence ? $"{steps} steps of {outputUnits}" : $"{outputUnits} per sequence")}) = {sequences * perSequence}; got {outputLength}.",
                "outputs");
        }

        return steps;
    }

    /// <summary>Checks that there are 1 to <paramref name="maxSteps"/> tokens, each in [0, <paramref name="vocabulary"/>), and returns their count.</summary>
    /// <exception cref="ArgumentException">The count or a token is out of range.</exception>
    public static int StepsOfTokens(ReadOnlySpan<int> tokens, int vocabulary, int maxSteps, string argument)
    {
        if (tokens.Length == 0 || tokens.Length > maxSteps)
        {
            throw new ArgumentException($"Expected 1 to {maxSteps} tokens; got {tokens.Length}.", argument);
        }

        for (int i = 0; i < tokens.Length; i++)
        {
            if ((uint)tokens[i] >= (uint)vocabulary)
            {
                throw new ArgumentOutOfRangeException(argument, tokens[i], $"Token {i} is {tokens[i]}; token ids must be in [0, {vocabulary}).");
            }
        }

        return tokens.Length;
    }

    /// <summary>Checks one token id.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The token is outside [0, <paramref name="vocabulary"/>).</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Token(int token, int vocabulary, string argument)
    {
        if ((uint)token >= (uint)vocabulary)
        {
            ThrowToken(token, vocabulary, argument);
        }
    }

    /// <summary>
    /// The throw of <see cref="Token"/>, for a generated <c>Step</c> that compares inline and loads the message's strings
    /// only when the check fails (a method compiled on its first call would otherwise resolve them on every call).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Always.</exception>
    [DoesNotReturn]
    public static void ThrowToken(int token, int vocabulary, string argument) =>
        throw new ArgumentOutOfRangeException(argument, token, $"Token ids must be in [0, {vocabulary}).");

    /// <summary>Checks that a span has exactly the length expected.</summary>
    /// <exception cref="ArgumentException">The length differs.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Length(int length, int expected, string argument, string shape)
    {
        if (length != expected)
        {
            ThrowLength(length, expected, argument, shape);
        }
    }

    /// <summary>
    /// The throw of <see cref="Length"/>, for a generated <c>Step</c> that compares inline and loads the message's strings
    /// only when the check fails (a method compiled on its first call would otherwise resolve them on every call).
    /// </summary>
    /// <exception cref="ArgumentException">Always.</exception>
    [DoesNotReturn]
    public static void ThrowLength(int length, int expected, string argument, string shape) =>
        throw new ArgumentException($"Expected a length of {expected} ({shape}); got {length}.", argument);

    /// <summary>
    /// Marks a model instance as running a call (<c>Predict</c>, <c>Step</c>, a training call) until the caller clears
    /// <paramref name="inUse"/>; throws if it already is, which means a second thread entered it. The flag is a plain
    /// field, so it costs a load and a store and catches overlapping calls, not every one.
    /// </summary>
    /// <exception cref="InvalidOperationException">The instance is already running a call.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Enter(ref bool inUse)
    {
        if (inUse)
        {
            ThrowInUse();
        }

        inUse = true;
    }

    [DoesNotReturn]
    private static void ThrowInUse() => throw new InvalidOperationException(
        "This model instance is already running a call on another thread. A model instance is single-threaded: rent an instance per call from a "
        + "ModelPool<TModel> (its factory copies Parameters into each to share weights), give each thread its own instance, or take a lock around the calls.");
}
