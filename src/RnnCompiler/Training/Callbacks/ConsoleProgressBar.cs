using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;

namespace RnnCompiler.Training;

/// <summary>
/// The progress bar of Keras's <c>fit(verbose=1)</c>: per epoch a line redrawn as batches finish, with the batch
/// count, a 20-character bar, the time left (then the epoch's time), the time per batch, and the running loss and
/// accuracy; at the epoch's end the validation figures join it. <see cref="FitOptions.ProgressBar"/> turns it on.
/// </summary>
/// <remarks>
/// <para>On a terminal the line is redrawn in place (carriage return) at most every 50 ms, and once at the epoch's end,
/// under an <c>Epoch n/N</c> header. When the output is redirected (a file, a pipe, a CI log) or is a writer other
/// than the console, nothing is drawn during the epoch and each epoch ends with one line:
/// <c>Epoch 3/10 - 250/250 - 2s - 8ms/step - accuracy: 0.8123 - loss: 0.4210 - val_accuracy: …</c>.</para>
/// <para>Figures are formatted as Keras formats them: 4 decimals, or 4 significant digits in exponent form when their
/// magnitude is at most 0.001.</para>
/// </remarks>
public sealed class ConsoleProgressBar : TrainingCallback
{
    private const int BarWidth = 20;

    /// <summary>The characters of the bar's four escape sequences: green, reset, grey, reset.</summary>
    private const int ColourCharacters = 5 + 4 + 5 + 4;
    private static readonly long s_interval = Stopwatch.Frequency / 20;

    private readonly TextWriter _output;
    private readonly StringBuilder _line = new(256);
    private readonly char _barCharacter;
    private long _lastDrawn;
    private long _firstBatchEnded;
    private int _previousWidth;

    /// <summary>A bar on <paramref name="output"/>, or on the console.</summary>
    /// <param name="output">Where to write; null for <see cref="Console.Out"/>.</param>
    /// <param name="dynamic">Whether to redraw the line in place; null decides: only on a console whose output is not redirected.</param>
    public ConsoleProgressBar(TextWriter? output = null, bool? dynamic = null)
    {
        _output = output ?? Console.Out;
        Dynamic = dynamic ?? (output is null && !Console.IsOutputRedirected);
        _barCharacter = _output.Encoding is UTF8Encoding or UnicodeEncoding or UTF32Encoding ? '━' : '=';
    }

    /// <summary>Whether the line is redrawn in place during an epoch.</summary>
    public bool Dynamic { get; }

    /// <inheritdoc/>
    public override void OnEpochBegin(FitState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        _lastDrawn = 0;
        _firstBatchEnded = 0;
        _previousWidth = 0;
        if (Dynamic && state.Epochs > 1)
        {
            _output.Write(string.Create(CultureInfo.InvariantCulture, $"Epoch {state.Epoch}/{state.Epochs}\n"));
        }
    }

    /// <inheritdoc/>
    public override void OnBatchEnd(FitState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        long now = Stopwatch.GetTimestamp();
        if (state.Batch == 1)
        {
            _firstBatchEnded = now;
        }

        if (!Dynamic || now - _lastDrawn < s_interval || state.Batch == state.BatchesPerEpoch)
        {
            // The last batch's line is drawn at the epoch's end, with the validation figures.
            return;
        }

        _lastDrawn = now;
        Draw(state, final: false);
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(FitState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Draw(state, final: true);
    }

    private void Draw(FitState state, bool final)
    {
        StringBuilder line = _line.Clear();
        CultureInfo c = CultureInfo.InvariantCulture;
        double elapsed = state.EpochElapsed.TotalSeconds;
        int current = state.Batch;
        int target = state.BatchesPerEpoch;
        // Time per batch, the first batch left out when there are more (it carries the warm-up), as Keras estimates it.
        double perStep = current == 0 ? 0
            : current > 1 && _firstBatchEnded != 0 ? Stopwatch.GetElapsedTime(_firstBatchEnded).TotalSeconds / (current - 1)
            : elapsed / current;
        if (Dynamic)
        {
            line.Append('\r');
            line.Append(' ', Digits(target) - Digits(current)).Append(current).Append('/').Append(target).Append(' ');
            int done = (int)((long)BarWidth * current / target);
            line.Append("\u001b[32m").Append(_barCharacter, done).Append("\u001b[0m");
            line.Append("\u001b[37m").Append(_barCharacter, BarWidth - done).Append("\u001b[0m");
            line.Append(' ');
            if (final)
            {
                line.Append(c, $"{Math.Round(elapsed, MidpointRounding.ToEven):F0}s");
            }
            else
            {
                AppendEta(line, perStep * (target - current));
            }
        }
        else
        {
            line.Append(c, $"Epoch {state.Epoch}/{state.Epochs} - {current}/{target} - {Math.Round(elapsed, MidpointRounding.ToEven):F0}s -");
        }

        AppendPerStep(line, perStep);
        if (!double.IsNaN(state.Accuracy))
        {
            AppendFigure(line, "accuracy", state.Accuracy);
        }

        AppendFigure(line, "loss", state.Loss);
        if (final && state.HasValidation)
        {
            if (!double.IsNaN(state.ValidationAccuracy))
            {
                AppendFigure(line, "val_accuracy", state.ValidationAccuracy);
            }

            AppendFigure(line, "val_loss", state.ValidationLoss);
        }

        if (Dynamic)
        {
            // Blank out what is left of a longer previous line (the carriage return and the colours take no columns).
            int width = line.Length - 1 - ColourCharacters;
            if (width < _previousWidth)
            {
                line.Append(' ', _previousWidth - width);
            }

            _previousWidth = width;
        }

        if (final)
        {
            line.Append('\n');
        }

        _output.Write(line);
        _output.Flush();
    }

    private static int Digits(int value)
    {
        int digits = 1;
        for (; value >= 10; value /= 10)
        {
            digits++;
        }

        return digits;
    }

    private static void AppendEta(StringBuilder line, double seconds)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        long whole = (long)seconds;
        if (seconds > 3600)
        {
            line.Append(c, $"{whole / 3600}:{whole % 3600 / 60:00}:{whole % 60:00}");
        }
        else if (seconds > 60)
        {
            line.Append(c, $"{whole / 60}:{whole % 60:00}");
        }
        else
        {
            line.Append(c, $"{whole}s");
        }
    }

    private static void AppendPerStep(StringBuilder line, double seconds)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        if (seconds >= 1 || seconds == 0)
        {
            line.Append(c, $" {Math.Round(seconds, MidpointRounding.ToEven):F0}s/step");
        }
        else if (seconds >= 1e-3)
        {
            line.Append(c, $" {Math.Round(seconds * 1e3, MidpointRounding.ToEven):F0}ms/step");
        }
        else
        {
            line.Append(c, $" {Math.Round(seconds * 1e6, MidpointRounding.ToEven):F0}us/step");
        }
    }

    /// <summary>Appends <c> - name: value</c> as Keras prints it: <c>0.1234</c>, or <c>1.2340e-04</c> when |value| ≤ 0.001.</summary>
    internal static void AppendFigure(StringBuilder line, string name, double value)
    {
        line.Append(" - ").Append(name).Append(": ");
        AppendValue(line, value);
    }

    /// <summary>A figure as Keras's progress bar prints it: <c>0.1234</c>, or <c>1.2340e-04</c> when |value| ≤ 0.001; <c>nan</c>, <c>inf</c>.</summary>
    /// <param name="value">The figure.</param>
    /// <returns>Its text.</returns>
    public static string FormatFigure(double value)
    {
        var text = new StringBuilder(12);
        AppendValue(text, value);
        return text.ToString();
    }

    internal static void AppendValue(StringBuilder line, double value)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        if (double.IsNaN(value))
        {
            line.Append("nan");
        }
        else if (double.IsInfinity(value))
        {
            line.Append(value > 0 ? "inf" : "-inf");
        }
        else if (Math.Abs(value) > 1e-3)
        {
            line.Append(c, $"{value:F4}");
        }
        else
        {
            line.Append(c, $"{value:0.0000e+00}");
        }
    }
}
