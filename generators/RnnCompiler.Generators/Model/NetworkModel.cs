using RnnCompiler.Generators.Layers;
using RnnCompiler.Generators.WeightFiles;

namespace RnnCompiler.Generators.Model;

/// <summary>
/// One layer of a valid network with every shape resolved: what the emitter, the summary and the documentation read.
/// </summary>
/// <param name="Kind">The layer kind; <see cref="Descriptor"/> knows everything about it.</param>
/// <param name="Name">Keras's default name (<c>lstm_1</c>; <c>bidirectional</c> for a wrapped layer).</param>
/// <param name="InnerName">The wrapped layer's Keras name inside a bidirectional wrapper, else <paramref name="Name"/>.</param>
/// <param name="Identifier">A C# identifier made of the name (<c>Lstm1</c>).</param>
/// <param name="InputWidth">Floats per step coming in (for Embedding, the vocabulary size).</param>
/// <param name="Units">Units (for Embedding, the dimensions).</param>
/// <param name="OutputWidth">Floats per step going out (twice the units for a concatenated bidirectional layer).</param>
/// <param name="InputIsSequence">Whether the layer reads a sequence.</param>
/// <param name="OutputIsSequence">Whether the layer writes a sequence.</param>
/// <param name="Activation">The activation of a Dense or SimpleRnn layer; an LSTM's or GRU's <c>activation</c> (candidate and cell).</param>
/// <param name="Bidirectional">Whether the layer also runs backwards, with its own weights.</param>
/// <param name="MergeMode">How a bidirectional layer merges its directions.</param>
/// <param name="ResetAfter">For a GRU, Keras's <c>reset_after</c>.</param>
/// <param name="Offset">Where the layer's weights start in the flat parameter vector.</param>
/// <param name="ParameterCount">How many weights it holds.</param>
internal sealed record LayerModel(
    LayerKind Kind,
    string Name,
    string InnerName,
    string Identifier,
    int InputWidth,
    int Units,
    int OutputWidth,
    bool InputIsSequence,
    bool OutputIsSequence,
    ActivationKind Activation,
    bool Bidirectional,
    MergeKind MergeMode,
    bool ResetAfter,
    int Offset,
    int ParameterCount)
{
    /// <summary>What the generator knows about the layer's kind: its checks, tensors, buffers and emitted calls.</summary>
    public LayerDescriptor Descriptor => LayerDescriptors.For(Kind);

    /// <summary>The starting bias of a gated layer's keep gate when the declaration changes Keras's, else null.</summary>
    public double? KeepGateBias { get; init; }

    /// <summary>The fraction dropped while training: a [Dropout]'s rate, or a recurrent layer's input <c>Dropout</c>; 0 for none.</summary>
    public double DropoutRate { get; init; }

    /// <summary>A recurrent layer's <c>RecurrentDropout</c> (Keras's <c>recurrent_dropout</c>); 0 for none.</summary>
    public double RecurrentDropoutRate { get; init; }

    /// <summary>
    /// The steps the layer runs over when a <c>[RepeatVector(n)]</c> at or before it fixes them (n), else 0: the steps of
    /// the model's input.
    /// </summary>
    public int FixedSteps { get; init; }

    /// <summary>For a [Decoder], the token its first step reads.</summary>
    public int StartToken { get; init; }

    /// <summary>For a [Decoder], the token that ends a target.</summary>
    public int EndToken { get; init; }

    /// <summary>For a [Decoder], whether target steps after the end token count in no loss (<c>MaskAfterEnd</c>).</summary>
    public bool MaskAfterEnd { get; init; }

    /// <summary>For a [Decoder], the widest beam Decode searches with.</summary>
    public int BeamWidth { get; init; }

    /// <summary>Whether the recurrent layer is a decoder's first, which starts from the encoder's final state.</summary>
    public bool StartsFromEncoder { get; init; }

    /// <summary>For an [Attention], its score as the runtime's <c>AttentionScore</c> numbers it: 0 dot, 1 additive, 3 general.</summary>
    public int AttentionScore { get; init; }

    /// <summary>Whether the recurrent layer is the encoder's last, whose final state starts the decoder.</summary>
    public bool HandsStateToDecoder { get; init; }

    /// <summary>For an Embedding, whether token 0 is padding (<c>MaskZero</c>, Keras's <c>mask_zero</c>).</summary>
    public bool MaskZero { get; init; }

    /// <summary>An LSTM's or GRU's gate activation (Keras's <c>recurrent_activation</c>); Sigmoid for the other kinds, which have no gates.</summary>
    public ActivationKind RecurrentActivation { get; init; } = ActivationKind.Sigmoid;

    /// <summary>Whether an LSTM or GRU uses Keras's default activations, tanh and sigmoid (the runtime's fused fast paths).</summary>
    public bool HasDefaultGateActivations => Activation == ActivationKind.Tanh && RecurrentActivation == ActivationKind.Sigmoid;

    public bool IsRecurrent => Descriptor.IsRecurrent;

    /// <summary>Gate blocks in the kernels: 4 for LSTM (i, f, c, o), 3 for GRU (z, r, h), 1 otherwise.</summary>
    public int Gates => KerasTensorLayout.Gates(Kind);

    /// <summary>Keras's class name, as <c>model.summary()</c> shows it.</summary>
    public string KerasClass => Bidirectional ? "Bidirectional" : Descriptor.KerasClassOf(this);

    /// <summary>The directions' part of buffer and tensor names: <c>Forward</c> and <c>Backward</c> for a bidirectional layer, else one empty.</summary>
    public string[] Directions => Bidirectional ? new[] { "Forward", "Backward" } : new[] { string.Empty };
}

/// <summary>One weight tensor: its Keras name, shape and offset, for the emitted constants and documentation.</summary>
/// <param name="Name">The Keras weight name (<c>bidirectional/backward_lstm/kernel</c>).</param>
/// <param name="Identifier">Its C# name in the emitted layout classes (<c>BidirectionalBackwardKernel</c>).</param>
/// <param name="Shape">The shape as text (<c>[64, 512]</c>).</param>
/// <param name="Offset">Where it starts in the flat parameter vector.</param>
/// <param name="Length">Its number of elements.</param>
/// <param name="Role">What it is for.</param>
/// <param name="Backward">Whether it belongs to the backward direction of a bidirectional layer.</param>
internal sealed record TensorModel(string Name, string Identifier, string Shape, int Offset, int Length, TensorRole Role, bool Backward);

/// <summary>A valid network, every size a constant: the single model that emission and documentation read.</summary>
/// <param name="Namespace">The namespace of the user's class, or null for the global namespace.</param>
/// <param name="TypeName">The class name.</param>
/// <param name="ContainingTypes">Types around the class, outermost first.</param>
/// <param name="HintName">The generated file's name, from the fully qualified type name.</param>
/// <param name="SequenceLength">The most steps one Predict call takes.</param>
/// <param name="TakesTokens">True for an Embedding model (token ids), false for an Input model (float vectors).</param>
/// <param name="InputWidth">Floats per input step, or the vocabulary size for a token model.</param>
/// <param name="Layers">The weighted layers in order.</param>
/// <param name="Tensors">Every weight tensor in flat order.</param>
/// <param name="ParameterCount">The total number of weights.</param>
/// <param name="IsDouble">Whether the model computes in double precision.</param>
/// <param name="Training">The training configuration when the class has <c>[Train]</c>.</param>
/// <param name="WeightsFile">The weights file to compile in (<c>[RnnModel(Weights = …)]</c>), or null.</param>
/// <param name="BFloat16Weights">
/// <c>WeightPrecision = WeightPrecision.BFloat16</c>: Predict and Step read a bfloat16 copy of the kernels (<see cref="PackedWeights"/>).
/// </param>
internal sealed record NetworkModel(
    string? Namespace,
    string TypeName,
    EquatableArray<ContainingType> ContainingTypes,
    string HintName,
    int SequenceLength,
    bool TakesTokens,
    int InputWidth,
    EquatableArray<LayerModel> Layers,
    EquatableArray<TensorModel> Tensors,
    int ParameterCount,
    bool IsDouble = false,
    TrainingDeclaration? Training = null,
    string? WeightsFile = null,
    bool BFloat16Weights = false)
{
    /// <summary>
    /// The declared <c>[RnnModel(BatchSize)]</c>: the most sequences a batched Predict runs in lock step, or 0 to take the
    /// training batch (a model with <c>[Train]</c>) or 1 (one without). See <see cref="PredictBatch"/>.
    /// </summary>
    public int DeclaredBatchSize { get; init; }

    /// <summary>
    /// <c>WeightPrecision = WeightPrecision.Int8</c>: Predict and Step read an int8 copy of the kernels (<see cref="Model.Int8Weights"/>).
    /// </summary>
    public bool Int8Weights { get; init; }

    /// <summary>
    /// The most sequences one lock-step pass of a batched Predict runs: the training pass's, else the declared BatchSize,
    /// else 1; with Parallelism, the largest share of that batch. Above 1 the working buffers hold a block per sequence.
    /// </summary>
    public int PredictBatch => Training is not null ? (Training.BatchSize + Workers - 1) / Workers : (System.Math.Max(1, DeclaredBatchSize) + Workers - 1) / Workers;

    /// <summary>
    /// The declared <c>[RnnModel(Parallelism)]</c>: the shares a batched Predict of a model without <c>[Train]</c> is split
    /// into (0 or 1: none). See <see cref="Workers"/>.
    /// </summary>
    public int DeclaredParallelism { get; init; }

    /// <summary>
    /// Whether batched Predict runs in lock step (<c>RunPredictBatch</c>): it has a batch of sequences to run together, and
    /// masks no step or packs the masked ones out (<see cref="PacksPredictBatch"/>). A masking model with [Train] and
    /// workspaces, and an encoder-decoder, run sequence by sequence.
    /// </summary>
    public bool PredictsInLockStep => (Training is not null || DeclaredBatchSize > 1) && (!Masks || PacksPredictBatch) && Decoder is null;

    /// <summary>
    /// Whether batched Predict packs each batch first (<c>SequencePacking</c>: every sequence's unmasked steps at the start
    /// of its block, the longest first) and puts the outputs back in order: a masking model with a declared batch (its
    /// shares, with Parallelism, each run a slice of the packed batch) or a training batch without workspaces.
    /// </summary>
    public bool PacksPredictBatch => Masks && (Training is null ? DeclaredBatchSize > 1 : !HasWorkspaces);

    /// <summary>
    /// Whether batched Predict spreads a packed batch back over the given steps after the last recurrent layer, as
    /// Predict does for one sequence: a packing model whose output has a row per input step.
    /// </summary>
    public bool SpreadsPredictBatch => PacksPredictBatch && OutputFollowsInput;

    /// <summary>
    /// Whether the working buffers hold one block per sequence of a lock-step pass (training's, batched Predict's, or one
    /// row per stream of StepStreams').
    /// </summary>
    public bool HasLockStepBuffers => Training is not null || DeclaredBatchSize > 1 || HasStreams;

    /// <summary>The declared <c>[RnnModel(Streams)]</c>: the independent streams StepStreams steps together (0 or 1: none).</summary>
    public int Streams { get; init; }

    /// <summary>Whether the model has StepStreams: more than one stream, and it can stream at all.</summary>
    public bool HasStreams => Streams > 1 && CanStream;

    /// <summary>Whether token 0 is padding (<c>[Embedding(…, MaskZero = true)]</c>): masked steps keep every state and count in no loss.</summary>
    public bool MaskZero { get; init; }

    /// <summary>The value that masks a float step when every feature equals it (<c>[Masking(value)]</c>), or null.</summary>
    public double? MaskValue { get; init; }

    /// <summary>The Keras name of the <c>[Masking]</c> layer, which the summary shows, or null.</summary>
    public string? MaskingName { get; init; }

    /// <summary>
    /// Whether some layer drops values while training: a [Dropout] layer (even at rate 0, which keeps its place in the
    /// training pass), or a recurrent layer's <c>Dropout</c> or <c>RecurrentDropout</c> above 0.
    /// </summary>
    public bool HasDropout
    {
        get
        {
            foreach (LayerModel layer in Layers)
            {
                if (layer.Kind == LayerKind.Dropout || layer.DropoutRate > 0 || layer.RecurrentDropoutRate > 0)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Whether some steps of the input may be masked.</summary>
    public bool Masks => MaskZero || MaskValue is not null;

    public LayerModel Last => Layers[Layers.Count - 1];

    public int OutputWidth => Last.OutputWidth;

    public bool OutputIsSequence => Last.OutputIsSequence;

    /// <summary>
    /// The steps of every output sequence when a <c>[RepeatVector(n)]</c> fixes them (n: the constant <c>OutputSteps</c>),
    /// else 0.
    /// </summary>
    public int OutputSteps => Last.FixedSteps;

    /// <summary>The <c>[Decoder]</c> of an encoder-decoder model (its output is fed back while predicting), or null.</summary>
    public LayerModel? Decoder
    {
        get
        {
            foreach (LayerModel layer in Layers)
            {
                if (layer.Descriptor.FeedsBackOutputs)
                {
                    return layer;
                }
            }

            return null;
        }
    }

    /// <summary>The <c>[Attention]</c> of an encoder-decoder model, or null.</summary>
    public LayerModel? Attention
    {
        get
        {
            foreach (LayerModel layer in Layers)
            {
                if (layer.Kind == LayerKind.Attention)
                {
                    return layer;
                }
            }

            return null;
        }
    }

    /// <summary>Whether the output has one row per input step: it is a sequence, and no <c>[RepeatVector]</c> fixes its steps.</summary>
    public bool OutputFollowsInput => OutputIsSequence && OutputSteps == 0;

    /// <summary>
    /// The output rows of one sequence as a C# expression: <c>OutputSteps</c> when a <c>[RepeatVector]</c> fixes them,
    /// <paramref name="steps"/> (the input's) when the output follows the input, else <c>1</c>.
    /// </summary>
    public string OutputRows(string steps) => OutputSteps > 0 ? "OutputSteps" : OutputIsSequence ? steps : "1";

    /// <summary>The most output rows of one sequence: the fixed OutputSteps, SequenceLength, or 1.</summary>
    public long MaxOutputRows => OutputSteps > 0 ? OutputSteps : OutputIsSequence ? SequenceLength : 1;

    /// <summary>
    /// Streaming (Step, ResetState) is emitted when no layer needs the future, that is, none is bidirectional, and the
    /// output steps follow the input's (no <c>[RepeatVector]</c>, whose steps come after the whole input).
    /// </summary>
    public bool CanStream
    {
        get
        {
            foreach (LayerModel layer in Layers)
            {
                if (layer.Bidirectional || layer.FixedSteps > 0)
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>
    /// The number of shares a batch is split into, each with its own workspace and thread: the <c>[Train]</c> Parallelism
    /// when above 1; on a model without <c>[Train]</c>, the <c>[RnnModel]</c> Parallelism when above 1 and the model has a
    /// batch to split; else 1 (the batch runs on the calling thread, in the model's own buffers).
    /// </summary>
    public int Workers => Training is not null
        ? (Training.Parallelism > 1 ? Training.Parallelism : 1)
        : (DeclaredParallelism > 1 && DeclaredBatchSize >= DeclaredParallelism ? DeclaredParallelism : 1);

    /// <summary>Whether the per-sequence buffers and passes live in a nested <c>Workspace</c> class, one per share.</summary>
    public bool HasWorkspaces => Workers > 1;

    /// <summary>The element type of weights and activations in the emitted code.</summary>
    public string ElementType => IsDouble ? "double" : "float";

    /// <summary>
    /// Whether training reads the last layer's sums (logits) rather than its activated outputs: the cross-entropies,
    /// fused with the Softmax or Sigmoid of the last Dense layer (or with FromLogits on a Linear one).
    /// </summary>
    public bool TrainsOnLogits => Training is { Loss: LossKind.SparseCategoricalCrossentropy or LossKind.CategoricalCrossentropy or LossKind.BinaryCrossentropy };

    /// <summary>Targets per output row: one class id for SparseCategoricalCrossentropy, else one value per output unit.</summary>
    public int TargetsPerRow => Training is { Loss: LossKind.SparseCategoricalCrossentropy } ? 1 : OutputWidth;
}
