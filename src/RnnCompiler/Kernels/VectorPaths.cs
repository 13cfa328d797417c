using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace RnnCompiler.Kernels;

/// <summary>
/// Whether the kernels take their 512-bit path. Every dispatch asks <see cref="Use512"/> instead of
/// <see cref="Vector512.IsHardwareAccelerated"/>, so that one test build can run the 16-lane code on a machine without
/// AVX-512.
/// </summary>
/// <remarks>
/// In a normal build <see cref="Use512"/> is <see cref="Vector512.IsHardwareAccelerated"/>, a constant to the JIT and
/// to NativeAOT, so the dispatch folds exactly as before. The configuration <c>Emulate512</c> (constant
/// <c>RNN_EMULATE_VECTOR512</c>) makes it <see langword="true"/>: <see cref="Vector512{T}"/> operations then run in
/// software as two 256-bit halves, the narrower paths still take the tails, and the numeric tests exercise the
/// dispatch an AVX-512 machine takes (CI runs them this way; see <c>.ci/run</c>). That build is for tests only.
/// </remarks>
internal static class VectorPaths
{
    /// <summary>True when the kernels use <see cref="Vector512{T}"/> (hardware, or the Emulate512 test build).</summary>
    public static bool Use512
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
#if RNN_EMULATE_VECTOR512
        get => true;
#else
        get => Vector512.IsHardwareAccelerated;
#endif
    }
}
