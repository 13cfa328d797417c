using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RnnCompiler.Benchmarks.Torch;

/// <summary>
/// <see cref="TranslationBench"/>'s training step in PyTorch (TorchSharp), one thread, on one fixed batch held in
/// pre-allocated tensors, from the generated model's weights:
/// <list type="bullet">
/// <item><description>Encoder: <c>nn.Embedding(42, 24)</c> → <c>pack_padded_sequence</c> (each source over its real
/// tokens, <c>enforce_sorted = false</c>) → <c>nn.LSTM(24, 128, batch_first)</c> → <c>pad_packed_sequence</c>: the
/// memory [B, T, 128] (zeros after each source's end) and the final h, c at each source's last real
/// token.</description></item>
/// <item><description>Decoder with teacher forcing: <c>nn.Embedding(13, 12)</c> of the start token then the target's
/// first ten tokens → <c>nn.LSTM(12, 128, batch_first)</c> from the encoder's (h, c).</description></item>
/// <item><description>Dot attention: scores = <c>bmm</c>(h, memoryᵀ) with the padding positions set to −∞, softmax over
/// the source, context = <c>bmm</c>(weights, memory); <c>nn.Linear(256, 13)</c> on <c>cat</c>([h, context]).</description></item>
/// <item><description><c>CrossEntropyLoss</c> on the logits of all 11 steps of all sequences (log-softmax + negative
/// log-likelihood, the mean over B × 11: Keras's softmax + sparse categorical cross-entropy).</description></item>
/// <item><description>Each parameter's gradient scaled to norm 1 when above it (Keras's per-tensor <c>clipnorm</c>,
/// the generated model's <c>ClipNorm = 1</c>), then <c>Adam(lr = 4e-3, betas = (0.9, 0.999), eps = 1e-7)</c>.</description></item>
/// </list>
/// </summary>
/// <remarks>
/// Two things differ from Keras in plain PyTorch, the one timed. PyTorch's LSTMs have two biases where Keras has one
/// (their sum; both get the same gradient and Adam moves each by about lr, so the sum moves twice as fast); and
/// <c>optim.Adam</c> adds epsilon to the bias-corrected √v̂, Keras to the uncorrected √v, which at lr = 4e-3 turns the
/// many tiny gradients of the 65k-element recurrent kernels into visibly different steps: the losses of the two drift
/// apart by 0.5% within four updates. With <c>keras</c> the peer leaves <c>bias_hh</c> at zero and out of the update,
/// and replaces <c>optim.Adam</c>'s step with Keras's formula in tensor operations
/// (m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²; w −= lr·√(1 − β2ᵗ)/(1 − β1ᵗ) · m/(√v + ε)); Setup uses that one to
/// check the updates.
/// </remarks>
public sealed class Seq2SeqTorchTrainer : IDisposable
{
    private const int Units = 128;

    private readonly Embedding _sourceTable;
    private readonly LSTM _encoder;
    private readonly Embedding _targetTable;
    private readonly LSTM _decoder;
    private readonly Linear _dense;
    private readonly CrossEntropyLoss _loss;
    private readonly Adam _adam;
    private readonly Parameter[] _trained;
    private readonly Tensor _sources;
    private readonly Tensor _lengths;
    private readonly Tensor _padding;
    private readonly Tensor _decoderInputs;
    private readonly Tensor _targets;
    private readonly double _clipNorm;
    private readonly double _learningRate;
    private readonly long _steps;
    private readonly (Tensor First, Tensor Second)[]? _moments;
    private long _updates;

    /// <param name="parameters">The generated model's <c>Parameters</c> (Keras's layout: source embeddings, encoder LSTM
    /// kernel, recurrent kernel, bias, target embeddings, decoder LSTM kernel, recurrent kernel, bias, Dense kernel, bias).</param>
    /// <param name="sources">[sequences, steps] source tokens, each source's real tokens first and zeros after them.</param>
    /// <param name="targets">[sequences, outputSteps] target tokens.</param>
    /// <param name="sequences">The batch's sequences.</param>
    /// <param name="startToken">The token the decoder reads at its first step.</param>
    /// <param name="learningRate">Adam's rate.</param>
    /// <param name="clipNorm">The largest norm of each parameter's gradient.</param>
    /// <param name="keras">Keras's parameterization and update: <c>bias_ih</c> only (Keras's single LSTM bias), and
    /// Keras's Adam, instead of both biases and <c>optim.Adam</c>.</param>
    public Seq2SeqTorchTrainer(ReadOnlySpan<float> parameters, int[] sources, int[] targets, int sequences, int startToken, double learningRate, double clipNorm, bool keras = false)
    {
        TorchLoader.Initialize(); // first: no field of this class may touch torch before it (no field initializers)
        (_clipNorm, _learningRate) = (clipNorm, learningRate);
        _loss = nn.CrossEntropyLoss();
        _sourceTable = nn.Embedding(DateText.SourceCount, 24);
        _encoder = nn.LSTM(24, Units, batchFirst: true);
        _targetTable = nn.Embedding(DateText.TargetCount, 12);
        _decoder = nn.LSTM(12, Units, batchFirst: true);
        _dense = nn.Linear(2 * Units, DateText.TargetCount);
        (Dictionary<string, Parameter> encoder, Dictionary<string, Parameter> decoder) = (Named(_encoder), Named(_decoder));
        int offset = Copy(parameters, _sourceTable, encoder, _targetTable, decoder, _dense);
        if (offset != parameters.Length) throw new InvalidOperationException($"Copied {offset} of {parameters.Length} parameters.");

        // The batch: the sources cut to the longest one's real tokens, their lengths, where the padding is (for the
        // attention's mask), the decoder's inputs (the start token, then each target token but the last) and the targets.
        int steps = sources.Length / sequences, outputSteps = targets.Length / sequences;
        int[] lengths = DateText.Lengths(sources, sequences);
        int longest = lengths.Max();
        _steps = longest;
        var cut = new long[sequences * longest];
        var padding = new bool[sequences * longest];
        var inputs = new long[sequences * outputSteps];
        for (int s = 0; s < sequences; s++)
        {
            for (int t = 0; t < longest; t++)
            {
                cut[s * longest + t] = sources[s * steps + t];
                padding[s * longest + t] = t >= lengths[s];
                if (t < lengths[s] && sources[s * steps + t] == 0) throw new ArgumentException($"Source {s} has padding inside its real tokens.", nameof(sources));
            }

            inputs[s * outputSteps] = startToken;
            for (int t = 1; t < outputSteps; t++) inputs[s * outputSteps + t] = targets[s * outputSteps + t - 1];
        }

        _sources = tensor(cut).reshape(sequences, longest);
        _lengths = tensor(lengths.Select(l => (long)l).ToArray());
        _padding = tensor(padding).reshape(sequences, 1, longest);
        _decoderInputs = tensor(inputs).reshape(sequences, outputSteps);
        _targets = tensor(targets.Select(t => (long)t).ToArray());

        IEnumerable<Parameter> all = _sourceTable.parameters().Concat(_encoder.parameters()).Concat(_targetTable.parameters())
            .Concat(_decoder.parameters()).Concat(_dense.parameters());
        if (keras) all = all.Where(p => !ReferenceEquals(p, encoder["bias_hh_l0"]) && !ReferenceEquals(p, decoder["bias_hh_l0"]));
        _trained = all.ToArray();
        _adam = optim.Adam(_trained, lr: learningRate, beta1: Beta1, beta2: Beta2, eps: Epsilon); // with keras, only zero_grad
        if (keras) _moments = _trained.Select(p => (zeros_like(p), zeros_like(p))).ToArray();
    }

    // Keras's Adam defaults, the generated model's.
    private const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-7;

    /// <summary>One update on the batch (gradients, per-parameter norm clipping, Adam); returns the loss before it.</summary>
    public float TrainBatch()
    {
        using var scope = NewDisposeScope();
        _adam.zero_grad();
        Tensor loss = Loss();
        loss.backward();
        using (no_grad())
        {
            // Keras's clipnorm: g · limit / ‖g‖ when ‖g‖ > limit, each tensor by itself.
            foreach (Parameter parameter in _trained)
            {
                Tensor gradient = parameter.grad!;
                gradient.mul_((_clipNorm / gradient.norm()).clamp_max_(1.0));
            }
        }

        if (_moments is null)
        {
            _adam.step();
        }
        else
        {
            KerasAdam();
        }

        return loss.item<float>();
    }

    /// <summary>Keras's Adam step (the generated model's <c>Optimizers.Apply</c>): epsilon on the uncorrected √v.</summary>
    private void KerasAdam()
    {
        _updates++;
        double alpha = _learningRate * Math.Sqrt(1 - Math.Pow(Beta2, _updates)) / (1 - Math.Pow(Beta1, _updates));
        using var noGrad = no_grad();
        for (int i = 0; i < _trained.Length; i++)
        {
            Tensor gradient = _trained[i].grad!;
            (Tensor first, Tensor second) = _moments![i];
            first.mul_(Beta1).add_(gradient, 1 - Beta1);
            second.mul_(Beta2).addcmul_(gradient, gradient, 1 - Beta2);
            _trained[i].addcdiv_(first, second.sqrt().add_(Epsilon), -alpha);
        }
    }

    /// <summary>The batch's mean loss, without autograd.</summary>
    public float Evaluate()
    {
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        return Loss().item<float>();
    }

    /// <summary>
    /// Computes PyTorch's gradients of the batch loss at the current weights and returns the largest difference from
    /// <paramref name="kerasGradients"/> (the generated model's <c>Gradients</c>, Keras's layout), relative to the
    /// largest gradient. Our gradients are brought into PyTorch's layout by copying them, like weights, into a second
    /// set of modules; Keras's single LSTM bias is compared with both of PyTorch's (each has the same gradient).
    /// </summary>
    public float GradientDifference(ReadOnlySpan<float> kerasGradients)
    {
        using var scope = NewDisposeScope();
        _adam.zero_grad();
        Loss().backward();

        using var sourceTable = nn.Embedding(DateText.SourceCount, 24);
        using var encoder = nn.LSTM(24, Units, batchFirst: true);
        using var targetTable = nn.Embedding(DateText.TargetCount, 12);
        using var decoder = nn.LSTM(12, Units, batchFirst: true);
        using var dense = nn.Linear(2 * Units, DateText.TargetCount);
        (Dictionary<string, Parameter> ourEncoder, Dictionary<string, Parameter> ourDecoder) = (Named(encoder), Named(decoder));
        Copy(kerasGradients, sourceTable, ourEncoder, targetTable, ourDecoder, dense);
        ourEncoder["bias_hh_l0"] = ourEncoder["bias_ih_l0"];
        ourDecoder["bias_hh_l0"] = ourDecoder["bias_ih_l0"];

        var pairs = new List<(Tensor Ours, Tensor Theirs)>
        {
            (sourceTable.weight!, _sourceTable.weight!.grad!),
            (targetTable.weight!, _targetTable.weight!.grad!),
            (dense.weight!, _dense.weight!.grad!),
            (dense.bias!, _dense.bias!.grad!),
        };
        foreach ((string name, Parameter parameter) in Named(_encoder)) pairs.Add((ourEncoder[name], parameter.grad!));
        foreach ((string name, Parameter parameter) in Named(_decoder)) pairs.Add((ourDecoder[name], parameter.grad!));

        float largest = 0f, difference = 0f;
        foreach ((Tensor mine, Tensor peer) in pairs)
        {
            largest = Math.Max(largest, peer.abs().max().item<float>());
            difference = Math.Max(difference, (mine - peer).abs().max().item<float>());
        }

        return difference / largest;
    }

    private Tensor Loss()
    {
        // The encoder over each source's real tokens; h and c come back at each one's last real token, in batch order.
        nn.utils.rnn.PackedSequence packed = nn.utils.rnn.pack_padded_sequence(_sourceTable.call(_sources), _lengths, batch_first: true, enforce_sorted: false);
        (nn.utils.rnn.PackedSequence encoded, Tensor h, Tensor c) = _encoder.call(packed);
        (Tensor memory, _) = nn.utils.rnn.pad_packed_sequence(encoded, batch_first: true, total_length: _steps);

        // The decoder from the encoder's final state, reading the start token then the targets (teacher forcing).
        (Tensor decoded, _, _) = _decoder.call(_targetTable.call(_decoderInputs), (h, c));

        // Dot attention over each source's real tokens, then Dense on [h, context].
        Tensor scores = bmm(decoded, memory.transpose(1, 2)).masked_fill(_padding, double.NegativeInfinity);
        Tensor context = bmm(scores.softmax(-1), memory);
        Tensor logits = _dense.call(cat([decoded, context], 2));
        return _loss.call(logits.reshape(-1, DateText.TargetCount), _targets);
    }

    /// <summary>Copies Keras-layout values (weights or gradients) into the five modules in order; returns the offset after them.</summary>
    private static int Copy(ReadOnlySpan<float> values, Embedding sourceTable, Dictionary<string, Parameter> encoder, Embedding targetTable, Dictionary<string, Parameter> decoder, Linear dense)
    {
        int offset = TorchLayout.CopyEmbedding(values, 0, sourceTable);
        offset = TorchLayout.CopyRecurrent(RecurrentKind.Lstm, values, offset, 24, Units, encoder["weight_ih_l0"], encoder["weight_hh_l0"], encoder["bias_ih_l0"], encoder["bias_hh_l0"]);
        offset = TorchLayout.CopyEmbedding(values, offset, targetTable);
        offset = TorchLayout.CopyRecurrent(RecurrentKind.Lstm, values, offset, 12, Units, decoder["weight_ih_l0"], decoder["weight_hh_l0"], decoder["bias_ih_l0"], decoder["bias_hh_l0"]);
        return TorchLayout.CopyDense(values, offset, dense);
    }

    private static Dictionary<string, Parameter> Named(LSTM lstm) => lstm.named_parameters().ToDictionary(p => p.name, p => p.parameter);

    public void Dispose()
    {
        foreach ((Tensor first, Tensor second) in _moments ?? [])
        {
            first.Dispose();
            second.Dispose();
        }

        _adam.Dispose();
        _loss.Dispose();
        _sourceTable.Dispose();
        _encoder.Dispose();
        _targetTable.Dispose();
        _decoder.Dispose();
        _dense.Dispose();
        _sources.Dispose();
        _lengths.Dispose();
        _padding.Dispose();
        _decoderInputs.Dispose();
        _targets.Dispose();
    }
}
