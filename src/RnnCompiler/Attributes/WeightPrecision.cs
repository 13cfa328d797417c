namespace RnnCompiler;

/// <summary>How a generated model stores the weights its <c>Predict</c> and <c>Step</c> read.</summary>
public enum WeightPrecision
{
    /// <summary>In the model's element type (<see cref="Precision"/>): the default.</summary>
    Float = 0,

    /// <summary>
    /// Inference with bfloat16 matrices: every kernel and recurrent kernel is also held as bfloat16 (the upper 16 bits
    /// of a float, rounded to nearest even), and the matrix products read those and widen them to float in registers.
    /// That halves the bytes each step reads; arithmetic, biases, states and outputs stay float. The weights keep 8
    /// significant bits, so outputs differ from the float model by about 1e-3 relative (the tests hold the benchmark
    /// models to 1e-2). Float (single) precision models only, and not with <see cref="TrainAttribute"/>.
    /// </summary>
    BFloat16 = 1,

    /// <summary>
    /// Inference with int8 matrices: every kernel and recurrent kernel is also held quantized to int8, symmetric with one
    /// scale per output column (its largest magnitude over 127), a quarter of the float bytes. Each matrix product
    /// quantizes its input row on the fly (one scale per row), sums in 32-bit integers with the machine's int8 dot
    /// product where .NET exposes it (AVX-VNNI on x64, the NEON dot product on arm64; a widening multiply-add elsewhere,
    /// with the same results), and scales the sums back to float; biases, states, activations and outputs stay float.
    /// Outputs differ from the float model by about 1e-2 relative. Float (single) precision models only, and not with
    /// <see cref="TrainAttribute"/>.
    /// </summary>
    Int8 = 2,
}
