using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using RnnCompiler.Tests.Models;
using RnnCompiler.Tests.Reference;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>Weights compiled into the assembly through a real build (the file is an AdditionalFiles item).</summary>
public class CompiledWeightsTests
{
    [Fact]
    public void A_model_starts_with_the_compiled_weights_equal_to_loading_the_file()
    {
        var compiled = new CompiledWeightsModel();
        var loaded = new RuntimeWeightsModel();
        using (FileStream file = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "Models", "compiled.safetensors")))
        {
            loaded.LoadWeights(file);
        }

        Assert.Equal(loaded.Parameters.ToArray(), compiled.Parameters.ToArray());
        Assert.NotEqual(new RuntimeWeightsModel().Parameters.ToArray(), compiled.Parameters.ToArray());

        float[] inputs = TestData.Uniform(6 * 3, seed: 1, scale: 1f);
        var expected = new float[2];
        var actual = new float[2];
        loaded.Predict(inputs, expected);
        compiled.Predict(inputs, actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void The_weights_are_constant_data_not_an_array_built_at_start_up()
    {
        // A new model copies the constant data; a second model does not share the first one's array.
        var first = new CompiledWeightsModel();
        var second = new CompiledWeightsModel();
        first.Parameters[0] = 42;
        Assert.NotEqual(42, second.Parameters[0]);
        Assert.Equal(new CompiledWeightsModel().Parameters.ToArray(), second.Parameters.ToArray());
    }

    [Fact]
    public void A_PyTorch_state_dict_compiles_to_the_weights_LoadWeights_gives()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Models", "compiled_torch.safetensors");
        var compiled = new CompiledTorchWeightsModel();
        var loaded = new RuntimeWeightsModel();
        using (FileStream file = File.OpenRead(path))
        {
            loaded.LoadWeights(file);
        }

        Assert.Equal(loaded.Parameters.ToArray(), compiled.Parameters.ToArray());
        Assert.NotEqual(new RuntimeWeightsModel().Parameters.ToArray(), compiled.Parameters.ToArray());

        // Independently of the library's conversion: the test-side Keras → PyTorch export of the compiled weights
        // gives back the file's tensors (gates z, r, h → r, z, n; kernels transposed; GRU biases split into two rows).
        List<KerasLayer> layout = KerasLayout.Of([new RefInput(3), new RefGru(4), new RefDense(2, RefActivation.Tanh)]);
        (List<(string Name, int[] Shape, double[] Values)> exported, _) = PyTorchExport.Convert(layout, compiled.Parameters);
        Dictionary<string, TestTensor> inFile = SafeTensorsTestWriter.ReadTensors(File.ReadAllBytes(path)).ToDictionary(tensor => tensor.Name);
        Assert.Equal(6, inFile.Count);
        foreach ((string name, int[] shape, double[] values) in exported)
        {
            Assert.Equal(inFile[name].Shape, shape);
            Assert.Equal(SafeTensorsTestWriter.DecodeF32(inFile[name].Data), values.Select(value => (float)value).ToArray());
        }

        float[] inputs = TestData.Uniform(6 * 3, seed: 3, scale: 1f);
        var expected = new float[2];
        var actual = new float[2];
        loaded.Predict(inputs, expected);
        compiled.Predict(inputs, actual);
        Assert.Equal(expected, actual);
    }
}
