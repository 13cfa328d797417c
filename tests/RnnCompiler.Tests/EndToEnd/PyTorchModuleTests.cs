using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using RnnCompiler.Tests.Models;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>
/// PyTorch state_dicts as people save them: nn.LSTM(num_layers = N) holding N stacked layers (<c>_l0</c>, <c>_l1</c>,
/// with <c>_reverse</c>), and modules named by the user's model (<c>rnn</c>, <c>fc</c>) mapped with LoadPyTorchWeights.
/// The files come from the test's own Keras → PyTorch conversion (PyTorchExport).
/// </summary>
public class PyTorchModuleTests
{
    [Fact]
    public void A_num_layers_LSTM_named_after_the_first_layer_loads_without_a_map()
    {
        var modules = new Dictionary<string, (string, int)> { ["lstm"] = ("lstm", 0), ["lstm_1"] = ("lstm", 1), ["lstm_2"] = ("lstm", 2) };
        (byte[] file, float[] expected, float[] original) = Export("TorchLstmStack", modules);
        IRnnModel<float> model = ModelCase.Get("TorchLstmStack").Create();
        model.LoadWeights(new MemoryStream(file));
        AssertBits(expected, model.Parameters.ToArray());
        AssertSamePredictions("TorchLstmStack", original, model);
    }

    [Fact]
    public void A_bidirectional_num_layers_GRU_loads_without_a_map()
    {
        var modules = new Dictionary<string, (string, int)> { ["bidirectional"] = ("bidirectional", 0), ["bidirectional_1"] = ("bidirectional", 1) };
        (byte[] file, float[] expected, _) = Export("TorchBiGruStack", modules);
        IRnnModel<float> model = ModelCase.Get("TorchBiGruStack").Create();
        model.LoadWeights(new MemoryStream(file));
        AssertBits(expected, model.Parameters.ToArray());
    }

    [Fact]
    public void Modules_named_by_the_users_model_load_with_a_map()
    {
        var modules = new Dictionary<string, (string, int)> { ["lstm"] = ("rnn", 0), ["lstm_1"] = ("rnn", 1), ["lstm_2"] = ("rnn", 2), ["dense"] = ("fc", 0) };
        (byte[] file, float[] expected, float[] original) = Export("TorchLstmStack", modules);
        IRnnModel<float> model = ModelCase.Get("TorchLstmStack").Create();
        model.LoadPyTorchWeights(new MemoryStream(file), new Dictionary<string, string> { ["lstm"] = "rnn", ["lstm_1"] = "rnn", ["lstm_2"] = "rnn", ["dense"] = "fc" });
        AssertBits(expected, model.Parameters.ToArray());
        AssertSamePredictions("TorchLstmStack", original, model);
    }

    [Theory]
    [InlineData("bidirectional", "bidirectional_1")]
    [InlineData("gru", "gru_1")]
    public void A_bidirectional_stack_maps_by_the_wrapper_or_the_wrapped_layer_name(string first, string second)
    {
        var modules = new Dictionary<string, (string, int)> { ["embedding"] = ("embed", 0), ["bidirectional"] = ("encoder", 0), ["bidirectional_1"] = ("encoder", 1), ["dense"] = ("head", 0) };
        (byte[] file, float[] expected, _) = Export("TorchBiGruStack", modules);
        IRnnModel<float> model = ModelCase.Get("TorchBiGruStack").Create();
        model.LoadPyTorchWeights(new MemoryStream(file), new Dictionary<string, string> { ["embedding"] = "embed", [first] = "encoder", [second] = "encoder", ["dense"] = "head" });
        AssertBits(expected, model.Parameters.ToArray());
    }

    [Fact]
    public void Unknown_module_names_are_refused_with_the_files_tensor_names_and_the_way_to_map_them()
    {
        var modules = new Dictionary<string, (string, int)> { ["lstm"] = ("rnn", 0), ["lstm_1"] = ("rnn", 1), ["lstm_2"] = ("rnn", 2), ["dense"] = ("fc", 0) };
        (byte[] file, _, _) = Export("TorchLstmStack", modules);
        IRnnModel<float> model = ModelCase.Get("TorchLstmStack").Create();
        float[] before = model.Parameters.ToArray();
        var error = Assert.Throws<InvalidDataException>(() => model.LoadWeights(new MemoryStream(file)));
        Assert.Contains("'rnn.weight_ih_l0'", error.Message);
        Assert.Contains("LoadPyTorchWeights", error.Message);

        // A map that leaves a module out: the missing tensor, the file's names and the way to map are all named.
        error = Assert.Throws<InvalidDataException>(() => model.LoadPyTorchWeights(new MemoryStream(file), new Dictionary<string, string> { ["lstm"] = "rnn", ["lstm_1"] = "rnn", ["lstm_2"] = "rnn" }));
        Assert.Contains("'dense.weight'", error.Message);
        Assert.Contains("the modules 'rnn', 'fc'", error.Message);
        Assert.Contains("[\"dense\"] = \"<module>\"", error.Message);
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void A_map_naming_no_layer_of_the_model_is_an_ArgumentException_naming_modules()
    {
        IRnnModel<float> model = ModelCase.Get("TorchLstmStack").Create();
        float[] before = model.Parameters.ToArray();
        var error = Assert.Throws<ArgumentException>(() => model.LoadPyTorchWeights(new MemoryStream([1, 2, 3]), new Dictionary<string, string> { ["gru"] = "rnn" }));
        Assert.Equal("modules", error.ParamName);
        Assert.Contains("'lstm_1'", error.Message);
        error = Assert.Throws<ArgumentException>(() => model.LoadPyTorchWeights(new MemoryStream([1, 2, 3]), new Dictionary<string, string> { ["lstm"] = "" }));
        Assert.Equal("modules", error.ParamName);
        Assert.Throws<ArgumentNullException>(() => model.LoadPyTorchWeights(new MemoryStream([1, 2, 3]), null!));
        Assert.Equal(before, model.Parameters.ToArray());
    }

    private static (byte[] File, float[] Expected, float[] Original) Export(string name, IReadOnlyDictionary<string, (string, int)> modules)
    {
        ModelCase modelCase = ModelCase.Get(name);
        List<KerasLayer> layout = KerasLayout.Of(modelCase.Layers);
        float[] original = TestData.Uniform(layout.ParameterCount(), seed: 31 + name.Length);
        (List<(string Name, int[] Shape, double[] Values)> tensors, float[] expected) = PyTorchExport.Convert(layout, original, modules: modules);
        Assert.Contains(tensors, t => modules.Values.Any(m => t.Name.StartsWith(m.Item1 + ".", StringComparison.Ordinal)));
        return (PyTorchExport.File(tensors), expected, original);
    }

    private static void AssertSamePredictions(string name, float[] original, IRnnModel<float> loaded)
    {
        var reference = (IFeatureModel<float>)ModelCase.Get(name).Create();
        original.CopyTo(reference.Parameters);
        var inputs = TestData.Uniform(reference.Info.SequenceLength * reference.Info.InputWidth, seed: 3);
        var expected = new float[reference.Info.OutputUnits];
        var actual = new float[reference.Info.OutputUnits];
        reference.Predict(inputs, expected);
        ((IFeatureModel<float>)loaded).Predict(inputs, actual);
        TestData.AssertClose(expected, actual, 1e-5, name);
    }

    private static void AssertBits(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"parameter {i}: {actual[i]}, expected {expected[i]}");
        }
    }
}
