using System;

namespace RnnCompiler;

/// <summary>A training loss, named and defined as in Keras.</summary>
public enum Loss
{
    /// <summary>Cross-entropy against a class id per sequence (or per step): <c>-log p[label]</c>, averaged.</summary>
    SparseCategoricalCrossentropy = 0,

    /// <summary>Cross-entropy against a probability vector per sequence (or per step): <c>-Σ y log p</c>, averaged.</summary>
    CategoricalCrossentropy = 1,

    /// <summary>Binary cross-entropy per unit, averaged over units and then sequences (and steps).</summary>
    BinaryCrossentropy = 2,

    /// <summary>Mean squared error, averaged over units and then sequences (and steps).</summary>
    MeanSquaredError = 3,

    /// <summary>Mean absolute error, averaged over units and then sequences (and steps).</summary>
    MeanAbsoluteError = 4,
}

/// <summary>An optimizer with Keras's defaults.</summary>
public enum Optimizer
{
    /// <summary>Stochastic gradient descent, optionally with momentum and Nesterov momentum.</summary>
    Sgd = 0,

    /// <summary>Adam (beta1 0.9, beta2 0.999, epsilon 1e-7 unless set).</summary>
    Adam = 1,

    /// <summary>RMSprop (rho 0.9, epsilon 1e-7 unless set).</summary>
    RmsProp = 2,
}

/// <summary>The floating-point type of a generated model's weights and activations.</summary>
public enum Precision
{
    /// <summary>32-bit floats (the default).</summary>
    Single = 0,

    /// <summary>64-bit doubles: for users who need them, and for exact gradient checks.</summary>
    Double = 1,
}

/// <summary>
/// Makes the generator emit training for the model: exact backpropagation through time fused with the loss and the
/// optimizer (<c>TrainBatch</c>, <c>ComputeGradients</c>, <c>Evaluate</c>, checkpoints). Without it no training code is
/// emitted. Defaults are Keras's.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class TrainAttribute : Attribute
{
    /// <summary>The loss; SparseCategoricalCrossentropy by default.</summary>
    public Loss Loss { get; set; }

    /// <summary>True when the model's output is logits (a Linear last layer) and the loss applies softmax or sigmoid itself, as Keras's <c>from_logits</c>.</summary>
    public bool FromLogits { get; set; }

    /// <summary>The optimizer; Adam by default.</summary>
    public Optimizer Optimizer { get; set; } = Optimizer.Adam;

    /// <summary>The learning rate; 0.001 by default (Keras's default for Adam and RMSprop; SGD's is 0.01).</summary>
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>The most sequences in one batch; buffers are sized for it. 32 by default.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>SGD momentum (0 by default).</summary>
    public double Momentum { get; set; }

    /// <summary>SGD Nesterov momentum (false by default).</summary>
    public bool Nesterov { get; set; }

    /// <summary>Adam's beta1 (0.9 by default).</summary>
    public double Beta1 { get; set; } = 0.9;

    /// <summary>Adam's beta2 (0.999 by default).</summary>
    public double Beta2 { get; set; } = 0.999;

    /// <summary>RMSprop's rho (0.9 by default).</summary>
    public double Rho { get; set; } = 0.9;

    /// <summary>Adam's and RMSprop's epsilon (1e-7 by default).</summary>
    public double Epsilon { get; set; } = 1e-7;

    /// <summary>When positive, each weight tensor's gradient is scaled down to at most this L2 norm (Keras's <c>clipnorm</c>).</summary>
    public double ClipNorm { get; set; }

    /// <summary>When positive, all gradients together are scaled down to at most this L2 norm (Keras's <c>global_clipnorm</c>: scaled by limit / norm when the norm is larger; PyTorch's <c>clip_grad_norm_</c> divides by the norm plus 1e-6).</summary>
    public double GlobalClipNorm { get; set; }

    /// <summary>When positive, every gradient element is clipped to [-ClipValue, ClipValue] (Keras's <c>clipvalue</c>).</summary>
    public double ClipValue { get; set; }

    /// <summary>
    /// When true the final state of each batch row is the initial state of the same row in the next batch, until
    /// <c>ResetState()</c> (truncated BPTT, Keras's <c>stateful=True</c>). Not with bidirectional layers.
    /// </summary>
    public bool Stateful { get; set; }

    /// <summary>
    /// The number of threads a training batch runs on (<c>TrainBatch</c>, <c>ComputeGradients</c>, <c>Evaluate</c>);
    /// 1 to 64, and not more than <see cref="BatchSize"/>. 1, or 0 (the default), runs the batch on the calling thread.
    /// </summary>
    /// <remarks>
    /// <para>With N &gt; 1 the sequences of each batch are split into N fixed contiguous shares (share k takes sequences
    /// [k·n/N, (k+1)·n/N) of a batch of n). Each share runs on its own thread with its own working memory and its own
    /// gradient buffer; then the shares' losses and gradients are summed in a fixed order (share 0, then 1, ...). So
    /// the result depends only on the data and N, never on thread timing: the same batch gives bit-identical results
    /// from run to run. The calling thread runs a share itself; the others run on the process's batch helper threads
    /// (background threads created once, at most one fewer than the processors), and nothing is allocated per batch.</para>
    /// <para>Because the sums are grouped differently, the loss and gradients with N &gt; 1 can differ from those with
    /// N = 1 by rounding (a few units in the last place), and two values of N can differ from each other the same way.</para>
    /// <para>Each share needs its own working memory and gradients: the model holds N copies of them (the summary's
    /// memory figure includes them). Stateful training works too: each batch row's carried state belongs to the share
    /// that runs the row.</para>
    /// </remarks>
    public int Parallelism { get; set; }

    /// <summary>
    /// Which masks the model's dropouts draw (<c>[Dropout]</c>, <c>Dropout</c>, <c>RecurrentDropout</c>), as Keras's
    /// <c>seed</c>: the same seed, weights and batches train the same bit for bit; another seed draws other masks. 0 by default.
    /// </summary>
    public int DropoutSeed { get; set; }
}
