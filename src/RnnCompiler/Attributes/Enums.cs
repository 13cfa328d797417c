namespace RnnCompiler;

/// <summary>An element-wise activation function, named as in Keras.</summary>
public enum Activation
{
    /// <summary>The identity, <c>f(x) = x</c> (Keras <c>"linear"</c>).</summary>
    Linear = 0,

    /// <summary>The hyperbolic tangent (Keras <c>"tanh"</c>).</summary>
    Tanh = 1,

    /// <summary>The logistic function <c>1 / (1 + e^-x)</c> (Keras <c>"sigmoid"</c>).</summary>
    Sigmoid = 2,

    /// <summary>The rectifier <c>max(0, x)</c> (Keras <c>"relu"</c>).</summary>
    Relu = 3,

    /// <summary>The normalized exponential over the units of one step (Keras <c>"softmax"</c>); Dense layers only.</summary>
    Softmax = 4,

    /// <summary>
    /// The piecewise linear sigmoid of Keras 3 and PyTorch (<c>Hardsigmoid</c>): <c>clip(x / 6 + 1/2, 0, 1)</c>,
    /// computed as Keras 3 computes it, <c>relu6(x + 3) / 6</c> (Keras 3 <c>"hard_sigmoid"</c>).
    /// </summary>
    HardSigmoid = 5,

    /// <summary>
    /// The piecewise linear sigmoid of Keras 2 and tf.keras: <c>clip(0.2 · x + 0.5, 0, 1)</c>, steeper than
    /// <see cref="HardSigmoid"/>. What a file written by Keras 2 means by <c>"hard_sigmoid"</c>, the default
    /// <c>recurrent_activation</c> of LSTM and GRU before Keras 2.3.
    /// </summary>
    HardSigmoidKeras2 = 6,
}

/// <summary>How a bidirectional layer combines its forward and backward outputs (Keras <c>Bidirectional(merge_mode=...)</c>).</summary>
public enum MergeMode
{
    /// <summary>Forward then backward output, side by side: twice the units (Keras <c>"concat"</c>).</summary>
    Concat = 0,

    /// <summary>The element-wise sum (Keras <c>"sum"</c>).</summary>
    Sum = 1,

    /// <summary>The element-wise product (Keras <c>"mul"</c>).</summary>
    Multiply = 2,

    /// <summary>The element-wise mean (Keras <c>"ave"</c>).</summary>
    Average = 3,
}

/// <summary>How an attention layer scores a query against each position of the memory it attends to.</summary>
public enum AttentionScore
{
    /// <summary>
    /// Dot-product (Luong) attention, Keras's <c>Attention()</c>: <c>score = query·key</c>, times a learned scalar
    /// <c>scale</c> with Keras's <c>use_scale=True</c>.
    /// </summary>
    Dot = 0,

    /// <summary>
    /// Additive (Bahdanau) attention, Keras's <c>AdditiveAttention()</c>: <c>score = Σ_d scale_d · tanh(query_d + key_d)</c>,
    /// with a learned vector <c>scale</c> of the query's width (Keras's default <c>use_scale=True</c>), or 1 in every place.
    /// </summary>
    Additive = 1,

    /// <summary>
    /// Keras's <c>Attention(score_mode="concat")</c>: <c>score = w · Σ_d tanh(c · (query_d + key_d))</c>, with the learned
    /// scalar <c>concat_score_weight</c> w and, with <c>use_scale=True</c>, the learned scalar <c>scale</c> c (else 1).
    /// </summary>
    Concat = 2,

    /// <summary>
    /// Luong's general attention: <c>score = query·W·key</c> with a learned matrix <c>W</c> [query width, key width]
    /// (<c>kernel</c>), which lets query and key differ in width; Keras writes it as <c>Dense(use_bias=False)</c> on the
    /// query before <c>Attention()</c>.
    /// </summary>
    General = 3,
}
