using System;
using System.Linq;
using System.Threading;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>
/// Scoring from many threads with <see cref="ModelPool{TModel}"/>, as docs/hardening.md describes it: four threads
/// share one trained model's weights through a pool and each gets exactly what one thread gets alone, with no
/// <see cref="InvalidOperationException"/> from the single-thread check; renting allocates nothing once warm.
/// </summary>
public class ModelPoolTests
{
    private const int Threads = 4;
    private const int CallsPerThread = 300;

    [Fact]
    public void Four_threads_score_through_a_pool_and_get_what_one_thread_gets()
    {
        var trained = new SharedAcrossThreads();
        trained.InitializeWeights(11);
        float[][] inputs = Enumerable.Range(0, 16).Select(sequence => Enumerable.Range(0, 64 * 32).Select(i => MathF.Sin((i * 0.37f) + sequence)).ToArray()).ToArray();
        float[][] expected = inputs.Select(input => { float[] output = new float[10]; trained.Predict(input, output); return output; }).ToArray();

        var pool = new ModelPool<SharedAcrossThreads>(() =>
        {
            var model = new SharedAcrossThreads();
            trained.Parameters.CopyTo(model.Parameters);
            return model;
        });

        int mismatches = 0;
        Exception? failure = null;
        Thread[] threads = Enumerable.Range(0, Threads).Select(worker => new Thread(() =>
        {
            try
            {
                float[] output = new float[10];
                for (int call = 0; call < CallsPerThread; call++)
                {
                    int sequence = (call + worker) % inputs.Length;
                    SharedAcrossThreads model = pool.Rent();
                    try
                    {
                        model.Predict(inputs[sequence], output);
                    }
                    finally
                    {
                        pool.Return(model);
                    }

                    if (!output.AsSpan().SequenceEqual(expected[sequence]))
                    {
                        Interlocked.Increment(ref mismatches);
                    }
                }
            }
            catch (Exception exception)
            {
                failure = exception;
            }
        })).ToArray();
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        Assert.Null(failure);
        Assert.Equal(0, mismatches);
        Assert.InRange(pool.Created, 1, Threads);
    }

    [Fact]
    public void Renting_and_returning_allocate_nothing_once_warm()
    {
        var pool = new ModelPool<SharedAcrossThreads>(() => new SharedAcrossThreads());
        Assert.Equal(0, Allocations.OnceWarm(() => pool.Return(pool.Rent()), 1_000));
        Assert.Equal(1, pool.Created);
    }

    [Fact]
    public void A_bad_factory_or_argument_is_named()
    {
        Assert.Equal("create", Assert.Throws<ArgumentNullException>(() => new ModelPool<SharedAcrossThreads>(null!)).ParamName);
        Assert.Contains("factory returned null", Assert.Throws<InvalidOperationException>(() => new ModelPool<SharedAcrossThreads>(() => null!).Rent()).Message);
        Assert.Equal("model", Assert.Throws<ArgumentNullException>(() => new ModelPool<SharedAcrossThreads>(() => new SharedAcrossThreads()).Return(null!)).ParamName);
    }
}
