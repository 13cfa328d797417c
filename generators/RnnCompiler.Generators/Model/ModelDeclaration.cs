using System.Linq;
using RnnCompiler.Generators.Layers;
using RnnCompiler.Generators.WeightFiles;

namespace RnnCompiler.Generators.Model;

/// <summary>Mirrors <c>RnnCompiler.Activation</c> (same names and values).</summary>
internal enum ActivationKind
{
    Linear = 0,
    Tanh = 1,
    Sigmoid = 2,
    Relu = 3,
    Softmax = 4,
    HardSigmoid = 5,
    HardSigmoidKeras2 = 6,
}

/// <summary>Mirrors <c>RnnCompiler.MergeMode</c> (same names and values).</summary>
internal enum MergeKind
{
    Concat = 0,
    Sum = 1,
    Multiply = 2,
    Average = 3,
}

/// <summary>Mirrors <c>RnnCompiler.Loss</c> (same names and values).</summary>
internal enum LossKind
{
    SparseCategoricalCrossentropy = 0,
    CategoricalCrossentropy = 1,
    BinaryCrossentropy = 2,
    MeanSquaredError = 3,
    MeanAbsoluteError = 4,
}

/// <summary>Mirrors <c>RnnCompiler.Optimizer</c> (same names and values).</summary>
internal enum OptimizerKind
{
    Sgd = 0,
    Adam = 1,
    RmsProp = 2,
}

/// <summary>The <c>[Train]</c> attribute as written; hyperparameters as the attribute holds them (doubles).</summary>
internal sealed record TrainingDeclaration(
    LossKind Loss,
    bool FromLogits,
    OptimizerKind Optimizer,
    double LearningRate,
    int BatchSize,
    double Momentum,
    bool Nesterov,
    double Beta1,
    double Beta2,
    double Rho,
    double Epsilon,
    double ClipNorm,
    double GlobalClipNorm,
    double ClipValue,
    bool Stateful,
    int Parallelism)
{
    /// <summary><c>DropoutSeed</c>: which masks the dropouts draw; 0 by default.</summary>
    public int DropoutSeed { get; init; }
}

/// <summary>A type that contains the model's class, re-declared around the generated part.</summary>
/// <param name="Keyword">How to declare it: <c>class</c>, <c>struct</c>, <c>record</c>, <c>record struct</c> or <c>interface</c>.</param>
/// <param name="Name">Its name.</param>
/// <param name="IsPartial">Whether it is declared partial (it must be, to hold the generated part).</param>
/// <param name="IsGeneric">Whether it has type parameters (not supported around a model).</param>
internal sealed record ContainingType(string Keyword, string Name, bool IsPartial, bool IsGeneric);

/// <summary>One argument of a layer attribute as written.</summary>
/// <param name="Name">A constructor parameter's name (<c>units</c>) or a named property's (<c>ReturnSequences</c>).</param>
/// <param name="Value">The constant: an <c>int</c> (an enum's number too), <c>bool</c>, <c>float</c>, <c>double</c> or string; null for anything else.</param>
/// <param name="Positional">Whether it is a constructor argument (they come first, in order).</param>
internal sealed record LayerArgument(string Name, object? Value, bool Positional);

/// <summary>
/// One layer attribute exactly as written (before any check): its kind and every argument, and its position among the
/// layer attributes so that an analyzer can point at it. The parser knows no option names; each layer's descriptor reads
/// the options it has (<see cref="Int"/>, <see cref="Bool"/>, <see cref="Float"/>), and the properties here read the
/// ones the layer attributes share.
/// </summary>
internal sealed record LayerDeclaration(LayerKind Kind, EquatableArray<LayerArgument> Arguments)
{
    /// <summary>The first constructor argument (units, features, vocabulary size) when it is an int, else 0.</summary>
    public int First => Positional(0);

    /// <summary>The second constructor argument (an embedding's dimensions) when it is an int, else 0.</summary>
    public int Second => Positional(1);

    /// <summary><c>Activation</c>, or the kind's default when it is not set.</summary>
    public ActivationKind Activation => Int(nameof(Activation)) is int value ? (ActivationKind)value : Kind.Descriptor().DefaultActivation;

    public bool ActivationSet => Int(nameof(Activation)) is not null;

    /// <summary>An LSTM's or GRU's <c>RecurrentActivation</c> (the gates'), Sigmoid when it is not set.</summary>
    public ActivationKind RecurrentActivation => Int(nameof(RecurrentActivation)) is int value ? (ActivationKind)value : ActivationKind.Sigmoid;

    public bool RecurrentActivationSet => Int(nameof(RecurrentActivation)) is not null;

    public bool ReturnSequences => Bool(nameof(ReturnSequences)) ?? false;

    public bool Bidirectional => Bool(nameof(Bidirectional)) ?? false;

    /// <summary><c>MergeMode</c>, Concat when it is not set.</summary>
    public MergeKind MergeMode => Int(nameof(MergeMode)) is int value ? (MergeKind)value : MergeKind.Concat;

    public bool MergeModeSet => Int(nameof(MergeMode)) is not null;

    /// <summary>A GRU's <c>ResetAfter</c>, true (Keras's default) when it is not set.</summary>
    public bool ResetAfter => Bool(nameof(ResetAfter)) ?? true;

    /// <summary>The named argument's value when it is an int (or an enum), else null; the last one when it is written twice.</summary>
    public int? Int(string name) => Find(name) is int value ? value : null;

    public bool? Bool(string name) => Find(name) is bool value ? value : null;

    /// <summary>The named argument's value when it is a double (or a float or int that converts), else null.</summary>
    public double? Double(string name) => Find(name) switch
    {
        double value => value,
        float value => value,
        int value => value,
        _ => null,
    };

    /// <summary>The named argument's value when it is a float, or an int or double that converts, else null.</summary>
    public float? Float(string name) => Find(name) switch
    {
        float value => value,
        double value => (float)value,
        int value => value,
        _ => null,
    };

    /// <summary>The constructor argument at <paramref name="index"/> as a double (an int or float converts), or null when absent.</summary>
    public double? PositionalDouble(int index)
    {
        int position = 0;
        foreach (LayerArgument argument in Arguments)
        {
            if (argument.Positional && position++ == index)
            {
                return argument.Value switch
                {
                    double value => value,
                    float value => value,
                    int value => value,
                    _ => null,
                };
            }
        }

        return null;
    }

    private object? Find(string name)
    {
        object? found = null;
        foreach (LayerArgument argument in Arguments)
        {
            if (!argument.Positional && argument.Name == name)
            {
                found = argument.Value;
            }
        }

        return found;
    }

    private int Positional(int index)
    {
        int position = 0;
        foreach (LayerArgument argument in Arguments)
        {
            if (argument.Positional && position++ == index)
            {
                return argument.Value is int value ? value : 0;
            }
        }

        return 0;
    }
}

/// <summary>
/// What the parser reads from one <c>[RnnModel]</c> class: equatable values only (no symbols, syntax or locations),
/// so the pipeline caches it. Validation turns it into a <see cref="NetworkModel"/> or a list of problems.
/// </summary>
internal sealed record ModelDeclaration(
    string? Namespace,
    string TypeName,
    EquatableArray<ContainingType> ContainingTypes,
    bool IsPartial,
    bool IsGeneric,
    bool IsStatic,
    int SequenceLength,
    EquatableArray<LayerDeclaration> Layers,
    bool LayersSplitAcrossParts,
    EquatableArray<string> MemberNames,
    int Precision = 0,
    TrainingDeclaration? Training = null,
    string? WeightsFile = null,
    int WeightPrecision = 0,
    GeneratorFailure? Failure = null,
    int BatchSize = 0,
    int Streams = 0,
    int Parallelism = 0)
{
    /// <summary>
    /// The <c>private</c> or <c>protected</c> modifier of a class declared outside any type, which C# refuses (CS1527), or
    /// null: the compiler's recovery from it leaves the class's members unreachable from nested types.
    /// </summary>
    public string? NamespaceLevelModifier { get; init; }

    /// <summary>The stand-in for a declaration the parser failed on: it carries the failure to RNN0027.</summary>
    public static ModelDeclaration Failed(string typeName, GeneratorFailure failure) => new(
        null, typeName, EquatableArray<ContainingType>.Empty, false, false, false, 0,
        EquatableArray<LayerDeclaration>.Empty, false, EquatableArray<string>.Empty, Failure: failure);

    /// <summary>
    /// Whether the class, its outer types and its namespace all have names: with a syntax error such as
    /// <c>namespace( Demo</c> one is empty, and no code can name the class.
    /// </summary>
    public bool HasCompleteNames => !string.IsNullOrWhiteSpace(TypeName)
        && ContainingTypes.All(type => !string.IsNullOrWhiteSpace(type.Name))
        && (Namespace is null || Namespace.Split('.').All(part => !string.IsNullOrWhiteSpace(part)));

    /// <summary>
    /// Whether the class's shape lets the generator add members to it (partial, not static or generic, in partial
    /// non-generic types): then a declaration with problems still gets its members' signatures (<c>FallbackEmitter</c>).
    /// </summary>
    public bool CanHoldMembers => HasCompleteNames && IsPartial && !IsGeneric && !IsStatic
        && ContainingTypes.All(type => type.IsPartial && !type.IsGeneric);
}

/// <summary>An exception the generator caught while it handled one model: what RNN0027 reports.</summary>
/// <param name="Model">The model's class name.</param>
/// <param name="Stage">What the generator was doing: reading the declaration, validating it, reading its weights, writing its code.</param>
/// <param name="ExceptionType">The exception's type.</param>
/// <param name="Message">The exception's message.</param>
internal sealed record GeneratorFailure(string Model, string Stage, string ExceptionType, string Message)
{
    public static GeneratorFailure From(string model, string stage, System.Exception exception) =>
        new(model, stage, exception.GetType().FullName ?? exception.GetType().Name, exception.Message);
}
