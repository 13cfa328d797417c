using System;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using RnnCompiler.Generators.Model;

namespace RnnCompiler.Generators.WeightFiles;

/// <summary>
/// A safetensors file as bytes. The compiler takes only text files as <c>AdditionalFiles</c> (a binary one is error
/// CS2015), so the build target in <c>RnnCompiler.targets</c> passes each <c>RnnWeights</c> item as base64 text in a
/// <c>.safetensors.b64</c> file, which this decodes.
/// </summary>
/// <param name="Path">The path as the project lists it.</param>
/// <param name="Bytes">The file's bytes, or empty when it could not be read.</param>
/// <param name="Error">Why it could not be read, or null.</param>
internal sealed record WeightFile(string Path, EquatableArray<byte> Bytes, string? Error)
{
    public const string Extension = ".safetensors.b64";

    public static bool IsWeightFile(AdditionalText text) => text.Path.EndsWith(Extension, StringComparison.OrdinalIgnoreCase);

    public static WeightFile Read(AdditionalText text, CancellationToken cancellationToken)
    {
        string path = text.Path.Substring(0, text.Path.Length - ".b64".Length);
        SourceText? source = text.GetText(cancellationToken);
        if (source is null)
        {
            return new WeightFile(path, EquatableArray<byte>.Empty, "the file could not be read");
        }

        try
        {
            return new WeightFile(path, new EquatableArray<byte>(Convert.FromBase64String(source.ToString().Trim())), null);
        }
        catch (FormatException)
        {
            return new WeightFile(path, EquatableArray<byte>.Empty, $"'{text.Path}' is not base64 text (RnnCompiler.targets writes it from an RnnWeights item)");
        }
    }

    /// <summary>Whether this file is the one <paramref name="name"/> names: the same file name, or a path ending in it.</summary>
    public bool Matches(string name)
    {
        string normalized = Path.Replace('\\', '/');
        string wanted = name.Replace('\\', '/').TrimStart('.', '/');
        return normalized.Equals(wanted, StringComparison.OrdinalIgnoreCase)
            || normalized.EndsWith("/" + wanted, StringComparison.OrdinalIgnoreCase);
    }
}
