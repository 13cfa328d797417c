using System;
using System.Linq;
using RnnCompiler.Tests.Reference;
using RnnCompiler.Tests.Training;
using RnnCompiler.Training;
using Xunit;

namespace RnnCompiler.Tests.Sequences;

/// <summary>
/// Encoder-decoder models (<c>[Decoder]</c>): the encoder's final state starts the decoder. Predict decodes greedily as
/// the naive reference does (the same tokens, the same probabilities within 1e-12, zeros after the end token); the
/// teacher-forced loss is the reference's; the gradients pass central finite differences through decoder, state hand-off
/// and encoder (LSTM, a masked GRU stack, two cores); float follows double; a model learns to reverse its source; and
/// wrong arguments are refused with nothing changed.
/// </summary>
public class DecoderTests
{
    private static readonly RefLayer[] LstmEncoder = [new RefEmbedding(9, 3), new RefLstm(4)];

    private static readonly RefLayer[] LstmDecoder = [new RefEmbedding(7, 2), new RefLstm(4, ReturnSequences: true), new RefDense(7, RefActivation.Softmax)];

    private static readonly RefLayer[] GruEncoder = [new RefEmbedding(8, 3), new RefGru(3, ReturnSequences: true), new RefGru(4)];

    private static readonly RefLayer[] GruDecoder = [new RefEmbedding(6, 3), new RefGru(4, ReturnSequences: true), new RefSimpleRnn(3, ReturnSequences: true), new RefDense(6, RefActivation.Softmax)];

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
    public void The_model_counts_and_names_as_Keras()
    {
        // Keras: Embedding 9·3 = 27; LSTM 4·4·(3 + 4) + 16 = 128; Embedding 7·2 = 14; LSTM 4·4·(2 + 4) + 16 = 112; Dense 4·7 + 7 = 35.
        Assert.Equal(27 + 128 + 14 + 112 + 35, LstmTranslator.ParameterCount);
        Assert.Equal(LstmTranslator.ParameterCount, NaiveNetwork.ParameterCount(LstmEncoder) + NaiveNetwork.ParameterCount(LstmDecoder));
        Assert.Equal(4, LstmTranslator.OutputSteps);
        Assert.Equal(1, LstmTranslator.StartToken);
        Assert.Equal(2, LstmTranslator.EndToken);
        Assert.Contains("embedding_1 (Embedding)", LstmTranslator.Summary);
        Assert.Contains("(None, 4, 2)", LstmTranslator.Summary);
        var model = new LstmTranslator();
        Assert.Equal("embedding_1", ((IRnnModel<double>)model).Info.Layers[2].Name);
        Assert.False(((IRnnModel<double>)model).Info.CanStream);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public void Predict_decodes_greedily_as_the_reference_does(int steps)
    {
        for (int seed = 0; seed < 6; seed++)
        {
            var model = new LstmTranslator();
            float[] weights = Weights(model.Parameters, 100 + seed, 1.5);
            int[] source = TrainingData.Ints(steps, 9, 200 + seed);
            var outputs = new double[4 * 7];
            model.Predict(source, outputs);
            double[] expected = NaiveNetwork.PredictEncoderDecoder(LstmEncoder, LstmDecoder, weights, source, null, 4, 1, 2, out int[] tokens);
            DecodingAsserts.SameAsReference(outputs, expected, $"seed {seed}");

            var decoded = new int[4];
            int length = model.Decode(source, decoded);
            int[] wanted = tokens.TakeWhile(token => token != 2).ToArray();
            Assert.Equal(wanted, decoded.AsSpan(0, length).ToArray());
        }
    }

    [Fact]
    public void Decoding_stops_at_the_end_token_and_writes_zeros_after_it()
    {
        // A model whose output layer always favours the end token: one step, then zeros.
        var model = new LstmTranslator();
        Weights(model.Parameters, 5);
        Span<double> bias = model.Parameters.Slice(LstmTranslator.ParameterCount - 7, 7);
        bias.Clear();
        bias[2] = 100;
        var outputs = new double[4 * 7];
        model.Predict([3, 4, 5], outputs);
        Assert.Equal(2, Array.IndexOf(outputs, outputs.Take(7).Max()));
        Assert.All(outputs.Skip(7), value => Assert.Equal(0, value));
        Assert.Equal(0, model.Decode([3, 4, 5], new int[4]));
    }

    [Fact]
    public void The_teacher_forced_loss_is_the_references()
    {
        var model = new LstmTranslator();
        float[] weights = Weights(model.Parameters, 300);
        int[] sources = TrainingData.Ints(4 * 5, 9, 301);
        int[] targets = TrainingData.Ints(4 * 4, 7, 302);
        double expected = 0;
        for (int s = 0; s < 4; s++)
        {
            int[] target = targets.AsSpan(s * 4, 4).ToArray();
            int[] teacher = [1, .. target.Take(3)];
            double[] probabilities = NaiveNetwork.PredictEncoderDecoder(LstmEncoder, LstmDecoder, weights, sources.AsSpan(s * 5, 5).ToArray(), teacher, 4, 1, 2, out _);
            for (int t = 0; t < 4; t++)
            {
                expected -= Math.Log(probabilities[t * 7 + target[t]]) / 16;
            }
        }

        Assert.True(Math.Abs(expected - model.Evaluate(sources, targets, 4).Loss) <= 1e-12 * expected);
    }

    /// <summary>Targets whose end token falls at each step (the first at step 0), then tokens that are not the end token.</summary>
    private static int[] TargetsOfDifferentLengths(int seed)
    {
        int[] targets = TrainingData.Ints(4 * 4, 7, seed);
        for (int s = 0; s < 4; s++)
        {
            for (int t = 0; t < 4; t++)
            {
                targets[s * 4 + t] = t == s ? 2 : targets[s * 4 + t] == 2 ? 3 : targets[s * 4 + t];
            }
        }

        return targets;
    }

    [Fact]
    public void With_MaskAfterEnd_the_loss_is_the_mean_over_each_target_up_to_its_end_token()
    {
        var model = new MaskedTargetTranslator();
        float[] weights = Weights(model.Parameters, 320);
        int[] sources = TrainingData.Ints(4 * 5, 9, 321);
        int[] targets = TargetsOfDifferentLengths(322);
        double sum = 0;
        int counted = 0;
        for (int s = 0; s < 4; s++)
        {
            int[] target = targets.AsSpan(s * 4, 4).ToArray();
            int[] teacher = [1, .. target.Take(3)];
            double[] probabilities = NaiveNetwork.PredictEncoderDecoder(LstmEncoder, LstmDecoder, weights, sources.AsSpan(s * 5, 5).ToArray(), teacher, 4, 1, 2, out _);
            for (int t = 0; t <= s; t++)
            {
                sum -= Math.Log(probabilities[t * 7 + target[t]]);
                counted++;
            }
        }

        Assert.Equal(10, counted);
        double loss = model.Evaluate(sources, targets, 4).Loss;
        Assert.True(Math.Abs(sum / counted - loss) <= 1e-12 * loss, $"expected {sum / counted:R}, got {loss:R}");
    }

    [Fact]
    public void With_MaskAfterEnd_what_follows_the_end_token_changes_nothing_and_gradients_pass_finite_differences()
    {
        var model = new MaskedTargetTranslator();
        Weights(model.Parameters, 330);
        int[] sources = TrainingData.Ints(4 * 5, 9, 331);
        int[] targets = TargetsOfDifferentLengths(332);
        int[] other = (int[])targets.Clone();
        for (int s = 0; s < 4; s++)
        {
            for (int t = s + 1; t < 4; t++)
            {
                other[s * 4 + t] = (other[s * 4 + t] + 3) % 7;
            }
        }

        double a = model.ComputeGradients(sources, targets, 4);
        double[] gradients = model.Gradients.ToArray();
        double b = model.ComputeGradients(sources, other, 4);
        Assert.Equal(a, b);
        Assert.Equal(gradients, model.Gradients.ToArray());
        GradientAsserts.MatchFiniteDifferences(model.Parameters, gradients, () => model.Evaluate(sources, targets, 4).Loss);
        var plain = new LstmTranslator();
        model.Parameters.CopyTo(plain.Parameters);
        Assert.NotEqual(plain.Evaluate(sources, targets, 4).Loss, plain.Evaluate(sources, other, 4).Loss); // without the option it counts
    }

    private static readonly RefLayer[] FeatureEncoder = [new RefInput(5), new RefDense(4, RefActivation.Tanh)];

    private static readonly RefLayer[] FeatureGruEncoder = [new RefInput(5), new RefDense(3)];

    private static readonly RefLayer[] GruCaptionDecoder = [new RefEmbedding(7, 2), new RefGru(3, ReturnSequences: true), new RefDense(7, RefActivation.Softmax)];

    [Fact]
    public void A_feature_vector_starts_the_decoder_through_a_dense_layer()
    {
        // Keras's captioning form: Dense(features) as the decoder's initial h (an LSTM's c from zeros).
        Assert.Equal(5 * 4 + 4 + 14 + 112 + 35, FeatureCaptioner.ParameterCount);
        for (int seed = 0; seed < 4; seed++)
        {
            var lstm = new FeatureCaptioner();
            var gru = new FeatureGruCaptioner();
            float[] lstmWeights = Weights(lstm.Parameters, 440 + seed, 1.5);
            float[] gruWeights = Weights(gru.Parameters, 450 + seed, 1.5);
            int[] features = TrainingData.Ints(5, 5, 460 + seed).Select(value => value - 2).ToArray();
            double[] inputs = features.Select(value => (double)value).ToArray();
            var outputs = new double[4 * 7];
            lstm.Predict(inputs, outputs);
            double[] expected = NaiveNetwork.PredictEncoderDecoder(FeatureEncoder, LstmDecoder, lstmWeights, features, null, 4, 1, 2, out int[] tokens);
            DecodingAsserts.SameAsReference(outputs, expected, $"LSTM, seed {seed}");

            var decoded = new int[4];
            Assert.Equal(tokens.TakeWhile(token => token != 2).ToArray(), decoded.AsSpan(0, lstm.Decode(inputs, decoded)).ToArray());
            gru.Predict(inputs, outputs);
            expected = NaiveNetwork.PredictEncoderDecoder(FeatureGruEncoder, GruCaptionDecoder, gruWeights, features, null, 4, 1, 2, out _);
            DecodingAsserts.SameAsReference(outputs, expected, $"GRU, seed {seed}");
        }
    }

    [Fact]
    public void A_feature_vectors_gradients_pass_finite_differences_and_its_loss_is_the_references()
    {
        var model = new FeatureCaptioner();
        float[] weights = Weights(model.Parameters, 470);
        double[] features = TrainingData.Ints(4 * 5, 5, 471).Select(value => value - 2.0).ToArray();
        int[] targets = TrainingData.Ints(4 * 4, 7, 472);
        double expected = 0;
        for (int s = 0; s < 4; s++)
        {
            int[] target = targets.AsSpan(s * 4, 4).ToArray();
            int[] source = features.Skip(s * 5).Take(5).Select(value => (int)value).ToArray();
            double[] probabilities = NaiveNetwork.PredictEncoderDecoder(FeatureEncoder, LstmDecoder, weights, source, [1, .. target.Take(3)], 4, 1, 2, out _);
            for (int t = 0; t < 4; t++)
            {
                expected -= Math.Log(probabilities[t * 7 + target[t]]) / 16;
            }
        }

        Assert.True(Math.Abs(expected - model.Evaluate(features, targets, 4).Loss) <= 1e-12 * expected);
        model.ComputeGradients(features, targets, 4);
        double[] numeric = GradientAsserts.MatchFiniteDifferences(model.Parameters, model.Gradients.ToArray(), () => model.Evaluate(features, targets, 4).Loss);
        Assert.True(numeric.Take(24).Max(Math.Abs) > 1e-4, "no gradient reached the Dense before the decoder");
    }

    private static readonly RefLayer[] BridgedEncoder = [new RefEmbedding(9, 3), new RefGru(3, Bidirectional: true), new RefDense(5, RefActivation.Tanh)];

    private static readonly RefLayer[] BridgedDecoder = [new RefEmbedding(7, 2), new RefLstm(5, ReturnSequences: true), new RefDense(7, RefActivation.Softmax)];

    [Fact]
    public void A_dense_bridge_maps_a_bidirectional_encoders_joined_state_to_the_decoders()
    {
        var model = new BridgedTranslator();
        float[] weights = Weights(model.Parameters, 480, 1.5);
        var outputs = new double[4 * 7];
        int[] sources = [0, 3, 0, 5, 7, 0, 0, 4, 0, 0, 1, 2, 3, 4, 5];
        int[] targets = TrainingData.Ints(3 * 4, 7, 481);
        double expectedLoss = 0;
        for (int s = 0; s < 3; s++)
        {
            int[] padded = sources.AsSpan(s * 5, 5).ToArray();
            int[] real = padded.Where(token => token != 0).ToArray();
            model.Predict(padded, outputs);
            double[] expected = NaiveNetwork.PredictEncoderDecoder(BridgedEncoder, BridgedDecoder, weights, real, null, 4, 1, 2, out _);
            DecodingAsserts.SameAsReference(outputs, expected, $"source {s}");

            int[] target = targets.AsSpan(s * 4, 4).ToArray();
            double[] probabilities = NaiveNetwork.PredictEncoderDecoder(BridgedEncoder, BridgedDecoder, weights, real, [1, .. target.Take(3)], 4, 1, 2, out _);
            for (int t = 0; t < 4; t++)
            {
                expectedLoss -= Math.Log(probabilities[t * 7 + target[t]]) / 12;
            }
        }

        double loss = model.Evaluate(sources, targets, 3).Loss;
        Assert.True(Math.Abs(expectedLoss - loss) <= 1e-12 * expectedLoss, $"expected {expectedLoss:R}, got {loss:R}");
        model.ComputeGradients(sources, targets, 3);
        double[] numeric = GradientAsserts.MatchFiniteDifferences(model.Parameters, model.Gradients.ToArray(), () => model.Evaluate(sources, targets, 3).Loss);
        Assert.True(numeric.Take(((IRnnModel<double>)model).Info.Layers[2].Offset).Max(Math.Abs) > 1e-4, "no gradient reached the encoder through the bridge");
    }

    [Fact]
    public void A_masked_source_decodes_as_its_real_tokens()
    {
        var model = new MaskedGruTranslator();
        float[] weights = Weights(model.Parameters, 400, 1.5);
        var outputs = new double[3 * 6];
        foreach (int[] padded in new[] { new[] { 0, 3, 0, 5, 7, 0 }, new[] { 0, 0, 0, 0, 0, 4 }, new[] { 1, 2, 3, 4, 5, 6 } })
        {
            int[] real = padded.Where(token => token != 0).ToArray();
            model.Predict(padded, outputs);
            double[] expected = NaiveNetwork.PredictEncoderDecoder(GruEncoder, GruDecoder, weights, real, null, 3, 0, 5, out _);
            DecodingAsserts.SameAsReference(outputs, expected, string.Join(",", padded));
        }
    }

    // ---- Beam search --------------------------------------------------------------------------------------------

    /// <summary>The model's log-probability of a target (its end token included), rescored by the naive reference with teacher forcing.</summary>
    private static double Score(float[] weights, int[] source, ReadOnlySpan<int> target)
    {
        int[] teacher = new int[4];
        teacher[0] = 1;
        for (int t = 1; t < 4; t++)
        {
            teacher[t] = t - 1 < target.Length ? target[t - 1] : 2;
        }

        double[] probabilities = NaiveNetwork.PredictEncoderDecoder(LstmEncoder, LstmDecoder, weights, source, teacher, 4, 1, 2, out _);
        double score = 0;
        for (int t = 0; t < target.Length; t++)
        {
            score += Math.Log(probabilities[t * 7 + target[t]]);
        }

        return score;
    }

    /// <summary>The decoded tokens with the end token back on when the target is shorter than the most steps.</summary>
    private static int[] WithEnd(ReadOnlySpan<int> tokens) => tokens.Length < 4 ? [.. tokens, 2] : tokens.ToArray();

    [Fact]
    public void A_beam_of_one_decodes_as_greedy()
    {
        var model = new LstmTranslator();
        var search = new RnnCompiler.Decoding.BeamSearch(1, 7, 4, 2);
        var greedy = new int[4];
        var beam = new int[4];
        for (int seed = 0; seed < 30; seed++)
        {
            Weights(model.Parameters, 800 + seed, 1.5);
            int[] source = TrainingData.Ints(1 + seed % 5, 9, 900 + seed);
            int g = model.Decode(source, greedy);
            int b = model.Decode(source, beam, search);
            Assert.Equal(greedy.AsSpan(0, g).ToArray(), beam.AsSpan(0, b).ToArray());
        }
    }

    [Fact]
    public void A_wider_beam_is_never_worse_than_greedy_and_finds_better_targets()
    {
        var model = new LstmTranslator();
        var search = new RnnCompiler.Decoding.BeamSearch(4, 7, 4, 2);
        var greedy = new int[4];
        var beam = new int[4];
        int better = 0;
        for (int seed = 0; seed < 60; seed++)
        {
            float[] weights = Weights(model.Parameters, 1000 + seed, 2.0);
            int[] source = TrainingData.Ints(1 + seed % 5, 9, 1100 + seed);
            double greedyScore = Score(weights, source, WithEnd(greedy.AsSpan(0, model.Decode(source, greedy))));
            double beamScore = Score(weights, source, WithEnd(beam.AsSpan(0, model.Decode(source, beam, search))));
            Assert.True(beamScore >= greedyScore - 1e-5, $"seed {seed}: beam {beamScore:R} below greedy {greedyScore:R}");
            better += beamScore > greedyScore + 1e-5 ? 1 : 0;
        }

        Assert.True(better > 0, "no draw had a target better than greedy's, so the search is untested");
    }

    [Fact]
    public void A_beam_that_keeps_every_output_finds_the_exhaustive_optimum()
    {
        var model = new WideBeamTranslator();
        var search = new RnnCompiler.Decoding.BeamSearch(343, 7, 4, 2);
        var beam = new int[4];
        int long_ = 0;
        for (int seed = 0; seed < 8; seed++)
        {
            // The end token's bias lowered, so that the best targets are long and their later steps need the right states.
            model.Parameters.Clear();
            float[] weights = Weights(model.Parameters, 1200 + seed, 2.0);
            weights[^5] = -3;
            model.Parameters[WideBeamTranslator.ParameterCount - 5] = -3;
            int[] source = TrainingData.Ints(2 + seed % 4, 9, 1300 + seed);
            double best = double.NegativeInfinity;
            int bestLength = 0;
            foreach (int[] target in Targets())
            {
                double score = Score(weights, source, target);
                if (score > best)
                {
                    (best, bestLength) = (score, target.Length);
                }
            }

            double found = Score(weights, source, WithEnd(beam.AsSpan(0, model.Decode(source, beam, search))));
            Assert.True(found >= best - 1e-5, $"seed {seed}: beam {found:R}, optimum {best:R}");
            long_ += bestLength >= 3 ? 1 : 0;
        }

        Assert.True(long_ >= 4, $"only {long_} of 8 optima have 3 or more tokens, so later steps are barely tested");

        // Every complete target: 1 to 3 tokens that are not the end then the end token, or 4 tokens without it.
        static System.Collections.Generic.IEnumerable<int[]> Targets()
        {
            int[] tokens = [0, 1, 3, 4, 5, 6];
            for (int length = 0; length <= 4; length++)
            {
                foreach (int[] prefix in Prefixes(tokens, length))
                {
                    if (length < 4)
                    {
                        yield return [.. prefix, 2];
                    }
                    else
                    {
                        yield return prefix;
                    }
                }
            }
        }

        static System.Collections.Generic.IEnumerable<int[]> Prefixes(int[] tokens, int length)
        {
            if (length == 0)
            {
                yield return [];
                yield break;
            }

            foreach (int[] shorter in Prefixes(tokens, length - 1))
            {
                foreach (int token in tokens)
                {
                    yield return [.. shorter, token];
                }
            }
        }
    }

    [Fact]
    public void Sampling_draws_each_token_from_the_steps_distribution()
    {
        // One source, many draws: each first token's frequency follows the first step's distribution (within 5 σ), and a
        // second token's follows the distribution after that first token, as the reference gives it.
        var model = new LstmTranslator();
        float[] weights = Weights(model.Parameters, 1500, 1.0);
        int[] source = [3, 4, 5];
        double[] first = NaiveNetwork.PredictEncoderDecoder(LstmEncoder, LstmDecoder, weights, source, [1, 1, 1, 1], 4, 1, 2, out _);
        var sampler = new RnnCompiler.Decoding.TokenSampler(seed: 7);
        var tokens = new int[4];
        var counts = new int[7];
        const int Draws = 20_000;
        for (int i = 0; i < Draws; i++)
        {
            int length = model.Sample(source, tokens, sampler, 1.0);
            counts[length == 0 ? 2 : tokens[0]]++;
        }

        for (int token = 0; token < 7; token++)
        {
            double p = first[token];
            double sigma = Math.Sqrt(Draws * p * (1 - p));
            Assert.True(Math.Abs(counts[token] - Draws * p) <= 5 * sigma + 1, $"token {token}: {counts[token]} draws, expected {Draws * p:F0} ± {sigma:F0}");
        }

        // The same sampler state gives the same target; a low temperature gives the greedy one.
        var again = new int[4];
        var a = new RnnCompiler.Decoding.TokenSampler(seed: 9);
        var b = new RnnCompiler.Decoding.TokenSampler(seed: 9);
        int drawn = model.Sample(source, tokens, a, 1.0);
        Assert.Equal(drawn, model.Sample(source, again, b, 1.0));
        Assert.Equal(tokens.AsSpan(0, drawn).ToArray(), again.AsSpan(0, drawn).ToArray());
        var greedy = new int[4];
        int g = model.Decode(source, greedy);
        int c = model.Sample(source, tokens, a, 0.01);
        Assert.Equal(greedy.AsSpan(0, g).ToArray(), tokens.AsSpan(0, c).ToArray());
        Assert.Equal("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => model.Sample(source, tokens, a, 0)).ParamName);
    }

    [Fact]
    public void A_search_that_does_not_fit_the_model_is_refused()
    {
        var model = new LstmTranslator();
        Weights(model.Parameters, 1400);
        foreach (var search in new[] { new RnnCompiler.Decoding.BeamSearch(5, 7, 4, 2), new RnnCompiler.Decoding.BeamSearch(2, 8, 4, 2), new RnnCompiler.Decoding.BeamSearch(2, 7, 5, 2), new RnnCompiler.Decoding.BeamSearch(2, 7, 4, 3) })
        {
            Assert.Equal("search", Assert.Throws<ArgumentException>(() => model.Decode([3, 4], new int[4], search)).ParamName);
        }
    }

    [Fact]
    public void A_shorter_search_finds_the_best_target_that_fits_it()
    {
        // A search of 2 steps on a model of 4: its result ends by the second token (the end token, or the cut), and among
        // all targets of at most 2 tokens none scores better (a beam of 7 keeps every one-token prefix, so it is exhaustive).
        var model = new WideBeamTranslator();
        var search = new RnnCompiler.Decoding.BeamSearch(7, 7, 2, 2);
        var tokens = new int[4];
        for (int seed = 0; seed < 10; seed++)
        {
            float[] weights = Weights(model.Parameters, 1500 + seed, 1.5);
            int[] source = TrainingData.Ints(3, 9, 1510 + seed);
            int length = model.Decode(source, tokens, search);
            Assert.InRange(length, 0, 2);
            int[] found = [.. tokens.AsSpan(0, length).ToArray(), .. length < 2 ? new[] { 2 } : Array.Empty<int>()];
            double best = double.NegativeInfinity;
            foreach (int first in Enumerable.Range(0, 7))
            {
                foreach (int[] candidate in first == 2 ? new[] { new[] { 2 } } : Enumerable.Range(0, 7).Select(second => new[] { first, second }))
                {
                    best = Math.Max(best, Score(weights, source, candidate));
                }
            }

            Assert.True(Score(weights, source, found) >= best - 1e-9, $"seed {seed}: found {string.Join(",", found)} scoring {Score(weights, source, found):R}; the best scores {best:R}");
        }
    }

    [Fact]
    public void A_bidirectional_encoder_joins_its_directions_states_for_the_decoder()
    {
        RefLayer[] encoder = [new RefEmbedding(9, 3), new RefLstm(3, Bidirectional: true)];
        RefLayer[] decoder = [new RefEmbedding(7, 2), new RefLstm(6, ReturnSequences: true), new RefDense(7, RefActivation.Softmax)];
        var model = new BidirectionalTranslator();
        var outputs = new double[4 * 7];
        for (int seed = 0; seed < 4; seed++)
        {
            float[] weights = Weights(model.Parameters, 1700 + seed, 1.5);
            int[] padded = [0, 3 + seed, 0, 5, 8 - seed];
            model.Predict(padded, outputs);
            double[] expected = NaiveNetwork.PredictEncoderDecoder(encoder, decoder, weights, padded.Where(token => token != 0).ToArray(), null, 4, 1, 2, out _);
            DecodingAsserts.SameAsReference(outputs, expected, $"seed {seed}");
        }

        // Gradients through both directions' hand-off, on a packed batch (masked steps anywhere).
        int[] sources = [0, 3, 4, 0, 5, 6, 0, 0, 0, 0, 1, 2, 3, 4, 5];
        var random = new Random(1710);
        for (int i = 0; i < sources.Length; i++)
        {
            sources[i] = sources[i] == 0 ? 0 : random.Next(1, 9);
        }

        FiniteDifferences(model, sources, TrainingData.Ints(3 * 4, 7, 1711), 3, 1712);
    }

    // ---- Gradients ----------------------------------------------------------------------------------------------

    [Fact]
    public void Lstm_gradients_pass_finite_differences() =>
        FiniteDifferences(new LstmTranslator(), TrainingData.Ints(4 * 5, 9, 500), TrainingData.Ints(4 * 4, 7, 501), 4, 502);

    [Fact]
    public void Gradients_on_two_cores_pass_finite_differences() =>
        FiniteDifferences(new ParallelLstmTranslator(), TrainingData.Ints(4 * 5, 9, 510), TrainingData.Ints(4 * 4, 7, 511), 4, 512);

    [Fact]
    public void Masked_gru_stack_gradients_pass_finite_differences()
    {
        // Sources of 1 to 6 real tokens among padding: the encoder's final state is each one's after its last real token.
        var random = new Random(520);
        var sources = new int[3 * 6];
        for (int s = 0; s < 3; s++)
        {
            foreach (int position in Enumerable.Range(0, 6).OrderBy(_ => random.Next()).Take(1 + 2 * s))
            {
                sources[s * 6 + position] = random.Next(1, 8);
            }
        }

        FiniteDifferences(new MaskedGruTranslator(), sources, TrainingData.Ints(3 * 3, 6, 521), 3, 522);
    }

    private static void FiniteDifferences(ITrainableModel<double, int, int> model, int[] sources, int[] targets, int sequences, int seed)
    {
        Span<double> parameters = model.Parameters;
        Weights(parameters, seed);
        model.ComputeGradients(sources, targets, sequences);
        double[] numeric = GradientAsserts.MatchFiniteDifferences(parameters, model.Gradients.ToArray(), () => model.Evaluate(sources, targets, sequences).Loss);
        Assert.True(numeric.Take(model.Info.Layers[2].Offset).Max(Math.Abs) > 1e-4, "no gradient reached the encoder, so the state hand-off is unchecked");
    }

    [Fact]
    public void Two_cores_give_the_gradients_of_one()
    {
        var one = new LstmTranslator();
        var two = new ParallelLstmTranslator();
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
        var precise = new LstmTranslator();
        var single = new FloatLstmTranslator();
        float[] weights = Weights(precise.Parameters, 540);
        weights.CopyTo(single.Parameters);
        int[] sources = TrainingData.Ints(4 * 5, 9, 541);
        int[] targets = TrainingData.Ints(4 * 4, 7, 542);
        double preciseLoss = precise.ComputeGradients(sources, targets, 4);
        float singleLoss = single.ComputeGradients(sources, targets, 4);
        GradientAsserts.FloatFollowsDouble(preciseLoss, singleLoss, precise.Gradients.ToArray(), single.Gradients.ToArray());
    }

    [Fact]
    public void Fit_learns_to_reverse_its_source()
    {
        // Sources of 2 to 4 tokens in 3..7, padded with 0; the target is the source reversed, the end token, then padding
        // with the end token. Held-out sources never trained on.
        var random = new Random(600);
        (int[] Source, int[] Target) Draw()
        {
            int length = random.Next(2, 5);
            int[] real = Enumerable.Range(0, length).Select(_ => random.Next(3, 8)).ToArray();
            int[] source = [.. real, .. Enumerable.Repeat(0, 4 - length)];
            int[] target = [.. real.Reverse(), .. Enumerable.Repeat(2, 5 - length)];
            return (source, target);
        }

        const int Count = 2000;
        var sources = new int[Count * 4];
        var targets = new int[Count * 5];
        for (int s = 0; s < Count; s++)
        {
            (int[] source, int[] target) = Draw();
            source.CopyTo(sources, s * 4);
            target.CopyTo(targets, s * 5);
        }

        var model = new LearningTranslator();
        model.InitializeWeights(3);
        ModelTrainer.Fit(model, sources, targets, Count, 4, new FitOptions(Epochs: 25));
        int exact = 0;
        var decoded = new int[5];
        for (int s = 0; s < 100; s++)
        {
            (int[] source, int[] target) = Draw();
            int length = model.Decode(source, decoded);
            exact += decoded.AsSpan(0, length).SequenceEqual(target.AsSpan(0, Array.IndexOf(target, 2))) ? 1 : 0;
        }

        Assert.True(exact >= 90, $"{exact} of 100 held-out sources reversed exactly");
    }

    [Fact]
    public void Decoding_and_training_allocate_nothing_once_warm()
    {
        var model = new FloatLstmTranslator();
        model.InitializeWeights(5);
        var parallel = new ParallelLstmTranslator();
        parallel.InitializeWeights(6);
        var search = new RnnCompiler.Decoding.BeamSearch(4, 7, 4, 2, lengthPenalty: 0.6);
        var sampler = new RnnCompiler.Decoding.TokenSampler(seed: 3);
        int[] source = [3, 4, 5, 6];
        int[] sources = TrainingData.Ints(4 * 5, 9, 1600);
        int[] targets = TrainingData.Ints(4 * 4, 7, 1601);
        var outputs = new float[4 * 7];
        var tokens = new int[4];

        void RunAll()
        {
            model.Predict(source, outputs);
            model.Decode(source, tokens);
            model.Decode(source, tokens, search);
            model.Sample(source, tokens, sampler, 0.8);
            model.ComputeGradients(sources, targets, 4);
            parallel.Decode(source, tokens, search);
        }

        Assert.Equal(0, RnnCompiler.Tests.EndToEnd.Allocations.OnceWarm(RunAll, 20));
    }

    // ---- Bad input --------------------------------------------------------------------------------------------------

    [Fact]
    public void Wrong_arguments_are_refused_and_change_nothing()
    {
        var model = new LstmTranslator();
        Weights(model.Parameters, 700);
        double[] before = model.Parameters.ToArray();
        Assert.Equal("outputs", Assert.Throws<ArgumentException>(() => model.Predict([3, 4], new double[5 * 7])).ParamName);
        Assert.Equal("tokens", Assert.ThrowsAny<ArgumentException>(() => model.Predict([3, 9], new double[4 * 7])).ParamName);
        Assert.Equal("tokens", Assert.Throws<ArgumentException>(() => model.Predict(new int[6], new double[4 * 7])).ParamName);

        // A decoded target longer than the room given.
        Weights(model.Parameters, 701, 1.5);
        Span<double> bias = model.Parameters.Slice(LstmTranslator.ParameterCount - 7, 7);
        bias.Clear();
        bias[5] = 100; // always token 5: four tokens, no end
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => model.Decode([3, 4], new int[3])).ParamName);
        Assert.Equal(4, model.Decode([3, 4], new int[4]));

        // Targets outside the target vocabulary, or not OutputSteps per source.
        Weights(model.Parameters, 700);
        int[] sources = TrainingData.Ints(2 * 5, 9, 702);
        Assert.Equal("targets", Assert.ThrowsAny<ArgumentException>(() => model.TrainBatch(sources, [1, 2, 3, 7, 1, 2, 3, 4], 2)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => model.TrainBatch(sources, new int[2 * 5], 2)).ParamName);
        Assert.Equal(before, model.Parameters.ToArray());
        Assert.Equal(0, model.UpdateCount);
    }
}

[RnnModel(SequenceLength = 4)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, Optimizer = Optimizer.Adam, LearningRate = 0.01, BatchSize = 32)]
[Embedding(8, 8, MaskZero = true)]
[Lstm(32)]
[Decoder(8, 8, MaxLength = 5, StartToken = 1, EndToken = 2)]
[Lstm(32, ReturnSequences = true)]
[Dense(8, Activation = Activation.Softmax)]
public partial class LearningTranslator;
