// The one definition of what each layer kind is and which weight tensors it holds, in Keras's names, order and
// shapes. It is compiled into the runtime (LayerDescriptor: initialization, weight files, checkpoints) and, as a linked
// file, into the generator (the constants, offsets and documentation it emits), so the two cannot disagree. It depends
// on nothing but the base library (netstandard2.0 in the generator).
using System.Collections.Generic;

#if RNNCOMPILER_GENERATOR
namespace RnnCompiler.Generators.WeightFiles;
#else
namespace RnnCompiler.Weights;
#endif

/// <summary>The kinds of layer a model declares, one per layer attribute.</summary>
#if RNNCOMPILER_GENERATOR
internal
#else
public
#endif
enum LayerKind
{
    /// <summary>Keras <c>Embedding</c>: one table [vocabulary, dimensions].</summary>
    Embedding,

    /// <summary>Keras <c>Dense</c>: kernel [input, units] and bias [units].</summary>
    Dense,

    /// <summary>Keras <c>SimpleRNN</c>.</summary>
    SimpleRnn,

    /// <summary>Keras <c>LSTM</c>.</summary>
    Lstm,

    /// <summary>Keras <c>GRU</c>.</summary>
    Gru,

    /// <summary><c>[Input(features)]</c>: the float steps a model reads; holds no weights. Last, so that the values above keep their numbers.</summary>
    Input,

    /// <summary>
    /// Keras <c>Normalization(axis=-1)</c>: <c>(x - mean) / max(sqrt(variance), 1e-7)</c> per feature, with mean [features],
    /// variance [features] and count [] that are not trained (<c>adapt</c> sets them).
    /// </summary>
    Normalization,

    /// <summary><c>[Masking(value)]</c>: marks padded float steps; holds no weights.</summary>
    Masking,

    /// <summary><c>[Dropout(rate)]</c>: drops values while training; holds no weights.</summary>
    Dropout,

    /// <summary>Keras <c>RepeatVector(n)</c>: one vector per sequence repeated as the input of n steps; holds no weights.</summary>
    RepeatVector,

    /// <summary>
    /// <c>[Decoder(vocabulary, dimensions)]</c>: the target side's Keras <c>Embedding</c> (its table, <c>embeddings</c>),
    /// which starts a decoder stack from the encoder's final state.
    /// </summary>
    Decoder,

    /// <summary>
    /// <c>[Attention(score)]</c>: attention of each decoder step over the encoder's outputs, the context joined to the
    /// step's output. Its tensors depend on the score: none for dot-product (Keras's <c>Attention()</c>), <c>kernel</c>
    /// [query, memory] for Luong's general, <c>scale</c> [memory] for additive (Keras's <c>AdditiveAttention()</c>).
    /// </summary>
    Attention,
}

/// <summary>What a weight tensor is for, which decides its initializer and its PyTorch counterpart.</summary>
#if RNNCOMPILER_GENERATOR
internal
#else
public
#endif
enum TensorRole
{
    /// <summary>The embedding table.</summary>
    Embeddings,

    /// <summary>The input kernel [input, gates × units].</summary>
    Kernel,

    /// <summary>The recurrent kernel [units, gates × units].</summary>
    RecurrentKernel,

    /// <summary>The bias.</summary>
    Bias,

    /// <summary>Normalization's per-feature mean; not trained, starts at 0.</summary>
    Mean,

    /// <summary>Normalization's per-feature variance; not trained, starts at 1.</summary>
    Variance,

    /// <summary>Normalization's <c>count</c> (a scalar Keras keeps for older saved models and never updates); not trained, starts at 0.</summary>
    Count,

    /// <summary>Additive attention's learned <c>scale</c> vector (Keras's <c>AdditiveAttention</c>, glorot_uniform).</summary>
    Scale,
}

/// <summary>One tensor of a layer as Keras lays it out.</summary>
internal sealed class KerasTensor
{
    public KerasTensor(string name, TensorRole role, bool backward, long[] shape)
    {
        Name = name;
        Role = role;
        Backward = backward;
        Shape = shape;
    }

    /// <summary>The Keras weight name: <c>lstm/kernel</c>, <c>bidirectional/backward_gru/bias</c>.</summary>
    public string Name { get; }

    public TensorRole Role { get; }

    /// <summary>True for the backward direction of a bidirectional layer.</summary>
    public bool Backward { get; }

    /// <summary>The Keras shape. Long, so that a declaration too large for a model can be measured before it is refused.</summary>
    public long[] Shape { get; }

    /// <summary>The number of elements.</summary>
    public long Length
    {
        get
        {
            long length = 1;
            foreach (long dimension in Shape)
            {
                length *= dimension;
            }

            return length;
        }
    }
}

/// <summary>Keras's weight layout, per layer kind: gate blocks, tensors in <c>model.get_weights()</c> order, initial biases.</summary>
internal static class KerasTensorLayout
{
    /// <summary>The gate blocks in a recurrent kernel's columns: 4 for LSTM (i, f, c, o), 3 for GRU (z, r, h), 1 for SimpleRNN.</summary>
    // The switches over LayerKind list every kind and have no default branch: a new kind is error CS8509 until it is
    // handled here. CS8524 (a value outside the named ones) cannot happen: kinds come from the attributes' parser.
#pragma warning disable CS8524
    public static int Gates(LayerKind kind) => kind switch
    {
        LayerKind.Lstm => 4,
        LayerKind.Gru => 3,
        LayerKind.Input or LayerKind.Masking or LayerKind.Dropout or LayerKind.RepeatVector or LayerKind.Decoder or LayerKind.Attention or LayerKind.Embedding or LayerKind.SimpleRnn or LayerKind.Dense or LayerKind.Normalization => 1,
    };

    /// <summary>
    /// The gate block of the bias whose gate keeps the state (LSTM's forget gate f, GRU's update gate z), or -1 for a
    /// kind without one. <c>KeepGateBias</c> sets it; Keras's <c>unit_forget_bias</c> starts LSTM's at 1.
    /// </summary>
    public static int KeepGateBlock(LayerKind kind) => kind switch
    {
        LayerKind.Lstm => 1,
        LayerKind.Gru => 0,
        LayerKind.Input or LayerKind.Masking or LayerKind.Dropout or LayerKind.RepeatVector or LayerKind.Decoder or LayerKind.Attention or LayerKind.Embedding or LayerKind.SimpleRnn or LayerKind.Dense or LayerKind.Normalization => -1,
    };

    /// <summary>
    /// Whether the optimizer trains tensors of the role: every role but Normalization's <c>mean</c>, <c>variance</c> and
    /// <c>count</c>, which Keras adds with <c>trainable=False</c> (its summary counts them as non-trainable params).
    /// </summary>
    public static bool IsTrainable(TensorRole role) => role is not (TensorRole.Mean or TensorRole.Variance or TensorRole.Count);

    /// <summary>Keras's starting bias of the keep gate: 1 for LSTM (<c>unit_forget_bias=True</c>), 0 otherwise.</summary>
    public static double DefaultKeepGateBias(LayerKind kind) => kind == LayerKind.Lstm ? 1 : 0;

    /// <summary>
    /// The tensors of one layer in Keras's order: Embedding <c>embeddings</c>; Dense <c>kernel</c>, <c>bias</c>; a
    /// recurrent layer <c>kernel</c> [input, gates × units], <c>recurrent_kernel</c> [units, gates × units] and
    /// <c>bias</c> ([2, gates × units] for a GRU with <c>reset_after</c>), for each direction of a bidirectional one
    /// under <c>{name}/forward_{inner}/</c> and <c>{name}/backward_{inner}/</c>; Normalization <c>mean</c> [features],
    /// <c>variance</c> [features] and the scalar <c>count</c> [] (Keras's <c>build</c> adds them in that order).
    /// </summary>
    /// <param name="kind">The layer kind.</param>
    /// <param name="name">The Keras layer name (for a bidirectional layer the wrapper's, <c>bidirectional</c>).</param>
    /// <param name="innerName">For a bidirectional layer the wrapped layer's name (<c>lstm</c>); otherwise <paramref name="name"/>.</param>
    /// <param name="inputSize">The input width (for Embedding, the vocabulary size).</param>
    /// <param name="units">The units (for Embedding, the dimensions; for Normalization, the features).</param>
    /// <param name="bidirectional">Whether a recurrent layer has a backward direction with its own weights.</param>
    /// <param name="resetAfter">For a GRU, Keras's <c>reset_after</c>.</param>
    /// <param name="score">For an attention layer, its score as the runtime's <c>AttentionScore</c> numbers it: 0 dot, 1 additive, 3 general.</param>
    public static List<KerasTensor> Tensors(LayerKind kind, string name, string innerName, long inputSize, long units, bool bidirectional, bool resetAfter, int score = 0) => kind switch
    {
        LayerKind.Attention => score switch
        {
            1 => new List<KerasTensor> { new(name + "/scale", TensorRole.Scale, false, new[] { units }) },
            3 => new List<KerasTensor> { new(name + "/kernel", TensorRole.Kernel, false, new[] { inputSize, units }) },
            _ => new List<KerasTensor>(),
        },
        LayerKind.Input or LayerKind.Masking or LayerKind.Dropout or LayerKind.RepeatVector => new List<KerasTensor>(),
        LayerKind.Embedding or LayerKind.Decoder => new List<KerasTensor> { new(name + "/embeddings", TensorRole.Embeddings, false, new[] { inputSize, units }) },
        LayerKind.Dense => new List<KerasTensor>
        {
            new(name + "/kernel", TensorRole.Kernel, false, new[] { inputSize, units }),
            new(name + "/bias", TensorRole.Bias, false, new[] { units }),
        },
        LayerKind.Normalization => new List<KerasTensor>
        {
            new(name + "/mean", TensorRole.Mean, false, new[] { units }),
            new(name + "/variance", TensorRole.Variance, false, new[] { units }),
            new(name + "/count", TensorRole.Count, false, new long[0]),
        },
        LayerKind.SimpleRnn or LayerKind.Lstm or LayerKind.Gru => RecurrentTensors(kind, name, innerName, inputSize, units, bidirectional, resetAfter),
    };
#pragma warning restore CS8524

    private static List<KerasTensor> RecurrentTensors(LayerKind kind, string name, string innerName, long inputSize, long units, bool bidirectional, bool resetAfter)
    {
        var tensors = new List<KerasTensor>();
        long width = Gates(kind) * units;
        foreach (bool backward in bidirectional ? new[] { false, true } : new[] { false })
        {
            string prefix = !bidirectional ? name : name + (backward ? "/backward_" : "/forward_") + innerName;
            tensors.Add(new KerasTensor(prefix + "/kernel", TensorRole.Kernel, backward, new[] { inputSize, width }));
            tensors.Add(new KerasTensor(prefix + "/recurrent_kernel", TensorRole.RecurrentKernel, backward, new[] { units, width }));
            tensors.Add(kind == LayerKind.Gru && resetAfter
                ? new KerasTensor(prefix + "/bias", TensorRole.Bias, backward, new[] { 2, width })
                : new KerasTensor(prefix + "/bias", TensorRole.Bias, backward, new[] { width }));
        }

        return tensors;
    }
}
