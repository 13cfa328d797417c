using System;
using System.Collections.Generic;
using System.Runtime.Intrinsics;
using RnnCompiler;
using RnnCompiler.Kernels;
using RnnCompiler.Tests.Models;
using RnnCompiler.Tests.Reference;
using RnnCompiler.Tests.Training;
using RnnCompiler.Training;

// Runs every numeric check and prints one line per failure and a closing line in the test runners' format, which
// .ci/run adds to its count. The exit code is 1 when anything failed.
var failures = new List<string>();
int passed = 0;

void Check(bool condition, string what)
{
    if (condition)
    {
        passed++;
    }
    else
    {
        failures.Add(what);
        Console.WriteLine("FAIL " + what);
    }
}

bool Close(double expected, double actual, double tolerance) => Math.Abs(actual - expected) <= tolerance * Math.Max(1, Math.Abs(expected));

Console.WriteLine($"RnnCompiler numeric checks on {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}: "
    + $"Vector512 {Vector512.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}, Vector128 {Vector128.IsHardwareAccelerated}, "
    + $"AVX-VNNI {System.Runtime.Intrinsics.X86.AvxVnni.IsSupported}, NEON dot product {System.Runtime.Intrinsics.Arm.Dp.IsSupported}");

// 1. Every declared model against the naive double-precision reference: Predict at three lengths, and Step.
foreach (ModelCase modelCase in ModelCatalog.All)
{
    IRnnModel<float> model = modelCase.Create();
    ModelInfo info = model.Info;
    float[] parameters = TrainingData.Features(info.ParameterCount, seed: modelCase.Name.Length);
    for (int i = 0; i < parameters.Length; i++)
    {
        parameters[i] *= 0.5f;
    }

    // A Normalization's variance is positive (a negative one has no square root: NEON's max keeps the NaN, x64's does
    // not) and its count a whole number, as Adapt leaves them.
    foreach (RnnCompiler.Weights.LayerDescriptor layer in info.Layers)
    {
        foreach (RnnCompiler.Weights.TensorDescriptor tensor in layer.Tensors)
        {
            for (int i = tensor.Offset; i < tensor.Offset + tensor.Length; i++)
            {
                parameters[i] = tensor.Role switch
                {
                    RnnCompiler.Weights.TensorRole.Variance => MathF.Abs(parameters[i]) + 0.05f,
                    RnnCompiler.Weights.TensorRole.Count => MathF.Round(MathF.Abs(parameters[i]) * 1000),
                    _ => parameters[i],
                };
            }
        }
    }

    parameters.CopyTo(model.Parameters);
    bool ok = true;
    foreach (int steps in new[] { 1, info.SequenceLength / 2 + 1, info.SequenceLength })
    {
        var outputs = new float[info.OutputIsSequence ? steps * info.OutputUnits : info.OutputUnits];
        double[] expected;
        if (info.TakesTokens)
        {
            int[] tokens = TrainingData.Ints(steps, info.InputWidth, seed: steps);
            ((ITokenModel<float>)model).Predict(tokens, outputs);
            expected = NaiveNetwork.Predict(modelCase.Layers, parameters, tokens);
        }
        else
        {
            float[] inputs = TrainingData.Features(steps * info.InputWidth, seed: 100 + steps);
            ((IFeatureModel<float>)model).Predict(inputs, outputs);
            expected = NaiveNetwork.Predict(modelCase.Layers, parameters, inputs, steps);
        }

        for (int i = 0; i < expected.Length; i++)
        {
            ok &= Close(expected[i], outputs[i], 1e-5);
        }
    }

    Check(ok, $"{modelCase.Name}: Predict equals the naive reference within 1e-5");
    if (info.CanStream && !info.TakesTokens)
    {
        int steps = info.SequenceLength;
        float[] inputs = TrainingData.Features(steps * info.InputWidth, seed: 4);
        double[] expected = NaiveNetwork.PredictStreaming(modelCase.Layers, parameters, inputs, steps);
        var streaming = (IFeatureStreamingModel<float>)model;
        streaming.ResetState();
        var output = new float[info.OutputUnits];
        bool streamOk = true;
        for (int t = 0; t < steps; t++)
        {
            streaming.Step(inputs.AsSpan(t * info.InputWidth, info.InputWidth), output);
            for (int k = 0; k < info.OutputUnits; k++)
            {
                streamOk &= Close(expected[t * info.OutputUnits + k], output[k], 1e-5);
            }
        }

        Check(streamOk, $"{modelCase.Name}: Step equals the naive reference within 1e-5");
    }
}

// 2. The matrix kernel on every column count around the vector widths.
for (int columns = 1; columns <= 70; columns++)
{
    bool ok = true;
    foreach (int rows in new[] { 1, 7, 33 })
    {
        int stride = columns + columns % 3;
        float[] x = TrainingData.Features(rows, seed: rows);
        float[] w = TrainingData.Features((rows - 1) * stride + columns, seed: columns);
        float[] y = TrainingData.Features(columns, seed: rows + columns);
        var expected = new double[columns];
        for (int j = 0; j < columns; j++)
        {
            expected[j] = y[j];
            for (int i = 0; i < rows; i++)
            {
                expected[j] += (double)x[i] * w[i * stride + j];
            }
        }

        MatrixKernels.MultiplyAdd<float>(x, w, stride, y);
        for (int j = 0; j < columns; j++)
        {
            ok &= Close(expected[j], y[j], 1e-5);
        }
    }

    Check(ok, $"MultiplyAdd with {columns} columns");
}

// 2b. The bfloat16 kernels (WeightPrecision.BFloat16) against a naive loop over the widened weights, and the rounding.
for (int columns = 1; columns <= 70; columns++)
{
    bool ok = true;
    foreach (int rows in new[] { 1, 7, 33 })
    {
        int stride = columns + columns % 3;
        float[] x = TrainingData.Features(rows, seed: rows);
        float[] values = TrainingData.Features((rows - 1) * stride + columns, seed: columns);
        var w = new ushort[values.Length];
        BFloat16.Round(values, w);
        float[] y = TrainingData.Features(columns, seed: rows + columns);
        float[] projected = new float[columns];
        var expected = new double[columns];
        var expectedProjection = new double[columns];
        for (int j = 0; j < columns; j++)
        {
            expected[j] = y[j];
            for (int i = 0; i < rows; i++)
            {
                expected[j] += (double)x[i] * BFloat16.Widen(w[i * stride + j]);
                expectedProjection[j] += (double)x[i] * BFloat16.Widen(w[i * columns + j]);
            }
        }

        MatrixKernels.MultiplyAdd(x, w, stride, y);
        MatrixKernels.Project(x, 1, rows, w.AsSpan(0, rows * columns), new float[columns], projected);
        float[] affine = new float[columns];
        MatrixKernels.Affine(x, w.AsSpan(0, rows * columns), default, default, new float[columns], affine);
        for (int j = 0; j < columns; j++)
        {
            ok &= Close(expected[j], y[j], 1e-5) && Close(expectedProjection[j], projected[j], 1e-5) && Close(expectedProjection[j], affine[j], 1e-5);
        }
    }

    Check(ok, $"bfloat16 MultiplyAdd, Project and Affine with {columns} columns");
}

Check(BFloat16.Round(BitConverter.UInt32BitsToSingle(0x3F80_8000u)) == 0x3F80 && BFloat16.Round(BitConverter.UInt32BitsToSingle(0x3F81_8000u)) == 0x3F82
    && float.IsNaN(BFloat16.Widen(BFloat16.Round(BitConverter.UInt32BitsToSingle(0x7F80_0001u)))), "bfloat16 rounding: ties to even, NaN kept");

// 2c. The int8 kernels (WeightPrecision.Int8) against a naive quantize-and-multiply written here from the rule, bit for
// bit (integer sums are exact on every path: NEON's sdot here), and int8 models against the naive reference whose
// products follow the same rule, with Step equal to Predict.
{
    bool ok = true;
    foreach ((int rows, int columns) in new[] { (1, 1), (5, 9), (33, 40), (64, 512), (130, 300), (7, 1000) })
    {
        float[] w = TrainingData.Features(rows * columns, seed: rows + columns);
        float[] x = TrainingData.Features(rows, seed: rows);
        float[] y = TrainingData.Features(columns, seed: columns);
        var packed = new byte[Int8Matrix.Size(rows, columns)];
        Int8Matrix.Quantize(w, rows, columns, columns, packed);
        float xLargest = 0f;
        foreach (float v in x)
        {
            xLargest = Math.Max(xLargest, Math.Abs(v));
        }

        var expected = new float[columns];
        for (int j = 0; j < columns; j++)
        {
            float largest = 0f;
            for (int i = 0; i < rows; i++)
            {
                largest = Math.Max(largest, Math.Abs(w[i * columns + j]));
            }

            float scale = largest / 127f;
            long sum = 0;
            for (int i = 0; i < rows; i++)
            {
                long q = largest == 0f ? 0 : (long)MathF.Round(w[i * columns + j] / scale);
                sum += q * (long)MathF.Round(x[i] * (127f / xLargest));
            }

            expected[j] = y[j] + ((float)sum * ((xLargest / 127f) * scale));
        }

        MatrixKernels.MultiplyAdd(x, packed, y);
        for (int j = 0; j < columns; j++)
        {
            ok &= expected[j] == y[j];
        }
    }

    Check(ok, "int8 MultiplyAdd equals the naive quantized product bit for bit");

    foreach ((string name, IRnnModel<float> model, RefLayer[] layers) in new (string, IRnnModel<float>, RefLayer[])[]
    {
        ("Int8Lstm64x128x10", new Int8Lstm64x128x10(), new RefLayer[] { new RefInput(64), new RefLstm(128), new RefDense(10) }),
        ("Int8SimpleGruStack", new Int8SimpleGruStack(), new RefLayer[] { new RefInput(5), new RefSimpleRnn(13, ReturnSequences: true), new RefGru(7, ResetAfter: false, ReturnSequences: true), new RefDense(3, RefActivation.Tanh) }),
        ("Int8Gru1x32x1", new Int8Gru1x32x1(), new RefLayer[] { new RefInput(1), new RefGru(32), new RefDense(1) }),
    })
    {
        ModelInfo info = model.Info;
        model.InitializeWeights(7);
        float[] parameters = model.Parameters.ToArray();
        int steps = info.SequenceLength;
        float[] inputs = TrainingData.Features(steps * info.InputWidth, seed: 5);
        var outputs = new float[info.OutputIsSequence ? steps * info.OutputUnits : info.OutputUnits];
        ((IFeatureModel<float>)model).Predict(inputs, outputs);
        NaiveNetwork.QuantizeProducts = true;
        double[] expected = NaiveNetwork.Predict(layers, parameters, inputs, steps);
        NaiveNetwork.QuantizeProducts = false;
        double difference = 0, scale = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            difference = Math.Max(difference, Math.Abs(outputs[i] - expected[i]));
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }

        Check(difference <= 5e-3 * scale, $"{name} Predict against the naive int8 reference ({difference / scale:E1})");
        var stepped = new float[info.OutputUnits];
        var streaming = (IFeatureStreamingModel<float>)model;
        streaming.ResetState();
        bool same = true;
        for (int t = 0; t < steps; t++)
        {
            streaming.Step(inputs.AsSpan(t * info.InputWidth, info.InputWidth), stepped);
            for (int j = 0; info.OutputIsSequence && j < info.OutputUnits; j++)
            {
                same &= stepped[j] == outputs[t * info.OutputUnits + j];
            }
        }

        for (int j = 0; !info.OutputIsSequence && j < info.OutputUnits; j++)
        {
            same &= stepped[j] == outputs[j];
        }

        Check(same, $"{name} Step equals Predict bit for bit");
    }
}

// 3. Sigmoid and tanh, vector and scalar, against System.Math over a sweep (absolute 1e-6 as the issue states).
{
    const int Count = 20_001;
    var values = new float[Count];
    for (int i = 0; i < Count; i++)
    {
        values[i] = -40f + 80f * i / (Count - 1);
    }

    float[] sigmoid = (float[])values.Clone();
    float[] tanh = (float[])values.Clone();
    Activations.Apply(Activation.Sigmoid, sigmoid.AsSpan());
    Activations.Apply(Activation.Tanh, tanh.AsSpan());
    bool ok = true;
    for (int i = 0; i < Count; i++)
    {
        ok &= Math.Abs(sigmoid[i] - 1 / (1 + Math.Exp(-values[i]))) <= 1e-6;
        ok &= Math.Abs(tanh[i] - Math.Tanh(values[i])) <= 1e-6;
    }

    // Sixteen values (every vector width, not only the one-lane tail): NaN, ±∞ and beyond the clamps, both functions.
    float[] inputs = { float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e30f, -1e30f, 0.5f, float.NaN, -0f,
        200f, -200f, float.NaN, 3f, -3f, float.NaN, 1e-30f, float.NaN };
    float[] tanhs = (float[])inputs.Clone();
    float[] sigmoids = (float[])inputs.Clone();
    Activations.Apply(Activation.Tanh, tanhs.AsSpan());
    Activations.Apply(Activation.Sigmoid, sigmoids.AsSpan());
    for (int i = 0; i < inputs.Length; i++)
    {
        float x = inputs[i];
        ok &= float.IsNaN(x)
            ? float.IsNaN(tanhs[i]) && float.IsNaN(sigmoids[i])
            : Math.Abs(tanhs[i] - Math.Tanh(x)) <= 1e-6 && Math.Abs(sigmoids[i] - 1 / (1 + Math.Exp(-(double)x))) <= 1e-6;
    }
    Check(ok, "sigmoid and tanh within 1e-6 of System.Math, NaN and infinities kept");
}

// 4. Every gradient of the double-precision training models against central finite differences.
CheckGradients(new GradSimpleRnnMse(), 5, 1);
CheckGradients(new GradLstmSparse(), 6, 2);
CheckGradients(new GradGruBinary(), 4, 3);
CheckGradients(new GradDenseFirstMae(), 3, 5);
CheckGradients(new GradLstmLogits(), 4, 7);
CheckGradients(new GradGruSequenceLogits(), 5, 8);
CheckGradients(new GradSoftmaxMse(), 3, 10);

void CheckGradients<TTarget>(ITrainableModel<double, double, TTarget> model, int steps, int seed)
    where TTarget : unmanaged
{
    int sequences = model.Training.BatchSize;
    double[] inputs = TrainingData.Doubles(sequences * steps * model.Info.InputWidth, seed, 1.0);
    int rows = sequences * TrainingData.RowsPerSequence(model.Info, steps);
    TTarget[] targets = typeof(TTarget) == typeof(int)
        ? (TTarget[])(object)TrainingData.Ints(rows, model.Info.OutputUnits, seed + 100)
        : (TTarget[])(object)TrainingData.Targets(model.Training.Loss, rows, model.Info.OutputUnits, seed + 100);
    Span<double> parameters = model.Parameters;
    TrainingData.Doubles(parameters.Length, seed + 200, 0.5).CopyTo(parameters);
    model.ComputeGradients(inputs, targets, sequences);
    double[] gradients = model.Gradients.ToArray();
    bool ok = true;
    for (int i = 0; i < parameters.Length; i++)
    {
        double saved = parameters[i];
        parameters[i] = saved + 1e-5;
        double plus = model.Evaluate(inputs, targets, sequences).Loss;
        parameters[i] = saved - 1e-5;
        double minus = model.Evaluate(inputs, targets, sequences).Loss;
        parameters[i] = saved;
        double numeric = (plus - minus) / 2e-5;
        ok &= Math.Abs(gradients[i] - numeric) <= 1e-6 * Math.Max(Math.Abs(gradients[i]), Math.Abs(numeric)) + 1e-9;
    }

    Check(ok, $"{model.GetType().Name}: every gradient within 1e-6 of central finite differences");
}

// 5. Packed batches, masks and dropout on this machine's vectors: a padded sequence trains exactly as it does alone, and
// a packed batch with per-gate recurrent dropout passes central finite differences of its loss (masks fixed).
{
    var masked = new MaskedTokenClassifier();
    TrainingData.Doubles(masked.Parameters.Length, 300, 0.5).CopyTo(masked.Parameters);
    int[] alone = [3, 7, 1, 9, 4];
    int[] padded = [0, 0, 3, 7, 0, 1, 9, 4];
    double aloneLoss = masked.ComputeGradients(alone, [2], 1);
    double[] aloneGradients = masked.Gradients.ToArray();
    bool exact = masked.ComputeGradients(padded, [2], 1) == aloneLoss && masked.Gradients.ToArray().AsSpan().SequenceEqual(aloneGradients);
    Check(exact, "MaskedTokenClassifier: a padded sequence's loss and gradients are exactly its own alone");

    var dropout = new MaskedRecurrentDropout();
    int[] tokens = [0, 0, 3, 5, 1, 8, 2, 0, 7, 4, 6, 0, 0, 0, 2];
    int[] labels = [1, 0, 2];
    Span<double> parameters = dropout.Parameters;
    TrainingData.Doubles(parameters.Length, 301, 0.5).CopyTo(parameters);
    dropout.ComputeGradients(tokens, labels, 3);
    double[] gradients = dropout.Gradients.ToArray();
    bool ok = true;
    for (int i = 0; i < parameters.Length; i++)
    {
        double saved = parameters[i];
        parameters[i] = saved + 1e-5;
        double plus = dropout.ComputeGradients(tokens, labels, 3);
        parameters[i] = saved - 1e-5;
        double minus = dropout.ComputeGradients(tokens, labels, 3);
        parameters[i] = saved;
        double numeric = (plus - minus) / 2e-5;
        ok &= Math.Abs(gradients[i] - numeric) <= 1e-6 * Math.Max(Math.Abs(gradients[i]), Math.Abs(numeric)) + 1e-9;
    }

    Check(ok, "MaskedRecurrentDropout: every gradient of a packed batch with dropout within 1e-6 of central finite differences");
}

Console.WriteLine($"{(failures.Count == 0 ? "Passed!" : "Failed!")}  - Failed: {failures.Count,5}, Passed: {passed,5}, Skipped:     0, Total: {passed + failures.Count,5} - RnnCompiler.NumericCheck ({System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture})");
return failures.Count == 0 ? 0 : 1;
