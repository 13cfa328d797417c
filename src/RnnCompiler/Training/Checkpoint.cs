using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Numerics;
using RnnCompiler.Weights;

namespace RnnCompiler.Training;

/// <summary>
/// Training checkpoints: the weights, the optimizer's moments and its step count in one safetensors file
/// (<c>lstm/kernel</c>, <c>optimizer/first/lstm/kernel</c>, <c>optimizer/second/lstm/kernel</c>, ...; the step in the
/// metadata), so that training resumes exactly. Loading checks the whole file before changing anything.
/// </summary>
public static class Checkpoint
{
    private const string FirstPrefix = "optimizer/first/";
    private const string SecondPrefix = "optimizer/second/";

    /// <summary>Writes a checkpoint whose learning rate is the declared one.</summary>
    public static void Save<T>(Stream stream, IReadOnlyList<LayerDescriptor> layers, OptimizerSettings settings,
        ReadOnlySpan<T> parameters, ReadOnlySpan<T> first, ReadOnlySpan<T> second, long step, long skippedUpdates)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(settings);
        Save(stream, layers, settings, settings.LearningRate, parameters, first, second, step, skippedUpdates);
    }

    /// <summary>Writes a checkpoint, with the model's current learning rate (<c>learning_rate</c> in the metadata, exactly).</summary>
    public static void Save<T>(Stream stream, IReadOnlyList<LayerDescriptor> layers, OptimizerSettings settings, double learningRate,
        ReadOnlySpan<T> parameters, ReadOnlySpan<T> first, ReadOnlySpan<T> second, long step, long skippedUpdates)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(settings);
        var tensors = new List<(string, int[], double[])>();
        WeightFile.AddTensors(tensors, layers, parameters, string.Empty);
        if (settings.HasFirstMoment)
        {
            WeightFile.AddTensors(tensors, layers, first, FirstPrefix);
        }

        if (settings.HasSecondMoment)
        {
            WeightFile.AddTensors(tensors, layers, second, SecondPrefix);
        }

        var metadata = new Dictionary<string, string>
        {
            ["format"] = "rnncompiler-checkpoint",
            ["optimizer"] = settings.Optimizer.ToString(),
            ["step"] = step.ToString(CultureInfo.InvariantCulture),
            ["skipped_updates"] = skippedUpdates.ToString(CultureInfo.InvariantCulture),
            ["learning_rate"] = learningRate.ToString("R", CultureInfo.InvariantCulture),
        };
        SafeTensorsFile.Write(stream, tensors, typeof(T) == typeof(double), metadata);
    }

    /// <summary>Reads a checkpoint written by <c>Save</c> for the same model and optimizer; nothing changes unless all of it is valid.</summary>
    /// <exception cref="InvalidDataException">The file is damaged, is not a checkpoint of this optimizer, or lacks a tensor.</exception>
    public static void Load<T>(Stream stream, IReadOnlyList<LayerDescriptor> layers, OptimizerSettings settings,
        Span<T> parameters, Span<T> first, Span<T> second, out long step, out long skippedUpdates)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
        Load(stream, layers, settings, parameters, first, second, out step, out skippedUpdates, out _);

    /// <summary>
    /// Reads a checkpoint as <see cref="Load{T}(Stream, IReadOnlyList{LayerDescriptor}, OptimizerSettings, Span{T}, Span{T}, Span{T}, out long, out long)"/>,
    /// and the learning rate it was saved with (the declared rate for a checkpoint that does not record one).
    /// </summary>
    /// <exception cref="InvalidDataException">The file is damaged, is not a checkpoint of this optimizer, or lacks a tensor.</exception>
    public static void Load<T>(Stream stream, IReadOnlyList<LayerDescriptor> layers, OptimizerSettings settings,
        Span<T> parameters, Span<T> first, Span<T> second, out long step, out long skippedUpdates, out double learningRate)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(settings);
        (Dictionary<string, SafeTensorEntry> entries, byte[] data) = SafeTensorsFile.Read(stream, out Dictionary<string, string> metadata);
        if (!metadata.TryGetValue("format", out string? format) || format != "rnncompiler-checkpoint")
        {
            throw new InvalidDataException("The file is not an RnnCompiler checkpoint (its metadata has no \"format\": \"rnncompiler-checkpoint\"); to load weights alone, use LoadWeights.");
        }

        if (!metadata.TryGetValue("optimizer", out string? optimizer) || optimizer != settings.Optimizer.ToString())
        {
            throw new InvalidDataException($"The checkpoint was written for optimizer '{optimizer}'; this model trains with {settings.Optimizer}.");
        }

        if (!metadata.TryGetValue("step", out string? stepText) || !long.TryParse(stepText, NumberStyles.None, CultureInfo.InvariantCulture, out long newStep))
        {
            throw new InvalidDataException("The checkpoint's metadata has no valid \"step\".");
        }

        long newSkipped = 0;
        if (metadata.TryGetValue("skipped_updates", out string? skippedText) && !long.TryParse(skippedText, NumberStyles.None, CultureInfo.InvariantCulture, out newSkipped))
        {
            throw new InvalidDataException("The checkpoint's metadata has an invalid \"skipped_updates\".");
        }

        double newRate = settings.LearningRate;
        if (metadata.TryGetValue("learning_rate", out string? rateText)
            && (!double.TryParse(rateText, NumberStyles.Float, CultureInfo.InvariantCulture, out newRate) || !double.IsFinite(newRate) || newRate < 0))
        {
            throw new InvalidDataException("The checkpoint's metadata has an invalid \"learning_rate\" (a finite rate of at least 0 is expected).");
        }

        double[] weights = WeightFile.StageKeras(layers, entries, data, string.Empty);
        double[]? firstStaged = settings.HasFirstMoment ? WeightFile.StageKeras(layers, entries, data, FirstPrefix) : null;
        double[]? secondStaged = settings.HasSecondMoment ? WeightFile.StageKeras(layers, entries, data, SecondPrefix) : null;

        // Everything is valid: only now is the model changed.
        Copy(weights, parameters);
        if (firstStaged is not null)
        {
            Copy(firstStaged, first);
        }

        if (secondStaged is not null)
        {
            Copy(secondStaged, second);
        }

        step = newStep;
        skippedUpdates = newSkipped;
        learningRate = newRate;
    }

    /// <summary>
    /// Writes a file through <paramref name="write"/> into a temporary file beside <paramref name="path"/>, then
    /// replaces <paramref name="path"/> with it in one rename, so an interrupted save never destroys the previous file.
    /// </summary>
    public static void WriteAtomically(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        RemoveAbandonedTemporaries(directory, Path.GetFileName(full));
        string temporary = Path.Combine(directory, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    /// <summary>
    /// Deletes the temporary files that saves to <paramref name="fileName"/> killed mid-write left beside it
    /// (<c>.{name}.{32 hex digits}.tmp</c>). A save still writing holds its file open with <see cref="FileShare.None"/>
    /// (an advisory lock on Unix), so opening it fails and it stays.
    /// </summary>
    private static void RemoveAbandonedTemporaries(string directory, string fileName)
    {
        if (fileName.AsSpan().IndexOfAny('*', '?') >= 0 || !Directory.Exists(directory))
        {
            return; // a name that is itself a search pattern: leave the directory alone
        }

        string prefix = "." + fileName + ".";
        foreach (string candidate in Directory.EnumerateFiles(directory, prefix + "*.tmp"))
        {
            string name = Path.GetFileName(candidate);
            if (name.Length != prefix.Length + 32 + ".tmp".Length || !name.StartsWith(prefix, StringComparison.Ordinal)
                || !name.EndsWith(".tmp", StringComparison.Ordinal) || name.AsSpan(prefix.Length, 32).ContainsAnyExcept("0123456789abcdef"))
            {
                continue;
            }

            try
            {
                using (new FileStream(candidate, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
                {
                }

                File.Delete(candidate);
            }
            catch (IOException)
            {
                // Held by a save in progress, or already gone.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours to remove.
            }
        }
    }

    private static void Copy<T>(double[] source, Span<T> target)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int i = 0; i < source.Length; i++)
        {
            target[i] = T.CreateTruncating(source[i]);
        }
    }
}
