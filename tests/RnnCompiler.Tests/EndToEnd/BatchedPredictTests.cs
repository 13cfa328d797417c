using System;
using System.Collections.Generic;
using System.Linq;
using RnnCompiler.Tests.Models;
using RnnCompiler.Tests.Reference;
using RnnCompiler.Tests.Training;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>An LSTM large enough that Predict reads its kernels in panels, which batched Predict does not.</summary>
[RnnModel(SequenceLength = 12, BatchSize = 5)]
[Input(64)]
[Lstm(128)]
[Dense(10, Activation = Activation.Softmax)]
public partial class BatchedLstm64x128x10;

/// <summary>A double-precision stack that returns sequences, in batches of 4.</summary>
[RnnModel(SequenceLength = 6, BatchSize = 4, Precision = Precision.Double)]
[Input(3)]
[Gru(5, ReturnSequences = true)]
[SimpleRnn(4, ReturnSequences = true, Bidirectional = true)]
[Dense(2)]
public partial class BatchedDoubleTagger;

/// <summary>A masking model: its batches run sequence by sequence, each without its masked steps.</summary>
[RnnModel(SequenceLength = 7, BatchSize = 4)]
[Embedding(11, 4, MaskZero = true)]
[Lstm(5)]
[Dense(3, Activation = Activation.Softmax)]
public partial class BatchedMaskedClassifier;

/// <summary>A value-masking model with a bidirectional layer: each batch is packed, masked steps left out.</summary>
[RnnModel(SequenceLength = 6, BatchSize = 3)]
[Input(2)]
[Masking(-1)]
[Lstm(4, Bidirectional = true)]
[Dense(2)]
public partial class BatchedMaskedFeatures;

/// <summary>A sequence-to-sequence stack without [Train] whose batches of 5 run on two cores (shares of 2 and 3).</summary>
[RnnModel(SequenceLength = 6, BatchSize = 5, Parallelism = 2)]
[Input(3)]
[Gru(5, ReturnSequences = true)]
[SimpleRnn(4, ReturnSequences = true, Bidirectional = true)]
[Dense(2)]
public partial class ParallelPredictTagger;

/// <summary>A token classifier without [Train] whose batches of 7 run on three cores (shares of 2, 2 and 3).</summary>
[RnnModel(SequenceLength = 8, BatchSize = 7, Parallelism = 3)]
[Embedding(20, 5)]
[Lstm(7, ReturnSequences = true)]
[Gru(6)]
[Dense(3, Activation = Activation.Softmax)]
public partial class ParallelPredictTokens;

/// <summary><see cref="BatchedMaskedClassifier"/> in batches of 5 on two cores: each batch packed, then split.</summary>
[RnnModel(SequenceLength = 7, BatchSize = 5, Parallelism = 2)]
[Embedding(11, 4, MaskZero = true)]
[Lstm(5)]
[Dense(3, Activation = Activation.Softmax)]
public partial class ParallelMaskedClassifier;

/// <summary>A token tagger that masks: each packed batch is spread back over its masked steps before the Dense.</summary>
[RnnModel(SequenceLength = 7, BatchSize = 5)]
[Embedding(10, 3, MaskZero = true)]
[Lstm(4, ReturnSequences = true)]
[Dense(3, Activation = Activation.Softmax)]
public partial class BatchedMaskedTokenTagger;

/// <summary>A value-masking bidirectional tagger: its masked steps are zeros before the Dense, as Keras gives them.</summary>
[RnnModel(SequenceLength = 6, BatchSize = 4)]
[Input(2)]
[Masking(-1)]
[Gru(3, ReturnSequences = true, Bidirectional = true)]
[Dense(2, Activation = Activation.Tanh)]
public partial class BatchedMaskedFeatureTagger;

/// <summary><see cref="BatchedMaskedTokenTagger"/> on two cores: each share spreads its own packed sequences back.</summary>
[RnnModel(SequenceLength = 7, BatchSize = 5, Parallelism = 2)]
[Embedding(10, 3, MaskZero = true)]
[Lstm(4, ReturnSequences = true)]
[Dense(3, Activation = Activation.Softmax)]
public partial class ParallelMaskedTokenTagger;

/// <summary><see cref="BatchedMaskedFeatureTagger"/> on two cores.</summary>
[RnnModel(SequenceLength = 6, BatchSize = 4, Parallelism = 2)]
[Input(2)]
[Masking(-1)]
[Gru(3, ReturnSequences = true, Bidirectional = true)]
[Dense(2, Activation = Activation.Tanh)]
public partial class ParallelMaskedFeatureTagger;

/// <summary>A masking model whose last layer is a bidirectional recurrent one that returns sequences, batched.</summary>
[RnnModel(SequenceLength = 6, BatchSize = 4)]
[Input(2)]
[Masking(-1)]
[Lstm(3, ReturnSequences = true)]
[Gru(3, ReturnSequences = true, Bidirectional = true, MergeMode = MergeMode.Average)]
public partial class BatchedMaskedSequence;

/// <summary><see cref="BatchedMaskedFeatures"/> in batches of 5 on three cores.</summary>
[RnnModel(SequenceLength = 6, BatchSize = 5, Parallelism = 3)]
[Input(2)]
[Masking(-1)]
[Lstm(4, Bidirectional = true)]
[Dense(2)]
public partial class ParallelMaskedFeatures;

/// <summary><see cref="BatchedLstm64x128x10"/> in batches of 32 on two cores.</summary>
[RnnModel(SequenceLength = 12, BatchSize = 32, Parallelism = 2)]
[Input(64)]
[Lstm(128)]
[Dense(10, Activation = Activation.Softmax)]
public partial class ParallelPredictLstm64x128x10;

/// <summary>
/// Batched Predict gives every sequence what Predict gives it alone: the catalogue (declared with BatchSize = 3, so 7
/// sequences run as batches of 3, 3 and 1), training models (their training batch), a Parallelism model, dropout, a
/// model whose Predict reads panels, double precision and masking.
/// </summary>
public class BatchedPredictTests
{
    private const int Sequences = 7;

    [Theory]
    [MemberData(nameof(ModelCase.Names), MemberType = typeof(ModelCase))]
    public void A_catalogue_batch_gives_each_sequence_what_Predict_gives_it_bit_for_bit(string name)
    {
        ModelCase modelCase = ModelCase.Get(name);
        IRnnModel<float> model = modelCase.Create();
        float[] parameters = TestData.Parameters(model.Info, seed: 3 * name.Length);
        parameters.CopyTo(model.Parameters);
        foreach (int steps in new[] { 1, model.Info.SequenceLength })
        {
            (float[] batched, float[] alone, int perSequence) = Run(model, steps, seed: steps);
            Assert.Equal(alone, batched);

            // And against the naive reference, sequence by sequence.
            for (int s = 0; s < Sequences; s++)
            {
                double[] expected = model.Info.TakesTokens
                    ? NaiveNetwork.Predict(modelCase.Layers, parameters, Tokens(model.Info, steps, seed: steps).AsSpan(s * steps, steps).ToArray())
                    : NaiveNetwork.Predict(modelCase.Layers, parameters, Features(model.Info, steps, seed: steps).AsSpan(s * steps * model.Info.InputWidth, steps * model.Info.InputWidth).ToArray(), steps);
                TestData.AssertClose(expected, batched.AsSpan(s * perSequence, perSequence).ToArray(), 1e-5, $"{name}, sequence {s}, {steps} steps");
            }
        }
    }

    public static TheoryData<string> OtherModels() => new()
    {
        nameof(TokenClassifier), nameof(SequenceRegressor), nameof(StatefulClassifier), nameof(GradGruBinary),
        nameof(ParallelTokenClassifier), nameof(ParallelStatefulClassifier), nameof(ParallelGradGruBinary),
        nameof(DropoutClassifier), nameof(ParallelDropoutClassifier), nameof(DropoutTagger),
        nameof(BatchedDoubleTagger), nameof(BatchedMaskedClassifier), nameof(ParallelPredictTagger), nameof(ParallelPredictTokens),
        nameof(ParallelMaskedClassifier),
    };

    private static object Create(string name) => name switch
    {
        nameof(TokenClassifier) => new TokenClassifier(),
        nameof(SequenceRegressor) => new SequenceRegressor(),
        nameof(StatefulClassifier) => new StatefulClassifier(),
        nameof(GradGruBinary) => new GradGruBinary(),
        nameof(ParallelTokenClassifier) => new ParallelTokenClassifier(),
        nameof(ParallelStatefulClassifier) => new ParallelStatefulClassifier(),
        nameof(ParallelGradGruBinary) => new ParallelGradGruBinary(),
        nameof(DropoutClassifier) => new DropoutClassifier(),
        nameof(ParallelDropoutClassifier) => new ParallelDropoutClassifier(),
        nameof(DropoutTagger) => new DropoutTagger(),
        nameof(BatchedDoubleTagger) => new BatchedDoubleTagger(),
        nameof(BatchedMaskedClassifier) => new BatchedMaskedClassifier(),
        nameof(ParallelPredictTagger) => new ParallelPredictTagger(),
        nameof(ParallelPredictTokens) => new ParallelPredictTokens(),
        nameof(ParallelMaskedClassifier) => new ParallelMaskedClassifier(),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(OtherModels))]
    public void Training_dropout_double_and_masking_models_batch_bit_for_bit(string name)
    {
        object model = Create(name);
        switch (model)
        {
            case IRnnModel<float> single:
                TestData.Parameters(single.Info, seed: 11).CopyTo(single.Parameters);
                foreach (int sequences in new[] { 1, 2, 13, 40 })
                {
                    (float[] batched, float[] alone, _) = Run(single, single.Info.SequenceLength, seed: sequences, sequences);
                    Assert.Equal(alone, batched);
                }

                break;
            case IRnnModel<double> wide:
                float[] values = TestData.Parameters(wide.Info, seed: 11);
                for (int i = 0; i < values.Length; i++)
                {
                    wide.Parameters[i] = values[i];
                }

                foreach (int sequences in new[] { 1, 2, 13, 40 })
                {
                    (double[] batched, double[] alone) = RunDouble(wide, wide.Info.SequenceLength - 1, seed: sequences, sequences);
                    Assert.Equal(alone, batched);
                }

                break;
            default:
                throw new InvalidOperationException(name);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Masked_steps_anywhere_are_left_out_of_each_sequence_of_a_packed_batch(bool threeCores)
    {
        IFeatureModel<float> model = threeCores ? new ParallelMaskedFeatures() : new BatchedMaskedFeatures();
        IRnnModel<float> generic = model;
        TestData.Parameters(generic.Info, seed: 8).CopyTo(model.Parameters);
        const int steps = 6, sequences = 8;
        float[] inputs = TestData.Uniform(sequences * steps * 2, seed: 12, scale: 1f);
        var random = new Random(3);
        for (int s = 0; s < sequences; s++)
        {
            // Sequence s keeps s % 6 + 1 real steps, the others masked at random places: before, among and after them.
            int masked = steps - (s % steps + 1);
            foreach (int t in Enumerable.Range(0, steps).OrderBy(_ => random.Next()).Take(masked))
            {
                inputs[(s * steps + t) * 2] = -1;
                inputs[(s * steps + t) * 2 + 1] = -1;
            }
        }

        var batched = new float[sequences * 2];
        var alone = new float[sequences * 2];
        model.Predict(inputs, batched, sequences);
        for (int s = 0; s < sequences; s++)
        {
            model.Predict(inputs.AsSpan(s * steps * 2, steps * 2), alone.AsSpan(s * 2, 2));
        }

        Assert.Equal(alone, batched);
    }

    [Fact]
    public void Masked_taggers_batch_bit_for_bit_with_their_masked_steps_spread_back()
    {
        // Tokens: sequence s keeps s % 7 + 1 real tokens among 7, the rest 0 before, among and after them; then a batch
        // with no masked step (run as it came).
        var tokenTagger = new BatchedMaskedTokenTagger();
        TestData.Parameters(((IRnnModel<float>)tokenTagger).Info, seed: 21).CopyTo(tokenTagger.Parameters);
        var parallelTagger = new ParallelMaskedTokenTagger();
        tokenTagger.Parameters.CopyTo(parallelTagger.Parameters);
        var random = new Random(22);
        foreach (int sequences in new[] { 1, 5, 13 })
        {
            int[] tokens = Enumerable.Range(0, sequences * 7).Select(_ => random.Next(1, 10)).ToArray();
            for (int s = 0; s < sequences; s++)
            {
                foreach (int t in Enumerable.Range(0, 7).OrderBy(_ => random.Next()).Take(6 - s % 7))
                {
                    tokens[s * 7 + t] = 0;
                }
            }

            AssertTokenBatch(tokenTagger, tokens, sequences, 7, 3);
            AssertTokenBatch(parallelTagger, tokens, sequences, 7, 3);
            int[] unmasked = Enumerable.Range(0, sequences * 7).Select(_ => random.Next(1, 10)).ToArray();
            AssertTokenBatch(tokenTagger, unmasked, sequences, 7, 3);
            AssertTokenBatch(parallelTagger, unmasked, sequences, 7, 3);
        }

        // Float steps masked by value, through a bidirectional layer (zeros at masked steps), and with one last.
        foreach (IFeatureModel<float> model in new IFeatureModel<float>[] { new BatchedMaskedFeatureTagger(), new BatchedMaskedSequence(), new ParallelMaskedFeatureTagger() })
        {
            TestData.Parameters(((IRnnModel<float>)model).Info, seed: 23).CopyTo(model.Parameters);
            int width = ((IRnnModel<float>)model).Info.OutputUnits;
            foreach (int sequences in new[] { 1, 4, 11 })
            {
                float[] inputs = TestData.Uniform(sequences * 6 * 2, seed: sequences, scale: 1f);
                for (int s = 0; s < sequences; s++)
                {
                    foreach (int t in Enumerable.Range(0, 6).OrderBy(_ => random.Next()).Take(5 - s % 6))
                    {
                        inputs[(s * 6 + t) * 2] = -1;
                        inputs[(s * 6 + t) * 2 + 1] = -1;
                    }
                }

                var batched = new float[sequences * 6 * width];
                var alone = new float[sequences * 6 * width];
                model.Predict(inputs, batched, sequences);
                for (int s = 0; s < sequences; s++)
                {
                    model.Predict(inputs.AsSpan(s * 12, 12), alone.AsSpan(s * 6 * width, 6 * width));
                }

                Assert.Equal(alone, batched);
            }
        }
    }

    private static void AssertTokenBatch(ITokenModel<float> model, int[] tokens, int sequences, int steps, int width)
    {
        var batched = new float[sequences * steps * width];
        var alone = new float[sequences * steps * width];
        model.Predict(tokens, batched, sequences);
        for (int s = 0; s < sequences; s++)
        {
            model.Predict(tokens.AsSpan(s * steps, steps), alone.AsSpan(s * steps * width, steps * width));
        }

        Assert.Equal(alone, batched);
    }

    [Fact]
    public void A_sequence_with_no_unmasked_step_is_refused_naming_the_argument()
    {
        var model = new BatchedMaskedClassifier();
        model.InitializeWeights(3);
        int[] tokens = { 1, 2, 3, 0, 0, 0, 4, 5, 6 };
        var outputs = new float[3 * BatchedMaskedClassifier.OutputUnits];
        Assert.Equal("tokens", Assert.Throws<ArgumentException>(() => model.Predict(tokens, outputs, 3)).ParamName);
    }

    [Fact]
    public void A_model_whose_Predict_reads_panels_agrees_within_rounding()
    {
        var model = new BatchedLstm64x128x10();
        model.InitializeWeights(5);
        (float[] batched, float[] alone, _) = Run(model, BatchedLstm64x128x10.SequenceLength, seed: 2, sequences: 12);
        for (int i = 0; i < alone.Length; i++)
        {
            // Predict sums the panels' products in another order: the results differ by rounding only.
            Assert.True(Math.Abs(batched[i] - alone[i]) <= 1e-6 * Math.Max(1, Math.Abs(alone[i])), $"output {i}: {batched[i]} against {alone[i]}");
        }
    }

    [Fact]
    public void Predict_on_two_cores_gives_each_sequence_what_one_core_gives_it_bit_for_bit()
    {
        var parallel = new ParallelPredictLstm64x128x10();
        var single = new BatchedLstm64x128x10();
        parallel.InitializeWeights(6);
        parallel.Parameters.CopyTo(single.Parameters);
        foreach (int sequences in new[] { 1, 3, 32, 45 })
        {
            float[] inputs = TestData.Uniform(sequences * 12 * 64, seed: sequences);
            var expected = new float[sequences * 10];
            var actual = new float[sequences * 10];
            single.Predict(inputs, expected, sequences);
            parallel.Predict(inputs, actual, sequences);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void Batched_Predict_leaves_the_streaming_state_alone()
    {
        var model = new TokenClassifier();
        TestData.Parameters(((IRnnModel<float>)model).Info, seed: 4).CopyTo(model.Parameters);
        var before = new float[TokenClassifier.OutputUnits];
        var after = new float[TokenClassifier.OutputUnits];
        var expected = new float[TokenClassifier.OutputUnits];
        var twin = new TokenClassifier();
        model.Parameters.CopyTo(twin.Parameters);
        model.Step(3, before);
        twin.Step(3, before);
        int[] tokens = Tokens(((IRnnModel<float>)model).Info, 5, seed: 1);
        model.Predict(tokens, new float[Sequences * TokenClassifier.OutputUnits], Sequences);
        model.Step(4, after);
        twin.Step(4, expected);
        Assert.Equal(expected, after);
    }

    [Fact]
    public void Bad_arguments_name_the_argument_and_leave_the_outputs_alone()
    {
        var features = new BatchedDoubleTagger();
        features.InitializeWeights(1);
        int steps = 4;
        double[] inputs = new double[2 * steps * BatchedDoubleTagger.InputFeatures];
        double[] outputs = Enumerable.Repeat(42.0, 2 * steps * BatchedDoubleTagger.OutputUnits).ToArray();
        Assert.Equal("sequences", Assert.Throws<ArgumentOutOfRangeException>(() => features.Predict(inputs, outputs, 0)).ParamName);
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => features.Predict(inputs.AsSpan(1), outputs, 2)).ParamName);
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => features.Predict(new double[2 * 7 * BatchedDoubleTagger.InputFeatures], outputs, 2)).ParamName);
        Assert.Equal("outputs", Assert.Throws<ArgumentException>(() => features.Predict(inputs, outputs.AsSpan(1), 2)).ParamName);
        Assert.All(outputs, value => Assert.Equal(42.0, value));

        var tokens = new TokenClassifier();
        tokens.InitializeWeights(1);
        int[] ids = Tokens(((IRnnModel<float>)tokens).Info, 5, seed: 3);
        ids[^1] = TokenClassifier.VocabularySize;
        float[] scores = Enumerable.Repeat(42f, Sequences * TokenClassifier.OutputUnits).ToArray();
        Assert.Equal("tokens", Assert.Throws<ArgumentOutOfRangeException>(() => tokens.Predict(ids, scores, Sequences)).ParamName);
        Assert.All(scores, value => Assert.Equal(42f, value));
    }

    [Fact]
    public void Batched_Predict_allocates_nothing_once_warm()
    {
        var model = new BatchedLstm64x128x10();
        model.InitializeWeights(2);
        float[] inputs = TestData.Uniform(11 * 12 * 64, seed: 1);
        var outputs = new float[11 * 10];
        var parallel = new ParallelTokenClassifier();
        parallel.InitializeWeights(2);
        int[] tokens = Tokens(((IRnnModel<float>)parallel).Info, 6, seed: 2);
        var scores = new float[Sequences * ParallelTokenClassifier.OutputUnits];
        var cores = new ParallelPredictTokens();
        cores.InitializeWeights(2);
        var coreScores = new float[Sequences * ParallelPredictTokens.OutputUnits];
        var masked = new ParallelMaskedClassifier();
        masked.InitializeWeights(2);
        int[] maskedTokens = Tokens(((IRnnModel<float>)masked).Info, 6, seed: 3);
        maskedTokens[4] = 0; // a masked step: the batch is packed
        var maskedScores = new float[Sequences * ParallelMaskedClassifier.OutputUnits];
        Assert.Equal(0, Allocations.OnceWarm(() =>
        {
            model.Predict(inputs, outputs, 11);
            parallel.Predict(tokens, scores, Sequences);
            cores.Predict(tokens, coreScores, Sequences);
            masked.Predict(maskedTokens, maskedScores, Sequences);
        }, 5));
    }

    [Fact]
    public void The_batch_is_the_declared_one_or_the_training_batch()
    {
        Assert.Equal(5, BatchedLstm64x128x10.BatchSize);
        Assert.Equal(3, Lstm1.BatchSize);
        Assert.Equal(4, BatchedMaskedClassifier.BatchSize);
    }

    /// <summary>Runs <paramref name="sequences"/> random sequences batched, and each alone.</summary>
    private static (float[] Batched, float[] Alone, int PerSequence) Run(IRnnModel<float> model, int steps, int seed, int sequences = Sequences)
    {
        ModelInfo info = model.Info;
        int perSequence = info.OutputUnits * (info.OutputIsSequence ? steps : 1);
        var batched = new float[sequences * perSequence];
        var alone = new float[sequences * perSequence];
        if (info.TakesTokens)
        {
            var tokenModel = (ITokenModel<float>)model;
            int[] tokens = Tokens(info, steps, seed, sequences);
            tokenModel.Predict(tokens, batched, sequences);
            for (int s = 0; s < sequences; s++)
            {
                tokenModel.Predict(tokens.AsSpan(s * steps, steps), alone.AsSpan(s * perSequence, perSequence));
            }
        }
        else
        {
            var featureModel = (IFeatureModel<float>)model;
            float[] inputs = Features(info, steps, seed, sequences);
            int perInput = steps * info.InputWidth;
            featureModel.Predict(inputs, batched, sequences);
            for (int s = 0; s < sequences; s++)
            {
                featureModel.Predict(inputs.AsSpan(s * perInput, perInput), alone.AsSpan(s * perSequence, perSequence));
            }
        }

        return (batched, alone, perSequence);
    }

    private static (double[] Batched, double[] Alone) RunDouble(IRnnModel<double> model, int steps, int seed, int sequences)
    {
        ModelInfo info = model.Info;
        int perSequence = info.OutputUnits * (info.OutputIsSequence ? steps : 1);
        var batched = new double[sequences * perSequence];
        var alone = new double[sequences * perSequence];
        if (model is ITokenModel<double> tokenModel)
        {
            int[] tokens = Tokens(info, steps, seed, sequences);
            tokenModel.Predict(tokens, batched, sequences);
            for (int s = 0; s < sequences; s++)
            {
                tokenModel.Predict(tokens.AsSpan(s * steps, steps), alone.AsSpan(s * perSequence, perSequence));
            }

            return (batched, alone);
        }

        var featureModel = (IFeatureModel<double>)model;
        double[] inputs = Features(info, steps, seed, sequences).Select(value => (double)value).ToArray();
        int perInput = steps * info.InputWidth;
        featureModel.Predict(inputs, batched, sequences);
        for (int s = 0; s < sequences; s++)
        {
            featureModel.Predict(inputs.AsSpan(s * perInput, perInput), alone.AsSpan(s * perSequence, perSequence));
        }

        return (batched, alone);
    }

    /// <summary>Random token ids; for a masking model some are 0 (padding), but never a whole sequence.</summary>
    private static int[] Tokens(ModelInfo info, int steps, int seed, int sequences = Sequences)
    {
        int[] tokens = TestData.Tokens(sequences * steps, info.InputWidth, seed);
        for (int s = 0; s < sequences; s++)
        {
            tokens[s * steps] = Math.Max(tokens[s * steps], 1);
        }

        return tokens;
    }

    private static float[] Features(ModelInfo info, int steps, int seed, int sequences = Sequences) =>
        TestData.Uniform(sequences * steps * info.InputWidth, seed: 100 + seed, scale: 1f);
}
