using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using RnnCompiler.Tests.Models;
using RnnCompiler.Tests.Oracles;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>
/// Files of other formats handed to LoadWeights (Keras HDF5 and .keras, PyTorch torch.save zips and pickles, ONNX,
/// JSON) are named as what they are, with the call that reads them or the way to convert them; the model is unchanged.
/// </summary>
public class WeightFormatTests
{
    [Fact]
    public void An_HDF5_file_is_named_with_the_Keras_reader()
    {
        // The HDF5 superblock signature, then a version 0 superblock's first bytes.
        byte[] file = [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0, 0, 8, 8, 0, 4, 0, 16, 0];
        string message = Refused(file);
        Assert.Contains("HDF5", message);
        Assert.Contains("LoadKerasWeights", message);
    }

    [Fact]
    public void A_zip_archive_is_named_as_a_Keras_archive_or_a_torch_save_file()
    {
        using var archive = new MemoryStream();
        using (var zip = new ZipArchive(archive, ZipArchiveMode.Create, leaveOpen: true))
        {
            using Stream entry = zip.CreateEntry("archive/data.pkl").Open();
            entry.Write([0x80, 0x02, (byte)'}', (byte)'q', 0x00, (byte)'.']);
        }

        string message = Refused(archive.ToArray());
        Assert.Contains("zip archive", message);
        Assert.Contains(".keras", message);
        Assert.Contains("torch.save", message);
        Assert.Contains("safetensors.torch.save_file", message);
    }

    [Fact]
    public void A_pickle_is_named_as_PyTorchs_legacy_format()
    {
        // torch.save's legacy format opens with pickle protocol 2 and the magic number as a long.
        byte[] file = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E];
        string message = Refused(file);
        Assert.Contains("pickle", message);
        Assert.Contains("safetensors.torch.save_file", message);
    }

    [Fact]
    public void An_ONNX_model_is_named_as_such()
    {
        byte[] file = OnnxProtoWriter.Model(8, 14, graph => graph.GraphName("g").FloatInitializer("w", [2, 2], new float[4]));
        string message = Refused(file);
        Assert.Contains("ONNX", message);
    }

    [Theory]
    [InlineData("{\"class_name\": \"Sequential\", \"config\": {\"name\": \"sequential\"}}")]
    [InlineData("  [{\"class_name\": \"LSTM\"}]")]
    public void A_JSON_text_is_named_as_a_configuration_without_weights(string json)
    {
        string message = Refused(Encoding.UTF8.GetBytes(json));
        Assert.Contains("JSON", message);
        Assert.Contains("config.json", message);
    }

    [Fact]
    public void A_stream_of_unknown_length_gets_the_same_message()
    {
        byte[] file = [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0];
        IRnnModel<float> model = ModelCase.Get("Lstm3").Create();
        var error = Assert.Throws<InvalidDataException>(() => model.LoadWeights(new NonSeekableStream(file)));
        Assert.Contains("HDF5", error.Message);
    }

    [Fact]
    public void Unknown_bytes_keep_the_safetensors_message()
    {
        byte[] file = Enumerable.Repeat((byte)0xEE, 32).ToArray();
        string message = Refused(file);
        Assert.Contains("safetensors header claims", message);
    }

    /// <summary>Loads <paramref name="file"/> into a model and returns the refusal's message, checking the model did not change.</summary>
    private static string Refused(byte[] file)
    {
        IRnnModel<float> model = ModelCase.Get("Lstm3").Create();
        float[] before = model.Parameters.ToArray();
        var error = Assert.Throws<InvalidDataException>(() => model.LoadWeights(new MemoryStream(file)));
        Assert.Equal(before, model.Parameters.ToArray());
        return error.Message;
    }
}
