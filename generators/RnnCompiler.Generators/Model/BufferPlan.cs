using System.Collections.Generic;
using System.Globalization;

namespace RnnCompiler.Generators.Model;

/// <summary>What a buffer of a generated model is for; the memory report groups by it.</summary>
internal enum BufferKind
{
    /// <summary>The weights.</summary>
    Weights,

    /// <summary>Working memory of Predict (and of training's forward pass): outputs, gates and states per step.</summary>
    Working,

    /// <summary>The state that Step carries from call to call.</summary>
    Streaming,

    /// <summary>Gradients, optimizer moments and the backward pass's working memory.</summary>
    Training,
}

/// <summary>One buffer field of a generated model.</summary>
/// <param name="Name">The field name.</param>
/// <param name="Size">The C# expression of its length, in the class's constants (<c>SequenceLength * 512</c>).</param>
/// <param name="Elements">Its length.</param>
/// <param name="Summary">What it holds, for the field's documentation.</param>
/// <param name="Kind">What it is for.</param>
/// <param name="ElementType">
/// The C# element type when it is not the model's (<c>int</c> for token ids and class ids, <c>ushort</c> for bfloat16
/// weights), else null.
/// </param>
/// <param name="InWorkspace">
/// Whether each share of a batch has its own (<c>Parallelism</c> &gt; 1): declared in the nested <c>Workspace</c> class
/// rather than in the model.
/// </param>
/// <param name="Copies">How many of it the model holds: the number of workspaces, or one fewer for a workspace's
/// gradients (share 0 adds into the model's own).</param>
/// <param name="Sequences">
/// How many sequences' blocks it holds: a training batch's (or share's) for a working buffer of a model whose training
/// runs in lock step, of which Predict uses the first; else 1.
/// </param>
internal sealed record BufferSpec(string Name, string Size, long Elements, string Summary, BufferKind Kind, string? ElementType = null, bool InWorkspace = false, int Copies = 1, long Sequences = 1)
{
    /// <summary>
    /// Whether it is a <c>RnnCompiler.Kernels.AlignedBuffer</c> rather than an array: every buffer of the model's element
    /// type and the bfloat16 weights, which the kernels read and write in whole vectors, start on a 64-byte boundary (a
    /// 512-bit vector never straddles two cache lines), at the cost of <see cref="AlignmentPadding"/> more bytes each
    /// (none for an empty one); the <c>int</c> buffers of token and class ids are arrays.
    /// </summary>
    public bool Aligned => ElementType != "int";

    /// <summary>The bytes an aligned buffer allocates beyond its elements (<c>AlignedBuffer.Alignment</c>).</summary>
    public const long AlignmentPadding = 64;

    /// <summary>The bytes the buffer allocates in all its copies, for a model with <paramref name="modelElementBytes"/>-byte elements.</summary>
    public long AllocatedBytes(long modelElementBytes) => ((Elements * ElementBytes(modelElementBytes)) + (Aligned && Elements > 0 ? AlignmentPadding : 0)) * Copies;

    /// <summary>The bytes of one element of a buffer of a model with <paramref name="modelElementBytes"/>-byte elements.</summary>
    public long ElementBytes(long modelElementBytes) => ElementType switch
    {
        "int" => 4,
        "float" => 4,
        "ushort" => 2,
        "byte" => 1,
        _ => modelElementBytes,
    };
}

/// <summary>
/// Every buffer a generated model allocates, in declaration order: one list that the emitters declare from and that
/// the memory report (summary, remarks, analyzer) adds up, so the figure is what the object really holds.
/// </summary>
internal static class BufferPlan
{
    /// <summary>The stem of a layer's field names: <c>_lstm1</c>.</summary>
    public static string Stem(LayerModel layer) => "_" + char.ToLowerInvariant(layer.Identifier[0]) + layer.Identifier.Substring(1);

    public static IReadOnlyList<BufferSpec> For(NetworkModel model)
    {
        var sink = new BufferSink(model);
        sink.Add(new BufferSpec("_parameters", "ParameterCount", model.ParameterCount, "Every weight, flat, in Keras's order (see Parameters).", BufferKind.Weights));
        if (model.BFloat16Weights)
        {
            int packed = PanelWeights.BFloat16CopyCount(model);
            sink.Add(new BufferSpec("_bf16Weights", Int(packed), packed, "The kernels of Parameters rounded to bfloat16, as Predict and Step read them (see BFloat16Layout).", BufferKind.Weights, "ushort"));
        }

        if (model.Int8Weights)
        {
            int bytes = Int8Weights.Count(model);
            sink.Add(new BufferSpec("_int8Weights", Int(bytes), bytes, "The kernels of Parameters quantized to int8 with their column scales, as Predict and Step read them (see Int8Layout).", BufferKind.Weights, "byte"));
        }

        int panels = PanelWeights.Count(model);
        if (panels > 0)
        {
            sink.Add(new BufferSpec(PanelBuffer, Int(panels), panels, "The large kernels of Parameters packed in panels (MatrixKernels.PackPanels), as Predict and Step read them (see PanelLayout).", BufferKind.Weights));
        }

        foreach (LayerModel layer in model.Layers)
        {
            sink.StepsOf(layer);
            layer.Descriptor.AddBuffers(sink, layer, layer == model.Last);
        }

        sink.StepsOf(null);

        if (model.Masks)
        {
            int perStep = model.TakesTokens ? 1 : model.InputWidth;
            sink.Add(new BufferSpec("_unmaskedInput", model.TakesTokens ? "SequenceLength" : $"SequenceLength * {Int(perStep)}", (long)model.SequenceLength * perStep,
                "Predict's input without its masked steps, as the layers run over it.", BufferKind.Working, model.TakesTokens ? "int" : null, InWorkspace: model.Workers > 1, Copies: model.Workers));
        }

        if (model.Training is null && model.PacksPredictBatch)
        {
            // A masking model's batch of Predict, packed; a training model packs into its training batch's buffers.
            int perStep = model.TakesTokens ? 1 : model.InputWidth;
            sink.Add(new BufferSpec("_batchInputs", $"BatchSize * SequenceLength{(model.TakesTokens ? string.Empty : $" * {Int(perStep)}")}", (long)model.DeclaredBatchSize * model.SequenceLength * perStep, "A batch of Predict packed: each sequence's unmasked steps at the start of its block, the longest first (SequencePacking).", BufferKind.Working, model.TakesTokens ? "int" : null));
            sink.Add(new BufferSpec("_batchLengths", "BatchSize", model.DeclaredBatchSize, "The unmasked steps of each packed sequence, longest first.", BufferKind.Working, "int"));
            sink.Add(new BufferSpec("_batchOrder", "BatchSize", model.DeclaredBatchSize, "The sequence of the batch each packed sequence came from.", BufferKind.Working, "int"));
            if (model.SpreadsPredictBatch && model.HasWorkspaces)
            {
                sink.Add(new BufferSpec("_batchGiven", $"BatchSize * SequenceLength{(model.TakesTokens ? string.Empty : $" * {Int(perStep)}")}", (long)model.DeclaredBatchSize * model.SequenceLength * perStep, "A batch of Predict as given, where every share's thread can read where each packed sequence's masked steps were.", BufferKind.Working, model.TakesTokens ? "int" : null));
            }

            if (!model.HasWorkspaces)
            {
                sink.Add(new BufferSpec(PackedOutputs(model), model.OutputSteps > 0 ? "BatchSize * OutputSteps * OutputUnits" : model.OutputIsSequence ? "BatchSize * SequenceLength * OutputUnits" : "BatchSize * OutputUnits", (long)model.PredictBatch * model.MaxOutputRows * model.OutputWidth, "The outputs of a packed batch of Predict, in packed order.", BufferKind.Working));
            }
        }

        if (model.Training is null && model.HasWorkspaces)
        {
            // Batched Predict on more than one core: the batch where every share's thread can read it, and each share's outputs.
            int perStep = model.TakesTokens ? 1 : model.InputWidth;
            long rows = model.MaxOutputRows;
            if (!model.PacksPredictBatch)
            {
                sink.Add(new BufferSpec("_batchInputs", $"BatchSize * SequenceLength{(model.TakesTokens ? string.Empty : $" * {Int(perStep)}")}", (long)model.DeclaredBatchSize * model.SequenceLength * perStep, "Each batch of a batched Predict, copied where every share's thread can read it (a span cannot leave its thread).", BufferKind.Working, model.TakesTokens ? "int" : null));
            }

            sink.Add(new BufferSpec(SharePredictOutputs(model), $"{SequencesPerPassText(model)} * {(model.OutputSteps > 0 ? "OutputSteps * " : model.OutputIsSequence ? "SequenceLength * " : string.Empty)}OutputUnits", SequencesPerPass(model) * rows * model.OutputWidth, "This share's outputs of a batched Predict, one block per sequence.", BufferKind.Working, InWorkspace: true, Copies: model.Workers));
        }

        if (model.Training is { } training)
        {
            AddTraining(model, training, sink);
        }

        return sink.Buffers;
    }

    private static void AddTraining(NetworkModel model, TrainingDeclaration training, BufferSink sink)
    {
        int workers = model.Workers;
        long sequence = model.SequenceLength;
        bool first = training.Optimizer == OptimizerKind.Adam || (training.Optimizer == OptimizerKind.Sgd && training.Momentum > 0);
        bool second = training.Optimizer is OptimizerKind.Adam or OptimizerKind.RmsProp;
        sink.Training("_gradients", "ParameterCount", model.ParameterCount, "The gradients of the last batch, in the layout of Parameters.");
        sink.Training("_optimizerFirst", first ? "ParameterCount" : "0", first ? model.ParameterCount : 0, first ? "The optimizer's first moment (momentum, or Adam's m)." : "Unused: this optimizer keeps no first moment.");
        sink.Training("_optimizerSecond", second ? "ParameterCount" : "0", second ? model.ParameterCount : 0, second ? "The optimizer's second moment (Adam's v, RMSprop's velocity)." : "Unused: this optimizer keeps no second moment.");
        {
            const BufferKind Kind = BufferKind.Training;
            string input = model.TakesTokens ? "int" : model.ElementType;
            string target = training.Loss == LossKind.SparseCategoricalCrossentropy ? "int" : model.ElementType;
            long rows = model.MaxOutputRows;
            string perStep = model.TakesTokens ? string.Empty : $" * {Int(model.InputWidth)}";
            string perRow = model.TargetsPerRow == 1 ? string.Empty : $" * {Int(model.TargetsPerRow)}";
            string copied = workers > 1 ? "copied where every share's thread can read them (a span cannot leave its thread), or " : string.Empty;
            sink.Add(new BufferSpec("_batchInputs", $"BatchSize * SequenceLength{perStep}", (long)training.BatchSize * sequence * (model.TakesTokens ? 1 : model.InputWidth), $"The batch's inputs, {copied}packed when its sequences have different lengths (SequencePacking).", Kind, input));
            sink.Add(new BufferSpec("_batchTargets", $"BatchSize{(model.OutputSteps > 0 ? " * OutputSteps" : model.OutputIsSequence ? " * SequenceLength" : string.Empty)}{perRow}", training.BatchSize * rows * model.TargetsPerRow, "The batch's targets, copied or packed with the inputs.", Kind, target));
            sink.Add(new BufferSpec("_batchLengths", "BatchSize", training.BatchSize, "The real steps of each sequence of a packed batch, longest first.", Kind, "int"));
            sink.Add(new BufferSpec("_batchOrder", "BatchSize", training.BatchSize, "The sequence of the batch each packed sequence came from.", Kind, "int"));
            if (workers > 1)
            {
                sink.Add(new BufferSpec("_gradients", "ParameterCount", model.ParameterCount, "This share's gradients; share 0 adds into the model's own, the others are added to them in share order.", Kind, InWorkspace: true, Copies: workers - 1));
            }
        }

        string outputRows = model.OutputSteps > 0 ? "OutputSteps" : "SequenceLength";
        long outputSteps = model.OutputSteps > 0 ? model.OutputSteps : sequence;
        sink.TrainingPerSequence("_trainOutputs", $"{outputRows} * OutputUnits", outputSteps * model.OutputWidth, model.TrainsOnLogits ? "The last layer's sums (logits) for each sequence of a batch, as the fused loss reads them." : "The model's outputs for each sequence of a batch, as the loss reads them.");
        sink.TrainingPerSequence("_outputGradients", $"{outputRows} * OutputUnits", outputSteps * model.OutputWidth, "dLoss/d(the loss's input) for each sequence of a batch.");
        foreach (LayerModel layer in model.Layers)
        {
            string field = Stem(layer);
            sink.StepsOf(layer);
            if (layer != model.Last && !layer.Descriptor.StopsBackward)
            {
                if (layer.OutputIsSequence)
                {
                    sink.TrainingPerSequence($"{field}OutputGradients", $"{sink.StepsText} * {Int(layer.OutputWidth)}", sink.Steps * layer.OutputWidth, $"{layer.Name}: dLoss/d(its outputs).");
                }
                else
                {
                    sink.TrainingPerSequence($"{field}OutputGradients", Int(layer.OutputWidth), layer.OutputWidth, $"{layer.Name}: dLoss/d(its outputs).");
                }
            }

            layer.Descriptor.AddTrainingBuffers(sink, layer, layer == model.Last);
        }

        sink.StepsOf(null);
    }

    /// <summary>
    /// The sequences one pass of a lock-step model runs at once: the batch, or with Parallelism the largest share
    /// (shares are k·BatchSize/N to (k+1)·BatchSize/N).
    /// </summary>
    public static long SequencesPerPass(NetworkModel model) => ((long)(model.Training?.BatchSize ?? System.Math.Max(1, model.DeclaredBatchSize)) + model.Workers - 1) / model.Workers;

    /// <summary><see cref="SequencesPerPass"/> as a C# expression in the class's constants.</summary>
    public static string SequencesPerPassText(NetworkModel model) =>
        model.Workers == 1 ? "BatchSize" : $"((BatchSize + {Int(model.Workers - 1)}) / {Int(model.Workers)})";

    /// <summary>
    /// The bytes of each kind of buffer, and in all. Working buffers count one sequence's block (what Predict uses); the
    /// other blocks of a lock-step training batch count as training, and those of batched Predict as working.
    /// </summary>
    public static (long Weights, long Working, long Streaming, long Training, long Total) Bytes(NetworkModel model)
    {
        long size = model.IsDouble ? 8 : 4;
        long weights = 0, working = 0, streaming = 0, training = 0;
        foreach (BufferSpec buffer in For(model))
        {
            long bytes = buffer.AllocatedBytes(size);
            switch (buffer.Kind)
            {
                case BufferKind.Weights:
                    weights += bytes;
                    break;
                case BufferKind.Working when model.Training is null:
                    // A model without [Train] holds more than one block only for batched Predict: all of it is working memory.
                    working += bytes;
                    break;
                case BufferKind.Working:
                    // Predict's part is one sequence's block; the rest of a training batch's blocks count as training.
                    working += bytes / buffer.Sequences;
                    training += bytes - bytes / buffer.Sequences;
                    break;
                case BufferKind.Streaming:
                    streaming += bytes;
                    break;
                default:
                    training += bytes;
                    break;
            }
        }

        return (weights, working, streaming, training, weights + working + streaming + training);
    }

    /// <summary>Where a packed batch of Predict writes its outputs, in packed order: the training outputs' buffer, or its own.</summary>
    public static string PackedOutputs(NetworkModel model) => model.Training is null ? "_packedOutputs" : "_trainOutputs";

    /// <summary>Where a share of a batched Predict on more than one core writes its outputs: the training outputs' buffer, or its own.</summary>
    public static string SharePredictOutputs(NetworkModel model) => model.Training is null ? "_predictOutputs" : "_trainOutputs";

    /// <summary>The field of the panel copy (<see cref="PanelWeights"/>).</summary>
    public const string PanelBuffer = "_panels";

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// Collects a model's buffers in declaration order for <see cref="BufferPlan"/>; layer descriptors add theirs through it,
/// sized for the model (a training model's working buffers hold one block per sequence of a pass).
/// </summary>
internal sealed class BufferSink
{
    private readonly List<BufferSpec> _buffers = new();
    private readonly bool _lockStep;
    private readonly long _batch;
    private readonly string _perBatch;
    private readonly int _streams;

    public BufferSink(NetworkModel model)
    {
        Model = model;
        Steps = model.SequenceLength;
        // Training and batched Predict run a batch in lock step in the layers' buffers: one block per sequence,
        // [sequences, steps, …] (Predict uses the first block). A model with neither holds one sequence's. StepStreams
        // runs one step of every stream as a batch of one-step sequences: the buffers hold at least a row per stream.
        _lockStep = model.HasLockStepBuffers;
        _batch = _lockStep ? model.PredictBatch : 1;
        _perBatch = model.Training is not null || model.DeclaredBatchSize > 1 ? BufferPlan.SequencesPerPassText(model) + " * " : string.Empty;
        _streams = model.HasStreams ? model.Streams : 0;
    }

    public NetworkModel Model { get; }

    public IReadOnlyList<BufferSpec> Buffers => _buffers;

    public void Add(BufferSpec buffer) => _buffers.Add(buffer);

    /// <summary>
    /// The steps of the layer whose buffers are being added: <c>SequenceLength</c>, or <c>OutputSteps</c> for a layer at or
    /// after a <c>[RepeatVector]</c>.
    /// </summary>
    public long Steps { get; private set; }

    /// <summary><see cref="Steps"/> as a C# expression in the class's constants.</summary>
    public string StepsText { get; private set; } = "SequenceLength";

    /// <summary>Sizes the per-step buffers added next for <paramref name="layer"/>'s steps (null: the input's).</summary>
    public void StepsOf(LayerModel? layer)
    {
        bool fixedSteps = layer is { FixedSteps: > 0 };
        Steps = fixedSteps ? layer!.FixedSteps : Model.SequenceLength;
        StepsText = fixedSteps ? "OutputSteps" : "SequenceLength";
    }

    /// <summary>A buffer of one row of <paramref name="width"/> per step (per step of each sequence of a training pass).</summary>
    public void PerStep(BufferKind kind, string name, int width, string summary) =>
        Layered(kind, name, _streams > _batch * Steps ? $"Streams * {Int(width)}" : $"{_perBatch}{StepsText} * {Int(width)}", System.Math.Max(_batch * Steps, _streams) * width, $"{summary}, [{(_lockStep ? "sequences, " : string.Empty)}steps, {Int(width)}]{(_streams > 0 ? " (a row per stream in StepStreams)" : string.Empty)}.");

    /// <summary>A buffer of one row of <paramref name="length"/> (per sequence of a training pass).</summary>
    public void PerSequence(BufferKind kind, string name, int length, string summary) =>
        Layered(kind, name, _streams > _batch ? $"Streams * {Int(length)}" : $"{_perBatch}{Int(length)}", System.Math.Max(_batch, _streams) * length, _lockStep ? $"{summary}, one row per sequence of a batch{(_streams > 0 ? " or stream" : string.Empty)}." : $"{summary}.");

    /// <summary>A buffer of a layer's outputs: one row of its output width per step when it returns a sequence, else one.</summary>
    public void Output(BufferKind kind, string name, LayerModel layer, string summary)
    {
        if (layer.OutputIsSequence)
        {
            PerStep(kind, name, layer.OutputWidth, summary);
        }
        else
        {
            PerSequence(kind, name, layer.OutputWidth, summary);
        }
    }

    /// <summary>A state carried for every stream of StepStreams: one row of <paramref name="width"/> per stream.</summary>
    public void Streams(string name, int width, string summary) =>
        _buffers.Add(new BufferSpec(name, $"Streams * {Int(width)}", (long)Model.Streams * width, summary, BufferKind.Streaming));

    /// <summary>A buffer of a fixed length.</summary>
    public void Fixed(BufferKind kind, string name, int length, string summary) =>
        _buffers.Add(new BufferSpec(name, Int(length), length, summary, kind, InWorkspace: Model.Workers > 1 && kind == BufferKind.Working, Copies: kind == BufferKind.Working ? Model.Workers : 1));

    /// <summary>Training memory, one per model.</summary>
    /// <summary>A training buffer of a fixed size that each workspace has its own copy of (a pass's scratch).</summary>
    public void TrainingScratch(string name, string size, long elements, string summary) =>
        _buffers.Add(new BufferSpec(name, size, elements, summary, BufferKind.Training, InWorkspace: Model.Workers > 1, Copies: Model.Workers));

    public void Training(string name, string size, long elements, string summary) =>
        _buffers.Add(new BufferSpec(name, size, elements, summary, BufferKind.Training));

    /// <summary>Working memory of the lock-step passes, one block per sequence of the pass; each share of a parallel batch has its own.</summary>
    public void TrainingPerSequence(string name, string size, long elements, string summary) =>
        _buffers.Add(new BufferSpec(name, BufferPlan.SequencesPerPassText(Model) + " * " + size, BufferPlan.SequencesPerPass(Model) * elements, summary, BufferKind.Training, InWorkspace: Model.Workers > 1, Copies: Model.Workers));

    private void Layered(BufferKind kind, string name, string size, long elements, string summary) =>
        _buffers.Add(new BufferSpec(name, size, elements, summary, kind, InWorkspace: Model.Workers > 1 && kind == BufferKind.Working, Copies: kind == BufferKind.Working ? Model.Workers : 1, Sequences: _batch));

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
}
