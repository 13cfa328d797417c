using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace RnnCompiler.Training;

/// <summary>What <c>ModelTrainer.Fit</c> did: Keras's <c>History</c>, with a table (<see cref="ToString"/>) and a CSV writer.</summary>
/// <param name="History">One report per epoch run.</param>
/// <param name="BestEpoch">The epoch with the lowest validation loss (training loss without validation).</param>
/// <param name="StoppedEarly">Whether a callback (early stopping, TerminateOnNaN, your own) ended training before the last epoch.</param>
public sealed record FitResult(IReadOnlyList<EpochReport> History, int BestEpoch, bool StoppedEarly)
{
    /// <summary>
    /// The history as a table, one row per epoch (loss, accuracy, validation figures where there are any, learning
    /// rate, time), then the best epoch and whether training stopped early.
    /// </summary>
    public override string ToString()
    {
        bool accuracy = Any(report => !double.IsNaN(report.Accuracy));
        bool validation = Any(report => !double.IsNaN(report.ValidationLoss));
        bool validationAccuracy = Any(report => !double.IsNaN(report.ValidationAccuracy));
        var text = new StringBuilder();
        text.Append("epoch       loss");
        if (accuracy)
        {
            text.Append("   accuracy");
        }

        if (validation)
        {
            text.Append("   val_loss");
        }

        if (validationAccuracy)
        {
            text.Append(" val_accuracy");
        }

        text.Append(" learning_rate    time\n");
        foreach (EpochReport report in History)
        {
            text.Append(CultureInfo.InvariantCulture, $"{report.Epoch,5} {Figure(report.Loss),10}");
            if (accuracy)
            {
                text.Append(CultureInfo.InvariantCulture, $" {Figure(report.Accuracy),10}");
            }

            if (validation)
            {
                text.Append(CultureInfo.InvariantCulture, $" {Figure(report.ValidationLoss),10}");
            }

            if (validationAccuracy)
            {
                text.Append(CultureInfo.InvariantCulture, $" {Figure(report.ValidationAccuracy),12}");
            }

            text.Append(CultureInfo.InvariantCulture, $" {report.LearningRate,13:G4} {report.Elapsed.TotalSeconds,6:F2}s\n");
        }

        text.Append(History.Count == 0
            ? "No epoch ran."
            : string.Create(CultureInfo.InvariantCulture, $"Best epoch {BestEpoch} of {History.Count}{(StoppedEarly ? "; stopped early" : string.Empty)}."));
        return text.ToString();
    }

    /// <summary>
    /// Writes the history as Keras's <c>CSVLogger</c> does: a header <c>epoch,accuracy,learning_rate,loss,val_accuracy,val_loss</c>
    /// (the figures the run has, in that order), then one line per epoch with epochs from 0, numbers in their shortest
    /// round-trip form (<c>1e-05</c>, as Python writes it), <c>nan</c> for a missing one, lines ending in CR LF.
    /// </summary>
    /// <param name="writer">Where to write; it is left open.</param>
    public void WriteCsv(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        bool accuracy = Any(report => !double.IsNaN(report.Accuracy));
        bool validation = Any(report => !double.IsNaN(report.ValidationLoss));
        var columns = new List<(string Name, Func<EpochReport, double> Value)>();
        if (accuracy)
        {
            columns.Add(("accuracy", report => report.Accuracy));
        }

        columns.Add(("learning_rate", report => report.LearningRate));
        columns.Add(("loss", report => report.Loss));
        if (validation && accuracy)
        {
            columns.Add(("val_accuracy", report => report.ValidationAccuracy));
        }

        if (validation)
        {
            columns.Add(("val_loss", report => report.ValidationLoss));
        }

        writer.Write("epoch");
        foreach ((string name, _) in columns)
        {
            writer.Write(',');
            writer.Write(name);
        }

        writer.Write("\r\n");
        foreach (EpochReport report in History)
        {
            writer.Write((report.Epoch - 1).ToString(CultureInfo.InvariantCulture));
            foreach ((_, Func<EpochReport, double> value) in columns)
            {
                writer.Write(',');
                writer.Write(Csv(value(report)));
            }

            writer.Write("\r\n");
        }

        writer.Flush();
    }

    /// <summary>Writes the history as CSV (<see cref="WriteCsv(TextWriter)"/>) to <paramref name="path"/>, replacing it.</summary>
    /// <param name="path">The file.</param>
    public void WriteCsv(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        WriteCsv(writer);
    }

    private bool Any(Func<EpochReport, bool> predicate)
    {
        foreach (EpochReport report in History)
        {
            if (predicate(report))
            {
                return true;
            }
        }

        return false;
    }

    private static string Figure(double value) => ConsoleProgressBar.FormatFigure(value);

    private static string Csv(double value) =>
        double.IsNaN(value) ? "nan"
        : double.IsPositiveInfinity(value) ? "inf"
        : double.IsNegativeInfinity(value) ? "-inf"
        : value.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e');
}
