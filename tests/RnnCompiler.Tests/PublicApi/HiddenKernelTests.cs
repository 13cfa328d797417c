using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Linq;
using System.Reflection;
using RnnCompiler.Kernels;
using RnnCompiler.Layers;
using Xunit;

namespace RnnCompiler.Tests.PublicApi;

/// <summary>
/// The layers and kernels are public only because generated code calls them: every public type in
/// <c>RnnCompiler.Layers</c> and <c>RnnCompiler.Kernels</c> is hidden from IntelliSense with
/// <c>[EditorBrowsable(EditorBrowsableState.Never)]</c>, unless <see cref="UserFacing"/> names it.
/// </summary>
public class HiddenKernelTests
{
    /// <summary>The namespaces whose public types exist for generated code, not for users.</summary>
    private static readonly string[] GeneratedCodeNamespaces = ["RnnCompiler.Layers", "RnnCompiler.Kernels"];

    /// <summary>
    /// Public types in those namespaces that users are meant to see, each with the reason. Empty: README.md, docs/ and
    /// samples/ use none of them directly (the README names <c>MatrixKernels.PackPanels</c> only to explain the panel
    /// copy), and no member outside these namespaces exposes one of them. A type added here must say why.
    /// </summary>
    private static readonly Dictionary<string, string> UserFacing = new(StringComparer.Ordinal);

    private static Type[] GeneratedCodeTypes() =>
        typeof(IRnnModel<>).Assembly.GetExportedTypes()
            .Where(type => !type.IsNested && GeneratedCodeNamespaces.Contains(type.Namespace, StringComparer.Ordinal))
            .OrderBy(type => type.FullName, StringComparer.Ordinal)
            .ToArray();

    [Fact]
    public void Every_public_layer_and_kernel_type_is_hidden_from_IntelliSense()
    {
        string[] visible = GeneratedCodeTypes()
            .Where(type => !UserFacing.ContainsKey(type.FullName!))
            .Where(type => type.GetCustomAttribute<EditorBrowsableAttribute>()?.State != EditorBrowsableState.Never)
            .Select(type => type.FullName!)
            .ToArray();

        Assert.True(
            visible.Length == 0,
            $"Add [EditorBrowsable(EditorBrowsableState.Never)] (and the remark 'Called by generated code; not meant to be called directly.') to: {string.Join(", ", visible)}; or list a type users are meant to call in {nameof(UserFacing)}, with the reason.");
    }

    [Fact]
    public void The_check_sees_the_layers_and_kernels()
    {
        // A renamed namespace or assembly would otherwise leave the check above passing over nothing.
        Type[] types = GeneratedCodeTypes();
        Assert.Contains(typeof(LstmLayer), types);
        Assert.Contains(typeof(MatrixKernels), types);
        Assert.Contains(typeof(AlignedBuffer<>), types);
        Assert.Contains(typeof(MatrixLayout), types);
    }

    [Fact]
    public void Every_user_facing_exception_is_a_public_type_there_and_stays_browsable()
    {
        Dictionary<string, Type> types = GeneratedCodeTypes().ToDictionary(type => type.FullName!, StringComparer.Ordinal);
        foreach ((string name, string reason) in UserFacing)
        {
            Assert.False(string.IsNullOrWhiteSpace(reason), $"{name} needs a reason to be user-facing.");
            Assert.True(types.TryGetValue(name, out Type? type), $"{name} is in {nameof(UserFacing)} but is no public type in {string.Join(" or ", GeneratedCodeNamespaces)}.");
            Assert.NotEqual(EditorBrowsableState.Never, type!.GetCustomAttribute<EditorBrowsableAttribute>()?.State);
        }
    }
}
