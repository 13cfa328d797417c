using System;
using System.Collections.Generic;
using System.Linq;
using RnnCompiler.Tests.Reference;
using RnnCompiler.Tests.Training;
using RnnCompiler.Training;
using Xunit;

namespace RnnCompiler.Tests.Sequences;

/// <summary>
/// Encoder-decoder models with <c>[Attention]</c> (Luong dot and general, Bahdanau additive): Predict decodes greedily as
/// the naive reference does, attention included (tokens equal, probabilities and attention weights within 1e-12); the
/// teacher-forced loss is the reference's; the gradients pass central finite differences through the output layer,
/// attention, decoder, state hand-off and encoder (its outputs reached both ways); two cores give one's; float follows
/// double; decoding allocates nothing; and the attention weights are refused before any decoding.
/// </summary>
public class AttentionTests
{
    private static readonly RefLayer[] LstmEncoder = [new RefEmbedding(9, 3), new RefLstm(4, ReturnSequences: true)];

    private static RefLayer[] LstmDecoder(RefScore score) =>
        [new RefEmbedding(7, 2), new RefLstm(4, ReturnSequences: true), new RefAttention(score, 4), new RefDense(7, RefActivation.Softmax)];

    private static readonly RefLayer[] GruEncoder = [new RefEmbedding(8, 3), new RefGru(3, ReturnSequences: true)];

    private static readonly RefLayer[] GruDecoder =
        [new RefEmbedding(6, 3), new RefGru(3, ReturnSequences: true), new RefSimpleRnn(5, ReturnSequences: true), new RefAttention(RefScore.General, 3), new RefDense(6, RefActivation.Softmax)];

    /// <summary>Weights that float holds exactly, so the double model and the naive reference read the same numbers.</summary>
    private static float[] Weights(Span<double> parameters, int seed, double scale = 0.8)
    {
        float[] weights = TrainingData.ToFloat(TrainingData.Doubles(parameters.Length, seed, scale));
        for (int i = 0; i < weights.Length; i++)
        {
            parameters[i] = weights[i];
        }

        return weights;
    }

    [Fact]
    public void The_models_count_and_name_as_Keras()
    {
        // Embedding 27, LSTM 128, Embedding 14, LSTM 112; Dot attention holds nothing, Additive a scale of 4; Dense 8·7 + 7.
        Assert.Equal(27 + 128 + 14 + 112 + 63, DotAttentionTranslator.ParameterCount);
        Assert.Equal(27 + 128 + 14 + 112 + 4 + 63, AdditiveAttentionTranslator.ParameterCount);
        Assert.Equal(DotAttentionTranslator.ParameterCount, NaiveNetwork.ParameterCount(LstmEncoder) + NaiveNetwork.ParameterCount(LstmDecoder(RefScore.Dot)));
        // Embedding 24, GRU 3·3·(3 + 3) + 2·9 = 72; Embedding 18, GRU 72, SimpleRNN 5·(3 + 5) + 5 = 45; General kernel 5·3; Dense 8·6 + 6.
        Assert.Equal(24 + 72 + 18 + 72 + 45 + 15 + 54, GeneralAttentionTranslator.ParameterCount);
        Assert.Equal(GeneralAttentionTranslator.ParameterCount, NaiveNetwork.ParameterCount(GruEncoder) + NaiveNetwork.ParameterCount(GruDecoder));
        Assert.Contains("attention (Attention)", DotAttentionTranslator.Summary);
        Assert.Contains("additive_attention (Additiv", AdditiveAttentionTranslator.Summary); // the name column is 29 wide
        Assert.Contains("(None, 4, 8)", DotAttentionTranslator.Summary);
        var info = ((IRnnModel<double>)new AdditiveAttentionTranslator()).Info;
        Assert.Equal("additive_attention", info.Layers[4].Name);
        Assert.Equal(AttentionScore.Additive, info.Layers[4].Score);
        Assert.Equal("additive_attention/scale", info.Layers[4].Tensors[0].Name);
        Assert.Equal("attention/kernel", ((IRnnModel<double>)new GeneralAttentionTranslator()).Info.Layers[5].Tensors[0].Name);
    }

    private static void SameWeights(List<double[]> expected, double[] map, int sourceSteps, int outputSteps)
    {
        for (int t = 0; t < outputSteps; t++)
        {
            for (int j = 0; j < sourceSteps; j++)
            {
                double want = t < expected.Count ? expected[t][j] : 0;
                Assert.True(Math.Abs(want - map[t * sourceSteps + j]) <= 1e-12, $"step {t}, source step {j}: expected {want:R}, got {map[t * sourceSteps + j]:R}");
            }
        }
    }

    [Theory]
    [InlineData(RefScore.Dot, 1)]
    [InlineData(RefScore.Dot, 5)]
    [InlineData(RefScore.Additive, 2)]
    [InlineData(RefScore.Additive, 4)]
    public void Predict_decodes_and_attends_as_the_reference_does(RefScore score, int steps)
    {
        for (int seed = 0; seed < 5; seed++)
        {
            IRnnModel<double> model = score == RefScore.Dot ? new DotAttentionTranslator() : new SerialAdditiveAttentionTranslator();
            float[] weights = Weights(((ITrainableModel<double, int, int>)model).Parameters, 100 + seed, 1.5);
            int[] source = TrainingData.Ints(steps, 9, 200 + seed);
            var outputs = new double[4 * 7];
            var map = new double[4 * 5];
            int sourceSteps;
            int[] decoded = new int[4];
            int length;
            if (model is DotAttentionTranslator dot)
            {
                dot.Predict(source, outputs);
                sourceSteps = dot.CopyAttentionWeights(map);
                length = dot.Decode(source, decoded);
            }
            else
            {
                var additive = (SerialAdditiveAttentionTranslator)model;
                additive.Predict(source, outputs);
                sourceSteps = additive.CopyAttentionWeights(map);
                length = additive.Decode(source, decoded);
            }

            double[] expected = NaiveNetwork.PredictEncoderDecoder(LstmEncoder, LstmDecoder(score), weights, source, null, 4, 1, 2, out int[] tokens, out List<double[]> attention);
            DecodingAsserts.SameAsReference(outputs, expected, $"seed {seed}");
            Assert.Equal(steps, sourceSteps);
            SameWeights(attention, map, steps, 4);
            Assert.Equal(tokens.TakeWhile(token => token != 2).ToArray(), decoded.AsSpan(0, length).ToArray());
        }
    }

    [Fact]
    public void General_attention_over_a_masked_source_attends_to_its_real_tokens()
    {
        var model = new GeneralAttentionTranslator();
        float[] weights = Weights(model.Parameters, 400, 1.5);
        var outputs = new double[3 * 6];
        var map = new double[3 * 6];
        foreach (int[] padded in new[] { new[] { 0, 3, 0, 5, 7, 0 }, new[] { 0, 0, 0, 0, 0, 4 }, new[] { 1, 2, 3, 4, 5, 6 } })
        {
            int[] real = padded.Where(token => token != 0).ToArray();
            model.Predict(padded, outputs);
            Assert.Equal(real.Length, model.CopyAttentionWeights(map));
            double[] expected = NaiveNetwork.PredictEncoderDecoder(GruEncoder, GruDecoder, weights, real, null, 3, 0, 5, out _, out List<double[]> attention);
            DecodingAsserts.SameAsReference(outputs, expected, string.Join(",", padded));
            SameWeights(attention, map, real.Length, 3);
        }
    }

    private static readonly RefLayer[] BidirectionalEncoder = [new RefEmbedding(9, 3), new RefLstm(3, ReturnSequences: true, Bidirectional: true)];

    private static readonly RefLayer[] BidirectionalDecoder =
        [new RefEmbedding(7, 2), new RefLstm(6, ReturnSequences: true), new RefAttention(RefScore.Additive, 6), new RefDense(7, RefActivation.Softmax)];

    [Fact]
    public void Attention_over_a_bidirectional_masked_encoder_reads_its_merged_outputs()
    {
        var model = new BidirectionalAttentionTranslator();
        float[] weights = Weights(model.Parameters, 420, 1.5);
        var outputs = new double[4 * 7];
        var map = new double[4 * 5];
        foreach (int[] padded in new[] { new[] { 0, 3, 0, 5, 7 }, new[] { 0, 0, 4, 0, 0 }, new[] { 1, 2, 3, 4, 5 } })
        {
            int[] real = padded.Where(token => token != 0).ToArray();
            model.Predict(padded, outputs);
            Assert.Equal(real.Length, model.CopyAttentionWeights(map));
            double[] expected = NaiveNetwork.PredictEncoderDecoder(BidirectionalEncoder, BidirectionalDecoder, weights, real, null, 4, 1, 2, out _, out List<double[]> attention);
            DecodingAsserts.SameAsReference(outputs, expected, string.Join(",", padded));
            SameWeights(attention, map, real.Length, 4);
        }
    }

    [Fact]
    public void A_bidirectional_encoders_gradients_through_attention_and_hand_off_pass_finite_differences()
    {
        int[] sources = [0, 3, 0, 5, 7, 0, 0, 4, 0, 0, 1, 2, 3, 4, 5];
        FiniteDifferences(new BidirectionalAttentionTranslator(), sources, TrainingData.Ints(3 * 4, 7, 431), 3, 432, attention: 4);
        var model = new BidirectionalAttentionTranslator();
        float[] weights = Weights(model.Parameters, 433);
        int[] targets = TrainingData.Ints(3 * 4, 7, 434);
        double expected = 0;
        for (int s = 0; s < 3; s++)
        {
            int[] target = targets.AsSpan(s * 4, 4).ToArray();
            int[] real = sources.AsSpan(s * 5, 5).ToArray().Where(token => token != 0).ToArray();
            double[] probabilities = NaiveNetwork.PredictEncoderDecoder(BidirectionalEncoder, BidirectionalDecoder, weights, real, [1, .. target.Take(3)], 4, 1, 2, out _);
            for (int t = 0; t < 4; t++)
            {
                expected -= Math.Log(probabilities[t * 7 + target[t]]) / 12;
            }
        }

        double loss = model.Evaluate(sources, targets, 3).Loss;
        Assert.True(Math.Abs(expected - loss) <= 1e-12 * expected, $"expected {expected:R}, got {loss:R}");
    }

    [Fact]
    public void The_teacher_forced_loss_is_the_references()
    {
        var model = new DotAttentionTranslator();
        float[] weights = Weights(model.Parameters, 300);
        int[] sources = TrainingData.Ints(4 * 5, 9, 301);
        int[] targets = TrainingData.Ints(4 * 4, 7, 302);
        double expected = 0;
        for (int s = 0; s < 4; s++)
        {
            int[] target = targets.AsSpan(s * 4, 4).ToArray();
            int[] teacher = [1, .. target.Take(3)];
            double[] probabilities = NaiveNetwork.PredictEncoderDecoder(LstmEncoder, LstmDecoder(RefScore.Dot), weights, sources.AsSpan(s * 5, 5).ToArray(), teacher, 4, 1, 2, out _);
            for (int t = 0; t < 4; t++)
            {
                expected -= Math.Log(probabilities[t * 7 + target[t]]) / 16;
            }
        }

        Assert.True(Math.Abs(expected - model.Evaluate(sources, targets, 4).Loss) <= 1e-12 * expected);
    }

    [Fact]
    public void The_teacher_forced_loss_over_masked_sources_is_the_references()
    {
        // Padding anywhere in the source: training packs the real tokens, and the attention reads those only.
        var model = new GeneralAttentionTranslator();
        float[] weights = Weights(model.Parameters, 310);
        int[] sources = [0, 3, 0, 5, 7, 0, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4, 5, 6];
        int[] targets = TrainingData.Ints(3 * 3, 6, 311);
        double expected = 0;
        for (int s = 0; s < 3; s++)
        {
            int[] target = targets.AsSpan(s * 3, 3).ToArray();
            int[] teacher = [0, .. target.Take(2)];
            int[] real = sources.AsSpan(s * 6, 6).ToArray().Where(token => token != 0).ToArray();
            double[] probabilities = NaiveNetwork.PredictEncoderDecoder(GruEncoder, GruDecoder, weights, real, teacher, 3, 0, 5, out _);
            for (int t = 0; t < 3; t++)
            {
                expected -= Math.Log(probabilities[t * 6 + target[t]]) / 9;
            }
        }

        double loss = model.Evaluate(sources, targets, 3).Loss;
        Assert.True(Math.Abs(expected - loss) <= 1e-12 * expected, $"expected {expected:R}, got {loss:R}");
    }

    [Fact]
    public void The_decoders_streamed_steps_agree_with_its_teacher_forced_batch_pass()
    {
        // Greedy decoding steps the decoder one token at a time (DecodeStep); training runs every step of the batch at
        // once. Fed the greedy tokens, the batch pass must give each its streamed probability: the loss of a batch whose
        // targets are the greedy tokens is the mean of their streamed -log p (the sums differ in order: 1e-12).
        var model = new DotAttentionTranslator();
        Weights(model.Parameters, 560, 1.5);
        var outputs = new double[4 * 7];
        var decoded = new int[4];
        int checkedSources = 0;
        for (int seed = 0; seed < 40 && checkedSources < 4; seed++)
        {
            int[] source = TrainingData.Ints(5, 9, 570 + seed);
            model.Predict(source, outputs);
            if (model.Decode(source, decoded) < 4)
            {
                continue; // an end token before the last step: the batch pass would go on past it
            }

            double expected = -Enumerable.Range(0, 4).Sum(t => Math.Log(outputs[t * 7 + decoded[t]])) / 4;
            double loss = model.Evaluate(source, decoded, 1).Loss;
            Assert.True(Math.Abs(expected - loss) <= 1e-12 * expected, $"seed {seed}: streamed {expected:R}, batch {loss:R}");
            checkedSources++;
        }

        Assert.Equal(4, checkedSources);
    }

    [Fact]
    public void Sampling_keeps_the_attention_weights_of_the_target_it_draws()
    {
        // Sample runs the encoder alone, then draws; its target's weights are those the reference gives when fed the
        // drawn tokens (teacher forcing), and Decode afterwards is unchanged by it.
        var model = new DotAttentionTranslator();
        float[] weights = Weights(model.Parameters, 580, 1.5);
        var sampler = new RnnCompiler.Decoding.TokenSampler(seed: 7);
        var drawn = new int[4];
        var map = new double[4 * 5];
        var greedy = new int[4];
        var again = new int[4];
        for (int seed = 0; seed < 6; seed++)
        {
            int[] source = TrainingData.Ints(2 + seed % 4, 9, 585 + seed);
            int greedyLength = model.Decode(source, greedy);
            int length = model.Sample(source, drawn, sampler, 1.0);
            Assert.Equal(source.Length, model.CopyAttentionWeights(map));
            int[] teacher = [1, .. drawn.Take(Math.Min(length, 3))];
            teacher = [.. teacher, .. Enumerable.Repeat(2, 4 - teacher.Length)];
            int steps = Math.Min(length + 1, 4); // the drawn tokens and the end token, if it came within the 4 steps
            NaiveNetwork.PredictEncoderDecoder(LstmEncoder, LstmDecoder(RefScore.Dot), weights, source, teacher, 4, 1, 2, out _, out List<double[]> attention);
            SameWeights(attention.Take(steps).ToList(), map, source.Length, 4);
            Assert.Equal(greedy.AsSpan(0, greedyLength).ToArray(), again.AsSpan(0, model.Decode(source, again)).ToArray());
        }
    }

    [Fact]
    public void A_beam_searchs_result_keeps_its_own_attention_weights()
    {
        // The weights after a beam search are its result's, replayed through the decoder: the reference's when fed the
        // result's tokens, zero after its end token.
        var model = new DotAttentionTranslator();
        var search = new RnnCompiler.Decoding.BeamSearch(4, 7, 4, 2, lengthPenalty: 0.6);
        var tokens = new int[4];
        var map = new double[4 * 5];
        for (int seed = 0; seed < 8; seed++)
        {
            float[] weights = Weights(model.Parameters, 620 + seed, 1.5);
            int[] source = TrainingData.Ints(2 + seed % 4, 9, 630 + seed);
            int length = model.Decode(source, tokens, search);
            Assert.Equal(source.Length, model.CopyAttentionWeights(map));
            int[] teacher = [1, .. tokens.Take(Math.Min(length, 3))];
            teacher = [.. teacher, .. Enumerable.Repeat(2, 4 - teacher.Length)];
            NaiveNetwork.PredictEncoderDecoder(LstmEncoder, LstmDecoder(RefScore.Dot), weights, source, teacher, 4, 1, 2, out _, out List<double[]> attention);
            SameWeights(attention.Take(Math.Min(length + 1, 4)).ToList(), map, source.Length, 4);
        }
    }

    [Fact]
    public void A_beam_of_one_decodes_as_greedy()
    {
        var model = new DotAttentionTranslator();
        var search = new RnnCompiler.Decoding.BeamSearch(1, 7, 4, 2);
        var greedy = new int[4];
        var beam = new int[4];
        for (int seed = 0; seed < 20; seed++)
        {
            Weights(model.Parameters, 800 + seed, 1.5);
            int[] source = TrainingData.Ints(1 + seed % 5, 9, 900 + seed);
            int g = model.Decode(source, greedy);
            int b = model.Decode(source, beam, search);
            Assert.Equal(greedy.AsSpan(0, g).ToArray(), beam.AsSpan(0, b).ToArray());
        }
    }

    // ---- Gradients ----------------------------------------------------------------------------------------------

    [Fact]
    public void Dot_attention_gradients_pass_finite_differences() =>
        FiniteDifferences(new DotAttentionTranslator(), TrainingData.Ints(4 * 5, 9, 500), TrainingData.Ints(4 * 4, 7, 501), 4, 502, attention: 4);

    [Fact]
    public void Additive_attention_gradients_on_two_cores_pass_finite_differences() =>
        FiniteDifferences(new AdditiveAttentionTranslator(), TrainingData.Ints(4 * 5, 9, 510), TrainingData.Ints(4 * 4, 7, 511), 4, 512, attention: 4);

    [Fact]
    public void General_attention_over_masked_sources_passes_finite_differences()
    {
        // Sources of 1 to 6 real tokens among padding: the attention reads each one's real steps only.
        var random = new Random(520);
        var sources = new int[3 * 6];
        for (int s = 0; s < 3; s++)
        {
            foreach (int position in Enumerable.Range(0, 6).OrderBy(_ => random.Next()).Take(1 + 2 * s))
            {
                sources[s * 6 + position] = random.Next(1, 8);
            }
        }

        FiniteDifferences(new GeneralAttentionTranslator(), sources, TrainingData.Ints(3 * 3, 6, 521), 3, 522, attention: 5);
    }

    private static void FiniteDifferences(ITrainableModel<double, int, int> model, int[] sources, int[] targets, int sequences, int seed, int attention)
    {
        Span<double> parameters = model.Parameters;
        Weights(parameters, seed);
        model.ComputeGradients(sources, targets, sequences);
        double[] gradients = model.Gradients.ToArray();
        double[] numeric = GradientAsserts.MatchFiniteDifferences(parameters, gradients, () => model.Evaluate(sources, targets, sequences).Loss);
        Assert.True(numeric.Take(model.Info.Layers[2].Offset).Max(Math.Abs) > 1e-4, "no gradient reached the encoder, so the attention and the hand-off are unchecked");
        var layer = model.Info.Layers[attention];
        if (layer.Tensors.Count > 0)
        {
            Assert.True(numeric.Skip(layer.Offset).Take(layer.Tensors[0].Length).Max(Math.Abs) > 1e-4, "no gradient reached the attention's weights");
        }
    }

    [Fact]
    public void Two_cores_give_the_gradients_of_one()
    {
        var one = new SerialAdditiveAttentionTranslator();
        var two = new AdditiveAttentionTranslator();
        Weights(one.Parameters, 530);
        one.Parameters.CopyTo(two.Parameters);
        int[] sources = TrainingData.Ints(4 * 5, 9, 531);
        int[] targets = TrainingData.Ints(4 * 4, 7, 532);
        double a = one.ComputeGradients(sources, targets, 4);
        double b = two.ComputeGradients(sources, targets, 4);
        GradientAsserts.SameWithinRounding(a, b, one.Gradients.ToArray(), two.Gradients.ToArray());
    }

    [Fact]
    public void Float_gradients_follow_double_within_1e_4()
    {
        var precise = new DotAttentionTranslator();
        var single = new FloatDotAttentionTranslator();
        float[] weights = Weights(precise.Parameters, 540);
        weights.CopyTo(single.Parameters);
        int[] sources = TrainingData.Ints(4 * 5, 9, 541);
        int[] targets = TrainingData.Ints(4 * 4, 7, 542);
        double preciseLoss = precise.ComputeGradients(sources, targets, 4);
        float singleLoss = single.ComputeGradients(sources, targets, 4);
        GradientAsserts.FloatFollowsDouble(preciseLoss, singleLoss, precise.Gradients.ToArray(), single.Gradients.ToArray());
    }

    [Fact]
    public void Decoding_and_training_allocate_nothing_once_warm()
    {
        var model = new FloatDotAttentionTranslator();
        model.InitializeWeights(5);
        var parallel = new AdditiveAttentionTranslator();
        parallel.InitializeWeights(6);
        var search = new RnnCompiler.Decoding.BeamSearch(4, 7, 4, 2, lengthPenalty: 0.6);
        var sampler = new RnnCompiler.Decoding.TokenSampler(seed: 3);
        int[] source = [3, 4, 5, 6];
        int[] sources = TrainingData.Ints(4 * 5, 9, 1600);
        int[] targets = TrainingData.Ints(4 * 4, 7, 1601);
        var outputs = new float[4 * 7];
        var map = new float[4 * 5];
        var tokens = new int[4];

        void RunAll()
        {
            model.Predict(source, outputs);
            model.CopyAttentionWeights(map);
            model.Decode(source, tokens, search);
            model.Sample(source, tokens, sampler, 0.8);
            model.ComputeGradients(sources, targets, 4);
            model.TrainBatch(sources, targets, 4);
            parallel.ComputeGradients(sources, targets, 4);
            parallel.Decode(source, tokens, search);
        }

        Assert.Equal(0, RnnCompiler.Tests.EndToEnd.Allocations.OnceWarm(RunAll, 20));
    }

    [Fact]
    public void Weights_save_and_load_under_Kerass_names()
    {
        foreach (IRnnModel<double> model in new IRnnModel<double>[] { new SerialAdditiveAttentionTranslator(), new GeneralAttentionTranslator() })
        {
            var trainable = (ITrainableModel<double, int, int>)model;
            Weights(trainable.Parameters, 590);
            using var file = new System.IO.MemoryStream();
            model.SaveWeights(file);
            string header = System.Text.Encoding.UTF8.GetString(file.ToArray(), 8, (int)BitConverter.ToInt64(file.ToArray(), 0));
            string name = model.Info.Layers.Single(layer => layer.Kind == RnnCompiler.Weights.LayerKind.Attention).Tensors[0].Name;
            Assert.Contains($"\"{name}\"", header, StringComparison.Ordinal);
            double[] saved = trainable.Parameters.ToArray();
            trainable.Parameters.Clear();
            file.Position = 0;
            model.LoadWeights(file);
            Assert.Equal(saved, trainable.Parameters.ToArray());
        }
    }

    [Fact]
    public void A_checkpoint_resumes_training_exactly_on_two_cores()
    {
        var first = new AdditiveAttentionTranslator();
        first.InitializeWeights(3);
        int[] Sources(int i) => TrainingData.Ints(4 * 5, 9, 600 + i);
        int[] Targets(int i) => TrainingData.Ints(4 * 4, 7, 700 + i);
        for (int i = 0; i < 3; i++)
        {
            first.TrainBatch(Sources(i), Targets(i), 4);
        }

        using var checkpoint = new System.IO.MemoryStream();
        first.SaveCheckpoint(checkpoint);
        for (int i = 3; i < 6; i++)
        {
            first.TrainBatch(Sources(i), Targets(i), 4);
        }

        var resumed = new AdditiveAttentionTranslator();
        resumed.InitializeWeights(99);
        checkpoint.Position = 0;
        resumed.LoadCheckpoint(checkpoint);
        for (int i = 3; i < 6; i++)
        {
            resumed.TrainBatch(Sources(i), Targets(i), 4);
        }

        Assert.Equal(first.Parameters.ToArray(), resumed.Parameters.ToArray());
        Assert.Equal(6, resumed.UpdateCount);
    }

    [Fact]
    public void Attention_weights_are_refused_before_any_decoding_and_into_too_little_room()
    {
        var model = new DotAttentionTranslator();
        model.InitializeWeights(1);
        Assert.Throws<InvalidOperationException>(() => model.CopyAttentionWeights(new double[20]));
        model.Predict([3, 4, 5], new double[4 * 7]);
        var map = new double[4 * 3];
        Assert.Equal(3, model.CopyAttentionWeights(map));
        for (int t = 0; t < 4; t++)
        {
            double sum = map.Skip(t * 3).Take(3).Sum();
            Assert.True(sum == 0 || Math.Abs(sum - 1) < 1e-12, $"step {t}'s weights sum to {sum}");
        }

        ArgumentException error = Assert.Throws<ArgumentException>(() => model.CopyAttentionWeights(new double[11]));
        Assert.Equal("weights", error.ParamName);
    }
}
