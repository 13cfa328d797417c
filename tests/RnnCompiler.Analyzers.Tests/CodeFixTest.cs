using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using RnnCompiler.Generators.Diagnostics;

namespace RnnCompiler.Analyzers.Tests;

/// <summary>
/// Runs <see cref="RnnModelAnalyzer"/> and a code fix over a source with markup, applies the fix (one at a time and
/// through its fix-all provider) and compares the result with <c>fixedSource</c>. Both get <c>using RnnCompiler;</c>
/// and the runtime library, as in <see cref="AnalyzerTest"/>. RNN0100 (the size of a valid model) is turned off so
/// the fixed source needs no markup. A <c>fixedSource</c> equal to the source asserts that no fix is offered. <c>iterations</c> is how many
/// fixes one at a time take to reach <c>fixedSource</c>, <c>fixAllIterations</c> how many fix-all passes.
/// </summary>
internal static class CodeFixTest
{
    public static Task VerifyAsync<TFix>(string source, string fixedSource, string? equivalenceKey = null, int iterations = 1, int fixAllIterations = 1)
        where TFix : CodeFixProvider, new()
    {
        var test = new CSharpCodeFixTest<RnnModelAnalyzer, TFix, DefaultVerifier>
        {
            TestCode = "using RnnCompiler;\n" + source,
            FixedCode = "using RnnCompiler;\n" + fixedSource,
            ReferenceAssemblies = AnalyzerTest.Net100,
            CodeActionEquivalenceKey = equivalenceKey,
            NumberOfIncrementalIterations = source == fixedSource ? 0 : iterations,
            NumberOfFixAllIterations = source == fixedSource ? 0 : fixAllIterations,
        };
        test.TestState.AdditionalReferences.Add(AnalyzerTest.Runtime);
        test.DisabledDiagnostics.Add(DiagnosticDescriptors.ModelSizeId);
        return test.RunAsync();
    }
}
