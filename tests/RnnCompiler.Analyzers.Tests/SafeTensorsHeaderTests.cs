using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using RnnCompiler.Generators.WeightFiles;
using RnnCompiler.Tests.EndToEnd;
using Xunit;
using Xunit.Abstractions;

namespace RnnCompiler.Analyzers.Tests;

/// <summary>
/// The one safetensors header reader (src/RnnCompiler/Weights/Shared/SafeTensorsHeader.cs), which the runtime and the
/// generator both compile: its JSON is checked against System.Text.Json as an independent reference (the same
/// decision on 100,000 mutated headers, the same tensors when both accept), its messages name what is wrong, and the
/// generator's reader of whole files (<see cref="CompiledWeightsBuilder.ReadHeader"/>) is fuzzed for exceptions,
/// allocation and time as the runtime's readers are.
/// </summary>
public class SafeTensorsHeaderTests(ITestOutputHelper output)
{
    private static int Cases => int.TryParse(Environment.GetEnvironmentVariable("RNN_FUZZ_CASES"), out int cases) && cases > 0 ? cases : 100_000;

    /// <summary>A header with metadata, escapes, a BF16 and an F64 tensor and an empty one, as a writer might lay it out.</summary>
    private const string Seed =
        "{\"__metadata__\":{\"format\":\"pt\",\"note\":\"a \\\"quoted\\\" \\u00e9t\\u00e9\"}," +
        "\"lstm/kernel\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}," +
        "\"lstm/bias\" : {\"shape\":[ 3 ],\"dtype\":\"BF16\",\"data_offsets\":[24,30]}," +
        "\"dense.weight\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[30,38],\"extra\":[{\"a\":null},true,-1.5e3]}," +
        "\"empty\":{\"dtype\":\"I8\",\"shape\":[0,4],\"data_offsets\":[38,38]}}   ";

    public static TheoryData<string, string> Malformed() => new()
    {
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],}}", "a ',' before '}' at byte" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,],\"data_offsets\":[0,4]}}", "a ',' before ']' at byte" },
        { "{\"a\":{\"dtype\":'F32',\"shape\":[1],\"data_offsets\":[0,4]}}", "header entry needs \"dtype\"" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[01],\"data_offsets\":[0,4]}}", "expected ',' or ']' at byte 30" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}", "the shape must hold non-negative integers" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1e0],\"data_offsets\":[0,4]}}", "the shape must hold non-negative integers" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", "the shape must hold non-negative integers" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483648],\"data_offsets\":[0,4]}}", "the shape must hold non-negative integers" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,99999999999999999999]}}", "data_offsets must be two non-negative integers" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", "data_offsets must be two non-negative integers, begin ≤ end" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", "data_offsets must be two non-negative integers" },
        { "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "the header entry names \"dtype\" twice" },
        { "{\"a\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", "unknown dtype 'F33'" },
        { "{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", "header entry needs \"dtype\", \"shape\" and two \"data_offsets\"" },
        { "{\"a\":[]}", "header entry needs" },
        { "{\"a\\x\":0}", "an invalid escape at byte 4" },
        { "{\"a\\u12\":0}", "a \\u escape without four hex digits" },
        { "{\"a\\ud800\":0}", "a lone high surrogate" },
        { "{\"a\\udc00\":0}", "a lone low surrogate" },
        { "{\"a\tb\":0}", "a control character inside a string at byte 3" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":tru}}", "an unexpected character" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":-}}", "an unexpected character" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1.}}", "a number without digits after '.'" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1e}}", "a number without digits in its exponent" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}} x", "content after the header's object at byte 55" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", "an unexpected end where" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}\u00a0}", "expected ',' or '}'" },
        { "{\"__metadata__\":[]}", "__metadata__ must be an object of strings" },
        { "{\"__metadata__\":{\"a\":1}}", "__metadata__ must be an object of strings; 'a' is not a string" },
        { "{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}", "__metadata__ names 'a' twice" },
        { "{\"__metadata__\":null,\"__metadata__\":{}}", "names '__metadata__' twice" },
        { "[]", "is not a JSON object" },
        { "", "is not a JSON object" },
        { "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"n\":" + new string('[', 70) + new string(']', 70) + "}}", "nests values more than 64 deep (at byte 119)" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void A_malformed_header_is_refused_naming_what_is_wrong(string header, string expected)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(header);
        InvalidDataException error = Assert.Throws<InvalidDataException>(() => SafeTensorsHeader.Parse(bytes, 0, bytes.Length));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);

        // The reference agrees that it is malformed.
        Assert.Null(Reference(bytes));
    }

    [Fact]
    public void A_well_formed_header_gives_its_tensors_and_metadata()
    {
        byte[] bytes = Encoding.UTF8.GetBytes(Seed);
        SafeTensorsHeader header = SafeTensorsHeader.Parse(bytes, 0, bytes.Length);
        Assert.Equal(new[] { "lstm/kernel", "lstm/bias", "dense.weight", "empty" }, header.Entries.Keys);
        Assert.Equal(("BF16", "[3]", 24L, 30L), (header.Entries["lstm/bias"].DType, header.Entries["lstm/bias"].ShapeText, header.Entries["lstm/bias"].Begin, header.Entries["lstm/bias"].End));
        Assert.Equal(0, header.Entries["empty"].ElementCount);
        Assert.Equal(38, header.DataLength);
        Assert.Equal("a \"quoted\" été", header.Metadata["note"]);
        Assert.Equal(Describe(Reference(bytes)), Describe(header));

        // A surrogate pair escape, a key with an escaped slash, whitespace everywhere and a null metadata are JSON too.
        byte[] escaped = Encoding.UTF8.GetBytes(" {\r\n\t\"__metadata__\" : null , \"a\\/\\ud83d\\ude00\" : { \"dtype\" : \"U8\" , \"shape\" : [ ] , \"data_offsets\" : [ 0 , 1 ] } } ");
        SafeTensorsHeader parsed = SafeTensorsHeader.Parse(escaped, 0, escaped.Length);
        Assert.Equal("a/😀", Assert.Single(parsed.Entries.Keys));
        Assert.Empty(parsed.Metadata);
        Assert.Equal(Describe(Reference(escaped)), Describe(parsed));
    }

    [Fact]
    public void The_reader_decides_as_System_Text_Json_does_on_mutated_headers()
    {
        byte[] seed = Encoding.UTF8.GetBytes(Seed);
        int cases = Math.Min(Cases, 100_000), accepted = 0;
        var disagreements = new List<string>();
        for (int index = 0; index < cases && disagreements.Count < 5; index++)
        {
            byte[] header = MutateHeader(new Random(index), seed);
            string? ours;
            try
            {
                ours = Describe(SafeTensorsHeader.Parse(header, 0, header.Length));
                accepted++;
            }
            catch (InvalidDataException)
            {
                ours = null;
            }

            string? reference = Describe(Reference(header));
            if (ours != reference)
            {
                disagreements.Add($"case {index}: ours {ours ?? "refused"}, reference {reference ?? "refused"}: {Encoding.UTF8.GetString(header)}");
            }
        }

        output.WriteLine($"{cases:N0} mutated headers, {accepted:N0} accepted by both.");
        Assert.True(disagreements.Count == 0, string.Join("\n", disagreements));
        Assert.InRange(accepted, cases / 50, cases / 2);
    }

    [Fact]
    public void Half_and_bfloat16_decode_exactly()
    {
        for (int bits = 0; bits < 65536; bits++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf((ushort)bits);
            float actual = SafeTensorsHeader.HalfToSingle(bits);
            Assert.True(float.IsNaN(expected) ? float.IsNaN(actual) : BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual), $"F16 {bits:X4}: {actual} instead of {expected}");
            Assert.Equal(BitConverter.Int32BitsToSingle(bits << 16), SafeTensorsHeader.BFloat16ToSingle(bits));
        }
    }

    /// <summary>
    /// The generator's reader of a whole compile-time weights file, fuzzed as <c>WeightFileFuzzTests</c> fuzzes the
    /// runtime's: every mutated file gives tensors or an error message, never an exception, within the allocation bound
    /// and the time limit; every tensor it accepts decodes. <c>RNN_FUZZ_CASES</c> sets the cases (default 100,000).
    /// </summary>
    [Fact]
    public void The_generator_reader_refuses_every_mutated_file_with_a_message()
    {
        byte[] original = File(Seed, 38);
        int headerEnd = 8 + Encoding.UTF8.GetByteCount(Seed);
        var failures = new ConcurrentQueue<string>();
        long accepted = 0, slowest = 0, mostAllocated = 0;
        int workers = Math.Max(1, Environment.ProcessorCount);
        var stopwatch = Stopwatch.StartNew();
        Parallel.For(0, workers, worker =>
        {
            for (int index = worker; index < Cases && failures.Count < 20; index += workers)
            {
                byte[] mutated = MutateFile(new Random(1_000_000 + index), original, headerEnd);
                long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                long start = Stopwatch.GetTimestamp();
                try
                {
                    (Dictionary<string, SafeTensorEntry>? entries, long dataStart, string? error) = CompiledWeightsBuilder.ReadHeader(mutated);
                    if (entries is null)
                    {
                        if (string.IsNullOrEmpty(error) || error.Length > 1_000)
                        {
                            failures.Enqueue($"case {index}: a refusal with a message of {error?.Length ?? 0} characters");
                        }
                    }
                    else
                    {
                        Interlocked.Increment(ref accepted);
                        foreach (SafeTensorEntry entry in entries.Values.Where(entry => SafeTensorsHeader.IsFloating(entry.DType)))
                        {
                            _ = SafeTensorsHeader.Decode(entry, mutated, dataStart, entry.Name);
                        }
                    }
                }
                catch (Exception exception)
                {
                    failures.Enqueue($"case {index}: {exception.GetType().Name}: {exception.Message}; file {Convert.ToHexString(mutated)}");
                }

                long ticks = Stopwatch.GetTimestamp() - start;
                long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
                ReaderBudget.InterlockedMax(ref slowest, ticks);
                ReaderBudget.InterlockedMax(ref mostAllocated, allocated);
                if (allocated > ReaderBudget.AllocationBound(mutated.Length))
                {
                    failures.Enqueue($"case {index}: {allocated:N0} bytes allocated for a {mutated.Length}-byte file");
                }

                if (ticks * 1000 / Stopwatch.Frequency > 1_000)
                {
                    failures.Enqueue($"case {index}: {ticks * 1000 / Stopwatch.Frequency} ms; file {Convert.ToHexString(mutated)}");
                }
            }
        });

        output.WriteLine($"generator reader: {Cases:N0} mutations of a {original.Length:N0}-byte file in {stopwatch.Elapsed.TotalSeconds:F1} s: {accepted:N0} accepted, "
            + $"{Cases - accepted:N0} refused with a message; slowest call {slowest * 1e3 / Stopwatch.Frequency:F2} ms, most allocated by one call {mostAllocated:N0} bytes.");
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(5)));
        Assert.True(accepted < Cases / 2, $"{accepted:N0} of {Cases:N0} mutations were accepted: the fuzzer should mostly break the file");
    }

    // ---------------------------------------------------------------- the reference

    /// <summary>
    /// The format's rules written again on System.Text.Json (strict RFC 8259, depth 64): the tensors and metadata of a
    /// header that follows them, or null.
    /// </summary>
    private static (List<SafeTensorEntry> Entries, Dictionary<string, string> Metadata)? Reference(byte[] header)
    {
        if (!System.Text.Unicode.Utf8.IsValid(header))
        {
            return null;
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 64 });
            if (document.RootElement.ValueKind != JsonValueKind.Object || !AllStringsValid(document.RootElement))
            {
                return null;
            }

            var entries = new List<SafeTensorEntry>();
            var metadata = new Dictionary<string, string>();
            var names = new HashSet<string>();
            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                if (!names.Add(property.Name))
                {
                    return null;
                }

                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind == JsonValueKind.Null)
                    {
                        continue;
                    }

                    if (property.Value.ValueKind != JsonValueKind.Object)
                    {
                        return null;
                    }

                    foreach (JsonProperty item in property.Value.EnumerateObject())
                    {
                        if (item.Value.ValueKind != JsonValueKind.String || !metadata.TryAdd(item.Name, item.Value.GetString()!))
                        {
                            return null;
                        }
                    }

                    continue;
                }

                JsonElement value = property.Value;
                if (value.ValueKind != JsonValueKind.Object)
                {
                    return null;
                }

                string[] fields = value.EnumerateObject().Select(field => field.Name).Where(name => name is "dtype" or "shape" or "data_offsets").ToArray();
                if (fields.Length != 3 || fields.Distinct().Count() != 3
                    || value.GetProperty("dtype").ValueKind != JsonValueKind.String
                    || value.GetProperty("shape").ValueKind != JsonValueKind.Array
                    || value.GetProperty("data_offsets").ValueKind != JsonValueKind.Array)
                {
                    return null;
                }

                string dtype = value.GetProperty("dtype").GetString()!;
                JsonElement[] shape = value.GetProperty("shape").EnumerateArray().ToArray();
                JsonElement[] offsets = value.GetProperty("data_offsets").EnumerateArray().ToArray();
                if (shape.Length > 32 || shape.Any(size => size.ValueKind != JsonValueKind.Number || !size.TryGetInt32(out int s) || s < 0)
                    || offsets.Length != 2 || offsets.Any(offset => offset.ValueKind != JsonValueKind.Number || !offset.TryGetInt64(out long o) || o < 0))
                {
                    return null;
                }

                int[] sizes = shape.Select(size => size.GetInt32()).ToArray();
                long begin = offsets[0].GetInt64(), end = offsets[1].GetInt64();
                int elementSize = dtype switch
                {
                    "F64" or "I64" or "U64" => 8,
                    "F32" or "I32" or "U32" => 4,
                    "F16" or "BF16" or "I16" or "U16" => 2,
                    "I8" or "U8" or "BOOL" or "F8_E4M3" or "F8_E5M2" => 1,
                    _ => 0,
                };
                System.Numerics.BigInteger needed = sizes.Aggregate((System.Numerics.BigInteger)elementSize, (product, size) => product * size);
                if (elementSize == 0 || end < begin || needed != end - begin)
                {
                    return null;
                }

                entries.Add(new SafeTensorEntry(property.Name, dtype, sizes, begin, end));
            }

            long covered = 0;
            foreach (SafeTensorEntry entry in entries.OrderBy(entry => entry.Begin).ThenBy(entry => entry.End))
            {
                if (entry.Begin != covered)
                {
                    return null;
                }

                covered = entry.End;
            }

            return (entries, metadata);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Whether every string and name in the document is valid UTF-16 (no lone surrogate from a \u escape).</summary>
    private static bool AllStringsValid(JsonElement element)
    {
        try
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    return element.EnumerateObject().All(property => property.Name is not null && AllStringsValid(property.Value));
                case JsonValueKind.Array:
                    return element.EnumerateArray().All(AllStringsValid);
                case JsonValueKind.String:
                    _ = element.GetString();
                    return true;
                default:
                    return true;
            }
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static string? Describe((List<SafeTensorEntry> Entries, Dictionary<string, string> Metadata)? parsed) =>
        parsed is null ? null : Describe(parsed.Value.Entries, parsed.Value.Metadata);

    private static string Describe(SafeTensorsHeader header) => Describe(header.Entries.Values.ToList(), header.Metadata);

    private static string Describe(List<SafeTensorEntry> entries, Dictionary<string, string> metadata) =>
        string.Join("; ", entries.Select(entry => $"{entry.Name} {entry.DType} {entry.ShapeText} {entry.Begin}-{entry.End}"))
        + " | " + string.Join("; ", metadata.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => pair.Key + "=" + pair.Value));

    // ---------------------------------------------------------------- mutations

    private static readonly string[] Tokens = ["{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\ud800", "0", "1", "-", "e", ".", "null", "true", " ", "\t", "01", "1e3", "2147483648", "\u00e9", "__metadata__"];

    /// <summary>One or two mutations of a header: a byte replaced, a run deleted or repeated, a JSON token inserted, a bit flipped.</summary>
    private static byte[] MutateHeader(Random random, byte[] header)
    {
        List<byte> bytes = [.. header];
        for (int count = random.Next(1, 3); count > 0 && bytes.Count > 0; count--)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0:
                    bytes[at] = (byte)"{}[],:\"0123456789-eE.nt \\"[random.Next(25)];
                    break;
                case 1:
                    bytes.RemoveRange(at, random.Next(1, Math.Min(8, bytes.Count - at) + 1));
                    break;
                case 2:
                    bytes.InsertRange(at, bytes.GetRange(at, random.Next(1, Math.Min(32, bytes.Count - at) + 1)));
                    break;
                case 3:
                    bytes.InsertRange(at, Encoding.UTF8.GetBytes(Tokens[random.Next(Tokens.Length)]));
                    break;
                default:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
            }
        }

        return [.. bytes];
    }

    /// <summary>A mutation of a whole file: its header mutated, its length prefix changed, cut, or bytes appended.</summary>
    private static byte[] MutateFile(Random random, byte[] file, int headerEnd)
    {
        switch (random.Next(4))
        {
            case 0:
            {
                byte[] header = MutateHeader(random, file[8..headerEnd]);
                return [.. BitConverter.GetBytes((ulong)header.Length), .. header, .. file[headerEnd..]];
            }

            case 1:
            {
                byte[] bytes = (byte[])file.Clone();
                BitConverter.GetBytes((ulong)random.NextInt64(0, 1L << 40) >> random.Next(40)).CopyTo(bytes, 0);
                return bytes;
            }

            case 2:
                return file[..random.Next(file.Length)];
            default:
                return [.. file, .. Enumerable.Range(0, random.Next(1, 32)).Select(_ => (byte)random.Next(256))];
        }
    }

    private static byte[] File(string header, int dataBytes)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        return [.. BitConverter.GetBytes((ulong)json.Length), .. json, .. new byte[dataBytes]];
    }
}
