using Microsoft.CodeAnalysis;
using RnnCompiler.Generators.Validation;

namespace RnnCompiler.Generators.Diagnostics;

/// <summary>
/// Every diagnostic RnnCompiler reports. The errors carry the validator's message as it is (<c>{0}</c>), so the
/// analyzer says exactly what <see cref="NetworkValidator"/> decided; their IDs are <see cref="ProblemIds"/>. Each one
/// is documented in <c>docs/diagnostics/{ID}.md</c> and tracked in <c>AnalyzerReleases.Unshipped.md</c>.
/// </summary>
internal static class DiagnosticDescriptors
{
    public const string Category = "RnnCompiler";

    /// <summary>The ID of the information diagnostic that gives a valid model's size.</summary>
    public const string ModelSizeId = "RNN0100";

    private const string HelpLinkBase = "https://github.com/rnncompiler/rnncompiler/blob/main/docs/diagnostics/";

    public static readonly DiagnosticDescriptor NotPartial = Error(ProblemIds.NotPartial, "An [RnnModel] class must be partial");
    public static readonly DiagnosticDescriptor GenericType = Error(ProblemIds.GenericType, "An [RnnModel] class cannot be generic");
    public static readonly DiagnosticDescriptor ContainingTypeNotPartial = Error(ProblemIds.ContainingTypeNotPartial, "A type containing an [RnnModel] class must be partial");
    public static readonly DiagnosticDescriptor StaticClass = Error(ProblemIds.StaticClass, "An [RnnModel] class cannot be static");
    public static readonly DiagnosticDescriptor SequenceLengthOutOfRange = Error(ProblemIds.SequenceLengthOutOfRange, "SequenceLength is missing or out of range");
    public static readonly DiagnosticDescriptor NoLayers = Error(ProblemIds.NoLayers, "The model has no layers");
    public static readonly DiagnosticDescriptor FirstLayerNotInput = Error(ProblemIds.FirstLayerNotInput, "The first layer must be Input or Embedding");
    public static readonly DiagnosticDescriptor InputNotFirst = Error(ProblemIds.InputNotFirst, "Input and Embedding can only be the first layer");
    public static readonly DiagnosticDescriptor SizeOutOfRange = Error(ProblemIds.SizeOutOfRange, "A layer size or value is out of range");
    public static readonly DiagnosticDescriptor NeedsSequence = Error(ProblemIds.NeedsSequence, "A recurrent layer needs a sequence");
    public static readonly DiagnosticDescriptor MergeModeWithoutBidirectional = Error(ProblemIds.MergeModeWithoutBidirectional, "MergeMode is set on a layer that is not bidirectional");
    public static readonly DiagnosticDescriptor UnsupportedActivation = Error(ProblemIds.UnsupportedActivation, "The activation is not supported on this layer");
    public static readonly DiagnosticDescriptor LayersSplitAcrossParts = Error(ProblemIds.LayersSplitAcrossParts, "Layer attributes are spread over several partial declarations");
    public static readonly DiagnosticDescriptor MemberCollision = Error(ProblemIds.MemberCollision, "A name collides with a generated member");
    public static readonly DiagnosticDescriptor NoWeightedLayer = Error(ProblemIds.NoWeightedLayer, "The model has only an input layer");
    public static readonly DiagnosticDescriptor ModelTooLarge = Error(ProblemIds.ModelTooLarge, "The model is too large");
    public static readonly DiagnosticDescriptor UnknownEnumValue = Error(ProblemIds.UnknownEnumValue, "An enum value is not a named value");
    public static readonly DiagnosticDescriptor LossDoesNotFitOutput = Error(ProblemIds.LossDoesNotFitOutput, "The loss does not fit the model's output");
    public static readonly DiagnosticDescriptor TrainingValueOutOfRange = Error(ProblemIds.TrainingValueOutOfRange, "A training setting is out of range");
    public static readonly DiagnosticDescriptor StatefulBidirectional = Error(ProblemIds.StatefulBidirectional, "Stateful training with a bidirectional layer");
    public static readonly DiagnosticDescriptor WeightsFileMissing = Error(ProblemIds.WeightsFileMissing, "The weights file is not an AdditionalFiles item");
    public static readonly DiagnosticDescriptor WeightsFileUnreadable = Error(ProblemIds.WeightsFileUnreadable, "The weights file cannot be read");
    public static readonly DiagnosticDescriptor WeightsDisagree = Error(ProblemIds.WeightsDisagree, "The weights file does not match the model");
    public static readonly DiagnosticDescriptor ParallelismOutOfRange = Error(ProblemIds.ParallelismOutOfRange, "Parallelism is out of range");
    public static readonly DiagnosticDescriptor BFloat16NotSupported = Error(ProblemIds.BFloat16NotSupported, "bfloat16 and int8 weights need an inference-only float model");
    public static readonly DiagnosticDescriptor NormalizationNotAfterInput = Error(ProblemIds.NormalizationNotAfterInput, "Normalization must directly follow Input");
    public static readonly DiagnosticDescriptor MaskingPlacement = Error(ProblemIds.MaskingPlacement, "[Masking] must come once, directly after [Input], with a finite value");
    public static readonly DiagnosticDescriptor MaskingStateful = Error(ProblemIds.MaskingStateful, "A masking model cannot train statefully");
    public static readonly DiagnosticDescriptor DropoutOutOfRange = Error(ProblemIds.DropoutOutOfRange, "A dropout rate is outside [0, 1), or Dropout is the last layer");
    public static readonly DiagnosticDescriptor DropoutInference = Error(ProblemIds.DropoutInference, "Dropout in an inference-only bfloat16 or int8 model");
    public static readonly DiagnosticDescriptor PredictBatchSize = Error(ProblemIds.PredictBatchSize, "The model's BatchSize cannot be used");
    public static readonly DiagnosticDescriptor StreamsNotPossible = Error(ProblemIds.StreamsNotPossible, "The model cannot step its Streams together");

    public static readonly DiagnosticDescriptor RepeatVectorPlacement = Error(ProblemIds.RepeatVectorPlacement, "A [RepeatVector] does not have one vector to repeat");

    public static readonly DiagnosticDescriptor DecoderPlacement = Error(ProblemIds.DecoderPlacement, "A [Decoder] does not fit its encoder or model");

    public static readonly DiagnosticDescriptor NamespaceLevelAccess = Error(ProblemIds.NamespaceLevelAccess, "An [RnnModel] class outside any type cannot be private or protected");

    public static readonly DiagnosticDescriptor AttentionPlacement = Error(ProblemIds.AttentionPlacement, "An [Attention] has no encoder outputs to attend to, or cannot compare them");

    /// <summary>The ID of the error on an <c>[RnnModel]</c> record, which the generator does not implement.</summary>
    public const string RecordModelId = "RNN0024";

    /// <summary>The ID of the warning on a model that needs more memory than its <c>MemoryBudget</c>.</summary>
    public const string OverBudgetId = "RNN0101";

    /// <summary>Reported on an <c>[RnnModel]</c> record: the generator implements classes only.</summary>
    public static readonly DiagnosticDescriptor RecordModel = new(
        RecordModelId,
        title: "An [RnnModel] type must be a class, not a record",
        messageFormat: "'{0}' is a record; a model holds large mutable buffers, which a record's value equality would compare, so RnnCompiler implements classes only: write 'partial class {0}'",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "RnnCompiler generates no code for a record.",
        helpLinkUri: HelpLinkBase + RecordModelId + ".md");

    /// <summary>Reported when the model needs more bytes than the budget its declaration sets.</summary>
    public static readonly DiagnosticDescriptor OverBudget = new(
        OverBudgetId,
        title: "The model needs more memory than its MemoryBudget",
        messageFormat: "'{0}' needs {1:N0} bytes ({2}), over its MemoryBudget of {3:N0} bytes",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "The bytes the generated model holds, as its summary states them, against the budget set on [RnnModel].",
        helpLinkUri: HelpLinkBase + OverBudgetId + ".md");

    /// <summary>The ID of the error the generator reports when it fails on a model.</summary>
    public const string GeneratorFailureId = "RNN0027";

    /// <summary>Reported by the generator when an exception stops it on one model: a bug in RnnCompiler, never in the user's code.</summary>
    public static readonly DiagnosticDescriptor GeneratorFailure = new(
        GeneratorFailureId,
        title: "RnnCompiler failed on a model",
        messageFormat: "RnnCompiler failed on '{0}' while {1}: {2}: {3}. This is a bug in RnnCompiler; please report it with the model's declaration at https://github.com/rnncompiler/rnncompiler/issues.",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The generator caught an exception instead of failing the build silently; the model has no generated code.",
        helpLinkUri: HelpLinkBase + GeneratorFailureId + ".md");

    /// <summary>Reported on the class name of every valid model: its parameter count and weight size.</summary>
    public static readonly DiagnosticDescriptor ModelSize = new(
        ModelSizeId,
        title: "Model size",
        messageFormat: "'{0}' has {1:N0} parameters and holds {2:N0} bytes: {3}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Info,
        isEnabledByDefault: true,
        description: "The number of weights the generated model holds, and their size in memory and in a weight file.",
        helpLinkUri: HelpLinkBase + ModelSizeId + ".md");

    /// <summary>Every descriptor, errors first, in ID order.</summary>
    public static readonly DiagnosticDescriptor[] All =
    {
        NotPartial, GenericType, ContainingTypeNotPartial, StaticClass, SequenceLengthOutOfRange, NoLayers,
        FirstLayerNotInput, InputNotFirst, SizeOutOfRange, NeedsSequence, MergeModeWithoutBidirectional,
        UnsupportedActivation, LayersSplitAcrossParts, MemberCollision, NoWeightedLayer, ModelTooLarge,
        UnknownEnumValue, LossDoesNotFitOutput, TrainingValueOutOfRange, StatefulBidirectional, WeightsFileMissing, WeightsFileUnreadable, WeightsDisagree, RecordModel, ParallelismOutOfRange, BFloat16NotSupported, GeneratorFailure, NormalizationNotAfterInput, MaskingPlacement, MaskingStateful, DropoutOutOfRange, DropoutInference, PredictBatchSize, StreamsNotPossible, RepeatVectorPlacement, DecoderPlacement, AttentionPlacement, NamespaceLevelAccess, ModelSize, OverBudget,
    };

    /// <summary>The descriptor of a validation problem's ID, or null for an ID this assembly does not know.</summary>
    public static DiagnosticDescriptor? ForProblem(string id)
    {
        foreach (DiagnosticDescriptor descriptor in All)
        {
            if (descriptor.Id == id)
            {
                return descriptor;
            }
        }

        return null;
    }

    /// <summary>A validation error: it stops generation, so it is an error; the message is the validator's.</summary>
    private static DiagnosticDescriptor Error(string id, string title) => new(
        id,
        title,
        messageFormat: "{0}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "RnnCompiler generates no code for a model with this problem.",
        helpLinkUri: HelpLinkBase + id + ".md");
}
