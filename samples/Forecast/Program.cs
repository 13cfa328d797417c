using System;
using System.Diagnostics;
using RnnCompiler;
using RnnCompiler.Training;

// Forecasting an hourly series from its raw values, as a Keras user would: a Normalization layer adapted on the
// training data takes the raw values, Dropout regularizes, and the model is measured against the two forecasts every
// forecaster must beat: the last value (naive) and the value a day before (seasonal naive).
var clock = Stopwatch.StartNew();

// 1. The series: an hourly load with a trend, a daily and a weekly cycle and noise (made here, seed 7). The first 80%
//    of the hours train, the last 20% validate; the model never sees a validation hour while training.
const int Hours = 24 * 7 * 40;             // 40 weeks
double[] series = HourlyLoad.Make(Hours, seed: 7);
int split = Hours * 8 / 10;
Console.WriteLine(Forecaster.Summary);
Console.WriteLine($"Series: {Hours:N0} hours, level {series[0]:F1} at the start and {series[^1]:F1} at the end; training on the first {split:N0}, validating on the last {Hours - split:N0}.");

// 2. Windows: the last 48 hours (load, and the hour of day as a point on the circle) predict the change to the next
//    hour. Predicting the change rather than the level lets the model follow the trend past the levels it trained on.
(float[] trainInputs, float[] trainTargets, int trainCount) = Windows.Make(series, 0, split);
(float[] validInputs, float[] validTargets, int validCount) = Windows.Make(series, split - Forecaster.SequenceLength, Hours);

var model = new Forecaster();
model.Adapt(trainInputs, trainCount);      // Keras's adapt: each feature's mean and variance over the training windows
Console.WriteLine($"Adapted: the load's mean {model.Parameters[0]:F2} and variance {model.Parameters[3]:F2} over the training windows.");
Console.WriteLine();

// 3. Training, shuffled, with early stopping on a validation set cut from the end of the training windows.
FitResult fit = ModelTrainer.Fit(model, trainInputs, trainTargets, trainCount, Forecaster.SequenceLength,
    new FitOptions(Epochs: 20, Seed: 1, ValidationSplit: 0.1, Patience: 3) { ProgressBar = true });
Console.WriteLine(fit);

// 4. One hour ahead on the validation hours: the model against the naive and seasonal-naive forecasts.
var prediction = new float[1];
double modelError = 0, naiveError = 0, seasonalError = 0;
for (int w = 0; w < validCount; w++)
{
    int target = split + w;                // the hour forecast
    model.Predict(validInputs.AsSpan(w * Forecaster.SequenceLength * 3, Forecaster.SequenceLength * 3), prediction);
    double actual = series[target];
    double last = series[target - 1];
    modelError += Square(last + prediction[0] - actual);
    naiveError += Square(last - actual);
    seasonalError += Square(series[target - 24] - actual);
}

Console.WriteLine($"One hour ahead over {validCount:N0} validation hours, mean squared error:");
Console.WriteLine($"  RnnCompiler LSTM      {modelError / validCount,8:F3}");
Console.WriteLine($"  naive (last value)    {naiveError / validCount,8:F3}");
Console.WriteLine($"  seasonal naive (24 h) {seasonalError / validCount,8:F3}");
Console.WriteLine();

// 5. A day ahead: each forecast hour is fed back as the newest input, 24 times, from every 24th validation hour on.
double dayModel = 0, dayNaive = 0, daySeasonal = 0;
int days = 0;
var window = new float[Forecaster.SequenceLength * 3];
var history = new double[Forecaster.SequenceLength + 24];
for (int start = split; start + 24 <= Hours; start += 24)
{
    Array.Copy(series, start - Forecaster.SequenceLength, history, 0, Forecaster.SequenceLength);
    for (int h = 0; h < 24; h++)
    {
        int at = Forecaster.SequenceLength + h;                 // history[at] forecasts series[start + h]
        Windows.Fill(history.AsSpan(at - Forecaster.SequenceLength, Forecaster.SequenceLength), start + h - Forecaster.SequenceLength, window);
        model.Predict(window, prediction);
        history[at] = history[at - 1] + prediction[0];
        dayModel += Square(history[at] - series[start + h]);
        dayNaive += Square(series[start - 1] - series[start + h]);
        daySeasonal += Square(series[start + h - 24] - series[start + h]);
    }

    days++;
}

Console.WriteLine($"A day ahead (24 hours, recursive) from {days} validation days, mean squared error over the 24 hours:");
Console.WriteLine($"  RnnCompiler LSTM      {dayModel / (days * 24),8:F3}");
Console.WriteLine($"  naive (last value)    {dayNaive / (days * 24),8:F3}");
Console.WriteLine($"  seasonal naive (24 h) {daySeasonal / (days * 24),8:F3}");
Console.WriteLine();
bool beats = modelError < naiveError && modelError < seasonalError && dayModel < dayNaive && dayModel < daySeasonal;
Console.WriteLine(beats ? "The model beats both baselines one hour and one day ahead." : "The model does NOT beat both baselines.");
Console.WriteLine($"Done in {clock.Elapsed.TotalSeconds:F1} s.");
return beats ? 0 : 1;

static double Square(double x) => x * x;

/// <summary>
/// The next hour's change in load from the last 48 hours of raw load and hour of day. Normalization takes the raw
/// values (its mean and variance come from Adapt), the LSTM drops a tenth of its inputs while training and a Dropout
/// layer a fifth of its state, and the Dense layer gives the change.
/// </summary>
[RnnModel(SequenceLength = 48)]
[Train(Loss = Loss.MeanSquaredError, Optimizer = Optimizer.Adam, LearningRate = 3e-3, BatchSize = 32, ClipNorm = 1)]
[Input(3)]
[Normalization]
[Lstm(32, Dropout = 0.1)]
[Dropout(0.2)]
[Dense(1)]
public partial class Forecaster;

/// <summary>An hourly load: trend, daily and weekly cycles, noise.</summary>
internal static class HourlyLoad
{
    public static double[] Make(int hours, int seed)
    {
        var random = new Random(seed);
        var series = new double[hours];
        double noise = 0;
        for (int t = 0; t < hours; t++)
        {
            // Noise that lingers (an AR(1) process), as weather does.
            noise = (0.7 * noise) + (random.NextDouble() - 0.5);
            double day = Math.Sin(2 * Math.PI * (t % 24) / 24) + (0.5 * Math.Sin(4 * Math.PI * (t % 24) / 24));
            double week = (t / 24) % 7 >= 5 ? -3 : 0;          // weekends are lower
            series[t] = 40 + (0.004 * t) + (6 * day) + week + noise;
        }

        return series;
    }
}

/// <summary>Windows of 48 hours: [load, sin(hour), cos(hour)] per hour, and the change to the next hour.</summary>
internal static class Windows
{
    public static (float[] Inputs, float[] Targets, int Count) Make(double[] series, int from, int to)
    {
        int steps = Forecaster.SequenceLength;
        int count = to - from - steps;
        var inputs = new float[count * steps * 3];
        var targets = new float[count];
        for (int w = 0; w < count; w++)
        {
            int first = from + w;
            Fill(series.AsSpan(first, steps), first, inputs.AsSpan(w * steps * 3, steps * 3));
            targets[w] = (float)(series[first + steps] - series[first + steps - 1]);
        }

        return (inputs, targets, count);
    }

    /// <summary>One window's features from its hours' loads; <paramref name="firstHour"/> is the hour of its first step.</summary>
    public static void Fill(ReadOnlySpan<double> loads, int firstHour, Span<float> window)
    {
        for (int t = 0; t < loads.Length; t++)
        {
            double angle = 2 * Math.PI * ((firstHour + t) % 24) / 24;
            window[t * 3] = (float)loads[t];
            window[(t * 3) + 1] = (float)Math.Sin(angle);
            window[(t * 3) + 2] = (float)Math.Cos(angle);
        }
    }
}
