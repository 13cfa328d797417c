using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace RnnCompiler.Generators.WeightFiles;

/// <summary>One tensor of a safetensors header.</summary>
internal sealed record HeaderEntry(string Name, string DType, int[] Shape, long Begin, long End)
{
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>
/// Reads the header of a safetensors file (8-byte little-endian length, JSON, data) with a small JSON reader:
/// netstandard2.0 has no JSON parser, and the header needs only objects, arrays, strings and integers.
/// Every malformed input gives an error message, never an exception.
/// </summary>
internal static class SafeTensorsHeader
{
    public static (Dictionary<string, HeaderEntry>? Entries, long DataStart, string? Error) Read(byte[] file)
    {
        if (file.Length < 8)
        {
            return (null, 0, $"the file has {file.Length} bytes, fewer than the 8-byte header length");
        }

        ulong length = BitConverter.ToUInt64(file, 0);
        if (!BitConverter.IsLittleEndian)
        {
            length = 0;
            for (int i = 7; i >= 0; i--)
            {
                length = (length << 8) | file[i];
            }
        }

        if (length > 100UL * 1024 * 1024 || length > (ulong)(file.Length - 8))
        {
            return (null, 0, $"the header length {length} is past the end of the file ({file.Length} bytes)");
        }

        string json = Encoding.UTF8.GetString(file, 8, (int)length);
        var reader = new JsonReader(json);
        object? root;
        try
        {
            root = reader.ReadValue();
        }
        catch (FormatException e)
        {
            return (null, 0, "the header cannot be read: " + e.Message);
        }

        if (root is not Dictionary<string, object?> tensors)
        {
            return (null, 0, "the header is not a JSON object");
        }

        var entries = new Dictionary<string, HeaderEntry>(StringComparer.Ordinal);
        long dataStart = 8 + (long)length;
        foreach (KeyValuePair<string, object?> pair in tensors)
        {
            if (pair.Key == "__metadata__")
            {
                continue;
            }

            if (pair.Value is not Dictionary<string, object?> tensor
                || !tensor.TryGetValue("dtype", out object? dtype) || dtype is not string dtypeText
                || !tensor.TryGetValue("shape", out object? shape) || shape is not List<object?> dimensions
                || !tensor.TryGetValue("data_offsets", out object? offsets) || offsets is not List<object?> { Count: 2 } range
                || range[0] is not long begin || range[1] is not long end || begin < 0 || end < begin)
            {
                return (null, 0, $"tensor '{pair.Key}' has no valid dtype, shape and data_offsets");
            }

            var sizes = new int[dimensions.Count];
            long count = 1;
            for (int i = 0; i < sizes.Length; i++)
            {
                if (dimensions[i] is not long size || size < 0 || size > int.MaxValue)
                {
                    return (null, 0, $"tensor '{pair.Key}' has an invalid shape");
                }

                sizes[i] = (int)size;
                // A product past the file's size cannot match its data_offsets; stop before it can overflow.
                count = count > file.Length ? count : count * size;
            }

            int elementSize = dtypeText switch { "F64" => 8, "F32" => 4, "F16" or "BF16" => 2, _ => 0 };
            if (elementSize != 0 && (count > file.Length || count * elementSize != end - begin))
            {
                return (null, 0, count > file.Length
                    ? $"tensor '{pair.Key}': shape [{string.Join(", ", sizes)}] holds more values than the file has bytes"
                    : $"tensor '{pair.Key}': shape [{string.Join(", ", sizes)}] of {dtypeText} needs {count * elementSize} bytes, but data_offsets span {end - begin}");
            }

            if (end > file.Length - dataStart)
            {
                return (null, 0, $"the file is truncated: tensor '{pair.Key}' ends past the end of the file");
            }

            entries[pair.Key] = new HeaderEntry(pair.Key, dtypeText, sizes, begin, end);
        }

        // The format's rule: the tensors' data_offsets tile the data from 0 to its end, without gaps, overlaps or bytes after.
        var ordered = new List<HeaderEntry>(entries.Values);
        ordered.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long covered = 0;
        foreach (HeaderEntry entry in ordered)
        {
            if (entry.Begin != covered)
            {
                return (null, 0, entry.Begin > covered
                    ? $"tensor '{entry.Name}' starts at byte {entry.Begin} of the data, leaving bytes {covered} to {entry.Begin} unused"
                    : $"tensor '{entry.Name}' overlaps another tensor's data at byte {entry.Begin}");
            }

            covered = entry.End;
        }

        if (covered != file.Length - dataStart)
        {
            return (null, 0, $"the file has {file.Length - dataStart - covered} bytes after the tensors' data");
        }

        return (entries, dataStart, null);
    }

    /// <summary>Decodes a floating-point tensor (F64 exactly, so a double model keeps it), or returns null for another dtype.</summary>
    public static double[]? Decode(HeaderEntry entry, byte[] file, long dataStart)
    {
        int size = entry.DType switch { "F64" => 8, "F32" => 4, "F16" or "BF16" => 2, _ => 0 };
        if (size == 0)
        {
            return null;
        }

        int offset = (int)(dataStart + entry.Begin);
        var values = new double[(entry.End - entry.Begin) / size];
        byte[] source = file;
        if (!BitConverter.IsLittleEndian && size > 2)
        {
            // The data is little-endian: reverse each element's bytes once, into a copy.
            source = new byte[values.Length * size];
            Array.Copy(file, offset, source, 0, source.Length);
            for (int i = 0; i < values.Length; i++)
            {
                Array.Reverse(source, i * size, size);
            }

            offset = 0;
        }

        for (int i = 0; i < values.Length; i++)
        {
            int at = offset + size * i;
            values[i] = entry.DType switch
            {
                "F64" => BitConverter.ToDouble(source, at),
                "F32" => BitConverter.ToSingle(source, at),
                "BF16" => BitConverter.ToSingle(BitConverter.GetBytes((file[at] | (file[at + 1] << 8)) << 16), 0),
                _ => HalfToSingle((ushort)(file[at] | (file[at + 1] << 8))),
            };
        }

        return values;
    }

    /// <summary>A name cut for a message: a hostile header's key can be megabytes long.</summary>
    private static string Shorten(string text) => text.Length <= 80 ? text : text.Substring(0, 80) + "…";

    /// <summary>IEEE 754 binary16 to binary32 (netstandard2.0 has no <c>Half</c>).</summary>
    private static float HalfToSingle(ushort bits)
    {
        int sign = (bits >> 15) & 1;
        int exponent = (bits >> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        float value = exponent switch
        {
            0 => mantissa * (1f / 16777216f), // subnormal: mantissa × 2^-24
            31 => mantissa == 0 ? float.PositiveInfinity : float.NaN,
            _ => (float)((1 + mantissa / 1024.0) * Math.Pow(2, exponent - 15)),
        };
        return sign == 1 ? -value : value;
    }

    /// <summary>A minimal JSON reader: objects, arrays, strings, integers (as long), other numbers (as double), literals.</summary>
    private sealed class JsonReader(string text)
    {
        /// <summary>
        /// The deepest nesting read: a safetensors header needs 3 (the header, a tensor, its shape). The bound keeps a
        /// hostile header (100,000 '[') from recursing until the compiler's stack overflows.
        /// </summary>
        private const int MaxDepth = 64;

        private int _position;
        private int _depth;

        private void Enter()
        {
            if (++_depth > MaxDepth)
            {
                throw new FormatException($"values are nested more than {MaxDepth} deep at {_position}");
            }
        }

        public object? ReadValue()
        {
            SkipWhitespace();
            if (_position >= text.Length)
            {
                throw new FormatException("unexpected end");
            }

            char c = text[_position];
            switch (c)
            {
                case '{':
                    return ReadObject();
                case '[':
                    return ReadArray();
                case '"':
                    return ReadString();
                case 't':
                    return ReadLiteral("true", true);
                case 'f':
                    return ReadLiteral("false", false);
                case 'n':
                    return ReadLiteral("null", null);
                default:
                    return ReadNumber();
            }
        }

        private Dictionary<string, object?> ReadObject()
        {
            Enter();
            var result = new Dictionary<string, object?>(StringComparer.Ordinal);
            _position++;
            SkipWhitespace();
            if (Peek() == '}')
            {
                _position++;
                _depth--;
                return result;
            }

            while (true)
            {
                SkipWhitespace();
                if (Peek() != '"')
                {
                    throw new FormatException($"expected a property name at {_position}");
                }

                int at = _position;
                string key = ReadString();
                if (result.ContainsKey(key))
                {
                    throw new FormatException($"the key '{Shorten(key)}' appears twice (at {at})");
                }

                SkipWhitespace();
                Expect(':');
                result[key] = ReadValue();
                SkipWhitespace();
                char next = Next();
                if (next == '}')
                {
                    _depth--;
                    return result;
                }

                if (next != ',')
                {
                    throw new FormatException($"expected ',' or '}}' at {_position - 1}");
                }
            }
        }

        private List<object?> ReadArray()
        {
            Enter();
            var result = new List<object?>();
            _position++;
            SkipWhitespace();
            if (Peek() == ']')
            {
                _position++;
                _depth--;
                return result;
            }

            while (true)
            {
                result.Add(ReadValue());
                SkipWhitespace();
                char next = Next();
                if (next == ']')
                {
                    _depth--;
                    return result;
                }

                if (next != ',')
                {
                    throw new FormatException($"expected ',' or ']' at {_position - 1}");
                }
            }
        }

        private string ReadString()
        {
            Expect('"');
            var builder = new StringBuilder();
            while (true)
            {
                char c = Next();
                if (c == '"')
                {
                    return builder.ToString();
                }

                if (c != '\\')
                {
                    builder.Append(c);
                    continue;
                }

                char escape = Next();
                switch (escape)
                {
                    case 'u':
                        if (_position + 4 > text.Length || !int.TryParse(text.Substring(_position, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int code))
                        {
                            throw new FormatException($"bad \\u escape at {_position}");
                        }

                        builder.Append((char)code);
                        _position += 4;
                        break;
                    case 'n': builder.Append('\n'); break;
                    case 't': builder.Append('\t'); break;
                    case 'r': builder.Append('\r'); break;
                    case 'b': builder.Append('\b'); break;
                    case 'f': builder.Append('\f'); break;
                    default: builder.Append(escape); break;
                }
            }
        }

        private object ReadNumber()
        {
            int start = _position;
            while (_position < text.Length && "+-0123456789.eE".IndexOf(text[_position]) >= 0)
            {
                _position++;
            }

            string number = text.Substring(start, _position - start);
            if (long.TryParse(number, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long integer))
            {
                return integer;
            }

            if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            {
                return value;
            }

            throw new FormatException($"bad value at {start}");
        }

        private object? ReadLiteral(string literal, object? value)
        {
            if (string.CompareOrdinal(text, _position, literal, 0, literal.Length) != 0)
            {
                throw new FormatException($"bad value at {_position}");
            }

            _position += literal.Length;
            return value;
        }

        private void SkipWhitespace()
        {
            while (_position < text.Length && char.IsWhiteSpace(text[_position]))
            {
                _position++;
            }
        }

        private char Peek() => _position < text.Length ? text[_position] : '\0';

        private char Next() => _position < text.Length ? text[_position++] : throw new FormatException("unexpected end");

        private void Expect(char c)
        {
            if (Next() != c)
            {
                throw new FormatException($"expected '{c}' at {_position - 1}");
            }
        }
    }
}
