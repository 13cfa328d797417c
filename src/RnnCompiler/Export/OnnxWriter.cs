using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace RnnCompiler.Export;

/// <summary>
/// A minimal protocol-buffers writer, enough for an ONNX <c>ModelProto</c> (no generated classes, no protobuf
/// package). Field numbers are those of onnx/onnx.proto; the ONNX-specific helpers are at the bottom.
/// </summary>
internal sealed class OnnxWriter
{
    private const int Varint = 0, LengthDelimited = 2, Fixed32 = 5;

    private readonly MemoryStream _bytes = new();

    public byte[] ToArray() => _bytes.ToArray();

    public void CopyTo(Stream stream)
    {
        _bytes.Position = 0;
        _bytes.CopyTo(stream);
    }

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _bytes.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        _bytes.WriteByte((byte)value);
    }

    private void WriteTag(int field, int wireType) => WriteVarint(((ulong)field << 3) | (uint)wireType);

    /// <summary>An int32/int64/enum field; negative values take ten bytes (two's complement), as protobuf requires.</summary>
    public OnnxWriter Int(int field, long value)
    {
        WriteTag(field, Varint);
        WriteVarint((ulong)value);
        return this;
    }

    public OnnxWriter Float(int field, float value)
    {
        WriteTag(field, Fixed32);
        Span<byte> buffer = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(buffer, value);
        _bytes.Write(buffer);
        return this;
    }

    public OnnxWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        WriteTag(field, LengthDelimited);
        WriteVarint((ulong)value.Length);
        _bytes.Write(value);
        return this;
    }

    public OnnxWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>An embedded message: written into its own buffer first so its length can prefix it.</summary>
    public OnnxWriter Message(int field, Action<OnnxWriter> write)
    {
        var inner = new OnnxWriter();
        write(inner);
        return Bytes(field, inner._bytes.GetBuffer().AsSpan(0, (int)inner._bytes.Length));
    }

    // ---- ONNX messages (onnx.proto field numbers) -----------------------------------------------------------

    /// <summary>GraphProto.node = 1 → NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5.</summary>
    public OnnxWriter Node(string opType, string name, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, Action<OnnxWriter>? attributes = null) =>
        Message(1, node =>
        {
            foreach (string input in inputs)
            {
                node.String(1, input);
            }

            foreach (string output in outputs)
            {
                node.String(2, output);
            }

            node.String(3, name).String(4, opType);
            attributes?.Invoke(node);
        });

    /// <summary>GraphProto.initializer = 5 → TensorProto: dims = 1, data_type = 2 (FLOAT = 1), name = 8, raw_data = 9 (little-endian).</summary>
    public OnnxWriter FloatInitializer(string name, long[] dims, ReadOnlySpan<float> values)
    {
        var raw = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * sizeof(float)), values[i]);
        }

        return Message(5, tensor =>
        {
            foreach (long dim in dims)
            {
                tensor.Int(1, dim);
            }

            tensor.Int(2, 1).String(8, name).Bytes(9, raw);
        });
    }

    /// <summary>An INT64 (data_type 7) initializer of one dimension.</summary>
    public OnnxWriter Int64Initializer(string name, params long[] values)
    {
        var raw = new byte[values.Length * sizeof(long)];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(i * sizeof(long)), values[i]);
        }

        return Message(5, tensor => tensor.Int(1, values.Length).Int(2, 7).String(8, name).Bytes(9, raw));
    }

    /// <summary>GraphProto.input = 11, with element type FLOAT (1) or INT64 (7) and named or fixed dimensions.</summary>
    public OnnxWriter Input(string name, int elementType, params object[] dims) => Message(11, value => value.ValueInfo(name, elementType, dims));

    /// <summary>GraphProto.output = 12.</summary>
    public OnnxWriter Output(string name, int elementType, params object[] dims) => Message(12, value => value.ValueInfo(name, elementType, dims));

    // ValueInfoProto: name = 1, type = 2 → TypeProto.tensor_type = 1 → Tensor: elem_type = 1, shape = 2
    // → TensorShapeProto.dim = 1 → Dimension: dim_value = 1, dim_param = 2.
    private void ValueInfo(string name, int elementType, object[] dims)
    {
        String(1, name);
        Message(2, type => type.Message(1, tensor =>
        {
            tensor.Int(1, elementType);
            tensor.Message(2, shape =>
            {
                foreach (object dim in dims)
                {
                    shape.Message(1, d =>
                    {
                        if (dim is string param)
                        {
                            d.String(2, param);
                        }
                        else
                        {
                            d.Int(1, Convert.ToInt64(dim, System.Globalization.CultureInfo.InvariantCulture));
                        }
                    });
                }
            });
        }));
    }

    // NodeProto.attribute = 5 → AttributeProto: name = 1, f = 2, i = 3, s = 4, floats = 7, ints = 8, strings = 9,
    // type = 20 (FLOAT = 1, INT = 2, STRING = 3, FLOATS = 6, INTS = 7, STRINGS = 8).

    public OnnxWriter IntAttribute(string name, long value) => Message(5, a => a.String(1, name).Int(3, value).Int(20, 2));

    public OnnxWriter FloatAttribute(string name, float value) => Message(5, a => a.String(1, name).Float(2, value).Int(20, 1));

    public OnnxWriter StringAttribute(string name, string value) => Message(5, a => a.String(1, name).String(4, value).Int(20, 3));

    public OnnxWriter IntsAttribute(string name, params long[] values) => Message(5, a =>
    {
        a.String(1, name);
        foreach (long value in values)
        {
            a.Int(8, value);
        }

        a.Int(20, 7);
    });

    public OnnxWriter FloatsAttribute(string name, params float[] values) => Message(5, a =>
    {
        a.String(1, name);
        foreach (float value in values)
        {
            a.Float(7, value);
        }

        a.Int(20, 6);
    });

    public OnnxWriter StringsAttribute(string name, params string[] values) => Message(5, a =>
    {
        a.String(1, name);
        foreach (string value in values)
        {
            a.String(9, value);
        }

        a.Int(20, 8);
    });
}
