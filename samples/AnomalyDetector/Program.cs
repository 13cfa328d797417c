using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using AnomalyDetection;
using RnnCompiler;

// The device program: reads a sensor one sample at a time (here a synthetic one, SensorSignal.cs, with a fixed seed),
// runs each reading through the model's streaming Step and prints a verdict per reading, then a summary. Published
// with NativeAOT (see README.md). Nothing is allocated in the streaming loop: the summary prints the GC's counts.
//
//   AnomalyDetector [--readings N] [--seed S] [--events-only]
//   ANOMALY_LAUNCHED_AT_NS=$(date +%s%N) AnomalyDetector      also prints the time from launch to the first prediction
long mainStarted = Stopwatch.GetTimestamp();
int readings = 2_000;
int seed = 7;
bool eventsOnly = false;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--readings": readings = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--seed": seed = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--events-only": eventsOnly = true; break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

var model = new AnomalyNet();
Console.WriteLine(AnomalyNet.Summary);   // layers, parameters and, on its last line, the model's memory in bytes
// The weights are compiled in ([RnnModel(Weights = "anomaly.safetensors")]): the model starts with them, no file read.

var signal = new SensorSignal(seed);
var output = new Lines(Console.OpenStandardOutput());
output.WarmUp();   // the runtime fills its number-formatting tables on first use: not in the measured loop
output.Append("AnomalyDetector: "u8).Append(readings).Append(" readings, seed "u8).Append(seed)
    .Append(", model gru(16) -> dense(1, sigmoid), "u8).Append(AnomalyNet.ParameterCount).Append(" parameters, flagged at p >= 0.5\n"u8)
    .Flush();      // also the first write to standard output, which sets the stream up (a few KB, once)
Span<float> reading = stackalloc float[AnomalyNet.InputFeatures];
Span<float> probability = stackalloc float[AnomalyNet.OutputUnits];
long truePositives = 0, falsePositives = 0, falseNegatives = 0, trueNegatives = 0;
int events = 0, eventsFlagged = 0, falseAlarms = 0, flaggedRuns = 0;
bool previousFlag = false, previousTruth = false, eventFlagged = false, runTouchesAnomaly = false;
long firstPrediction = 0, allocatedAfterFirst = 0, threadAllocatedAfterFirst = 0;

int[] collectionsBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
long threadAllocatedBefore = GC.GetAllocatedBytesForCurrentThread();
long loopStarted = Stopwatch.GetTimestamp();

// The streaming loop.
for (int step = 0; step < readings; step++)
{
    reading[0] = signal.Next(out AnomalyKind truth);
    model.Step(reading, probability);
    if (step == 0)
    {
        firstPrediction = Stopwatch.GetTimestamp();
    }

    bool flag = probability[0] >= 0.5f;
    bool anomalous = truth != AnomalyKind.None;
    if (anomalous && flag) truePositives++;
    else if (flag) falsePositives++;
    else if (anomalous) falseNegatives++;
    else trueNegatives++;

    if (anomalous && !previousTruth)
    {
        events++;
        eventFlagged = false;
    }

    if (anomalous && flag && !eventFlagged)
    {
        eventFlagged = true;
        eventsFlagged++;
    }

    if (flag && !previousFlag)
    {
        flaggedRuns++;
        runTouchesAnomaly = false;
        output.Append("event "u8).Append(flaggedRuns).Append(": anomaly flagged from step "u8).Append(step)
            .Append(" (p "u8).Append(probability[0]).Append(", truth "u8).Append(Name(truth)).Append(")\n"u8);
    }

    runTouchesAnomaly |= flag && anomalous;
    if (!flag && previousFlag)
    {
        falseAlarms += runTouchesAnomaly ? 0 : 1;
        output.Append("event "u8).Append(flaggedRuns).Append(": ends before step "u8).Append(step)
            .Append(runTouchesAnomaly ? " (a real anomaly)\n"u8 : " (FALSE ALARM)\n"u8);
    }

    if (!eventsOnly)
    {
        output.Append("step "u8).Append(step).Append(" x "u8).Append(reading[0]).Append(" p "u8).Append(probability[0])
            .Append(flag ? " ANOMALY truth "u8 : " normal truth "u8).Append(Name(truth)).Append("\n"u8);
    }

    output.Flush();   // a verdict is out as soon as its reading is in (one write(2) per reading)
    previousFlag = flag;
    previousTruth = anomalous;
    if (step == 0)
    {
        // The first reading pays for one-time runtime work (under the JIT: compiling and loading the kernels' generic
        // types, a few KB); the rest of the loop is measured on its own.
        allocatedAfterFirst = GC.GetTotalAllocatedBytes(precise: true);
        threadAllocatedAfterFirst = GC.GetAllocatedBytesForCurrentThread();
    }
}

long loopEnded = Stopwatch.GetTimestamp();
long allocatedEnd = GC.GetTotalAllocatedBytes(precise: true), threadAllocatedEnd = GC.GetAllocatedBytesForCurrentThread();
long allocatedFirst = allocatedAfterFirst - allocatedBefore, threadAllocatedFirst = threadAllocatedAfterFirst - threadAllocatedBefore;
long allocated = allocatedEnd - allocatedAfterFirst, threadAllocated = threadAllocatedEnd - threadAllocatedAfterFirst;
int[] collections = [GC.CollectionCount(0) - collectionsBefore[0], GC.CollectionCount(1) - collectionsBefore[1], GC.CollectionCount(2) - collectionsBefore[2]];
output.Flush();
if (previousFlag && !runTouchesAnomaly)
{
    falseAlarms++;
}

double precision = truePositives / (double)Math.Max(1, truePositives + falsePositives);
double recall = truePositives / (double)Math.Max(1, truePositives + falseNegatives);
Console.WriteLine(FormattableString.Invariant(
    $"summary: {readings} readings (seed {seed}), {events} anomalies injected, {eventsFlagged} flagged; {falseAlarms} false alarms; per step TP {truePositives} FP {falsePositives} FN {falseNegatives} TN {trueNegatives}, precision {precision:F4}, recall {recall:F4}"));
Console.WriteLine(FormattableString.Invariant(
    $"streaming loop: GC collections gen0 {collections[0]} gen1 {collections[1]} gen2 {collections[2]}; allocated after the first reading {allocated} bytes (this thread {threadAllocated})"));
// Under the JIT the first reading allocates a few KB (one-time type loading), so this line is marked as timing-like.
Console.WriteLine(FormattableString.Invariant(
    $"timing: first reading allocated {allocatedFirst} bytes (this thread {threadAllocatedFirst}): one-time runtime initialization"));

// Timing lines (they differ from run to run; compare-outputs.sh ignores lines starting with "timing:").
double ms = 1000.0 / Stopwatch.Frequency;
Console.WriteLine(FormattableString.Invariant(
    $"timing: Main to first prediction {(firstPrediction - mainStarted) * ms:F3} ms; loop {(loopEnded - loopStarted) * ms:F3} ms for {readings} readings (with output)"));
if (Environment.GetEnvironmentVariable("ANOMALY_LAUNCHED_AT_NS") is { } launched
    && long.TryParse(launched, NumberStyles.None, CultureInfo.InvariantCulture, out long launchedNs))
{
    // Wall clock: the launcher's `date +%s%N` (taken just before exec) to the first prediction. Stopwatch and
    // DateTime.UtcNow are read together here, so the first prediction's wall time is now minus the time since.
    long nowNs = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
    double sinceFirst = (Stopwatch.GetTimestamp() - firstPrediction) * ms;
    Console.WriteLine(FormattableString.Invariant(
        $"timing: launch to first prediction {(nowNs - launchedNs) / 1e6 - sinceFirst:F3} ms (ANOMALY_LAUNCHED_AT_NS)"));
}

Console.WriteLine(FormattableString.Invariant(
    $"timing: vector paths Vector512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}, Vector256 {System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated}, Vector128 {System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated}; {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}, {(System.Runtime.JitInfo.GetCompiledMethodCount() > 0 ? "JIT" : "NativeAOT")}"));
return allocated == 0 && collections[0] + collections[1] + collections[2] == 0 ? 0 : 1;

static ReadOnlySpan<byte> Name(AnomalyKind kind) => kind switch
{
    AnomalyKind.Spike => "spike"u8,
    AnomalyKind.LevelShift => "level-shift"u8,
    AnomalyKind.Dropout => "dropout"u8,
    _ => "none"u8,
};

/// <summary>
/// Per-step anomaly probability of a sensor reading: the model samples/AnomalyTrainer trains, declared here without
/// [Train], so no training code or buffers are generated; its weights are compiled in from anomaly.safetensors. The weight file's tensor names (gru/kernel,
/// gru/recurrent_kernel, gru/bias, dense/kernel, dense/bias) come from the layers, so they fit both declarations.
/// </summary>
[RnnModel(SequenceLength = 64, Weights = "anomaly.safetensors")]
[Input(1)]
[Gru(16, ReturnSequences = true)]
[Dense(1, Activation = Activation.Sigmoid)]
public partial class AnomalyNet;

/// <summary>
/// Text output without allocating: ASCII into one reused buffer, written to standard output on Flush (or when full).
/// Floats are printed with "R" (the shortest text that reads back as the same float), so outputs can be compared.
/// </summary>
internal sealed class Lines(Stream stream)
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _used;

    public Lines Append(ReadOnlySpan<byte> text)
    {
        Reserve(text.Length);
        text.CopyTo(_buffer.AsSpan(_used));
        _used += text.Length;
        return this;
    }

    public Lines Append(long value)
    {
        Reserve(24);
        value.TryFormat(_buffer.AsSpan(_used), out int written, default, CultureInfo.InvariantCulture);
        _used += written;
        return this;
    }

    public Lines Append(float value)
    {
        Reserve(32);
        value.TryFormat(_buffer.AsSpan(_used), out int written, "R", CultureInfo.InvariantCulture);
        _used += written;
        return this;
    }

    /// <summary>
    /// Formats a few numbers through every Append and drops the text, so that the runtime's lazily built formatting
    /// tables (and, under the JIT, these methods' code) exist before the measured loop.
    /// </summary>
    public void WarmUp()
    {
        foreach (float value in (ReadOnlySpan<float>)[0.5f, -1.2345678e-5f, 3.4e38f, 1e-45f])
        {
            Append("step "u8).Append(12345L).Append(value);
        }

        _used = 0;
    }

    public void Flush()
    {
        stream.Write(_buffer, 0, _used);
        stream.Flush();
        _used = 0;
    }

    private void Reserve(int length)
    {
        if (_used + length > _buffer.Length)
        {
            Flush();
        }
    }
}
