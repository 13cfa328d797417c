using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RnnCompiler.Benchmarks.Torch;

/// <summary>
/// The training case in PyTorch (TorchSharp), one thread: <c>nn.Embedding(1000, 64)</c> → <c>nn.LSTM(64, 128,
/// batch_first)</c> → <c>nn.Linear(128, 10)</c> on the last step's hidden state, <c>CrossEntropyLoss</c> on the logits
/// (log-softmax + negative log-likelihood, averaged over the batch: Keras's softmax + sparse categorical
/// cross-entropy), <c>Adam(lr = 1e-3, betas = (0.9, 0.999), eps = 1e-7)</c> (Keras's defaults), on one fixed batch of
/// token ids held in pre-allocated tensors. The weights start as the generated model's.
/// </summary>
/// <remarks>
/// PyTorch's LSTM has two biases, <c>bias_ih</c> and <c>bias_hh</c>, where Keras has one (their sum). Both get the same
/// gradient and Adam moves each by about lr, so the sum moves twice as fast as Keras's bias: the same network trains a
/// little differently. With <c>kerasBias</c> the peer leaves <c>bias_hh</c> at zero and out of the optimizer, which is
/// Keras's parameterization; Setup uses that to check the updates, and times plain PyTorch.
/// </remarks>
public sealed class TorchTrainer : IDisposable
{
    private readonly Embedding _embedding;
    private readonly LSTM _lstm;
    private readonly Linear _dense;
    private readonly CrossEntropyLoss _loss;
    private readonly Adam _adam;
    private readonly Tensor _tokens;
    private readonly Tensor _labels;
    private readonly int _dimensions, _units;

    /// <param name="parameters">The generated model's <c>Parameters</c> (Keras's layout: embeddings, LSTM kernel,
    /// recurrent kernel, bias, Dense kernel, bias).</param>
    /// <param name="tokens">[sequences, steps] token ids, row-major.</param>
    /// <param name="labels">[sequences] class ids.</param>
    /// <param name="kerasBias">Train <c>bias_ih</c> only (Keras's single LSTM bias) instead of both biases.</param>
    public TorchTrainer(ReadOnlySpan<float> parameters, int vocabulary, int dimensions, int units, int classes, int[] tokens, int[] labels, bool kerasBias = false)
    {
        TorchLoader.Initialize(); // first: no field of this class may touch torch before it (no field initializers)
        (_dimensions, _units) = (dimensions, units);
        _loss = nn.CrossEntropyLoss();
        _embedding = nn.Embedding(vocabulary, dimensions);
        _lstm = nn.LSTM(dimensions, units, batchFirst: true);
        _dense = nn.Linear(units, classes);
        int offset = TorchLayout.CopyEmbedding(parameters, 0, _embedding);
        Dictionary<string, Parameter> named = _lstm.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        offset = TorchLayout.CopyRecurrent(RecurrentKind.Lstm, parameters, offset, dimensions, units, named["weight_ih_l0"], named["weight_hh_l0"], named["bias_ih_l0"], named["bias_hh_l0"]);
        offset = TorchLayout.CopyDense(parameters, offset, _dense);
        if (offset != parameters.Length) throw new InvalidOperationException($"Copied {offset} of {parameters.Length} parameters.");

        _tokens = tensor(tokens.Select(t => (long)t).ToArray()).reshape(labels.Length, tokens.Length / labels.Length);
        _labels = tensor(labels.Select(l => (long)l).ToArray());
        IEnumerable<Parameter> all = _embedding.parameters().Concat(_lstm.parameters()).Concat(_dense.parameters());
        if (kerasBias) all = all.Where(p => !ReferenceEquals(p, named["bias_hh_l0"])).ToList();
        _adam = optim.Adam(all, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-7);
    }

    /// <summary>One Adam update on the batch; returns the loss before it (as the generated <c>TrainBatch</c>).</summary>
    public float TrainBatch()
    {
        using var scope = NewDisposeScope();
        _adam.zero_grad();
        Tensor loss = Loss();
        loss.backward();
        _adam.step();
        return loss.item<float>();
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

        using var embedding = nn.Embedding(_embedding.weight!.shape[0], _embedding.weight.shape[1]);
        using var lstm = nn.LSTM(_dimensions, _units, batchFirst: true);
        using var dense = nn.Linear(_dense.in_features, _dense.out_features);
        Dictionary<string, Parameter> ours = lstm.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        int offset = TorchLayout.CopyEmbedding(kerasGradients, 0, embedding);
        offset = TorchLayout.CopyRecurrent(RecurrentKind.Lstm, kerasGradients, offset, _dimensions, _units, ours["weight_ih_l0"], ours["weight_hh_l0"], ours["bias_ih_l0"], ours["bias_hh_l0"]);
        TorchLayout.CopyDense(kerasGradients, offset, dense);
        ours["bias_hh_l0"] = ours["bias_ih_l0"];

        Dictionary<string, Parameter> theirs = _lstm.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var pairs = new List<(Tensor Ours, Tensor Theirs)>
        {
            (embedding.weight!, _embedding.weight!.grad!),
            (dense.weight!, _dense.weight!.grad!),
            (dense.bias!, _dense.bias!.grad!),
        };
        foreach ((string name, Parameter parameter) in theirs) pairs.Add((ours[name], parameter.grad!));

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
        // h_n [layers = 1, sequences, units] is the last step's hidden state of every sequence.
        (_, Tensor last, _) = _lstm.call(_embedding.call(_tokens));
        return _loss.call(_dense.call(last[0]), _labels);
    }

    public void Dispose()
    {
        _adam.Dispose();
        _loss.Dispose();
        _embedding.Dispose();
        _lstm.Dispose();
        _dense.Dispose();
        _tokens.Dispose();
        _labels.Dispose();
    }
}
