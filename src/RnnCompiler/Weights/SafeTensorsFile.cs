using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;

namespace RnnCompiler.Weights;

/// <summary>
/// The safetensors format (an 8-byte little-endian header length, a JSON header of tensor entries, then the raw
/// little-endian data), read strictly: every offset, size and length is checked before any data is used.
/// </summary>
internal static class SafeTensorsFile
{
    /// <summary>Reads the header and the data section. Throws <see cref="InvalidDataException"/> for anything malformed.</summary>
    public static (Dictionary<string, SafeTensorEntry> Entries, byte[] Data) Read(Stream stream) => Read(stream, out _);

    /// <summary>Reads the header, its string metadata and the data section.</summary>
    public static (Dictionary<string, SafeTensorEntry> Entries, byte[] Data) Read(Stream stream, out Dictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] prefix = new byte[8];
        ReadExactly(stream, prefix, "the 8-byte header length");
        long headerLength = SafeTensorsHeader.ReadLength(prefix, 0);
        if (stream.CanSeek && headerLength > stream.Length - stream.Position)
        {
            if (WeightFormats.Describe(prefix, 0) is string format)
            {
                throw new InvalidDataException(format);
            }

            throw new InvalidDataException($"The safetensors header claims {headerLength} bytes, past the end of the file ({stream.Length - stream.Position} bytes remain).");
        }

        // A stream of unknown length gets the header in chunks as it arrives: an 8-byte input claiming a 100 MB header
        // fails as truncated without allocating what it claims.
        byte[] header = stream.CanSeek ? new byte[(int)headerLength] : ReadGrowing(stream, headerLength, "header");
        if (stream.CanSeek)
        {
            ReadExactly(stream, header, $"the {headerLength}-byte header");
        }

        SafeTensorsHeader parsed = SafeTensorsHeader.Parse(header, 0, header.Length);
        Dictionary<string, SafeTensorEntry> entries = parsed.Entries;
        metadata = parsed.Metadata;
        long dataLength = parsed.DataLength;

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
