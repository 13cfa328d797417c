using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using RnnCompiler.Tests.Models;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>
/// SaveWeights / LoadWeights against a test-side safetensors reader and writer and a test-side Keras → PyTorch
/// conversion: Keras names, shapes and data; PyTorch state_dicts; other dtypes; damaged files.
/// </summary>
public class WeightFileTests
{
    public static IEnumerable<object[]> RoundTripNames() =>
        new[] { "Lstm3", "SimpleRnnTanh3", "GruAfter3", "GruBefore3", "BiLstm3", "BiGruAfter3", "BiGruBefore3", "BiSimpleRnn3", "DeepStack", "DenseFirst", "DenseOnly", "TokenGru", "TokenTagger", "Sentiment" }
            .Select(name => new object[] { name });

    /// <summary>Every model that PyTorch weights can be converted to: no GRU with ResetAfter = false.</summary>
    public static IEnumerable<object[]> PyTorchNames() =>
        ModelCatalog.All
            .Where(c => !KerasLayout.Of(c.Layers).Any(l => l.Kind == TestLayerKind.Gru && !l.ResetAfter))
            .Select(c => new object[] { c.Name });

    // ---------------------------------------------------------------- Keras files: round trip and contents

    [Theory]
    [MemberData(nameof(RoundTripNames))]
    public void Save_then_Load_into_a_fresh_model_restores_Parameters_bit_exactly(string name)
    {
        ModelCase modelCase = ModelCase.Get(name);
        IRnnModel<float> source = modelCase.Create();
        float[] original = TestData.Parameters(source.Info, seed: name.Length + 1);
        original.CopyTo(source.Parameters);
        original[0] = -0.0f; // a signed zero must survive too
        source.Parameters[0] = -0.0f;
        using var stream = new MemoryStream();
        source.SaveWeights(stream);
        Assert.True(stream.CanWrite, "SaveWeights must leave the stream open.");

        IRnnModel<float> target = modelCase.Create();
        target.InitializeWeights(987);
        Assert.False(Bits(target.Parameters).SequenceEqual(Bits(original)), "the target must start with other weights");
        stream.Position = 0;
        target.LoadWeights(stream);
        Assert.True(stream.CanRead, "LoadWeights must leave the stream open.");
        AssertBitEqual(original, target.Parameters, name);
    }

    [Theory]
    [MemberData(nameof(ModelCase.Names), MemberType = typeof(ModelCase))]
    public void Saved_header_lists_exactly_the_Keras_names_and_shapes_with_data_in_flat_order(string name)
    {
        ModelCase modelCase = ModelCase.Get(name);
        IRnnModel<float> model = modelCase.Create();
        List<KerasLayer> layout = KerasLayout.Of(modelCase.Layers);
        Assert.Equal(layout.ParameterCount(), model.Info.ParameterCount);
        Assert.Equal(layout.ParameterCount(), model.Parameters.Length);
        float[] parameters = TestData.Parameters(model.Info, seed: 3 * name.Length);
        parameters.CopyTo(model.Parameters);
        byte[] file = Save(model);

        (JsonObject header, byte[] data, long headerLength) = SafeTensorsTestWriter.Split(file);
        Assert.Equal(file.Length, 8 + headerLength + data.Length);
        List<HeaderEntry> entries = SafeTensorsTestWriter.Entries(file);
        List<KerasTensor> expected = layout.AllTensors().ToList();
        Assert.Equal(
            expected.Select(t => t.Name + " [" + string.Join(", ", t.Shape) + "]").Order(StringComparer.Ordinal),
            entries.Select(e => e.Name + " [" + string.Join(", ", e.Shape) + "]").Order(StringComparer.Ordinal));
        if (header.TryGetPropertyValue("__metadata__", out JsonNode? metadata))
        {
            Assert.IsType<JsonObject>(metadata);
        }

        long next = 0;
        foreach (KerasTensor tensor in expected)
        {
            HeaderEntry entry = entries.Single(e => e.Name == tensor.Name);
            Assert.Equal("F32", entry.DType);
            Assert.True(entry.Begin == next, $"{tensor.Name}: data begins at {entry.Begin}, expected {next} (flat order).");
            Assert.Equal(4L * tensor.Length, entry.End - entry.Begin);
            next = entry.End;
            float[] values = SafeTensorsTestWriter.DecodeF32(data.AsSpan((int)entry.Begin, (int)(entry.End - entry.Begin)));
            AssertBitEqual(parameters.AsSpan(tensor.Offset, tensor.Length).ToArray(), values, tensor.Name);
        }

        Assert.Equal(next, data.Length);
    }

    [Fact]
    public void Sentiment_file_has_the_documented_Keras_tensors()
    {
        byte[] file = Save(new Sentiment());
        Dictionary<string, int[]> shapes = SafeTensorsTestWriter.Entries(file).ToDictionary(e => e.Name, e => e.Shape);
        Assert.Equal(6, shapes.Count);
        Assert.Equal(new[] { 1000, 64 }, shapes["embedding/embeddings"]);
        Assert.Equal(new[] { 64, 512 }, shapes["lstm/kernel"]);
        Assert.Equal(new[] { 128, 512 }, shapes["lstm/recurrent_kernel"]);
        Assert.Equal(new[] { 512 }, shapes["lstm/bias"]);
        Assert.Equal(new[] { 128, 10 }, shapes["dense/kernel"]);
        Assert.Equal(new[] { 10 }, shapes["dense/bias"]);
    }

    [Fact]
    public void Bidirectional_and_GRU_files_use_the_Keras_wrapper_names_and_bias_shapes()
    {
        Dictionary<string, int[]> bi = SafeTensorsTestWriter.Entries(Save(new BiGruAfter3())).ToDictionary(e => e.Name, e => e.Shape);
        Assert.Equal(new[] { 5, 9 }, bi["bidirectional/forward_gru/kernel"]);
        Assert.Equal(new[] { 3, 9 }, bi["bidirectional/backward_gru/recurrent_kernel"]);
        Assert.Equal(new[] { 2, 9 }, bi["bidirectional/backward_gru/bias"]);

        Dictionary<string, int[]> before = SafeTensorsTestWriter.Entries(Save(new GruBefore3())).ToDictionary(e => e.Name, e => e.Shape);
        Assert.Equal(new[] { 9 }, before["gru/bias"]);

        Dictionary<string, int[]> lstm = SafeTensorsTestWriter.Entries(Save(new BiLstm3())).ToDictionary(e => e.Name, e => e.Shape);
        Assert.Contains("bidirectional/forward_lstm/kernel", lstm.Keys);
        Assert.Contains("bidirectional/backward_lstm/bias", lstm.Keys);

        string[] deep = SafeTensorsTestWriter.Entries(Save(new DeepStack())).Select(e => e.Name).ToArray();
        Assert.Contains("lstm/kernel", deep);
        Assert.Contains("bidirectional/forward_gru/kernel", deep);
        Assert.Contains("simple_rnn/recurrent_kernel", deep);
        Assert.Contains("dense/bias", deep);

        string[] denseFirst = SafeTensorsTestWriter.Entries(Save(new DenseFirst())).Select(e => e.Name).ToArray();
        Assert.Contains("dense/kernel", denseFirst);
        Assert.Contains("gru/bias", denseFirst);
        Assert.Contains("dense_1/kernel", denseFirst);
    }

    [Fact]
    public void A_Keras_file_written_by_the_test_loads_into_the_documented_offsets()
    {
        ModelCase modelCase = ModelCase.Get("DeepStack");
        List<KerasLayer> layout = KerasLayout.Of(modelCase.Layers);
        float[] parameters = TestData.Uniform(layout.ParameterCount(), seed: 41);

        // Written in reverse order, so the loader must go by name, not by position.
        byte[] file = SafeTensorsTestWriter.Write(layout.AllTensors().Reverse().Select(t =>
            new TestTensor(t.Name, "F32", t.Shape, SafeTensorsTestWriter.Encode(parameters.AsSpan(t.Offset, t.Length), "F32"))));
        IRnnModel<float> model = modelCase.Create();
        model.LoadWeights(new MemoryStream(file));
        AssertBitEqual(parameters, model.Parameters, "DeepStack");
    }

    [Fact]
    public void Load_reads_from_a_non_seekable_stream()
    {
        var source = new BiLstm3();
        TestData.Uniform(BiLstm3.ParameterCount, seed: 5).CopyTo(source.Parameters);
        var target = new BiLstm3();
        target.LoadWeights(new NonSeekableStream(Save(source)));
        AssertBitEqual(source.Parameters.ToArray(), target.Parameters, "BiLstm3");
    }

    // ---------------------------------------------------------------- PyTorch state_dicts

    [Theory]
    [InlineData("Lstm3", false)]
    [InlineData("Lstm13", false)]
    [InlineData("GruAfter3", false)]
    [InlineData("GruAfter13", false)]
    [InlineData("SimpleRnnTanh3", false)]
    [InlineData("BiLstm3", false)]
    [InlineData("BiLstm3", true)]
    [InlineData("BiGruAfter3", false)]
    [InlineData("BiGruAfter3", true)]
    [InlineData("BiSimpleRnn3", true)]
    [InlineData("DeepStack", false)]
    [InlineData("DeepStack", true)]
    [InlineData("DenseFirst", false)]
    [InlineData("TokenGru", false)]
    [InlineData("TokenTagger", false)]
    [InlineData("Sentiment", false)]
    public void PyTorch_state_dict_loads_to_the_same_Parameters_and_predictions(string name, bool innerNameForBidirectional)
    {
        ModelCase modelCase = ModelCase.Get(name);
        List<KerasLayer> layout = KerasLayout.Of(modelCase.Layers);
        float[] original = TestData.Uniform(layout.ParameterCount(), seed: 17 + name.Length);
        (List<(string Name, int[] Shape, double[] Values)> tensors, float[] expected) = PyTorchExport.Convert(layout, original, innerNameForBidirectional);
        TestData.AssertClose(original, expected, 1e-6, name + " (bias split sanity)");

        IRnnModel<float> model = modelCase.Create();
        model.LoadWeights(new MemoryStream(PyTorchExport.File(tensors)));
        AssertBitEqual(expected, model.Parameters, name);

        IRnnModel<float> reference = modelCase.Create();
        original.CopyTo(reference.Parameters);
        TestData.AssertClose(PredictAll(reference), PredictAll(model), 1e-5, name + " predictions");
    }

    [Theory]
    [MemberData(nameof(PyTorchNames))]
    public void PyTorch_state_dict_loads_for_every_convertible_model(string name)
    {
        ModelCase modelCase = ModelCase.Get(name);
        List<KerasLayer> layout = KerasLayout.Of(modelCase.Layers);
        float[] original = TestData.Uniform(layout.ParameterCount(), seed: 5 * name.Length);
        (List<(string Name, int[] Shape, double[] Values)> tensors, float[] expected) = PyTorchExport.Convert(layout, original, useInnerName: name.Length % 2 == 0);
        IRnnModel<float> model = modelCase.Create();
        model.LoadWeights(new MemoryStream(PyTorchExport.File(tensors)));
        AssertBitEqual(expected, model.Parameters, name);
    }

    [Fact]
    public void PyTorch_GRU_gates_are_reordered_r_z_n_to_z_r_h()
    {
        // A hand-made GRU: every PyTorch weight encodes its gate (1 = r, 2 = z, 3 = n), so the Keras blocks must read 2, 1, 3.
        var model = new GruAfter1(); // input 5, units 1
        double[] Gates(int columns) => Enumerable.Range(0, 3 * columns).Select(i => (double)(i / columns + 1)).ToArray();
        byte[] file = PyTorchExport.File(new List<(string, int[], double[])>
        {
            ("gru.weight_ih_l0", new[] { 3, 5 }, Gates(5)),
            ("gru.weight_hh_l0", new[] { 3, 1 }, Gates(1)),
            ("gru.bias_ih_l0", new[] { 3 }, new double[] { 10, 20, 30 }),
            ("gru.bias_hh_l0", new[] { 3 }, new double[] { 100, 200, 300 }),
        });
        model.LoadWeights(new MemoryStream(file));
        float[] kernel = Enumerable.Range(0, 5).SelectMany(_ => new float[] { 2, 1, 3 }).ToArray();
        float[] expected = kernel.Concat(new float[] { 2, 1, 3 }).Concat(new float[] { 20, 10, 30, 200, 100, 300 }).ToArray();
        AssertBitEqual(expected, model.Parameters, "GruAfter1");
    }

    [Fact]
    public void PyTorch_LSTM_bias_is_the_sum_of_bias_ih_and_bias_hh_and_kernels_are_transposed()
    {
        var model = new Lstm1(); // input 5, units 1: Keras kernel [5, 4]
        double[] weightIh = Enumerable.Range(0, 20).Select(i => (double)i).ToArray(); // [4, 5]
        byte[] file = PyTorchExport.File(new List<(string, int[], double[])>
        {
            ("lstm.weight_ih_l0", new[] { 4, 5 }, weightIh),
            ("lstm.weight_hh_l0", new[] { 4, 1 }, new double[] { 1, 2, 3, 4 }),
            ("lstm.bias_ih_l0", new[] { 4 }, new double[] { 1, 2, 3, 4 }),
            ("lstm.bias_hh_l0", new[] { 4 }, new double[] { 0.5, 0.25, 0.125, 8 }),
        });
        model.LoadWeights(new MemoryStream(file));
        var expected = new List<float>();
        for (int i = 0; i < 5; i++)
        {
            for (int gate = 0; gate < 4; gate++)
            {
                expected.Add(gate * 5 + i);
            }
        }

        expected.AddRange(new float[] { 1, 2, 3, 4, 1.5f, 2.25f, 3.125f, 12 });
        AssertBitEqual(expected.ToArray(), model.Parameters, "Lstm1");
    }

    [Theory]
    [InlineData("GruBefore3")]
    [InlineData("BiGruBefore3")]
    [InlineData("DeepStreaming")]
    [InlineData("GruBeforeManyToOne")]
    public void PyTorch_weights_into_a_GRU_with_ResetAfter_false_are_refused(string name)
    {
        ModelCase modelCase = ModelCase.Get(name);
        List<KerasLayer> layout = KerasLayout.Of(modelCase.Layers);
        float[] original = TestData.Uniform(layout.ParameterCount(), seed: 8);

        // PyTorch tensors as a reset-after GRU of the same size has them (PyTorch has no other GRU).
        Reference.RefLayer[] asResetAfter = modelCase.Layers.Select(l => l is Reference.RefGru gru ? gru with { ResetAfter = true } : l).ToArray();
        List<KerasLayer> torchLayout = KerasLayout.Of(asResetAfter);
        (List<(string Name, int[] Shape, double[] Values)> tensors, _) = PyTorchExport.Convert(torchLayout, TestData.Uniform(torchLayout.ParameterCount(), seed: 9));

        IRnnModel<float> model = modelCase.Create();
        original.CopyTo(model.Parameters);
        InvalidDataException error = Assert.Throws<InvalidDataException>(() => model.LoadWeights(new MemoryStream(PyTorchExport.File(tensors))));
        Assert.Contains("ResetAfter", error.Message);
        AssertBitEqual(original, model.Parameters, name);
    }

    [Fact]
    public void Keras_files_in_F64_load_exactly()
    {
        ModelCase modelCase = ModelCase.Get("BiGruAfter3");
        List<KerasLayer> layout = KerasLayout.Of(modelCase.Layers);
        float[] parameters = TestData.Uniform(layout.ParameterCount(), seed: 23);
        IRnnModel<float> model = modelCase.Create();
        model.LoadWeights(new MemoryStream(KerasFile(layout, parameters, "F64")));
        AssertBitEqual(parameters, model.Parameters, "F64");
    }

    [Theory]
    [InlineData("F16", 1e-3)]
    [InlineData("BF16", 8e-3)]
    public void Keras_files_in_16_bit_dtypes_load_converted(string dtype, double relative)
    {
        ModelCase modelCase = ModelCase.Get("TokenGru");
        List<KerasLayer> layout = KerasLayout.Of(modelCase.Layers);
        float[] parameters = TestData.Uniform(layout.ParameterCount(), seed: 29);
        IRnnModel<float> model = modelCase.Create();
        model.LoadWeights(new MemoryStream(KerasFile(layout, parameters, dtype)));
        Span<float> loaded = model.Parameters;
        for (int i = 0; i < parameters.Length; i++)
        {
            float exact = dtype == "F16" ? (float)(Half)parameters[i] : SafeTensorsTestWriter.FromBFloat16(SafeTensorsTestWriter.ToBFloat16(parameters[i]));
            Assert.True(Math.Abs(loaded[i] - parameters[i]) <= relative * Math.Abs(parameters[i]) + 1e-7, $"{dtype}: parameter {i} is {loaded[i]}, expected about {parameters[i]}.");
            Assert.True(BitConverter.SingleToInt32Bits(exact) == BitConverter.SingleToInt32Bits(loaded[i]), $"{dtype}: parameter {i} is {loaded[i]:R}, the {dtype} value is {exact:R}.");
        }
    }

    [Theory]
    [InlineData("F64")]
    [InlineData("F16")]
    [InlineData("BF16")]
    public void PyTorch_files_in_other_dtypes_load(string dtype)
    {
        ModelCase modelCase = ModelCase.Get("BiLstm3");
        List<KerasLayer> layout = KerasLayout.Of(modelCase.Layers);
        float[] original = TestData.Uniform(layout.ParameterCount(), seed: 31);
        (List<(string Name, int[] Shape, double[] Values)> tensors, float[] expected) = PyTorchExport.Convert(layout, original);
        IRnnModel<float> model = modelCase.Create();
        model.LoadWeights(new MemoryStream(PyTorchExport.File(tensors, dtype)));
        if (dtype == "F64")
        {
            AssertBitEqual(expected, model.Parameters, dtype);
        }
        else
        {
            // Each bias is the sum of two rounded halves of up to 0.5 each: an absolute tolerance.
            TestData.AssertClose(expected, model.Parameters, dtype == "F16" ? 1e-3 : 8e-3, dtype);
        }
    }

    [Fact]
    public void A_file_with_mixed_float_dtypes_loads()
    {
        ModelCase modelCase = ModelCase.Get("Lstm3");
        List<KerasLayer> layout = KerasLayout.Of(modelCase.Layers);
        float[] parameters = TestData.Uniform(layout.ParameterCount(), seed: 37);
        string[] dtypes = { "F64", "F32", "F64" };
        byte[] file = SafeTensorsTestWriter.Write(layout.AllTensors().Select((t, i) =>
            new TestTensor(t.Name, dtypes[i], t.Shape, SafeTensorsTestWriter.Encode(parameters.AsSpan(t.Offset, t.Length), dtypes[i]))));
        IRnnModel<float> model = modelCase.Create();
        model.LoadWeights(new MemoryStream(file));
        AssertBitEqual(parameters, model.Parameters, "mixed");
    }

    // ---------------------------------------------------------------- damaged files

    public static IEnumerable<object[]> TruncationPoints()
    {
        // Relative to a saved TokenGru file: inside the prefix, inside the header, inside the data.
        foreach (string point in new[] { "0", "1", "7", "8", "9", "header/2", "header-1", "data+1", "data/2", "end-4", "end-1" })
        {
            yield return new object[] { point };
        }
    }

    [Theory]
    [MemberData(nameof(TruncationPoints))]
    public void Truncated_files_are_refused_and_change_nothing(string point)
    {
        byte[] file = Save(WithWeights(new TokenGru(), 1));
        long headerLength = SafeTensorsTestWriter.Split(file).HeaderLength;
        int dataStart = 8 + (int)headerLength;
        int length = point switch
        {
            "header/2" => 8 + (int)headerLength / 2,
            "header-1" => dataStart - 1,
            "data+1" => dataStart + 1,
            "data/2" => dataStart + (file.Length - dataStart) / 2,
            "end-4" => file.Length - 4,
            "end-1" => file.Length - 1,
            _ => int.Parse(point, System.Globalization.CultureInfo.InvariantCulture),
        };

        byte[] truncated = file.AsSpan(0, length).ToArray();
        AssertRefused(new TokenGru(), truncated, expectedInMessage: null);
        AssertRefused(new TokenGru(), truncated, expectedInMessage: null, nonSeekable: true);
    }

    [Theory]
    [InlineData(200L * 1024 * 1024)]
    [InlineData(100L * 1024 * 1024 + 1)]
    [InlineData(long.MaxValue)]
    public void A_header_over_100_MB_is_refused_before_it_is_read(long claimed)
    {
        byte[] tiny = SafeTensorsTestWriter.Assemble(Encoding.UTF8.GetBytes("{}"), Array.Empty<byte>(), (ulong)claimed);
        AssertRefused(new Lstm3(), tiny, expectedInMessage: null);

        // A network-like stream that would deliver the whole claimed header: the loader must stop at the prefix.
        var model = new Lstm3();
        float[] before = model.Parameters.ToArray();
        var stream = new NonSeekableStream(tiny.AsSpan(0, 8).ToArray(), endless: true);
        Assert.Throws<InvalidDataException>(() => model.LoadWeights(stream));
        Assert.True(stream.BytesRead <= 8, $"The loader read {stream.BytesRead} bytes of a header that claims {claimed} bytes.");
        AssertBitEqual(before, model.Parameters, "Lstm3");
    }

    [Fact]
    public void A_header_of_u64_max_is_refused()
    {
        byte[] file = SafeTensorsTestWriter.Assemble(Encoding.UTF8.GetBytes("{}"), Array.Empty<byte>(), ulong.MaxValue);
        AssertRefused(new Lstm3(), file, expectedInMessage: null);
        AssertRefused(new Lstm3(), file, expectedInMessage: null, nonSeekable: true);
    }

    [Fact]
    public void A_header_length_past_the_end_of_the_file_is_refused()
    {
        byte[] file = Save(WithWeights(new Lstm3(), 2));
        long headerLength = SafeTensorsTestWriter.Split(file).HeaderLength;
        byte[] lying = file.ToArray();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(lying, (ulong)(file.Length - 8 + 1));
        AssertRefused(new Lstm3(), lying, expectedInMessage: null);
        AssertRefused(new Lstm3(), lying, expectedInMessage: null, nonSeekable: true);

        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(lying, (ulong)(headerLength + 5000));
        AssertRefused(new Lstm3(), lying, expectedInMessage: null);
        AssertRefused(new Lstm3(), lying, expectedInMessage: null, nonSeekable: true);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("\"lstm/kernel\"")]
    [InlineData("{\"lstm/kernel\": 3}")]
    [InlineData("{\"lstm/kernel\": {\"dtype\": \"F32\", \"shape\": [5, 12]}}")]
    [InlineData("{\"lstm/kernel\": {\"dtype\": \"F32\", \"shape\": [5, -12], \"data_offsets\": [0, 240]}}")]
    [InlineData("{\"lstm/kernel\": {\"dtype\": \"F32\", \"shape\": [5, 12], \"data_offsets\": [240, 0]}}")]
    public void A_malformed_header_is_refused(string header)
    {
        byte[] file = SafeTensorsTestWriter.Assemble(Encoding.UTF8.GetBytes(header), new byte[1024]);
        AssertRefused(new Lstm3(), file, expectedInMessage: null);
    }

    [Theory]
    [InlineData("lstm/kernel")]
    [InlineData("lstm/recurrent_kernel")]
    [InlineData("lstm/bias")]
    public void A_missing_tensor_is_refused_by_name(string missing)
    {
        byte[] file = Save(WithWeights(new Lstm3(), 3));
        List<TestTensor> tensors = SafeTensorsTestWriter.ReadTensors(file).Where(t => t.Name != missing).ToList();
        AssertRefused(new Lstm3(), SafeTensorsTestWriter.Write(tensors), missing);
    }

    [Fact]
    public void A_missing_tensor_in_the_last_layer_leaves_the_earlier_layers_unchanged()
    {
        byte[] file = Save(WithWeights(new TokenGru(), 4));
        List<TestTensor> tensors = SafeTensorsTestWriter.ReadTensors(file).Where(t => t.Name != "dense/bias").ToList();
        AssertRefused(new TokenGru(), SafeTensorsTestWriter.Write(tensors), "dense/bias");
    }

    [Fact]
    public void A_wrong_shape_is_refused_by_name()
    {
        // Same element count, so the offsets stay consistent: only the shape is wrong.
        byte[] file = Save(WithWeights(new Lstm3(), 5));
        List<TestTensor> tensors = SafeTensorsTestWriter.ReadTensors(file)
            .Select(t => t.Name == "lstm/recurrent_kernel" ? t with { Shape = new[] { 12, 3 } } : t).ToList();
        AssertRefused(new Lstm3(), SafeTensorsTestWriter.Write(tensors), "lstm/recurrent_kernel");

        // A GRU bias [2, 3u] written as [6u] / [3u].
        byte[] gru = Save(WithWeights(new GruAfter3(), 5));
        List<TestTensor> flat = SafeTensorsTestWriter.ReadTensors(gru)
            .Select(t => t.Name == "gru/bias" ? t with { Shape = new[] { 18 } } : t).ToList();
        AssertRefused(new GruAfter3(), SafeTensorsTestWriter.Write(flat), "gru/bias");

        byte[] before = Save(WithWeights(new GruBefore3(), 5));
        List<TestTensor> twoRows = SafeTensorsTestWriter.ReadTensors(before)
            .Select(t => t.Name == "gru/bias" ? t with { Shape = new[] { 1, 9 } } : t).ToList();
        AssertRefused(new GruBefore3(), SafeTensorsTestWriter.Write(twoRows), "gru/bias");
    }

    [Fact]
    public void A_non_float_dtype_is_refused_by_name()
    {
        byte[] file = Save(WithWeights(new Lstm3(), 6));
        List<TestTensor> tensors = SafeTensorsTestWriter.ReadTensors(file)
            .Select(t => t.Name == "lstm/kernel" ? t with { DType = "I32" } : t).ToList();
        AssertRefused(new Lstm3(), SafeTensorsTestWriter.Write(tensors), "lstm/kernel");
    }

    [Fact]
    public void An_unknown_dtype_is_refused_by_name()
    {
        byte[] file = Save(WithWeights(new Lstm3(), 6));
        byte[] edited = SafeTensorsTestWriter.EditHeader(file, header => header["lstm/bias"]!["dtype"] = "F33");
        AssertRefused(new Lstm3(), edited, "lstm/bias");
    }

    [Theory]
    [InlineData(-4)]
    [InlineData(4)]
    public void Data_offsets_inconsistent_with_the_shape_are_refused_by_name(int delta)
    {
        byte[] file = Save(WithWeights(new Lstm3(), 7));
        byte[] edited = SafeTensorsTestWriter.EditHeader(file, header =>
        {
            JsonArray offsets = header["lstm/kernel"]!["data_offsets"]!.AsArray();
            long end = offsets[1]!.GetValue<long>();
            offsets[1] = end + delta;
        });
        AssertRefused(new Lstm3(), edited, "lstm/kernel");
    }

    [Fact]
    public void Data_offsets_past_the_end_of_the_data_are_refused()
    {
        byte[] file = Save(WithWeights(new Lstm3(), 7));
        byte[] edited = SafeTensorsTestWriter.EditHeader(file, header =>
        {
            JsonArray offsets = header["lstm/bias"]!["data_offsets"]!.AsArray();
            offsets[0] = offsets[0]!.GetValue<long>() + 400;
            offsets[1] = offsets[1]!.GetValue<long>() + 400;
        });
        AssertRefused(new Lstm3(), edited, expectedInMessage: null);
        AssertRefused(new Lstm3(), edited, expectedInMessage: null, nonSeekable: true);
    }

    [Fact]
    public void A_file_with_none_of_the_models_tensors_is_refused()
    {
        byte[] other = Save(WithWeights(new GruAfter3(), 8)); // gru/... names only
        AssertRefused(new Lstm3(), other, expectedInMessage: null);
        byte[] empty = SafeTensorsTestWriter.Write(Array.Empty<TestTensor>());
        AssertRefused(new Lstm3(), empty, expectedInMessage: null);
    }

    [Fact]
    public void A_PyTorch_file_with_a_missing_tensor_is_refused_by_name()
    {
        ModelCase modelCase = ModelCase.Get("BiLstm3");
        List<KerasLayer> layout = KerasLayout.Of(modelCase.Layers);
        (List<(string Name, int[] Shape, double[] Values)> tensors, _) = PyTorchExport.Convert(layout, TestData.Uniform(layout.ParameterCount(), seed: 2));
        tensors.RemoveAll(t => t.Name == "bidirectional.bias_hh_l0_reverse");
        AssertRefused(new BiLstm3(), PyTorchExport.File(tensors), "bias_hh_l0_reverse");
    }

    [Fact]
    public void A_PyTorch_file_with_a_Keras_shaped_weight_is_refused_by_name()
    {
        ModelCase modelCase = ModelCase.Get("TokenGru");
        List<KerasLayer> layout = KerasLayout.Of(modelCase.Layers);
        (List<(string Name, int[] Shape, double[] Values)> tensors, _) = PyTorchExport.Convert(layout, TestData.Uniform(layout.ParameterCount(), seed: 2));
        int index = tensors.FindIndex(t => t.Name == "dense.weight");
        tensors[index] = (tensors[index].Name, new[] { tensors[index].Shape[1], tensors[index].Shape[0] }, tensors[index].Values);
        AssertRefused(new TokenGru(), PyTorchExport.File(tensors), "dense.weight");
    }

    // ---------------------------------------------------------------- helpers

    private static byte[] Save(IRnnModel<float> model)
    {
        using var stream = new MemoryStream();
        model.SaveWeights(stream);
        return stream.ToArray();
    }

    private static T WithWeights<T>(T model, int seed)
        where T : IRnnModel<float>
    {
        TestData.Parameters(model.Info, seed).CopyTo(model.Parameters);
        return model;
    }

    private static byte[] KerasFile(List<KerasLayer> layout, float[] parameters, string dtype) =>
        SafeTensorsTestWriter.Write(layout.AllTensors().Select(t =>
            new TestTensor(t.Name, dtype, t.Shape, SafeTensorsTestWriter.Encode(parameters.AsSpan(t.Offset, t.Length), dtype))));

    /// <summary>Loads <paramref name="file"/> into <paramref name="model"/> (given other weights first) and expects a refusal that changes nothing.</summary>
    private static void AssertRefused(IRnnModel<float> model, byte[] file, string? expectedInMessage, bool nonSeekable = false)
    {
        TestData.Parameters(model.Info, seed: 424242).CopyTo(model.Parameters);
        float[] before = model.Parameters.ToArray();
        Stream stream = nonSeekable ? new NonSeekableStream(file) : new MemoryStream(file);
        InvalidDataException error = Assert.Throws<InvalidDataException>(() => model.LoadWeights(stream));
        if (expectedInMessage is not null)
        {
            Assert.Contains(expectedInMessage, error.Message);
        }

        AssertBitEqual(before, model.Parameters, "after a refused load");
    }

    private static float[] PredictAll(IRnnModel<float> model)
    {
        ModelInfo info = model.Info;
        int steps = info.SequenceLength;
        var outputs = new float[info.OutputIsSequence ? steps * info.OutputUnits : info.OutputUnits];
        if (info.TakesTokens)
        {
            ((ITokenModel<float>)model).Predict(TestData.Tokens(steps, info.InputWidth, seed: 61), outputs);
        }
        else
        {
            ((IFeatureModel<float>)model).Predict(TestData.Uniform(steps * info.InputWidth, seed: 62, scale: 1f), outputs);
        }

        return outputs;
    }

    private static int[] Bits(ReadOnlySpan<float> values) => MemoryMarshal.Cast<float, int>(values).ToArray();

    private static void AssertBitEqual(float[] expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: expected {expected.Length} values, got {actual.Length}.");
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{what}: parameter {i} is {actual[i]:R}, expected {expected[i]:R}.");
            }
        }
    }
}
