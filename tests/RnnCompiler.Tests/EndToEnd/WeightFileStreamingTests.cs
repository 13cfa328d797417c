using System;
using System.IO;
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
}
