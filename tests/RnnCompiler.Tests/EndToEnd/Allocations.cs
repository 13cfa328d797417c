using System;
using System.Diagnostics;
using System.Threading;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>Measures what a piece of code allocates on the calling thread once it is warm.</summary>
internal static class Allocations
{
    /// <summary>
    /// Bytes the current thread allocates over <paramref name="times"/> calls of <paramref name="run"/>, once warm.
    /// </summary>
    /// <remarks>
    /// The runtime's tiering recompiles a method after 30 calls, in the background after a 100 ms delay that restarts
    /// while new code keeps running, and a loop may switch to its optimized code mid-run (on-stack replacement); the
    /// thread that first runs the new code can allocate the runtime's own objects there (CI runs counted 5,544 and
    /// 6,248 bytes after one or two warm-up calls, never in isolation). So the code runs for half a second, the
    /// background compiles get time to land, and the measurement is taken up to three times: an allocation of the
    /// code's own happens in every measurement, so the smallest of them is the code's.
    /// </remarks>
    public static long OnceWarm(Action run, int times = 10)
    {
        var warmUp = Stopwatch.StartNew();
        for (int calls = 0; calls < 40 || warmUp.ElapsedMilliseconds < 500; calls++)
        {
            run();
        }

        long least = long.MaxValue;
        for (int attempt = 0; attempt < 3 && least != 0; attempt++)
        {
            Thread.Sleep(200);
            run();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < times; i++)
            {
                run();
            }

            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return least;
    }
}
