namespace RnnCompiler.Generators.Validation;

/// <summary>
/// One thing wrong with a declaration. The generator skips a model with any problem; an analyzer reports each one
/// with the same ID and message, at the class (<see cref="LayerIndex"/> = -1), the <c>[RnnModel]</c> attribute (-2),
/// the <c>[Train]</c> attribute (-3), or the
/// layer attribute at that index, so generator and analyzer never disagree.
/// </summary>
internal sealed record ValidationProblem(string Id, int LayerIndex, string Message)
{
    public const int OnClass = -1;
    public const int OnModelAttribute = -2;
    public const int OnTrainAttribute = -3;
}

/// <summary>The IDs of validation problems; never reused. Diagnostic descriptors are built on these.</summary>
internal static class ProblemIds
{
    public const string NotPartial = "RNN0001";
    public const string GenericType = "RNN0002";
    public const string ContainingTypeNotPartial = "RNN0003";
    public const string StaticClass = "RNN0004";
    public const string SequenceLengthOutOfRange = "RNN0005";
    public const string NoLayers = "RNN0006";
    public const string FirstLayerNotInput = "RNN0007";
    public const string InputNotFirst = "RNN0008";
    public const string SizeOutOfRange = "RNN0009";
    public const string NeedsSequence = "RNN0010";
    public const string MergeModeWithoutBidirectional = "RNN0011";
    public const string UnsupportedActivation = "RNN0012";
    public const string LayersSplitAcrossParts = "RNN0013";
    public const string MemberCollision = "RNN0014";
    public const string NoWeightedLayer = "RNN0015";
    public const string ModelTooLarge = "RNN0016";
    public const string UnknownEnumValue = "RNN0017";
    public const string LossDoesNotFitOutput = "RNN0018";
    public const string TrainingValueOutOfRange = "RNN0019";
    public const string StatefulBidirectional = "RNN0020";
    public const string WeightsFileMissing = "RNN0021";
    public const string WeightsFileUnreadable = "RNN0022";
    public const string WeightsDisagree = "RNN0023";

    // RNN0024 (a record model) is the analyzer's own: DiagnosticDescriptors.RecordModelId.
    public const string ParallelismOutOfRange = "RNN0025";
    public const string BFloat16NotSupported = "RNN0026";

    // RNN0027 (the generator failed on a model) is the generator's own: DiagnosticDescriptors.GeneratorFailureId.
    public const string NormalizationNotAfterInput = "RNN0028";

    /// <summary>[Masking] is not directly after [Input], is declared twice, or has a mask value that is not finite.</summary>
    public const string MaskingPlacement = "RNN0030";

    /// <summary>A masking model (MaskZero or [Masking]) declares stateful training.</summary>
    public const string MaskingStateful = "RNN0031";

    /// <summary>A dropout rate outside [0, 1), or [Dropout] as the last layer.</summary>
    public const string DropoutOutOfRange = "RNN0032";

    /// <summary>Dropout in a model with bfloat16 weights, which is inference-only.</summary>
    public const string DropoutInference = "RNN0033";

    /// <summary>[RnnModel(BatchSize)] out of range, different from a trained model's batch, or on a bfloat16 model.</summary>
    public const string PredictBatchSize = "RNN0034";

    /// <summary>[RnnModel(Streams)] out of range, or on a model that cannot step streams together (bidirectional, masking, bfloat16).</summary>
    public const string StreamsNotPossible = "RNN0035";

    /// <summary>[RepeatVector] not after a layer that returns one vector, repeated twice, last, or with steps out of range.</summary>
    public const string RepeatVectorPlacement = "RNN0036";

    /// <summary>
    /// [Decoder] not after the encoder's last recurrent layer, its first recurrent layer unlike the encoder's, its tokens
    /// or length out of range, its vocabulary not the last layer's units, or a model option it cannot have.
    /// </summary>
    public const string DecoderPlacement = "RNN0037";

    /// <summary>
    /// [Attention] not after a decoder's recurrent layer, over an encoder that does not return its sequence, with widths
    /// its score cannot compare, twice, last, or with a score it does not take.
    /// </summary>
    public const string AttentionPlacement = "RNN0038";

    /// <summary>A model class outside any type declared private or protected (C#'s CS1527).</summary>
    public const string NamespaceLevelAccess = "RNN0039";
}
