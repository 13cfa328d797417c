using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RnnCompiler.Tests.Reference;

namespace RnnCompiler.Tests.EndToEnd;

// Test-side safetensors, Keras layout and PyTorch conversion, written from the format's and the frameworks'
// documentation without calling anything in src/, so that the weight-file tests are an independent check.

/// <summary>One tensor to write: its name, dtype, shape and raw little-endian bytes.</summary>
internal sealed record TestTensor(string Name, string DType, int[] Shape, byte[] Data);

/// <summary>One entry of a parsed safetensors header.</summary>
internal sealed record HeaderEntry(string Name, string DType, int[] Shape, long Begin, long End);

/// <summary>Writes and reads safetensors files byte by byte.</summary>
internal static class SafeTensorsTestWriter
{
    /// <summary>An 8-byte little-endian header length, the JSON header, then the data; offsets relative to the data.</summary>
    public static byte[] Write(IEnumerable<TestTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is not null)
        {
            var meta = new JsonObject();
            foreach (KeyValuePair<string, string> pair in metadata)
            {
                meta[pair.Key] = pair.Value;
            }

            header["__metadata__"] = meta;
        }

        using var data = new MemoryStream();
        foreach (TestTensor tensor in tensors)
        {
            long begin = data.Length;
            data.Write(tensor.Data);
            header[tensor.Name] = new JsonObject
            {
                ["dtype"] = tensor.DType,
                ["shape"] = new JsonArray(tensor.Shape.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
                ["data_offsets"] = new JsonArray(JsonValue.Create(begin), JsonValue.Create(data.Length)),
            };
        }

        return Assemble(Encoding.UTF8.GetBytes(header.ToJsonString()), data.ToArray());
    }

    /// <summary>The prefix, the given header bytes, then the data, with nothing checked.</summary>
    public static byte[] Assemble(byte[] header, byte[] data, ulong? claimedHeaderLength = null)
    {
        var file = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, claimedHeaderLength ?? (ulong)header.Length);
        header.CopyTo(file, 8);
        data.CopyTo(file, 8 + header.Length);
        return file;
    }

    /// <summary>The header length, the header as JSON and the data section of a well-formed file.</summary>
    public static (JsonObject Header, byte[] Data, long HeaderLength) Split(byte[] file)
    {
        Assert(file.Length >= 8, "file shorter than the 8-byte prefix");
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(file);
        Assert(length <= (ulong)(file.Length - 8), "header length past the end of the file");
        string json = Encoding.UTF8.GetString(file, 8, (int)length);
        JsonObject header = JsonNode.Parse(json)!.AsObject();
        byte[] data = file.AsSpan(8 + (int)length).ToArray();
        return (header, data, (long)length);
    }

    /// <summary>The tensor entries of a file's header (without <c>__metadata__</c>), in header order.</summary>
    public static List<HeaderEntry> Entries(byte[] file)
    {
        (JsonObject header, _, _) = Split(file);
        var entries = new List<HeaderEntry>();
        foreach (KeyValuePair<string, JsonNode?> pair in header)
        {
            if (pair.Key == "__metadata__")
            {
                continue;
            }

            JsonObject entry = pair.Value!.AsObject();
            int[] shape = entry["shape"]!.AsArray().Select(node => node!.GetValue<int>()).ToArray();
            JsonArray offsets = entry["data_offsets"]!.AsArray();
            entries.Add(new HeaderEntry(pair.Key, entry["dtype"]!.GetValue<string>(), shape, offsets[0]!.GetValue<long>(), offsets[1]!.GetValue<long>()));
        }

        return entries;
    }

    /// <summary>The tensors of a well-formed file, with their data, in header order.</summary>
    public static List<TestTensor> ReadTensors(byte[] file)
    {
        (_, byte[] data, _) = Split(file);
        return Entries(file).Select(e => new TestTensor(e.Name, e.DType, e.Shape, data.AsSpan((int)e.Begin, (int)(e.End - e.Begin)).ToArray())).ToList();
    }

    /// <summary>Rewrites the JSON header of <paramref name="file"/> with <paramref name="edit"/>, keeping the data bytes.</summary>
    public static byte[] EditHeader(byte[] file, Action<JsonObject> edit)
    {
        (JsonObject header, byte[] data, _) = Split(file);
        edit(header);
        return Assemble(Encoding.UTF8.GetBytes(header.ToJsonString()), data);
    }

    public static byte[] Encode(ReadOnlySpan<double> values, string dtype)
    {
        int size = dtype switch { "F64" => 8, "F32" or "I32" => 4, "F16" or "BF16" => 2, _ => throw new ArgumentException(dtype) };
        var bytes = new byte[values.Length * size];
        for (int i = 0; i < values.Length; i++)
        {
            Span<byte> slot = bytes.AsSpan(i * size, size);
            switch (dtype)
            {
                case "F64": BinaryPrimitives.WriteDoubleLittleEndian(slot, values[i]); break;
                case "F32": BinaryPrimitives.WriteSingleLittleEndian(slot, (float)values[i]); break;
                case "I32": BinaryPrimitives.WriteInt32LittleEndian(slot, (int)Math.Round(values[i] * 1000)); break;
                case "F16": BinaryPrimitives.WriteHalfLittleEndian(slot, (Half)values[i]); break;
                default: BinaryPrimitives.WriteUInt16LittleEndian(slot, ToBFloat16((float)values[i])); break;
            }
        }

        return bytes;
    }

    public static byte[] Encode(ReadOnlySpan<float> values, string dtype)
    {
        var wide = new double[values.Length];
        for (int i = 0; i < wide.Length; i++)
        {
            wide[i] = values[i];
        }

        return Encode(wide, dtype);
    }

    public static float[] DecodeF32(ReadOnlySpan<byte> bytes)
    {
        var values = new float[bytes.Length / 4];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(4 * i));
        }

        return values;
    }

    /// <summary>bfloat16: the top 16 bits of a float, rounded to nearest, ties to even.</summary>
    public static ushort ToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    public static float FromBFloat16(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    private static void Assert(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException("Test file helper: " + what);
        }
    }
}

internal enum TestLayerKind { Embedding, Dense, SimpleRnn, Lstm, Gru, Normalization }

internal enum TestRole { Embeddings, Kernel, RecurrentKernel, Bias, Mean, Variance, Count }

/// <summary>One Keras weight tensor of a layer, as the test expects it.</summary>
internal sealed record KerasTensor(KerasLayer Layer, string Name, TestRole Role, bool Backward, int[] Shape, int Offset)
{
    public int Length => Shape.Aggregate(1, (a, b) => a * b);
}

/// <summary>One weighted Keras layer as the test expects it, derived from the naive reference's layer list.</summary>
internal sealed record KerasLayer(TestLayerKind Kind, string Name, string InnerName, int InputSize, int Units, bool Bidirectional, bool ResetAfter)
{
    public int Gates => Kind switch { TestLayerKind.Lstm => 4, TestLayerKind.Gru => 3, _ => 1 };

    public List<KerasTensor> Tensors { get; } = new();
}

/// <summary>Keras names, shapes and flat offsets of a Sequential model, computed from its <see cref="RefLayer"/> list.</summary>
internal static class KerasLayout
{
    public static List<KerasLayer> Of(RefLayer[] layers)
    {
        var counters = new Dictionary<string, int>();
        string NextName(string kind)
        {
            counters.TryGetValue(kind, out int count);
            counters[kind] = count + 1;
            return count == 0 ? kind : kind + "_" + count;
        }

        var result = new List<KerasLayer>();
        int width = 0;
        int offset = 0;
        foreach (RefLayer layer in layers)
        {
            KerasLayer? keras = null;
            switch (layer)
            {
                case RefInput input:
                    width = input.Features;
                    break;
                case RefEmbedding embedding:
                {
                    string name = NextName("embedding");
                    keras = new KerasLayer(TestLayerKind.Embedding, name, name, embedding.Vocabulary, embedding.Dimensions, false, false);
                    width = embedding.Dimensions;
                    break;
                }

                case RefDense dense:
                {
                    string name = NextName("dense");
                    keras = new KerasLayer(TestLayerKind.Dense, name, name, width, dense.Units, false, false);
                    width = dense.Units;
                    break;
                }

                case RefNormalization:
                {
                    string name = NextName("normalization");
                    keras = new KerasLayer(TestLayerKind.Normalization, name, name, width, width, false, false);
                    break;
                }

                case RefSimpleRnn rnn:
                    keras = Recurrent(TestLayerKind.SimpleRnn, "simple_rnn", rnn.Units, rnn.Bidirectional, false, ref width, rnn.Merge);
                    break;
                case RefLstm lstm:
                    keras = Recurrent(TestLayerKind.Lstm, "lstm", lstm.Units, lstm.Bidirectional, false, ref width, lstm.Merge);
                    break;
                case RefGru gru:
                    keras = Recurrent(TestLayerKind.Gru, "gru", gru.Units, gru.Bidirectional, gru.ResetAfter, ref width, gru.Merge);
                    break;
                default:
                    throw new ArgumentException("Unknown layer " + layer);
            }

            if (keras is null)
            {
                continue;
            }

            KerasLayer current = keras;
            void Add(string name, TestRole role, bool backward, params int[] shape)
            {
                var tensor = new KerasTensor(current, name, role, backward, shape, offset);
                current.Tensors.Add(tensor);
                offset += tensor.Length;
            }

            switch (keras.Kind)
            {
                case TestLayerKind.Embedding:
                    Add(keras.Name + "/embeddings", TestRole.Embeddings, false, keras.InputSize, keras.Units);
                    break;
                case TestLayerKind.Dense:
                    Add(keras.Name + "/kernel", TestRole.Kernel, false, keras.InputSize, keras.Units);
                    Add(keras.Name + "/bias", TestRole.Bias, false, keras.Units);
                    break;
                case TestLayerKind.Normalization:
                    // Keras's build: mean and variance [features], then the scalar count (shape ()).
                    Add(keras.Name + "/mean", TestRole.Mean, false, keras.Units);
                    Add(keras.Name + "/variance", TestRole.Variance, false, keras.Units);
                    Add(keras.Name + "/count", TestRole.Count, false);
                    break;
                default:
                    foreach (bool backward in keras.Bidirectional ? new[] { false, true } : new[] { false })
                    {
                        string prefix = keras.Bidirectional ? $"{keras.Name}/{(backward ? "backward" : "forward")}_{keras.InnerName}" : keras.Name;
                        int gatesWidth = keras.Gates * keras.Units;
                        Add(prefix + "/kernel", TestRole.Kernel, backward, keras.InputSize, gatesWidth);
                        Add(prefix + "/recurrent_kernel", TestRole.RecurrentKernel, backward, keras.Units, gatesWidth);
                        if (keras.Kind == TestLayerKind.Gru && keras.ResetAfter)
                        {
                            Add(prefix + "/bias", TestRole.Bias, backward, 2, gatesWidth);
                        }
                        else
                        {
                            Add(prefix + "/bias", TestRole.Bias, backward, gatesWidth);
                        }
                    }

                    break;
            }

            result.Add(keras);
        }

        return result;

        KerasLayer Recurrent(TestLayerKind kind, string baseName, int units, bool bidirectional, bool resetAfter, ref int currentWidth, RefMerge merge)
        {
            string inner = NextName(baseName);
            string name = bidirectional ? NextName("bidirectional") : inner;
            var layer = new KerasLayer(kind, name, inner, currentWidth, units, bidirectional, resetAfter);
            currentWidth = bidirectional && merge == RefMerge.Concat ? 2 * units : units;
            return layer;
        }
    }

    public static IEnumerable<KerasTensor> AllTensors(this List<KerasLayer> layers) => layers.SelectMany(layer => layer.Tensors);

    public static int ParameterCount(this List<KerasLayer> layers) => layers.AllTensors().Sum(tensor => tensor.Length);
}

/// <summary>Keras parameters → a PyTorch <c>state_dict</c> (nn.Embedding, nn.Linear, nn.RNN, nn.LSTM, nn.GRU).</summary>
internal static class PyTorchExport
{
    /// <summary>
    /// The state_dict tensors (name, PyTorch shape, values) for <paramref name="parameters"/>, and the Keras parameters a
    /// loader must reconstruct: equal to <paramref name="parameters"/> except that a LSTM or SimpleRNN bias becomes
    /// bias_ih + bias_hh as summed in double and rounded to float (the split below is arbitrary).
    /// </summary>
    /// <param name="useInnerName">For a bidirectional layer, name the module after the wrapped layer (<c>lstm</c>) instead of the wrapper.</param>
    /// <param name="modules">The module and layer index of a layer, by its Keras name, where a PyTorch model names it otherwise (<c>rnn</c>, 1 for <c>rnn.weight_ih_l1</c>).</param>
    public static (List<(string Name, int[] Shape, double[] Values)> Tensors, float[] Expected) Convert(List<KerasLayer> layers, ReadOnlySpan<float> parameters, bool useInnerName = false, IReadOnlyDictionary<string, (string Module, int Index)>? modules = null)
    {
        var tensors = new List<(string, int[], double[])>();
        float[] expected = parameters.ToArray();
        var random = new Random(12345);
        foreach (KerasLayer layer in layers)
        {
            string module = layer.Bidirectional && useInnerName ? layer.InnerName : layer.Name;
            int index = 0;
            if (modules is not null && modules.TryGetValue(layer.Name, out (string Module, int Index) named))
            {
                (module, index) = named;
            }

            switch (layer.Kind)
            {
                case TestLayerKind.Embedding:
                {
                    KerasTensor table = layer.Tensors[0];
                    tensors.Add((module + ".weight", new[] { layer.InputSize, layer.Units }, Wide(parameters.Slice(table.Offset, table.Length))));
                    continue;
                }

                case TestLayerKind.Normalization:
                {
                    // PyTorch has no such layer: the statistics travel as buffers of a module of the layer's name; count is 0.
                    tensors.Add((module + ".mean", new[] { layer.Units }, Wide(parameters.Slice(layer.Tensors[0].Offset, layer.Units))));
                    tensors.Add((module + ".variance", new[] { layer.Units }, Wide(parameters.Slice(layer.Tensors[1].Offset, layer.Units))));
                    expected[layer.Tensors[2].Offset] = 0;
                    continue;
                }

                case TestLayerKind.Dense:
                {
                    KerasTensor kernel = layer.Tensors[0];
                    KerasTensor bias = layer.Tensors[1];
                    var weight = new double[layer.Units * layer.InputSize];
                    for (int o = 0; o < layer.Units; o++)
                    {
                        for (int i = 0; i < layer.InputSize; i++)
                        {
                            weight[o * layer.InputSize + i] = parameters[kernel.Offset + i * layer.Units + o];
                        }
                    }

                    tensors.Add((module + ".weight", new[] { layer.Units, layer.InputSize }, weight));
                    tensors.Add((module + ".bias", new[] { layer.Units }, Wide(parameters.Slice(bias.Offset, bias.Length))));
                    continue;
                }
            }

            int u = layer.Units;
            int g = layer.Gates;
            int w = g * u;

            // PyTorch block tb holds Keras block KerasBlock(tb): GRU r, z, n against Keras z, r, h; LSTM i, f, g, o both.
            int KerasBlock(int torchBlock) => layer.Kind == TestLayerKind.Gru && torchBlock < 2 ? 1 - torchBlock : torchBlock;

            foreach (bool backward in layer.Bidirectional ? new[] { false, true } : new[] { false })
            {
                string suffix = "_l" + index + (backward ? "_reverse" : "");
                KerasTensor kernel = layer.Tensors.Single(t => t.Backward == backward && t.Role == TestRole.Kernel);
                KerasTensor recurrent = layer.Tensors.Single(t => t.Backward == backward && t.Role == TestRole.RecurrentKernel);
                KerasTensor bias = layer.Tensors.Single(t => t.Backward == backward && t.Role == TestRole.Bias);
                tensors.Add((module + ".weight_ih" + suffix, new[] { w, layer.InputSize }, TorchWeight(parameters.Slice(kernel.Offset, kernel.Length), layer.InputSize)));
                tensors.Add((module + ".weight_hh" + suffix, new[] { w, u }, TorchWeight(parameters.Slice(recurrent.Offset, recurrent.Length), u)));
                var biasIh = new double[w];
                var biasHh = new double[w];
                for (int tb = 0; tb < g; tb++)
                {
                    int kb = KerasBlock(tb);
                    for (int j = 0; j < u; j++)
                    {
                        if (layer.Kind == TestLayerKind.Gru)
                        {
                            biasIh[tb * u + j] = parameters[bias.Offset + kb * u + j];
                            biasHh[tb * u + j] = parameters[bias.Offset + w + kb * u + j];
                        }
                        else
                        {
                            float total = parameters[bias.Offset + kb * u + j];
                            float part = (float)(random.NextDouble() - 0.5);
                            float rest = total - part;
                            biasIh[tb * u + j] = part;
                            biasHh[tb * u + j] = rest;
                            expected[bias.Offset + kb * u + j] = (float)((double)part + rest);
                        }
                    }
                }

                tensors.Add((module + ".bias_ih" + suffix, new[] { w }, biasIh));
                tensors.Add((module + ".bias_hh" + suffix, new[] { w }, biasHh));
            }

            double[] TorchWeight(ReadOnlySpan<float> keras, int columns)
            {
                // Keras [columns, w] → PyTorch [w, columns], gate blocks reordered.
                var torch = new double[w * columns];
                for (int tb = 0; tb < g; tb++)
                {
                    int kb = KerasBlock(tb);
                    for (int j = 0; j < u; j++)
                    {
                        for (int c = 0; c < columns; c++)
                        {
                            torch[(tb * u + j) * columns + c] = keras[c * w + kb * u + j];
                        }
                    }
                }

                return torch;
            }
        }

        return (tensors, expected);
    }

    public static byte[] File(List<(string Name, int[] Shape, double[] Values)> tensors, string dtype = "F32") =>
        SafeTensorsTestWriter.Write(
            tensors.Select(t => new TestTensor(t.Name, dtype, t.Shape, SafeTensorsTestWriter.Encode(t.Values, dtype))),
            new Dictionary<string, string> { ["format"] = "pt" });

    private static double[] Wide(ReadOnlySpan<float> values)
    {
        var wide = new double[values.Length];
        for (int i = 0; i < wide.Length; i++)
        {
            wide[i] = values[i];
        }

        return wide;
    }
}

/// <summary>A read-only, non-seekable view of bytes that counts what is read, like a network stream.</summary>
internal sealed class NonSeekableStream(byte[] bytes, bool endless = false) : Stream
{
    private long _position;

    /// <summary>The bytes handed out so far.</summary>
    public long BytesRead => _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = 0;
        while (n < buffer.Length)
        {
            if (_position < bytes.Length)
            {
                buffer[n++] = bytes[_position++];
            }
            else if (endless)
            {
                // Past the given bytes, an endless run of spaces (valid JSON whitespace).
                buffer[n++] = (byte)' ';
                _position++;
            }
            else
            {
                break;
            }
        }

        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
