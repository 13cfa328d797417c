using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;

namespace RnnCompiler.Benchmarks;

/// <summary>
/// How fast a model steps from the first call of a fresh process: the harness launches this program once per
/// measurement (<c>--warm-up-child</c>), with the runtime's default settings, alone or pinned to one core with
/// <c>taskset</c>, and each child times its model's first <c>Step</c> (compiling included), the next 1,000 calls, and the
/// steady speed after some seconds of stepping. BenchmarkDotNet cannot measure this: it warms the code up first.
/// </summary>
internal static class WarmUp
{
    private const int FirstCalls = 1_000;

    /// <summary>The streaming benchmark models, by name.</summary>
    private static readonly Dictionary<string, Func<IFeatureStreamingModel<float>>> s_models = new()
    {
        ["Lstm1x8x1"] = () => new Lstm1x8x1(),
        ["Lstm1x32x1"] = () => new Lstm1x32x1(),
        ["Gru1x32x1"] = () => new Gru1x32x1(),
        ["Lstm64x128x10"] = () => new Lstm64x128x10(),
        ["Gru64x128x10"] = () => new Gru64x128x10(),
    };

    /// <summary>Runs every model in fresh processes, alone and pinned, and prints the medians.</summary>
    public static int Run(string[] args)
    {
        int launches = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("The program's path is unknown.");
        Console.WriteLine($"Warm-up: {launches} fresh processes per row, default runtime settings; times per Step call.");
        Console.WriteLine($"{"model",-15} {"cores",-6} {"first call",12} {"calls 2-1,001",14} {"steady",10} {"first 1,000 / steady",21}");
        foreach (string name in s_models.Keys)
        {
            foreach (bool pinned in new[] { false, true })
            {
                var runs = new List<double[]>();
                for (int i = 0; i < launches; i++)
                {
                    runs.Add(Launch(self, name, pinned));
                }

                double Median(int column) => runs.Select(r => r[column]).OrderBy(v => v).ElementAt(runs.Count / 2);
                double first = Median(0), early = Median(1), steady = Median(2);
                Console.WriteLine($"{name,-15} {(pinned ? "one" : "all"),-6} {Format(first),12} {Format(early),14} {Format(steady),10} {early / steady,20:F2}×");
            }
        }

        return 0;
    }

    /// <summary>One measurement in a child process: first call, mean of the next 1,000, steady (ns).</summary>
    private static double[] Launch(string self, string model, bool pinned)
    {
        var start = new ProcessStartInfo(pinned ? "taskset" : self)
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (pinned)
        {
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add("0");
            start.ArgumentList.Add(self);
        }

        start.ArgumentList.Add("--warm-up-child");
        start.ArgumentList.Add(model);
        using Process child = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {self}.");
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode != 0)
        {
            throw new InvalidOperationException($"The child for {model} exited with {child.ExitCode}: {output}");
        }

        return output.Trim().Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>The child: times one model's calls from the first and prints three numbers in nanoseconds.</summary>
    public static int Child(string model)
    {
        IFeatureStreamingModel<float> instance = s_models[model]();
        float[] input = Setup.Uniform(instance.Info.InputWidth, seed: 7);
        float[] output = new float[instance.Info.OutputUnits];
        double toNs = 1e9 / Stopwatch.Frequency;

        long t0 = Stopwatch.GetTimestamp();
        instance.Step(input, output);
        double first = (Stopwatch.GetTimestamp() - t0) * toNs;

        long begin = Stopwatch.GetTimestamp();
        for (int i = 0; i < FirstCalls; i++)
        {
            instance.Step(input, output);
        }

        double early = (Stopwatch.GetTimestamp() - begin) * toNs / FirstCalls;

        // Steady: after three seconds of stepping (the runtime has long finished any recompiling), the fastest mean
        // of 20 rounds of 10,000 calls.
        long until = Stopwatch.GetTimestamp() + 3 * Stopwatch.Frequency;
        while (Stopwatch.GetTimestamp() < until)
        {
            for (int i = 0; i < 1_000; i++)
            {
                instance.Step(input, output);
            }
        }

        double steady = double.MaxValue;
        for (int round = 0; round < 20; round++)
        {
            long s = Stopwatch.GetTimestamp();
            for (int i = 0; i < 10_000; i++)
            {
                instance.Step(input, output);
            }

            steady = Math.Min(steady, (Stopwatch.GetTimestamp() - s) * toNs / 10_000);
        }

        Console.WriteLine(string.Join(' ', new[] { first, early, steady }.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
        return 0;
    }

    private static string Format(double ns) => ns >= 1e6 ? $"{ns / 1e6:F2} ms" : ns >= 1e3 ? $"{ns / 1e3:F2} µs" : $"{ns:F0} ns";
}
