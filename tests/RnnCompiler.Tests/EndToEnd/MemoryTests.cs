using System;
using System.Globalization;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using RnnCompiler.Tests.Models;
using RnnCompiler.Tests.Training;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>The memory the summary states is what the object really holds: every array it allocates, counted here by reflection.</summary>
public class MemoryTests
{
    public static TheoryData<string> Models()
    {
        var data = new TheoryData<string>();
        foreach (ModelCase modelCase in ModelCatalog.All)
        {
            data.Add(modelCase.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void The_summary_states_the_bytes_the_model_holds(string name) => Check(ModelCase.Get(name).Create());

    [Fact]
    public void Training_buffers_are_counted_too()
    {
        Check(new TokenClassifier());
        Check(new SequenceRegressor());
        Check(new StatefulClassifier());
        Check(new GradGruBinary());
    }

    [Fact]
    public void Every_workspace_of_parallel_training_and_Predict_is_counted()
    {
        Check(new ParallelTokenClassifier());
        Check(new ParallelStatefulClassifier());
        Check(new ParallelGradGruBinary());
        Check(new ParallelPredictTokens());
        Check(new ParallelPredictTagger());
        Check(new ParallelMaskedClassifier());
        Check(new ParallelMaskedFeatures());
    }

    [Fact]
    public void The_bfloat16_copy_is_counted_at_two_bytes_a_weight()
    {
        Check(new Bf16Lstm64x128x10());
        Check(new Bf16Gru1x32x1());
        Check(new Bf16SimpleGruStack());
        Check(new Bf16BiLstmTokens());
        Check(new Bf16CompiledWeightsModel());

        // The copy holds exactly the kernels: LSTM 64→128 (64·512 + 128·512) and Dense 128→10, at 2 bytes each, the
        // LSTM's kernel again packed for Step (64·512), and the cache line that aligns them, on top of the float model's
        // bytes without its own copy: the LSTM's two kernels (128 KB and 256 KB) packed in panels at 4 bytes each, and
        // their cache line.
        long floatPanels = (4L * (64 * 512 + 128 * 512)) + 64;
        Assert.Equal(Held(new F32Lstm64x128x10()) - floatPanels + (2L * (64 * 512 + 128 * 512 + 128 * 10)) + (2L * 64 * 512) + 64, Held(new Bf16Lstm64x128x10()));
    }

    [Fact]
    public void The_int8_copy_is_counted_with_its_scales()
    {
        Check(new Int8Lstm64x128x10());
        Check(new Int8SimpleGruStack());
        Check(new Int8BiLstmTokens());
        Check(new Int8CompiledWeightsModel());

        // LSTM 64→128: [64, 512] and [128, 512] at a byte a weight plus 8 bytes of scale and offset per column; Dense
        // 128→10: [128, 16] (columns padded to 8) plus 16 · 8 bytes, rounded up to 64; one cache line aligns the copy.
        long copy = (64 * 512 + 8 * 512) + (128 * 512 + 8 * 512) + ((128 * 16 + 8 * 16 + 63) / 64 * 64) + 64;
        long floatPanels = (4L * (64 * 512 + 128 * 512)) + 64;
        Assert.Equal(Held(new F32Lstm64x128x10()) - floatPanels + copy, Held(new Int8Lstm64x128x10()));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Every_buffer_of_the_element_type_starts_on_a_cache_line(string name) => CheckAligned(ModelCase.Get(name).Create());

    [Fact]
    public void Training_and_workspace_buffers_start_on_a_cache_line_too()
    {
        CheckAligned(new TokenClassifier());
        CheckAligned(new StatefulClassifier());
        CheckAligned(new GradGruBinary());
        CheckAligned(new ParallelTokenClassifier());
        CheckAligned(new ParallelGradGruBinary());
        CheckAligned(new ParallelPredictTokens());
        CheckAligned(new Bf16Lstm64x128x10());
    }

    /// <summary>
    /// No field of the model or its workspaces is a float or double array (a plain array starts wherever the allocator
    /// put it, so a 512-bit row could straddle two cache lines, differently in each process), and every non-empty
    /// AlignedBuffer's first element is on a 64-byte boundary.
    /// </summary>
    private static void CheckAligned(object model)
    {
        int buffers = 0;
        foreach ((object owner, FieldInfo field, object? value) in Fields(model))
        {
            Assert.False(value is float[] or double[], $"{owner.GetType().Name}.{field.Name} is a plain {field.FieldType.Name}.");
            if (value is not null && IsAlignedBuffer(field) && Storage(value, out int start) is { Length: > 0 } storage)
            {
                // The storage is pinned (the pinned object heap), so its address stays what it is read as here.
                long address = Marshal.UnsafeAddrOfPinnedArrayElement(storage, start);
                Assert.True(address % 64 == 0, $"{owner.GetType().Name}.{field.Name} starts {address % 64} bytes past a cache line.");
                buffers++;
            }
        }

        Assert.True(buffers >= 1, $"{model.GetType().Name}: no aligned buffer found."); // the weights at least (a Dense-only model has nothing else)
    }

    private static void Check(object model)
    {
        long held = Held(model);
        string summary = (string)model.GetType().GetProperty("Summary", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
        Match match = Regex.Match(summary, @"Memory: ([\d,]+) bytes in all");
        Assert.True(match.Success, summary);
        long stated = long.Parse(match.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        Assert.Equal(held, stated);
    }

    private static long Held(object model)
    {
        // Every distinct number array the model holds (an AlignedBuffer's storage, padding and all), its workspaces'
        // included; their shared buffers are the model's, so each storage array is counted once.
        long held = 0;
        var seen = new System.Collections.Generic.HashSet<object>(System.Collections.Generic.ReferenceEqualityComparer.Instance);
        foreach ((_, FieldInfo field, object? value) in Fields(model))
        {
            Array? array = value is not null && IsAlignedBuffer(field) ? Storage(value, out _) : value as Array;
            if (array is not null && array.GetType().GetElementType()!.IsPrimitive && seen.Add(array))
            {
                held += Buffer.ByteLength(array); // float, double, int, or ushort for a bfloat16 copy
            }
        }

        return held;
    }

    /// <summary>
    /// Every instance field of the model and of the objects in its arrays of nested types (the workspaces), with its
    /// owner. A model with Parallelism &gt; 1 creates its workspaces at first use; they are created first, as any call would.
    /// </summary>
    private static System.Collections.Generic.IEnumerable<(object Owner, FieldInfo Field, object? Value)> Fields(object model)
    {
        Type type = model.GetType();
        type.GetMethod("EnsureWorkspaces", BindingFlags.Instance | BindingFlags.NonPublic)?.Invoke(model, null);
        var owners = new System.Collections.Generic.Queue<object>([model]);
        while (owners.Count > 0)
        {
            object owner = owners.Dequeue();
            foreach (FieldInfo field in owner.GetType().GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public))
            {
                object? value = field.GetValue(owner);
                yield return (owner, field, value);
                if (value is Array array && array.GetType().GetElementType() is { IsNested: true } element && element.DeclaringType == type)
                {
                    foreach (object? item in array)
                    {
                        if (item is not null)
                        {
                            owners.Enqueue(item);
                        }
                    }
                }
            }
        }
    }

    private static bool IsAlignedBuffer(FieldInfo field) =>
        field.FieldType.IsGenericType && field.FieldType.GetGenericTypeDefinition() == typeof(RnnCompiler.Kernels.AlignedBuffer<>);

    /// <summary>An AlignedBuffer's storage array and the index of its first (aligned) element.</summary>
    private static Array Storage(object buffer, out int start)
    {
        Type type = buffer.GetType();
        start = (int)type.GetField("_start", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(buffer)!;
        return (Array)type.GetField("_array", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(buffer)!;
    }
}
