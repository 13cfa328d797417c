using System.Globalization;
using Microsoft.CodeAnalysis.CSharp;
using RnnCompiler.Generators.Model;

namespace RnnCompiler.Generators.Emit;

/// <summary>Text of C#: the runtime's type names, literals and small expressions every emitter writes.</summary>
internal static class CSharp
{
    /// <summary>The namespace of the runtime's layer classes, as a prefix: <c>global::RnnCompiler.Layers.</c>.</summary>
    public const string RuntimeLayers = "global::RnnCompiler.Layers.";
    public const string Span = "global::System.Span";
    public const string ReadOnlySpan = "global::System.ReadOnlySpan";
    public const string AlignedBuffer = "global::RnnCompiler.Kernels.AlignedBuffer";

    /// <summary>The C# type of a buffer's field: an <c>AlignedBuffer</c>, or an array for token and class ids.</summary>
    public static string FieldType(BufferSpec buffer, string modelElementType) =>
        buffer.Aligned ? $"{AlignedBuffer}<{buffer.ElementType ?? modelElementType}>" : $"{buffer.ElementType ?? modelElementType}[]";

    /// <summary>A span over part of a buffer field: its <c>AlignedBuffer</c>'s <c>Span</c>, sliced.</summary>
    public static string SliceOf(string field, string start, string length) =>
        $"{field}.Span.Slice({start}, {length})";

    /// <summary>A span over row <paramref name="row"/> of a buffer of rows <paramref name="width"/> wide.</summary>
    public static string Row(string field, string row, string width) => SliceOf(field, $"({row}) * {width}", width);

    /// <summary>
    /// A user's name as C# code: escaped with <c>@</c> when it is a keyword (<c>class @class</c>), as the user had to write
    /// it. Symbol names come without the <c>@</c>.
    /// </summary>
    public static string Identifier(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    public static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Bool(bool value) => value ? "true" : "false";

    /// <summary>A float literal that round-trips: <c>1.5f</c>, <c>float.NaN</c>.</summary>
    public static string FloatLiteral(float value) =>
        float.IsNaN(value) ? "float.NaN"
        : float.IsPositiveInfinity(value) ? "float.PositiveInfinity"
        : float.IsNegativeInfinity(value) ? "float.NegativeInfinity"
        : value.ToString("R", CultureInfo.InvariantCulture) + "f";

    /// <summary>A double literal that round-trips: <c>1.5d</c>, <c>double.NaN</c>.</summary>
    public static string DoubleLiteral(double value) =>
        double.IsNaN(value) ? "double.NaN"
        : double.IsPositiveInfinity(value) ? "double.PositiveInfinity"
        : double.IsNegativeInfinity(value) ? "double.NegativeInfinity"
        : value.ToString("R", CultureInfo.InvariantCulture) + "d";

    /// <summary>A C# string literal.</summary>
    public static string Literal(string text)
    {
        var builder = new System.Text.StringBuilder("\"");
        foreach (char c in text)
        {
            builder.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when c < ' ' => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }

        return builder.Append('"').ToString();
    }

    /// <summary>Text escaped for an XML documentation comment.</summary>
    public static string Xml(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
