using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using RnnCompiler.Generators.Emit;
using RnnCompiler.Generators.Layers;
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

    /// <summary>The largest batch a model runs in lock step, for training or batched Predict.</summary>
    public const int MaxBatchSize = 65_536;

    /// <summary>The largest buffer or parameter vector a model may hold, in elements (arrays stay far below .NET's limit).</summary>
    public const long MaxElements = 1L << 30;

    /// <summary>The most threads a training batch runs on.</summary>
    public const int MaxParallelism = 64;

    public static (NetworkModel? Network, List<ValidationProblem> Problems) Validate(ModelDeclaration declaration)
    {
        var problems = new List<ValidationProblem>();
        string name = declaration.TypeName;
        if (!declaration.HasCompleteNames)
        {
            // A class, an outer type or a namespace whose name is missing (a syntax error the compiler reports, such as
            // "namespace( Demo"): nothing to generate or say.
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

        if (declaration.NamespaceLevelModifier is { } modifier)
        {
            problems.Add(new(ProblemIds.NamespaceLevelAccess, ValidationProblem.OnClass, $"'{name}' is declared '{modifier}' outside any type, which C# does not allow (CS1527); make it public, internal or file, or nest it in a partial type."));
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

        EquatableArray<LayerDeclaration> layers = declaration.Layers;
        if (layers.Count == 0)
        {
            problems.Add(new(ProblemIds.NoLayers, ValidationProblem.OnClass, $"'{name}' has no layers; add an input layer and at least one more, for example [Input(8)] [Lstm(32)] [Dense(1)]."));
            return (null, problems);
        }

        if (!layers[0].Kind.Descriptor().IsModelInput)
        {
            problems.Add(new(ProblemIds.FirstLayerNotInput, 0, $"The first layer must be [Input(features)] or [Embedding(vocabularySize, dimensions)]; '{name}' starts with {layers[0].Kind.Descriptor().Label}."));
        }
        else if (layers.Count == 1)
        {
            problems.Add(new(ProblemIds.NoWeightedLayer, 0, $"'{name}' has only an input layer; add a recurrent or Dense layer after it."));
        }

        if (declaration.Precision is not (0 or 1))
        {
            problems.Add(new(ProblemIds.UnknownEnumValue, ValidationProblem.OnModelAttribute, "The Precision value is not one of the named values; use Precision.Single or Precision.Double."));
        }

        string precision = declaration.WeightPrecision == 2 ? "Int8" : "BFloat16";
        if (declaration.WeightPrecision is not (0 or 1 or 2))
        {
            problems.Add(new(ProblemIds.UnknownEnumValue, ValidationProblem.OnModelAttribute, "The WeightPrecision value is not one of the named values; use WeightPrecision.Float, WeightPrecision.BFloat16 or WeightPrecision.Int8."));
        }
        else if (declaration.WeightPrecision is 1 or 2)
        {
            // bfloat16 and int8 weights are inference formats: a double model would lose far more than it saves, and
            // training would update float weights that Predict no longer reads exactly (and gradients of rounded weights).
            string stores = declaration.WeightPrecision == 2 ? "stores float weights in a quarter of the bytes" : "stores float weights at half the bytes";
            if (declaration.Precision == 1)
            {
                problems.Add(new(ProblemIds.BFloat16NotSupported, ValidationProblem.OnModelAttribute, $"WeightPrecision.{precision} {stores}; '{name}' computes in double. Remove Precision = Precision.Double, or WeightPrecision = WeightPrecision.{precision}."));
            }

            if (declaration.Training is not null)
            {
                problems.Add(new(ProblemIds.BFloat16NotSupported, ValidationProblem.OnModelAttribute, $"WeightPrecision.{precision} is for inference, and '{name}' has [Train]. Train a float model, save its weights, and load them into a second class declared with WeightPrecision = WeightPrecision.{precision} and without [Train]."));
            }
        }

        NetworkModel? network = Resolve(declaration, problems);
        if (network is { Decoder: { } decoder } && (network.OutputWidth != decoder.InputWidth || !network.OutputIsSequence))
        {
            problems.Add(new(ProblemIds.DecoderPlacement, layers.Count - 1, $"'{name}' decodes tokens of a vocabulary of {decoder.InputWidth}, which its last layer picks from at every step: end it with [Dense({decoder.InputWidth}, Activation = Activation.Softmax)] after a decoder layer that returns sequences."));
        }

        if (network is { HasDropout: true } && (network.BFloat16Weights || network.Int8Weights))
        {
            problems.Add(new(ProblemIds.DropoutInference, ValidationProblem.OnModelAttribute, $"'{name}' has {(network.Int8Weights ? "int8" : "bfloat16")} weights, so it only infers, and dropout only acts while training: it would do nothing. Remove the dropout ([Dropout], Dropout = …) from this inference class, and keep it on the float class that trains."));
        }

        if (declaration.Training is { } training)
        {
            ValidateTraining(training, network, problems);
        }

        ValidateBatchSize(declaration, network, problems);
        ValidateStreams(declaration, network, problems);
        ValidatePredictParallelism(declaration, network, problems);

        // Last: the names come from emitting the model, which needs every other check passed.
        if (problems.Count == 0 && network is not null)
        {
            CheckMemberNames(declaration, network, problems);
        }

        return (problems.Count == 0 ? network : null, problems);
    }

    /// <summary>[RnnModel(Streams)]: in range, on a model that streams in float weights without masking.</summary>
    private static void ValidateStreams(ModelDeclaration declaration, NetworkModel? network, List<ValidationProblem> problems)
    {
        int streams = declaration.Streams;
        string name = declaration.TypeName;
        if (streams is 0 or 1)
        {
            return;
        }

        if (streams < 0 || streams > MaxBatchSize)
        {
            problems.Add(new(ProblemIds.StreamsNotPossible, ValidationProblem.OnModelAttribute, $"Streams is {streams}; set it to the number of independent streams StepStreams steps together, from 2 to {MaxBatchSize.ToString("N0", CultureInfo.InvariantCulture)}, for example [RnnModel(SequenceLength = 32, Streams = 64)], or leave it out for one stream."));
        }
        else if (network is { OutputSteps: > 0 })
        {
            problems.Add(new(ProblemIds.StreamsNotPossible, ValidationProblem.OnModelAttribute, $"'{name}' repeats a vector over {network.OutputSteps} steps after its whole input ([RepeatVector]), so it has no output per input step to stream; remove Streams = {streams}."));
        }
        else if (network is { CanStream: false })
        {
            problems.Add(new(ProblemIds.StreamsNotPossible, ValidationProblem.OnModelAttribute, $"'{name}' has a bidirectional layer, which needs the whole sequence, so it cannot step streams; remove Streams = {streams}, or make the layers one-directional."));
        }
        else if (declaration.WeightPrecision is 1 or 2)
        {
            problems.Add(new(ProblemIds.StreamsNotPossible, ValidationProblem.OnModelAttribute, $"'{name}' reads {(declaration.WeightPrecision == 2 ? "int8" : "bfloat16")} weights, which Step reads one stream at a time; remove Streams = {streams}, or declare a float model (without WeightPrecision) to step streams together."));
        }
        else if (network is { Masks: true })
        {
            problems.Add(new(ProblemIds.StreamsNotPossible, ValidationProblem.OnModelAttribute, $"'{name}' masks steps, which each stream would keep or skip on its own; remove Streams = {streams}, or the masking (MaskZero, [Masking]), to step streams together."));
        }
    }

    /// <summary>[RnnModel(Parallelism)]: in range, on an inference model with a batch to split.</summary>
    private static void ValidatePredictParallelism(ModelDeclaration declaration, NetworkModel? network, List<ValidationProblem> problems)
    {
        int workers = declaration.Parallelism;
        string name = declaration.TypeName;
        if (workers == 0)
        {
            return;
        }

        if (workers < 0 || workers > MaxParallelism)
        {
            problems.Add(new(ProblemIds.ParallelismOutOfRange, ValidationProblem.OnModelAttribute, $"Parallelism is {workers}; it must be from 1 to {MaxParallelism} threads (0, the default, means 1), for example [RnnModel(SequenceLength = 32, BatchSize = 64, Parallelism = 2)]."));
        }
        else if (declaration.Training is { } training)
        {
            problems.Add(new(ProblemIds.ParallelismOutOfRange, ValidationProblem.OnModelAttribute, $"'{name}' trains, and its batched Predict runs on the threads its training runs on; remove Parallelism = {workers} from [RnnModel] and set [Train(Parallelism = {workers})] instead."));
        }
        else if (workers > 1 && declaration.BatchSize < workers)
        {
            problems.Add(new(ProblemIds.ParallelismOutOfRange, ValidationProblem.OnModelAttribute, declaration.BatchSize <= 1
                ? $"Parallelism is {workers} but '{name}' has no batch to split: batched Predict runs sequence by sequence without BatchSize. Add BatchSize (at least {workers}, for example BatchSize = 64) to [RnnModel], or remove Parallelism."
                : $"Parallelism is {workers} but BatchSize is {declaration.BatchSize}, so a share of the batch would never get a sequence; set Parallelism to at most {declaration.BatchSize}, or raise BatchSize."));
        }
    }

    /// <summary>[RnnModel(BatchSize)]: in range, and on a model that trains, the training batch its passes hold.</summary>
    private static void ValidateBatchSize(ModelDeclaration declaration, NetworkModel? network, List<ValidationProblem> problems)
    {
        int size = declaration.BatchSize;
        string name = declaration.TypeName;
        if (size == 0)
        {
            return;
        }

        if (size < 0 || size > MaxBatchSize)
        {
            problems.Add(new(ProblemIds.PredictBatchSize, ValidationProblem.OnModelAttribute, $"BatchSize is {size}; set it to the most sequences one batched Predict runs at once, from 1 to {MaxBatchSize.ToString("N0", CultureInfo.InvariantCulture)}, for example [RnnModel(SequenceLength = 32, BatchSize = 64)], or leave it out to predict sequence by sequence."));
        }
        else if (declaration.Training is { } training && size != training.BatchSize)
        {
            problems.Add(new(ProblemIds.PredictBatchSize, ValidationProblem.OnModelAttribute, $"'{name}' trains in batches of {training.BatchSize} ([Train(BatchSize = {training.BatchSize})]) and its buffers hold that many sequences, so batched Predict runs that many at once; remove BatchSize = {size} from [RnnModel], or set the batch on [Train]."));
        }
        else if (declaration.WeightPrecision is 1 or 2 && size > 1)
        {
            problems.Add(new(ProblemIds.PredictBatchSize, ValidationProblem.OnModelAttribute, $"'{name}' reads {(declaration.WeightPrecision == 2 ? "int8" : "bfloat16")} weights, which Predict runs one sequence at a time; remove BatchSize = {size}, or declare a float model (without WeightPrecision) to predict batches in lock step."));
        }
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
        if (!(training.LearningRate > 0) || double.IsInfinity(training.LearningRate))
        {
            OutOfRange($"LearningRate is {Float(training.LearningRate)}; it must be a positive number, for example LearningRate = 1e-3.");
        }

        if (training.BatchSize < 1 || training.BatchSize > 65_536)
        {
            OutOfRange($"BatchSize is {training.BatchSize}; it must be from 1 to 65,536, for example BatchSize = 32.");
        }

        foreach ((string name, double value) in new[] { ("ClipNorm", training.ClipNorm), ("GlobalClipNorm", training.GlobalClipNorm), ("ClipValue", training.ClipValue) })
        {
            if (!(value >= 0) || double.IsInfinity(value))
            {
                OutOfRange($"{name} is {Float(value)}; it must be positive to clip, or 0 (the default) not to.");
            }
        }

        foreach ((string name, double value) in new[] { ("Momentum", training.Momentum), ("Beta1", training.Beta1), ("Beta2", training.Beta2), ("Rho", training.Rho) })
        {
            if (!(value >= 0 && value < 1))
            {
                OutOfRange($"{name} is {Float(value)}; it must be in [0, 1).");
            }
        }

        if (!(training.Epsilon > 0) || double.IsInfinity(training.Epsilon))
        {
            OutOfRange($"Epsilon is {Float(training.Epsilon)}; it must be a small positive number such as 1e-7.");
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

        if (training.Stateful && network.Masks)
        {
            problems.Add(new(ProblemIds.MaskingStateful, OnTrain, "Stateful training carries each batch row's state after its last step into the next batch, and RnnCompiler does not carry it past masked steps; remove Stateful = true, or the mask (MaskZero, [Masking])."));
        }

        if (training.Stateful && !network.CanStream)
        {
            problems.Add(new(ProblemIds.StatefulBidirectional, OnTrain, "Stateful training carries each sequence's final state into the next batch, which a bidirectional layer cannot do; remove Stateful = true, or Bidirectional = true."));
        }

        LayerModel last = network.Last;
        // A cross-entropy is computed from the logits of the last layer, fused with its activation: only a layer that can
        // hand over its sums (a Dense layer) ends a model trained on one.
        bool fusable = last.Descriptor.FusesWithLoss;
        ActivationKind activation = fusable ? last.Activation : ActivationKind.Linear;
        string lossName = training.Loss.ToString();
        void DoesNotFit(string message) => problems.Add(new(ProblemIds.LossDoesNotFitOutput, OnTrain, message));
        switch (training.Loss)
        {
            case LossKind.SparseCategoricalCrossentropy:
            case LossKind.CategoricalCrossentropy:
                if (!fusable || (training.FromLogits ? activation != ActivationKind.Linear : activation != ActivationKind.Softmax))
                {
                    DoesNotFit($"{lossName} needs a probability per class: end the model with [Dense(classes, Activation = Activation.Softmax)], or with a Linear Dense layer and FromLogits = true.");
                }
                else if (last.Units < 2)
                {
                    DoesNotFit($"{lossName} needs at least two classes, but the last layer has 1 unit; for a yes/no output use Loss = Loss.BinaryCrossentropy with [Dense(1, Activation = Activation.Sigmoid)].");
                }

                break;
            case LossKind.BinaryCrossentropy:
                if (!fusable || (training.FromLogits ? activation != ActivationKind.Linear : activation != ActivationKind.Sigmoid))
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

    private static string Float(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static NetworkModel? Resolve(ModelDeclaration declaration, List<ValidationProblem> problems)
    {
        EquatableArray<LayerDeclaration> layers = declaration.Layers;
        var context = new ResolveContext(declaration, problems);
        for (int index = 0; index < layers.Count; index++)
        {
            LayerDeclaration layer = layers[index];
            LayerDescriptor descriptor = layer.Kind.Descriptor();
            if (index > 0 && descriptor.IsModelInput)
            {
                context.Problem(ProblemIds.InputNotFirst, index, $"{descriptor.Label} can only be the first layer; remove it, or move it to the top.");
                continue;
            }

            if (layer.ActivationSet && !System.Enum.IsDefined(typeof(ActivationKind), layer.Activation)
                || layer.RecurrentActivationSet && !System.Enum.IsDefined(typeof(ActivationKind), layer.RecurrentActivation)
                || layer.MergeModeSet && !System.Enum.IsDefined(typeof(MergeKind), layer.MergeMode))
            {
                context.Problem(ProblemIds.UnknownEnumValue, index, $"{descriptor.Label}: an Activation, RecurrentActivation or MergeMode value is not one of the named values; use a member of the enum.");
                continue;
            }

            int resolved = context.Layers.Count;
            descriptor.Resolve(context, layer, index);
            for (int added = resolved; added < context.Layers.Count && context.FixedSteps > 0; added++)
            {
                // After a [RepeatVector(n)] (and for it) every layer runs over its n steps.
                context.Layers[added] = context.Layers[added] with { FixedSteps = context.FixedSteps };
            }
        }

        if (context.PendingDecoder >= 0)
        {
            LayerModel pending = context.Layers[context.PendingDecoder];
            problems.Add(new(ProblemIds.DecoderPlacement, layers.Count - 1, $"[Decoder] starts a decoder, which needs a recurrent layer after it to start from the encoder's state, for example [Lstm({context.Layers[context.PendingDecoder - 1].Units}, ReturnSequences = true)] [Dense({pending.InputWidth}, Activation = Activation.Softmax)]."));
        }

        long offset = context.Offset;
        if (offset > MaxElements)
        {
            problems.Add(new(ProblemIds.ModelTooLarge, ValidationProblem.OnClass, $"'{declaration.TypeName}' has {offset.ToString("N0", CultureInfo.InvariantCulture)} parameters; the most a model holds is {MaxElements.ToString("N0", CultureInfo.InvariantCulture)}."));
        }

        if (problems.Count > 0 || context.Layers.Count == 0)
        {
            return null;
        }

        var network = new NetworkModel(
            declaration.Namespace,
            declaration.TypeName,
            declaration.ContainingTypes,
            HintName(declaration),
            declaration.SequenceLength,
            layers[0].Kind.Descriptor().TakesTokens,
            context.InputWidth,
            new EquatableArray<LayerModel>(context.Layers),
            new EquatableArray<TensorModel>(context.Tensors),
            (int)offset,
            declaration.Precision == 1,
            declaration.Training,
            string.IsNullOrWhiteSpace(declaration.WeightsFile) ? null : declaration.WeightsFile,
            declaration.WeightPrecision == 1)
        {
            MaskZero = context.MaskZero,
            MaskValue = context.MaskValue,
            MaskingName = context.MaskingName,
            DeclaredBatchSize = declaration.BatchSize,
            Int8Weights = declaration.WeightPrecision == 2,
            Streams = declaration.Streams,
            DeclaredParallelism = declaration.Parallelism,
        };

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

    /// <summary>
    /// Reports the user's members named like one the model declares, which would collide in the generated file (CS0102).
    /// The names come from the code the emitter writes for this very model, so they cannot fall behind it.
    /// </summary>
    private static void CheckMemberNames(ModelDeclaration declaration, NetworkModel network, List<ValidationProblem> problems)
    {
        string name = declaration.TypeName;
        HashSet<string> generated = ModelEmitter.DeclaredMemberNames(network);
        if (generated.Contains(name))
        {
            problems.Add(new(ProblemIds.MemberCollision, ValidationProblem.OnClass, $"A model class cannot be named '{name}': RnnCompiler generates a member of that name, and a member cannot share its class's name; rename the class."));
        }

        foreach (string member in declaration.MemberNames.Where(generated.Contains).Distinct())
        {
            problems.Add(new(ProblemIds.MemberCollision, ValidationProblem.OnClass, $"'{name}' declares '{member}', which RnnCompiler generates; rename your member."));
        }
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

    /// <summary>The generated file's name: namespace, containing types and class, dotted, then <c>.g.cs</c>.</summary>
    public static string HintName(ModelDeclaration declaration)
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
}
