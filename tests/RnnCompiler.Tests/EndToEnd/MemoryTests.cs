using System;
using System.Globalization;
using System.Linq;
using System.Reflection;
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
    public void The_bfloat16_copy_is_counted_at_two_bytes_a_weight()
    {
        Check(new Bf16Lstm64x128x10());
        Check(new Bf16Gru1x32x1());
        Check(new Bf16SimpleGruStack());
        Check(new Bf16BiLstmTokens());
        Check(new Bf16CompiledWeightsModel());

        // The copy holds exactly the kernels: LSTM 64→128 (64·512 + 128·512) and Dense 128→10, at 2 bytes each,
        // on top of the float model's bytes.
        Assert.Equal(Held(new F32Lstm64x128x10()) + 2L * (64 * 512 + 128 * 512 + 128 * 10), Held(new Bf16Lstm64x128x10()));
    }

    private static long Held(object model)
    {
        long held = 0;
        foreach (FieldInfo field in model.GetType().GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public))
        {
            if (field.GetValue(model) is Array array)
            {
                held += Buffer.ByteLength(array);
            }
        }

        return held;
    }

    private static void Check(object model)
    {
        Type type = model.GetType();
        long held = Held(model); // every array: float, double, or ushort for a bfloat16 copy

        string summary = (string)type.GetProperty("Summary", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
        Match match = Regex.Match(summary, @"Memory: ([\d,]+) bytes in all");
        Assert.True(match.Success, summary);
        long stated = long.Parse(match.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        Assert.Equal(held, stated);
    }
}
