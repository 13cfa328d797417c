using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using RnnCompiler.Weights;
using Xunit;

namespace RnnCompiler.Analyzers.Tests;

/// <summary>Compile-time weights: a missing, unreadable or mismatched file is an error on the [RnnModel] attribute.</summary>
public class WeightsFileTests
{
    private const string Model = """
        [{|#0:RnnModel(SequenceLength = 4, Weights = "tiny.safetensors")|}]
        [Input(2)]
        [SimpleRnn(2)]
        [Dense(1)]
        public partial class Tiny;
        """;

    /// <summary>Base64 safetensors for SimpleRnn(2) on 2 inputs and Dense(<paramref name="denseUnits"/>).</summary>
    private static string Weights(int denseUnits)
    {
        var layers = new[]
        {
            new LayerDescriptor(LayerKind.SimpleRnn, "simple_rnn", "simple_rnn", 2, 2, 0),
            new LayerDescriptor(LayerKind.Dense, "dense", "dense", 2, denseUnits, 10),
        };
        float[] values = Enumerable.Range(0, 10 + 3 * denseUnits).Select(i => 0.1f * i).ToArray();
        using var stream = new MemoryStream();
        WeightFile.Save<float>(stream, layers, values);
        return Convert.ToBase64String(stream.ToArray());
    }

    [Fact]
    public Task A_matching_file_gives_only_the_size_information() => AnalyzerTest.VerifyWithFilesAsync(
        Model.Replace("{|#0:", string.Empty).Replace(")|}]", ")]").Replace("class Tiny", "class {|#0:Tiny|}"),
        new[] { ("/project/obj/rnnweights/tiny.safetensors.b64", Weights(1)) },
        AnalyzerTest.Diagnostic("RNN0100").WithArguments("Tiny", 13, 0.1));

    [Fact]
    public Task RNN0021_the_file_is_not_in_the_project() => AnalyzerTest.VerifyWithFilesAsync(
        Model,
        Array.Empty<(string, string)>(),
        AnalyzerTest.Diagnostic("RNN0021").WithMessage("Weights = \"tiny.safetensors\" names no file the project lists; add <RnnWeights Include=\"tiny.safetensors\" /> to the project file (with RnnCompiler.targets imported, which hands it to the compiler)."));

    [Fact]
    public Task RNN0022_the_file_is_not_safetensors() => AnalyzerTest.VerifyWithFilesAsync(
        Model,
        new[] { ("/project/tiny.safetensors.b64", Convert.ToBase64String(new byte[] { 1, 2, 3 })) },
        AnalyzerTest.Diagnostic("RNN0022"));

    [Fact]
    public Task RNN0023_a_tensor_has_another_shape_and_the_message_names_it_with_both_shapes() => AnalyzerTest.VerifyWithFilesAsync(
        Model,
        new[] { ("/project/tiny.safetensors.b64", Weights(3)) },
        AnalyzerTest.Diagnostic("RNN0023").WithMessage("Tensor 'dense/kernel' has shape [2, 3] in '/project/tiny.safetensors'; the model declares [2, 1]."));
}
