using System.Threading;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>
/// What a reader may spend on one input, as docs/hardening.md states it, in one place: the mutation fuzz tests here
/// and in RnnCompiler.Analyzers.Tests, and the coverage-guided fuzzer (tests/RnnCompiler.Fuzz), link this file.
/// </summary>
internal static class ReaderBudget
{
    /// <summary>What one call may allocate: 64 bytes per input byte (names, entries, decoded doubles) and 1 MB.</summary>
    public static long AllocationBound(int inputLength) => (64L * inputLength) + (1024 * 1024);

    /// <summary>Raises <paramref name="target"/> to <paramref name="value"/> when it is larger, from any thread.</summary>
    public static void InterlockedMax(ref long target, long value)
    {
        long current;
        while (value > (current = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
