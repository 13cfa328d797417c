using RnnCompiler.Generators.Emit;
using RnnCompiler.Generators.Model;
using RnnCompiler.Generators.Validation;
using RnnCompiler.Generators.WeightFiles;

namespace RnnCompiler.Generators.Layers;

/// <summary>
/// Everything the generator knows about one kind of layer, in one place: its attribute, its Keras names, how a
/// declaration of it is checked and resolved, the buffers it needs, and the code it emits in each pass. The pipeline
/// (parser, validator, buffer plan, emitters) walks the layers and asks their descriptors; it never switches on the kind.
/// Keras's tensor layout of the kind lives in <see cref="KerasTensorLayout"/>, which the runtime compiles too.
/// </summary>
/// <remarks>Adding a kind: <c>docs/architecture.md</c> lists the steps.</remarks>
internal abstract class LayerDescriptor
{
    /// <summary>The kind, as the runtime's weight descriptors and files name it.</summary>
    public abstract LayerKind Kind { get; }

    /// <summary>The attribute's name without <c>Attribute</c>: <c>Lstm</c> for <c>[Lstm(128)]</c>.</summary>
    public abstract string AttributeName { get; }

    /// <summary>How messages name a layer of the kind: <c>[Lstm]</c>.</summary>
    public string Label => "[" + AttributeName + "]";

    /// <summary>Keras's class name, as <c>model.summary()</c> shows it.</summary>
    public abstract string KerasClass { get; }

    /// <summary>Keras's class name of one layer of the kind, where it depends on its options; <see cref="KerasClass"/> by default.</summary>
    public virtual string KerasClassOf(LayerModel layer) => KerasClass;

    /// <summary>
    /// Whether a layer of the kind is one of the runtime's layer descriptors (<c>s_layers</c>, <c>ModelInfo.Layers</c>),
    /// which weight files, initializers and exports walk: every kind with weights. A kind without any (Dropout) is not.
    /// </summary>
    public virtual bool HoldsWeights => true;

    /// <summary>Whether the kind runs over time with a state that Step carries.</summary>
    public virtual bool IsRecurrent => false;

    /// <summary>Whether the kind reads the model's input, so it can only be the first layer.</summary>
    public virtual bool IsModelInput => false;

    /// <summary>Whether a model that starts with the kind takes token ids rather than float features.</summary>
    public virtual bool TakesTokens => false;

    /// <summary>The activation a declaration that sets none gets.</summary>
    public virtual ActivationKind DefaultActivation => ActivationKind.Linear;

    /// <summary>
    /// Checks one declared layer against what flows into it and, when it is sound, adds its <see cref="LayerModel"/>
    /// and tensors to the context and advances the flow; otherwise reports problems on it.
    /// </summary>
    public abstract void Resolve(ResolveContext context, LayerDeclaration layer, int index);

    /// <summary>Adds the buffers Predict and Step use (declaration order is the order added).</summary>
    public virtual void AddBuffers(BufferSink buffers, LayerModel layer, bool isLast)
    {
    }

    /// <summary>Adds the buffers the training passes use beyond <see cref="AddBuffers"/> and the output gradients.</summary>
    public virtual void AddTrainingBuffers(BufferSink buffers, LayerModel layer, bool isLast)
    {
    }

    /// <summary>
    /// Whether Predict and Step read the layer's kernels from a copy packed in panels when they are large enough
    /// (<see cref="PanelWeights"/>): the kernels' columns are <c>Gates × Units</c> wide and each product reads them whole.
    /// </summary>
    public virtual bool PacksKernels(LayerModel layer) => false;

    /// <summary>
    /// Whether the layer, last in a model trained with a cross-entropy, can hand the loss its sums (logits) and leave its
    /// activation to the loss, which computes both together (<c>NetworkModel.TrainsOnLogits</c>).
    /// </summary>
    public virtual bool FusesWithLoss => false;

    /// <summary>
    /// Whether the training backward pass stops at the layer: it trains no weights and only layers without weights stand
    /// before it, so nothing needs dLoss/d(its outputs). It gets no output-gradient buffer, and the layer after it
    /// computes no input gradients (its <see cref="BackwardPass.Previous"/> is null).
    /// </summary>
    public virtual bool StopsBackward => false;

    /// <summary>The gate order of the kernels' column blocks (<c>i, f, c, o</c>), or null for a kind with one block.</summary>
    public virtual string? GateOrder => null;

    /// <summary>Writes the public members the kind adds to the model's class (Normalization's <c>Adapt</c>); most add none.</summary>
    public virtual void WriteMembers(EmitContext context, LayerModel layer)
    {
    }

    /// <summary>
    /// Writes, for a declaration with an RNN error, the members <see cref="WriteMembers"/> would add, each through
    /// <paramref name="member"/> (name, summary, declaration) with a body that throws <paramref name="throwing"/>;
    /// <paramref name="source"/> declares Predict's input parameter (<c>global::System.ReadOnlySpan&lt;int&gt; tokens</c>).
    /// </summary>
    public virtual void WriteFallbackMembers(System.Action<string, string, string> member, string elementType, string source, string throwing)
    {
    }

    /// <summary>Writes the layer in Predict's forward pass over one sequence; returns the expression of its output.</summary>
    /// <param name="context">The emitter's context.</param>
    /// <param name="layer">The layer.</param>
    /// <param name="input">The expression of its input.</param>
    /// <param name="sequence">Whether the input has a row per step (else one row).</param>
    public abstract string WritePredict(EmitContext context, LayerModel layer, string input, bool sequence);

    /// <summary>Writes the layer in one streaming step (input one row); returns the expression of its output.</summary>
    public abstract string WriteStep(EmitContext context, LayerModel layer, string input);

    /// <summary>Writes the layer in the training forward pass over a batch in lock step; returns the expression of its output.</summary>
    public abstract string WriteForwardBatch(EmitContext context, LayerModel layer, string input, bool sequence);

    /// <summary>Writes the layer in the training backward pass over the batch.</summary>
    public abstract void WriteBackwardBatch(EmitContext context, LayerModel layer, BackwardPass pass);

    /// <summary>
    /// Whether predicting feeds the layer its own model's outputs back, one step at a time (a <c>[Decoder]</c>): Predict
    /// then hands it the rest of the pass (<see cref="WritePredictDecoding"/>), and batched Predict runs sequence by sequence.
    /// </summary>
    public virtual bool FeedsBackOutputs => false;

    /// <summary>
    /// For a kind that <see cref="FeedsBackOutputs"/>: writes Predict's pass from the layer on, the layer and
    /// <paramref name="rest"/> (the layers after it) stepped together, each step's output picking the next step's input.
    /// </summary>
    public virtual void WritePredictDecoding(EmitContext context, LayerModel layer, string input, System.Collections.Generic.IReadOnlyList<LayerModel> rest)
    {
    }

    /// <summary>
    /// For a kind that <see cref="FeedsBackOutputs"/>: writes, in the class that holds Predict's pass (the model, or its
    /// workspace), the members that pass and the model's decoding methods call.
    /// </summary>
    public virtual void WriteDecodingMembers(EmitContext context, LayerModel layer, System.Collections.Generic.IReadOnlyList<LayerModel> rest, string visibility)
    {
    }

    /// <summary>
    /// Writes what a lock-step batch needs from the targets before its forward pass (a decoder's teacher-forced inputs);
    /// it reads the locals <c>targets</c>, <c>sequences</c> and <c>rows</c>, and <paramref name="first"/>, the share's first
    /// sequence. Most kinds need nothing.
    /// </summary>
    public virtual void WriteBeforeBatch(EmitContext context, LayerModel layer, string first)
    {
    }

    /// <summary>
    /// For a layer after a <c>[Decoder]</c>: writes what Predict's decoding sets up once the encoder has run (with the
    /// local <c>steps</c> its real steps), before the first decoder step. Most kinds need nothing.
    /// </summary>
    public virtual void WriteBeforeDecoding(EmitContext context, LayerModel layer)
    {
    }

    /// <summary>
    /// For a layer after a <c>[Decoder]</c>: writes what greedy decoding (Predict) and sampling keep of step
    /// <paramref name="step"/> (an expression) once the step has run. Most kinds keep nothing.
    /// </summary>
    public virtual void WriteAfterDecodedStep(EmitContext context, LayerModel layer, string step)
    {
    }

    /// <summary>The expression of the layer's output in the batch, as <see cref="WriteForwardBatch"/> leaves it (the next layer's input).</summary>
    public virtual string BatchOutput(EmitContext context, LayerModel layer) => context.Field(layer) + "Output";
}

/// <summary>What the backward pass hands a layer.</summary>
/// <param name="Previous">The layer before it, or null for the first and for one after a layer that <see cref="LayerDescriptor.StopsBackward"/>.</param>
/// <param name="Input">The expression of the layer's forward input in the batch.</param>
/// <param name="Gradient">The buffer of dLoss/d(its outputs).</param>
/// <param name="InputGradient">The span that receives dLoss/d(its inputs), or <c>default</c> when <paramref name="Previous"/> is null.</param>
internal sealed record BackwardPass(LayerModel? Previous, string Input, string Gradient, string InputGradient);
