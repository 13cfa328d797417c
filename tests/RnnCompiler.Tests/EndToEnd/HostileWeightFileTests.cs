using System;
using System.IO;
using System.Linq;
using System.Text;
using RnnCompiler.Tests.Models;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>
/// Malformed weight files as an attacker writes them: each is refused with <see cref="InvalidDataException"/> saying what
/// is wrong, and the model keeps its weights. The first three are reproducers found by fuzzing, whole files in hex,
/// that threw <see cref="InvalidOperationException"/> or <see cref="OverflowException"/> before.
/// </summary>
public class HostileWeightFileTests
{
    private const string F32 = "\"dtype\":\"F32\",\"shape\":[1]";

    public static TheoryData<string, byte[], string> Files() => new()
    {
        { "a data_offsets element that is null", Convert.FromHexString("38000000000000007B2261223A7B226474797065223A22463332222C227368617065223A5B5D2C22646174615F6F666673657473223A5B6E756C6C2C345D7D7D00000000"), "data_offsets must be two non-negative integers" },
        { "a key of invalid UTF-8", Convert.FromHexString("07000000000000007B22FF223A307D"), "not valid UTF-8" },
        { "a shape whose byte count wraps to 0", Convert.FromHexString("5B000000000000007B22656D62656464696E672E776569676874223A7B226474797065223A22463332222C227368617065223A5B313037333734313832342C313037333734313832342C385D2C22646174615F6F666673657473223A5B302C305D7D7D"), "needs more bytes than its data_offsets span (0)" },
        { "a key twice", File("{\"lstm/bias\":{" + F32 + ",\"data_offsets\":[0,4]},\"lstm/bias\":{" + F32 + ",\"data_offsets\":[0,4]}}", 4), "names 'lstm/bias' twice" },
        { "overlapping tensors", File("{\"a\":{" + F32 + ",\"data_offsets\":[0,4]},\"b\":{" + F32 + ",\"data_offsets\":[0,4]}}", 4), "overlaps another tensor's data at byte 0" },
        { "a gap in the data", File("{\"a\":{" + F32 + ",\"data_offsets\":[4,8]}}", 8), "leaving bytes 0 to 4 unused" },
        { "bytes after the data", File("{\"a\":{" + F32 + ",\"data_offsets\":[0,4]}}", 7), "3 bytes after its tensors' data" },
        { "metadata twice", File("{\"__metadata__\":{},\"__metadata__\":{}}", 0), "names '__metadata__' twice" },
        { "a name of a million characters", File("{\"" + new string('x', 1_000_000) + "\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4), "'" + new string('x', 80) + "…'" },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void A_malformed_file_is_refused_and_the_weights_stay(string what, byte[] file, string expected)
    {
        var model = new Lstm3();
        float[] before = model.Parameters.ToArray();
        InvalidDataException error = Assert.Throws<InvalidDataException>(() => model.LoadWeights(new MemoryStream(file)));
        Assert.True(error.Message.Contains(expected, StringComparison.Ordinal), $"{what}: {error.Message}");
        Assert.True(error.Message.Length < 1_000, $"{what}: a message of {error.Message.Length} characters");
        Assert.Equal(before, model.Parameters.ToArray());
    }

    /// <summary>A file of the JSON <paramref name="header"/> and <paramref name="dataBytes"/> zero bytes of data.</summary>
    private static byte[] File(string header, int dataBytes)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        return BitConverter.GetBytes((ulong)json.Length).Concat(json).Concat(new byte[dataBytes]).ToArray();
    }
}
