using System;
using RnnCompiler;
using RnnCompiler.Layers;
using RnnCompiler.Tests.EndToEnd;
using Xunit;

namespace RnnCompiler.Tests.Training;

/// <summary>
/// The batched (lock-step) LSTM passes against a loop of one-sequence passes over the same batch-major buffers: the
/// forward pass must give the same bits (every sum runs in the same order), the backward pass the same gradients within
/// rounding (<c>δ·Uᵀ</c> is summed in another order as one product for the batch).
/// </summary>
public class LockStepTests
{
    [Theory]
    [InlineData(1, 1, 3, 5, false, false)]
    [InlineData(3, 4, 2, 13, false, false)]
    [InlineData(5, 3, 7, 16, true, false)]
    [InlineData(4, 5, 1, 8, false, true)]
    [InlineData(6, 2, 9, 33, true, true)]
    // The weight gradients go through the batch in groups of sequences whose gate gradients fill 256 KB: one sequence
    // per group here (70 steps × 512 gates), then groups of three and two (40 steps).
    [InlineData(3, 70, 2, 128, true, true)]
    [InlineData(5, 40, 3, 128, false, false)]
    public void Lstm_batch_passes_equal_one_sequence_passes(int sequences, int steps, int inputSize, int units, bool reverse, bool withInitialState)
    {
        int width = 4 * units;
        int rows = sequences * steps;
        float[] inputs = TestData.Uniform(rows * inputSize, seed: 1, scale: 1f);
        // The long cases draw their weights at about Keras's initial scale (Glorot: ±0.1 for 128 units), so that 40 to 70
        // steps of their recurrence neither explode nor saturate every gate.
        float scale = units > 64 ? 0.1f : 0.5f;
        float[] kernel = TestData.Uniform(inputSize * width, seed: 2, scale: scale);
        float[] recurrent = TestData.Uniform(units * width, seed: 3, scale: scale);
        float[] bias = TestData.Uniform(width, seed: 4);
        float[] initialHidden = withInitialState ? TestData.Uniform(sequences * units, seed: 5) : [];
        float[] initialCell = withInitialState ? TestData.Uniform(sequences * units, seed: 6) : [];
        float[] hiddenGradients = TestData.Uniform(rows * units, seed: 7, scale: 1f);

        // One sequence at a time, as the per-sequence training loop runs.
        var one = new Pass(rows, units, inputSize);
        for (int s = 0; s < sequences; s++)
        {
            LstmLayer.Forward<float>(inputs.AsSpan(s * steps * inputSize, steps * inputSize), steps, inputSize, units, kernel, recurrent, bias, reverse,
                Initial(initialHidden, s, units), Initial(initialCell, s, units),
                one.Gates.AsSpan(s * steps * width, steps * width), one.Cells.AsSpan(s * steps * units, steps * units), one.Hidden.AsSpan(s * steps * units, steps * units));
        }

        var batch = new Pass(rows, units, inputSize);
        LstmLayer.ForwardBatch<float>(inputs, sequences, steps, inputSize, units, kernel, recurrent, bias, reverse, initialHidden, initialCell, batch.Gates, batch.Cells, batch.Hidden);
        Assert.Equal(one.Gates, batch.Gates);
        Assert.Equal(one.Cells, batch.Cells);
        Assert.Equal(one.Hidden, batch.Hidden);

        float[] scratch = new float[8 * units];
        for (int s = 0; s < sequences; s++)
        {
            LstmLayer.Backward<float>(inputs.AsSpan(s * steps * inputSize, steps * inputSize), steps, inputSize, units, kernel, recurrent, reverse,
                Initial(initialHidden, s, units), Initial(initialCell, s, units),
                one.Gates.AsSpan(s * steps * width, steps * width), one.Cells.AsSpan(s * steps * units, steps * units), one.Hidden.AsSpan(s * steps * units, steps * units),
                hiddenGradients.AsSpan(s * steps * units, steps * units), one.InputGradients.AsSpan(s * steps * inputSize, steps * inputSize),
                one.KernelGradients, one.RecurrentGradients, one.BiasGradients, scratch);
        }

        LstmLayer.BackwardBatch<float>(inputs, sequences, steps, inputSize, units, kernel, recurrent, reverse, initialHidden, initialCell,
            batch.Gates, batch.Cells, batch.Hidden, hiddenGradients, batch.InputGradients,
            batch.KernelGradients, batch.RecurrentGradients, batch.BiasGradients, new float[2 * sequences * units]);
        AssertGradientsClose(one, batch, steps > 1 || withInitialState);
    }

    [Theory]
    [InlineData(1, 1, 3, 5, false, false, true)]
    [InlineData(3, 4, 2, 13, false, false, false)]
    [InlineData(5, 3, 7, 16, true, false, true)]
    [InlineData(4, 5, 1, 8, false, true, false)]
    [InlineData(6, 2, 9, 33, true, true, true)]
    [InlineData(3, 4, 2, 1, false, true, false)]
    // Groups of sequences whose gate gradients fill 256 KB: one sequence per group (90 steps × 384), then three and two.
    [InlineData(3, 90, 2, 128, true, true, true)]
    [InlineData(5, 50, 3, 128, false, false, false)]
    public void Gru_batch_passes_equal_one_sequence_passes(int sequences, int steps, int inputSize, int units, bool reverse, bool withInitialState, bool resetAfter)
    {
        int width = 3 * units;
        int rows = sequences * steps;
        float[] inputs = TestData.Uniform(rows * inputSize, seed: 11, scale: 1f);
        float scale = units > 64 ? 0.1f : 0.5f; // the long cases at Keras's initial scale, as for the LSTM
        float[] kernel = TestData.Uniform(inputSize * width, seed: 12, scale: scale);
        float[] recurrent = TestData.Uniform(units * width, seed: 13, scale: scale);
        float[] bias = TestData.Uniform((resetAfter ? 2 : 1) * width, seed: 14);
        float[] initialHidden = withInitialState ? TestData.Uniform(sequences * units, seed: 15) : [];
        float[] hiddenGradients = TestData.Uniform(rows * units, seed: 17, scale: 1f);

        var one = new Pass(rows, units, inputSize, gates: 3, biasRows: resetAfter ? 2 : 1);
        float[] scratch = new float[3 * units];
        for (int s = 0; s < sequences; s++)
        {
            GruLayer.Forward<float>(inputs.AsSpan(s * steps * inputSize, steps * inputSize), steps, inputSize, units, kernel, recurrent, bias, resetAfter, reverse,
                Initial(initialHidden, s, units), one.Gates.AsSpan(s * steps * width, steps * width), one.Cells.AsSpan(s * steps * units, steps * units),
                one.Hidden.AsSpan(s * steps * units, steps * units), scratch);
        }

        var batch = new Pass(rows, units, inputSize, gates: 3, biasRows: resetAfter ? 2 : 1);
        GruLayer.ForwardBatch<float>(inputs, sequences, steps, inputSize, units, kernel, recurrent, bias, resetAfter, reverse, initialHidden, batch.Gates, batch.Cells, batch.Hidden, new float[sequences * width]);
        Assert.Equal(one.Gates, batch.Gates);
        Assert.Equal(one.Cells, batch.Cells);
        Assert.Equal(one.Hidden, batch.Hidden);

        for (int s = 0; s < sequences; s++)
        {
            GruLayer.Backward<float>(inputs.AsSpan(s * steps * inputSize, steps * inputSize), steps, inputSize, units, kernel, recurrent, resetAfter, reverse,
                Initial(initialHidden, s, units), one.Gates.AsSpan(s * steps * width, steps * width), one.Cells.AsSpan(s * steps * units, steps * units),
                one.Hidden.AsSpan(s * steps * units, steps * units), hiddenGradients.AsSpan(s * steps * units, steps * units),
                one.InputGradients.AsSpan(s * steps * inputSize, steps * inputSize), one.KernelGradients, one.RecurrentGradients, one.BiasGradients, scratch);
        }

        GruLayer.BackwardBatch<float>(inputs, sequences, steps, inputSize, units, kernel, recurrent, resetAfter, reverse, initialHidden,
            batch.Gates, batch.Cells, batch.Hidden, hiddenGradients, batch.InputGradients,
            batch.KernelGradients, batch.RecurrentGradients, batch.BiasGradients, new float[2 * sequences * units]);
        AssertGradientsClose(one, batch, steps > 1 || withInitialState);
    }

    [Theory]
    [InlineData(1, 1, 3, 5, false, false, Activation.Tanh)]
    [InlineData(3, 4, 2, 13, false, false, Activation.Relu)]
    [InlineData(5, 3, 7, 16, true, false, Activation.Sigmoid)]
    [InlineData(4, 5, 1, 8, false, true, Activation.Linear)]
    [InlineData(6, 2, 9, 33, true, true, Activation.Tanh)]
    // Groups of sequences whose sum gradients fill 256 KB: one sequence per group (130 steps × 256), then three and two.
    [InlineData(3, 130, 2, 256, true, true, Activation.Tanh)]
    [InlineData(5, 80, 3, 256, false, false, Activation.Tanh)]
    public void SimpleRnn_batch_passes_equal_one_sequence_passes(int sequences, int steps, int inputSize, int units, bool reverse, bool withInitialState, Activation activation)
    {
        int rows = sequences * steps;
        // The long cases at about Keras's initial scale for 256 units (Glorot: ±0.1; ±0.05 here keeps 130 steps of a
        // plain recurrence from growing), as for the LSTM.
        float scale = units > 64 ? 0.05f : 0.5f;
        float[] inputs = TestData.Uniform(rows * inputSize, seed: 21, scale: 1f);
        float[] kernel = TestData.Uniform(inputSize * units, seed: 22, scale: scale);
        float[] recurrent = TestData.Uniform(units * units, seed: 23, scale: scale);
        float[] bias = TestData.Uniform(units, seed: 24);
        float[] initialHidden = withInitialState ? TestData.Uniform(sequences * units, seed: 25) : [];
        float[] hiddenGradients = TestData.Uniform(rows * units, seed: 27, scale: 1f);

        var one = new Pass(rows, units, inputSize, gates: 1, biasRows: 1);
        for (int s = 0; s < sequences; s++)
        {
            SimpleRnnLayer.Forward<float>(inputs.AsSpan(s * steps * inputSize, steps * inputSize), steps, inputSize, units, kernel, recurrent, bias, activation, reverse,
                Initial(initialHidden, s, units), one.Gates.AsSpan(s * steps * units, steps * units), one.Hidden.AsSpan(s * steps * units, steps * units));
        }

        var batch = new Pass(rows, units, inputSize, gates: 1, biasRows: 1);
        SimpleRnnLayer.ForwardBatch<float>(inputs, sequences, steps, inputSize, units, kernel, recurrent, bias, activation, reverse, initialHidden, batch.Gates, batch.Hidden);
        Assert.Equal(one.Gates, batch.Gates);
        Assert.Equal(one.Hidden, batch.Hidden);

        // δ is written over the hidden gradients: each pass gets its own copy.
        float[] oneDeltas = (float[])hiddenGradients.Clone();
        float[] scratch = new float[units];
        for (int s = 0; s < sequences; s++)
        {
            SimpleRnnLayer.Backward<float>(inputs.AsSpan(s * steps * inputSize, steps * inputSize), steps, inputSize, units, kernel, recurrent, activation, reverse,
                Initial(initialHidden, s, units), one.Hidden.AsSpan(s * steps * units, steps * units), oneDeltas.AsSpan(s * steps * units, steps * units),
                one.InputGradients.AsSpan(s * steps * inputSize, steps * inputSize), one.KernelGradients, one.RecurrentGradients, one.BiasGradients, scratch);
        }

        float[] batchDeltas = (float[])hiddenGradients.Clone();
        SimpleRnnLayer.BackwardBatch<float>(inputs, sequences, steps, inputSize, units, kernel, recurrent, activation, reverse, initialHidden, batch.Hidden, batchDeltas,
            batch.InputGradients, batch.KernelGradients, batch.RecurrentGradients, batch.BiasGradients, new float[sequences * units]);
        TestData.AssertClose(oneDeltas, batchDeltas, 1e-5, "deltas");
        AssertGradientsClose(one, batch, steps > 1 || withInitialState);
    }

    [Fact]
    public void Lstm_batch_passes_refuse_buffers_too_short_for_the_batch()
    {
        float[] kernel = new float[2 * 12], recurrent = new float[3 * 12], bias = new float[12];
        Assert.Throws<ArgumentException>(() => LstmLayer.ForwardBatch<float>(new float[2 * 2 * 2], 2, 2, 2, 3, kernel, recurrent, bias, false, default, default, new float[4 * 12 - 1], new float[12], new float[12]));
        Assert.Throws<ArgumentException>(() => LstmLayer.ForwardBatch<float>(new float[2 * 2 * 2], 2, 2, 2, 3, kernel, recurrent, bias, false, new float[5], default, new float[4 * 12], new float[12], new float[12]));
        Assert.Throws<ArgumentException>(() => LstmLayer.BackwardBatch<float>(new float[2 * 2 * 2], 2, 2, 2, 3, kernel, recurrent, false, default, default,
            new float[4 * 12], new float[12], new float[12], new float[12], default, new float[24], new float[36], new float[12], new float[2 * 2 * 3 - 1]));
    }

    private static void AssertGradientsClose(Pass one, Pass batch, bool recurrentGradients)
    {
        TestData.AssertClose(one.Gates, batch.Gates, 1e-5, "gate gradients");
        TestData.AssertClose(one.Cells, batch.Cells, 1e-5, "cells or candidates");
        TestData.AssertClose(one.InputGradients, batch.InputGradients, 1e-5, "input gradients");
        TestData.AssertClose(one.KernelGradients, batch.KernelGradients, 1e-5, "kernel gradients");
        TestData.AssertClose(one.RecurrentGradients, batch.RecurrentGradients, 1e-5, "recurrent kernel gradients");
        TestData.AssertClose(one.BiasGradients, batch.BiasGradients, 1e-5, "bias gradients");
        Assert.Contains(batch.KernelGradients, value => value != 0);
        if (recurrentGradients)
        {
            Assert.Contains(batch.RecurrentGradients, value => value != 0);
        }
    }

    private static ReadOnlySpan<float> Initial(float[] states, int sequence, int units) =>
        states.Length == 0 ? default : states.AsSpan(sequence * units, units);

    /// <summary>The buffers of one pass: gates (or sums) [rows, gates × units], cells (or GRU candidates) and hidden [rows, units], gradients.</summary>
    private sealed class Pass(int rows, int units, int inputSize, int gates = 4, int biasRows = 1)
    {
        public float[] Gates { get; } = new float[rows * gates * units];

        public float[] Cells { get; } = new float[rows * units];

        public float[] Hidden { get; } = new float[rows * units];

        public float[] InputGradients { get; } = new float[rows * inputSize];

        public float[] KernelGradients { get; } = new float[inputSize * gates * units];

        public float[] RecurrentGradients { get; } = new float[units * gates * units];

        public float[] BiasGradients { get; } = new float[biasRows * gates * units];
    }
}
