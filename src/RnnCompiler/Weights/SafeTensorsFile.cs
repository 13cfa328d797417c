using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;

namespace RnnCompiler.Weights;

/// <summary>One tensor entry of a safetensors header.</summary>
internal sealed record SafeTensorEntry(string Name, string DType, int[] Shape, long Begin, long End)
{
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";

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
/// The safetensors format (an 8-byte little-endian header length, a JSON header of tensor entries, then the raw
/// little-endian data), read strictly: every offset, size and length is checked before any data is used.
/// </summary>
internal static class SafeTensorsFile
{
    /// <summary>The largest header this library reads; a longer one is refused before it is read.</summary>
    public const long MaxHeaderBytes = 100L * 1024 * 1024;

    public static int DTypeSize(string dtype) => dtype switch
    {
        "F64" or "I64" or "U64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "I8" or "U8" or "BOOL" or "F8_E4M3" or "F8_E5M2" => 1,
        _ => 0,
    };

    /// <summary>Reads the header and the data section. Throws <see cref="InvalidDataException"/> for anything malformed.</summary>
    public static (Dictionary<string, SafeTensorEntry> Entries, byte[] Data) Read(Stream stream) => Read(stream, out _);

    /// <summary>Reads the header, its string metadata and the data section.</summary>
    public static (Dictionary<string, SafeTensorEntry> Entries, byte[] Data) Read(Stream stream, out Dictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> prefix = stackalloc byte[8];
        ReadExactly(stream, prefix, "the 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderBytes)
        {
            throw new InvalidDataException($"The safetensors header claims {headerLength} bytes; headers over {MaxHeaderBytes} bytes (100 MB) are refused.");
        }

        if (stream.CanSeek && (long)headerLength > stream.Length - stream.Position)
        {
            throw new InvalidDataException($"The safetensors header claims {headerLength} bytes, past the end of the file ({stream.Length - stream.Position} bytes remain).");
        }

        // A stream of unknown length gets the header in chunks as it arrives: an 8-byte input claiming a 100 MB header
        // fails as truncated without allocating what it claims.
        byte[] header = stream.CanSeek ? new byte[(int)headerLength] : ReadGrowing(stream, (long)headerLength, "header");
        if (stream.CanSeek)
        {
            ReadExactly(stream, header, $"the {headerLength}-byte header");
        }

        Dictionary<string, SafeTensorEntry> entries = ParseHeader(header, out metadata);
        long dataLength = 0;
        foreach (SafeTensorEntry entry in entries.Values)
        {
            dataLength = Math.Max(dataLength, entry.End);
        }

        if (stream.CanSeek && dataLength > stream.Length - stream.Position)
        {
            throw new InvalidDataException($"The file is truncated: its tensors need {dataLength} bytes of data and {stream.Length - stream.Position} remain.");
        }

        if (dataLength > Array.MaxLength)
        {
            throw new InvalidDataException($"The tensors need {dataLength} bytes of data, more than this library reads at once.");
        }

        if (stream.CanSeek)
        {
            byte[] data = new byte[dataLength];
            ReadExactly(stream, data, $"{dataLength} bytes of tensor data");
            if (stream.Position != stream.Length)
            {
                throw new InvalidDataException($"The file has {stream.Length - stream.Position} bytes after its tensors' data; a safetensors file ends with its data.");
            }

            return (entries, data);
        }

        // A stream of unknown length: grow the buffer as bytes arrive, so that a header claiming gigabytes of data
        // in a short stream fails as truncated instead of allocating what it claims.
        return (entries, ReadGrowing(stream, dataLength, "tensor data"));
    }

    /// <summary>Reads <paramref name="length"/> bytes from a stream of unknown length, growing the buffer only as they arrive.</summary>
    private static byte[] ReadGrowing(Stream stream, long length, string what)
    {
        using var received = new MemoryStream();
        byte[] chunk = new byte[(int)Math.Min(81920, Math.Max(length, 1))];
        while (received.Length < length)
        {
            int read = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, length - received.Length));
            if (read == 0)
            {
                throw new InvalidDataException($"The file is truncated: it ends inside {length} bytes of {what}, after {received.Length}.");
            }

            received.Write(chunk, 0, read);
        }

        return received.ToArray();
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string what)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"The file is truncated: it ends inside {what}.", e);
        }
    }

    private static Dictionary<string, SafeTensorEntry> ParseHeader(byte[] header, out Dictionary<string, string> metadata)
    {
        var entries = new Dictionary<string, SafeTensorEntry>(StringComparer.Ordinal);
        metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!System.Text.Unicode.Utf8.IsValid(header))
        {
            throw new InvalidDataException("The safetensors header is not valid UTF-8.");
        }

        bool metadataSeen = false;
        try
        {
            using JsonDocument document = JsonDocument.Parse(header);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException("The safetensors header is not a JSON object.");
            }

            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                if (entries.ContainsKey(property.Name) || (property.Name == "__metadata__" && metadataSeen))
                {
                    throw new InvalidDataException($"The safetensors header names '{Shorten(property.Name)}' twice.");
                }

                if (property.Name == "__metadata__")
                {
                    metadataSeen = true;
                    if (property.Value.ValueKind == JsonValueKind.Object)
                    {
                        foreach (JsonProperty item in property.Value.EnumerateObject())
                        {
                            if (item.Value.ValueKind == JsonValueKind.String)
                            {
                                metadata[item.Name] = item.Value.GetString()!;
                            }
                        }
                    }

                    continue;
                }

                entries[property.Name] = ParseEntry(property);
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("The safetensors header is not valid JSON: " + e.Message, e);
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

        return entries;
    }

    /// <summary>A name cut for a message: a hostile header's key can be megabytes long.</summary>
    private static string Shorten(string text) => text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 80), "…");

    /// <summary>The most dimensions a tensor's shape may have (the models' tensors have 1 or 2; PyTorch's have at most a few).</summary>
    private const int MaxDimensions = 32;

    private static SafeTensorEntry ParseEntry(JsonProperty property)
    {
        string name = Shorten(property.Name);
        JsonElement value = property.Value;
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out JsonElement dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !value.TryGetProperty("shape", out JsonElement shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !value.TryGetProperty("data_offsets", out JsonElement offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array
            || offsetsElement.GetArrayLength() != 2)
        {
            throw new InvalidDataException($"Tensor '{name}': the header entry needs \"dtype\", \"shape\" and two \"data_offsets\".");
        }

        string dtype = dtypeElement.GetString()!;
        if (shapeElement.GetArrayLength() > MaxDimensions)
        {
            throw new InvalidDataException($"Tensor '{name}': its shape has {shapeElement.GetArrayLength()} dimensions; at most {MaxDimensions} are read.");
        }

        var shape = new List<int>();
        foreach (JsonElement dimension in shapeElement.EnumerateArray())
        {
            if (dimension.ValueKind != JsonValueKind.Number || !dimension.TryGetInt32(out int size) || size < 0)
            {
                throw new InvalidDataException($"Tensor '{name}': the shape must hold non-negative integers.");
            }

            shape.Add(size);
        }

        if (offsetsElement[0].ValueKind != JsonValueKind.Number || offsetsElement[1].ValueKind != JsonValueKind.Number
            || !offsetsElement[0].TryGetInt64(out long begin) || !offsetsElement[1].TryGetInt64(out long end) || begin < 0 || end < begin)
        {
            throw new InvalidDataException($"Tensor '{name}': data_offsets must be two non-negative integers, begin ≤ end.");
        }

        var entry = new SafeTensorEntry(property.Name, dtype, shape.ToArray(), begin, end);
        int elementSize = DTypeSize(dtype);
        if (elementSize == 0)
        {
            throw new InvalidDataException($"Tensor '{name}': unknown dtype '{Shorten(dtype)}'.");
        }

        // The bytes the shape needs, stopping as soon as they pass the span (the product of the sizes could overflow).
        long span = end - begin;
        long needed = shape.Contains(0) ? 0 : elementSize;
        bool tooLarge = false;
        foreach (int size in shape)
        {
            tooLarge |= size != 0 && needed > span / size;
            needed = tooLarge ? needed : needed * size;
        }

        if (tooLarge || needed != span)
        {
            throw new InvalidDataException(tooLarge
                ? $"Tensor '{name}': shape {entry.ShapeText} of {dtype} needs more bytes than its data_offsets span ({span})."
                : $"Tensor '{name}': shape {entry.ShapeText} of {dtype} needs {needed} bytes, but data_offsets span {span}.");
        }

        return entry;
    }

    /// <summary>Decodes a floating-point tensor to doubles; other dtypes are refused, naming the tensor.</summary>
    public static double[] Decode(SafeTensorEntry entry, byte[] data, string displayName)
    {
        ReadOnlySpan<byte> bytes = data.AsSpan((int)entry.Begin, (int)(entry.End - entry.Begin));
        var values = new double[entry.ElementCount];
        switch (entry.DType)
        {
            case "F32":
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(4 * i));
                }

                break;
            case "F64":
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = BinaryPrimitives.ReadDoubleLittleEndian(bytes.Slice(8 * i));
                }

                break;
            case "F16":
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = (double)BinaryPrimitives.ReadHalfLittleEndian(bytes.Slice(2 * i));
                }

                break;
            case "BF16":
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes.Slice(2 * i)) << 16);
                }

                break;
            default:
                throw new InvalidDataException($"Tensor '{displayName}' has dtype {entry.DType}; expected a floating-point dtype (F32, F64, F16 or BF16).");
        }

        return values;
    }

    /// <summary>Writes tensors (name, shape, values) as safetensors, in the given order, in F32 or F64.</summary>
    public static void Write(Stream stream, IReadOnlyList<(string Name, int[] Shape, double[] Values)> tensors, bool doublePrecision, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(stream);
        int elementSize = doublePrecision ? 8 : 4;
        using var headerBuffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(headerBuffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            foreach (KeyValuePair<string, string> pair in metadata)
            {
                json.WriteString(pair.Key, pair.Value);
            }

            json.WriteEndObject();
            long offset = 0;
            foreach ((string name, int[] shape, double[] values) in tensors)
            {
                json.WriteStartObject(name);
                json.WriteString("dtype", doublePrecision ? "F64" : "F32");
                json.WriteStartArray("shape");
                foreach (int dimension in shape)
                {
                    json.WriteNumberValue(dimension);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += (long)values.Length * elementSize;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        // The header is padded with spaces to a multiple of 8 bytes, so the data that follows is aligned.
        int padding = (int)((8 - headerBuffer.Length % 8) % 8);
        for (int i = 0; i < padding; i++)
        {
            headerBuffer.WriteByte((byte)' ');
        }

        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)headerBuffer.Length);
        stream.Write(prefix);
        headerBuffer.Position = 0;
        headerBuffer.CopyTo(stream);
        byte[] chunk = new byte[elementSize * 1024];
        foreach ((_, _, double[] values) in tensors)
        {
            for (int start = 0; start < values.Length; start += 1024)
            {
                int count = Math.Min(1024, values.Length - start);
                for (int i = 0; i < count; i++)
                {
                    if (doublePrecision)
                    {
                        BinaryPrimitives.WriteDoubleLittleEndian(chunk.AsSpan(8 * i), values[start + i]);
                    }
                    else
                    {
                        BinaryPrimitives.WriteSingleLittleEndian(chunk.AsSpan(4 * i), (float)values[start + i]);
                    }
                }

                stream.Write(chunk, 0, count * elementSize);
            }
        }
    }
}
