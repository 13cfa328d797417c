using System;

namespace RnnCompiler;

/// <summary>The first layer of a model whose steps are float vectors: <c>Predict</c> takes [steps, features] floats.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class InputAttribute : Attribute
{
    /// <summary>Declares an input of <paramref name="features"/> floats per time step.</summary>
    /// <param name="features">The number of floats in one step; at least 1.</param>
    public InputAttribute(int features) => Features = features;

    /// <summary>The number of floats in one time step.</summary>
    public int Features { get; }
}

/// <summary>
/// Keras's <c>Normalization(axis=-1)</c>, directly after <c>[Input(features)]</c>: each feature becomes
/// <c>(x - mean) / max(sqrt(variance), 1e-7)</c>, so the model takes raw values. The mean [features] and variance
/// [features] (and Keras's scalar <c>count</c>) are weights that training never changes: the generated <c>Adapt</c>
/// computes them from data as Keras's <c>adapt</c> does, and the weight files save and load them under Keras's names.
/// They start at mean 0 and variance 1, which leaves the input as it is.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class NormalizationAttribute : Attribute
{
}

/// <summary>
/// The first layer of a model whose steps are token ids (Keras <c>Embedding</c>): each id in
/// [0, <see cref="VocabularySize"/>) selects a row of a [vocabulary, dimensions] table.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class EmbeddingAttribute : Attribute
{
    /// <summary>Declares an embedding table.</summary>
    /// <param name="vocabularySize">The number of distinct token ids; at least 1.</param>
    /// <param name="dimensions">The length of each token's vector; at least 1.</param>
    public EmbeddingAttribute(int vocabularySize, int dimensions)
    {
        VocabularySize = vocabularySize;
        Dimensions = dimensions;
    }

    /// <summary>The number of distinct token ids.</summary>
    public int VocabularySize { get; }

    /// <summary>The length of each token's vector.</summary>
    public int Dimensions { get; }

    /// <summary>
    /// Keras's <c>mask_zero</c>: when true, token 0 is padding. A step with token 0 is masked: every recurrent layer keeps
    /// its state through it, and losses and metrics leave it out, so sequences of different lengths can share a batch
    /// padded with zeros, before or after their real tokens. Token 0 then means nothing else.
    /// </summary>
    public bool MaskZero { get; set; }
}

/// <summary>
/// Keras's <c>Dropout(rate)</c>: while training, each value is dropped (set to 0) with probability <see cref="Rate"/>
/// and the rest are scaled by <c>1 / (1 - rate)</c>, with a new mask every update; <c>Predict</c>, <c>Step</c> and
/// <c>Evaluate</c> pass the values through unchanged. The masks are reproducible: the same seed, weights and batches give
/// the same training bit for bit. It holds no weights; it cannot be the last layer.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DropoutAttribute : Attribute
{
    /// <summary>Declares the fraction of values dropped while training.</summary>
    /// <param name="rate">In [0, 1): 0.2 drops one value in five.</param>
    public DropoutAttribute(double rate) => Rate = rate;

    /// <summary>The fraction of values dropped while training.</summary>
    public double Rate { get; }
}

/// <summary>
/// Keras's <c>RepeatVector(n)</c>: the one vector per sequence that the layer before it returns (an encoder's last
/// output), repeated as the input of each of <see cref="Steps"/> steps, so the layers after it run over a sequence of
/// that many steps whatever the input's length: Keras's <c>addition_rnn</c> encoder-decoder, and one-to-many models.
/// It holds no weights; a model repeats once, after a layer that returns one vector per sequence.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class RepeatVectorAttribute : Attribute
{
    /// <summary>Declares how many steps the layers after it run over.</summary>
    /// <param name="steps">The output sequence's steps, at least 1: 4 for the three digits and the end of a sum.</param>
    public RepeatVectorAttribute(int steps) => Steps = steps;

    /// <summary>The steps of the sequence the layers after it run over (Keras's <c>n</c>).</summary>
    public int Steps { get; }
}

/// <summary>
/// The start of an encoder-decoder model's decoder: the layers before it (the encoder) read the source tokens, and the
/// layers after it (the decoder) write the target, one token per step, up to <see cref="MaxLength"/> steps. It holds the
/// target side's embedding table (Keras's second <c>Embedding</c>, [vocabularySize, dimensions]); the recurrent layer
/// after it starts from the encoder's final state (h, and c for an LSTM), as Keras's <c>initial_state</c> hands it over,
/// or, after a <c>[Dense]</c> (a bridge, or a feature vector's projection), from its output as h and a zero c.
/// Training reads the target tokens and feeds the decoder <see cref="StartToken"/> then each target token in turn
/// (teacher forcing); <c>Predict</c> and <c>Decode</c> feed back the most likely token (greedy decoding) until
/// <see cref="EndToken"/> or <see cref="MaxLength"/> steps.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DecoderAttribute : Attribute
{
    /// <summary>Declares the target vocabulary and the width of its embedding.</summary>
    /// <param name="vocabularySize">The target tokens, [0, vocabularySize): the last Dense layer's units.</param>
    /// <param name="dimensions">The width of a target token's embedding row.</param>
    public DecoderAttribute(int vocabularySize, int dimensions)
    {
        VocabularySize = vocabularySize;
        Dimensions = dimensions;
    }

    /// <summary>The number of target tokens.</summary>
    public int VocabularySize { get; }

    /// <summary>The width of a target token's embedding row.</summary>
    public int Dimensions { get; }

    /// <summary>The most tokens the decoder writes, its end token included (the model's <c>OutputSteps</c>).</summary>
    public int MaxLength { get; set; }

    /// <summary>The token the decoder reads at its first step; 1 by default.</summary>
    public int StartToken { get; set; } = 1;

    /// <summary>The token that ends a target; 2 by default.</summary>
    public int EndToken { get; set; } = 2;

    /// <summary>The widest beam <c>Decode</c> searches with (its buffers hold that many decoder states); 4 by default.</summary>
    public int BeamWidth { get; set; } = 4;

    /// <summary>
    /// When true, the target steps after each target's first <see cref="EndToken"/> are padding: they count in no loss,
    /// accuracy or gradient, as Keras leaves masked steps out, so targets of different lengths share a batch whatever
    /// they are padded with. When false (the default) every one of the <see cref="MaxLength"/> steps counts.
    /// </summary>
    public bool MaskAfterEnd { get; set; }
}

/// <summary>
/// Attention of each decoder step over the encoder's outputs, after the decoder's last recurrent layer: the step's
/// output scores every real step of the source, the softmax of the scores weighs the encoder's outputs into a context,
/// and the step's output joined to its context, <c>[output, context]</c>, goes on to the output layer (Luong's form;
/// Keras's <c>Attention()</c> or <c>AdditiveAttention()</c> on <c>[decoder_outputs, encoder_outputs]</c> then
/// <c>Concatenate()</c>). The encoder's last recurrent layer returns its sequence (<c>ReturnSequences = true</c>) and
/// still hands its final state to the decoder. The weights of the last decoded target can be read back
/// (<c>CopyAttentionWeights</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AttentionAttribute : Attribute
{
    /// <summary>Declares the attention and how it scores.</summary>
    /// <param name="score">Dot (Luong, Keras's <c>Attention()</c>; the default), General (Luong, a learned matrix) or Additive (Bahdanau, Keras's <c>AdditiveAttention()</c>).</param>
    public AttentionAttribute(AttentionScore score = AttentionScore.Dot) => Score = score;

    /// <summary>How a decoder step's output is scored against each encoder output.</summary>
    public AttentionScore Score { get; }
}

/// <summary>
/// Keras's <c>Masking(mask_value)</c>: a step whose every feature equals <see cref="MaskValue"/> is masked, so that
/// float sequences of different lengths can share a batch padded with that value. Every recurrent layer keeps its state
/// through a masked step, and losses and metrics leave it out. It holds no weights and comes directly after <c>[Input]</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MaskingAttribute : Attribute
{
    /// <summary>Declares the mask value (Keras's default is 0).</summary>
    /// <param name="maskValue">The value that marks a padded step in every feature; a finite number.</param>
    public MaskingAttribute(double maskValue = 0) => MaskValue = maskValue;

    /// <summary>The value that marks a padded step in every feature.</summary>
    public double MaskValue { get; }
}

/// <summary>What every recurrent layer attribute shares: sequence output and the bidirectional wrapper.</summary>
public abstract class RecurrentLayerAttribute : Attribute
{
    /// <summary>Creates a recurrent layer of <paramref name="units"/> units.</summary>
    /// <param name="units">The size of the hidden state; at least 1.</param>
    protected RecurrentLayerAttribute(int units) => Units = units;

    /// <summary>The size of the hidden state.</summary>
    public int Units { get; }

    /// <summary>
    /// Keras's <c>dropout</c>: while training, the fraction of the layer's input features dropped, with one mask per
    /// sequence that holds for every step and every gate (Keras's default <c>implementation=2</c>), scaled by
    /// <c>1 / (1 - rate)</c>; a new mask every update. 0 (the default) drops nothing; it must be below 1.
    /// </summary>
    public double Dropout { get; set; }

    /// <summary>
    /// Keras's <c>recurrent_dropout</c>: while training, the fraction of the state's units dropped where each step reads
    /// the state, with a mask per gate and sequence that holds for every step, scaled by <c>1 / (1 - rate)</c>. As in
    /// Keras (its <c>implementation=1</c>), an LSTM's or GRU's <see cref="Dropout"/> then draws a mask per gate too.
    /// 0 (the default) drops nothing; it must be below 1.
    /// </summary>
    public double RecurrentDropout { get; set; }

    /// <summary>
    /// When true the layer outputs its hidden state at every step ([steps, units], many-to-many);
    /// when false (the default) only after the last step ([units], many-to-one), as Keras's <c>return_sequences</c>.
    /// </summary>
    public bool ReturnSequences { get; set; }

    /// <summary>When true the layer also runs backwards over the sequence, with its own weights (Keras's <c>Bidirectional</c> wrapper).</summary>
    public bool Bidirectional { get; set; }

    /// <summary>How a bidirectional layer combines its two directions; <see cref="MergeMode.Concat"/> by default.</summary>
    public MergeMode MergeMode { get; set; }
}

/// <summary>A fully connected recurrent layer (Keras <c>SimpleRNN</c>): <c>h[t] = activation(x[t]·kernel + h[t-1]·recurrent_kernel + bias)</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SimpleRnnAttribute : RecurrentLayerAttribute
{
    /// <summary>Creates a SimpleRNN layer.</summary>
    /// <param name="units">The size of the hidden state; at least 1.</param>
    public SimpleRnnAttribute(int units) : base(units) { }

    /// <summary>The activation of the hidden state; <see cref="Activation.Tanh"/> by default. Softmax is not allowed.</summary>
    public Activation Activation { get; set; } = Activation.Tanh;
}

/// <summary>A long short-term memory layer (Keras <c>LSTM</c>), gates in the order i, f, c, o.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LstmAttribute : RecurrentLayerAttribute
{
    /// <summary>Creates an LSTM layer.</summary>
    /// <param name="units">The size of the hidden and cell state; at least 1.</param>
    public LstmAttribute(int units) : base(units) { }

    /// <summary>
    /// Keras's <c>unit_forget_bias</c>: when true (the default, as in Keras) the forget gate's bias starts at 1, so the
    /// layer starts out keeping its memory; when false it starts at 0, as PyTorch's <c>nn.LSTM</c> does.
    /// <see cref="KeepGateBias"/>, when set, takes its place.
    /// </summary>
    public bool UnitForgetBias { get; set; } = true;

    /// <summary>
    /// The starting bias of the forget gate, for tasks whose memory must last longer than Keras's initialization
    /// carries it (sigmoid(1) = 0.73 per step). For example 3 keeps sigmoid(3) = 0.95 per step, a time constant of
    /// about 20 steps. Not set (NaN), <see cref="UnitForgetBias"/> decides. Any finite value.
    /// </summary>
    public double KeepGateBias { get; set; } = double.NaN;

    /// <summary>
    /// Keras's <c>activation</c>: of the candidate g and of the cell in <c>h = o ⊙ activation(c)</c>;
    /// <see cref="Activation.Tanh"/> by default. Softmax is not allowed.
    /// </summary>
    public Activation Activation { get; set; } = Activation.Tanh;

    /// <summary>
    /// Keras's <c>recurrent_activation</c>: of the gates i, f and o; <see cref="Activation.Sigmoid"/> by default.
    /// Files written by Keras before 2.3 use <see cref="Activation.HardSigmoidKeras2"/>. Softmax is not allowed.
    /// </summary>
    public Activation RecurrentActivation { get; set; } = Activation.Sigmoid;
}

/// <summary>A gated recurrent unit layer (Keras <c>GRU</c>), gates in the order z, r, h.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GruAttribute : RecurrentLayerAttribute
{
    /// <summary>Creates a GRU layer.</summary>
    /// <param name="units">The size of the hidden state; at least 1.</param>
    public GruAttribute(int units) : base(units) { }

    /// <summary>
    /// When true (the default, as in Keras and PyTorch) the reset gate applies after the recurrent product and the
    /// layer has separate input and recurrent biases ([2, 3 × units]); when false, before it, with one bias [3 × units].
    /// </summary>
    public bool ResetAfter { get; set; } = true;

    /// <summary>
    /// The starting bias of the update gate z (in the input bias row), which keeps the previous state:
    /// <c>h = z⊙h[t-1] + (1 - z)⊙candidate</c>. Not set (NaN), it is 0 as in Keras and PyTorch; for example 3 keeps
    /// sigmoid(3) = 0.95 per step, a memory time constant of about 20 steps at the start of training. Any finite value.
    /// </summary>
    public double KeepGateBias { get; set; } = double.NaN;

    /// <summary>Keras's <c>activation</c>: of the candidate ĥ; <see cref="Activation.Tanh"/> by default. Softmax is not allowed.</summary>
    public Activation Activation { get; set; } = Activation.Tanh;

    /// <summary>
    /// Keras's <c>recurrent_activation</c>: of the gates z and r; <see cref="Activation.Sigmoid"/> by default.
    /// Files written by Keras before 2.3 use <see cref="Activation.HardSigmoidKeras2"/>. Softmax is not allowed.
    /// </summary>
    public Activation RecurrentActivation { get; set; } = Activation.Sigmoid;
}

/// <summary>
/// A fully connected layer (Keras <c>Dense</c>): <c>y = activation(x·kernel + bias)</c>. Applied to a sequence
/// (directly after the input, or after a layer that returns sequences) it runs at every step, as Keras's
/// <c>TimeDistributed(Dense)</c>, and its output is again a sequence.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DenseAttribute : Attribute
{
    /// <summary>Creates a dense layer.</summary>
    /// <param name="units">The number of outputs; at least 1.</param>
    public DenseAttribute(int units) => Units = units;

    /// <summary>The number of outputs.</summary>
    public int Units { get; }

    /// <summary>The activation; <see cref="Activation.Linear"/> by default.</summary>
    public Activation Activation { get; set; }
}
