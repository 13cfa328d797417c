using System;
using System.Text;

namespace RnnCompiler.Generators.Emit;

/// <summary>A small indented text writer for generated C#; <see cref="Block"/> keeps braces balanced.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _builder = new();
    private int _indent;

    public void WriteLine(string line = "")
    {
        if (line.Length > 0)
        {
            _builder.Append(' ', 4 * _indent);
            _builder.Append(line);
        }

        _builder.Append('\n');
    }

    /// <summary>Writes <c>{</c>, indents, and on dispose writes <c>}</c> (plus <paramref name="after"/>, such as <c>;</c>).</summary>
    public IDisposable Block(string? header = null, string after = "")
    {
        if (header is not null)
        {
            WriteLine(header);
        }

        WriteLine("{");
        _indent++;
        return new BlockEnd(this, after);
    }

    /// <summary>Removes the blank line just written, if any: the last member of a block writes one after itself.</summary>
    public void RemoveTrailingBlankLine()
    {
        int length = _builder.Length;
        if (length >= 2 && _builder[length - 1] == '\n' && _builder[length - 2] == '\n')
        {
            _builder.Length = length - 1;
        }
    }

    public override string ToString() => _builder.ToString();

    private sealed class BlockEnd(SourceWriter writer, string after) : IDisposable
    {
        public void Dispose()
        {
            writer._indent--;
            writer.WriteLine("}" + after);
        }
    }
}
