using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using RnnCompiler.Generators.Layers;
using RnnCompiler.Generators.Model;
using RnnCompiler.Generators.WeightFiles;

namespace RnnCompiler.Generators.Parsing;

/// <summary>
/// Reads a class carrying <c>[RnnModel]</c> into a <see cref="ModelDeclaration"/>: symbols in, equatable values out.
/// Nothing is checked here beyond what is needed to read; <see cref="Validation.NetworkValidator"/> judges.
/// </summary>
internal static class DeclarationParser
{
    public const string Namespace = "RnnCompiler";
    public const string RnnModelAttribute = "RnnCompiler.RnnModelAttribute";
    public const string TrainAttribute = "RnnCompiler.TrainAttribute";

    /// <summary>The layer attributes' class names (<c>LstmAttribute</c>), from the descriptors.</summary>
    private static readonly Dictionary<string, LayerKind> s_layerAttributes =
        LayerDescriptors.All.ToDictionary(descriptor => descriptor.AttributeName + "Attribute", descriptor => descriptor.Kind, StringComparer.Ordinal);

    /// <summary>The layer attributes of <paramref name="type"/> in source order, with the syntax tree each is written in.</summary>
    public static IReadOnlyList<(AttributeData Attribute, LayerKind Kind)> LayerAttributes(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var layers = new List<(AttributeData Attribute, LayerKind Kind, string Path, int Position)>();
        foreach (AttributeData attribute in type.GetAttributes())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (attribute.AttributeClass is not { } attributeClass
                || attributeClass.ContainingNamespace?.ToDisplayString() != Namespace
                || !s_layerAttributes.TryGetValue(attributeClass.Name, out LayerKind layerKind))
            {
                continue;
            }

            SyntaxReference? reference = attribute.ApplicationSyntaxReference;
            layers.Add((attribute, layerKind, reference?.SyntaxTree.FilePath ?? string.Empty, reference?.Span.Start ?? 0));
        }

        // Source order within a file; files in ordinal order (the analyzer reports layers split over files).
        return layers
            .OrderBy(layer => layer.Path, StringComparer.Ordinal)
            .ThenBy(layer => layer.Position)
            .Select(layer => (layer.Attribute, layer.Kind))
            .ToList();
    }

    /// <summary>How many <c>[RnnModel]</c> attributes the type carries over all its parts.</summary>
    public static int CountModelAttributes(INamedTypeSymbol type) =>
        type.GetAttributes().Count(attribute => attribute.AttributeClass?.ToDisplayString() == RnnModelAttribute);

    public static ModelDeclaration Parse(INamedTypeSymbol type, AttributeData modelAttribute, CancellationToken cancellationToken)
    {
        int sequenceLength = 0;
        int precision = 0;
        string? weights = null;
        int weightPrecision = 0;
        int batchSize = 0;
        int streams = 0;
        int parallelism = 0;
        foreach (KeyValuePair<string, TypedConstant> argument in modelAttribute.NamedArguments)
        {
            if (argument.Key == "SequenceLength" && argument.Value.Value is int value)
            {
                sequenceLength = value;
            }
            else if (argument.Key == "Precision" && argument.Value.Value is int precisionValue)
            {
                precision = precisionValue;
            }
            else if (argument.Key == "Weights" && argument.Value.Value is string file)
            {
                weights = file;
            }
            else if (argument.Key == "WeightPrecision" && argument.Value.Value is int weightPrecisionValue)
            {
                weightPrecision = weightPrecisionValue;
            }
            else if (argument.Key == "BatchSize" && argument.Value.Value is int batchSizeValue)
            {
                batchSize = batchSizeValue;
            }
            else if (argument.Key == "Streams" && argument.Value.Value is int streamsValue)
            {
                streams = streamsValue;
            }
            else if (argument.Key == "Parallelism" && argument.Value.Value is int parallelismValue)
            {
                parallelism = parallelismValue;
            }
        }

        TrainingDeclaration? training = null;
        foreach (AttributeData attribute in type.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() == TrainAttribute)
            {
                training = ParseTraining(attribute);
            }
        }

        IReadOnlyList<(AttributeData Attribute, LayerKind Kind)> attributes = LayerAttributes(type, cancellationToken);
        var layers = attributes.Select(layer => ParseLayer(layer.Attribute, layer.Kind)).ToList();
        var trees = new HashSet<SyntaxTree>();
        var declarations = new HashSet<SyntaxNode>();
        foreach ((AttributeData attribute, _) in attributes)
        {
            if (attribute.ApplicationSyntaxReference is { } reference)
            {
                trees.Add(reference.SyntaxTree);
                if (reference.GetSyntax(cancellationToken).FirstAncestorOrSelf<TypeDeclarationSyntax>() is { } declaration)
                {
                    declarations.Add(declaration);
                }
            }
        }

        var containing = new List<ContainingType>();
        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            containing.Insert(0, new ContainingType(Keyword(outer), outer.Name, IsPartial(outer, cancellationToken), outer.TypeParameters.Length > 0));
        }

        var members = type.GetMembers()
            .Where(member => !member.IsImplicitlyDeclared && member.DeclaringSyntaxReferences.Length > 0 && !IsGeneratedByUs(member))
            .Select(member => member.Name)
            .Distinct(StringComparer.Ordinal)
            .OrderBy(name => name, StringComparer.Ordinal);

        return new ModelDeclaration(
            type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
            type.Name,
            new EquatableArray<ContainingType>(containing),
            IsPartial(type, cancellationToken),
            type.TypeParameters.Length > 0,
            type.IsStatic,
            sequenceLength,
            new EquatableArray<LayerDeclaration>(layers),
            declarations.Count > 1,
            new EquatableArray<string>(members),
            precision,
            training,
            weights,
            weightPrecision,
            BatchSize: batchSize,
            Streams: streams,
            Parallelism: parallelism)
        {
            NamespaceLevelModifier = type.ContainingType is null ? NamespaceLevelModifier(type, cancellationToken) : null,
        };
    }

    /// <summary>The first <c>private</c> or <c>protected</c> modifier on a declaration of a class outside any type, or null.</summary>
    private static string? NamespaceLevelModifier(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax declaration)
            {
                foreach (SyntaxToken modifier in declaration.Modifiers)
                {
                    if (modifier.IsKind(SyntaxKind.PrivateKeyword) || modifier.IsKind(SyntaxKind.ProtectedKeyword))
                    {
                        return modifier.ValueText;
                    }
                }
            }
        }

        return null;
    }

    private static TrainingDeclaration ParseTraining(AttributeData attribute)
    {
        var training = new TrainingDeclaration(LossKind.SparseCategoricalCrossentropy, false, OptimizerKind.Adam, 1e-3, 32, 0, false, 0.9, 0.999, 0.9, 1e-7, 0, 0, 0, false, 0);
        foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
        {
            object? value = argument.Value.Value;
            training = (argument.Key, value) switch
            {
                ("Loss", int loss) => training with { Loss = (LossKind)loss },
                ("FromLogits", bool flag) => training with { FromLogits = flag },
                ("Optimizer", int optimizer) => training with { Optimizer = (OptimizerKind)optimizer },
                ("LearningRate", double rate) => training with { LearningRate = rate },
                ("BatchSize", int size) => training with { BatchSize = size },
                ("Momentum", double momentum) => training with { Momentum = momentum },
                ("Nesterov", bool flag) => training with { Nesterov = flag },
                ("Beta1", double beta) => training with { Beta1 = beta },
                ("Beta2", double beta) => training with { Beta2 = beta },
                ("Rho", double rho) => training with { Rho = rho },
                ("Epsilon", double epsilon) => training with { Epsilon = epsilon },
                ("ClipNorm", double clip) => training with { ClipNorm = clip },
                ("GlobalClipNorm", double clip) => training with { GlobalClipNorm = clip },
                ("ClipValue", double clip) => training with { ClipValue = clip },
                ("Stateful", bool flag) => training with { Stateful = flag },
                ("Parallelism", int workers) => training with { Parallelism = workers },
                ("DropoutSeed", int seed) => training with { DropoutSeed = seed },
                _ => training,
            };
        }

        return training;
    }

    /// <summary>
    /// Whether RnnCompiler emitted the member (every emitted member carries <c>[GeneratedCode("RnnCompiler.Generators", …)]</c>).
    /// An analyzer sees the generated part too, and must not take it for the user's own members.
    /// </summary>
    private static bool IsGeneratedByUs(ISymbol member) =>
        member.GetAttributes().Any(attribute =>
            attribute.AttributeClass?.ToDisplayString() == "System.CodeDom.Compiler.GeneratedCodeAttribute"
            && attribute.ConstructorArguments.Length > 0
            && attribute.ConstructorArguments[0].Value is "RnnCompiler.Generators");

    /// <summary>
    /// Every argument of a layer attribute, as written: the constructor's by parameter name, in order, then the named
    /// ones. The descriptors give them meaning (<see cref="LayerDeclaration"/>).
    /// </summary>
    private static LayerDeclaration ParseLayer(AttributeData attribute, LayerKind kind)
    {
        var arguments = new List<LayerArgument>();
        for (int index = 0; index < attribute.ConstructorArguments.Length; index++)
        {
            string name = attribute.AttributeConstructor is { } constructor && index < constructor.Parameters.Length ? constructor.Parameters[index].Name : string.Empty;
            arguments.Add(new LayerArgument(name, Constant(attribute.ConstructorArguments[index]), Positional: true));
        }

        foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
        {
            arguments.Add(new LayerArgument(argument.Key, Constant(argument.Value), Positional: false));
        }

        return new LayerDeclaration(kind, new EquatableArray<LayerArgument>(arguments));
    }

    /// <summary>An attribute argument's value when it is a primitive or an enum (its number), else null.</summary>
    private static object? Constant(TypedConstant constant) =>
        constant.Kind is TypedConstantKind.Primitive or TypedConstantKind.Enum ? constant.Value : null;

    private static bool IsPartial(INamedTypeSymbol type, CancellationToken cancellationToken) =>
        type.DeclaringSyntaxReferences.Any(reference =>
            reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax declaration
            && declaration.Modifiers.Any(SyntaxKind.PartialKeyword));

    private static string Keyword(INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Struct } => "struct",
        { TypeKind: TypeKind.Interface } => "interface",
        _ => "class",
    };
}
