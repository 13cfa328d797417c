using System;
using System.Linq;
using RnnCompiler.Tests.Reference;
using Xunit;

namespace RnnCompiler.Tests.Oracles;

/// <summary>
/// The two oracles check each other: the naive double-precision reference (<see cref="NaiveNetwork"/>) must agree
/// with ONNX Runtime's RNN, LSTM and GRU operators fed the same Keras-layout weights, in every direction.
/// Plus the parameter counts Keras reports, and the reference's streaming, embedding and merge semantics.
/// </summary>
public sealed class OracleSelfTests
{
    private const double Tolerance = 1e-5;
    private const int InputSize = 5;
    private const int Steps = 7;

    public enum CellKind { RnnTanh, RnnRelu, RnnSigmoid, Lstm, GruResetAfter, GruResetBefore }

    public static TheoryData<CellKind, OnnxDirection, int> AllCells()
    {
        var data = new TheoryData<CellKind, OnnxDirection, int>();
        foreach (var kind in Enum.GetValues<CellKind>())
        {
            foreach (var direction in Enum.GetValues<OnnxDirection>())
            {
                foreach (var units in new[] { 1, 3, 13, 33 })
                {
                    data.Add(kind, direction, units);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllCells))]
    public void NaiveReferenceAgreesWithOnnxRuntime(CellKind kind, OnnxDirection direction, int units)
    {
        var random = new Random(Seed(kind, direction, units));
        var directions = direction == OnnxDirection.Bidirectional ? 2 : 1;
        var weights = RandomWeights(random, kind, units, directions);
        var x = Uniform(random, Steps * InputSize);

        var onnx = RunOnnx(kind, units, weights, x, direction);
        Assert.Equal(Steps * directions * units, onnx.Length);

        double[] naive;
        switch (direction)
        {
            case OnnxDirection.Forward:
                naive = NaiveNetwork.Predict([new RefInput(InputSize), Layer(kind, units, returnSequences: true)], weights.Flat, x, Steps);
                break;
            case OnnxDirection.Reverse:
                // A reverse layer is a forward layer over the time-reversed input, its outputs reversed back.
                var reversed = NaiveNetwork.Predict([new RefInput(InputSize), Layer(kind, units, returnSequences: true)], weights.Flat, ReverseSteps(x, InputSize), Steps);
                naive = ReverseSteps(reversed, units);
                break;
            default:
                // Concat output [steps, 2u] = [forward_t, backward_t] has the memory layout of ONNX Y [steps, 2, u].
                naive = NaiveNetwork.Predict([new RefInput(InputSize), Layer(kind, units, returnSequences: true, bidirectional: true)], weights.Flat, x, Steps);
                break;
        }

        AssertClose(onnx, naive);
    }

    public static TheoryData<CellKind, RefMerge, bool> Merges()
    {
        var data = new TheoryData<CellKind, RefMerge, bool>();
        foreach (var kind in new[] { CellKind.RnnTanh, CellKind.Lstm, CellKind.GruResetAfter, CellKind.GruResetBefore })
        {
            foreach (var merge in Enum.GetValues<RefMerge>())
            {
                data.Add(kind, merge, true);
                data.Add(kind, merge, false);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Merges))]
    public void BidirectionalMergesAndFinalStatesAgreeWithOnnxRuntime(CellKind kind, RefMerge merge, bool returnSequences)
    {
        const int units = 4;
        var random = new Random(1000 + (int)kind * 10 + (int)merge * 2 + (returnSequences ? 1 : 0));
        var weights = RandomWeights(random, kind, units, 2);
        var x = Uniform(random, Steps * InputSize);
        var y = RunOnnx(kind, units, weights, x, OnnxDirection.Bidirectional);

        // ONNX Y [steps, 2, u]: forward at [t, 0], backward (aligned to input time) at [t, 1].
        double Forward(int t, int j) => y[(t * 2 + 0) * units + j];
        double Backward(int t, int j) => y[(t * 2 + 1) * units + j];
        var width = merge == RefMerge.Concat ? 2 * units : units;

        double[] Merged(int forwardStep, int backwardStep)
        {
            var result = new double[width];
            for (var j = 0; j < units; j++)
            {
                double f = Forward(forwardStep, j), b = Backward(backwardStep, j);
                switch (merge)
                {
                    case RefMerge.Concat: result[j] = f; result[units + j] = b; break;
                    case RefMerge.Sum: result[j] = f + b; break;
                    case RefMerge.Multiply: result[j] = f * b; break;
                    default: result[j] = (f + b) / 2; break;
                }
            }

            return result;
        }

        // Return sequences: merge at each t. Final state: forward after the last step, backward after step 0.
        var expected = returnSequences
            ? Enumerable.Range(0, Steps).SelectMany(t => Merged(t, t)).ToArray()
            : Merged(Steps - 1, 0);

        var layers = new[] { new RefInput(InputSize), Layer(kind, units, returnSequences, bidirectional: true, merge) };
        Assert.Equal(width, NaiveNetwork.OutputUnits(layers));
        AssertClose(expected, NaiveNetwork.Predict(layers, weights.Flat, x, Steps));
    }

    // ---- Parameter counts (the figures Keras's model.summary() prints) ---------------------------------------------

    [Fact]
    public void EmbeddingLstmDenseHasKerasParameterCount()
    {
        RefLayer[] layers = [new RefEmbedding(1000, 64), new RefLstm(128), new RefDense(10)];
        Assert.Equal(64_000 + 98_816 + 1_290, NaiveNetwork.ParameterCount(layers));
        Assert.Equal(164_106, NaiveNetwork.ParameterCount(layers));
    }

    public static TheoryData<RefLayer[], int> ParameterCounts() => new()
    {
        { [new RefInput(8), new RefDense(4)], 8 * 4 + 4 },
        { [new RefInput(8), new RefSimpleRnn(32)], 32 * (8 + 32) + 32 },
        { [new RefInput(8), new RefLstm(16)], 4 * (16 * (8 + 16) + 16) },
        { [new RefInput(8), new RefGru(16)], 3 * 16 * (8 + 16) + 6 * 16 },
        { [new RefInput(8), new RefGru(16, ResetAfter: false)], 3 * 16 * (8 + 16) + 3 * 16 },
        { [new RefInput(4), new RefLstm(10, Bidirectional: true)], 2 * 4 * (10 * (4 + 10) + 10) },
        { [new RefInput(4), new RefGru(10, Bidirectional: true, Merge: RefMerge.Sum)], 2 * (3 * 10 * 14 + 60) },
        // Concat doubles the width the next layer sees; the other merges keep it.
        { [new RefInput(4), new RefSimpleRnn(10, Bidirectional: true), new RefDense(3)], 2 * (10 * 14 + 10) + 20 * 3 + 3 },
        { [new RefInput(4), new RefSimpleRnn(10, Bidirectional: true, Merge: RefMerge.Average), new RefDense(3)], 2 * (10 * 14 + 10) + 10 * 3 + 3 },
        { [new RefEmbedding(50, 8), new RefLstm(6, ReturnSequences: true), new RefGru(5), new RefDense(2, RefActivation.Softmax)], 50 * 8 + 4 * (6 * 14 + 6) + (3 * 5 * 11 + 30) + 5 * 2 + 2 },
    };

    [Theory]
    [MemberData(nameof(ParameterCounts))]
    public void ParameterCountsMatchKeras(RefLayer[] layers, int expected) => Assert.Equal(expected, NaiveNetwork.ParameterCount(layers));

    [Fact]
    public void WrongParameterLengthOrLayerOrderIsRejected()
    {
        RefLayer[] layers = [new RefInput(2), new RefSimpleRnn(3)];
        Assert.Throws<ArgumentException>(() => NaiveNetwork.Predict(layers, new float[NaiveNetwork.ParameterCount(layers) - 1], new float[2], 1));
        Assert.Throws<ArgumentException>(() => NaiveNetwork.ParameterCount(new RefInput(2), new RefLstm(3), new RefGru(3)));
        Assert.Throws<ArgumentException>(() => NaiveNetwork.ParameterCount(new RefDense(2)));
    }

    // ---- Hand-computed values --------------------------------------------------------------------------------

    [Fact]
    public void SimpleRnnAndSoftmaxMatchHandComputedValues()
    {
        // SimpleRnn(1): K = 0.5, R = -1, b = 0.1; Dense(2, softmax): kernel [1, 2] = (1, -1), bias (0, 0.5).
        RefLayer[] layers = [new RefInput(1), new RefSimpleRnn(1), new RefDense(2, RefActivation.Softmax)];
        float[] parameters = [0.5f, -1f, 0.1f, 1f, -1f, 0f, 0.5f];
        var h1 = Math.Tanh(0.5 * 1 + 0.1f);
        var h2 = Math.Tanh(0.5 * 2 - h1 + 0.1f);
        double a = h2, b = -h2 + 0.5;
        double[] expected = [Math.Exp(a) / (Math.Exp(a) + Math.Exp(b)), Math.Exp(b) / (Math.Exp(a) + Math.Exp(b))];
        AssertClose(expected, NaiveNetwork.Predict(layers, parameters, [1f, 2f], 2));
    }

    [Fact]
    public void LstmMatchesHandComputedValues()
    {
        // Lstm(1) on one input, bias only (i, f, c, o) = (0.2, 0.3, 0.4, 0.5); two steps of x = 0.
        RefLayer[] layers = [new RefInput(1), new RefLstm(1)];
        float[] parameters = [0, 0, 0, 0, 0, 0, 0, 0, 0.2f, 0.3f, 0.4f, 0.5f];
        static double S(double v) => 1 / (1 + Math.Exp(-v));
        var c1 = S(0.2f) * Math.Tanh(0.4f);
        var c2 = S(0.3f) * c1 + S(0.2f) * Math.Tanh(0.4f);
        AssertClose([S(0.5f) * Math.Tanh(c2)], NaiveNetwork.Predict(layers, parameters, [0f, 0f], 2));
    }

    // ---- Embedding and streaming -------------------------------------------------------------------------------

    [Fact]
    public void EmbeddingIsATableLookup()
    {
        const int vocabulary = 11, dimensions = 4;
        var random = new Random(7);
        RefLayer[] tail = [new RefGru(5, ReturnSequences: true), new RefDense(3, RefActivation.Tanh)];
        var parameters = Uniform(random, vocabulary * dimensions + NaiveNetwork.ParameterCount([new RefInput(dimensions), .. tail]));
        int[] tokens = [3, 0, 10, 3, 7];

        // The same network fed the looked-up rows as float features.
        var rows = tokens.SelectMany(t => parameters.Skip(t * dimensions).Take(dimensions)).ToArray();
        var viaInput = NaiveNetwork.Predict([new RefInput(dimensions), .. tail], parameters.AsSpan(vocabulary * dimensions), rows, tokens.Length);
        var viaTokens = NaiveNetwork.Predict([new RefEmbedding(vocabulary, dimensions), .. tail], parameters, tokens);
        Assert.Equal(viaInput, viaTokens);
        Assert.Throws<ArgumentOutOfRangeException>(() => NaiveNetwork.Predict([new RefEmbedding(vocabulary, dimensions), .. tail], parameters, [vocabulary]));
    }

    [Fact]
    public void StreamingASequenceModelEqualsOneWholeRun()
    {
        RefLayer[] layers =
        [
            new RefInput(3),
            new RefLstm(6, ReturnSequences: true),
            new RefGru(5, ResetAfter: false, ReturnSequences: true),
            new RefSimpleRnn(4, RefActivation.Relu, ReturnSequences: true),
            new RefDense(3, RefActivation.Softmax),
        ];
        var random = new Random(11);
        var parameters = Uniform(random, NaiveNetwork.ParameterCount(layers));
        var x = Uniform(random, 9 * 3);
        var whole = NaiveNetwork.Predict(layers, parameters, x, 9);
        var streamed = NaiveNetwork.PredictStreaming(layers, parameters, x, 9);
        Assert.Equal(9 * 3, whole.Length);
        AssertClose(whole, streamed);
        for (var t = 0; t < 9; t++)
        {
            Assert.Equal(1.0, whole.Skip(t * 3).Take(3).Sum(), 12);
        }
    }

    [Fact]
    public void StreamingAVectorModelEqualsRunsOverEachPrefix()
    {
        RefLayer[] layers = [new RefEmbedding(20, 4), new RefLstm(5, ReturnSequences: true), new RefGru(6), new RefDense(2)];
        var random = new Random(13);
        var parameters = Uniform(random, NaiveNetwork.ParameterCount(layers));
        int[] tokens = [1, 19, 4, 4, 0, 12];
        var streamed = NaiveNetwork.PredictStreaming(layers, parameters, tokens);
        for (var t = 1; t <= tokens.Length; t++)
        {
            AssertClose(NaiveNetwork.Predict(layers, parameters, tokens.AsSpan(0, t)), streamed.AsSpan((t - 1) * 2, 2).ToArray());
        }

        // Reset starts again from zero state.
        var stream = new NaiveNetwork.NaiveStream(layers, parameters);
        var first = stream.Step(tokens[0]);
        stream.Step(tokens[1]);
        stream.Reset();
        Assert.Equal(first, stream.Step(tokens[0]));
    }

    [Fact]
    public void BidirectionalLayersCannotStream()
    {
        RefLayer[] layers = [new RefInput(2), new RefLstm(3, Bidirectional: true)];
        Assert.Throws<NotSupportedException>(() => NaiveNetwork.PredictStreaming(layers, new float[NaiveNetwork.ParameterCount(layers)], new float[4], 2));
    }

    // ---- Helpers -------------------------------------------------------------------------------------------------

    private sealed record Weights(float[][] Kernel, float[][] Recurrent, float[][] Bias)
    {
        // The flat Keras vector: per direction kernel, recurrent kernel, bias.
        public float[] Flat => Enumerable.Range(0, Kernel.Length).SelectMany(d => Kernel[d].Concat(Recurrent[d]).Concat(Bias[d])).ToArray();
    }

    private static int Seed(CellKind kind, OnnxDirection direction, int units) => 7919 * (int)kind + 104_729 * (int)direction + units;

    private static float[] Uniform(Random random, int count)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)(random.NextDouble() - 0.5);
        }

        return values;
    }

    private static int Gates(CellKind kind) => kind switch
    {
        CellKind.Lstm => 4,
        CellKind.GruResetAfter or CellKind.GruResetBefore => 3,
        _ => 1,
    };

    private static Weights RandomWeights(Random random, CellKind kind, int units, int directions)
    {
        var gu = Gates(kind) * units;
        var biasLength = kind == CellKind.GruResetAfter ? 2 * gu : gu;
        var kernel = new float[directions][];
        var recurrent = new float[directions][];
        var bias = new float[directions][];
        for (var d = 0; d < directions; d++)
        {
            kernel[d] = Uniform(random, InputSize * gu);
            recurrent[d] = Uniform(random, units * gu);
            bias[d] = Uniform(random, biasLength);
        }

        return new Weights(kernel, recurrent, bias);
    }

    private static RefLayer Layer(CellKind kind, int units, bool returnSequences, bool bidirectional = false, RefMerge merge = RefMerge.Concat) => kind switch
    {
        CellKind.RnnTanh => new RefSimpleRnn(units, RefActivation.Tanh, returnSequences, bidirectional, merge),
        CellKind.RnnRelu => new RefSimpleRnn(units, RefActivation.Relu, returnSequences, bidirectional, merge),
        CellKind.RnnSigmoid => new RefSimpleRnn(units, RefActivation.Sigmoid, returnSequences, bidirectional, merge),
        CellKind.Lstm => new RefLstm(units, returnSequences, bidirectional, merge),
        CellKind.GruResetAfter => new RefGru(units, ResetAfter: true, returnSequences, bidirectional, merge),
        _ => new RefGru(units, ResetAfter: false, returnSequences, bidirectional, merge),
    };

    private static float[] RunOnnx(CellKind kind, int units, Weights w, float[] x, OnnxDirection direction) => kind switch
    {
        CellKind.RnnTanh => OnnxRecurrentOracle.RunSimpleRnn(InputSize, units, w.Kernel, w.Recurrent, w.Bias, x, Steps, direction, "Tanh"),
        CellKind.RnnRelu => OnnxRecurrentOracle.RunSimpleRnn(InputSize, units, w.Kernel, w.Recurrent, w.Bias, x, Steps, direction, "Relu"),
        CellKind.RnnSigmoid => OnnxRecurrentOracle.RunSimpleRnn(InputSize, units, w.Kernel, w.Recurrent, w.Bias, x, Steps, direction, "Sigmoid"),
        CellKind.Lstm => OnnxRecurrentOracle.RunLstm(InputSize, units, w.Kernel, w.Recurrent, w.Bias, x, Steps, direction),
        CellKind.GruResetAfter => OnnxRecurrentOracle.RunGru(InputSize, units, w.Kernel, w.Recurrent, w.Bias, resetAfter: true, x, Steps, direction),
        _ => OnnxRecurrentOracle.RunGru(InputSize, units, w.Kernel, w.Recurrent, w.Bias, resetAfter: false, x, Steps, direction),
    };

    private static T[] ReverseSteps<T>(T[] sequence, int width)
    {
        var steps = sequence.Length / width;
        var result = new T[sequence.Length];
        for (var t = 0; t < steps; t++)
        {
            Array.Copy(sequence, t * width, result, (steps - 1 - t) * width, width);
        }

        return result;
    }

    private static void AssertClose(float[] expected, double[] actual) => AssertClose(Array.ConvertAll(expected, v => (double)v), actual);

    private static void AssertClose(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var scale = Math.Max(1.0, Math.Abs(expected[i]));
            if (!(Math.Abs(expected[i] - actual[i]) <= Tolerance * scale))
            {
                Assert.Fail($"Element {i} of {expected.Length}: expected {expected[i]:R}, got {actual[i]:R} (difference {Math.Abs(expected[i] - actual[i]):E2}, tolerance {Tolerance * scale:E2}).");
            }
        }
    }
}
