using System;
using System.Collections.Generic;
using System.Reflection;
using Microsoft.CodeAnalysis;

namespace RnnCompiler.Generators.Tests.Infrastructure;

/// <summary>
/// Walks a pipeline step's output through every instance field (records' backing fields, tuples' items,
/// <c>ImmutableArray</c>'s and <c>EquatableArray</c>'s arrays, base-class fields) and reports each Roslyn object
/// that must not be cached: it would keep an old compilation alive and defeat equality (Cookbook "pipeline model design").
/// </summary>
/// <remarks>
/// After NetEscapades.EnumGenerators' <c>TestHelpers.AssertObjectGraph</c>, with two changes: a type test
/// (<c>is ISymbol</c>) instead of an exact-type test, which never matches an interface or abstract base; and fields
/// are walked instead of enumerating collections, so a boxed default <c>ImmutableArray</c> does not throw.
/// </remarks>
internal static class PipelineOutputWalker
{
    /// <summary>The Roslyn types no cached pipeline value may hold.</summary>
    private static readonly Type[] Forbidden =
    {
        typeof(Compilation),
        typeof(ISymbol),
        typeof(SyntaxNode),
        typeof(SyntaxTree),
        typeof(SyntaxToken),
        typeof(SyntaxTrivia),
        typeof(SyntaxReference),
        typeof(SemanticModel),
        typeof(Location),
        typeof(AttributeData),
        typeof(IOperation),
    };

    /// <summary>Lists "path: type" for each forbidden object reachable from <paramref name="root"/>.</summary>
    /// <param name="root">A step output value.</param>
    /// <param name="rootPath">How to name the root in the result, for example <c>Models[0]</c>.</param>
    public static List<string> FindForbidden(object? root, string rootPath)
    {
        var found = new List<string>();
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<(object? Value, string Path)>();
        pending.Push((root, rootPath));

        while (pending.Count > 0)
        {
            (object? node, string path) = pending.Pop();
            if (node is null || !visited.Add(node))
            {
                continue;
            }

            Type type = node.GetType();
            Type? forbidden = Array.Find(Forbidden, f => f.IsAssignableFrom(type));
            if (forbidden is not null)
            {
                found.Add($"{path}: {type.FullName} (a {forbidden.Name})");
                continue;
            }

            if (IsLeaf(type))
            {
                continue;
            }

            if (node is Delegate d)
            {
                // A lambda's closure can capture a compilation; the method itself is reflection, not data.
                pending.Push((d.Target, path + ".Target"));
                continue;
            }

            if (node is Array array)
            {
                if (!IsLeaf(type.GetElementType()!))
                {
                    int i = 0;
                    foreach (object? element in array)
                    {
                        pending.Push((element, $"{path}[{i++}]"));
                    }
                }

                continue;
            }

            for (Type? t = type; t is not null && t != typeof(object); t = t.BaseType)
            {
                foreach (FieldInfo field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    if (!IsLeaf(field.FieldType) || field.FieldType == typeof(object))
                    {
                        pending.Push((field.GetValue(node), $"{path}.{field.Name}"));
                    }
                }
            }
        }

        return found;
    }

    private static bool IsLeaf(Type type) =>
        type.IsPrimitive
        || type.IsEnum
        || type.IsPointer
        || type == typeof(string)
        || type == typeof(decimal)
        || type == typeof(Pointer)
        || typeof(MemberInfo).IsAssignableFrom(type) // System.Type and other reflection objects
        || (type.IsArray && type.GetElementType() is { } e && (e.IsPrimitive || e.IsEnum || e == typeof(string)));
}
