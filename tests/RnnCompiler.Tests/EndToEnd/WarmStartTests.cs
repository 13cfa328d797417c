using System;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using RnnCompiler.Tests.Models;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>
/// A fresh process steps at its steady speed from the first call because nothing on the hot path runs as the runtime's
/// unoptimized first tier: every kernel of some size is either inlined into its caller (AggressiveInlining) or compiled
/// fully optimized when first called (AggressiveOptimization), and so are the generated Predict, Step and batch passes.
/// The timings themselves are the warm-up harness's (<c>--warm-up</c> in the benchmark project); this holds the rule.
/// </summary>
public class WarmStartTests
{
    /// <summary>The classes whose code runs on every step or update, outside the kernel, layer and decoding namespaces.</summary>
    private static readonly string[] HotClasses = ["RnnCompiler.Training.Optimizers", "RnnCompiler.Training.Losses", "RnnCompiler.Training.SequencePacking"];

    /// <summary>IL larger than this is not inlined by the runtime's heuristics alone.</summary>
    private const int InlinedWithoutAsking = 32;

    [Fact]
    public void Every_sizable_kernel_method_is_inlined_or_optimized_from_its_first_call()
    {
        Type[] types = typeof(IRnnModel<>).Assembly.GetTypes()
            .Where(type => type.Namespace is "RnnCompiler.Kernels" or "RnnCompiler.Layers" or "RnnCompiler.Decoding"
                || HotClasses.Contains(type.FullName) || HotClasses.Contains(type.DeclaringType?.FullName))
            .ToArray();
        Assert.Contains(types, type => type.Name == "MatrixKernels");
        string[] tiered = types
            .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(method => !method.IsAbstract && !method.IsSpecialName)
            .Where(method => method.GetCustomAttribute<CompilerGeneratedAttribute>() is null && method.DeclaringType!.GetCustomAttribute<CompilerGeneratedAttribute>() is null)
            .Where(method => !IsCold(method.Name))
            .Where(method => (method.GetMethodBody()?.GetILAsByteArray()?.Length ?? 0) > InlinedWithoutAsking)
            .Where(method => (method.MethodImplementationFlags & (MethodImplAttributes.AggressiveInlining | MethodImplAttributes.AggressiveOptimization)) == 0)
            .Select(method => $"{method.DeclaringType!.Name}.{method.Name}")
            .Distinct()
            .OrderBy(name => name, StringComparer.Ordinal)
            .ToArray();
        Assert.True(tiered.Length == 0, "Methods that would run unoptimized in a fresh process: " + string.Join(", ", tiered));
    }

    [Theory]
    [InlineData("Predict")]
    [InlineData("Step")]
    [InlineData("RunForward")]
    public void Generated_inference_methods_are_optimized_from_their_first_call(string name)
    {
        foreach (MethodInfo method in typeof(DeepStreaming).GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance).Where(m => m.Name == name))
        {
            Assert.True(method.MethodImplementationFlags.HasFlag(MethodImplAttributes.AggressiveOptimization), $"{name}({string.Join(", ", method.GetParameters().Select(p => p.ParameterType.Name))})");
        }
    }

    [Theory]
    [InlineData("RunBatch")]
    [InlineData("RunForwardBatch")]
    [InlineData("RunBackwardBatch")]
    public void Generated_training_passes_are_optimized_from_their_first_call(string name)
    {
        MethodInfo? method = typeof(Training.DropoutClassifier).GetMethod(name, BindingFlags.NonPublic | BindingFlags.Instance);
        Assert.NotNull(method);
        Assert.True(method.MethodImplementationFlags.HasFlag(MethodImplAttributes.AggressiveOptimization), name);
    }

    /// <summary>Argument checks and throw helpers, which run once per call or never, may run unoptimized.</summary>
    private static bool IsCold(string name) => name.StartsWith("Check", StringComparison.Ordinal) || name.StartsWith("Throw", StringComparison.Ordinal);
}
