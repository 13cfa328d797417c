using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using RnnCompiler.Generators;
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
        // 13 float weights; per step of 4, SimpleRnn(2)'s sums and hidden states; its streaming h; each buffer aligned.
        AnalyzerTest.ModelSize("Tiny", 13, weights: (4 * 13) + AnalyzerTest.Padding, working: (4 * 4 * (2 + 2)) + (2 * AnalyzerTest.Padding), streaming: (4 * 2) + AnalyzerTest.Padding));

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

    // ---------------------------------------------------------------- hostile files

    /// <summary>A file with the JSON header <paramref name="header"/> and <paramref name="dataBytes"/> zero bytes of data, as base64.</summary>
    private static string Raw(string header, int dataBytes) => Raw(Encoding.UTF8.GetBytes(header), dataBytes);

    /// <summary>A file with the header bytes <paramref name="json"/> and <paramref name="dataBytes"/> zero bytes of data, as base64.</summary>
    private static string Raw(byte[] json, int dataBytes)
    {
        return Convert.ToBase64String(BitConverter.GetBytes((ulong)json.Length).Concat(json).Concat(new byte[dataBytes]).ToArray());
    }

    private const string F32 = "\"dtype\":\"F32\",\"shape\":[1]";

    public static TheoryData<string, string, string> HostileFiles() => new()
    {
        // A header nested 100,000 deep recursed until the compiler's stack overflowed and the build process died.
        { "nested 100,000 deep", Raw("{\"a\":{\"n\":" + new string('[', 100_000) + new string(']', 100_000) + "}}", 0), "the safetensors header nests values more than 64 deep (at byte 72)." },
        { "a root that is not an object", Raw(new string('[', 100_000) + new string(']', 100_000), 0), "the safetensors header is not a JSON object." },
        { "a key twice", Raw("{\"a\":{" + F32 + ",\"data_offsets\":[0,4]},\"a\":{" + F32 + ",\"data_offsets\":[0,4]}}", 4), "the safetensors header names 'a' twice." },
        { "overlapping tensors", Raw("{\"a\":{" + F32 + ",\"data_offsets\":[0,4]},\"b\":{" + F32 + ",\"data_offsets\":[0,4]}}", 4), "tensor 'b' overlaps another tensor's data at byte 0." },
        { "a gap", Raw("{\"a\":{" + F32 + ",\"data_offsets\":[4,8]}}", 8), "tensor 'a' starts at byte 4 of the data, leaving bytes 0 to 4 unused." },
        { "bytes after the data", Raw("{\"a\":{" + F32 + ",\"data_offsets\":[0,4]}}", 6), "the file has 2 bytes after its tensors' data; a safetensors file ends with its data." },
        // The element count times 4 wrapped to 0, so [0, 0] passed the size check.
        { "a shape whose size overflows", Raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1073741824,1073741824,8],\"data_offsets\":[0,0]}}", 0), "tensor 'a': shape [1073741824, 1073741824, 8] of F32 needs more bytes than its data_offsets span (0)." },
        // The end added to the data's start overflowed long and passed the truncation check; decoding then threw.
        { "offsets past long", Raw("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,9223372036854775800]}}", 1), "tensor 'a': shape [1] of U8 needs 1 bytes, but data_offsets span 9223372036854775800." },
        { "data past the end", Raw("{\"a\":{" + F32 + ",\"data_offsets\":[0,4]}}", 2), "the file is truncated: its tensors need 4 bytes of data and 2 remain." },
        { "a header past the end", Convert.ToBase64String(BitConverter.GetBytes(1000UL)), "the header length 1000 is past the end of the file (8 bytes)." },
        { "invalid UTF-8", Raw(new byte[] { (byte)'{', (byte)'"', 0xFF, (byte)'"', (byte)':', (byte)'0', (byte)'}' }, 0), "the safetensors header is not valid UTF-8." },
    };

    [Theory]
    [MemberData(nameof(HostileFiles))]
    public Task RNN0022_a_malformed_file_is_refused_with_what_is_wrong(string what, string base64, string error)
    {
        _ = what;
        return AnalyzerTest.VerifyWithFilesAsync(
            Model,
            new[] { ("/project/tiny.safetensors.b64", base64) },
            AnalyzerTest.Diagnostic("RNN0022").WithMessage($"The weights file '/project/tiny.safetensors' is not a valid safetensors file: {error}"));
    }

    [Fact]
    public void A_file_that_does_not_fit_gets_the_fallback_members_and_only_its_RNN_error()
    {
        // The analyzer reports RNN0022; the generator reports nothing of its own (no RNN0027) and writes the model's
        // members with throwing bodies, so code that calls them compiles and the build shows the RNN error alone.
        const string Use = "public static class Use { public static float[] Run(Tiny model) { var outputs = new float[Tiny.OutputUnits]; model.Predict(new float[8], outputs); return outputs; } }";
        foreach (object[] row in HostileFiles())
        {
            (string generated, ImmutableArray<Diagnostic> generatorDiagnostics, Diagnostic[] errors) =
                GenerateAndCompile("using RnnCompiler;\n" + Model.Replace("{|#0:", string.Empty).Replace(")|}]", ")]") + "\n" + Use, (string)row[1]);
            Assert.Contains("was not generated: its declaration has an RnnCompiler error", generated);
            Assert.DoesNotContain("CompiledWeights", generated);
            Assert.Empty(generatorDiagnostics);
            Assert.Empty(errors);
        }
    }

    // ---------------------------------------------------------------- PyTorch names

    /// <summary>
    /// The Keras values of Tiny, multiples of 1/8 so that every sum below is exact: simple_rnn/kernel [2, 2] = 0 … 0.375,
    /// simple_rnn/recurrent_kernel [2, 2] = 0.5 … 0.875, simple_rnn/bias [2] = 1, 1.125, dense/kernel [2, 1] = 1.25, 1.375,
    /// dense/bias [1] = 1.5.
    /// </summary>
    private static float[] TinyValues() => Enumerable.Range(0, 13).Select(i => 0.125f * i).ToArray();

    /// <summary>Tiny's weights under Keras names, as SaveWeights writes them.</summary>
    private static string KerasTiny()
    {
        var layers = new[]
        {
            new LayerDescriptor(LayerKind.SimpleRnn, "simple_rnn", "simple_rnn", 2, 2, 0),
            new LayerDescriptor(LayerKind.Dense, "dense", "dense", 2, 1, 10),
        };
        using var stream = new MemoryStream();
        WeightFile.Save<float>(stream, layers, TinyValues());
        return Convert.ToBase64String(stream.ToArray());
    }

    /// <summary>
    /// The same weights as an nn.RNN + nn.Linear state_dict, converted by hand: weights [out, in] are the Keras kernels
    /// transposed, and bias_ih_l0 + bias_hh_l0 is the Keras bias.
    /// </summary>
    private static string PyTorchTiny() => Convert.ToBase64String(SafeTensors(
        ("simple_rnn.weight_ih_l0", new[] { 2, 2 }, new[] { 0f, 0.25f, 0.125f, 0.375f }),
        ("simple_rnn.weight_hh_l0", new[] { 2, 2 }, new[] { 0.5f, 0.75f, 0.625f, 0.875f }),
        ("simple_rnn.bias_ih_l0", new[] { 2 }, new[] { 0.75f, 0.5f }),
        ("simple_rnn.bias_hh_l0", new[] { 2 }, new[] { 0.25f, 0.625f }),
        ("dense.weight", new[] { 1, 2 }, new[] { 1.25f, 1.375f }),
        ("dense.bias", new[] { 1 }, new[] { 1.5f })));

    [Fact]
    public Task A_PyTorch_named_file_gives_only_the_size_information() => AnalyzerTest.VerifyWithFilesAsync(
        Model.Replace("{|#0:", string.Empty).Replace(")|}]", ")]").Replace("class Tiny", "class {|#0:Tiny|}"),
        new[] { ("/project/obj/rnnweights/tiny.safetensors.b64", PyTorchTiny()) },
        AnalyzerTest.ModelSize("Tiny", 13, weights: (4 * 13) + AnalyzerTest.Padding, working: (4 * 4 * (2 + 2)) + (2 * AnalyzerTest.Padding), streaming: (4 * 2) + AnalyzerTest.Padding));

    [Fact]
    public void A_PyTorch_named_file_compiles_the_same_weights_as_the_Keras_file()
    {
        string source = "using RnnCompiler;\n" + Model.Replace("{|#0:", string.Empty).Replace(")|}]", ")]");
        string keras = Generate(source, KerasTiny());
        Assert.Contains("CompiledWeights", keras);
        Assert.Equal(keras, Generate(source, PyTorchTiny()));
    }

    [Fact]
    public Task RNN0023_PyTorch_GRU_weights_for_a_GRU_with_ResetAfter_false() => AnalyzerTest.VerifyWithFilesAsync(
        """
        [{|#0:RnnModel(SequenceLength = 4, Weights = "gru.safetensors")|}]
        [Input(2)]
        [Gru(2, ResetAfter = false)]
        public partial class OldGru;
        """,
        new[]
        {
            ("/project/gru.safetensors.b64", Convert.ToBase64String(SafeTensors(
                ("gru.weight_ih_l0", new[] { 6, 2 }, new float[12]),
                ("gru.weight_hh_l0", new[] { 6, 2 }, new float[12]),
                ("gru.bias_ih_l0", new[] { 6 }, new float[6]),
                ("gru.bias_hh_l0", new[] { 6 }, new float[6])))),
        },
        AnalyzerTest.Diagnostic("RNN0023").WithMessage("Layer 'gru': PyTorch's GRU applies the reset gate after the recurrent product, which is Gru(ResetAfter = true); this layer has ResetAfter = false, so PyTorch weights cannot be converted to it."));

    [Fact]
    public Task RNN0023_a_PyTorch_tensor_has_another_shape_and_the_message_names_both_tensors_and_shapes() => AnalyzerTest.VerifyWithFilesAsync(
        Model,
        new[]
        {
            ("/project/tiny.safetensors.b64", Convert.ToBase64String(SafeTensors(
                ("simple_rnn.weight_ih_l0", new[] { 2, 2 }, new float[4]),
                ("simple_rnn.weight_hh_l0", new[] { 2, 2 }, new float[4]),
                ("simple_rnn.bias_ih_l0", new[] { 2 }, new float[2]),
                ("simple_rnn.bias_hh_l0", new[] { 2 }, new float[2]),
                ("dense.weight", new[] { 2, 1 }, new float[2]),
                ("dense.bias", new[] { 1 }, new float[1])))),
        },
        AnalyzerTest.Diagnostic("RNN0023").WithMessage("Tensor 'dense.weight' has shape [2, 1] in '/project/tiny.safetensors'; the model expects [1, 2] (for 'dense/kernel')."));

    /// <summary>A safetensors file of F32 tensors, written here rather than by the library under test.</summary>
    private static byte[] SafeTensors(params (string Name, int[] Shape, float[] Values)[] tensors)
    {
        var header = new Dictionary<string, object>();
        long offset = 0;
        foreach ((string name, int[] shape, float[] values) in tensors)
        {
            header[name] = new Dictionary<string, object> { ["dtype"] = "F32", ["shape"] = shape, ["data_offsets"] = new[] { offset, offset + 4L * values.Length } };
            offset += 4L * values.Length;
        }

        byte[] json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        using var stream = new MemoryStream();
        stream.Write(BitConverter.GetBytes((ulong)json.Length));
        stream.Write(json);
        foreach ((_, _, float[] values) in tensors)
        {
            foreach (float value in values)
            {
                stream.Write(BitConverter.GetBytes(value));
            }
        }

        return stream.ToArray();
    }

    /// <summary>The generator's output for <paramref name="source"/> with <paramref name="base64"/> as tiny.safetensors.</summary>
    private static string Generate(string source, string base64) => GenerateAndCompile(source, base64).Generated;

    /// <summary>The generator's output for <paramref name="source"/> with the weights file, its diagnostics, and the errors of compiling both.</summary>
    private static (string Generated, ImmutableArray<Diagnostic> GeneratorDiagnostics, Diagnostic[] Errors) GenerateAndCompile(string source, string base64)
    {
        var parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
        CSharpCompilation compilation = CSharpCompilation.Create(
            "Generated",
            new[] { CSharpSyntaxTree.ParseText(source, parseOptions) },
            Basic.Reference.Assemblies.Net100.References.All.Cast<MetadataReference>().Append(AnalyzerTest.Runtime),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            new[] { new RnnModelGenerator().AsSourceGenerator() },
            ImmutableArray.Create<AdditionalText>(new InMemoryText("/project/obj/rnnweights/tiny.safetensors.b64", base64)),
            parseOptions);
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        GeneratorDriverRunResult result = driver.GetRunResult();
        Diagnostic[] errors = output.GetDiagnostics().Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error).ToArray();
        return (string.Join("\n", result.GeneratedTrees.Select(tree => tree.GetText().ToString())), diagnostics, errors);
    }

    private sealed class InMemoryText(string path, string text) : AdditionalText
    {
        public override string Path => path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text, Encoding.UTF8);
    }
}
