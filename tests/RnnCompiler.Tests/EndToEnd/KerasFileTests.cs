using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text.Json.Nodes;
using RnnCompiler.Tests.Models;
using RnnCompiler.Tests.Reference;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>
/// LoadKerasWeights on Keras's own files, written in the tests as Keras lays them out (KerasTestFiles, with
/// PureHDF) and by h5py (Models/keras_files, made by make_keras_files.py): every declared model round-trips bit for
/// bit through each layout; configurations that differ are listed in one message; damaged files are refused with
/// InvalidDataException and leave the model as it was.
/// </summary>
public class KerasFileTests
{
    public static IEnumerable<object[]> Names() => ModelCase.Names();

    [Theory]
    [MemberData(nameof(Names))]
    public void A_Keras_3_weights_file_loads_every_tensor_in_place(string name)
    {
        (ModelCase modelCase, float[] original) = Setup(name);
        AssertLoads(modelCase, KerasTestFiles.Keras3Weights(modelCase.Layers, original), original);
    }

    /// <summary>The catalog models whose activations Keras 3 (or 2) can name: "hard_sigmoid" means a different function in each.</summary>
    public static IEnumerable<object[]> Keras3Names() => ModelCatalog.All.Where(c => KerasTestFiles.Expressible(c.Layers, legacy: false)).Select(c => new object[] { c.Name });

    public static IEnumerable<object[]> Keras2Names() => ModelCatalog.All.Where(c => KerasTestFiles.Expressible(c.Layers, legacy: true)).Select(c => new object[] { c.Name });

    [Theory]
    [MemberData(nameof(Keras3Names))]
    public void A_Keras_3_archive_with_its_configuration_loads(string name)
    {
        (ModelCase modelCase, float[] original) = Setup(name);
        string config = KerasTestFiles.Config(modelCase.Layers, modelCase.Create().Info.SequenceLength);
        AssertLoads(modelCase, KerasTestFiles.Archive(modelCase.Layers, original, config), original);
    }

    [Theory]
    [MemberData(nameof(Keras2Names))]
    public void A_legacy_tf_keras_model_file_loads(string name)
    {
        (ModelCase modelCase, float[] original) = Setup(name);
        string config = KerasTestFiles.Config(modelCase.Layers, 9, legacy: true);
        AssertLoads(modelCase, KerasTestFiles.Legacy(modelCase.Layers, original, KerasTestFiles.LegacyStyle.TfKeras, config), original);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void A_legacy_Keras_2_2_weights_file_loads(string name)
    {
        (ModelCase modelCase, float[] original) = Setup(name);
        AssertLoads(modelCase, KerasTestFiles.Legacy(modelCase.Layers, original, KerasTestFiles.LegacyStyle.Keras22, modelConfig: null), original);
    }

    [Fact]
    public void Layers_without_weights_may_stand_between_the_declared_ones()
    {
        (ModelCase modelCase, float[] original) = Setup("DeepStack");
        var dropout = new JsonObject { ["module"] = "keras.layers", ["class_name"] = "Dropout", ["config"] = new JsonObject { ["name"] = "dropout", ["rate"] = 0.2 } };
        string config = KerasTestFiles.Config(modelCase.Layers, 9, insert: [(1, dropout)]);
        AssertLoads(modelCase, KerasTestFiles.Archive(modelCase.Layers, original, config), original);

        string legacyConfig = KerasTestFiles.Config(modelCase.Layers, 9, legacy: true, insert: [(1, new JsonObject { ["class_name"] = "Dropout", ["config"] = new JsonObject { ["name"] = "dropout" } })]);
        AssertLoads(modelCase, KerasTestFiles.Legacy(modelCase.Layers, original, KerasTestFiles.LegacyStyle.TfKeras, legacyConfig, extraLayers: ["dropout"]), original);
    }

    [Fact]
    public void Every_difference_of_the_configuration_is_listed_in_one_message()
    {
        (ModelCase modelCase, float[] original) = Setup("DeepStack");
        string config = KerasTestFiles.Config(modelCase.Layers, 9, edit: (position, layer) =>
        {
            if (position == 0)
            {
                layer["recurrent_activation"] = "hard_sigmoid";
                layer["return_sequences"] = false;
            }
            else if (position == 2)
            {
                layer["units"] = 99;
            }
        });
        string message = Refused(modelCase, KerasTestFiles.Archive(modelCase.Layers, original, config));
        Assert.Contains("3 differences", message);
        Assert.Contains("recurrent_activation \"hard_sigmoid\"", message);
        Assert.Contains("Keras 3 wrote the file, and its hard_sigmoid is relu6(x + 3) / 6", message);
        Assert.Contains("return_sequences is false in the file", message);
        Assert.Contains("units 99 in the file", message);
    }

    [Theory]
    [InlineData("Lstm3", "activation", "relu", "activation \"relu\" in the file")]
    [InlineData("GruAfter3", "reset_after", false, "reset_after is false in the file")]
    [InlineData("GruBefore3", "reset_after", true, "reset_after is true in the file")]
    [InlineData("Lstm3", "use_bias", false, "use_bias is false")]
    [InlineData("Lstm3", "go_backwards", true, "go_backwards is true")]
    [InlineData("SimpleRnnTanh3", "activation", "sigmoid", "activation \"sigmoid\" in the file")]
    public void A_recurrent_setting_that_differs_is_named(string name, string key, object value, string expected)
    {
        (ModelCase modelCase, float[] original) = Setup(name);
        string config = KerasTestFiles.Config(modelCase.Layers, 9, edit: (position, layer) =>
        {
            if (position == 0)
            {
                layer[key] = value is bool flag ? JsonValue.Create(flag) : JsonValue.Create((string)value);
            }
        });
        Assert.Contains(expected, Refused(modelCase, KerasTestFiles.Archive(modelCase.Layers, original, config)));
    }

    [Fact]
    public void Kinds_merge_modes_vocabularies_and_layer_counts_that_differ_are_named()
    {
        (ModelCase bi, float[] biValues) = Setup("BiLstm3");
        string merge = KerasTestFiles.Config(bi.Layers, 9, edit: (_, layer) => layer["merge_mode"] = "sum");
        Assert.Contains("merge_mode \"sum\" in the file", Refused(bi, KerasTestFiles.Archive(bi.Layers, biValues, merge)));

        (ModelCase token, float[] tokenValues) = Setup("TokenGru");
        string vocabulary = KerasTestFiles.Config(token.Layers, 9, edit: (position, layer) =>
        {
            if (position == 0)
            {
                layer["input_dim"] = 5000;
                layer["mask_zero"] = true;
            }
        });
        string message = Refused(token, KerasTestFiles.Archive(token.Layers, tokenValues, vocabulary));
        Assert.Contains("input_dim 5000 in the file", message);
        Assert.Contains("mask_zero is true", message);

        // An LSTM file for a GRU model: the configuration names the kinds.
        (ModelCase gru, float[] gruValues) = Setup("GruAfter3");
        (ModelCase lstm, _) = Setup("Lstm3");
        string lstmConfig = KerasTestFiles.Config(lstm.Layers, 9);
        Assert.Contains("LSTM in the file; this model has GRU", Refused(gru, KerasTestFiles.Archive(gru.Layers, gruValues, lstmConfig)));

        // A model with a layer more than the file.
        (ModelCase deep, float[] deepValues) = Setup("DeepStack");
        string shorter = KerasTestFiles.Config(deep.Layers.Take(deep.Layers.Length - 1).ToArray(), 9);
        Assert.Contains("has no counterpart in the file", Refused(deep, KerasTestFiles.Archive(deep.Layers, deepValues, shorter)));
    }

    [Fact]
    public void A_weights_file_of_another_shape_or_with_a_layer_more_is_refused()
    {
        (ModelCase lstm, float[] lstmValues) = Setup("Lstm3");
        (ModelCase gru, float[] gruValues) = Setup("GruAfter3");
        Assert.Contains("no group 'layers/lstm'", Refused(lstm, KerasTestFiles.Keras3Weights(gru.Layers, gruValues)));
        Assert.Contains("has shape [5, 12] in the file; the model expects [5, 4]", Refused(ModelCase.Get("Lstm1"), KerasTestFiles.Keras3Weights(lstm.Layers, lstmValues)));

        (ModelCase deep, float[] deepValues) = Setup("DeepStack");
        RefLayer[] fewer = deep.Layers.Take(deep.Layers.Length - 1).ToArray();
        ModelCase? smaller = ModelCatalog.All.FirstOrDefault(c => c.Layers.SequenceEqual(fewer));
        if (smaller is not null)
        {
            Assert.Contains("does not have", Refused(smaller, KerasTestFiles.Keras3Weights(deep.Layers, deepValues)));
        }

        string legacy = Refused(lstm, KerasTestFiles.Legacy(deep.Layers, deepValues, KerasTestFiles.LegacyStyle.TfKeras, modelConfig: null));
        Assert.Contains("holds weights for", legacy);
    }

    [Fact]
    public void Other_files_are_named_as_what_they_are()
    {
        (ModelCase modelCase, float[] original) = Setup("Lstm3");
        IRnnModel<float> model = modelCase.Create();
        using var safetensors = new MemoryStream();
        model.SaveWeights(safetensors);
        Assert.Contains("read it with LoadWeights", Refused(modelCase, safetensors.ToArray()));

        using var torch = new MemoryStream();
        using (var zip = new ZipArchive(torch, ZipArchiveMode.Create, leaveOpen: true))
        {
            using Stream entry = zip.CreateEntry("archive/data.pkl").Open();
            entry.WriteByte(0x80);
        }

        Assert.Contains("torch.save", Refused(modelCase, torch.ToArray()));
        string config = KerasTestFiles.Config(modelCase.Layers, 9);
        Assert.Contains("no model.weights.h5", Refused(modelCase, KerasTestFiles.Archive(modelCase.Layers, original, config, withWeights: false)));
        Assert.Contains("not a Keras file", Refused(modelCase, [1, 2, 3]));
    }

    [Fact]
    public void Damaged_files_are_refused_with_InvalidDataException_and_change_nothing()
    {
        (ModelCase modelCase, float[] original) = Setup("DeepStack");
        string config = KerasTestFiles.Config(modelCase.Layers, 9);
        byte[][] files =
        [
            KerasTestFiles.Keras3Weights(modelCase.Layers, original),
            KerasTestFiles.Archive(modelCase.Layers, original, config),
            KerasTestFiles.Legacy(modelCase.Layers, original, KerasTestFiles.LegacyStyle.TfKeras, KerasTestFiles.Config(modelCase.Layers, 9, legacy: true)),
        ];
        var random = new Random(2026);
        IRnnModel<float> model = modelCase.Create();
        float[] before = model.Parameters.ToArray();
        int refused = 0;
        foreach (byte[] file in files)
        {
            // Cut anywhere: nothing loads.
            foreach (int length in new[] { 0, 8, 100, file.Length / 3, file.Length / 2, file.Length - 1 })
            {
                Assert.Throws<InvalidDataException>(() => model.LoadKerasWeights(new MemoryStream(file, 0, length)));
                refused++;
            }

            // Bytes changed anywhere: refused with InvalidDataException, or loaded whole (a changed weight value).
            for (int trial = 0; trial < 150; trial++)
            {
                byte[] damaged = (byte[])file.Clone();
                for (int flips = 1 + random.Next(3); flips > 0; flips--)
                {
                    damaged[random.Next(damaged.Length)] ^= (byte)(1 << random.Next(8));
                }

                model.InitializeWeights(0);
                before = model.Parameters.ToArray();
                try
                {
                    model.LoadKerasWeights(new MemoryStream(damaged));
                }
                catch (InvalidDataException)
                {
                    Assert.Equal(before, model.Parameters.ToArray());
                    refused++;
                }
            }
        }

        Assert.True(refused > 18 + 50, $"only {refused} damaged files were refused");
    }

    [Fact]
    public void A_superblock_that_ends_before_the_file_is_refused()
    {
        // PureHDF, given a superblock whose end-of-file address falls short of the file (0 here), allocated gigabytes
        // under coverage-guided fuzzing; every address of a valid file lies before its end, so such a file is damaged.
        byte[] file = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Models", "keras_files", "deep_stack_tf_keras.h5"));
        IRnnModel<float> model = ModelCase.Get("DeepStack").Create();
        byte[] zeroEnd = (byte[])file.Clone();
        Array.Clear(zeroEnd, 40, 8); // superblock version 0: end-of-file address at 24 + 2 × 8
        Assert.Contains("says the file ends at byte 0", Refused(ModelCase.Get("DeepStack"), zeroEnd));
        byte[] longer = [.. file, 0];
        Assert.Contains($"the file holds {file.Length + 1}", Refused(ModelCase.Get("DeepStack"), longer));
        model.LoadKerasWeights(new MemoryStream(file));
    }

    [Fact]
    public void Files_written_by_h5py_load_with_their_known_values()
    {
        // Models/keras_files/*.h5 are written by make_keras_files.py with h5py, as Keras writes them: Keras 3's layout,
        // tf.keras's whole-model .h5 (variable-length strings, h5py 3) and Keras 2.2's weights .h5 (fixed-length
        // strings, as h5py 2 wrote them). Value k of the flat vector is ((37k mod 101) - 50) / 64, exact in float32.
        string folder = Path.Combine(AppContext.BaseDirectory, "Models", "keras_files");
        foreach (string file in new[] { "deep_stack.weights.h5", "deep_stack_tf_keras.h5", "deep_stack_keras22.h5", "bi_lstm.keras" })
        {
            string caseName = file.StartsWith("bi_lstm", StringComparison.Ordinal) ? "BiLstm3" : "DeepStack";
            IRnnModel<float> model = ModelCase.Get(caseName).Create();
            using (FileStream stream = File.OpenRead(Path.Combine(folder, file)))
            {
                model.LoadKerasWeights(stream);
            }

            float[] expected = Enumerable.Range(0, model.Info.ParameterCount).Select(k => (float)((k * 37 % 101 - 50) / 64.0)).ToArray();
            Assert.True(expected.SequenceEqual(model.Parameters.ToArray()), file);
        }
    }

    [Fact]
    public void A_non_seekable_stream_and_a_stream_past_its_start_load_too()
    {
        (ModelCase modelCase, float[] original) = Setup("Lstm3");
        byte[] file = KerasTestFiles.Keras3Weights(modelCase.Layers, original);
        byte[] prefixed = [.. new byte[] { 1, 2, 3 }, .. file];
        IRnnModel<float> model = modelCase.Create();
        var stream = new MemoryStream(prefixed) { Position = 3 };
        model.LoadKerasWeights(stream);
        Assert.Equal(original, model.Parameters.ToArray());

        model.InitializeWeights(5);
        model.LoadKerasWeights(new BufferedStream(new NonSeekableStream(file)));
        Assert.Equal(original, model.Parameters.ToArray());
        Assert.Throws<ArgumentNullException>(() => model.LoadKerasWeights(null!));
    }

    [Fact]
    public void Hard_sigmoid_in_a_Keras_3_file_is_not_Keras_2s()
    {
        // The same LSTM as LstmHardSigmoidKeras2, its gates written as Keras 3's hard_sigmoid: another function.
        (ModelCase modelCase, float[] original) = Setup("LstmHardSigmoidKeras2");
        RefLayer[] keras3 = [modelCase.Layers[0], ((RefLstm)modelCase.Layers[1]) with { RecurrentActivation = RefActivation.HardSigmoid }];
        string message = Refused(modelCase, KerasTestFiles.Archive(keras3, original, KerasTestFiles.Config(keras3, 6)));
        Assert.Contains("recurrent_activation \"hard_sigmoid\" in the file (Activation.HardSigmoid; Keras 3 wrote the file, and its hard_sigmoid is relu6(x + 3) / 6)", message);
        Assert.Contains("this model has RecurrentActivation = Activation.HardSigmoidKeras2", message);
    }

    [Fact]
    public void Hard_sigmoid_in_a_Keras_2_file_is_not_Keras_3s()
    {
        (ModelCase modelCase, float[] original) = Setup("LstmReluHardSigmoid");
        RefLayer[] keras2 = [modelCase.Layers[0], ((RefLstm)modelCase.Layers[1]) with { RecurrentActivation = RefActivation.HardSigmoidKeras2 }, new RefDense(2, RefActivation.HardSigmoidKeras2)];
        string config = KerasTestFiles.Config(keras2, 9, legacy: true);
        string message = Refused(modelCase, KerasTestFiles.Legacy(keras2, original, KerasTestFiles.LegacyStyle.TfKeras, config));
        Assert.Contains("2 differences", message);
        Assert.Contains("recurrent_activation \"hard_sigmoid\" in the file (Activation.HardSigmoidKeras2; Keras 2 wrote the file, and its hard_sigmoid is clip(0.2·x + 0.5, 0, 1)); this model has RecurrentActivation = Activation.HardSigmoid", message);
        Assert.Contains("activation \"hard_sigmoid\" in the file (Activation.HardSigmoidKeras2", message);
    }

    [Fact]
    public void A_keras_archive_written_by_tf_keras_2_means_keras_2s_hard_sigmoid()
    {
        // tf.keras 2.13 to 2.15 write .keras archives too; their version in metadata.json decides what hard_sigmoid is.
        (ModelCase modelCase, float[] original) = Setup("LstmHardSigmoidKeras2");
        string config = KerasTestFiles.Config(modelCase.Layers, 6, legacy: true);
        AssertLoads(modelCase, KerasTestFiles.Archive(modelCase.Layers, original, config, kerasVersion: "2.15.0"), original);
        Assert.Contains("Keras 2 wrote the file", Refused(ModelCase.Get("LstmReluHardSigmoid"), KerasTestFiles.Archive(
            ModelCase.Get("LstmReluHardSigmoid").Layers, Setup("LstmReluHardSigmoid").Values, KerasTestFiles.Config(ModelCase.Get("LstmReluHardSigmoid").Layers, 6), kerasVersion: "2.15.0")));
    }

    [Fact]
    public void An_activation_RnnCompiler_lacks_is_named()
    {
        (ModelCase modelCase, float[] original) = Setup("Lstm3");
        string config = KerasTestFiles.Config(modelCase.Layers, 9, edit: (position, layer) => layer["recurrent_activation"] = "hard_silu");
        string message = Refused(modelCase, KerasTestFiles.Archive(modelCase.Layers, original, config));
        Assert.Contains("recurrent_activation \"hard_silu\" in the file (an activation RnnCompiler does not have); this model has RecurrentActivation = Activation.Sigmoid", message);
    }

    private static (ModelCase Case, float[] Values) Setup(string name)
    {
        ModelCase modelCase = ModelCase.Get(name);
        float[] values = TestData.Parameters(modelCase.Create().Info, seed: name.Length + 7);
        return (modelCase, values);
    }

    private static void AssertLoads(ModelCase modelCase, byte[] file, float[] expected)
    {
        IRnnModel<float> model = modelCase.Create();
        model.InitializeWeights(1234);
        model.LoadKerasWeights(new MemoryStream(file));
        float[] actual = model.Parameters.ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"{modelCase.Name}: parameter {i} is {actual[i]}, expected {expected[i]}");
        }
    }

    private static string Refused(ModelCase modelCase, byte[] file)
    {
        IRnnModel<float> model = modelCase.Create();
        float[] before = model.Parameters.ToArray();
        var error = Assert.Throws<InvalidDataException>(() => model.LoadKerasWeights(new MemoryStream(file)));
        Assert.Equal(before, model.Parameters.ToArray());
        return error.Message;
    }
}
