using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using RnnCompiler.Tests.EndToEnd;

namespace RnnCompiler.Fuzz;

/// <summary>A reader under fuzz: its seed inputs and a call that returns null when the reader behaved as documented, else what went wrong.</summary>
internal sealed record FuzzTarget(string Name, IReadOnlyList<byte[]> Seeds, Func<byte[], string?> Run);

/// <summary>What one fuzzing run found and measured.</summary>
internal sealed record FuzzReport(string Name, long Inputs, double Seconds, int Edges, int Corpus, double SlowestMilliseconds, long MostAllocated, IReadOnlyList<string> Findings)
{
    public override string ToString() =>
        $"{Name}: {Inputs:N0} inputs in {Seconds:F0} s ({Inputs / Seconds:N0}/s), {Edges} edges, corpus {Corpus}, slowest call {SlowestMilliseconds:F2} ms, "
        + $"most allocated by one call {MostAllocated:N0} bytes, {Findings.Count} findings";
}

/// <summary>
/// The coverage-guided loop, AFL's design in one process: the instrumented readers count edge hits into a 64 KB map;
/// after each input the counts are bucketed (1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+) and an input that sets a bucket
/// bit never seen before joins the corpus, from which the next inputs are mutated. Every input is also held to the
/// readers' contract: the documented outcome only, no call over <see cref="MaxMilliseconds"/>, no allocation above
/// <see cref="ReaderBudget.AllocationBound"/>. The map lives as long as the process: instrumented code writes to it from the first
/// call on, so one fuzzer is made before any instrumented code runs.
/// </summary>
internal sealed unsafe class CoverageFuzzer
{
    public const int MapSize = 1 << 16;

    /// <summary>The longest one call may take.</summary>
    public const int MaxMilliseconds = 100;

    private readonly byte* _map;
    private readonly byte[] _seen = new byte[MapSize];
    private readonly byte[] _bucket = new byte[256];

    public CoverageFuzzer()
    {
        _map = (byte*)NativeMemory.AllocZeroed(MapSize);
        SharpFuzz.Common.Trace.SharedMem = _map;
        for (int count = 1; count < 256; count++)
        {
            _bucket[count] = (byte)(count switch { 1 => 1, 2 => 2, 3 => 4, <= 7 => 8, <= 15 => 16, <= 31 => 32, <= 127 => 64, _ => 128 });
        }
    }

    public FuzzReport Run(FuzzTarget target, TimeSpan duration, int seed)
    {
        Array.Clear(_seen);
        var random = new Random(seed);
        var mutator = new Mutator(random);
        var corpus = new List<byte[]>();
        var findings = new List<string>();
        long inputs = 0, slowest = 0, mostAllocated = 0;
        int edges = 0;

        // A hang cannot be stopped in-process: a watchdog reports the input and ends the run.
        byte[]? current = null;
        long currentStart = 0;
        using var done = new CancellationTokenSource();
        var watchdog = new Thread(() =>
        {
            while (!done.Token.WaitHandle.WaitOne(500))
            {
                byte[]? input = Volatile.Read(ref current);
                if (input is not null && Stopwatch.GetElapsedTime(Interlocked.Read(ref currentStart)).TotalSeconds > 10)
                {
                    Console.WriteLine($"{target.Name}: HANG over 10 s on input {Hex(input)}");
                    Environment.Exit(2);
                }
            }
        }) { IsBackground = true };
        watchdog.Start();

        bool RunOne(byte[] input)
        {
            NativeMemory.Clear(_map, MapSize);
            SharpFuzz.Common.Trace.PrevLocation = 0;
            Volatile.Write(ref current, input);
            Interlocked.Exchange(ref currentStart, Stopwatch.GetTimestamp());
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            long start = Stopwatch.GetTimestamp();
            string? problem;
            try
            {
                problem = target.Run(input);
            }
            catch (Exception exception)
            {
                problem = $"{exception.GetType().Name}: {exception.Message}";
            }

            long ticks = Stopwatch.GetTimestamp() - start;
            long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            Volatile.Write(ref current, null);
            inputs++;
            slowest = Math.Max(slowest, ticks);
            mostAllocated = Math.Max(mostAllocated, allocated);
            if (ticks * 1000 / Stopwatch.Frequency > MaxMilliseconds)
            {
                // Measured again before it counts: the first call of a path includes its JIT compilation.
                long again = Stopwatch.GetTimestamp();
                _ = target.Run(input);
                if ((Stopwatch.GetTimestamp() - again) * 1000 / Stopwatch.Frequency > MaxMilliseconds)
                {
                    problem ??= $"a call took {ticks * 1000 / Stopwatch.Frequency} ms";
                }
            }

            if (allocated > ReaderBudget.AllocationBound(input.Length))
            {
                problem ??= $"{allocated:N0} bytes allocated for a {input.Length}-byte input";
            }

            if (problem is not null && findings.Count < 20)
            {
                findings.Add($"{problem}; input {Hex(input)}");
            }

            return Classify(ref edges);
        }

        foreach (byte[] seedInput in target.Seeds)
        {
            RunOne(seedInput);
            corpus.Add(seedInput);
        }

        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration && findings.Count < 20)
        {
            byte[] parent = corpus[random.Next(corpus.Count)];
            for (int i = 0; i < 64; i++)
            {
                byte[] child = mutator.Mutate(parent, corpus);
                if (RunOne(child))
                {
                    corpus.Add(child);
                }
            }
        }

        done.Cancel();
        return new FuzzReport(target.Name, inputs, clock.Elapsed.TotalSeconds, edges, corpus.Count, slowest * 1e3 / Stopwatch.Frequency, mostAllocated, findings);
    }

    /// <summary>Folds the map into the bucket bits seen so far; true when the input set a new one.</summary>
    private bool Classify(ref int edges)
    {
        bool fresh = false;
        ulong* words = (ulong*)_map;
        for (int word = 0; word < MapSize / 8; word++)
        {
            if (words[word] == 0)
            {
                continue;
            }

            for (int i = word * 8; i < (word * 8) + 8; i++)
            {
                byte bucket = _bucket[_map[i]];
                if ((bucket & ~_seen[i]) != 0)
                {
                    edges += _seen[i] == 0 ? 1 : 0;
                    _seen[i] |= bucket;
                    fresh = true;
                }
            }
        }

        return fresh;
    }

    private static string Hex(byte[] input) => input.Length <= 2048 ? Convert.ToHexString(input) : Convert.ToHexString(input, 0, 2048) + "…";
}
