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

    private static void Check(object model)
    {
        Type type = model.GetType();
        long held = 0;
        foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public))
        {
            if (field.GetValue(model) is Array array)
            {
                held += (long)array.Length * (array.GetType().GetElementType() == typeof(double) ? 8 : 4);
            }
        }

        string summary = (string)type.GetProperty("Summary", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
        Match match = Regex.Match(summary, @"Memory: ([\d,]+) bytes in all");
        Assert.True(match.Success, summary);
        long stated = long.Parse(match.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        Assert.Equal(held, stated);
    }
}
