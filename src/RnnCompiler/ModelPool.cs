using System;
using System.Collections.Concurrent;
using System.Threading;

namespace RnnCompiler;

/// <summary>
/// Instances of a model for scoring from many threads at once. A model instance is single-threaded (its buffers and
/// streaming state are its own); a pool hands each caller an instance no other thread holds, and makes a new one with
/// the factory only when every instance is out, so a service ends up with about as many instances as calls it runs at
/// once. Renting and returning allocate nothing once the pool holds enough instances. An instance comes back with
/// whatever streaming state its last user left: the pool suits <c>Predict</c>, which starts from zero state each call;
/// a stream scored with <c>Step</c> keeps an instance of its own for its lifetime.
/// </summary>
/// <typeparam name="TModel">The generated model class.</typeparam>
/// <example>
/// <code>
/// var trained = new Sentiment();
/// trained.LoadWeights("sentiment.safetensors");
/// var pool = new ModelPool&lt;Sentiment&gt;(() =&gt;
/// {
///     var model = new Sentiment();
///     trained.Parameters.CopyTo(model.Parameters);
///     return model;
/// });
///
/// // On any thread:
/// Sentiment model = pool.Rent();
/// try { model.Predict(tokens, scores); }
/// finally { pool.Return(model); }
/// </code>
/// </example>
public sealed class ModelPool<TModel>
    where TModel : class
{
    private readonly Func<TModel> _create;
    private readonly ConcurrentBag<TModel> _free = [];
    private int _created;

    /// <summary>A pool that makes its instances with <paramref name="create"/> (which must give a new instance each call, with the weights to score with).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="create"/> is null.</exception>
    public ModelPool(Func<TModel> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        _create = create;
    }

    /// <summary>How many instances the pool has made.</summary>
    public int Created => Volatile.Read(ref _created);

    /// <summary>An instance that no other caller holds until it is returned: a free one, or a new one from the factory.</summary>
    /// <exception cref="InvalidOperationException">The factory returned null.</exception>
    public TModel Rent()
    {
        if (_free.TryTake(out TModel? model))
        {
            return model;
        }

        model = _create() ?? throw new InvalidOperationException("The model pool's factory returned null; it must return a new model instance.");
        Interlocked.Increment(ref _created);
        return model;
    }

    /// <summary>Gives back an instance from <see cref="Rent"/>; the caller must not use it afterwards.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    public void Return(TModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _free.Add(model);
    }
}
