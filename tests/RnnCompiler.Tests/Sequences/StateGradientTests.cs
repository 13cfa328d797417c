using System;
using RnnCompiler.Layers;
using RnnCompiler.Tests.Training;
using Xunit;

namespace RnnCompiler.Tests.Sequences;

/// <summary>
/// The state ports of the recurrent layers' batch backward passes, which an encoder-decoder needs: the gradient of the
/// initial states handed in (<c>initialHiddenGradients</c>, an LSTM's <c>initialCellGradients</c>) and, into an LSTM, the
/// gradient of each sequence's final cell state from outside (<c>finalCellGradients</c>). Checked against central finite
/// differences of a loss that reads every hidden state and (LSTM) each final cell, for full and packed batches and both
/// directions; the weight gradients are checked with them.
/// </summary>
public class StateGradientTests
{
    private const int Sequences = 3, Steps = 4, InputSize = 2, Units = 3;

    public enum Kind { Lstm, GruResetAfter, GruResetBefore, SimpleRnn }

    /// <summary>One layer's weights, inputs and the loss's weights, drawn once; the loss of given initial states and weights.</summary>
    private sealed class Case
    {
        public Case(Kind kind, bool packed, bool reverse, int seed)
        {
            Kind = kind;
            Reverse = reverse;
            Gates = kind == Kind.Lstm ? 4 : kind == Kind.SimpleRnn ? 1 : 3;
            Lengths = packed ? [4, 3, 1] : [];
            Kernel = TrainingData.Doubles(InputSize * Gates * Units, seed, 0.6);
            RecurrentKernel = TrainingData.Doubles(Units * Gates * Units, seed + 1, 0.6);
            Bias = TrainingData.Doubles((kind == Kind.GruResetAfter ? 2 : 1) * Gates * Units, seed + 2, 0.3);
            Inputs = TrainingData.Doubles(Sequences * Steps * InputSize, seed + 3, 1.0);
            InitialHidden = TrainingData.Doubles(Sequences * Units, seed + 4, 0.8);
            InitialCell = TrainingData.Doubles(Sequences * Units, seed + 5, 0.8);
            HiddenWeights = TrainingData.Doubles(Sequences * Steps * Units, seed + 6, 1.0);
            FinalCellWeights = kind == Kind.Lstm ? TrainingData.Doubles(Sequences * Units, seed + 7, 1.0) : [];
            for (int s = 0; s < Sequences; s++)
            {
                // A packed sequence's rows after its real steps hold nothing the loss reads.
                for (int t = Length(s); t < Steps; t++)
                {
                    HiddenWeights.AsSpan((s * Steps + t) * Units, Units).Clear();
                }
            }
        }

        public Kind Kind { get; }

        public bool Reverse { get; }

        public int Gates { get; }

        public int[] Lengths { get; }

        public double[] Kernel { get; }

        public double[] RecurrentKernel { get; }

        public double[] Bias { get; }

        public double[] Inputs { get; }

        public double[] InitialHidden { get; }

        public double[] InitialCell { get; }

        public double[] HiddenWeights { get; }

        public double[] FinalCellWeights { get; }

        public int Length(int s) => Lengths.Length == 0 ? Steps : Lengths[s];

        /// <summary>The row of sequence s's last real step in the direction the layer runs.</summary>
        private int FinalRow(int s) => s * Steps + (Reverse ? Steps - Length(s) : Length(s) - 1);

        public (double[] Gates, double[] Cells, double[] Hidden, double[] Extra) Forward()
        {
            int rows = Sequences * Steps;
            var gates = new double[rows * Gates * Units];
            var cells = new double[rows * Units];
            var hidden = new double[rows * Units];
            var extra = new double[rows * Units + 4 * Sequences * Units];
            switch (Kind)
            {
                case Kind.Lstm:
                    LstmLayer.ForwardBatch<double>(Inputs, Sequences, Steps, InputSize, Units, Kernel, RecurrentKernel, Bias, Reverse, InitialHidden, InitialCell, gates, cells, hidden, lengths: Lengths);
                    break;
                case Kind.GruResetAfter or Kind.GruResetBefore:
                    GruLayer.ForwardBatch<double>(Inputs, Sequences, Steps, InputSize, Units, Kernel, RecurrentKernel, Bias, Kind == Kind.GruResetAfter, Reverse, InitialHidden, gates, cells, hidden, extra, lengths: Lengths);
                    break;
                default:
                    SimpleRnnLayer.ForwardBatch<double>(Inputs, Sequences, Steps, InputSize, Units, Kernel, RecurrentKernel, Bias, Activation.Tanh, Reverse, InitialHidden, gates, hidden, lengths: Lengths);
                    break;
            }

            return (gates, cells, hidden, extra);
        }

        public double Loss()
        {
            (_, double[] cells, double[] hidden, _) = Forward();
            double loss = 0;
            for (int s = 0; s < Sequences; s++)
            {
                // In a packed batch the reverse direction's real steps end the block.
                int first = Reverse ? Steps - Length(s) : 0;
                for (int t = 0; t < Length(s); t++)
                {
                    for (int j = 0; j < Units; j++)
                    {
                        loss += HiddenWeights[(s * Steps + t) * Units + j] * hidden[(s * Steps + first + t) * Units + j];
                    }
                }

                for (int j = 0; j < FinalCellWeights.Length / Sequences; j++)
                {
                    loss += FinalCellWeights[s * Units + j] * cells[FinalRow(s) * Units + j];
                }
            }

            return loss;
        }

        /// <summary>Backpropagation with the ports: the initial states' gradients and the weights'.</summary>
        public (double[] Hidden, double[] Cell, double[] Kernel, double[] Recurrent) Backward()
        {
            (double[] gates, double[] cells, double[] hidden, double[] extra) = Forward();
            int rows = Sequences * Steps;
            var hiddenGradients = new double[rows * Units];
            for (int s = 0; s < Sequences; s++)
            {
                int first = Reverse ? Steps - Length(s) : 0;
                HiddenWeights.AsSpan(s * Steps * Units, Length(s) * Units).CopyTo(hiddenGradients.AsSpan((s * Steps + first) * Units));
            }

            var initialHidden = new double[Sequences * Units];
            var initialCell = new double[Sequences * Units];
            var kernel = new double[Kernel.Length];
            var recurrent = new double[RecurrentKernel.Length];
            var bias = new double[Bias.Length];
            var scratch = new double[2 * Sequences * Units];
            switch (Kind)
            {
                case Kind.Lstm:
                    LstmLayer.BackwardBatch<double>(Inputs, Sequences, Steps, InputSize, Units, Kernel, RecurrentKernel, Reverse, InitialHidden, InitialCell, gates, cells, hidden, hiddenGradients, default, kernel, recurrent, bias, scratch,
                        lengths: Lengths, initialHiddenGradients: initialHidden, initialCellGradients: initialCell, finalCellGradients: FinalCellWeights);
                    break;
                case Kind.GruResetAfter or Kind.GruResetBefore:
                    GruLayer.BackwardBatch<double>(Inputs, Sequences, Steps, InputSize, Units, Kernel, RecurrentKernel, Kind == Kind.GruResetAfter, Reverse, InitialHidden, gates, cells, hidden, hiddenGradients, default, kernel, recurrent, bias, scratch,
                        lengths: Lengths, initialHiddenGradients: initialHidden);
                    break;
                default:
                    SimpleRnnLayer.BackwardBatch<double>(Inputs, Sequences, Steps, InputSize, Units, Kernel, RecurrentKernel, Activation.Tanh, Reverse, InitialHidden, hidden, hiddenGradients, default, kernel, recurrent, bias, scratch,
                        lengths: Lengths, initialHiddenGradients: initialHidden);
                    break;
            }

            return (initialHidden, initialCell, kernel, recurrent);
        }
    }

    public static TheoryData<Kind, bool, bool> Cases()
    {
        var data = new TheoryData<Kind, bool, bool>();
        foreach (Kind kind in Enum.GetValues<Kind>())
        {
            data.Add(kind, false, false);
            data.Add(kind, true, false);
            data.Add(kind, true, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_state_ports_pass_finite_differences(Kind kind, bool packed, bool reverse)
    {
        var layer = new Case(kind, packed, reverse, seed: 10 + (int)kind);
        (double[] hidden, double[] cell, double[] kernel, double[] recurrent) = layer.Backward();
        Check(layer, layer.InitialHidden, hidden, "initial hidden");
        if (kind == Kind.Lstm)
        {
            Check(layer, layer.InitialCell, cell, "initial cell");
        }

        Check(layer, layer.Kernel, kernel, "kernel");
        Check(layer, layer.RecurrentKernel, recurrent, "recurrent kernel");
    }

    private static void Check(Case layer, double[] values, double[] gradients, string what)
    {
        const double H = 1e-6;
        double largest = 0;
        for (int i = 0; i < values.Length; i++)
        {
            double saved = values[i];
            values[i] = saved + H;
            double plus = layer.Loss();
            values[i] = saved - H;
            double minus = layer.Loss();
            values[i] = saved;
            double numeric = (plus - minus) / (2 * H);
            largest = Math.Max(largest, Math.Abs(numeric));
            Assert.True(Math.Abs(gradients[i] - numeric) <= 1e-6 * Math.Max(1, Math.Abs(numeric)), $"{what} {i}: backprop {gradients[i]:R}, finite difference {numeric:R}");
        }

        Assert.True(largest > 1e-3, $"the {what} gradients are all tiny, so the check proves nothing");
    }

    [Fact]
    public void Without_the_ports_the_backward_pass_is_unchanged()
    {
        // The same call without asking for the initial gradients gives the weights the same bits: the ports only add.
        var layer = new Case(Kind.Lstm, packed: true, reverse: false, seed: 30);
        (double[] gates, double[] cells, double[] hidden, _) = layer.Forward();
        double[] Run(bool ports)
        {
            var g = (double[])gates.Clone();
            var hiddenGradients = (double[])layer.HiddenWeights.Clone();
            var kernel = new double[layer.Kernel.Length + layer.RecurrentKernel.Length + layer.Bias.Length];
            LstmLayer.BackwardBatch<double>(layer.Inputs, Sequences, Steps, InputSize, Units, layer.Kernel, layer.RecurrentKernel, false, layer.InitialHidden, layer.InitialCell, g, cells, hidden, hiddenGradients, default,
                kernel.AsSpan(0, layer.Kernel.Length), kernel.AsSpan(layer.Kernel.Length, layer.RecurrentKernel.Length), kernel.AsSpan(layer.Kernel.Length + layer.RecurrentKernel.Length), new double[2 * Sequences * Units],
                lengths: layer.Lengths, initialHiddenGradients: ports ? new double[Sequences * Units] : default, initialCellGradients: ports ? new double[Sequences * Units] : default);
            return kernel;
        }

        Assert.Equal(Run(false), Run(true));
    }

    [Fact]
    public void A_port_without_its_initial_state_is_refused()
    {
        var layer = new Case(Kind.GruResetAfter, packed: false, reverse: false, seed: 40);
        (double[] gates, double[] candidates, double[] hidden, _) = layer.Forward();
        var error = Assert.Throws<ArgumentException>(() => GruLayer.BackwardBatch<double>(layer.Inputs, Sequences, Steps, InputSize, Units, layer.Kernel, layer.RecurrentKernel, true, false, default, gates, candidates, hidden, layer.HiddenWeights, default,
            new double[layer.Kernel.Length], new double[layer.RecurrentKernel.Length], new double[layer.Bias.Length], new double[2 * Sequences * Units], initialHiddenGradients: new double[Sequences * Units]));
        Assert.Equal("initialHiddenGradients", error.ParamName);
    }
}
