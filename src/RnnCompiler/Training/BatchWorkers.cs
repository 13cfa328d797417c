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
/// part, and up to N - 1 thread-pool threads help. Each share runs exactly once per <see cref="Run"/>; which thread
/// runs it does not matter, because a share computes into its own memory and the caller combines the shares in their
/// fixed order afterwards. So the result depends only on the data and the number of shares, never on thread timing.
/// </summary>
/// <remarks>
/// Nothing is allocated per <see cref="Run"/>: the work item queued to the thread pool is this object's own, and the
/// shares are claimed with an interlocked counter. A helper that starts late finds no share left and returns; the
/// caller never waits for a helper that has not started (it runs unclaimed shares itself), so a busy thread pool only
/// costs speed. The first exception of a share, in share order, is rethrown on the calling thread.
/// </remarks>
public sealed class BatchWorkers
{
    private readonly IBatchShare[] _shares;
    private readonly Exception?[] _errors;
    private readonly Helper _helper;
    private readonly int _helpers;
    private int _next;
    private int _remaining;
    private int _busy;

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
        _helper = new Helper(this);
        _helpers = Math.Min(_shares.Length, Environment.ProcessorCount) - 1;
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
            for (int i = 0; i < _helpers; i++)
            {
                ThreadPool.UnsafeQueueUserWorkItem(_helper, preferLocal: false);
            }

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
    private void Work()
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

    /// <summary>The thread-pool work item: one object, queued again for every run.</summary>
    private sealed class Helper(BatchWorkers owner) : IThreadPoolWorkItem
    {
        public void Execute() => owner.Work();
    }
}
