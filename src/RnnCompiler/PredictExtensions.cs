using System;

namespace RnnCompiler;

/// <summary>
/// Keras's <c>model.predict</c> over a dataset: <c>Predict</c> with a sequence count runs any number of sequences of
/// the same length, back to back, each from a zero state, and writes their outputs back to back.
/// </summary>
public static class PredictExtensions
{
    /// <summary>Runs <paramref name="sequences"/> sequences of float vectors, each from a zero state.</summary>
    /// <param name="model">The model.</param>
    /// <param name="inputs">[sequences, steps, features] row-major; every sequence has the same 1 to SequenceLength steps.</param>
    /// <param name="outputs">Receives [sequences, units], or [sequences, steps, units] for a model that outputs sequences.</param>
    /// <param name="sequences">The number of sequences, at least 1.</param>
    /// <exception cref="ArgumentException">A length does not fit; the message names the argument.</exception>
    public static void Predict<T>(this IFeatureModel<T> model, ReadOnlySpan<T> inputs, Span<T> outputs, int sequences)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(model);
        (int inputPer, int outputPer) = Check(model.Info, inputs.Length, outputs.Length, sequences, model.Info.InputWidth, nameof(inputs));
        for (int s = 0; s < sequences; s++)
        {
            model.Predict(inputs.Slice(s * inputPer, inputPer), outputs.Slice(s * outputPer, outputPer));
        }
    }

    /// <summary>Runs <paramref name="sequences"/> token sequences, each from a zero state.</summary>
    /// <param name="model">The model.</param>
    /// <param name="tokens">[sequences, steps] token ids row-major; every sequence has the same 1 to SequenceLength steps.</param>
    /// <param name="outputs">Receives [sequences, units], or [sequences, steps, units] for a model that outputs sequences.</param>
    /// <param name="sequences">The number of sequences, at least 1.</param>
    /// <exception cref="ArgumentException">A length does not fit, or a token is outside the vocabulary; the message names the argument.</exception>
    public static void Predict<T>(this ITokenModel<T> model, ReadOnlySpan<int> tokens, Span<T> outputs, int sequences)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(model);
        (int inputPer, int outputPer) = Check(model.Info, tokens.Length, outputs.Length, sequences, 1, nameof(tokens));
        for (int s = 0; s < sequences; s++)
        {
            model.Predict(tokens.Slice(s * inputPer, inputPer), outputs.Slice(s * outputPer, outputPer));
        }
    }

    private static (int InputPer, int OutputPer) Check(ModelInfo info, int inputLength, int outputLength, int sequences, int perStep, string inputName)
    {
        if (sequences < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(sequences), sequences, "Expected at least one sequence.");
        }

        int steps = Training.TrainingGuard.StepsOf(inputLength, sequences, perStep, info.SequenceLength, inputName);
        int outputPer = info.OutputUnits * (info.OutputIsSequence ? steps : 1);
        if (outputLength != (long)sequences * outputPer)
        {
            throw new ArgumentException(
                $"Expected {sequences} sequences × {outputPer} outputs ({(info.OutputIsSequence ? $"{steps} steps of {info.OutputUnits}" : $"{info.OutputUnits} per sequence")}) = {(long)sequences * outputPer}; got {outputLength}.",
                "outputs");
        }

        return (steps * perStep, outputPer);
    }
}
