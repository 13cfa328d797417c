using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.CompilerServices;
using AnomalyDetection;
using RnnCompiler;

// Trains the per-step anomaly model that samples/AnomalyDetector runs on a device, on the synthetic sensor both
// programs share (SensorSignal.cs), and writes its weights next to the detector (anomaly.safetensors).
//
// The detector streams: it calls Step once per reading, carrying the GRU's state from the start of the stream. So the
// model is trained the same way, statefully (truncated BPTT): each of the 32 batch rows is one long sensor stream, cut
// into consecutive windows of 64 steps, and each window starts from the state the previous one ended in.
var clock = Stopwatch.StartNew();
string output = args.Length > 0 ? args[0] : DefaultOutput();
Console.WriteLine(AnomalyNet.Summary);

const int Rows = AnomalyNet.BatchSize;
const int Window = AnomalyNet.SequenceLength;
const int WindowsPerStream = 16;            // each row's stream is 16 × 64 = 1,024 readings, then the state is reset
const int Rounds = 200;                     // 200 rounds × 16 windows = 3,200 updates
const int ValidationSeed = 20_000, TestSeed = 30_000, TrainSeed = 10_000;
const int HeldOutStreams = 8, HeldOutLength = 2_048;

Console.WriteLine($"Signal: sine of period {SensorSignal.Period} steps, noise σ {SensorSignal.Noise}; spikes, level shifts and dropouts (sensor reads 0) injected, labelled per step.");
Console.WriteLine($"Training: {Rounds} rounds of {Rows} new streams × {WindowsPerStream} windows of {Window} steps, stateful (truncated BPTT), Adam.");
Console.WriteLine($"Validation and test: {HeldOutStreams} streams of {HeldOutLength} readings each (seeds never trained on), run through Step from a zero state, threshold 0.5.");
Console.WriteLine();

var model = new AnomalyNet();
var inputs = new float[Rows * Window];
var targets = new float[Rows * Window];
var signals = new SensorSignal[Rows];
float[] best = model.Parameters.ToArray();
double bestF1 = -1;
int bestRound = 0;
for (int round = 1; round <= Rounds; round++)
{
    for (int row = 0; row < Rows; row++)
    {
        signals[row] = new SensorSignal(TrainSeed + (round - 1) * Rows + row);
    }

    model.ResetState();
    double loss = 0, accuracy = 0;
    for (int window = 0; window < WindowsPerStream; window++)
    {
        for (int row = 0; row < Rows; row++)
        {
            for (int t = 0; t < Window; t++)
            {
                inputs[row * Window + t] = signals[row].Next(out AnomalyKind kind);
                targets[row * Window + t] = kind == AnomalyKind.None ? 0f : 1f;
            }
        }

        loss += model.TrainBatch(inputs, targets, Rows);
        accuracy += model.LastAccuracy;
    }

    if (round % 10 == 0 || round == 1)
    {
        Metrics validation = Metrics.Stream(model, ValidationSeed, HeldOutStreams, HeldOutLength);
        if (validation.F1 > bestF1)
        {
            bestF1 = validation.F1;
            bestRound = round;
            model.Parameters.CopyTo(best);
        }

        Console.WriteLine($"  round {round,2}: loss {loss / WindowsPerStream:F4}  accuracy {accuracy / WindowsPerStream:P2}  | validation {validation.Short()}  ({clock.Elapsed.TotalSeconds:F0} s)");
    }
}

best.CopyTo(model.Parameters);
Console.WriteLine($"Best validation F1 at round {bestRound}; {model.UpdateCount} updates, {model.SkippedUpdates} skipped as non-finite.");
Console.WriteLine();

Metrics test = Metrics.Stream(model, TestSeed, HeldOutStreams, HeldOutLength);
Console.WriteLine($"Held-out test ({HeldOutStreams} × {HeldOutLength:N0} readings, seeds {TestSeed} to {TestSeed + HeldOutStreams - 1}):");
Console.WriteLine(test.Long());
Console.WriteLine();

Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
using (FileStream stream = File.Create(output))
{
    model.SaveWeights(stream);
}

Console.WriteLine($"Weights: {Path.GetFullPath(output)} ({new FileInfo(output).Length:N0} bytes, {AnomalyNet.ParameterCount:N0} parameters).");
Console.WriteLine($"Done in {clock.Elapsed.TotalSeconds:F1} s.");

// samples/AnomalyDetector/anomaly.safetensors, found from this source file's place in the repository.
static string DefaultOutput([CallerFilePath] string source = "") =>
    Path.Combine(Path.GetDirectoryName(source)!, "..", "AnomalyDetector", "anomaly.safetensors");

/// <summary>
/// Per-step anomaly probability of a sensor reading. The same layers, without [Train], are the detector's model
/// (samples/AnomalyDetector/Program.cs): the weight file's tensors (gru/kernel, gru/recurrent_kernel, gru/bias,
/// dense/kernel, dense/bias) fit both.
/// </summary>
[RnnModel(SequenceLength = 64)]
[Train(Loss = Loss.BinaryCrossentropy, Optimizer = Optimizer.Adam, LearningRate = 1e-2, BatchSize = 32, ClipNorm = 1, Stateful = true)]
[Input(1)]
[Gru(16, ReturnSequences = true)]
[Dense(1, Activation = Activation.Sigmoid)]
public partial class AnomalyNet;

/// <summary>Per-step and per-event detection figures of a model streamed over held-out sensor streams.</summary>
internal readonly record struct Metrics(long TruePositives, long FalsePositives, long FalseNegatives, long TrueNegatives,
    int Events, int EventsDetected, int FalseAlarms, long Steps)
{
    public double Accuracy => (double)(TruePositives + TrueNegatives) / Steps;
    public double Precision => TruePositives / (double)Math.Max(1, TruePositives + FalsePositives);
    public double Recall => TruePositives / (double)Math.Max(1, TruePositives + FalseNegatives);
    public double F1 => 2 * Precision * Recall / Math.Max(1e-12, Precision + Recall);

    public string Short() =>
        $"accuracy {Accuracy:P2} precision {Precision:P1} recall {Recall:P1} F1 {F1:F3}; events {EventsDetected}/{Events}, false alarms {FalseAlarms}";

    public string Long() =>
        $"  per step:  accuracy {Accuracy:P2}, precision {Precision:P1}, recall {Recall:P1}, F1 {F1:F3} "
        + $"(TP {TruePositives}, FP {FalsePositives}, FN {FalseNegatives}, TN {TrueNegatives}; {TruePositives + FalseNegatives} anomalous steps of {Steps:N0})\n"
        + $"  per event: {EventsDetected} of {Events} anomalies flagged at some step ({(double)EventsDetected / Math.Max(1, Events):P1}); "
        + $"{FalseAlarms} false alarms (runs of flagged steps touching no anomaly)";

    /// <summary>Streams <paramref name="streams"/> signals through Step, as the detector does, and counts.</summary>
    public static Metrics Stream(AnomalyNet model, int seed, int streams, int length)
    {
        long tp = 0, fp = 0, fn = 0, tn = 0;
        int events = 0, detected = 0, falseAlarms = 0;
        Span<float> input = stackalloc float[1];
        Span<float> probability = stackalloc float[1];
        for (int s = 0; s < streams; s++)
        {
            var signal = new SensorSignal(seed + s);
            model.ResetState();
            AnomalyKind previousKind = AnomalyKind.None;
            bool eventFlagged = false, previousFlag = false, runTouchesAnomaly = false;
            for (int t = 0; t < length; t++)
            {
                input[0] = signal.Next(out AnomalyKind kind);
                model.Step(input, probability);
                bool flag = probability[0] >= 0.5f;
                bool truth = kind != AnomalyKind.None;
                if (truth && flag) tp++;
                else if (flag) fp++;
                else if (truth) fn++;
                else tn++;

                if (truth && previousKind == AnomalyKind.None)
                {
                    events++;
                    eventFlagged = false;
                }

                if (truth && flag && !eventFlagged)
                {
                    eventFlagged = true;
                    detected++;
                }

                if (flag && !previousFlag)
                {
                    runTouchesAnomaly = false;
                }

                runTouchesAnomaly |= flag && truth;
                if (!flag && previousFlag && !runTouchesAnomaly)
                {
                    falseAlarms++;
                }

                previousKind = kind;
                previousFlag = flag;
            }

            if (previousFlag && !runTouchesAnomaly)
            {
                falseAlarms++;
            }
        }

        return new Metrics(tp, fp, fn, tn, events, detected, falseAlarms, (long)streams * length);
    }
}
