using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;

namespace RnnCompiler.Tests.Oracles;

/// <summary>
/// A minimal protocol-buffers writer, enough to write an ONNX <c>ModelProto</c> by hand (no generated classes,
/// no protobuf package). Field numbers are those of onnx/onnx.proto; the ONNX-specific helpers are at the bottom.
/// </summary>
internal sealed class OnnxProtoWriter
{
    private const int Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5;

    private readonly List<byte> _bytes = [];

    public byte[] ToArray() => [.. _bytes];

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }

        _bytes.Add((byte)value);
    }

    private void WriteTag(int field, int wireType) => WriteVarint(((ulong)field << 3) | (uint)wireType);

    /// <summary>An int32/int64/enum field; negative values take ten bytes (two's complement), as protobuf requires.</summary>
    public OnnxProtoWriter Int(int field, long value)
    {
        WriteTag(field, Varint);
        WriteVarint((ulong)value);
        return this;
    }

    public OnnxProtoWriter Float(int field, float value)
    {
        WriteTag(field, Fixed32);
        Span<byte> buffer = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(buffer, value);
        foreach (var b in buffer) _bytes.Add(b);
        return this;
    }

    public OnnxProtoWriter Double(int field, double value)
    {
        WriteTag(field, Fixed64);
        Span<byte> buffer = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(buffer, value);
        foreach (var b in buffer) _bytes.Add(b);
        return this;
    }

    public OnnxProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        WriteTag(field, LengthDelimited);
        WriteVarint((ulong)value.Length);
        foreach (var b in value) _bytes.Add(b);
        return this;
    }

    public OnnxProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>An embedded message: written into its own buffer first so its length can prefix it.</summary>
    public OnnxProtoWriter Message(int field, Action<OnnxProtoWriter> write)
    {
        var inner = new OnnxProtoWriter();
        write(inner);
        return Bytes(field, inner.ToArray());
    }

    // ---- ONNX messages (onnx.proto field numbers) -----------------------------------------------------------

    /// <summary>ModelProto: ir_version = 1, producer_name = 2, graph = 7, opset_import = 8 (OperatorSetIdProto: domain = 1, version = 2).</summary>
    public static byte[] Model(long irVersion, long opsetVersion, Action<OnnxProtoWriter> graph)
    {
        var model = new OnnxProtoWriter()
            .Int(1, irVersion)
            .String(2, "RnnCompiler.Tests")
            .Message(7, graph)
            .Message(8, opset => opset.String(1, "").Int(2, opsetVersion));
        return model.ToArray();
    }

    /// <summary>GraphProto.node = 1 → NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5.</summary>
    public OnnxProtoWriter Node(string opType, string name, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, Action<OnnxProtoWriter> attributes) =>
        Message(1, node =>
        {
            foreach (var input in inputs) node.String(1, input);
            foreach (var output in outputs) node.String(2, output);
            node.String(3, name).String(4, opType);
            attributes(node);
        });

    /// <summary>GraphProto.name = 2.</summary>
    public OnnxProtoWriter GraphName(string name) => String(2, name);

    /// <summary>GraphProto.initializer = 5 → TensorProto: dims = 1, data_type = 2 (FLOAT = 1), name = 8, raw_data = 9 (little-endian).</summary>
    public OnnxProtoWriter FloatInitializer(string name, long[] dims, ReadOnlySpan<float> values)
    {
        var raw = new byte[values.Length * sizeof(float)];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * sizeof(float)), values[i]);
        }

        return Message(5, tensor =>
        {
            foreach (var dim in dims) tensor.Int(1, dim);
            tensor.Int(2, 1).String(8, name).Bytes(9, raw);
        });
    }

    /// <summary>GraphProto.input = 11.</summary>
    public OnnxProtoWriter FloatInput(string name, params long[] dims) => Message(11, value => value.FloatValueInfo(name, dims));

    /// <summary>GraphProto.output = 12.</summary>
    public OnnxProtoWriter FloatOutput(string name, params long[] dims) => Message(12, value => value.FloatValueInfo(name, dims));

    // ValueInfoProto: name = 1, type = 2 → TypeProto.tensor_type = 1 → Tensor: elem_type = 1, shape = 2
    // → TensorShapeProto.dim = 1 → Dimension.dim_value = 1.
    private void FloatValueInfo(string name, long[] dims)
    {
        String(1, name);
        Message(2, type => type.Message(1, tensor =>
        {
            tensor.Int(1, 1);
            tensor.Message(2, shape =>
            {
                foreach (var dim in dims) shape.Message(1, d => d.Int(1, dim));
            });
        }));
    }

    // NodeProto.attribute = 5 → AttributeProto: name = 1, f = 2, i = 3, s = 4, ints = 8, strings = 9,
    // type = 20 (FLOAT = 1, INT = 2, STRING = 3, INTS = 7, STRINGS = 8).

    public OnnxProtoWriter IntAttribute(string name, long value) => Message(5, a => a.String(1, name).Int(3, value).Int(20, 2));

    public OnnxProtoWriter FloatAttribute(string name, float value) => Message(5, a => a.String(1, name).Float(2, value).Int(20, 1));

    public OnnxProtoWriter StringAttribute(string name, string value) => Message(5, a => a.String(1, name).String(4, value).Int(20, 3));

    public OnnxProtoWriter StringsAttribute(string name, params string[] values) => Message(5, a =>
    {
        a.String(1, name);
        foreach (var value in values) a.String(9, value);
        a.Int(20, 8);
    });
}
