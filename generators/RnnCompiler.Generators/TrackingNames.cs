namespace RnnCompiler.Generators;

/// <summary>The names of the generator's pipeline steps, for <c>WithTrackingName</c> and the incrementality tests.</summary>
public static class TrackingNames
{
    /// <summary>Each <c>[RnnModel]</c> declaration read into an equatable <c>ModelDeclaration</c>.</summary>
    public const string Declarations = nameof(Declarations);

    /// <summary>The declarations that validate, as buildable <c>NetworkModel</c>s.</summary>
    public const string Models = nameof(Models);

    /// <summary>The <c>.safetensors</c> additional files, as bytes.</summary>
    public const string WeightFiles = nameof(WeightFiles);

    /// <summary>Each model with its compile-time weights (when it names a file), ready to emit.</summary>
    public const string Outputs = nameof(Outputs);
}
