using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RnnCompiler.Benchmarks.Torch;

/// <summary>
/// The same network as a generated model in PyTorch (TorchSharp), on one thread, without autograd: streaming, an
/// <c>nn.LSTMCell</c> or <c>nn.GRUCell</c> and an <c>nn.Linear</c>, the state carried in two pre-allocated tensors;
/// a whole sequence, <c>nn.LSTM</c> (batch first, zero initial state) and <c>nn.Linear</c> on its last hidden state.
/// The weights are the generated model's, converted by <see cref="TorchLayout"/>.
/// </summary>
/// <remarks>
/// A call is what a PyTorch user writes for inference: a dispose scope (every tensor the call makes is freed when it
/// ends, so calls do not accumulate native memory), <c>torch.inference_mode()</c>, the modules, and the output copied
/// into a managed array. The input tensor is allocated once and filled by <see cref="SetInput"/> (ONNX Runtime's
/// input buffer is likewise bound once). TorchSharp allocates a few hundred bytes of managed wrappers per call.
/// </remarks>
public sealed class TorchPeer : IDisposable
{
    private readonly LSTMCell? _lstmCell;
    private readonly GRUCell? _gruCell;
    private readonly LSTM? _lstm;
    private readonly Linear _dense;
    private readonly Tensor _input;
    private readonly Tensor? _hidden;
    private readonly Tensor? _cell;

    /// <param name="kind">LSTM or GRU (reset after, as PyTorch's).</param>
    /// <param name="inputSize">Features per step.</param>
    /// <param name="units">The recurrent layer's units.</param>
    /// <param name="outputs">The Dense layer's units.</param>
    /// <param name="steps">Steps per call: 1 when <paramref name="streaming"/>.</param>
    /// <param name="streaming">One step per call with the state carried over (a cell), or a whole sequence from a zero state.</param>
    /// <param name="parameters">The generated model's <c>Parameters</c>, in Keras's layout.</param>
    /// <param name="batch">Sequences per call, or streams stepped together: the input is [batch, steps, features] ([batch, features] streaming), the output [batch, outputs].</param>
    public TorchPeer(RecurrentKind kind, int inputSize, int units, int outputs, int steps, bool streaming, ReadOnlySpan<float> parameters, int batch = 1)
    {
        TorchLoader.Initialize(); // first: no field of this class may touch torch before it (no field initializers)
        Output = new float[batch * outputs];
        _dense = nn.Linear(units, outputs);
        int offset;
        if (streaming)
        {
            _input = zeros(batch, inputSize);
            _hidden = zeros(batch, units);
            _cell = zeros(batch, units);
            nn.Module cell;
            if (kind == RecurrentKind.Lstm)
            {
                _lstmCell = nn.LSTMCell(inputSize, units);
                offset = TorchLayout.CopyRecurrent(kind, parameters, 0, inputSize, units, _lstmCell.weight_ih!, _lstmCell.weight_hh!, _lstmCell.bias_ih!, _lstmCell.bias_hh!);
                cell = _lstmCell;
            }
            else
            {
                _gruCell = nn.GRUCell(inputSize, units);
                offset = TorchLayout.CopyRecurrent(kind, parameters, 0, inputSize, units, _gruCell.weight_ih!, _gruCell.weight_hh!, _gruCell.bias_ih!, _gruCell.bias_hh!);
                cell = _gruCell;
            }

            cell.eval();
        }
        else
        {
            if (kind != RecurrentKind.Lstm) throw new NotSupportedException("The sequence peer is nn.LSTM only.");
            _input = zeros(batch, steps, inputSize);
            _lstm = nn.LSTM(inputSize, units, batchFirst: true);
            Dictionary<string, Parameter> named = _lstm.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            offset = TorchLayout.CopyRecurrent(kind, parameters, 0, inputSize, units, named["weight_ih_l0"], named["weight_hh_l0"], named["bias_ih_l0"], named["bias_hh_l0"]);
            _lstm.eval();
        }

        TorchLayout.CopyDense(parameters, offset, _dense);
        _dense.eval();
    }

    /// <summary>The Dense layer's output of the last call.</summary>
    public float[] Output { get; }

    /// <summary>Sets the input tensor: [features] streaming, [batch, steps, features] for sequences.</summary>
    public void SetInput(ReadOnlySpan<float> values)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        _input.copy_(tensor(values.ToArray()).reshape(_input.shape));
    }

    /// <summary>One call: a streaming step (the state carried over), or a whole sequence from a zero state.</summary>
    public void Run()
    {
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        Tensor hidden;
        if (_lstmCell is not null)
        {
            (hidden, Tensor cell) = _lstmCell.call(_input, (_hidden!, _cell!));
            _hidden!.copy_(hidden);
            _cell!.copy_(cell);
        }
        else if (_gruCell is not null)
        {
            hidden = _gruCell.call(_input, _hidden!);
            _hidden!.copy_(hidden);
        }
        else
        {
            // h_n is [layers = 1, batch, units]: the last step's hidden state of each sequence.
            (_, Tensor last, _) = _lstm!.call(_input);
            hidden = last[0];
        }

        _dense.call(hidden).data<float>().CopyTo(Output);
    }

    /// <summary>Zeroes the carried state.</summary>
    public void ResetState()
    {
        _hidden?.zero_();
        _cell?.zero_();
    }

    public void Dispose()
    {
        _lstmCell?.Dispose();
        _gruCell?.Dispose();
        _lstm?.Dispose();
        _dense.Dispose();
        _input.Dispose();
        _hidden?.Dispose();
        _cell?.Dispose();
    }
}
