// Names the formats people hand to a safetensors reader by mistake, from a file's first eight bytes. Compiled into
// the runtime (LoadWeights, LoadCheckpoint) and, as a linked file, into the generator (compile-time weights).
using System;

#if RNNCOMPILER_GENERATOR
namespace RnnCompiler.Generators.WeightFiles;
#else
namespace RnnCompiler.Weights;
#endif

/// <summary>
/// Recognizes HDF5 (Keras <c>.h5</c>, <c>.weights.h5</c>), zip (Keras 3 <c>.keras</c>, PyTorch <c>torch.save</c>),
/// Python pickle (PyTorch's legacy <c>torch.save</c>), ONNX and JSON by their first bytes, and says how to read or
/// convert each. Asked only when the first eight bytes cannot start a safetensors file (their header length is
/// refused), so a valid file is never misnamed.
/// </summary>
internal static class WeightFormats
{
    /// <summary>The bytes a file must have for <see cref="Describe"/> to name its format.</summary>
    public const int PrefixLength = 8;

    private const string SaveAsSafeTensors =
        "save the weights as safetensors instead: in PyTorch safetensors.torch.save_file(model.state_dict(), \"model.safetensors\")";

    /// <summary>Whether <paramref name="bytes"/> start with the HDF5 superblock signature.</summary>
    public static bool IsHdf5(byte[] bytes, int offset) =>
        bytes.Length - offset >= PrefixLength && bytes[offset] == 0x89 && bytes[offset + 1] == (byte)'H' && bytes[offset + 2] == (byte)'D' && bytes[offset + 3] == (byte)'F'
        && bytes[offset + 4] == 0x0D && bytes[offset + 5] == 0x0A && bytes[offset + 6] == 0x1A && bytes[offset + 7] == 0x0A;

    /// <summary>Whether <paramref name="bytes"/> start with a zip archive's local file header (or an empty archive's end record).</summary>
    public static bool IsZip(byte[] bytes, int offset) =>
        bytes.Length - offset >= 4 && bytes[offset] == (byte)'P' && bytes[offset + 1] == (byte)'K'
        && ((bytes[offset + 2] == 3 && bytes[offset + 3] == 4) || (bytes[offset + 2] == 5 && bytes[offset + 3] == 6));

    /// <summary>
    /// A sentence naming the format of a file that starts with <paramref name="prefix"/> and how to read it, or null
    /// when the bytes match none of the formats known here.
    /// </summary>
    public static string? Describe(byte[] prefix, int offset)
    {
        if (prefix.Length - offset < PrefixLength)
        {
            return null;
        }

        byte At(int i) => prefix[offset + i];
        if (IsHdf5(prefix, offset))
        {
            return "The file is HDF5, not safetensors: a Keras .h5 or .weights.h5 file. Read it with model.LoadKerasWeights(stream).";
        }

        if (IsZip(prefix, offset))
        {
            return "The file is a zip archive, not safetensors: a Keras 3 .keras file (read it with model.LoadKerasWeights(stream)) or a PyTorch torch.save file (" + SaveAsSafeTensors + ").";
        }

        if (At(0) == 0x80 && At(1) >= 2 && At(1) <= 5)
        {
            return "The file is a Python pickle, not safetensors: a PyTorch torch.save file of the legacy format, or another pickled object; " + SaveAsSafeTensors + ".";
        }

        // ONNX: a protobuf ModelProto opens with ir_version (field 1, a small varint), then another of its fields.
        if (At(0) == 0x08 && At(1) >= 1 && At(1) <= 15 && At(2) is 0x12 or 0x1A or 0x22 or 0x28 or 0x32 or 0x3A or 0x42)
        {
            return "The file looks like an ONNX model, not safetensors; its weights are initializers of an ONNX graph, which this library does not read. Export the trained model's weights as safetensors (or a Keras file) instead.";
        }

        int first = 0;
        while (first < PrefixLength && At(first) is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            first++;
        }

        if (first < PrefixLength && At(first) is (byte)'{' or (byte)'[')
        {
            return "The file is JSON text, not safetensors: a Keras config.json holds the architecture, not the weights. Read the .keras archive it came from with model.LoadKerasWeights(stream).";
        }

        return null;
    }
}
