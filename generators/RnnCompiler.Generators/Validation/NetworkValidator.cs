using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using RnnCompiler.Generators.Model;

namespace RnnCompiler.Generators.Validation;

/// <summary>
/// Judges a <see cref="ModelDeclaration"/> and, when it is sound, resolves it into a <see cref="NetworkModel"/>: shapes,
/// Keras names, parameter offsets. The generator and the analyzers both call this, so they agree by construction.
/// </summary>
internal static class NetworkValidator
{
    public const int MaxUnits = 65_536;
    public const int MaxFeatures = 1 << 20;
    public const int MaxVocabulary = 1 << 24;
    public const int MaxSequenceLength = 1 << 20;

    /// <summary>The largest buffer or parameter vector a model may hold, in elements (arrays stay far below .NET's limit).</summary>
    public const long MaxElements = 1L << 30;

    /// <summary>Names the generator emits into the user's class; a user member of the same name collides.</summary>
    public static readonly string[] GeneratedMemberNames =
    {
        "SequenceLength", "InputFeatures", "VocabularySize", "OutputUnits", "ParameterCount", "Summary", "Parameters",
        "Predict", "Step", "ResetState", "InitializeWeights", "SaveWeights", "LoadWeights", "Layout", "s_layers", "s_info", "_parameters", "CreateInitialParameters", "RunForward",
        "BatchSize", "Gradients", "TrainBatch", "ComputeGradients", "Evaluate", "SaveCheckpoint", "LoadCheckpoint",
        "UpdateCount", "SkippedUpdates", "LastAccuracy", "RunBatch", "RunBackward", "s_optimizer", "s_training", "CompiledWeights",
        "RefreshBFloat16Weights", "BFloat16Layout", "_bf16Weights", "_bf16Stale", "CompiledBFloat16Weights",
        "RefreshPanels", "PanelLayout", "_panels", "_panelsStale",
    };

    /// <summary>Names the generator emits besides those when training runs on several threads (<c>Parallelism</c> &gt; 1).</summary>
    public static readonly string[] WorkspaceMemberNames = { "Workspace", "EnsureWorkspaces", "_workspaces", "_workers", "_batchInputs", "_batchTargets" };

    /// <summary>The most threads a training batch runs on.</summary>
    public const int MaxParallelism = 64;

    public static (NetworkModel? Network, List<ValidationProblem> Problems) Validate(ModelDeclaration declaration)
    {
        var problems = new List<ValidationProblem>();
        string name = declaration.TypeName;
        if (string.IsNullOrWhiteSpace(name))
        {
            // A class whose name is missing (a syntax error the compiler reports): nothing to generate or say.
            return (null, problems);
        }

        if (!declaration.IsPartial)
        {
            problems.Add(new(ProblemIds.NotPartial, ValidationProblem.OnClass, $"'{name}' must be declared 'partial' so that RnnCompiler can add the network's code to it; write 'partial class {name}'."));
        }

        if (declaration.IsGeneric || declaration.ContainingTypes.Any(type => type.IsGeneric))
        {
            problems.Add(new(ProblemIds.GenericType, ValidationProblem.OnClass, $"'{name}' is generic or nested in a generic type; an [RnnModel] class must be a non-generic class outside generic types."));
        }

        foreach (ContainingType outer in declaration.ContainingTypes.Where(type => !type.IsPartial))
        {
            problems.Add(new(ProblemIds.ContainingTypeNotPartial, ValidationProblem.OnClass, $"'{name}' is nested in '{outer.Name}', which must also be declared 'partial'."));
        }

        if (declaration.IsStatic)
        {
            problems.Add(new(ProblemIds.StaticClass, ValidationProblem.OnClass, $"'{name}' is static; a model holds weights and state, so remove 'static'."));
        }

        if (declaration.SequenceLength < 1 || declaration.SequenceLength > MaxSequenceLength)
        {
            problems.Add(new(ProblemIds.SequenceLengthOutOfRange, ValidationProblem.OnModelAttribute, $"SequenceLength is {declaration.SequenceLength}; set it to the most steps one prediction takes, from 1 to {MaxSequenceLength.ToString("N0", CultureInfo.InvariantCulture)}, for example [RnnModel(SequenceLength = 80)]."));
        }

        if (declaration.LayersSplitAcrossParts)
        {
            problems.Add(new(ProblemIds.LayersSplitAcrossParts, ValidationProblem.OnClass, $"The layer attributes of '{name}' are spread over several partial declarations, so their order is undefined; put them all on one declaration."));
        }

        if (GeneratedMemberNames.Contains(name))
        {
            problems.Add(new(ProblemIds.MemberCollision, ValidationProblem.OnClass, $"A model class cannot be named '{name}': RnnCompiler generates a member of that name, and a member cannot share its class's name; rename the class."));
        }

        bool workspaces = declaration.Training is { Parallelism: > 1 };
        foreach (string member in declaration.MemberNames.Where(member => GeneratedMemberNames.Contains(member) || (workspaces && WorkspaceMemberNames.Contains(member))))
        {
            problems.Add(new(ProblemIds.MemberCollision, ValidationProblem.OnClass, $"'{name}' declares '{member}', which RnnCompiler generates; rename your member."));
        }

        EquatableArray<LayerDeclaration> layers = declaration.Layers;
        if (layers.Count == 0)
        {
            problems.Add(new(ProblemIds.NoLayers, ValidationProblem.OnClass, $"'{name}' has no layers; add an input layer and at least one more, for example [Input(8)] [Lstm(32)] [Dense(1)]."));
            return (null, problems);
        }

        if (layers[0].Type is not (LayerType.Input or LayerType.Embedding))
        {
            problems.Add(new(ProblemIds.FirstLayerNotInput, 0, $"The first layer must be [Input(features)] or [Embedding(vocabularySize, dimensions)]; '{name}' starts with {Describe(layers[0].Type)}."));
        }
        else if (layers.Count == 1)
        {
            problems.Add(new(ProblemIds.NoWeightedLayer, 0, $"'{name}' has only an input layer; add a recurrent or Dense layer after it."));
        }

        if (declaration.Precision is not (0 or 1))
        {
            problems.Add(new(ProblemIds.UnknownEnumValue, ValidationProblem.OnModelAttribute, "The Precision value is not one of the named values; use Precision.Single or Precision.Double."));
        }

        if (declaration.WeightPrecision is not (0 or 1))
        {
            problems.Add(new(ProblemIds.UnknownEnumValue, ValidationProblem.OnModelAttribute, "The WeightPrecision value is not one of the named values; use WeightPrecision.Float or WeightPrecision.BFloat16."));
        }
        else if (declaration.WeightPrecision == 1)
        {
            // bfloat16 weights are an inference format: a double model would lose far more than it saves, and training
            // would update float weights that Predict no longer reads exactly (and gradients of rounded weights).
            if (declaration.Precision == 1)
            {
                problems.Add(new(ProblemIds.BFloat16NotSupported, ValidationProblem.OnModelAttribute, $"WeightPrecision.BFloat16 stores float weights at half the bytes; '{name}' computes in double. Remove Precision = Precision.Double, or WeightPrecision = WeightPrecision.BFloat16."));
            }

            if (declaration.Training is not null)
            {
                problems.Add(new(ProblemIds.BFloat16NotSupported, ValidationProblem.OnModelAttribute, $"WeightPrecision.BFloat16 is for inference, and '{name}' has [Train]. Train a float model, save its weights, and load them into a second class declared with WeightPrecision = WeightPrecision.BFloat16 and without [Train]."));
            }
        }

        NetworkModel? network = Resolve(declaration, problems);
        if (declaration.Training is { } training)
        {
            ValidateTraining(training, network, problems);
        }

        return (problems.Count == 0 ? network : null, problems);
    }

    private static void ValidateTraining(TrainingDeclaration training, NetworkModel? network, List<ValidationProblem> problems)
    {
        const int OnTrain = ValidationProblem.OnTrainAttribute;
        if (!System.Enum.IsDefined(typeof(LossKind), training.Loss) || !System.Enum.IsDefined(typeof(OptimizerKind), training.Optimizer))
        {
            problems.Add(new(ProblemIds.UnknownEnumValue, OnTrain, "The Loss or Optimizer value is not one of the named values; use a member of the enum."));
            return;
        }

        void OutOfRange(string what) => problems.Add(new(ProblemIds.TrainingValueOutOfRange, OnTrain, what));
        if (!(training.LearningRate > 0) || float.IsInfinity(training.LearningRate))
        {
            OutOfRange($"LearningRate is {Float(training.LearningRate)}; it must be a positive number, for example LearningRate = 1e-3f.");
        }

        if (training.BatchSize < 1 || training.BatchSize > 65_536)
        {
            OutOfRange($"BatchSize is {training.BatchSize}; it must be from 1 to 65,536, for example BatchSize = 32.");
        }

        foreach ((string name, float value) in new[] { ("ClipNorm", training.ClipNorm), ("GlobalClipNorm", training.GlobalClipNorm), ("ClipValue", training.ClipValue) })
        {
            if (!(value >= 0) || float.IsInfinity(value))
            {
                OutOfRange($"{name} is {Float(value)}; it must be positive to clip, or 0 (the default) not to.");
            }
        }

        foreach ((string name, float value) in new[] { ("Momentum", training.Momentum), ("Beta1", training.Beta1), ("Beta2", training.Beta2), ("Rho", training.Rho) })
        {
            if (!(value >= 0 && value < 1))
            {
                OutOfRange($"{name} is {Float(value)}; it must be in [0, 1).");
            }
        }

        if (!(training.Epsilon > 0) || float.IsInfinity(training.Epsilon))
        {
            OutOfRange($"Epsilon is {Float(training.Epsilon)}; it must be a small positive number such as 1e-7f.");
        }

        if (training.Parallelism < 0 || training.Parallelism > MaxParallelism)
        {
            problems.Add(new(ProblemIds.ParallelismOutOfRange, OnTrain, $"Parallelism is {training.Parallelism}; it must be from 1 to {MaxParallelism} threads (0, the default, means 1), for example Parallelism = 2."));
        }
        else if (training.BatchSize >= 1 && training.Parallelism > training.BatchSize)
        {
            problems.Add(new(ProblemIds.ParallelismOutOfRange, OnTrain, $"Parallelism is {training.Parallelism} but BatchSize is {training.BatchSize}, so a share of the batch would never get a sequence; set Parallelism to at most {training.BatchSize}, or raise BatchSize."));
        }

        if (network is null)
        {
            return;
        }

        if (training.Stateful && !network.CanStream)
        {
            problems.Add(new(ProblemIds.StatefulBidirectional, OnTrain, "Stateful training carries each sequence's final state into the next batch, which a bidirectional layer cannot do; remove Stateful = true, or Bidirectional = true."));
        }

        LayerModel last = network.Last;
        ActivationKind activation = last.Type == LayerType.Dense ? last.Activation : ActivationKind.Linear;
        string lossName = training.Loss.ToString();
        void DoesNotFit(string message) => problems.Add(new(ProblemIds.LossDoesNotFitOutput, OnTrain, message));
        switch (training.Loss)
        {
            case LossKind.SparseCategoricalCrossentropy:
            case LossKind.CategoricalCrossentropy:
                if (last.Type != LayerType.Dense || (training.FromLogits ? activation != ActivationKind.Linear : activation != ActivationKind.Softmax))
                {
                    DoesNotFit($"{lossName} needs a probability per class: end the model with [Dense(classes, Activation = Activation.Softmax)], or with a Linear Dense layer and FromLogits = true.");
                }
                else if (last.Units < 2)
                {
                    DoesNotFit($"{lossName} needs at least two classes, but the last layer has 1 unit; for a yes/no output use Loss = Loss.BinaryCrossentropy with [Dense(1, Activation = Activation.Sigmoid)].");
                }

                break;
            case LossKind.BinaryCrossentropy:
                if (last.Type != LayerType.Dense || (training.FromLogits ? activation != ActivationKind.Linear : activation != ActivationKind.Sigmoid))
                {
                    DoesNotFit("BinaryCrossentropy needs a probability per unit: end the model with [Dense(units, Activation = Activation.Sigmoid)], or with a Linear Dense layer and FromLogits = true.");
                }

                break;
            default:
                if (training.FromLogits)
                {
                    DoesNotFit($"FromLogits only applies to the cross-entropy losses; remove it for {lossName}.");
                }

                break;
        }
    }

    private static string Float(float value) => value.ToString("R", CultureInfo.InvariantCulture);



    private static NetworkModel? Resolve(ModelDeclaration declaration, List<ValidationProblem> problems)
    {
        EquatableArray<LayerDeclaration> layers = declaration.Layers;
        var counters = new Dictionary<string, int>();
        string NextName(string kind)
        {
            counters.TryGetValue(kind, out int count);
            counters[kind] = count + 1;
            return count == 0 ? kind : kind + "_" + count.ToString(CultureInfo.InvariantCulture);
        }

        var resolved = new List<LayerModel>();
        var tensors = new List<TensorModel>();
        bool takesTokens = layers[0].Type == LayerType.Embedding;
        int width = 0;
        bool isSequence = true;
        int inputWidth = 0;
        long offset = 0;
        for (int index = 0; index < layers.Count; index++)
        {
            LayerDeclaration layer = layers[index];
            string label = Describe(layer.Type);
            bool CheckSize(int value, int max, string what)
            {
                if (value >= 1 && value <= max)
                {
                    return true;
                }

                problems.Add(new(ProblemIds.SizeOutOfRange, index, $"{label}: {what} is {value}; it must be from 1 to {max.ToString("N0", CultureInfo.InvariantCulture)}."));
                return false;
            }

            if (index > 0 && layer.Type is LayerType.Input or LayerType.Embedding)
            {
                problems.Add(new(ProblemIds.InputNotFirst, index, $"{label} can only be the first layer; remove it, or move it to the top."));
                continue;
            }

            if (layer.ActivationSet && !System.Enum.IsDefined(typeof(ActivationKind), layer.Activation)
                || layer.MergeModeSet && !System.Enum.IsDefined(typeof(MergeKind), layer.MergeMode))
            {
                problems.Add(new(ProblemIds.UnknownEnumValue, index, $"{label}: an Activation or MergeMode value is not one of the named values; use a member of the enum."));
                continue;
            }

            switch (layer.Type)
            {
                case LayerType.Input:
                    if (CheckSize(layer.First, MaxFeatures, "features"))
                    {
                        width = inputWidth = layer.First;
                    }

                    continue;
                case LayerType.Embedding:
                {
                    bool ok = CheckSize(layer.First, MaxVocabulary, "the vocabulary size") & CheckSize(layer.Second, MaxUnits, "dimensions");
                    if (!ok)
                    {
                        continue;
                    }

                    string embeddingName = NextName("embedding");
                    var model = new LayerModel(LayerType.Embedding, embeddingName, embeddingName, Identifier(embeddingName), layer.First, layer.Second, layer.Second,
                        true, true, ActivationKind.Linear, false, MergeKind.Concat, false, (int)offset, 0);
                    model = AddTensors(model, tensors, ref offset, problems, index);
                    resolved.Add(model);
                    inputWidth = layer.First;
                    width = layer.Second;
                    continue;
                }
            }

            if (!CheckSize(layer.First, MaxUnits, "units") || width == 0)
            {
                continue;
            }

            if (layer.Type == LayerType.Dense)
            {
                string denseName = NextName("dense");
                var dense = new LayerModel(LayerType.Dense, denseName, denseName, Identifier(denseName), width, layer.First, layer.First,
                    isSequence, isSequence, layer.Activation, false, MergeKind.Concat, false, (int)offset, 0);
                resolved.Add(AddTensors(dense, tensors, ref offset, problems, index));
                width = layer.First;
                continue;
            }

            // A recurrent layer.
            if (!isSequence)
            {
                problems.Add(new(ProblemIds.NeedsSequence, index, $"{label} needs a sequence, but the layer before it returns one vector per sequence; set ReturnSequences = true on the layer before it."));
                continue;
            }

            if (layer.MergeModeSet && !layer.Bidirectional)
            {
                problems.Add(new(ProblemIds.MergeModeWithoutBidirectional, index, $"{label}: MergeMode only applies to a bidirectional layer; set Bidirectional = true, or remove MergeMode."));
            }

            if (layer.Type == LayerType.SimpleRnn && layer.Activation == ActivationKind.Softmax)
            {
                problems.Add(new(ProblemIds.UnsupportedActivation, index, $"{label}: Softmax is not a recurrent activation; use Tanh (the default), Relu, Sigmoid or Linear, and put a Dense layer with Softmax after it."));
                continue;
            }

            string kind = layer.Type switch { LayerType.SimpleRnn => "simple_rnn", LayerType.Lstm => "lstm", _ => "gru" };
            string inner = NextName(kind);
            string layerName = layer.Bidirectional ? NextName("bidirectional") : inner;
            int units = layer.First;
            int output = layer.Bidirectional && layer.MergeMode == MergeKind.Concat ? 2 * units : units;
            var recurrent = new LayerModel(layer.Type, layerName, inner, Identifier(layerName), width, units, output,
                true, layer.ReturnSequences, layer.Type == LayerType.SimpleRnn ? layer.Activation : ActivationKind.Tanh,
                layer.Bidirectional, layer.MergeMode, layer.Type == LayerType.Gru && layer.ResetAfter, (int)offset, 0);
            if ((long)declaration.SequenceLength * recurrent.Gates * units > MaxElements)
            {
                problems.Add(new(ProblemIds.ModelTooLarge, index, $"{label}: SequenceLength × gates × units is over {MaxElements.ToString("N0", CultureInfo.InvariantCulture)} values; make the layer or the sequence smaller."));
                continue;
            }

            resolved.Add(AddTensors(recurrent, tensors, ref offset, problems, index));
            width = output;
            isSequence = layer.ReturnSequences;
        }

        if (offset > MaxElements)
        {
            problems.Add(new(ProblemIds.ModelTooLarge, ValidationProblem.OnClass, $"'{declaration.TypeName}' has {offset.ToString("N0", CultureInfo.InvariantCulture)} parameters; the most a model holds is {MaxElements.ToString("N0", CultureInfo.InvariantCulture)}."));
        }

        if (problems.Count > 0 || resolved.Count == 0)
        {
            return null;
        }

        var network = new NetworkModel(
            declaration.Namespace,
            declaration.TypeName,
            declaration.ContainingTypes,
            HintName(declaration),
            declaration.SequenceLength,
            takesTokens,
            inputWidth,
            new EquatableArray<LayerModel>(resolved),
            new EquatableArray<TensorModel>(tensors),
            (int)offset,
            declaration.Precision == 1,
            declaration.Training,
            string.IsNullOrWhiteSpace(declaration.WeightsFile) ? null : declaration.WeightsFile,
            declaration.WeightPrecision == 1);

        // Every array the model will allocate must stay within the limit (a sequence buffer is SequenceLength × width).
        foreach (BufferSpec buffer in BufferPlan.For(network))
        {
            if (buffer.Elements > MaxElements)
            {
                problems.Add(new(ProblemIds.ModelTooLarge, ValidationProblem.OnClass, $"'{declaration.TypeName}' would need a buffer of {buffer.Elements.ToString("N0", CultureInfo.InvariantCulture)} values ({buffer.Summary.TrimEnd('.')}); the most one buffer holds is {MaxElements.ToString("N0", CultureInfo.InvariantCulture)}. Make SequenceLength or the layer smaller."));
                return null;
            }
        }

        return network;
    }

    /// <summary>Adds the layer's tensors in Keras's order and returns the layer with its parameter count.</summary>
    private static LayerModel AddTensors(LayerModel layer, List<TensorModel> tensors, ref long offset, List<ValidationProblem> problems, int index)
    {
        long start = offset;
        long cursor = offset;
        void Add(string suffix, string identifier, params long[] shape)
        {
            long length = 1;
            foreach (long dimension in shape)
            {
                length *= dimension;
            }

            if (cursor + length <= MaxElements)
            {
                tensors.Add(new TensorModel(layer.Name + "/" + suffix, layer.Identifier + identifier, "[" + string.Join(", ", shape) + "]", (int)cursor, (int)length));
            }

            cursor += length;
        }

        switch (layer.Type)
        {
            case LayerType.Embedding:
                Add("embeddings", "Embeddings", layer.InputWidth, layer.Units);
                break;
            case LayerType.Dense:
                Add("kernel", "Kernel", layer.InputWidth, layer.Units);
                Add("bias", "Bias", layer.Units);
                break;
            default:
                foreach (string direction in layer.Bidirectional ? new[] { "forward", "backward" } : new[] { string.Empty })
                {
                    string prefix = direction.Length == 0 ? string.Empty : direction + "_" + layer.InnerName + "/";
                    string id = direction.Length == 0 ? string.Empty : Identifier(direction);
                    long gates = (long)layer.Gates * layer.Units;
                    Add(prefix + "kernel", id + "Kernel", layer.InputWidth, gates);
                    Add(prefix + "recurrent_kernel", id + "RecurrentKernel", layer.Units, gates);
                    if (layer.ResetAfter)
                    {
                        Add(prefix + "bias", id + "Bias", 2, gates);
                    }
                    else
                    {
                        Add(prefix + "bias", id + "Bias", gates);
                    }
                }

                break;
        }

        offset = cursor;
        if (cursor > MaxElements)
        {
            problems.Add(new(ProblemIds.ModelTooLarge, index, $"{Describe(layer.Type)} brings the model past {MaxElements.ToString("N0", CultureInfo.InvariantCulture)} parameters; make it smaller."));
            return layer;
        }

        return layer with { ParameterCount = (int)(cursor - start) };
    }

    /// <summary><c>lstm_1</c> → <c>Lstm1</c>.</summary>
    public static string Identifier(string name)
    {
        var builder = new StringBuilder(name.Length);
        bool upper = true;
        foreach (char c in name)
        {
            if (c == '_')
            {
                upper = true;
                continue;
            }

            builder.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }

        return builder.ToString();
    }

    private static string HintName(ModelDeclaration declaration)
    {
        var parts = new List<string>();
        if (declaration.Namespace is not null)
        {
            parts.Add(declaration.Namespace);
        }

        parts.AddRange(declaration.ContainingTypes.Select(type => type.Name));
        parts.Add(declaration.TypeName);

        // A hint name allows letters, digits and a few punctuation marks: drop the '@' of verbatim identifiers
        // (namespace @class) and replace anything else unusual.
        var builder = new StringBuilder();
        foreach (char c in string.Join(".", parts))
        {
            if (c == '@')
            {
                continue;
            }

            builder.Append(char.IsLetterOrDigit(c) || c is '.' or '_' ? c : '_');
        }

        return builder + ".g.cs";
    }

    private static string Describe(LayerType type) => type switch
    {
        LayerType.Input => "[Input]",
        LayerType.Embedding => "[Embedding]",
        LayerType.SimpleRnn => "[SimpleRnn]",
        LayerType.Lstm => "[Lstm]",
        LayerType.Gru => "[Gru]",
        _ => "[Dense]",
    };
}
