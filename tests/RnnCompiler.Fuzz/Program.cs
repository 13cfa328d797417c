using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using RnnCompiler.Weights.Keras;

namespace RnnCompiler.Fuzz;

/// <summary>
/// Runs the coverage-guided fuzzer on each reader for a bounded time and exits 1 if any input broke the readers'
/// contract (<c>docs/hardening.md</c>). Usage: <c>dotnet run --project tests/RnnCompiler.Fuzz -c Release -- [--seconds 60]
/// [--reader LoadWeights|LoadCheckpoint|Generator|LoadKerasWeights|KerasModelFile] [--seed 1]</c>.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        double seconds = 60;
        int seed = 1;
        string? only = null;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--seconds": seconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--reader": only = args[i + 1]; break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 64;
            }
        }

        // Before anything loads them: the runtime beside the program, in place, and the generator's copy.
        string runtime = Path.Combine(AppContext.BaseDirectory, "RnnCompiler.dll");
        string generator = Path.Combine(AppContext.BaseDirectory, "generator", "RnnCompiler.Generators.dll");
        Instrumentation.Instrument(runtime);
        Instrumentation.Instrument(generator);
        var fuzzer = new CoverageFuzzer();
        return Run(fuzzer, TimeSpan.FromSeconds(seconds), seed, only, generator);
    }

    /// <summary>Everything that touches the readers, in a method of its own so that nothing loads them before they are instrumented.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Run(CoverageFuzzer fuzzer, TimeSpan duration, int seed, string? only, string generatorPath)
    {
        Assembly runtime = typeof(IRnnModel<float>).Assembly;
        Assembly generator = Assembly.LoadFrom(generatorPath);
        foreach (Assembly assembly in new[] { runtime, generator })
        {
            if (!assembly.GetReferencedAssemblies().Any(name => name.Name == "SharpFuzz.Common"))
            {
                Console.Error.WriteLine($"{assembly.Location} is not instrumented: coverage would stay empty.");
                return 2;
            }
        }

        FuzzTarget[] targets = [LoadWeights(), LoadCheckpoint(), Generator(generator), LoadKerasWeights(), ReadKerasModel()];
        int failed = 0;
        foreach (FuzzTarget target in targets.Where(target => only is null || target.Name == only))
        {
            FuzzReport report = fuzzer.Run(target, duration, seed);
            Console.WriteLine(report);
            foreach (string finding in report.Findings)
            {
                Console.WriteLine("  " + finding);
            }

            failed += report.Findings.Count > 0 ? 1 : 0;
        }

        return failed == 0 ? 0 : 1;
    }

    /// <summary>
    /// <c>LoadWeights</c> from a seekable and from a non-seekable stream: it loads, or throws
    /// <see cref="InvalidDataException"/> and leaves the weights as they were.
    /// </summary>
    private static FuzzTarget LoadWeights()
    {
        var model = new WeightsTarget();
        float[] original = model.Parameters.ToArray();
        var seeds = new List<byte[]> { Save(model.SaveWeights) };
        return new FuzzTarget("LoadWeights", seeds, input =>
        {
            foreach (Stream stream in new Stream[] { new MemoryStream(input, writable: false), new ForwardOnlyStream(input) })
            {
                try
                {
                    model.LoadWeights(stream);
                    original.CopyTo(model.Parameters);
                }
                catch (InvalidDataException)
                {
                    if (!model.Parameters.SequenceEqual(original))
                    {
                        original.CopyTo(model.Parameters);
                        return "a refused file changed the weights";
                    }
                }
            }

            return null;
        });
    }

    /// <summary><c>LoadCheckpoint</c>: it loads, or throws <see cref="InvalidDataException"/> and leaves weights and optimizer state as they were.</summary>
    private static FuzzTarget LoadCheckpoint()
    {
        var model = new CheckpointTarget();
        byte[] original = Save(model.SaveCheckpoint);
        return new FuzzTarget("LoadCheckpoint", [original], input =>
        {
            try
            {
                model.LoadCheckpoint(new MemoryStream(input, writable: false));
                model.LoadCheckpoint(new MemoryStream(original, writable: false));
            }
            catch (InvalidDataException)
            {
                if (!Save(model.SaveCheckpoint).AsSpan().SequenceEqual(original))
                {
                    model.LoadCheckpoint(new MemoryStream(original, writable: false));
                    return "a refused checkpoint changed the model or its optimizer";
                }
            }

            return null;
        });
    }

    /// <summary>
    /// The generator's reader of compile-time weights (<c>CompiledWeightsBuilder.ReadHeader</c>, then every floating
    /// tensor decoded as the generator does): a message or tensors, never an exception.
    /// </summary>
    private static FuzzTarget Generator(Assembly generator)
    {
        const BindingFlags Static = BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic;
        MethodInfo readHeader = generator.GetType("RnnCompiler.Generators.WeightFiles.CompiledWeightsBuilder", throwOnError: true)!.GetMethod("ReadHeader", Static)!;
        Type header = generator.GetType("RnnCompiler.Generators.WeightFiles.SafeTensorsHeader", throwOnError: true)!;
        MethodInfo isFloating = header.GetMethod("IsFloating", Static)!;
        MethodInfo decode = header.GetMethod("Decode", Static)!;
        Type entryType = generator.GetType("RnnCompiler.Generators.WeightFiles.SafeTensorEntry", throwOnError: true)!;
        PropertyInfo dtype = entryType.GetProperty("DType")!;
        PropertyInfo name = entryType.GetProperty("Name")!;
        object? Call(MethodInfo method, params object?[] arguments) => method.Invoke(null, BindingFlags.DoNotWrapExceptions, null, arguments, null);

        var seeds = new List<byte[]> { Save(new WeightsTarget().SaveWeights) };
        return new FuzzTarget("Generator", seeds, input =>
        {
            var result = (ITuple)Call(readHeader, input)!;
            if (result[0] is not IDictionary entries)
            {
                return result[2] is string { Length: > 0 and < 1_000 } ? null : "a refusal without a message, or with one of 1,000 characters or more";
            }

            foreach (object entry in entries.Values)
            {
                if ((bool)Call(isFloating, dtype.GetValue(entry))!)
                {
                    _ = Call(decode, entry, input, result[1], name.GetValue(entry));
                }
            }

            return null;
        });
    }

    /// <summary>
    /// <c>LoadKerasWeights</c> on the h5py-written Keras files (a Keras 3 archive, Keras 3's <c>.weights.h5</c>,
    /// tf.keras's and Keras 2.2's <c>.h5</c>): it loads, or throws <see cref="InvalidDataException"/> and leaves the
    /// weights as they were.
    /// </summary>
    private static FuzzTarget LoadKerasWeights()
    {
        var deepStack = new KerasTarget();
        var archive = new KerasArchiveTarget();
        float[] deepOriginal = deepStack.Parameters.ToArray();
        float[] archiveOriginal = archive.Parameters.ToArray();
        return new FuzzTarget("LoadKerasWeights", KerasSeeds(), input =>
        {
            foreach ((IRnnModel<float> model, float[] original) in new (IRnnModel<float>, float[])[] { (deepStack, deepOriginal), (archive, archiveOriginal) })
            {
                try
                {
                    model.LoadKerasWeights(new MemoryStream(input, writable: false));
                    original.CopyTo(model.Parameters);
                }
                catch (InvalidDataException)
                {
                    if (!model.Parameters.SequenceEqual(original))
                    {
                        original.CopyTo(model.Parameters);
                        return "a refused Keras file changed the weights";
                    }
                }
            }

            return null;
        });
    }

    /// <summary>
    /// <c>KerasModelFile.Read</c>, its declaration and its weights as safetensors, on the same files: a model, or
    /// <see cref="InvalidDataException"/>.
    /// </summary>
    private static FuzzTarget ReadKerasModel() => new("KerasModelFile", KerasSeeds(), input =>
    {
        try
        {
            KerasModelFile file = KerasModelFile.Read(new MemoryStream(input, writable: false), sequenceLength: 10);
            if (file.Unsupported.Count == 0)
            {
                _ = file.ToDeclaration("Imported");
                file.SaveWeights(Stream.Null);
            }
        }
        catch (InvalidDataException)
        {
        }

        return null;
    });

    private static List<byte[]> KerasSeeds() =>
        Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "keras_files")).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToList();

    private static byte[] Save(Action<Stream> save)
    {
        using var stream = new MemoryStream();
        save(stream);
        return stream.ToArray();
    }
}

/// <summary>A stream that cannot seek and hands out at most 1,000 bytes per read, as a network stream might.</summary>
internal sealed class ForwardOnlyStream(byte[] bytes) : Stream
{
    private int _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        int read = Math.Min(Math.Min(count, 1_000), bytes.Length - _position);
        Array.Copy(bytes, _position, buffer, offset, read);
        _position += read;
        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
