using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using RnnCompiler.Tests.Models;
using RnnCompiler.Tests.Training;
using Xunit;
using Xunit.Abstractions;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>
/// Mutation fuzzing of the two readers a user hands files to, <c>LoadWeights</c> and <c>LoadCheckpoint</c>: a valid
/// file with bits flipped, cut at any length, bytes inserted, deleted or repeated in its header, or bytes appended.
/// Every input must either load or throw <see cref="InvalidDataException"/>; a refused one leaves the model as it was;
/// no call allocates more than a bound of its input's size or takes more than a second (a hang detector; the slowest
/// call is reported). The seed is fixed;
/// <c>RNN_FUZZ_CASES</c> sets the cases per reader (default 100,000; <c>docs/hardening.md</c> gives a run of 1,000,000).
/// </summary>
public class WeightFileFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20_261_206;

    /// <summary>The longest a call may take, in milliseconds.</summary>
    private const int MaxMilliseconds = 1_000;

    private static int Cases => int.TryParse(Environment.GetEnvironmentVariable("RNN_FUZZ_CASES"), out int cases) && cases > 0 ? cases : 100_000;


    [Fact]
    public void LoadWeights_refuses_every_mutated_file_cleanly() => Fuzz(
        "LoadWeights",
        () => new Lstm3(),
        model => { using var stream = new MemoryStream(); model.SaveWeights(stream); return stream.ToArray(); },
        (model, bytes) => model.LoadWeights(new MemoryStream(bytes)),
        model => model.Parameters.ToArray());

    [Fact]
    public void LoadCheckpoint_refuses_every_mutated_file_cleanly() => Fuzz(
        "LoadCheckpoint",
        () => new TokenClassifier(),
        model => { using var stream = new MemoryStream(); model.SaveCheckpoint(stream); return stream.ToArray(); },
        (model, bytes) => model.LoadCheckpoint(new MemoryStream(bytes)),
        model => model.Parameters.ToArray());

    private void Fuzz<TModel>(string reader, Func<TModel> create, Func<TModel, byte[]> save, Action<TModel, byte[]> load, Func<TModel, float[]> state)
    {
        byte[] original = save(create());
        int headerEnd = 8 + (int)BitConverter.ToUInt64(original, 0);
        var failures = new ConcurrentQueue<string>();
        long loaded = 0, refused = 0, slowest = 0, mostAllocated = 0;
        int workers = Math.Max(1, Environment.ProcessorCount);
        var stopwatch = Stopwatch.StartNew();
        Parallel.For(0, workers, worker =>
        {
            TModel model = create();
            float[] initial = state(model);
            for (int index = worker; index < Cases && failures.Count < 20; index += workers)
            {
                byte[] mutated = Mutate(new Random(Seed + index), original, headerEnd);
                float[] before = state(model);
                long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                long start = Stopwatch.GetTimestamp();
                try
                {
                    load(model, mutated);
                    Interlocked.Increment(ref loaded);
                    model = create(); // a file that loads may change the weights; start the next case afresh
                }
                catch (InvalidDataException)
                {
                    Interlocked.Increment(ref refused);
                    if (!state(model).AsSpan().SequenceEqual(before))
                    {
                        failures.Enqueue($"case {index}: a refused file changed the weights; file {Convert.ToHexString(mutated)}");
                    }
                }
                catch (Exception exception)
                {
                    failures.Enqueue($"case {index}: {exception.GetType().Name}: {exception.Message}; file {Convert.ToHexString(mutated)}");
                }

                long ticks = Stopwatch.GetTimestamp() - start;
                long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
                ReaderBudget.InterlockedMax(ref slowest, ticks);
                ReaderBudget.InterlockedMax(ref mostAllocated, allocated);
                if (allocated > ReaderBudget.AllocationBound(mutated.Length))
                {
                    failures.Enqueue($"case {index}: {allocated:N0} bytes allocated for a {mutated.Length}-byte file; file {Convert.ToHexString(mutated)}");
                }

                // A hang or a quadratic path, not noise: the suite runs other tests beside this one on the same cores, so a
                // call can wait for a core; the slowest call is reported, and docs/hardening.md gives a run of its own.
                if (ticks * 1000 / Stopwatch.Frequency > MaxMilliseconds)
                {
                    failures.Enqueue($"case {index}: {ticks * 1000 / Stopwatch.Frequency} ms; file {Convert.ToHexString(mutated)}");
                }
            }

            _ = initial;
        });

        output.WriteLine($"{reader}: {Cases:N0} mutations of a {original.Length:N0}-byte file in {stopwatch.Elapsed.TotalSeconds:F1} s: {loaded:N0} loaded, {refused:N0} refused with InvalidDataException; "
            + $"slowest call {slowest * 1e3 / Stopwatch.Frequency:F2} ms, most allocated by one call {mostAllocated:N0} bytes.");
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(5)));
        Assert.True(refused > Cases / 2, $"only {refused:N0} of {Cases:N0} mutations were refused: the fuzzer should mostly break the file");
    }

    /// <summary>One mutation of <paramref name="file"/>, chosen by <paramref name="random"/>.</summary>
    private static byte[] Mutate(Random random, byte[] file, int headerEnd)
    {
        byte[] bytes = (byte[])file.Clone();
        switch (random.Next(7))
        {
            case 0: // flip a few bits anywhere
                for (int flips = random.Next(1, 9); flips > 0; flips--)
                {
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                }

                return bytes;
            case 1: // cut at any length
                return bytes[..random.Next(bytes.Length)];
            case 2: // a byte of the header replaced with a JSON-significant one or a digit
                bytes[random.Next(8, headerEnd)] = (byte)"{}[],:\"0123456789-eE.nt \\\u00ff"[random.Next(26)];
                return bytes;
            case 3: // a run of the header deleted
            {
                int at = random.Next(8, headerEnd);
                int length = random.Next(1, Math.Min(16, headerEnd - at) + 1);
                return bytes[..at].Concat(bytes[(at + length)..]).ToArray();
            }

            case 4: // a run of the header repeated
            {
                int at = random.Next(8, headerEnd);
                int length = random.Next(1, Math.Min(64, headerEnd - at) + 1);
                return bytes[..(at + length)].Concat(bytes[at..]).ToArray();
            }

            case 5: // the length prefix changed
                BitConverter.GetBytes((ulong)random.NextInt64(0, 1L << 40) >> random.Next(40)).CopyTo(bytes, 0);
                return bytes;
            default: // bytes appended
                return bytes.Concat(Enumerable.Range(0, random.Next(1, 32)).Select(_ => (byte)random.Next(256))).ToArray();
        }
    }
}
