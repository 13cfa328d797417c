using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace RnnCompiler.Training;

/// <summary>
/// Packs a training batch whose sequences have different lengths for the lock-step passes (PyTorch's
/// <c>pack_padded_sequence</c>, in place): each sequence's real steps (its first <c>lengths[s]</c> steps, less the
/// masked ones) are moved to the start of its block, and the sequences are ordered longest first, so that every step of
/// the recurrent layers is one product over the sequences still running. Generated models call it before a batch runs.
/// </summary>
/// <remarks>
/// A step is masked, as in Keras, when its token is 0 (<c>Embedding(MaskZero = true)</c>) or when every feature equals
/// the mask value (<c>[Masking(value)]</c>). Padding may come before or after the real steps, or both: only the mask
/// and the lengths decide which steps are real. Nothing here allocates. Called by generated code; not meant to be called
/// directly.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class SequencePacking
{
    /// <summary>
    /// Packs a batch of token sequences. Returns false, and writes nothing, when every sequence is <paramref name="steps"/>
    /// steps long with no masked step: the batch then runs as it is.
    /// </summary>
    /// <typeparam name="TTarget">The target element type.</typeparam>
    /// <param name="inputs">[sequences, steps] token ids.</param>
    /// <param name="targets">The targets: <paramref name="targetWidth"/> per sequence, or per step when <paramref name="perStep"/>.</param>
    /// <param name="sequences">The sequences in the batch.</param>
    /// <param name="steps">The steps of every block.</param>
    /// <param name="perStep">Whether the targets are per step (a model that outputs sequences).</param>
    /// <param name="targetWidth">Target values per sequence or per step.</param>
    /// <param name="lengths">Each sequence's length (its first steps are real), or empty for <paramref name="steps"/>.</param>
    /// <param name="maskZero">Whether token 0 is padding.</param>
    /// <param name="packedInputs">Receives the packed tokens, [sequences, steps], zero after each sequence's real steps.</param>
    /// <param name="packedTargets">Receives the targets in packed order (per step: of the real steps, at the start).</param>
    /// <param name="packedLengths">Receives the real steps of each packed sequence, longest first.</param>
    /// <param name="order">Receives, for each packed sequence, the index of the sequence it came from.</param>
    /// <param name="argument">The name of the inputs' argument, for the message of a sequence with no real step.</param>
    /// <returns>Whether the batch was packed.</returns>
    /// <exception cref="ArgumentException">A length is out of range, <paramref name="lengths"/> does not have one per sequence, or a sequence has no real step.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool PackTokens<TTarget>(
        ReadOnlySpan<int> inputs, ReadOnlySpan<TTarget> targets, int sequences, int steps, bool perStep, int targetWidth,
        ReadOnlySpan<int> lengths, bool maskZero, Span<int> packedInputs, Span<TTarget> packedTargets, Span<int> packedLengths, Span<int> order, string argument)
        where TTarget : unmanaged
        => Pack(new TokenMask(maskZero), inputs, 1, targets, sequences, steps, perStep, targetWidth, lengths, packedInputs, packedTargets, packedLengths, order, argument);

    /// <summary>
    /// Packs a batch of float sequences: <see cref="PackTokens{TTarget}"/> for <paramref name="features"/> values per
    /// step, a step masked when <paramref name="masking"/> and every feature equals <paramref name="maskValue"/>.
    /// </summary>
    /// <typeparam name="T">The model's float type.</typeparam>
    /// <typeparam name="TTarget">The target element type.</typeparam>
    /// <param name="inputs">[sequences, steps, features].</param>
    /// <param name="features">The values per step.</param>
    /// <param name="targets">The targets: <paramref name="targetWidth"/> per sequence, or per step when <paramref name="perStep"/>.</param>
    /// <param name="sequences">The sequences in the batch.</param>
    /// <param name="steps">The steps of every block.</param>
    /// <param name="perStep">Whether the targets are per step (a model that outputs sequences).</param>
    /// <param name="targetWidth">Target values per sequence or per step.</param>
    /// <param name="lengths">Each sequence's length (its first steps are real), or empty for <paramref name="steps"/>.</param>
    /// <param name="masking">Whether the model masks steps by value (<c>[Masking]</c>).</param>
    /// <param name="maskValue">The value that marks a masked step.</param>
    /// <param name="packedInputs">Receives the packed steps, [sequences, steps, features], zero after each sequence's real steps.</param>
    /// <param name="packedTargets">Receives the targets in packed order.</param>
    /// <param name="packedLengths">Receives the real steps of each packed sequence, longest first.</param>
    /// <param name="order">Receives, for each packed sequence, the index of the sequence it came from.</param>
    /// <param name="argument">The name of the inputs' argument, for the message of a sequence with no real step.</param>
    /// <returns>Whether the batch was packed.</returns>
    /// <exception cref="ArgumentException">A length is out of range, <paramref name="lengths"/> does not have one per sequence, or a sequence has no real step.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool PackFeatures<T, TTarget>(
        ReadOnlySpan<T> inputs, int features, ReadOnlySpan<TTarget> targets, int sequences, int steps, bool perStep, int targetWidth,
        ReadOnlySpan<int> lengths, bool masking, T maskValue, Span<T> packedInputs, Span<TTarget> packedTargets, Span<int> packedLengths, Span<int> order, string argument)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TTarget : unmanaged
        => Pack(new ValueMask<T>(masking, maskValue), inputs, features, targets, sequences, steps, perStep, targetWidth, lengths, packedInputs, packedTargets, packedLengths, order, argument);

    /// <summary>Sequence <paramref name="sequence"/>'s real steps: its packed length, or <paramref name="steps"/> when the batch is not packed.</summary>
    /// <param name="lengths">The packed lengths, or empty.</param>
    /// <param name="sequence">The sequence in packed order.</param>
    /// <param name="steps">The batch's steps.</param>
    /// <returns>The sequence's real steps.</returns>
    public static int LengthOf(ReadOnlySpan<int> lengths, int sequence, int steps) => lengths.IsEmpty ? steps : lengths[sequence];

    /// <summary>The real steps of all the packed sequences: what a per-step loss averages over.</summary>
    /// <param name="lengths">The packed lengths.</param>
    /// <returns>Their sum.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Total(ReadOnlySpan<int> lengths)
    {
        int total = 0;
        foreach (int length in lengths)
        {
            total += length;
        }

        return total;
    }

    /// <summary>
    /// Predict's input without its masked steps (token 0): the tokens the layers run over.
    /// </summary>
    /// <param name="tokens">The sequence's tokens.</param>
    /// <param name="unmasked">Receives the tokens that are not 0, in order.</param>
    /// <param name="argument">The argument's name, for the message.</param>
    /// <returns>The number of unmasked steps, at least 1.</returns>
    /// <exception cref="ArgumentException">Every token is 0.</exception>
    public static int UnmaskTokens(ReadOnlySpan<int> tokens, Span<int> unmasked, string argument) =>
        Unmask(new TokenMask(true), tokens, 1, unmasked, argument);

    /// <summary>Predict's input without its masked steps (every feature equal to <paramref name="maskValue"/>).</summary>
    /// <typeparam name="T">The model's float type.</typeparam>
    /// <param name="inputs">The sequence, [steps, features].</param>
    /// <param name="features">The values per step.</param>
    /// <param name="maskValue">The mask value.</param>
    /// <param name="unmasked">Receives the steps that are not masked, in order.</param>
    /// <param name="argument">The argument's name, for the message.</param>
    /// <returns>The number of unmasked steps, at least 1.</returns>
    /// <exception cref="ArgumentException">Every step is masked.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int UnmaskFeatures<T>(ReadOnlySpan<T> inputs, int features, T maskValue, Span<T> unmasked, string argument)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        => Unmask(new ValueMask<T>(true, maskValue), inputs, features, unmasked, argument);

    /// <summary>
    /// Spreads the rows a recurrent layer computed for the unmasked steps back over all the steps of
    /// <paramref name="tokens"/>, as Keras's RNN outputs them: a masked step repeats the output of the step before it
    /// (zeros before the first unmasked one), or is zeros when <paramref name="zeros"/> (a bidirectional layer, for which
    /// Keras sets <c>zero_output_for_mask</c>).
    /// </summary>
    /// <typeparam name="T">The model's float type.</typeparam>
    /// <param name="tokens">The sequence's tokens, masked where 0.</param>
    /// <param name="rows">The rows of the unmasked steps at the start; receives a row per step.</param>
    /// <param name="width">The width of a row.</param>
    /// <param name="zeros">Whether masked steps are zeros rather than the previous output.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SpreadTokens<T>(ReadOnlySpan<int> tokens, Span<T> rows, int width, bool zeros)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        => Spread(new TokenMask(true), tokens, 1, rows, width, zeros);

    /// <summary><see cref="SpreadTokens{T}"/> for a sequence of float steps masked by value.</summary>
    /// <typeparam name="T">The model's float type.</typeparam>
    /// <param name="inputs">The sequence, [steps, features].</param>
    /// <param name="features">The values per step.</param>
    /// <param name="maskValue">The mask value.</param>
    /// <param name="rows">The rows of the unmasked steps at the start; receives a row per step.</param>
    /// <param name="width">The width of a row.</param>
    /// <param name="zeros">Whether masked steps are zeros rather than the previous output.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SpreadFeatures<T>(ReadOnlySpan<T> inputs, int features, T maskValue, Span<T> rows, int width, bool zeros)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        => Spread(new ValueMask<T>(true, maskValue), inputs, features, rows, width, zeros);

    /// <summary>Whether a streaming step's features are all <paramref name="maskValue"/>: Step then keeps every state.</summary>
    /// <typeparam name="T">The model's float type.</typeparam>
    /// <param name="input">The step's features.</param>
    /// <param name="maskValue">The mask value.</param>
    /// <returns>Whether the step is masked.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool IsMasked<T>(ReadOnlySpan<T> input, T maskValue)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        => new ValueMask<T>(true, maskValue).IsMasked(input);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Unmask<TInput, TMask>(TMask mask, ReadOnlySpan<TInput> inputs, int width, Span<TInput> unmasked, string argument)
        where TMask : IStepMask<TInput>
    {
        int steps = inputs.Length / width;
        int real = 0;
        for (int t = 0; t < steps; t++)
        {
            ReadOnlySpan<TInput> step = inputs.Slice(t * width, width);
            if (!mask.IsMasked(step))
            {
                step.CopyTo(unmasked.Slice(real * width, width));
                real++;
            }
        }

        if (real == 0)
        {
            throw new ArgumentException($"Every one of the {steps} steps is masked ({mask.Describe}); a sequence needs at least one unmasked step.", argument);
        }

        return real;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Spread<TInput, T, TMask>(TMask mask, ReadOnlySpan<TInput> inputs, int inputWidth, Span<T> rows, int width, bool zeros)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TMask : IStepMask<TInput>
    {
        int steps = inputs.Length / inputWidth;
        int real = RealSteps(mask, inputs, inputWidth, steps);

        // From the last step back, each unmasked row moves to its step (never before its place, so none is overwritten
        // before it moves); then the masked steps are filled front to back.
        for (int t = steps - 1; t >= 0 && real > 0; t--)
        {
            if (!mask.IsMasked(inputs.Slice(t * inputWidth, inputWidth)))
            {
                real--;
                if (real != t)
                {
                    rows.Slice(real * width, width).CopyTo(rows.Slice(t * width, width));
                }
            }
        }

        for (int t = 0; t < steps; t++)
        {
            if (mask.IsMasked(inputs.Slice(t * inputWidth, inputWidth)))
            {
                Span<T> row = rows.Slice(t * width, width);
                if (zeros || t == 0)
                {
                    row.Clear();
                }
                else
                {
                    rows.Slice((t - 1) * width, width).CopyTo(row);
                }
            }
        }
    }

    /// <summary>The real steps of one sequence: its first <paramref name="length"/> steps less the masked ones.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int RealSteps<TInput, TMask>(TMask mask, ReadOnlySpan<TInput> sequence, int width, int length)
        where TMask : IStepMask<TInput>
    {
        if (!mask.Enabled)
        {
            return length;
        }

        int real = 0;
        for (int t = 0; t < length; t++)
        {
            if (!mask.IsMasked(sequence.Slice(t * width, width)))
            {
                real++;
            }
        }

        return real;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Pack<TInput, TTarget, TMask>(
        TMask mask, ReadOnlySpan<TInput> inputs, int width, ReadOnlySpan<TTarget> targets, int sequences, int steps, bool perStep, int targetWidth,
        ReadOnlySpan<int> lengths, Span<TInput> packedInputs, Span<TTarget> packedTargets, Span<int> packedLengths, Span<int> order, string argument)
        where TInput : unmanaged
        where TTarget : unmanaged
        where TMask : IStepMask<TInput>
    {
        if (!lengths.IsEmpty && lengths.Length != sequences)
        {
            throw new ArgumentException($"Expected one length per sequence, {sequences}; got {lengths.Length}.", nameof(lengths));
        }

        // Check everything, and count each sequence's real steps, before anything is written.
        bool varying = false;
        for (int s = 0; s < sequences; s++)
        {
            int length = lengths.IsEmpty ? steps : lengths[s];
            if (length < 1 || length > steps)
            {
                throw new ArgumentException($"Each length must be 1 to the batch's {steps} steps; lengths[{s}] is {length}.", nameof(lengths));
            }

            int real = RealSteps(mask, inputs.Slice(s * steps * width, steps * width), width, length);
            if (real == 0)
            {
                throw new ArgumentException($"Sequence {s} has no real step: every one of its {length} steps is masked ({mask.Describe}). A sequence needs at least one unmasked step.", argument);
            }

            packedLengths[s] = real;
            varying |= real != steps;
        }

        if (!varying)
        {
            return false;
        }

        // Longest first; equal lengths keep their order (a stable insertion sort: a batch is small).
        for (int s = 0; s < sequences; s++)
        {
            int length = packedLengths[s];
            int at = s;
            while (at > 0 && packedLengths[order[at - 1]] < length)
            {
                order[at] = order[at - 1];
                at--;
            }

            order[at] = s;
        }

        // Each sequence in packed order: its real steps to the start of its block with their targets, zeros after them,
        // and its length (packedLengths now changes from the order of the batch to the packed order).
        for (int b = 0; b < sequences; b++)
        {
            int source = order[b];
            int length = lengths.IsEmpty ? steps : lengths[source];
            ReadOnlySpan<TInput> sequence = inputs.Slice(source * steps * width, steps * width);
            Span<TInput> packed = packedInputs.Slice(b * steps * width, steps * width);
            int real = 0;
            for (int t = 0; t < length; t++)
            {
                ReadOnlySpan<TInput> step = sequence.Slice(t * width, width);
                if (mask.Enabled && mask.IsMasked(step))
                {
                    continue;
                }

                step.CopyTo(packed.Slice(real * width, width));
                if (perStep)
                {
                    targets.Slice((source * steps + t) * targetWidth, targetWidth).CopyTo(packedTargets.Slice((b * steps + real) * targetWidth, targetWidth));
                }

                real++;
            }

            packed.Slice(real * width).Clear();
            if (perStep)
            {
                packedTargets.Slice((b * steps + real) * targetWidth, (steps - real) * targetWidth).Clear();
            }
            else
            {
                targets.Slice(source * targetWidth, targetWidth).CopyTo(packedTargets.Slice(b * targetWidth, targetWidth));
            }

            packedLengths[b] = real;
        }

        return true;
    }
}

/// <summary>Which steps of a sequence are masked.</summary>
internal interface IStepMask<TInput>
{
    /// <summary>Whether the model masks at all.</summary>
    bool Enabled { get; }

    /// <summary>What a masked step is, for messages.</summary>
    string Describe { get; }

    /// <summary>Whether one step (its values) is masked.</summary>
    bool IsMasked(ReadOnlySpan<TInput> step);
}

/// <summary>Keras's <c>Embedding(mask_zero=True)</c>: token 0 is padding.</summary>
internal readonly struct TokenMask(bool enabled) : IStepMask<int>
{
    public bool Enabled => enabled;

    public string Describe => "token 0";

    public bool IsMasked(ReadOnlySpan<int> step) => step[0] == 0;
}

/// <summary>Keras's <c>Masking(mask_value)</c>: a step is masked when every feature equals the value.</summary>
internal readonly struct ValueMask<T>(bool enabled, T value) : IStepMask<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public bool Enabled => enabled;

    public string Describe => $"every feature {value}";

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool IsMasked(ReadOnlySpan<T> step)
    {
        foreach (T feature in step)
        {
            if (feature != value)
            {
                return false;
            }
        }

        return true;
    }
}
