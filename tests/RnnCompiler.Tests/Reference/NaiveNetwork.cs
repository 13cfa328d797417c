using System;
using System.Collections.Generic;
using System.Linq;

namespace RnnCompiler.Tests.Reference;

// The numerical oracle for end-to-end tests: a deliberately naive, double-precision implementation of a Keras
// Sequential network that reads a flat float parameter vector in Keras's layout (layer by layer, each tensor
// row-major, the order of model.get_weights()). Plain loops only: no SIMD, no fused kernels, no cleverness,
// so that a mistake here is unlikely to be the same mistake as in the generated code.
//
// Parameter layout, per layer:
//   Embedding  table [vocabulary, dimensions]
//   Dense      kernel [in, units], bias [units]
//   SimpleRnn  kernel [in, u], recurrent_kernel [u, u], bias [u]              h = act(x·K + h·R + b)
//   Lstm       kernel [in, 4u], recurrent_kernel [u, 4u], bias [4u]           gate blocks i, f, c, o
//   Gru        kernel [in, 3u], recurrent_kernel [u, 3u], gate blocks z, r, h;
//              bias [2, 3u] (input row, recurrent row) when ResetAfter, else bias [3u]
//   Bidirectional: the forward direction's tensors, then the backward direction's (same shapes).

/// <summary>One layer of a reference network, in Keras Sequential order.</summary>
public abstract record RefLayer;

/// <summary>A float input sequence of <paramref name="Features"/> values per step.</summary>
public sealed record RefInput(int Features) : RefLayer;

/// <summary>An integer token per step, looked up in a [vocabulary, dimensions] table.</summary>
public sealed record RefEmbedding(int Vocabulary, int Dimensions) : RefLayer;

public enum RefActivation { Linear, Tanh, Sigmoid, Relu, Softmax, HardSigmoid, HardSigmoidKeras2 }

/// <summary>How a bidirectional layer joins its forward and backward outputs (Keras <c>merge_mode</c>).</summary>
public enum RefMerge { Concat, Sum, Multiply, Average }

public sealed record RefSimpleRnn(int Units, RefActivation Activation = RefActivation.Tanh, bool ReturnSequences = false, bool Bidirectional = false, RefMerge Merge = RefMerge.Concat) : RefLayer;

public sealed record RefLstm(int Units, bool ReturnSequences = false, bool Bidirectional = false, RefMerge Merge = RefMerge.Concat, RefActivation Activation = RefActivation.Tanh, RefActivation RecurrentActivation = RefActivation.Sigmoid) : RefLayer;

public sealed record RefGru(int Units, bool ResetAfter = true, bool ReturnSequences = false, bool Bidirectional = false, RefMerge Merge = RefMerge.Concat, RefActivation Activation = RefActivation.Tanh, RefActivation RecurrentActivation = RefActivation.Sigmoid) : RefLayer;

public sealed record RefDense(int Units, RefActivation Activation = RefActivation.Linear) : RefLayer;

/// <summary>
/// Keras's <c>Normalization(axis=-1)</c> right after the input: <c>(x - mean) / max(sqrt(variance), 1e-7)</c> per feature;
/// its tensors are mean [features], variance [features] and the scalar count, which Keras adds but never reads.
/// </summary>
public sealed record RefNormalization : RefLayer;

/// <summary>Keras's <c>RepeatVector(n)</c>: the one vector before it, repeated as each of <paramref name="Steps"/> steps.</summary>
public sealed record RefRepeatVector(int Steps) : RefLayer;

/// <summary>How a <see cref="RefAttention"/> scores a query against a key.</summary>
public enum RefScore
{
    /// <summary>Luong's dot: q·k.</summary>
    Dot,

    /// <summary>Luong's general: (q·W)·k, W [query, memory].</summary>
    General,

    /// <summary>Bahdanau's additive as Keras's AdditiveAttention: Σ_d scale_d tanh(q_d + k_d), scale [memory].</summary>
    Additive,
}

/// <summary>
/// Attention of each decoder step over the encoder's outputs (the memory, <paramref name="MemoryWidth"/> wide), its
/// output the step's joined to the context: [query, Σ_j softmax(score(query, memory_j)) memory_j].
/// </summary>
public sealed record RefAttention(RefScore Score, int MemoryWidth) : RefLayer;

/// <summary>Runs a Keras-style Sequential network naively in double precision.</summary>
public static class NaiveNetwork
{
    /// <summary>The length of the flat parameter vector the network reads.</summary>
    public static int ParameterCount(params RefLayer[] layers) => Plan(layers).ParameterCount;

    /// <summary>The width of the last layer's output (per step when it yields a sequence).</summary>
    public static int OutputUnits(params RefLayer[] layers) => Plan(layers).OutputWidth;

    /// <summary>Whether the last layer yields a sequence ([steps, units]) rather than a vector ([units]).</summary>
    public static bool OutputIsSequence(params RefLayer[] layers) => Plan(layers).OutputIsSequence;

    /// <summary>
    /// Runs a network whose first layer is <see cref="RefInput"/> on <paramref name="inputs"/>, [steps, features] row-major.
    /// Returns [units], or [steps, units] when the last layer yields a sequence.
    /// </summary>
    public static double[] Predict(RefLayer[] layers, ReadOnlySpan<float> parameters, ReadOnlySpan<float> inputs, int steps)
    {
        var network = Build(layers, parameters);
        var features = network.First is InputStage input ? input.Features
            : throw new ArgumentException("The first layer is not RefInput; pass tokens instead.", nameof(layers));
        CheckSteps(steps);
        if (inputs.Length != steps * features)
        {
            throw new ArgumentException($"Expected {steps} x {features} = {steps * features} inputs, got {inputs.Length}.", nameof(inputs));
        }

        var sequence = new List<double[]>(steps);
        for (var t = 0; t < steps; t++)
        {
            var x = new double[features];
            for (var i = 0; i < features; i++)
            {
                x[i] = inputs[t * features + i];
            }

            sequence.Add(x);
        }

        return Flatten(network.Run(sequence));
    }

    /// <summary>Runs a network whose first layer is <see cref="RefEmbedding"/> on one token per step.</summary>
    public static double[] Predict(RefLayer[] layers, ReadOnlySpan<float> parameters, ReadOnlySpan<int> tokens)
    {
        var network = Build(layers, parameters);
        var embedding = network.First as EmbeddingStage
            ?? throw new ArgumentException("The first layer is not RefEmbedding; pass float inputs instead.", nameof(layers));
        CheckSteps(tokens.Length);
        var sequence = new List<double[]>(tokens.Length);
        foreach (var token in tokens)
        {
            sequence.Add(embedding.Lookup(token));
        }

        return Flatten(network.Run(sequence));
    }

    /// <summary>
    /// Streaming: feeds the network one step at a time, carrying every recurrent layer's state, as a stateful Keras
    /// model called on sequences of length 1. Returns the last layer's output after each step, [steps, outUnits].
    /// Bidirectional layers cannot stream.
    /// </summary>
    public static double[] PredictStreaming(RefLayer[] layers, ReadOnlySpan<float> parameters, ReadOnlySpan<float> inputs, int steps)
    {
        var stream = new NaiveStream(layers, parameters);
        CheckSteps(steps);
        if (inputs.Length != steps * stream.InputFeatures)
        {
            throw new ArgumentException($"Expected {steps} x {stream.InputFeatures} inputs, got {inputs.Length}.", nameof(inputs));
        }

        var result = new double[steps * stream.OutputUnits];
        for (var t = 0; t < steps; t++)
        {
            stream.Step(inputs.Slice(t * stream.InputFeatures, stream.InputFeatures)).CopyTo(result, t * stream.OutputUnits);
        }

        return result;
    }

    /// <summary>Streaming over tokens (embedding models); see the float overload.</summary>
    public static double[] PredictStreaming(RefLayer[] layers, ReadOnlySpan<float> parameters, ReadOnlySpan<int> tokens)
    {
        var stream = new NaiveStream(layers, parameters);
        CheckSteps(tokens.Length);
        var result = new double[tokens.Length * stream.OutputUnits];
        for (var t = 0; t < tokens.Length; t++)
        {
            stream.Step(tokens[t]).CopyTo(result, t * stream.OutputUnits);
        }

        return result;
    }

    /// <summary>
    /// Runs an encoder-decoder naively: <paramref name="encoder"/> (a token model ending in a one-directional recurrent
    /// layer that returns its last output) over <paramref name="source"/>; that layer's final state (h, and c for an LSTM)
    /// starts the first recurrent layer of <paramref name="decoder"/> (whose first layer is the target embedding, read
    /// from the parameters after the encoder's), the other recurrent layers from zeros. Each decoder step reads
    /// <paramref name="teacher"/>[t] when given (teacher forcing), else the most likely token of the step before (the
    /// start token first), stopping after the end token. Returns [steps, units] of the steps run.
    /// </summary>
    public static double[] PredictEncoderDecoder(RefLayer[] encoder, RefLayer[] decoder, ReadOnlySpan<float> parameters, int[] source, int[]? teacher, int maxLength, int startToken, int endToken, out int[] tokens) =>
        PredictEncoderDecoder(encoder, decoder, parameters, source, teacher, maxLength, startToken, endToken, out tokens, out _);

    /// <summary>As the overload without <paramref name="attentionWeights"/>, which receives each step's attention weights (empty without attention).</summary>
    public static double[] PredictEncoderDecoder(RefLayer[] encoder, RefLayer[] decoder, ReadOnlySpan<float> parameters, int[] source, int[]? teacher, int maxLength, int startToken, int endToken, out int[] tokens, out List<double[]> attentionWeights)
    {
        attentionWeights = [];
        int encoderCount = Plan(encoder).ParameterCount;
        BuiltNetwork built = Build(encoder, parameters.Slice(0, encoderCount));
        BuiltNetwork target = Build(decoder, parameters.Slice(encoderCount));
        var sequence = new List<double[]>();
        if (built.First is EmbeddingStage table)
        {
            foreach (int token in source)
            {
                sequence.Add(table.Lookup(token));
            }
        }
        else
        {
            // A feature model: the source is one step's features (as ints, exactly representable).
            sequence.Add(source.Select(value => (double)value).ToArray());
        }

        if (built.Stages[^1] is DenseStage)
        {
            // A decoder after a Dense (a feature vector's projection) starts from its output at the last step as h, and
            // from zeros for an LSTM's c.
            double[] projected = built.Run(sequence)[^1];
            return Decode(target, [projected], teacher, maxLength, startToken, endToken, out tokens);
        }

        // Every encoder layer but the last as a whole; the last stepped here, to keep its final state.
        for (int i = 1; i < built.Stages.Count - 1; i++)
        {
            sequence = built.Stages[i].Run(sequence);
        }

        var last = (RecurrentStage)built.Stages[^1];
        double[][] state = last.Forward.InitialState();
        var memory = new List<double[]>();
        foreach (double[] x in sequence)
        {
            memory.Add(last.Forward.Step(x, state));
        }

        foreach (AttentionStage attention in target.Stages.OfType<AttentionStage>())
        {
            attention.Memory = memory;
            attentionWeights = attention.Weights;
        }

        if (last.Backward is { } backward)
        {
            // A bidirectional encoder's state: each of h (and c) the forward direction's after the last step joined with
            // the backward direction's after the first.
            double[][] reverse = backward.InitialState();
            for (int t = sequence.Count - 1; t >= 0; t--)
            {
                memory[t] = memory[t].Concat(backward.Step(sequence[t], reverse)).ToArray(); // the merged output, in time order
            }

            state = state.Select((row, i) => row.Concat(reverse[i]).ToArray()).ToArray();
        }

        return Decode(target, state, teacher, maxLength, startToken, endToken, out tokens);
    }

    /// <summary>The decoder's part of <see cref="PredictEncoderDecoder(RefLayer[], RefLayer[], ReadOnlySpan{float}, int[], int[], int, int, int, out int[], out List{double[]})"/>, from its first recurrent layer's start state (missing parts zero).</summary>
    private static double[] Decode(BuiltNetwork target, double[][] state, int[]? teacher, int maxLength, int startToken, int endToken, out int[] tokens)
    {
        var states = new List<double[][]?>();
        bool first = true;
        foreach (Stage stage in target.Stages)
        {
            if (stage is RecurrentStage recurrent)
            {
                double[][] initial = recurrent.Forward.InitialState();
                if (first)
                {
                    for (int i = 0; i < state.Length; i++)
                    {
                        initial[i] = (double[])state[i].Clone();
                    }
                }

                states.Add(initial);
                first = false;
            }
            else
            {
                states.Add(null);
            }
        }

        var outputs = new List<double>();
        var picked = new List<int>();
        int next = startToken;
        var targetTable = (EmbeddingStage)target.First;
        for (int t = 0; t < maxLength; t++)
        {
            int input = teacher is null ? next : teacher[t];
            double[] x = targetTable.Lookup(input);
            for (int i = 1; i < target.Stages.Count; i++)
            {
                x = target.Stages[i] is RecurrentStage recurrent ? recurrent.Forward.Step(x, states[i]!) : target.Stages[i].Run([x])[0];
            }

            outputs.AddRange(x);
            next = 0;
            for (int j = 1; j < x.Length; j++)
            {
                next = x[j] > x[next] ? j : next;
            }

            picked.Add(next);
            if (teacher is null && next == endToken)
            {
                break;
            }
        }

        tokens = picked.ToArray();
        return outputs.ToArray();
    }

    private static void CheckSteps(int steps)
    {
        if (steps < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(steps), steps, "A sequence needs at least one step.");
        }
    }

    private static double[] Flatten(List<double[]> rows)
    {
        var width = rows.Count == 0 ? 0 : rows[0].Length;
        var result = new double[rows.Count * width];
        for (var t = 0; t < rows.Count; t++)
        {
            rows[t].CopyTo(result, t * width);
        }

        return result;
    }

    // ---- Structure: widths, parameter counts, validation -------------------------------------------------------

    internal readonly record struct NetworkPlan(int ParameterCount, int OutputWidth, bool OutputIsSequence);

    internal static NetworkPlan Plan(RefLayer[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Length == 0)
        {
            throw new ArgumentException("A network needs at least an input layer.", nameof(layers));
        }

        long count = 0;
        var width = 0;
        var isSequence = true;
        for (var index = 0; index < layers.Length; index++)
        {
            var layer = layers[index] ?? throw new ArgumentException($"Layer {index} is null.", nameof(layers));
            if (index == 0 && layer is not (RefInput or RefEmbedding))
            {
                throw new ArgumentException("The first layer must be RefInput or RefEmbedding.", nameof(layers));
            }

            if (index > 0 && layer is RefInput or RefEmbedding)
            {
                throw new ArgumentException($"Layer {index}: {layer.GetType().Name} may only be the first layer.", nameof(layers));
            }

            if (layer is RefNormalization && !(index == 1 && layers[0] is RefInput))
            {
                throw new ArgumentException($"Layer {index}: RefNormalization must directly follow RefInput.", nameof(layers));
            }

            if (layer is RefRepeatVector && isSequence)
            {
                throw new ArgumentException($"Layer {index}: RefRepeatVector repeats a vector, but the layer before it returns a sequence.", nameof(layers));
            }

            if (!isSequence && layer is not (RefDense or RefRepeatVector))
            {
                throw new ArgumentException($"Layer {index}: {layer.GetType().Name} needs a sequence, but the layer before it returns a vector.", nameof(layers));
            }

            switch (layer)
            {
                case RefInput input:
                    Positive(input.Features, index);
                    width = input.Features;
                    break;
                case RefEmbedding embedding:
                    Positive(embedding.Vocabulary, index);
                    Positive(embedding.Dimensions, index);
                    count += (long)embedding.Vocabulary * embedding.Dimensions;
                    width = embedding.Dimensions;
                    break;
                case RefNormalization:
                    count += 2L * width + 1; // mean, variance, count
                    break;
                case RefRepeatVector repeat:
                    Positive(repeat.Steps, index);
                    isSequence = true;
                    break;
                case RefAttention attention:
                    count += attention.Score switch
                    {
                        RefScore.General => (long)width * attention.MemoryWidth,
                        RefScore.Additive => attention.MemoryWidth,
                        _ => 0,
                    };
                    width += attention.MemoryWidth;
                    break;
                case RefDense dense:
                    Positive(dense.Units, index);
                    count += (long)width * dense.Units + dense.Units;
                    width = dense.Units;
                    break;
                default:
                    var (units, gates, biasRows, returnSequences, bidirectional, merge) = Describe(layer);
                    Positive(units, index);
                    long perDirection = (long)gates * units * (width + units) + (long)biasRows * gates * units;
                    count += bidirectional ? 2 * perDirection : perDirection;
                    width = bidirectional && merge == RefMerge.Concat ? 2 * units : units;
                    isSequence = returnSequences;
                    break;
            }
        }

        if (count > int.MaxValue)
        {
            throw new ArgumentException("The network has more than int.MaxValue parameters.", nameof(layers));
        }

        return new NetworkPlan((int)count, width, isSequence);
    }

    private static void Positive(int value, int index)
    {
        if (value < 1)
        {
            throw new ArgumentException($"Layer {index}: sizes must be positive, got {value}.");
        }
    }

    // Units, gate count, bias rows per direction, and the sequence options of a recurrent layer.
    private static (int Units, int Gates, int BiasRows, bool ReturnSequences, bool Bidirectional, RefMerge Merge) Describe(RefLayer layer) => layer switch
    {
        RefSimpleRnn s => (s.Units, 1, 1, s.ReturnSequences, s.Bidirectional, s.Merge),
        RefLstm l => (l.Units, 4, 1, l.ReturnSequences, l.Bidirectional, l.Merge),
        RefGru g => (g.Units, 3, g.ResetAfter ? 2 : 1, g.ReturnSequences, g.Bidirectional, g.Merge),
        _ => throw new ArgumentException($"Unknown layer type {layer.GetType().Name}."),
    };

    // ---- Building: slice the flat vector into per-layer tensors ---------------------------------------------------

    internal static BuiltNetwork Build(RefLayer[] layers, ReadOnlySpan<float> parameters)
    {
        var plan = Plan(layers);
        if (parameters.Length != plan.ParameterCount)
        {
            throw new ArgumentException($"The network has {plan.ParameterCount} parameters, the vector holds {parameters.Length}.", nameof(parameters));
        }

        var reader = new ParameterReader(parameters.ToArray());
        var stages = new List<Stage>(layers.Length);
        var width = 0;
        foreach (var layer in layers)
        {
            Stage stage = layer switch
            {
                RefInput input => new InputStage(input.Features),
                RefEmbedding embedding => new EmbeddingStage(embedding.Vocabulary, embedding.Dimensions, reader.Take(embedding.Vocabulary * embedding.Dimensions)),
                RefDense dense => new DenseStage(width, dense.Units, dense.Activation, reader.Take(width * dense.Units), reader.Take(dense.Units)),
                RefNormalization => NormalizationStage.Read(width, reader),
                RefRepeatVector repeat => new RepeatStage(repeat.Steps, width),
                RefAttention attention => new AttentionStage(attention.Score, width, attention.MemoryWidth, attention.Score switch
                {
                    RefScore.General => reader.Take(width * attention.MemoryWidth),
                    RefScore.Additive => reader.Take(attention.MemoryWidth),
                    _ => [],
                }),
                _ => BuildRecurrent(layer, width, reader),
            };
            width = stage.OutputWidth;
            stages.Add(stage);
        }

        return new BuiltNetwork(stages);
    }

    private static RecurrentStage BuildRecurrent(RefLayer layer, int input, ParameterReader reader)
    {
        var (units, _, _, returnSequences, bidirectional, merge) = Describe(layer);
        Func<Cell> read = layer switch
        {
            RefSimpleRnn s => () => new SimpleCell(input, units, s.Activation, reader),
            RefLstm l => () => new LstmCell(input, units, l.Activation, l.RecurrentActivation, reader),
            RefGru g => () => new GruCell(input, units, g.ResetAfter, g.Activation, g.RecurrentActivation, reader),
            _ => throw new ArgumentException($"Unknown layer type {layer.GetType().Name}."),
        };
        var forward = read();
        var backward = bidirectional ? read() : null;
        return new RecurrentStage(forward, backward, returnSequences, merge);
    }

    private sealed class ParameterReader(float[] parameters)
    {
        private int _offset;

        public double[] Take(int count)
        {
            var result = new double[count];
            for (var i = 0; i < count; i++)
            {
                result[i] = parameters[_offset + i];
            }

            _offset += count;
            return result;
        }
    }

    // ---- Math -------------------------------------------------------------------------------------------------

    private static double Sigmoid(double x) => 1.0 / (1.0 + Math.Exp(-x));

    // Keras 3 and PyTorch: relu6(x + 3) / 6. Keras 2 and tf.keras: clip(0.2x + 0.5, 0, 1). Written from their definitions.
    private static double HardSigmoid(double x) => Math.Min(Math.Max(x + 3.0, 0.0), 6.0) / 6.0;

    private static double HardSigmoidKeras2(double x) => Math.Min(Math.Max(0.2 * x + 0.5, 0.0), 1.0);

    /// <summary>One element-wise activation (not Softmax).</summary>
    private static double Apply(RefActivation activation, double x) => activation switch
    {
        RefActivation.Linear => x,
        RefActivation.Tanh => Math.Tanh(x),
        RefActivation.Sigmoid => Sigmoid(x),
        RefActivation.Relu => Math.Max(0.0, x),
        RefActivation.HardSigmoid => HardSigmoid(x),
        RefActivation.HardSigmoidKeras2 => HardSigmoidKeras2(x),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, null),
    };

    private static double[] Activate(RefActivation activation, double[] values)
    {
        var result = new double[values.Length];
        switch (activation)
        {
            case RefActivation.Linear:
                Array.Copy(values, result, values.Length);
                break;
            case RefActivation.Tanh:
                for (var i = 0; i < values.Length; i++) result[i] = Math.Tanh(values[i]);
                break;
            case RefActivation.Sigmoid:
                for (var i = 0; i < values.Length; i++) result[i] = Sigmoid(values[i]);
                break;
            case RefActivation.Relu:
            case RefActivation.HardSigmoid:
            case RefActivation.HardSigmoidKeras2:
                for (var i = 0; i < values.Length; i++) result[i] = Apply(activation, values[i]);
                break;
            case RefActivation.Softmax:
                var max = double.NegativeInfinity;
                for (var i = 0; i < values.Length; i++) max = Math.Max(max, values[i]);
                var sum = 0.0;
                for (var i = 0; i < values.Length; i++)
                {
                    result[i] = Math.Exp(values[i] - max);
                    sum += result[i];
                }

                for (var i = 0; i < values.Length; i++) result[i] /= sum;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, null);
        }

        return result;
    }

    /// <summary>
    /// When set (on the calling thread), every product follows WeightPrecision.Int8's rule instead of the exact one: each
    /// weight column quantized symmetrically to [-127, 127] with its largest magnitude over 127 as the scale, the input
    /// row likewise with one scale, the integer products summed exactly and scaled back. Written from the stated rule,
    /// in double past the quantization.
    /// </summary>
    [ThreadStatic]
    internal static bool QuantizeProducts;

    // y[column] = Σ_row x[row]·M[row, columnOffset + column] for a row-major matrix with `stride` columns.
    private static double[] MultiplyBlock(double[] x, double[] matrix, int stride, int columnOffset, int columns)
    {
        if (QuantizeProducts)
        {
            return QuantizedBlock(x, matrix, stride, columnOffset, columns);
        }

        var result = new double[columns];
        for (var column = 0; column < columns; column++)
        {
            var sum = 0.0;
            for (var row = 0; row < x.Length; row++)
            {
                sum += x[row] * matrix[row * stride + columnOffset + column];
            }

            result[column] = sum;
        }

        return result;
    }

    private static double[] QuantizedBlock(double[] x, double[] matrix, int stride, int columnOffset, int columns)
    {
        float xLargest = 0f;
        foreach (double value in x)
        {
            xLargest = Math.Max(xLargest, Math.Abs((float)value));
        }

        var xq = new long[x.Length];
        for (int row = 0; row < x.Length && xLargest > 0f; row++)
        {
            xq[row] = (long)MathF.Round((float)x[row] * (127f / xLargest), MidpointRounding.ToEven);
        }

        double xScale = xLargest / 127f;
        var result = new double[columns];
        for (int column = 0; column < columns; column++)
        {
            int at = columnOffset + column;
            float largest = 0f;
            for (int row = 0; row < x.Length; row++)
            {
                largest = Math.Max(largest, Math.Abs((float)matrix[row * stride + at]));
            }

            float scale = largest / 127f;
            long sum = 0;
            for (int row = 0; row < x.Length && largest > 0f; row++)
            {
                sum += xq[row] * (long)MathF.Round((float)matrix[row * stride + at] / scale, MidpointRounding.ToEven);
            }

            result[column] = sum * xScale * scale;
        }

        return result;
    }

    // ---- Stages -----------------------------------------------------------------------------------------------

    internal sealed class BuiltNetwork(List<Stage> stages)
    {
        public Stage First => stages[0];

        public IReadOnlyList<Stage> Stages => stages;

        public List<double[]> Run(List<double[]> sequence)
        {
            var current = sequence;
            for (var i = 1; i < stages.Count; i++)
            {
                current = stages[i].Run(current);
            }

            return current;
        }
    }

    internal abstract class Stage
    {
        public abstract int OutputWidth { get; }

        // Consumes a sequence (or, after a vector-returning layer, a one-element list holding the vector).
        public abstract List<double[]> Run(List<double[]> input);
    }

    /// <summary>Attention over <see cref="Memory"/>, which the encoder-decoder sets once the encoder has run.</summary>
    internal sealed class AttentionStage(RefScore score, int query, int memoryWidth, double[] parameters) : Stage
    {
        public List<double[]> Memory { get; set; } = [];

        /// <summary>The weights of every query attended so far, in order.</summary>
        public List<double[]> Weights { get; } = [];

        public override int OutputWidth => query + memoryWidth;

        public override List<double[]> Run(List<double[]> input) => input.Select(Attend).ToList();

        private double[] Attend(double[] q)
        {
            double[] scores = new double[Memory.Count];
            for (int j = 0; j < Memory.Count; j++)
            {
                double[] k = Memory[j];
                double sum = 0;
                for (int d = 0; d < memoryWidth; d++)
                {
                    sum += score switch
                    {
                        RefScore.Dot => q[d] * k[d],
                        RefScore.General => Enumerable.Range(0, query).Sum(i => q[i] * parameters[i * memoryWidth + d]) * k[d],
                        _ => parameters[d] * Math.Tanh(q[d] + k[d]),
                    };
                }

                scores[j] = sum;
            }

            double max = scores.Max();
            double[] weights = scores.Select(value => Math.Exp(value - max)).ToArray();
            double total = weights.Sum();
            var output = new double[query + memoryWidth];
            Array.Copy(q, output, query);
            for (int j = 0; j < Memory.Count; j++)
            {
                weights[j] /= total;
                for (int d = 0; d < memoryWidth; d++)
                {
                    output[query + d] += weights[j] * Memory[j][d];
                }
            }

            Weights.Add(weights);
            return output;
        }
    }

    private sealed class RepeatStage(int steps, int width) : Stage
    {
        public override int OutputWidth => width;

        // The one-element list of the vector before it becomes a sequence of copies.
        public override List<double[]> Run(List<double[]> input)
        {
            var output = new List<double[]>(steps);
            for (var t = 0; t < steps; t++)
            {
                output.Add((double[])input[^1].Clone());
            }

            return output;
        }
    }

    private sealed class InputStage(int features) : Stage
    {
        public int Features => features;

        public override int OutputWidth => features;

        public override List<double[]> Run(List<double[]> input) => input;
    }

    private sealed class EmbeddingStage(int vocabulary, int dimensions, double[] table) : Stage
    {
        public override int OutputWidth => dimensions;

        public double[] Lookup(int token)
        {
            if ((uint)token >= (uint)vocabulary)
            {
                throw new ArgumentOutOfRangeException(nameof(token), token, $"Token ids must be in [0, {vocabulary}).");
            }

            var row = new double[dimensions];
            Array.Copy(table, token * dimensions, row, 0, dimensions);
            return row;
        }

        public override List<double[]> Run(List<double[]> input) => input;
    }

    private sealed class NormalizationStage(double[] mean, double[] variance) : Stage
    {
        public override int OutputWidth => mean.Length;

        public static NormalizationStage Read(int features, ParameterReader reader)
        {
            double[] mean = reader.Take(features);
            double[] variance = reader.Take(features);
            reader.Take(1); // count: kept for Keras's older files, never read
            return new NormalizationStage(mean, variance);
        }

        public double[] Apply(double[] x)
        {
            var y = new double[x.Length];
            for (var i = 0; i < x.Length; i++)
            {
                y[i] = (x[i] - mean[i]) / Math.Max(Math.Sqrt(variance[i]), 1e-7);
            }

            return y;
        }

        public override List<double[]> Run(List<double[]> sequence) => sequence.ConvertAll(Apply);
    }

    private sealed class DenseStage(int input, int units, RefActivation activation, double[] kernel, double[] bias) : Stage
    {
        public override int OutputWidth => units;

        public double[] Apply(double[] x)
        {
            var z = MultiplyBlock(x, kernel, units, 0, units);
            for (var j = 0; j < units; j++)
            {
                z[j] += bias[j];
            }

            return Activate(activation, z);
        }

        public override List<double[]> Run(List<double[]> sequence)
        {
            // Per step on a sequence; on a vector the list holds the one vector.
            var output = new List<double[]>(sequence.Count);
            foreach (var x in sequence)
            {
                if (x.Length != input) throw new InvalidOperationException("Dense input width mismatch.");
                output.Add(Apply(x));
            }

            return output;
        }
    }

    internal sealed class RecurrentStage(Cell forward, Cell? backward, bool returnSequences, RefMerge merge) : Stage
    {
        public Cell Forward => forward;

        public Cell? Backward => backward;

        public bool IsBidirectional => backward is not null;

        public override int OutputWidth => backward is not null && merge == RefMerge.Concat ? 2 * forward.Units : forward.Units;

        public override List<double[]> Run(List<double[]> sequence)
        {
            var steps = sequence.Count;
            var forwardOutputs = new double[steps][];
            var state = forward.InitialState();
            for (var t = 0; t < steps; t++)
            {
                forwardOutputs[t] = forward.Step(sequence[t], state);
            }

            if (backward is null)
            {
                return returnSequences ? new List<double[]>(forwardOutputs) : [forwardOutputs[steps - 1]];
            }

            // The backward direction reads the sequence from the last step to the first, from a zero state;
            // backwardOutputs[t] is its state after consuming input t (aligned to input time).
            var backwardOutputs = new double[steps][];
            var backwardState = backward.InitialState();
            for (var t = steps - 1; t >= 0; t--)
            {
                backwardOutputs[t] = backward.Step(sequence[t], backwardState);
            }

            if (!returnSequences)
            {
                return [Merge(forwardOutputs[steps - 1], backwardOutputs[0])];
            }

            var output = new List<double[]>(steps);
            for (var t = 0; t < steps; t++)
            {
                output.Add(Merge(forwardOutputs[t], backwardOutputs[t]));
            }

            return output;
        }

        private double[] Merge(double[] f, double[] b)
        {
            var units = f.Length;
            if (merge == RefMerge.Concat)
            {
                var joined = new double[2 * units];
                Array.Copy(f, 0, joined, 0, units);
                Array.Copy(b, 0, joined, units, units);
                return joined;
            }

            var result = new double[units];
            for (var j = 0; j < units; j++)
            {
                result[j] = merge switch
                {
                    RefMerge.Sum => f[j] + b[j],
                    RefMerge.Multiply => f[j] * b[j],
                    RefMerge.Average => (f[j] + b[j]) / 2.0,
                    _ => throw new InvalidOperationException($"Unknown merge {merge}."),
                };
            }

            return result;
        }
    }

    // ---- Cells: one direction of one recurrent layer ------------------------------------------------------------

    internal abstract class Cell(int units)
    {
        public int Units => units;

        // state[0] is h; LSTM adds state[1] = c. All zero initially.
        public abstract double[][] InitialState();

        // Consumes x, updates state in place, returns a copy of the new h.
        public abstract double[] Step(double[] x, double[][] state);
    }

    private sealed class SimpleCell : Cell
    {
        private readonly int _units;
        private readonly RefActivation _activation;
        private readonly double[] _kernel, _recurrent, _bias;

        public SimpleCell(int input, int units, RefActivation activation, ParameterReader reader) : base(units)
        {
            _units = units;
            _activation = activation;
            _kernel = reader.Take(input * units);
            _recurrent = reader.Take(units * units);
            _bias = reader.Take(units);
        }

        public override double[][] InitialState() => [new double[_units]];

        public override double[] Step(double[] x, double[][] state)
        {
            // h_t = act(x_t·K + h_{t-1}·R + b)
            var xk = MultiplyBlock(x, _kernel, _units, 0, _units);
            var hr = MultiplyBlock(state[0], _recurrent, _units, 0, _units);
            var z = new double[_units];
            for (var j = 0; j < _units; j++)
            {
                z[j] = xk[j] + hr[j] + _bias[j];
            }

            state[0] = Activate(_activation, z);
            return (double[])state[0].Clone();
        }
    }

    private sealed class LstmCell : Cell
    {
        private readonly int _units;
        private readonly double[] _kernel, _recurrent, _bias;
        private readonly RefActivation _cell, _gate;

        public LstmCell(int input, int units, RefActivation cell, RefActivation gate, ParameterReader reader) : base(units)
        {
            _units = units;
            _cell = cell;
            _gate = gate;
            _kernel = reader.Take(input * 4 * units);
            _recurrent = reader.Take(units * 4 * units);
            _bias = reader.Take(4 * units);
        }

        public override double[][] InitialState() => [new double[_units], new double[_units]];

        public override double[] Step(double[] x, double[][] state)
        {
            var u = _units;
            var h = state[0];
            var c = state[1];

            // Gate pre-activations for block k (Keras order i, f, c, o): x·K[:, k] + h·R[:, k] + b[k].
            double[] Gate(int block)
            {
                var xk = MultiplyBlock(x, _kernel, 4 * u, block * u, u);
                var hr = MultiplyBlock(h, _recurrent, 4 * u, block * u, u);
                var z = new double[u];
                for (var j = 0; j < u; j++)
                {
                    z[j] = xk[j] + hr[j] + _bias[block * u + j];
                }

                return z;
            }

            var i = Gate(0);
            var f = Gate(1);
            var g = Gate(2);
            var o = Gate(3);
            var newC = new double[u];
            var newH = new double[u];
            for (var j = 0; j < u; j++)
            {
                newC[j] = Apply(_gate, f[j]) * c[j] + Apply(_gate, i[j]) * Apply(_cell, g[j]);
                newH[j] = Apply(_gate, o[j]) * Apply(_cell, newC[j]);
            }

            state[0] = newH;
            state[1] = newC;
            return (double[])newH.Clone();
        }
    }

    private sealed class GruCell : Cell
    {
        private readonly int _units;
        private readonly bool _resetAfter;
        private readonly double[] _kernel, _recurrent, _inputBias, _recurrentBias;

        private readonly RefActivation _cell, _gate;

        public GruCell(int input, int units, bool resetAfter, RefActivation cell, RefActivation gate, ParameterReader reader) : base(units)
        {
            _cell = cell;
            _gate = gate;
            _units = units;
            _resetAfter = resetAfter;
            _kernel = reader.Take(input * 3 * units);
            _recurrent = reader.Take(units * 3 * units);
            _inputBias = reader.Take(3 * units);
            _recurrentBias = resetAfter ? reader.Take(3 * units) : new double[3 * units];
        }

        public override double[][] InitialState() => [new double[_units]];

        public override double[] Step(double[] x, double[][] state)
        {
            var u = _units;
            var h = state[0];
            var newH = new double[u];

            // Input projections for blocks z, r, h (Keras order), with the input bias.
            var xz = MultiplyBlock(x, _kernel, 3 * u, 0, u);
            var xr = MultiplyBlock(x, _kernel, 3 * u, u, u);
            var xh = MultiplyBlock(x, _kernel, 3 * u, 2 * u, u);
            for (var j = 0; j < u; j++)
            {
                xz[j] += _inputBias[j];
                xr[j] += _inputBias[u + j];
                xh[j] += _inputBias[2 * u + j];
            }

            var rz = MultiplyBlock(h, _recurrent, 3 * u, 0, u);
            var rr = MultiplyBlock(h, _recurrent, 3 * u, u, u);
            if (_resetAfter)
            {
                // reset_after=True: hh = tanh(xh + r * (h·R_h + b_rec_h)).
                var rh = MultiplyBlock(h, _recurrent, 3 * u, 2 * u, u);
                for (var j = 0; j < u; j++)
                {
                    var z = Apply(_gate, xz[j] + rz[j] + _recurrentBias[j]);
                    var r = Apply(_gate, xr[j] + rr[j] + _recurrentBias[u + j]);
                    var hh = Apply(_cell, xh[j] + r * (rh[j] + _recurrentBias[2 * u + j]));
                    newH[j] = z * h[j] + (1.0 - z) * hh;
                }
            }
            else
            {
                // reset_after=False: hh = tanh(xh + (r * h)·R_h).
                var r = new double[u];
                var z = new double[u];
                for (var j = 0; j < u; j++)
                {
                    z[j] = Apply(_gate, xz[j] + rz[j]);
                    r[j] = Apply(_gate, xr[j] + rr[j]);
                }

                var resetH = new double[u];
                for (var j = 0; j < u; j++)
                {
                    resetH[j] = r[j] * h[j];
                }

                var rh = MultiplyBlock(resetH, _recurrent, 3 * u, 2 * u, u);
                for (var j = 0; j < u; j++)
                {
                    var hh = Apply(_cell, xh[j] + rh[j]);
                    newH[j] = z[j] * h[j] + (1.0 - z[j]) * hh;
                }
            }

            state[0] = newH;
            return (double[])newH.Clone();
        }
    }

    // ---- Streaming ----------------------------------------------------------------------------------------------

    /// <summary>
    /// A stateful, step-at-a-time run of a reference network (stateful Keras fed sequences of length 1).
    /// Every recurrent layer carries its state across <see cref="Step(ReadOnlySpan{float})"/> calls until <see cref="Reset"/>.
    /// </summary>
    public sealed class NaiveStream
    {
        private readonly BuiltNetwork _network;
        private readonly List<double[][]?> _states = [];

        public NaiveStream(RefLayer[] layers, ReadOnlySpan<float> parameters)
        {
            _network = Build(layers, parameters);
            OutputUnits = Plan(layers).OutputWidth;
            foreach (var stage in _network.Stages)
            {
                if (stage is RecurrentStage { IsBidirectional: true })
                {
                    throw new NotSupportedException("A bidirectional layer needs the whole sequence; it cannot stream.");
                }
            }

            Reset();
        }

        /// <summary>Input width per step (0 for embedding models).</summary>
        public int InputFeatures => _network.First is InputStage input ? input.Features : 0;

        /// <summary>Width of the output returned by each step.</summary>
        public int OutputUnits { get; }

        /// <summary>Sets every recurrent state back to zero.</summary>
        public void Reset()
        {
            _states.Clear();
            foreach (var stage in _network.Stages)
            {
                _states.Add(stage is RecurrentStage recurrent ? recurrent.Forward.InitialState() : null);
            }
        }

        /// <summary>Feeds one step of float features (RefInput models).</summary>
        public double[] Step(ReadOnlySpan<float> features)
        {
            if (_network.First is not InputStage input)
            {
                throw new InvalidOperationException("The first layer is not RefInput; pass a token instead.");
            }

            if (features.Length != input.Features)
            {
                throw new ArgumentException($"Expected {input.Features} features, got {features.Length}.", nameof(features));
            }

            var x = new double[features.Length];
            for (var i = 0; i < x.Length; i++)
            {
                x[i] = features[i];
            }

            return Propagate(x);
        }

        /// <summary>Feeds one token (RefEmbedding models).</summary>
        public double[] Step(int token)
        {
            var embedding = _network.First as EmbeddingStage
                ?? throw new InvalidOperationException("The first layer is not RefEmbedding; pass features instead.");
            return Propagate(embedding.Lookup(token));
        }

        private double[] Propagate(double[] x)
        {
            var current = x;
            for (var i = 1; i < _network.Stages.Count; i++)
            {
                current = _network.Stages[i] switch
                {
                    RecurrentStage recurrent => recurrent.Forward.Step(current, _states[i]!),
                    DenseStage dense => dense.Apply(current),
                    NormalizationStage normalization => normalization.Apply(current),
                    var other => throw new InvalidOperationException($"Unexpected stage {other.GetType().Name}."),
                };
            }

            return current;
        }
    }
}
