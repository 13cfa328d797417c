// The one implementation of float → bfloat16 rounding. It is compiled into the runtime (BFloat16.Round, which
// packs weights at run time) and, as a linked file, into the generator (compile-time weights emitted as bfloat16
// constants), so both give the same bits; it depends on nothing but integers.
#if RNNCOMPILER_GENERATOR
namespace RnnCompiler.Generators.WeightFiles;
#else
namespace RnnCompiler.Weights.Shared;
#endif

/// <summary>Rounding of IEEE single bit patterns to bfloat16 (their upper 16 bits), to nearest, ties to even.</summary>
internal static class BFloat16Rounding
{
    /// <summary>
    /// The bfloat16 nearest to the float with bits <paramref name="bits"/>, ties to even. ±∞ and ±0 are kept,
    /// subnormals round like every other value, a finite value past the largest bfloat16 becomes ∞, and NaN stays NaN:
    /// quiet, with the sign and the upper payload bits (a payload only in the dropped bits would otherwise read as ∞).
    /// </summary>
    public static ushort Round(uint bits)
    {
        if ((bits & 0x7FFF_FFFFu) > 0x7F80_0000u)
        {
            return (ushort)((bits >> 16) | 0x0040u);
        }

        // Adding 0x7FFF rounds halves down; one more when the kept part is odd turns that into ties to even. A carry
        // out of the mantissa correctly steps the exponent (up to ∞ at the top).
        uint roundingBias = 0x7FFFu + ((bits >> 16) & 1u);
        return (ushort)((bits + roundingBias) >> 16);
    }
}
