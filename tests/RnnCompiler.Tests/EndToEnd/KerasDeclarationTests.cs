using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using RnnCompiler.Tests.Models;
using RnnCompiler.Weights;
using RnnCompiler.Weights.Keras;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>
/// <see cref="KerasModelFile"/>: every catalogue model written as Keras files (KerasTestFiles: a Keras 3 archive, a
/// tf.keras and a Keras 2.2 whole-model .h5, each with its configuration as that Keras writes it) is read back as the
/// catalogue's own declaration, text for text (Models/DeclaredModels.cs, read as source), with the layers the
/// generated model describes, and safetensors that the model loads to the same bits as LoadKerasWeights of the same
/// file. Then the h5py files, what RnnCompiler lacks (each listed), layers left out, an open sequence length,
/// hard_sigmoid by Keras version, and damaged files.
/// </summary>
public class KerasDeclarationTests
{
    public enum KerasFormat { Keras3Archive, TfKerasH5, Keras22H5 }

    private static readonly Lazy<Dictionary<string, string>> s_catalog = new(ReadCatalog);

    /// <summary>Every catalogue model in every format whose Keras can name its activations ("hard_sigmoid" is Keras 2's or Keras 3's).</summary>
    public static IEnumerable<object[]> Cases() =>
        from modelCase in ModelCatalog.All
        from format in Enum.GetValues<KerasFormat>()
        where KerasTestFiles.Expressible(modelCase.Layers, legacy: format != KerasFormat.Keras3Archive)
        select new object[] { modelCase.Name, format };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_catalogue_model_reads_back_as_its_declaration_and_its_weights(string name, KerasFormat format)
    {
        (ModelCase modelCase, float[] values) = Setup(name);
        IRnnModel<float> declared = modelCase.Create();
        byte[] file = Write(modelCase, values, format, declared.Info.SequenceLength);

        KerasModelFile model = Read(file);
        Assert.Empty(model.Unsupported);
        Assert.Equal(s_catalog.Value[name], DeclarationBlock(model.ToDeclaration(name)));

        // The layers as the generated model describes them: names, sizes, offsets, settings.
        IReadOnlyList<LayerDescriptor> expected = declared.Info.Layers;
        Assert.Equal(expected.Count, model.Layers.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(Describe(expected[i]), Describe(model.Layers[i]));
        }

        Assert.Equal(declared.Info.ParameterCount, model.ParameterCount);

        // The safetensors load, bit for bit, as LoadKerasWeights of the same file does.
        IRnnModel<float> fromKeras = modelCase.Create();
        fromKeras.LoadKerasWeights(new MemoryStream(file));
        IRnnModel<float> fromSafeTensors = modelCase.Create();
        fromSafeTensors.InitializeWeights(99);
        fromSafeTensors.LoadWeights(new MemoryStream(SafeTensors(model)));
        AssertSameBits(fromKeras.Parameters.ToArray(), fromSafeTensors.Parameters.ToArray(), name);
        AssertSameBits(values, fromSafeTensors.Parameters.ToArray(), name);
    }

    [Fact]
    public void The_h5py_files_read_as_their_models_with_their_known_values()
    {
        // Written by Models/make_keras_files.py; value k of the flat vector is ((37k mod 101) - 50) / 64.
        string folder = Path.Combine(AppContext.BaseDirectory, "Models", "keras_files");
        foreach ((string file, string name, string version) in new[] { ("deep_stack_tf_keras.h5", "DeepStack", "2.15.0"), ("bi_lstm.keras", "BiLstm3", "3.8.0") })
        {
            KerasModelFile model;
            using (FileStream stream = File.OpenRead(Path.Combine(folder, file)))
            {
                model = KerasModelFile.Read(stream);
            }

            Assert.Equal(version, model.KerasVersion);
            Assert.Equal(s_catalog.Value[name], DeclarationBlock(model.ToDeclaration(name)));
            IRnnModel<float> declared = ModelCase.Get(name).Create();
            declared.LoadWeights(new MemoryStream(SafeTensors(model)));
            float[] expected = Enumerable.Range(0, declared.Info.ParameterCount).Select(k => (float)((k * 37 % 101 - 50) / 64.0)).ToArray();
            AssertSameBits(expected, declared.Parameters.ToArray(), file);
        }

        // Weights alone say what they are and what to save instead.
        foreach (string file in new[] { "deep_stack.weights.h5", "deep_stack_keras22.h5" })
        {
            using FileStream stream = File.OpenRead(Path.Combine(folder, file));
            var error = Assert.Throws<InvalidDataException>(() => KerasModelFile.Read(stream));
            Assert.Contains("weights alone", error.Message);
            Assert.Contains("model.save(", error.Message);
        }
    }

    [Fact]
    public void The_declaration_says_where_the_weights_go_and_takes_a_namespace()
    {
        (ModelCase modelCase, float[] values) = Setup("Sentiment");
        KerasModelFile model = Read(Write(modelCase, values, KerasFormat.Keras3Archive, 80));
        string text = model.ToDeclaration("Sentiment", "Contoso.Models", "sentiment.safetensors");
        Assert.StartsWith("// A Keras 3.8.0 model read by RnnCompiler: 3 weighted layers, 164,106 parameters.\n", text);
        Assert.Contains("//     <RnnWeights Include=\"sentiment.safetensors\" />\n", text);
        Assert.Contains("model.LoadWeights(File.OpenRead(\"sentiment.safetensors\"))", text);
        Assert.EndsWith(
            """
            using RnnCompiler;

            namespace Contoso.Models;

            [RnnModel(SequenceLength = 80, Weights = "sentiment.safetensors")]
            [Embedding(1000, 64)]
            [Lstm(128)]
            [Dense(10, Activation = Activation.Softmax)]
            public partial class Sentiment;

            """.ReplaceLineEndings("\n"),
            text);

        Assert.Throws<ArgumentException>("className", () => model.ToDeclaration("2Sentiment"));
        Assert.Throws<ArgumentException>("className", () => model.ToDeclaration("class"));
        Assert.Throws<ArgumentException>("namespace", () => model.ToDeclaration("Sentiment", "Contoso..Models"));
        Assert.Throws<ArgumentException>("weightsFile", () => model.ToDeclaration("Sentiment", null, "a\"b.safetensors"));
        Assert.Throws<ArgumentNullException>("stream", () => model.SaveWeights(null!));
        Assert.Throws<ArgumentNullException>("stream", () => KerasModelFile.Read(null!));
        Assert.Throws<ArgumentOutOfRangeException>("sequenceLength", () => KerasModelFile.Read(new MemoryStream(), 0));
    }

    public static IEnumerable<object[]> UnsupportedCases() => new (string Model, string Change, string Expected)[]
    {
        ("DeepStack", "insert Conv1D", "layer 'conv1d' (Conv1D): RnnCompiler has no Conv1D layer"),
        ("DeepStack", "insert Attention", "layer 'attention' (Attention): RnnCompiler has no Attention layer"),
        ("DeepStack", "insert LayerNormalization", "layer 'layer_normalization' (LayerNormalization): RnnCompiler has no LayerNormalization layer"),
        ("DeepStack", "insert Masking", "layer 'masking' (Masking): a Masking layer that is not the first after the input"),
        ("DeepStack", "insert TimeDistributed", "layer 'time_distributed' (TimeDistributed): RnnCompiler has no TimeDistributed wrapper; its Dense after a layer that returns sequences runs at every step"),
        ("DeepStack", "insert CuDNNLSTM", "layer 'cu_dnnlstm' (CuDNNLSTM): a CuDNN layer"),
        ("DeepStack", "insert InputLayer", "layer 'input_2' (InputLayer): a second input"),
        ("Lstm3", "use_bias false", "layer 'lstm' (LSTM): use_bias is false"),
        ("DenseOnly", "use_bias false", "layer 'dense' (Dense): use_bias is false"),
        ("Lstm3", "go_backwards true", "layer 'lstm' (LSTM): go_backwards is true"),
        ("Lstm3", "stateful true", "layer 'lstm' (LSTM): stateful is true"),
        ("GruAfter3", "return_state true", "layer 'gru' (GRU): return_state is true"),
        ("Lstm3", "time_major true", "layer 'lstm' (LSTM): time_major is true"),
        ("DenseOnly", "activation selu", "layer 'dense' (Dense): activation \"selu\" is not one RnnCompiler's Dense has"),
        ("SimpleRnnTanh3", "activation softmax", "layer 'simple_rnn' (SimpleRNN): activation \"softmax\" is not one RnnCompiler's SimpleRNN has"),
        ("Lstm3", "recurrent_activation swish", "layer 'lstm' (LSTM): recurrent_activation \"swish\" is not one RnnCompiler's LSTM has"),
        ("Lstm3", "activation softmax", "layer 'lstm' (LSTM): activation \"softmax\" is not one RnnCompiler's LSTM has"),
        ("BiLstm3", "merge_mode null", "layer 'bidirectional' (Bidirectional): merge_mode is None"),
        ("BiLstm3", "backward_layer units 4", "layer 'bidirectional' (Bidirectional(LSTM)): its backward_layer is configured unlike its forward layer"),
        ("BiLstm3", "wrapped go_backwards true", "layer 'bidirectional' (Bidirectional(LSTM)): go_backwards is true on the wrapped layer"),
        ("DenseOnly", "lora_rank 4", "layer 'dense' (Dense): lora_rank is 4"),
        ("DeepStack", "insert Embedding", "layer 'embedding' (Embedding): an Embedding after other layers"),
    }.Select(c => new object[] { c.Model, c.Change, c.Expected });

    [Theory]
    [MemberData(nameof(UnsupportedCases))]
    public void What_RnnCompiler_lacks_is_named_with_its_layer_class_and_option(string name, string change, string expected)
    {
        (ModelCase modelCase, float[] values) = Setup(name);
        int steps = modelCase.Create().Info.SequenceLength;
        foreach (KerasFormat format in new[] { KerasFormat.Keras3Archive, KerasFormat.TfKerasH5 })
        {
            byte[] file = Unsupported(modelCase, values, format, steps, change);
            KerasModelFile model = Read(file);
            Assert.True(model.Unsupported.Count == 1 && model.Unsupported[0].StartsWith(expected, StringComparison.Ordinal), $"{format}: expected one line starting \"{expected}\"; got:\n{string.Join("\n", model.Unsupported)}");
            Assert.Empty(model.Layers);
            Assert.Contains(expected, Assert.Throws<InvalidOperationException>(() => model.ToDeclaration(name)).Message);
            Assert.Throws<InvalidOperationException>(() => model.SaveWeights(new MemoryStream()));
        }
    }

    [Fact]
    public void Everything_RnnCompiler_lacks_is_listed_at_once()
    {
        (ModelCase modelCase, float[] values) = Setup("DeepStack");
        string config = KerasTestFiles.Config(modelCase.Layers, 10, edit: (position, layer) =>
        {
            if (position == 0)
            {
                layer["stateful"] = true;
                layer["use_bias"] = false;
            }
            else if (position == 3)
            {
                layer["activation"] = "gelu";
            }
        }, insert: [(1, Layer("Conv1D", "conv1d")), (2, Layer("Masking", "masking"))]);
        KerasModelFile model = Read(KerasTestFiles.Archive(modelCase.Layers, values, config));
        Assert.Equal(5, model.Unsupported.Count);
        Assert.Contains(model.Unsupported, line => line.Contains("'lstm' (LSTM): stateful is true", StringComparison.Ordinal));
        Assert.Contains(model.Unsupported, line => line.Contains("'lstm' (LSTM): use_bias is false", StringComparison.Ordinal));
        Assert.Contains(model.Unsupported, line => line.Contains("'conv1d' (Conv1D)", StringComparison.Ordinal));
        Assert.Contains(model.Unsupported, line => line.Contains("'masking' (Masking)", StringComparison.Ordinal));
        Assert.Contains(model.Unsupported, line => line.Contains("'dense' (Dense): activation \"gelu\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Layers_that_do_nothing_at_inference_are_left_out_with_a_note()
    {
        (ModelCase modelCase, float[] values) = Setup("DeepStack");
        (int, JsonObject)[] insert = [(1, Layer("Dropout", "dropout")), (2, Layer("SpatialDropout1D", "spatial_dropout1d")), (3, Layer("GaussianNoise", "gaussian_noise"))];
        string archiveConfig = KerasTestFiles.Config(modelCase.Layers, 10, insert: insert);
        string legacyConfig = KerasTestFiles.Config(modelCase.Layers, 10, legacy: true, insert: insert.Select(i => (i.Item1, Legacy(i.Item2))).ToArray());
        foreach (byte[] file in new[]
        {
            KerasTestFiles.Archive(modelCase.Layers, values, archiveConfig),
            KerasTestFiles.Legacy(modelCase.Layers, values, KerasTestFiles.LegacyStyle.TfKeras, legacyConfig, extraLayers: ["dropout", "spatial_dropout1d", "gaussian_noise"]),
        })
        {
            KerasModelFile model = Read(file);
            Assert.Empty(model.Unsupported);
            Assert.Equal(
                ["layer 'dropout' (Dropout) is left out: it does nothing at inference.", "layer 'spatial_dropout1d' (SpatialDropout1D) is left out: it does nothing at inference.", "layer 'gaussian_noise' (GaussianNoise) is left out: it does nothing at inference."],
                model.Notes);
            string text = model.ToDeclaration("DeepStack");
            Assert.Contains("// layer 'dropout' (Dropout) is left out: it does nothing at inference.\n", text);
            Assert.Equal(s_catalog.Value["DeepStack"], DeclarationBlock(text));
            IRnnModel<float> declared = modelCase.Create();
            declared.LoadWeights(new MemoryStream(SafeTensors(model)));
            AssertSameBits(values, declared.Parameters.ToArray(), "DeepStack");
        }
    }

    [Theory]
    [InlineData(KerasFormat.Keras3Archive)]
    [InlineData(KerasFormat.TfKerasH5)]
    [InlineData(KerasFormat.Keras22H5)]
    public void An_open_sequence_length_is_asked_for_and_taken_when_given(KerasFormat format)
    {
        foreach (string name in new[] { "Lstm3", "TokenGru" })
        {
            (ModelCase modelCase, float[] values) = Setup(name);
            int steps = modelCase.Create().Info.SequenceLength;
            byte[] file = Write(modelCase, values, format, sequenceLength: null);
            KerasModelFile open = Read(file);
            Assert.Empty(open.Unsupported);
            Assert.Null(open.SequenceLength);
            Assert.Contains("sequenceLength", Assert.Throws<InvalidOperationException>(() => open.ToDeclaration(name)).Message);

            KerasModelFile given = KerasModelFile.Read(new MemoryStream(file), sequenceLength: steps);
            Assert.Equal(steps, given.SequenceLength);
            Assert.Empty(given.Notes);
            Assert.Equal(s_catalog.Value[name], DeclarationBlock(given.ToDeclaration(name)));
        }

        // A length given where the file has one is used in its place, with a note.
        (ModelCase lstm, float[] lstmValues) = Setup("Lstm3");
        KerasModelFile replaced = KerasModelFile.Read(new MemoryStream(Write(lstm, lstmValues, format, 9)), sequenceLength: 40);
        Assert.Equal(40, replaced.SequenceLength);
        Assert.Equal(["SequenceLength is 40 as given, in place of the file's 9."], replaced.Notes);
        Assert.Contains("[RnnModel(SequenceLength = 40)]", replaced.ToDeclaration("Lstm3"));
    }

    [Fact]
    public void A_Keras_2_Embedding_gives_the_steps_by_its_input_length()
    {
        (ModelCase modelCase, float[] values) = Setup("TokenGru");
        string config = KerasTestFiles.Config(modelCase.Layers, 12, legacy: true, legacyStyle: KerasTestFiles.LegacyStyle.Keras22, edit: (position, layer) =>
        {
            if (position == 0)
            {
                layer.Remove("batch_input_shape");
            }
        });
        KerasModelFile model = Read(KerasTestFiles.Legacy(modelCase.Layers, values, KerasTestFiles.LegacyStyle.Keras22, config));
        Assert.Equal(12, model.SequenceLength);
        Assert.Equal(s_catalog.Value["TokenGru"], DeclarationBlock(model.ToDeclaration("TokenGru")));
    }

    [Fact]
    public void Hard_sigmoid_is_read_as_the_Keras_that_wrote_the_file_means_it()
    {
        (ModelCase modelCase, float[] values) = Setup("Lstm3");
        void HardSigmoid(int position, JsonObject layer)
        {
            layer["recurrent_activation"] = "hard_sigmoid";
        }

        string archiveConfig = KerasTestFiles.Config(modelCase.Layers, 9, edit: HardSigmoid);
        string legacyConfig = KerasTestFiles.Config(modelCase.Layers, 9, legacy: true, edit: HardSigmoid);
        (byte[] File, Activation Expected, string? Version)[] files =
        [
            (KerasTestFiles.Archive(modelCase.Layers, values, archiveConfig), Activation.HardSigmoid, "3.8.0"),
            (KerasTestFiles.Archive(modelCase.Layers, values, archiveConfig, kerasVersion: "2.15.0"), Activation.HardSigmoidKeras2, "2.15.0"),
            (KerasTestFiles.Archive(modelCase.Layers, values, archiveConfig, kerasVersion: null), Activation.HardSigmoid, null),
            (KerasTestFiles.Legacy(modelCase.Layers, values, KerasTestFiles.LegacyStyle.TfKeras, legacyConfig), Activation.HardSigmoidKeras2, "2.15.0"),
            (KerasTestFiles.Legacy(modelCase.Layers, values, KerasTestFiles.LegacyStyle.Keras22, legacyConfig), Activation.HardSigmoidKeras2, "2.2.4"),
            (KerasTestFiles.Legacy(modelCase.Layers, values, KerasTestFiles.LegacyStyle.TfKeras, legacyConfig, writeVersion: false), Activation.HardSigmoidKeras2, null),
        ];
        foreach ((byte[] file, Activation expected, string? version) in files)
        {
            KerasModelFile model = Read(file);
            Assert.Equal(version, model.KerasVersion);
            Assert.Empty(model.Unsupported);
            Assert.Equal(expected, model.Layers[0].RecurrentActivation);
            Assert.Equal(Activation.Tanh, model.Layers[0].Activation);
            Assert.Contains($"[Lstm(3, RecurrentActivation = Activation.{expected}, ReturnSequences = true)]\n", model.ToDeclaration("Lstm3"));
            Assert.Contains(model.Notes, note => note.Contains($"Activation.{expected}", StringComparison.Ordinal));
        }

        // The cell activation of a GRU, in a Keras 3 file.
        (ModelCase gru, float[] gruValues) = Setup("GruAfter3");
        string gruConfig = KerasTestFiles.Config(gru.Layers, 9, edit: (_, layer) => layer["activation"] = "hard_sigmoid");
        KerasModelFile gruModel = Read(KerasTestFiles.Archive(gru.Layers, gruValues, gruConfig));
        Assert.Contains("[Gru(3, Activation = Activation.HardSigmoid, ReturnSequences = true)]\n", gruModel.ToDeclaration("GruAfter3"));
    }

    [Fact]
    public void Keras_3_activations_written_as_objects_are_read_by_name()
    {
        (ModelCase modelCase, float[] values) = Setup("ManyToMany");
        string config = KerasTestFiles.Config(modelCase.Layers, 8, edit: (position, layer) =>
        {
            if (position == 1)
            {
                layer["activation"] = new JsonObject { ["module"] = "keras.layers", ["class_name"] = "ReLU", ["config"] = new JsonObject { ["name"] = "relu" }, ["registered_name"] = null };
            }
        });
        Assert.Equal(s_catalog.Value["ManyToMany"], DeclarationBlock(Read(KerasTestFiles.Archive(modelCase.Layers, values, config)).ToDeclaration("ManyToMany")));
    }

    [Fact]
    public void Damaged_and_truncated_files_are_refused_with_InvalidDataException()
    {
        (ModelCase modelCase, float[] values) = Setup("DeepStack");
        var random = new Random(2026);
        int refused = 0;
        foreach (KerasFormat format in Enum.GetValues<KerasFormat>())
        {
            byte[] file = Write(modelCase, values, format, 10);
            foreach (int length in new[] { 0, 8, 100, file.Length / 3, file.Length / 2, file.Length - 1 })
            {
                Assert.Throws<InvalidDataException>(() => KerasModelFile.Read(new MemoryStream(file, 0, length)));
                refused++;
            }

            // Bytes changed anywhere: refused with InvalidDataException, or read whole (a changed value or name).
            for (int trial = 0; trial < 100; trial++)
            {
                byte[] damaged = (byte[])file.Clone();
                for (int flips = 1 + random.Next(3); flips > 0; flips--)
                {
                    damaged[random.Next(damaged.Length)] ^= (byte)(1 << random.Next(8));
                }

                try
                {
                    KerasModelFile.Read(new MemoryStream(damaged));
                }
                catch (InvalidDataException)
                {
                    refused++;
                }
            }
        }

        Assert.True(refused > 18 + 40, $"only {refused} damaged files were refused");
        Assert.Contains("not a Keras file", Assert.Throws<InvalidDataException>(() => KerasModelFile.Read(new MemoryStream([1, 2, 3, 4]))).Message);
        Assert.Contains("no config.json", Assert.Throws<InvalidDataException>(() => Read(ArchiveWithoutConfig(modelCase, values))).Message);
    }

    /// <summary>The file of a catalogue model in a format, its configuration as that Keras writes it.</summary>
    internal static byte[] Write(ModelCase modelCase, float[] values, KerasFormat format, int? sequenceLength, Action<int, JsonObject>? edit = null, IReadOnlyList<(int, JsonObject)>? insert = null) => format switch
    {
        KerasFormat.Keras3Archive => KerasTestFiles.Archive(modelCase.Layers, values, KerasTestFiles.Config(modelCase.Layers, sequenceLength, edit: edit, insert: insert)),
        KerasFormat.TfKerasH5 => KerasTestFiles.Legacy(modelCase.Layers, values, KerasTestFiles.LegacyStyle.TfKeras, KerasTestFiles.Config(modelCase.Layers, sequenceLength, legacy: true, edit: edit, insert: insert?.Select(i => (i.Item1, Legacy(i.Item2))).ToArray())),
        _ => KerasTestFiles.Legacy(modelCase.Layers, values, KerasTestFiles.LegacyStyle.Keras22, KerasTestFiles.Config(modelCase.Layers, sequenceLength, legacy: true, edit: edit, insert: insert?.Select(i => (i.Item1, Legacy(i.Item2))).ToArray(), legacyStyle: KerasTestFiles.LegacyStyle.Keras22)),
    };

    /// <summary>A catalogue model's file changed by <paramref name="change"/> (an <see cref="UnsupportedCases"/> entry).</summary>
    internal static byte[] Unsupported(ModelCase modelCase, float[] values, KerasFormat format, int sequenceLength, string change)
    {
        string[] words = change.Split(' ');
        if (words[0] == "insert")
        {
            JsonObject layer = words[1] switch
            {
                "TimeDistributed" => Layer("TimeDistributed", "time_distributed", new JsonObject { ["layer"] = Layer("Dense", "dense_9", new JsonObject { ["units"] = 3 }) }),
                "InputLayer" => Layer("InputLayer", "input_2", new JsonObject { ["batch_shape"] = new JsonArray(null, 10, 4) }),
                "Embedding" => Layer("Embedding", "embedding", new JsonObject { ["input_dim"] = 10, ["output_dim"] = 4 }),
                "CuDNNLSTM" => Layer("CuDNNLSTM", "cu_dnnlstm", new JsonObject { ["units"] = 4 }),
                "Conv1D" => Layer("Conv1D", "conv1d"),
                string className => Layer(className, Snake(className)),
            };
            return Write(modelCase, values, format, sequenceLength, insert: [(1, layer)]);
        }

        return Write(modelCase, values, format, sequenceLength, edit: (position, layer) =>
        {
            if (position != 0)
            {
                return;
            }

            JsonNode? value = words[^1] switch
            {
                "true" => true,
                "false" => false,
                "null" => null,
                string text when int.TryParse(text, out int number) => number,
                string text => text,
            };
            if (words[0] == "backward_layer")
            {
                var backward = (JsonObject)layer["layer"]!.DeepClone();
                backward["config"]![words[1]] = value;
                layer["backward_layer"] = backward;
            }
            else if (words[0] == "wrapped")
            {
                layer["layer"]!["config"]![words[1]] = value;
            }
            else
            {
                layer[words[0]] = value;
            }
        });
    }

    /// <summary>A Keras 3 layer entry.</summary>
    internal static JsonObject Layer(string className, string name, JsonObject? config = null)
    {
        config ??= new JsonObject();
        config["name"] = name;
        return new JsonObject { ["module"] = "keras.layers", ["class_name"] = className, ["config"] = config, ["registered_name"] = null };
    }

    /// <summary>The layer entry as legacy Keras writes it (no module).</summary>
    private static JsonObject Legacy(JsonObject layer) => new() { ["class_name"] = layer["class_name"]!.DeepClone(), ["config"] = layer["config"]!.DeepClone() };

    private static string Snake(string className) => string.Concat(className.Select((c, i) => char.IsUpper(c) && i > 0 && !char.IsUpper(className[i - 1]) ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    private static byte[] ArchiveWithoutConfig(ModelCase modelCase, float[] values)
    {
        using var archive = new MemoryStream();
        using (var zip = new System.IO.Compression.ZipArchive(archive, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            using Stream entry = zip.CreateEntry("model.weights.h5").Open();
            entry.Write(KerasTestFiles.Keras3Weights(modelCase.Layers, values));
        }

        return archive.ToArray();
    }

    private static KerasModelFile Read(byte[] file) => KerasModelFile.Read(new MemoryStream(file));

    private static byte[] SafeTensors(KerasModelFile model)
    {
        using var stream = new MemoryStream();
        model.SaveWeights(stream);
        return stream.ToArray();
    }

    private static (ModelCase Case, float[] Values) Setup(string name)
    {
        ModelCase modelCase = ModelCase.Get(name);
        return (modelCase, TestData.Parameters(modelCase.Create().Info, seed: name.Length + 11));
    }

    private static string Describe(LayerDescriptor layer) =>
        $"{layer.Kind} {layer.Name} {layer.InnerName} in {layer.InputSize} units {layer.Units} at {layer.Offset} bi {layer.Bidirectional} resetAfter {layer.ResetAfter} " +
        $"{layer.Activation} {layer.RecurrentActivation} sequences {layer.ReturnSequences} {layer.MergeMode} keep {layer.KeepGateBias} params {layer.ParameterCount}";

    private static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"{what}: parameter {i} is {actual[i]}, expected {expected[i]}");
        }
    }

    /// <summary>The lines from <c>[RnnModel(</c> to <c>public partial class …;</c> of a declaration.</summary>
    private static string DeclarationBlock(string text)
    {
        string[] lines = text.Split('\n');
        int start = Array.FindIndex(lines, line => line.StartsWith("[RnnModel(", StringComparison.Ordinal));
        int end = Array.FindIndex(lines, line => line.StartsWith("public partial class ", StringComparison.Ordinal));
        Assert.True(start >= 0 && end > start, text);
        return string.Join("\n", lines[start..(end + 1)]);
    }

    /// <summary>
    /// Each catalogue model's declaration as Models/DeclaredModels.cs writes it: its attribute lines and class line.
    /// The catalogue spells out <c>MergeMode = MergeMode.Concat</c> on some models; it is the default, which a
    /// declaration read from a file leaves out, so it is dropped here.
    /// </summary>
    private static Dictionary<string, string> ReadCatalog()
    {
        string[] lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Models", "DeclaredModels.cs"));
        var declarations = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < lines.Length; i++)
        {
            const string Prefix = "public partial class ";
            if (!lines[i].StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            int start = i;
            while (start > 0 && lines[start - 1].StartsWith('['))
            {
                start--;
            }

            string name = lines[i][Prefix.Length..].TrimEnd(';');
            declarations[name] = string.Join("\n", lines[start..(i + 1)]).Replace(", MergeMode = MergeMode.Concat", string.Empty, StringComparison.Ordinal)
                .Replace(", BatchSize = 3", string.Empty, StringComparison.Ordinal); // batched Predict's, which a Keras file does not hold
        }

        Assert.True(declarations.Count >= ModelCatalog.All.Count, "the catalogue's source was not found");
        return declarations;
    }
}
