using System;
using System.IO;
using System.Linq;
using System.Text;
using RnnCompiler.Tests.Models;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>A stream of unknown length cannot make LoadWeights allocate what a header merely claims.</summary>
public class WeightFileStreamingTests
{
    [Fact]
    public void A_header_claiming_gigabytes_of_data_in_a_short_non_seekable_stream_fails_as_truncated_without_allocating_them()
    {
        byte[] header = Encoding.UTF8.GetBytes("{\"lstm/kernel\":{\"dtype\":\"F32\",\"shape\":[500000000],\"data_offsets\":[0,2000000000]}}");
        byte[] file = SafeTensorsTestWriter.Assemble(header, new byte[64]);
        var model = new Lstm3();
        float[] before = model.Parameters.ToArray();
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<InvalidDataException>(() => model.LoadWeights(new NonSeekableStream(file)));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Assert.Contains("truncated", error.Message);
        Assert.True(allocated < 16 * 1024 * 1024, $"{allocated} bytes allocated");
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void Eight_bytes_claiming_a_100_MB_header_in_a_non_seekable_stream_fail_as_truncated_without_allocating_it()
    {
        // The length prefix alone: 100 MB of header claimed (the most accepted), nothing after it.
        byte[] file = BitConverter.GetBytes(100UL * 1024 * 1024);
        var model = new Lstm3();
        float[] before = model.Parameters.ToArray();
        var checkpointed = new RnnCompiler.Tests.Training.TokenClassifier();
        float[] checkpointBefore = checkpointed.Parameters.ToArray();

        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var weights = Assert.Throws<InvalidDataException>(() => model.LoadWeights(new NonSeekableStream(file)));
        var checkpoint = Assert.Throws<InvalidDataException>(() => checkpointed.LoadCheckpoint(new NonSeekableStream(file)));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        Assert.Contains("truncated", weights.Message);
        Assert.Contains("truncated", checkpoint.Message);
        Assert.True(allocated < 1024 * 1024, $"{allocated} bytes allocated");
        Assert.Equal(before, model.Parameters.ToArray());
        Assert.Equal(checkpointBefore, checkpointed.Parameters.ToArray());
    }

    [Fact]
    public void A_shape_of_100000_dimensions_is_refused_with_a_short_message()
    {
        string shape = string.Join(",", Enumerable.Repeat("1", 100_000));
        byte[] header = Encoding.UTF8.GetBytes("{\"lstm/kernel\":{\"dtype\":\"F32\",\"shape\":[" + shape + "],\"data_offsets\":[0,4]}}");
        var model = new Lstm3();
        float[] before = model.Parameters.ToArray();
        var error = Assert.Throws<InvalidDataException>(() => model.LoadWeights(new MemoryStream(SafeTensorsTestWriter.Assemble(header, new byte[4]))));
        Assert.Contains("100000 dimensions", error.Message);
        Assert.True(error.Message.Length < 200, error.Message);
        Assert.Equal(before, model.Parameters.ToArray());
    }
}
