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
        "ushort" => 2,
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
        var buffers = new List<BufferSpec>();
        long sequence = model.SequenceLength;
        int workers = model.Workers;
        void Add(BufferKind kind, string name, string size, long elements, string summary, long sequences = 1) =>
            buffers.Add(new BufferSpec(name, size, elements, summary, kind, InWorkspace: workers > 1 && kind == BufferKind.Working, Copies: kind == BufferKind.Working ? workers : 1, Sequences: sequences));
        // Training runs a batch in lock step in the layers' buffers: one block per sequence, [sequences, steps, …] (Predict
        // uses the first block). A model without [Train] holds one sequence's.
        bool trains = model.Training is not null;
        long batch = trains ? SequencesPerPass(model) : 1;
        string perBatch = trains ? SequencesPerPassText(model) + " * " : string.Empty;
        void PerStep(BufferKind kind, string name, int width, string summary) =>
            Add(kind, name, $"{perBatch}SequenceLength * {Int(width)}", batch * sequence * width, $"{summary}, [{(trains ? "sequences, " : string.Empty)}steps, {Int(width)}].", batch);
        void Fixed(BufferKind kind, string name, int length, string summary) => Add(kind, name, Int(length), length, summary);
        void PerSequence(BufferKind kind, string name, int length, string summary) =>
            Add(kind, name, $"{perBatch}{Int(length)}", batch * length, trains ? $"{summary}, one row per sequence of a batch." : $"{summary}.", batch);

        buffers.Add(new BufferSpec("_parameters", "ParameterCount", model.ParameterCount, "Every weight, flat, in Keras's order (see Parameters).", BufferKind.Weights));
        if (model.BFloat16Weights)
        {
            int packed = PanelWeights.BFloat16CopyCount(model);
            buffers.Add(new BufferSpec("_bf16Weights", Int(packed), packed, "The kernels of Parameters rounded to bfloat16, as Predict and Step read them (see BFloat16Layout).", BufferKind.Weights, "ushort"));
        }

        int panels = PanelWeights.Count(model);
        if (panels > 0)
        {
            buffers.Add(new BufferSpec(PanelBuffer, Int(panels), panels, "The large kernels of Parameters packed in panels (MatrixKernels.PackPanels), as Predict and Step read them (see PanelLayout).", BufferKind.Weights));
        }

        foreach (LayerModel layer in model.Layers)
        {
            string field = Stem(layer);
            bool isLast = layer == model.Last;
            switch (layer.Type)
            {
                case LayerType.Embedding:
                    PerStep(BufferKind.Working, $"{field}Output", layer.OutputWidth, $"{layer.Name}: each step's embedding row");
                    break;
                case LayerType.Dense when !isLast:
                    if (layer.OutputIsSequence)
                    {
                        PerStep(BufferKind.Working, $"{field}Output", layer.Units, $"{layer.Name}: its outputs");
                    }
                    else
                    {
                        PerSequence(BufferKind.Working, $"{field}Output", layer.Units, $"{layer.Name}: its outputs");
                    }

                    break;
                case LayerType.Dense:
                    break;
                default:
                    foreach (string direction in Directions(layer))
                    {
                        string buffer = field + direction;
                        int units = layer.Units;
                        string who = layer.Name + (direction.Length == 0 ? string.Empty : " " + direction.ToLowerInvariant());
                        if (layer.Type == LayerType.SimpleRnn)
                        {
                            PerStep(BufferKind.Working, $"{buffer}Sums", units, $"{who}: the sums before the activation");
                        }
                        else
                        {
                            string order = layer.Type == LayerType.Lstm ? "i, f, c, o" : "z, r, h";
                            PerStep(BufferKind.Working, $"{buffer}Gates", layer.Gates * units, $"{who}: the activated gates {order} of each step");
                        }

                        if (layer.Type == LayerType.Lstm)
                        {
                            PerStep(BufferKind.Working, $"{buffer}Cells", units, $"{who}: the cell state of each step");
                        }

                        if (layer.Type == LayerType.Gru)
                        {
                            PerStep(BufferKind.Working, $"{buffer}Candidates", units, $"{who}: the recurrent part of each step's candidate");
                        }

                        PerStep(BufferKind.Working, $"{buffer}Hidden", units, $"{who}: the hidden state of each step");
                    }

                    if (layer.Type == LayerType.Gru)
                    {
                        PerSequence(BufferKind.Working, $"{field}Scratch", 3 * layer.Units, $"{layer.Name}: the recurrent product of one step");
                    }

                    if (layer.Bidirectional && !isLast)
                    {
                        if (layer.OutputIsSequence)
                        {
                            PerStep(BufferKind.Working, $"{field}Output", layer.OutputWidth, $"{layer.Name}: both directions merged ({layer.MergeMode})");
                        }
                        else
                        {
                            PerSequence(BufferKind.Working, $"{field}Output", layer.OutputWidth, $"{layer.Name}: both directions merged ({layer.MergeMode})");
                        }
                    }

                    if (model.CanStream)
                    {
                        Fixed(BufferKind.Streaming, $"{field}State", layer.Units, $"{layer.Name}: the hidden state that Step carries from call to call.");
                        if (layer.Type == LayerType.Lstm)
                        {
                            Fixed(BufferKind.Streaming, $"{field}CellState", layer.Units, $"{layer.Name}: the cell state that Step carries from call to call.");
                        }
                    }

                    break;
            }
        }

        if (model.Training is { } training)
        {
            AddTraining(model, training, buffers, sequence);
        }

        return buffers;
    }

    private static void AddTraining(NetworkModel model, TrainingDeclaration training, List<BufferSpec> buffers, long sequence)
    {
        const BufferKind Kind = BufferKind.Training;
        int workers = model.Workers;
        void Add(string name, string size, long elements, string summary) => buffers.Add(new BufferSpec(name, size, elements, summary, Kind));

        // Working memory of the lock-step passes, one block per sequence of the batch; each share of a parallel batch
        // has its own, for its sequences.
        void PerSequence(string name, string size, long elements, string summary) =>
            buffers.Add(new BufferSpec(name, SequencesPerPassText(model) + " * " + size, SequencesPerPass(model) * elements, summary, Kind, InWorkspace: workers > 1, Copies: workers));
        bool first = training.Optimizer == OptimizerKind.Adam || (training.Optimizer == OptimizerKind.Sgd && training.Momentum > 0);
        bool second = training.Optimizer is OptimizerKind.Adam or OptimizerKind.RmsProp;
        Add("_gradients", "ParameterCount", model.ParameterCount, "The gradients of the last batch, in the layout of Parameters.");
        Add("_optimizerFirst", first ? "ParameterCount" : "0", first ? model.ParameterCount : 0, first ? "The optimizer's first moment (momentum, or Adam's m)." : "Unused: this optimizer keeps no first moment.");
        Add("_optimizerSecond", second ? "ParameterCount" : "0", second ? model.ParameterCount : 0, second ? "The optimizer's second moment (Adam's v, RMSprop's velocity)." : "Unused: this optimizer keeps no second moment.");
        if (workers > 1)
        {
            string input = model.TakesTokens ? "int" : model.ElementType;
            string target = training.Loss == LossKind.SparseCategoricalCrossentropy ? "int" : model.ElementType;
            long rows = model.OutputIsSequence ? sequence : 1;
            string perStep = model.TakesTokens ? string.Empty : $" * {Int(model.InputWidth)}";
            string perRow = model.TargetsPerRow == 1 ? string.Empty : $" * {Int(model.TargetsPerRow)}";
            buffers.Add(new BufferSpec("_batchInputs", $"BatchSize * SequenceLength{perStep}", (long)training.BatchSize * sequence * (model.TakesTokens ? 1 : model.InputWidth), "The batch's inputs, copied where every share's thread can read them (a span cannot leave its thread).", Kind, input));
            buffers.Add(new BufferSpec("_batchTargets", $"BatchSize{(model.OutputIsSequence ? " * SequenceLength" : string.Empty)}{perRow}", training.BatchSize * rows * model.TargetsPerRow, "The batch's targets, copied with the inputs.", Kind, target));
            buffers.Add(new BufferSpec("_gradients", "ParameterCount", model.ParameterCount, "This share's gradients; share 0 adds into the model's own, the others are added to them in share order.", Kind, InWorkspace: true, Copies: workers - 1));
        }

        PerSequence("_trainOutputs", "SequenceLength * OutputUnits", sequence * model.OutputWidth, model.TrainsOnLogits ? "The last layer's sums (logits) for each sequence of a batch, as the fused loss reads them." : "The model's outputs for each sequence of a batch, as the loss reads them.");
        PerSequence("_outputGradients", "SequenceLength * OutputUnits", sequence * model.OutputWidth, "dLoss/d(the loss's input) for each sequence of a batch.");
        foreach (LayerModel layer in model.Layers)
        {
            string field = Stem(layer);
            if (layer != model.Last)
            {
                if (layer.OutputIsSequence)
                {
                    PerSequence($"{field}OutputGradients", $"SequenceLength * {Int(layer.OutputWidth)}", sequence * layer.OutputWidth, $"{layer.Name}: dLoss/d(its outputs).");
                }
                else
                {
                    PerSequence($"{field}OutputGradients", Int(layer.OutputWidth), layer.OutputWidth, $"{layer.Name}: dLoss/d(its outputs).");
                }
            }

            if (!layer.IsRecurrent)
            {
                continue;
            }

            if (!layer.OutputIsSequence && layer != model.Last && !layer.Bidirectional)
            {
                PerSequence($"{field}Last", Int(layer.Units), layer.Units, $"{layer.Name}: the hidden state after the last step, the next layer's input, one row per sequence.");
            }

            foreach (string direction in Directions(layer))
            {
                PerSequence($"{field}{direction}HiddenGradients", $"SequenceLength * {Int(layer.Units)}", sequence * layer.Units, $"{layer.Name}{(direction.Length == 0 ? string.Empty : " " + direction.ToLowerInvariant())}: dLoss/dh from the layers above, per step.");
            }

            PerSequence($"{field}BackwardScratch", Int(2 * layer.Units), 2L * layer.Units, $"{layer.Name}: dL/dh and dL/dc carried from step to step, one row per sequence.");
            if (training.Stateful)
            {
                long rows = (long)training.BatchSize * layer.Units;
                string size = $"BatchSize * {Int(layer.Units)}";
                Add($"{field}TrainHidden", size, rows, $"{layer.Name}: each batch row's carried hidden state.");
                Add($"{field}TrainHiddenNext", size, rows, $"{layer.Name}: each batch row's hidden state after this batch, kept only if the batch is finite.");
                if (layer.Type == LayerType.Lstm)
                {
                    Add($"{field}TrainCell", size, rows, $"{layer.Name}: each batch row's carried cell state.");
                    Add($"{field}TrainCellNext", size, rows, $"{layer.Name}: each batch row's cell state after this batch.");
                }
            }
        }
    }

    /// <summary>
    /// The sequences one pass of a lock-step model runs at once: the batch, or with Parallelism the largest share
    /// (shares are k·BatchSize/N to (k+1)·BatchSize/N).
    /// </summary>
    public static long SequencesPerPass(NetworkModel model) => ((long)model.Training!.BatchSize + model.Workers - 1) / model.Workers;

    /// <summary><see cref="SequencesPerPass"/> as a C# expression in the class's constants.</summary>
    public static string SequencesPerPassText(NetworkModel model) =>
        model.Workers == 1 ? "BatchSize" : $"((BatchSize + {Int(model.Workers - 1)}) / {Int(model.Workers)})";

    /// <summary>
    /// The bytes of each kind of buffer, and in all. Working buffers count one sequence's block (what Predict uses); the
    /// other blocks of a lock-step training batch count as training.
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

    /// <summary>The field of the panel copy (<see cref="PanelWeights"/>).</summary>
    public const string PanelBuffer = "_panels";

    public static string[] Directions(LayerModel layer) => layer.Bidirectional ? new[] { "Forward", "Backward" } : new[] { string.Empty };

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
}
