using System;
using System.IO;
using System.Linq;
using RnnCompiler.Tests.EndToEnd;
using RnnCompiler.Tests.Models;
using RnnCompiler.Tool;
using Xunit;

namespace RnnCompiler.Tests.Tool;

/// <summary>
/// The <c>rnncompiler</c> command as its Main runs it (<see cref="RnnCompilerCommand.Run"/>): arguments, exit codes,
/// the declaration on standard output, the weights file, and nothing written whenever it fails.
/// </summary>
public sealed class RnnCompilerCommandTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "rnncompiler-tool-" + Guid.NewGuid().ToString("N"));

    public RnnCompilerCommandTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Import_prints_the_declaration_and_writes_weights_the_declared_model_loads()
    {
        (ModelCase modelCase, float[] values) = Setup("TokenTagger");
        string file = Save("tagger.keras", KerasDeclarationTests.Write(modelCase, values, KerasDeclarationTests.KerasFormat.Keras3Archive, 12));
        string output = Path.Combine(_folder, "out", "deeper");

        (ExitCode code, string stdout, string stderr) = Run("import", file, "--name", "TokenTagger", "--namespace", "Contoso.Tagging", "--output", output);

        Assert.Equal(ExitCode.Success, code);
        Assert.EndsWith(
            """
            using RnnCompiler;

            namespace Contoso.Tagging;

            [RnnModel(SequenceLength = 12, Weights = "tokentagger.safetensors")]
            [Embedding(31, 5)]
            [Lstm(6, ReturnSequences = true)]
            [Dense(3, Activation = Activation.Softmax)]
            public partial class TokenTagger;

            """.ReplaceLineEndings("\n"),
            stdout);
        Assert.Contains("<RnnWeights Include=\"tokentagger.safetensors\" />", stdout);
        Assert.Contains("wrote " + Path.Combine(output, "tokentagger.safetensors"), stderr);
        Assert.Equal(["tokentagger.safetensors"], Directory.GetFiles(output).Select(Path.GetFileName));

        IRnnModel<float> model = modelCase.Create();
        using (FileStream weights = File.OpenRead(Path.Combine(output, "tokentagger.safetensors")))
        {
            model.LoadWeights(weights);
        }

        Assert.Equal(values, model.Parameters.ToArray());
    }

    [Fact]
    public void Options_take_the_equals_form()
    {
        (ModelCase modelCase, float[] values) = Setup("DeepStack");
        string file = Save("deep.h5", KerasDeclarationTests.Write(modelCase, values, KerasDeclarationTests.KerasFormat.TfKerasH5, sequenceLength: null));
        (ExitCode code, string stdout, _) = Run("import", "--sequence-length=10", "--name=Deep", file, "--output=" + _folder);
        Assert.Equal(ExitCode.Success, code);
        Assert.Contains("[RnnModel(SequenceLength = 10, Weights = \"deep.safetensors\")]\n[Input(4)]\n", stdout);
        Assert.True(File.Exists(Path.Combine(_folder, "deep.safetensors")));
    }

    [Fact]
    public void An_open_sequence_length_is_asked_for_and_nothing_is_written()
    {
        (ModelCase modelCase, float[] values) = Setup("Lstm3");
        string file = Save("open.keras", KerasDeclarationTests.Write(modelCase, values, KerasDeclarationTests.KerasFormat.Keras3Archive, sequenceLength: null));
        string output = Path.Combine(_folder, "out");

        (ExitCode code, string stdout, string stderr) = Run("import", file, "--name", "Lstm3", "--output", output);

        Assert.Equal(ExitCode.NotDeclared, code);
        Assert.Empty(stdout);
        Assert.Contains("--sequence-length N", stderr);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(Directory.Exists(output));

        Assert.Equal(ExitCode.Success, Run("import", file, "--name", "Lstm3", "--output", output, "--sequence-length", "9").Code);
        Assert.True(File.Exists(Path.Combine(output, "lstm3.safetensors")));
    }

    [Fact]
    public void Unsupported_layers_and_options_are_each_listed_and_nothing_is_written()
    {
        (ModelCase modelCase, float[] values) = Setup("DeepStack");
        string config = KerasTestFiles.Config(modelCase.Layers, 10, edit: (position, layer) =>
        {
            if (position == 0)
            {
                layer["go_backwards"] = true;
            }
        }, insert: [(1, KerasDeclarationTests.Layer("Conv1D", "conv1d")), (2, KerasDeclarationTests.Layer("Dropout", "dropout"))]);
        string file = Save("conv.keras", KerasTestFiles.Archive(modelCase.Layers, values, config));
        string output = Path.Combine(_folder, "out");

        (ExitCode code, string stdout, string stderr) = Run("import", file, "--name", "Deep", "--output", output);

        Assert.Equal(ExitCode.NotDeclared, code);
        Assert.Empty(stdout);
        string[] lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Contains("has 2 layers or options that RnnCompiler does not have; nothing was written", lines[0]);
        Assert.StartsWith(" - layer 'lstm' (LSTM): go_backwards is true", lines[1]);
        Assert.StartsWith(" - layer 'conv1d' (Conv1D): RnnCompiler has no Conv1D layer", lines[2]);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void Damaged_truncated_and_missing_files_are_one_line_errors_and_nothing_is_written()
    {
        (ModelCase modelCase, float[] values) = Setup("GruAfter3");
        byte[] file = KerasDeclarationTests.Write(modelCase, values, KerasDeclarationTests.KerasFormat.TfKerasH5, 9);
        string output = Path.Combine(_folder, "out");
        foreach ((string name, byte[] bytes) in new[] { ("cut.h5", file[..(file.Length / 2)]), ("empty.h5", Array.Empty<byte>()), ("text.h5", "hello"u8.ToArray()) })
        {
            (ExitCode code, string stdout, string stderr) = Run("import", Save(name, bytes), "--name", "Gru", "--output", output);
            Assert.Equal(ExitCode.NotDeclared, code);
            Assert.Empty(stdout);
            Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("rnncompiler: error: ", stderr);
            Assert.False(Directory.Exists(output), name);
        }

        (ExitCode missing, _, string missingError) = Run("import", Path.Combine(_folder, "nothing.keras"), "--name", "Gru", "--output", output);
        Assert.Equal(ExitCode.NotDeclared, missing);
        Assert.Contains("nothing.keras", missingError);
        Assert.False(Directory.Exists(output));
    }

    [Theory]
    [InlineData(new string[0], "Usage:")]
    [InlineData(new[] { "convert", "m.keras" }, "unknown command 'convert'")]
    [InlineData(new[] { "import", "m.keras" }, "--name <ClassName> is missing")]
    [InlineData(new[] { "import", "--name", "X" }, "the Keras file to read is missing")]
    [InlineData(new[] { "import", "m.keras", "--name" }, "--name needs a value")]
    [InlineData(new[] { "import", "m.keras", "--name", "X", "--name", "Y" }, "--name is given twice")]
    [InlineData(new[] { "import", "m.keras", "--name", "X", "--weights", "w" }, "unknown option '--weights'")]
    [InlineData(new[] { "import", "m.keras", "n.keras", "--name", "X" }, "one file at a time")]
    [InlineData(new[] { "import", "m.keras", "--name", "X", "--sequence-length", "0" }, "--sequence-length is '0'")]
    [InlineData(new[] { "import", "m.keras", "--name", "X", "--sequence-length", "ten" }, "--sequence-length is 'ten'")]
    public void Wrong_arguments_exit_with_2_and_read_nothing(string[] args, string expected)
    {
        (ExitCode code, string stdout, string stderr) = Run(args);
        Assert.Equal(ExitCode.Usage, code);
        Assert.Contains(expected, stdout + stderr);
    }

    [Fact]
    public void A_class_name_that_is_not_an_identifier_exits_with_2_and_writes_nothing()
    {
        (ModelCase modelCase, float[] values) = Setup("Lstm3");
        string file = Save("lstm.keras", KerasDeclarationTests.Write(modelCase, values, KerasDeclarationTests.KerasFormat.Keras3Archive, 9));
        string output = Path.Combine(_folder, "out");
        foreach (string[] args in new[] { new[] { "--name", "3Lstm" }, ["--name", "Lstm", "--namespace", "A..B"] })
        {
            (ExitCode code, string stdout, string stderr) = Run(["import", file, "--output", output, .. args]);
            Assert.Equal(ExitCode.Usage, code);
            Assert.Empty(stdout);
            Assert.Contains("is not a C#", stderr);
            Assert.False(Directory.Exists(output));
        }
    }

    [Fact]
    public void Help_and_version_exit_with_0()
    {
        foreach (string[] args in new[] { new[] { "--help" }, ["-h"], ["help"], ["import", "--help"] })
        {
            (ExitCode code, string stdout, string stderr) = Run(args);
            Assert.Equal(ExitCode.Success, code);
            Assert.Contains("rnncompiler import <file> --name <ClassName>", stdout);
            Assert.Contains("Exit codes: 0 done; 1", stdout);
            Assert.Empty(stderr);
        }

        (ExitCode version, string text, _) = Run("--version");
        Assert.Equal(ExitCode.Success, version);
        Assert.Matches(@"^\d+\.\d+\.\d+", text);
    }

    private static (ExitCode Code, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter { NewLine = "\n" };
        using var error = new StringWriter { NewLine = "\n" };
        ExitCode code = RnnCompilerCommand.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private string Save(string name, byte[] bytes)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static (ModelCase Case, float[] Values) Setup(string name)
    {
        ModelCase modelCase = ModelCase.Get(name);
        return (modelCase, TestData.Parameters(modelCase.Create().Info, seed: name.Length + 3));
    }
}
