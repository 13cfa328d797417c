// The one reader of safetensors headers, compiled into the runtime (LoadWeights, LoadCheckpoint) and, as a linked
// file, into the generator (compile-time weights), so both follow the same rules and a fix lands once. It depends on
// nothing but the base library (netstandard2.0 in the generator: no System.Text.Json, no spans), so it carries a small
// strict JSON reader that reads exactly what a header holds and skips the rest without building it.
using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

#if RNNCOMPILER_GENERATOR
namespace RnnCompiler.Generators.WeightFiles;
#else
namespace RnnCompiler.Weights;
#endif

/// <summary>One tensor entry of a safetensors header: its name, dtype, shape and byte range in the data section.</summary>
internal sealed record SafeTensorEntry(string Name, string DType, int[] Shape, long Begin, long End)
{
    /// <summary>The shape as the messages and the generator's checks write it: <c>[2, 3]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";

    /// <summary>The number of elements (it fits: the reader checked it against the entry's byte range).</summary>
    public long ElementCount
    {
        get
        {
            long count = 1;
            foreach (int dimension in Shape)
            {
                count *= dimension;
            }

            return count;
        }
    }
}

/// <summary>
/// A checked safetensors header. The format: an 8-byte little-endian header length, a JSON object of tensor entries
/// (<c>{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, "__metadata__": {"key": "value"}}</c>),
/// then the data. <see cref="Parse"/> refuses with <see cref="InvalidDataException"/> everything the format forbids:
/// invalid UTF-8 or JSON, nesting deeper than <see cref="MaxDepth"/>, a key twice, an entry without a known dtype, a
/// shape of at most <see cref="MaxDimensions"/> non-negative dimensions, or two integer offsets whose span is exactly
/// what the shape needs, and offsets that do not tile the data from 0 without gaps or overlaps. Nothing is allocated
/// beyond what the header's own bytes hold: unknown values are skipped, not built.
/// </summary>
internal sealed class SafeTensorsHeader
{
    /// <summary>The largest header read; a longer one is refused before it is read.</summary>
    public const long MaxHeaderBytes = 100L * 1024 * 1024;

    /// <summary>The deepest nesting read: a header needs 3 (the header, an entry, its shape).</summary>
    public const int MaxDepth = 64;

    /// <summary>The most dimensions a shape may have (the models' tensors have 1 or 2; PyTorch's a few).</summary>
    public const int MaxDimensions = 32;

    /// <summary>The longest name a message quotes; a hostile key can be megabytes long.</summary>
    public const int MaxQuotedName = 80;

    private SafeTensorsHeader(Dictionary<string, SafeTensorEntry> entries, Dictionary<string, string> metadata, long dataLength)
    {
        Entries = entries;
        Metadata = metadata;
        DataLength = dataLength;
    }

    /// <summary>The tensors by name, in the header's order.</summary>
    public Dictionary<string, SafeTensorEntry> Entries { get; }

    /// <summary>The <c>__metadata__</c> strings (empty when the header has none).</summary>
    public Dictionary<string, string> Metadata { get; }

    /// <summary>The bytes of data the tensors tile from 0: the exact length of the data section.</summary>
    public long DataLength { get; }

    /// <summary>The size in bytes of one element of <paramref name="dtype"/>, or 0 for a dtype the format does not define.</summary>
    public static int DTypeSize(string dtype) => dtype switch
    {
        "F64" or "I64" or "U64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "I8" or "U8" or "BOOL" or "F8_E4M3" or "F8_E5M2" => 1,
        _ => 0,
    };

    /// <summary>Whether <see cref="Decode"/> reads <paramref name="dtype"/>.</summary>
    public static bool IsFloating(string dtype) => dtype is "F64" or "F32" or "F16" or "BF16";

    /// <summary>Reads the 8-byte little-endian header length at <paramref name="offset"/> and refuses one over <see cref="MaxHeaderBytes"/>.</summary>
    public static long ReadLength(byte[] bytes, int offset)
    {
        ulong length = 0;
        for (int i = 7; i >= 0; i--)
        {
            length = (length << 8) | bytes[offset + i];
        }

        if (length > (ulong)MaxHeaderBytes)
        {
            // No safetensors file starts so: if it is a format people mistake for one, say which.
            if (WeightFormats.Describe(bytes, offset) is string format)
            {
                throw new InvalidDataException(format);
            }

            throw new InvalidDataException($"The safetensors header claims {length} bytes; headers over {MaxHeaderBytes} bytes (100 MB) are refused.");
        }

        return (long)length;
    }

    /// <summary>A name cut for a message.</summary>
    public static string Shorten(string text) => text.Length <= MaxQuotedName ? text : text.Substring(0, MaxQuotedName) + "…";

    /// <summary>Parses and checks the header in <paramref name="count"/> bytes of <paramref name="bytes"/> from <paramref name="offset"/>.</summary>
    public static SafeTensorsHeader Parse(byte[] bytes, int offset, int count)
    {
        try
        {
            // Throws on every invalid sequence (overlong forms, surrogates, cut sequences), allocating nothing.
            _ = StrictUtf8.GetCharCount(bytes, offset, count);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidDataException("The safetensors header is not valid UTF-8.");
        }

        var json = new JsonCursor(bytes, offset, count);
        json.SkipWhitespace();
        if (json.Peek() != '{')
        {
            throw new InvalidDataException("The safetensors header is not a JSON object.");
        }

        var entries = new Dictionary<string, SafeTensorEntry>(StringComparer.Ordinal);
        Dictionary<string, string>? metadata = null;
        json.EnterObject();
        while (json.NextProperty(out string name))
        {
            if (entries.ContainsKey(name) || (name == "__metadata__" && metadata is not null))
            {
                throw new InvalidDataException($"The safetensors header names '{Shorten(name)}' twice.");
            }

            if (name == "__metadata__")
            {
                metadata = ReadMetadata(json);
            }
            else
            {
                entries.Add(name, ReadEntry(json, name));
            }
        }

        json.SkipWhitespace();
        if (!json.AtEnd)
        {
            throw json.Error("content after the header's object");
        }

        // The format's rule: the tensors' data_offsets tile the data from 0 to its end, without gaps or overlaps.
        var ordered = new List<SafeTensorEntry>(entries.Values);
        ordered.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long covered = 0;
        foreach (SafeTensorEntry entry in ordered)
        {
            if (entry.Begin != covered)
            {
                throw new InvalidDataException(entry.Begin > covered
                    ? $"Tensor '{Shorten(entry.Name)}' starts at byte {entry.Begin} of the data, leaving bytes {covered} to {entry.Begin} unused."
                    : $"Tensor '{Shorten(entry.Name)}' overlaps another tensor's data at byte {entry.Begin}.");
            }

            covered = entry.End;
        }

        return new SafeTensorsHeader(entries, metadata ?? new Dictionary<string, string>(StringComparer.Ordinal), covered);
    }

    /// <summary>
    /// Decodes a floating-point tensor to doubles (F64 exactly, so a double model keeps it). <paramref name="dataStart"/>
    /// is where the data section starts in <paramref name="buffer"/>; the entry's range must lie within it (the callers
    /// checked the data's length against <see cref="DataLength"/>).
    /// </summary>
    public static double[] Decode(SafeTensorEntry entry, byte[] buffer, long dataStart, string displayName)
    {
        int size = IsFloating(entry.DType) ? DTypeSize(entry.DType) : 0;
        if (size == 0)
        {
            throw new InvalidDataException($"Tensor '{Shorten(displayName)}' has dtype {Shorten(entry.DType)}; expected a floating-point dtype (F32, F64, F16 or BF16).");
        }

        long start = dataStart + entry.Begin;
        if (start < 0 || entry.End - entry.Begin > buffer.Length - start)
        {
            throw new InvalidDataException($"Tensor '{Shorten(displayName)}' ends past the end of the file.");
        }

        var values = new double[(entry.End - entry.Begin) / size];
        byte[] source = buffer;
        int first = (int)start;
        if (!BitConverter.IsLittleEndian && size > 2)
        {
            // The data is little-endian and BitConverter reads the machine's order: reverse each element once, in a copy.
            source = new byte[values.Length * size];
            Array.Copy(buffer, first, source, 0, source.Length);
            for (int i = 0; i < values.Length; i++)
            {
                Array.Reverse(source, i * size, size);
            }

            first = 0;
        }

        switch (entry.DType)
        {
            case "F64":
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = BitConverter.ToDouble(source, first + 8 * i);
                }

                break;
            case "F32":
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = BitConverter.ToSingle(source, first + 4 * i);
                }

                break;
            case "BF16":
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = BFloat16ToSingle(source[first + 2 * i] | (source[first + 2 * i + 1] << 8));
                }

                break;
            default:
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = HalfToSingle(source[first + 2 * i] | (source[first + 2 * i + 1] << 8));
                }

                break;
        }

        return values;
    }

    /// <summary>IEEE 754 binary16 to binary32, exactly (netstandard2.0 has no <c>Half</c>): the fields moved into place.</summary>
    public static float HalfToSingle(int bits)
    {
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        if (exponent == 0)
        {
            // Zero or subnormal: mantissa × 2^-24, exact in binary32.
            float magnitude = mantissa * (1f / 16777216f);
            return sign != 0 ? -magnitude : magnitude;
        }

        int single = exponent == 31
            ? sign | (0xFF << 23) | (mantissa << 13) // infinity or NaN, payload kept
            : sign | ((exponent - 15 + 127) << 23) | (mantissa << 13);
        return new SingleBits { Bits = single }.Value;
    }

    /// <summary>bfloat16 (the high 16 bits of a binary32) to binary32.</summary>
    public static float BFloat16ToSingle(int bits) => new SingleBits { Bits = bits << 16 }.Value;

    /// <summary>A binary32's bits and its value in one place (netstandard2.0 has no <c>BitConverter.Int32BitsToSingle</c>); nothing is allocated.</summary>
    [StructLayout(LayoutKind.Explicit)]
    private struct SingleBits
    {
        [FieldOffset(0)]
        public int Bits;

        [FieldOffset(0)]
        public float Value;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static Dictionary<string, string> ReadMetadata(JsonCursor json)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (json.TryReadNull())
        {
            return metadata;
        }

        if (json.Peek() != '{')
        {
            throw new InvalidDataException("The safetensors header's __metadata__ must be an object of strings.");
        }

        json.EnterObject();
        while (json.NextProperty(out string key))
        {
            if (json.Peek() != '"')
            {
                throw new InvalidDataException($"The safetensors header's __metadata__ must be an object of strings; '{Shorten(key)}' is not a string.");
            }

            string value = json.ReadString();
            if (metadata.ContainsKey(key))
            {
                throw new InvalidDataException($"The safetensors header's __metadata__ names '{Shorten(key)}' twice.");
            }

            metadata.Add(key, value);
        }

        return metadata;
    }

    private static SafeTensorEntry ReadEntry(JsonCursor json, string name)
    {
        string quoted = Shorten(name);
        string needs = $"Tensor '{quoted}': the header entry needs \"dtype\", \"shape\" and two \"data_offsets\".";
        if (json.Peek() != '{')
        {
            throw new InvalidDataException(needs);
        }

        string? dtype = null;
        int[]? shape = null;
        long[]? offsets = null;
        json.EnterObject();
        while (json.NextProperty(out string field))
        {
            if ((field == "dtype" && dtype is not null) || (field == "shape" && shape is not null) || (field == "data_offsets" && offsets is not null))
            {
                throw new InvalidDataException($"Tensor '{quoted}': the header entry names \"{field}\" twice.");
            }

            switch (field)
            {
                case "dtype":
                    if (json.Peek() != '"')
                    {
                        throw new InvalidDataException(needs);
                    }

                    dtype = json.ReadString();
                    break;
                case "shape":
                    shape = ReadShape(json, quoted, needs);
                    break;
                case "data_offsets":
                    offsets = ReadOffsets(json, quoted, needs);
                    break;
                default:
                    json.SkipValue();
                    break;
            }
        }

        if (dtype is null || shape is null || offsets is null)
        {
            throw new InvalidDataException(needs);
        }

        int elementSize = DTypeSize(dtype);
        if (elementSize == 0)
        {
            throw new InvalidDataException($"Tensor '{quoted}': unknown dtype '{Shorten(dtype)}'.");
        }

        var entry = new SafeTensorEntry(name, dtype, shape, offsets[0], offsets[1]);

        // The bytes the shape needs, stopping as soon as they pass the span (the product of the sizes could overflow).
        long span = offsets[1] - offsets[0];
        long needed = Array.IndexOf(shape, 0) >= 0 ? 0 : elementSize;
        bool tooLarge = false;
        foreach (int size in shape)
        {
            tooLarge |= size != 0 && needed > span / size;
            needed = tooLarge ? needed : needed * size;
        }

        if (tooLarge || needed != span)
        {
            throw new InvalidDataException(tooLarge
                ? $"Tensor '{quoted}': shape {entry.ShapeText} of {dtype} needs more bytes than its data_offsets span ({span})."
                : $"Tensor '{quoted}': shape {entry.ShapeText} of {dtype} needs {needed} bytes, but data_offsets span {span}.");
        }

        return entry;
    }

    private static int[] ReadShape(JsonCursor json, string quoted, string needs)
    {
        if (json.Peek() != '[')
        {
            throw new InvalidDataException(needs);
        }

        var shape = new List<int>();
        int count = 0;
        json.EnterArray();
        while (json.NextElement())
        {
            count++;
            if (count > MaxDimensions)
            {
                // Counted to the end without keeping them, so the message can say how many there are.
                json.SkipValue();
                continue;
            }

            if (!json.TryReadInteger(out long size) || size < 0 || size > int.MaxValue)
            {
                throw new InvalidDataException($"Tensor '{quoted}': the shape must hold non-negative integers.");
            }

            shape.Add((int)size);
        }

        if (count > MaxDimensions)
        {
            throw new InvalidDataException($"Tensor '{quoted}': its shape has {count} dimensions; at most {MaxDimensions} are read.");
        }

        return shape.ToArray();
    }

    private static long[] ReadOffsets(JsonCursor json, string quoted, string needs)
    {
        if (json.Peek() != '[')
        {
            throw new InvalidDataException(needs);
        }

        string rule = $"Tensor '{quoted}': data_offsets must be two non-negative integers, begin ≤ end.";
        var offsets = new long[2];
        int count = 0;
        json.EnterArray();
        while (json.NextElement())
        {
            if (count == 2 || !json.TryReadInteger(out long offset) || offset < 0)
            {
                throw new InvalidDataException(rule);
            }

            offsets[count++] = offset;
        }

        if (count != 2 || offsets[1] < offsets[0])
        {
            throw new InvalidDataException(rule);
        }

        return offsets;
    }

    /// <summary>
    /// A strict RFC 8259 reader over UTF-8 bytes (already validated), driven by the caller: it builds only the strings
    /// and integers asked for and skips other values, bounded in depth, without recursion past <see cref="MaxDepth"/>.
    /// </summary>
    private sealed class JsonCursor(byte[] bytes, int start, int count)
    {
        private readonly int _start = start;
        private readonly int _end = start + count;
        private int _position = start;
        private int _depth;

        /// <summary>Whether the cursor has just entered a container and has read none of its members yet.</summary>
        private bool _first;

        public bool AtEnd => _position >= _end;

        public char Peek()
        {
            SkipWhitespace();
            return _position < _end ? (char)bytes[_position] : '\0';
        }

        public InvalidDataException Error(string what) =>
            new($"The safetensors header is not valid JSON: {what} at byte {_position - _start}.");

        public void SkipWhitespace()
        {
            while (_position < _end && bytes[_position] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
            {
                _position++;
            }
        }

        public void EnterObject() => Enter('{');

        public void EnterArray() => Enter('[');

        /// <summary>Moves to the next property of the object entered last, reading its name and the ':'; false at its end.</summary>
        public bool NextProperty(out string name)
        {
            name = string.Empty;
            if (!Next('}'))
            {
                return false;
            }

            if (Peek() != '"')
            {
                throw Error("expected a property name");
            }

            name = ReadString();
            Expect(':');
            return true;
        }

        /// <summary>Moves to the next element of the array entered last; false at its end.</summary>
        public bool NextElement() => Next(']');

        public bool TryReadNull()
        {
            if (Peek() == 'n')
            {
                ReadLiteral("null");
                return true;
            }

            return false;
        }

        /// <summary>Reads a number; true with its value when it is an integer that fits a long, false for any other number.</summary>
        public bool TryReadInteger(out long value)
        {
            value = 0;
            if (Peek() is not ('-' or (>= '0' and <= '9')))
            {
                SkipValue();
                return false;
            }

            int start = _position;
            bool integer = ScanNumber();
            if (!integer)
            {
                return false;
            }

            bool negative = bytes[start] == '-';
            for (int i = negative ? start + 1 : start; i < _position; i++)
            {
                int digit = bytes[i] - '0';
                if (value > (long.MaxValue - digit) / 10)
                {
                    return false;
                }

                value = value * 10 + digit;
            }

            value = negative ? -value : value;
            return true;
        }

        public string ReadString()
        {
            Expect('"');
            int start = _position;
            StringBuilder? builder = null;
            int run = start;
            while (true)
            {
                if (_position >= _end)
                {
                    throw Error("a string without its closing quote");
                }

                byte b = bytes[_position];
                if (b == '"')
                {
                    string tail = Encoding.UTF8.GetString(bytes, run, _position - run);
                    _position++;
                    return builder is null ? tail : builder.Append(tail).ToString();
                }

                if (b < 0x20)
                {
                    throw Error("a control character inside a string");
                }

                if (b != '\\')
                {
                    _position++;
                    continue;
                }

                builder ??= new StringBuilder();
                builder.Append(Encoding.UTF8.GetString(bytes, run, _position - run));
                _position++;
                builder.Append(ReadEscape());
                run = _position;
            }
        }

        /// <summary>Skips one value of any kind, checking its syntax.</summary>
        public void SkipValue()
        {
            switch (Peek())
            {
                case '{':
                    EnterObject();
                    while (NextProperty(out _))
                    {
                        SkipValue();
                    }

                    break;
                case '[':
                    EnterArray();
                    while (NextElement())
                    {
                        SkipValue();
                    }

                    break;
                case '"':
                    SkipString();
                    break;
                case 't':
                    ReadLiteral("true");
                    break;
                case 'f':
                    ReadLiteral("false");
                    break;
                case 'n':
                    ReadLiteral("null");
                    break;
                case '\0' when AtEnd:
                    throw Error("an unexpected end");
                default:
                    ScanNumber();
                    break;
            }
        }

        private void Enter(char open)
        {
            Expect(open);
            if (++_depth > MaxDepth)
            {
                throw new InvalidDataException($"The safetensors header nests values more than {MaxDepth} deep (at byte {_position - 1 - _start}).");
            }

            _first = true;
        }

        /// <summary>Steps past the ',' between members, or the closing bracket (leaving the container: false).</summary>
        private bool Next(char close)
        {
            char c = Peek();
            if (c == close)
            {
                _position++;
                _depth--;
                _first = false;
                return false;
            }

            if (_first)
            {
                _first = false;
                return true;
            }

            if (c != ',')
            {
                throw AtEnd ? Error($"an unexpected end where ',' or '{close}' belongs") : Error($"expected ',' or '{close}'");
            }

            _position++;
            if (Peek() == close)
            {
                throw Error($"a ',' before '{close}'");
            }

            return true;
        }

        private void SkipString()
        {
            Expect('"');
            while (true)
            {
                if (_position >= _end)
                {
                    throw Error("a string without its closing quote");
                }

                byte b = bytes[_position++];
                if (b == '"')
                {
                    return;
                }

                if (b < 0x20)
                {
                    _position--;
                    throw Error("a control character inside a string");
                }

                if (b == '\\')
                {
                    _ = ReadEscape();
                }
            }
        }

        /// <summary>Reads the escape after a backslash; a \u escape of a surrogate must be a whole pair.</summary>
        private string ReadEscape()
        {
            char escape = _position < _end ? (char)bytes[_position++] : throw Error("an unexpected end");
            switch (escape)
            {
                case '"': return "\"";
                case '\\': return "\\";
                case '/': return "/";
                case 'b': return "\b";
                case 'f': return "\f";
                case 'n': return "\n";
                case 'r': return "\r";
                case 't': return "\t";
                case 'u':
                    char unit = ReadHex4();
                    if (char.IsLowSurrogate(unit))
                    {
                        throw Error("a lone low surrogate in a \\u escape");
                    }

                    if (!char.IsHighSurrogate(unit))
                    {
                        return unit.ToString();
                    }

                    if (_position + 1 < _end && bytes[_position] == '\\' && bytes[_position + 1] == 'u')
                    {
                        _position += 2;
                        char low = ReadHex4();
                        if (char.IsLowSurrogate(low))
                        {
                            return new string(new[] { unit, low });
                        }
                    }

                    throw Error("a lone high surrogate in a \\u escape");
                default:
                    _position--;
                    throw Error("an invalid escape");
            }
        }

        private char ReadHex4()
        {
            int value = 0;
            for (int i = 0; i < 4; i++)
            {
                int digit = _position < _end ? HexDigit(bytes[_position]) : -1;
                if (digit < 0)
                {
                    throw Error("a \\u escape without four hex digits");
                }

                value = (value << 4) | digit;
                _position++;
            }

            return (char)value;
        }

        private static int HexDigit(byte b) => b switch
        {
            >= (byte)'0' and <= (byte)'9' => b - '0',
            >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
            >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
            _ => -1,
        };

        /// <summary>Steps over a number as JSON writes it: <c>-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?</c>. True when it had no fraction or exponent.</summary>
        private bool ScanNumber()
        {
            int start = _position;
            if (_position < _end && bytes[_position] == '-')
            {
                _position++;
            }

            if (_position < _end && bytes[_position] == '0')
            {
                _position++;
            }
            else if (Digits() == 0)
            {
                _position = start;
                throw Error("an unexpected character");
            }

            bool integer = true;
            if (_position < _end && bytes[_position] == '.')
            {
                _position++;
                integer = false;
                if (Digits() == 0)
                {
                    throw Error("a number without digits after '.'");
                }
            }

            if (_position < _end && bytes[_position] is (byte)'e' or (byte)'E')
            {
                _position++;
                integer = false;
                if (_position < _end && bytes[_position] is (byte)'+' or (byte)'-')
                {
                    _position++;
                }

                if (Digits() == 0)
                {
                    throw Error("a number without digits in its exponent");
                }
            }

            return integer;
        }

        private int Digits()
        {
            int start = _position;
            while (_position < _end && bytes[_position] >= '0' && bytes[_position] <= '9')
            {
                _position++;
            }

            return _position - start;
        }

        private void ReadLiteral(string literal)
        {
            SkipWhitespace();
            for (int i = 0; i < literal.Length; i++)
            {
                if (_position + i >= _end || bytes[_position + i] != literal[i])
                {
                    throw Error("an unexpected character");
                }
            }

            _position += literal.Length;
        }

        private void Expect(char c)
        {
            if (Peek() != c)
            {
                throw AtEnd ? Error($"an unexpected end where '{c}' belongs") : Error($"expected '{c}'");
            }

            _position++;
        }
    }
}
