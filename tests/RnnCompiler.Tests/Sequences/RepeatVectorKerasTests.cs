using System;
using System.IO;
using System.Text.Json.Nodes;
using RnnCompiler.Tests.EndToEnd;
using RnnCompiler.Tests.Reference;
using RnnCompiler.Tests.Training;
using RnnCompiler.Weights.Keras;
using Xunit;

namespace RnnCompiler.Tests.Sequences;

/// <summary>
/// Keras files of encoder-decoder models with a <c>RepeatVector</c> (written as Keras 3 lays them out, KerasTestFiles):
/// LoadKerasWeights takes them into the declared model and refuses one whose repeat differs, with nothing changed, and
/// KerasModelFile reads them back as the declaration, <c>[RepeatVector]</c> where it stands.
/// </summary>
public class RepeatVectorKerasTests
{
    // RepeatTokenModel's layers without the repeat: the weights are the same, the repeat goes into the configuration.
    private static readonly RefLayer[] Weighted = [new RefEmbedding(10, 3), new RefLstm(4), new RefGru(3, ReturnSequences: true), new RefDense(10, RefActivation.Softmax)];

    private static JsonObject RepeatVector(int steps, string name = "repeat_vector") =>
        new() { ["module"] = "keras.layers", ["class_name"] = "RepeatVector", ["config"] = new JsonObject { ["name"] = name, ["trainable"] = true, ["dtype"] = "float32", ["n"] = steps }, ["registered_name"] = null };

    private static (byte[] File, float[] Values) File(int? repeatSteps, int before = 2)
    {
        float[] values = TrainingData.ToFloat(TrainingData.Doubles(RepeatTokenModel.ParameterCount, 200, 0.5));
        string config = KerasTestFiles.Config(Weighted, 6, insert: repeatSteps is int steps ? [(before, RepeatVector(steps))] : null);
        return (KerasTestFiles.Archive(Weighted, values, config), values);
    }

    [Fact]
    public void LoadKerasWeights_takes_the_file_of_the_same_model()
    {
        (byte[] file, float[] values) = File(3);
        var model = new RepeatTokenModel();
        model.LoadKerasWeights(new MemoryStream(file));
        Assert.Equal(Array.ConvertAll(values, v => (double)v), model.Parameters.ToArray());
    }

    [Theory]
    [InlineData(4, "the file's layer 'repeat_vector' repeats over 4 steps; this model's [RepeatVector] over 3")]
    [InlineData(null, "this model repeats a vector over 3 steps ([RepeatVector]); the file has no RepeatVector layer")]
    public void LoadKerasWeights_refuses_another_repeat_and_changes_nothing(int? fileSteps, string expected)
    {
        (byte[] file, _) = File(fileSteps);
        var model = new RepeatTokenModel();
        model.InitializeWeights(1);
        double[] before = model.Parameters.ToArray();
        var error = Assert.Throws<InvalidDataException>(() => model.LoadKerasWeights(new MemoryStream(file)));
        Assert.Contains(expected, error.Message);
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void KerasModelFile_declares_the_repeat_where_it_stands()
    {
        (byte[] file, float[] values) = File(3);
        KerasModelFile read = KerasModelFile.Read(new MemoryStream(file));
        Assert.Empty(read.Unsupported);
        Assert.Equal(3, read.OutputSteps);
        Assert.Equal(RepeatTokenModel.ParameterCount, read.ParameterCount);
        string declaration = read.ToDeclaration("Solver").Replace("\r\n", "\n", StringComparison.Ordinal);
        Assert.Contains("[RnnModel(SequenceLength = 6)]\n[Embedding(10, 3)]\n[Lstm(4)]\n[RepeatVector(3)]\n[Gru(3, ReturnSequences = true)]\n[Dense(10, Activation = Activation.Softmax)]\npublic partial class Solver;", declaration);

        // Its safetensors load into the declared model as the Keras file's own weights.
        using var safeTensors = new MemoryStream();
        read.SaveWeights(safeTensors);
        var model = new RepeatTokenModel();
        model.LoadWeights(new MemoryStream(safeTensors.ToArray()));
        Assert.Equal(Array.ConvertAll(values, v => (double)v), model.Parameters.ToArray());
    }

    [Fact]
    public void KerasModelFile_lists_a_repeat_of_a_sequence_as_unsupported()
    {
        // A RepeatVector after the embedding (a sequence): RnnCompiler repeats one vector.
        (byte[] file, _) = File(3, before: 1);
        KerasModelFile read = KerasModelFile.Read(new MemoryStream(file));
        Assert.Contains(read.Unsupported, line => line.Contains("a RepeatVector after a layer that returns a sequence", StringComparison.Ordinal));
    }
}
