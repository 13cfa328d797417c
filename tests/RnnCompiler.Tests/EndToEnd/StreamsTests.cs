using System;
using System.Linq;
using RnnCompiler.Tests.Reference;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>Five streams through a stacked LSTM and GRU to a softmax.</summary>
[RnnModel(SequenceLength = 4, Streams = 5)]
[Input(3)]
[Lstm(6, ReturnSequences = true)]
[Gru(4)]
[Dense(2, Activation = Activation.Softmax)]
public partial class StreamsStack;

/// <summary>Streams through a GRU with the reset gate before the product and a SimpleRNN, outputs of every step.</summary>
[RnnModel(SequenceLength = 4, Streams = 3)]
[Input(2)]
[Gru(5, ReturnSequences = true, ResetAfter = false)]
[SimpleRnn(3, ReturnSequences = true)]
[Dense(2)]
public partial class StreamsTagger;

/// <summary>Token streams.</summary>
[RnnModel(SequenceLength = 4, Streams = 6)]
[Embedding(13, 4)]
[Lstm(5)]
[Dense(3, Activation = Activation.Softmax)]
public partial class StreamsTokens;

/// <summary>Streams of raw readings, normalized first; dropout passes values through outside training.</summary>
[RnnModel(SequenceLength = 4, Streams = 3)]
[Input(3)]
[Normalization]
[Lstm(4, Dropout = 0.3)]
[Dropout(0.5)]
[Dense(1)]
public partial class StreamsNormalized;

/// <summary>Double-precision streams.</summary>
[RnnModel(SequenceLength = 4, Streams = 4, Precision = Precision.Double)]
[Input(2)]
[Lstm(3)]
[Dense(1)]
public partial class StreamsDouble;

/// <summary>A model that trains in batches of 2 and steps 5 streams: its buffers hold a row per stream.</summary>
[RnnModel(SequenceLength = 4, Streams = 5)]
[Train(Loss = Loss.MeanSquaredError, BatchSize = 2)]
[Input(2)]
[Gru(4)]
[Dense(1)]
public partial class StreamsTrainer;

/// <summary>A model that trains on two cores (its lock-step buffers are its workspaces') and steps 3 streams.</summary>
[RnnModel(SequenceLength = 4, Streams = 3)]
[Train(Loss = Loss.MeanSquaredError, BatchSize = 4, Parallelism = 2)]
[Input(2)]
[Lstm(4)]
[Dense(1)]
public partial class StreamsParallelTrainer;

/// <summary>A model without [Train] whose batched Predict runs on two cores and that steps 3 streams (through its first workspace).</summary>
[RnnModel(SequenceLength = 4, BatchSize = 4, Parallelism = 2, Streams = 3)]
[Input(2)]
[Lstm(5, ReturnSequences = true)]
[Gru(4)]
[Dense(2)]
public partial class StreamsParallelPredictor;

/// <summary>The benchmark's LSTM 64 → 128 → 10 with 8 streams: its Step reads the kernels in panels.</summary>
[RnnModel(SequenceLength = 1, Streams = 8)]
[Input(64)]
[Lstm(128)]
[Dense(10)]
public partial class StreamsLarge;

/// <summary>
/// StepStreams gives each stream what Step gives a model that carries that stream alone: twin instances (one per
/// stream, same weights) step each stream with Step, and ResetStream matches a twin's ResetState.
/// </summary>
public class StreamsTests
{
    private const int Steps = 9;

    public static TheoryData<string> Models() => new()
    {
        nameof(StreamsStack), nameof(StreamsTagger), nameof(StreamsTokens), nameof(StreamsNormalized),
        nameof(StreamsTrainer), nameof(StreamsParallelTrainer), nameof(StreamsParallelPredictor),
    };

    private static IRnnModel<float> Create(string name) => name switch
    {
        nameof(StreamsStack) => new StreamsStack(),
        nameof(StreamsTagger) => new StreamsTagger(),
        nameof(StreamsTokens) => new StreamsTokens(),
        nameof(StreamsNormalized) => new StreamsNormalized(),
        nameof(StreamsTrainer) => new StreamsTrainer(),
        nameof(StreamsParallelTrainer) => new StreamsParallelTrainer(),
        nameof(StreamsParallelPredictor) => new StreamsParallelPredictor(),
        nameof(StreamsLarge) => new StreamsLarge(),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Each_stream_gets_what_Step_gives_it_alone_bit_for_bit(string name)
    {
        (float[] together, float[] alone) = Run(() => Create(name), seed: name.Length);
        Assert.Equal(alone, together);
    }

    [Fact]
    public void A_model_whose_Step_reads_panels_agrees_within_rounding()
    {
        (float[] together, float[] alone) = Run(() => new StreamsLarge(), seed: 3);
        for (int i = 0; i < alone.Length; i++)
        {
            Assert.True(Math.Abs(together[i] - alone[i]) <= 1e-6 * Math.Max(1, Math.Abs(alone[i])), $"output {i}: {together[i]} against {alone[i]}");
        }
    }

    [Fact]
    public void Double_streams_match_the_naive_reference()
    {
        var model = new StreamsDouble();
        IRnnModel<double> generic = model;
        float[] values = TestData.Parameters(generic.Info, seed: 5);
        for (int i = 0; i < values.Length; i++)
        {
            model.Parameters[i] = values[i];
        }

        float[] inputs = TestData.Uniform(Steps * StreamsDouble.Streams * 2, seed: 9, scale: 1f);
        var outputs = new double[StreamsDouble.Streams];
        var all = new double[Steps, StreamsDouble.Streams];
        for (int t = 0; t < Steps; t++)
        {
            model.StepStreams(inputs.AsSpan(t * StreamsDouble.Streams * 2, StreamsDouble.Streams * 2).ToArray().Select(value => (double)value).ToArray(), outputs);
            for (int s = 0; s < StreamsDouble.Streams; s++)
            {
                all[t, s] = outputs[s];
            }
        }

        RefLayer[] layers = { new RefInput(2), new RefLstm(3, false, false, RefMerge.Concat), new RefDense(1, RefActivation.Linear) };
        for (int s = 0; s < StreamsDouble.Streams; s++)
        {
            var sequence = new float[Steps * 2];
            for (int t = 0; t < Steps; t++)
            {
                inputs.AsSpan((t * StreamsDouble.Streams + s) * 2, 2).CopyTo(sequence.AsSpan(t * 2, 2));
            }

            // The stream after step t is the whole prefix run from a zero state.
            for (int t = 0; t < Steps; t++)
            {
                double[] expected = NaiveNetwork.Predict(layers, values, sequence.AsSpan(0, (t + 1) * 2).ToArray(), t + 1);
                Assert.True(Math.Abs(expected[0] - all[t, s]) <= 1e-12, $"stream {s}, step {t}: {all[t, s]} against {expected[0]}");
            }
        }
    }

    [Fact]
    public void StepStreams_leaves_Steps_own_state_alone_and_ResetState_clears_every_stream()
    {
        var model = new StreamsStack();
        model.InitializeWeights(2);
        var twin = new StreamsStack();
        model.Parameters.CopyTo(twin.Parameters);
        float[] input = TestData.Uniform(3, seed: 1, scale: 1f);
        var single = new float[2];
        var expected = new float[2];
        model.Step(input, single);
        twin.Step(input, expected);
        model.StepStreams(TestData.Uniform(StreamsStack.Streams * 3, seed: 2, scale: 1f), new float[StreamsStack.Streams * 2]);
        model.Step(input, single);
        twin.Step(input, expected);
        Assert.Equal(expected, single);

        // After ResetState every stream starts over: the first step again gives the first step's outputs.
        float[] first = TestData.Uniform(StreamsStack.Streams * 3, seed: 3, scale: 1f);
        var before = new float[StreamsStack.Streams * 2];
        var after = new float[StreamsStack.Streams * 2];
        model.ResetState();
        model.StepStreams(first, before);
        model.StepStreams(first, after);
        Assert.NotEqual(before, after);
        model.ResetState();
        model.StepStreams(first, after);
        Assert.Equal(before, after);
    }

    [Fact]
    public void Bad_arguments_name_the_argument_and_change_no_state()
    {
        var model = new StreamsTokens();
        model.InitializeWeights(1);
        int[] tokens = { 1, 2, 3, 4, 5, 6 };
        var outputs = new float[StreamsTokens.Streams * StreamsTokens.OutputUnits];
        model.StepStreams(tokens, outputs);

        int[] bad = { 1, 2, 3, 4, 5, StreamsTokens.VocabularySize };
        Assert.Equal("tokens", Assert.Throws<ArgumentOutOfRangeException>(() => model.StepStreams(bad, outputs)).ParamName);
        Assert.Equal("tokens", Assert.Throws<ArgumentException>(() => model.StepStreams(tokens.AsSpan(1), outputs)).ParamName);
        Assert.Equal("outputs", Assert.Throws<ArgumentException>(() => model.StepStreams(tokens, outputs.AsSpan(1))).ParamName);
        Assert.Equal("stream", Assert.Throws<ArgumentOutOfRangeException>(() => model.ResetStream(StreamsTokens.Streams)).ParamName);
        Assert.Equal("stream", Assert.Throws<ArgumentOutOfRangeException>(() => model.ResetStream(-1)).ParamName);

        // The states are as they were: the next step is the one the failed calls did not take.
        var twin = new StreamsTokens();
        model.Parameters.CopyTo(twin.Parameters);
        twin.StepStreams(tokens, new float[outputs.Length]);
        Assert.Equal(RunOnce(twin, tokens), RunOnce(model, tokens));

        var features = new StreamsStack();
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => features.StepStreams(new float[StreamsStack.Streams * 3 - 1], new float[StreamsStack.Streams * 2])).ParamName);
    }

    [Fact]
    public void StepStreams_allocates_nothing_once_warm()
    {
        var model = new StreamsLarge();
        model.InitializeWeights(4);
        float[] inputs = TestData.Uniform(StreamsLarge.Streams * 64, seed: 1);
        var outputs = new float[StreamsLarge.Streams * 10];
        var parallel = new StreamsParallelTrainer();
        parallel.InitializeWeights(4);
        float[] small = TestData.Uniform(StreamsParallelTrainer.Streams * 2, seed: 2);
        var smallOutputs = new float[StreamsParallelTrainer.Streams];
        int stream = 0;
        Assert.Equal(0, Allocations.OnceWarm(() =>
        {
            model.StepStreams(inputs, outputs);
            model.ResetStream(stream++ % StreamsLarge.Streams);
            parallel.StepStreams(small, smallOutputs);
        }));
    }

    [Fact]
    public void The_model_states_its_streams()
    {
        Assert.Equal(5, ((IRnnModel<float>)new StreamsStack()).Info.Streams);
        Assert.Equal(0, ((IRnnModel<float>)new Models.Lstm1()).Info.Streams);
        Assert.IsAssignableFrom<ITokenStreamsModel<float>>(new StreamsTokens());
    }

    private static float[] RunOnce(StreamsTokens model, int[] tokens)
    {
        var outputs = new float[StreamsTokens.Streams * StreamsTokens.OutputUnits];
        model.StepStreams(tokens, outputs);
        return outputs;
    }

    /// <summary>
    /// Steps every stream <see cref="Steps"/> times with StepStreams, resetting stream 1 after step 3 and stream 0 after
    /// step 6; and each stream alone in a twin with Step and ResetState. Returns both, [steps, streams, units].
    /// </summary>
    private static (float[] Together, float[] Alone) Run(Func<IRnnModel<float>> create, int seed)
    {
        IRnnModel<float> model = create();
        ModelInfo info = model.Info;
        int streams = info.Streams;
        int units = info.OutputUnits;
        TestData.Parameters(info, seed).CopyTo(model.Parameters);
        var twins = new IRnnModel<float>[streams];
        for (int s = 0; s < streams; s++)
        {
            twins[s] = create();
            model.Parameters.CopyTo(twins[s].Parameters);
        }

        var together = new float[Steps * streams * units];
        var alone = new float[Steps * streams * units];
        bool tokens = info.TakesTokens;
        int[] ids = TestData.Tokens(Steps * streams, info.InputWidth, seed);
        float[] inputs = TestData.Uniform(Steps * streams * info.InputWidth, seed: 50 + seed, scale: 1f);
        for (int t = 0; t < Steps; t++)
        {
            Span<float> step = together.AsSpan(t * streams * units, streams * units);
            if (tokens)
            {
                ((ITokenStreamsModel<float>)model).StepStreams(ids.AsSpan(t * streams, streams), step);
            }
            else
            {
                ((IFeatureStreamsModel<float>)model).StepStreams(inputs.AsSpan(t * streams * info.InputWidth, streams * info.InputWidth), step);
            }

            for (int s = 0; s < streams; s++)
            {
                Span<float> output = alone.AsSpan((t * streams + s) * units, units);
                if (tokens)
                {
                    ((ITokenStreamingModel<float>)twins[s]).Step(ids[t * streams + s], output);
                }
                else
                {
                    ((IFeatureStreamingModel<float>)twins[s]).Step(inputs.AsSpan((t * streams + s) * info.InputWidth, info.InputWidth), output);
                }
            }

            foreach ((int after, int stream) in new[] { (3, 1), (6, 0) })
            {
                if (t == after)
                {
                    if (tokens)
                    {
                        ((ITokenStreamsModel<float>)model).ResetStream(stream);
                        ((ITokenStreamingModel<float>)twins[stream]).ResetState();
                    }
                    else
                    {
                        ((IFeatureStreamsModel<float>)model).ResetStream(stream);
                        ((IFeatureStreamingModel<float>)twins[stream]).ResetState();
                    }
                }
            }
        }

        return (together, alone);
    }
}
