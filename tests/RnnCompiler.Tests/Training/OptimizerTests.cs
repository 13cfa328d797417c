using System;
using RnnCompiler.Training;
using Xunit;

namespace RnnCompiler.Tests.Training;

/// <summary>
/// Each optimizer's update against Keras's formulas written out here, from gradients that the finite-difference tests
/// vouch for: a twin model computes the gradient at the same weights, the test applies the formula, and the trained
/// model must land on the same weights.
/// </summary>
public class OptimizerTests
{
    private const int Sequences = 2;
    private const int Steps = 4;

    [Fact]
    public void Sgd_is_w_minus_lr_g() => Check(new SgdModel(), new SgdModel(), (w, g, m, v, t) => w - Lr * g);

    [Fact]
    public void Sgd_with_momentum_keeps_a_velocity()
    {
        Check(new MomentumModel(), new MomentumModel(), (w, g, m, v, t) =>
        {
            m[0] = 0.9 * m[0] - Lr * g;
            return w + m[0];
        });
    }

    [Fact]
    public void Sgd_with_nesterov_momentum_looks_ahead()
    {
        Check(new NesterovModel(), new NesterovModel(), (w, g, m, v, t) =>
        {
            m[0] = 0.8 * m[0] - Lr * g;
            return w + 0.8 * m[0] - Lr * g;
        }, momentum: 0.8);
    }

    [Fact]
    public void Adam_corrects_its_bias_with_the_step_count()
    {
        Check(new AdamModel(), new AdamModel(), (w, g, m, v, t) =>
        {
            m[0] = Beta1 * m[0] + (1 - Beta1) * g;
            v[0] = Beta2 * v[0] + (1 - Beta2) * g * g;
            double alpha = SmallLr * Math.Sqrt(1 - Math.Pow(Beta2, t)) / (1 - Math.Pow(Beta1, t));
            return w - alpha * m[0] / (Math.Sqrt(v[0]) + Epsilon);
        });
    }

    [Fact]
    public void RmsProp_divides_by_the_root_of_the_mean_square()
    {
        Check(new RmsPropModel(), new RmsPropModel(), (w, g, m, v, t) =>
        {
            v[0] = Rho * v[0] + (1 - Rho) * g * g;
            return w - SmallLr * g / Math.Sqrt(v[0] + Epsilon);
        });
    }

    [Fact]
    public void ClipNorm_scales_each_tensor_to_the_norm_and_GlobalClipNorm_all_together_and_ClipValue_each_element()
    {
        ClipCheck(new ClipNormModel(), new SgdModel(), perTensor: 0.05, global: 0, value: 0);
        ClipCheck(new GlobalClipNormModel(), new SgdModel(), perTensor: 0, global: 0.05, value: 0);
        ClipCheck(new ClipValueModel(), new SgdModel(), perTensor: 0, global: 0, value: 0.01);
    }

    // The attribute's values are floats; the optimizer uses exactly those values.
    private const double Lr = 0.1;
    private const double SmallLr = 0.01;
    private const double Beta1 = 0.9;
    private const double Beta2 = 0.999;
    private const double Rho = 0.9;
    private const double Epsilon = 1e-7;

    private delegate double Update(double weight, double gradient, double[] first, double[] second, int step);

    private static void Check(ITrainableModel<double, double, double> trained, ITrainableModel<double, double, double> twin, Update update, double momentum = 0, double tolerance = 1e-12)
    {
        double[] weights = TrainingData.Doubles(trained.Info.ParameterCount, seed: 1, scale: 0.5);
        weights.CopyTo(trained.Parameters);
        int count = weights.Length;
        var first = new double[count][];
        var second = new double[count][];
        for (int i = 0; i < count; i++)
        {
            first[i] = new double[1];
            second[i] = new double[1];
        }

        for (int step = 1; step <= 4; step++)
        {
            double[] inputs = TrainingData.Doubles(Sequences * Steps * 2, seed: 10 + step, scale: 1);
            double[] targets = TrainingData.Doubles(Sequences * 2, seed: 20 + step, scale: 1);
            weights.CopyTo(twin.Parameters);
            twin.ComputeGradients(inputs, targets, Sequences);
            double[] gradients = twin.Gradients.ToArray();
            for (int i = 0; i < count; i++)
            {
                weights[i] = update(weights[i], gradients[i], first[i], second[i], step);
            }

            trained.TrainBatch(inputs, targets, Sequences);
            Assert.Equal(step, trained.UpdateCount);
            double[] actual = trained.Parameters.ToArray();
            for (int i = 0; i < count; i++)
            {
                Assert.True(Math.Abs(actual[i] - weights[i]) <= tolerance * Math.Max(1, Math.Abs(weights[i])), $"step {step}, weight {i}: {actual[i]:R}, expected {weights[i]:R}");
            }
        }
    }

    /// <summary>Clips the twin's gradient by hand as Keras and PyTorch define it, then checks the SGD step.</summary>
    private static void ClipCheck(ITrainableModel<double, double, double> trained, ITrainableModel<double, double, double> twin, double perTensor, double global, double value)
    {
        double[] weights = TrainingData.Doubles(trained.Info.ParameterCount, seed: 2, scale: 0.9);
        weights.CopyTo(trained.Parameters);
        weights.CopyTo(twin.Parameters);
        double[] inputs = TrainingData.Doubles(Sequences * Steps * 2, seed: 3, scale: 1);
        double[] targets = TrainingData.Doubles(Sequences * 2, seed: 4, scale: 3);
        twin.ComputeGradients(inputs, targets, Sequences);
        double[] gradients = twin.Gradients.ToArray();

        // The tensors of Gru(3) on 2 inputs and Dense(2), in flat order: kernel, recurrent kernel, bias [2, 9], kernel, bias.
        int[] lengths = { 2 * 9, 3 * 9, 2 * 9, 3 * 2, 2 };
        bool clipped = false;
        if (perTensor > 0)
        {
            int offset = 0;
            foreach (int length in lengths)
            {
                double norm = Norm(gradients.AsSpan(offset, length));
                if (norm > perTensor)
                {
                    clipped = true;
                    for (int i = offset; i < offset + length; i++)
                    {
                        gradients[i] *= perTensor / norm;
                    }
                }

                offset += length;
            }

            Assert.Equal(gradients.Length, offset);
        }

        if (global > 0)
        {
            double norm = Norm(gradients);
            clipped = norm > global;
            for (int i = 0; i < gradients.Length; i++)
            {
                gradients[i] *= norm > global ? global / norm : 1;
            }
        }

        if (value > 0)
        {
            for (int i = 0; i < gradients.Length; i++)
            {
                clipped |= Math.Abs(gradients[i]) > value;
                gradients[i] = Math.Clamp(gradients[i], -value, value);
            }
        }

        Assert.True(clipped, "the test data must make the clipping act");
        trained.TrainBatch(inputs, targets, Sequences);
        double[] actual = trained.Parameters.ToArray();
        for (int i = 0; i < weights.Length; i++)
        {
            double expected = weights[i] - Lr * gradients[i];
            Assert.True(Math.Abs(actual[i] - expected) <= 1e-12, $"weight {i}: {actual[i]:R}, expected {expected:R}");
        }
    }

    private static double Norm(ReadOnlySpan<double> values)
    {
        double sum = 0;
        foreach (double v in values)
        {
            sum += v * v;
        }

        return Math.Sqrt(sum);
    }
}
