using System;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace RnnCompiler.Training;

/// <summary>One fixed share of a training batch: a model's workspace that runs its slice of the batch's sequences.</summary>
public interface IBatchShare
{
    /// <summary>Runs the share. It reads only what is fixed before <see cref="BatchWorkers.Run"/> and writes only its own memory.</summary>
    void Run();
}

/// <summary>
/// Runs a model's fixed shares of a batch at the same time (<c>[Train(Parallelism = N)]</c>): the calling thread takes
/// part, and up to N - 1 of the process's batch helper threads help (<see cref="BatchHelperThreads"/>). Each share runs exactly once per <see cref="Run"/>; which thread
/// runs it does not matter, because a share computes into its own memory and the caller combines the shares in their
/// fixed order afterwards. So the result depends only on the data and the number of shares, never on thread timing.
/// </summary>
/// <remarks>
/// Nothing is allocated per <see cref="Run"/>: the helper threads are created once, the first time a runner is created,
/// and this object is posted to them in a fixed ring; the shares are claimed with an interlocked counter. A helper that
/// starts late finds no share left and returns; the caller never waits for a helper that has not started (it runs
/// unclaimed shares itself), so busy helpers only cost speed. The first exception of a share, in share order, is
/// rethrown on the calling thread. (The thread pool was not used: when it grows, the thread that queues work creates
/// the new thread, so a batch allocated now and then.)
/// </remarks>
public sealed class BatchWorkers
{
    private readonly IBatchShare[] _shares;
    private readonly Exception?[] _errors;
    private readonly int _helpers;
    private int _next;
    private int _remaining;
    private int _busy;

    /// <summary>How many of this runner's posts wait in <see cref="BatchHelperThreads"/>'s ring (guarded by its lock).</summary>
    internal int Pending;

    /// <summary>Creates the runner of a model's shares.</summary>
    /// <param name="shares">The shares, in their fixed order; one to 64 of them, none null.</param>
    /// <exception cref="ArgumentException"><paramref name="shares"/> is empty, longer than 64 or holds null.</exception>
    public BatchWorkers(ReadOnlySpan<IBatchShare> shares)
    {
        if (shares.Length is < 1 or > 64)
        {
            throw new ArgumentException($"Expected 1 to 64 shares; got {shares.Length}.", nameof(shares));
        }

        _shares = shares.ToArray();
        if (Array.IndexOf(_shares, null) >= 0)
        {
            throw new ArgumentException("A share is null.", nameof(shares));
        }

        _errors = new Exception?[_shares.Length];
        _helpers = Math.Min(_shares.Length, Environment.ProcessorCount) - 1;
        BatchHelperThreads.Ensure(_helpers);
    }

    /// <summary>The number of shares.</summary>
    public int Count => _shares.Length;

    /// <summary>Runs every share once and returns when all have finished.</summary>
    /// <exception cref="InvalidOperationException">Another thread is running this model's shares (a model is not thread-safe).</exception>
    public void Run()
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new InvalidOperationException("This model is already running a batch on another thread; a model instance is not thread-safe, so use one per thread.");
        }

        try
        {
            Array.Clear(_errors);
            _remaining = _shares.Length;

            // Publishes everything above: a helper claims a share only through _next.
            Volatile.Write(ref _next, 0);
            BatchHelperThreads.Post(this, _helpers);

            Work();

            // Only shares a helper has already claimed can be left, and they are running: wait for them by spinning
            // (a struct, no allocation; it yields and then sleeps if the wait grows). A blocking event allocated its
            // lock object on its first blocking wait, which made the zero-allocation guarantee depend on timing.
            var spinner = default(SpinWait);
            while (Volatile.Read(ref _remaining) != 0)
            {
                spinner.SpinOnce();
            }
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }

        foreach (Exception? error in _errors)
        {
            if (error is not null)
            {
                ExceptionDispatchInfo.Throw(error);
            }
        }
    }

    /// <summary>Claims and runs shares until none is left.</summary>
    internal void Work()
    {
        int count = _shares.Length;
        int share;
        while ((share = Interlocked.Increment(ref _next) - 1) < count)
        {
            try
            {
                _shares[share].Run();
            }
            catch (Exception error)
            {
                _errors[share] = error;
            }

            Interlocked.Decrement(ref _remaining);
        }
    }
}

/// <summary>
/// The process's batch helper threads: background threads, created once and as many as the largest
/// <c>Parallelism</c> needs (at most one fewer than the processors), that run the runners posted to them.
/// </summary>
internal static class BatchHelperThreads
{
    private const int Capacity = 64;
    private static readonly object s_lock = new();
    private static readonly BatchWorkers?[] s_posted = new BatchWorkers?[Capacity];
    private static readonly SemaphoreSlim s_signal = new(0);
    private static int s_first;
    private static int s_count;
    private static int s_threads;

    /// <summary>Makes sure at least <paramref name="helpers"/> helper threads exist.</summary>
    public static void Ensure(int helpers)
    {
        lock (s_lock)
        {
            for (; s_threads < helpers; s_threads++)
            {
                var thread = new Thread(Loop) { IsBackground = true, Name = "RnnCompiler batch helper" };
                thread.Start();
            }
        }
    }

    /// <summary>Asks up to <paramref name="helpers"/> helper threads to join <paramref name="runner"/>'s run.</summary>
    public static void Post(BatchWorkers runner, int helpers)
    {
        // A runner waits in the ring at most once per helper: posts a helper has not taken yet still call it to this
        // run, and a ring full of old posts would leave no room for other runners.
        int posted = 0;
        lock (s_lock)
        {
            for (; runner.Pending < helpers && s_count < Capacity; posted++, s_count++, runner.Pending++)
            {
                s_posted[(s_first + s_count) % Capacity] = runner;
            }
        }

        if (posted > 0)
        {
            s_signal.Release(posted);
        }
    }

    private static void Loop()
    {
        while (true)
        {
            s_signal.Wait();
            BatchWorkers? runner;
            lock (s_lock)
            {
                runner = s_posted[s_first];
                s_posted[s_first] = null;
                runner!.Pending--;
                s_first = (s_first + 1) % Capacity;
                s_count--;
            }

            runner.Work();
        }
    }
}
