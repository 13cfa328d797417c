using System;
using System.IO;
using RnnCompiler.Tests.Models;
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
}
