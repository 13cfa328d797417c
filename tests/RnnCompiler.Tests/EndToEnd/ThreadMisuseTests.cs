using System;
using System.Threading;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

[RnnModel(SequenceLength = 64)]
[Input(32)]
[Lstm(128)]
[Dense(10)]
public partial class SharedAcrossThreads;

[RnnModel(SequenceLength = 8)]
[Train(Loss = Loss.MeanSquaredError, BatchSize = 4)]
[Input(2)]
[Gru(16)]
[Dense(1)]
public partial class TrainedAcrossThreads;

/// <summary>
/// A model instance is single-threaded. A second thread that enters Predict, Step or a training call while the first is
/// in it gets <see cref="InvalidOperationException"/> saying so, and changes nothing. The check is a plain flag (a load
/// and a store), so two calls that start within the same few nanoseconds can both get in: it catches overlapping use,
/// not every instant of it, which is why the concurrent test counts refusals rather than requiring exact outputs.
/// </summary>
public class ThreadMisuseTests
{
    [Fact]
    public void Two_threads_on_one_instance_are_told_it_is_single_threaded()
    {
        var model = new SharedAcrossThreads();
        model.InitializeWeights(3);
        float[] inputs = new float[64 * 32];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = MathF.Sin(i * 0.37f);
        }

        float[] expected = new float[10];
        model.Predict(inputs, expected);

        // Two threads of their own (not the pool, which may run both loops on one), calling until one is refused or 10 s pass.
        int refused = 0;
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        void Call(int worker)
        {
            float[] outputs = new float[10];
            for (int call = 0; Volatile.Read(ref refused) == 0 && deadline.Elapsed < TimeSpan.FromSeconds(10); call++)
            {
                try
                {
                    if (worker == 0 || call % 2 == 0)
                    {
                        model.Predict(inputs, outputs);
                    }
                    else
                    {
                        model.Step(inputs.AsSpan(0, 32), outputs);
                    }
                }
                catch (InvalidOperationException error) when (error.Message.Contains("single-threaded", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref refused);
                }
            }
        }

        var threads = new[] { new Thread(() => Call(0)), new Thread(() => Call(1)) };
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        Assert.True(refused > 0, "two threads calling one instance for 10 s never overlapped");
        float[] after = new float[10];
        model.Predict(inputs, after); // the instance is not left marked in use, and its weights are as they were
        Assert.Equal(expected, after);
    }

    [Fact]
    public void A_call_on_an_instance_in_use_is_refused_and_a_refused_call_changes_nothing()
    {
        var model = new TrainedAcrossThreads();
        float[] before = model.Parameters.ToArray();
        typeof(TrainedAcrossThreads).GetField("_inUse", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.SetValue(model, true);

        float[] inputs = new float[4 * 8 * 2];
        float[] targets = new float[4];
        var error = Assert.Throws<InvalidOperationException>(() => model.TrainBatch(inputs, targets));
        Assert.Contains("give each thread its own instance", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => model.Predict(inputs.AsSpan(0, 16), new float[1]));
        Assert.Throws<InvalidOperationException>(() => model.ComputeGradients(inputs, targets));
        Assert.Equal(before, model.Parameters.ToArray());
        Assert.Equal(0, model.UpdateCount);
    }
}
