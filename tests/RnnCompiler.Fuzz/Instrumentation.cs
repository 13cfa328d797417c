using System;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace RnnCompiler.Fuzz;

/// <summary>
/// SharpFuzz's instrumentation: every basic block of an instrumented assembly adds to a 64 KB edge map
/// (<c>SharpFuzz.Common.Trace.SharedMem[block ^ previous]++</c>). An assembly must be instrumented before the runtime
/// loads it, and only once; <c>SharpFuzz.Common</c> itself never.
/// </summary>
internal static class Instrumentation
{
    /// <summary>Instruments the assembly at <paramref name="path"/> in place unless it already is; returns the number of types instrumented.</summary>
    public static int Instrument(string path)
    {
        if (IsInstrumented(path))
        {
            return 0;
        }

        return SharpFuzz.Fuzzer.Instrument(path, name => name.StartsWith("RnnCompiler", StringComparison.Ordinal), SharpFuzz.Options.Value).Count();
    }

    /// <summary>Whether the assembly references SharpFuzz.Common, read from its metadata without loading it.</summary>
    public static bool IsInstrumented(string path)
    {
        using FileStream file = File.OpenRead(path);
        using var pe = new PEReader(file);
        MetadataReader metadata = pe.GetMetadataReader();
        return metadata.AssemblyReferences.Any(handle => metadata.GetString(metadata.GetAssemblyReference(handle).Name) == "SharpFuzz.Common");
    }
}
