using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using RnnCompiler.Generators.Model;
using RnnCompiler.Generators.Parsing;
using RnnCompiler.Generators.Validation;
using RnnCompiler.Generators.WeightFiles;

namespace RnnCompiler.Generators.Diagnostics;

/// <summary>
/// Reports in the IDE why the generator skipped an <c>[RnnModel]</c> class: it parses and validates with the same code
/// as <see cref="RnnModelGenerator"/> (<see cref="DeclarationParser"/>, <see cref="NetworkValidator"/>), so the two
/// never disagree, and places each problem on the class name, the <c>[RnnModel]</c> attribute or the layer attribute
/// it is about. A valid model gets one information diagnostic with its size.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class RnnModelAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.All);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static startContext =>
        {
            INamedTypeSymbol? modelAttribute = startContext.Compilation.GetTypeByMetadataName(DeclarationParser.RnnModelAttribute);
            if (modelAttribute is null)
            {
                // The runtime library is not referenced: no class can be a model.
                return;
            }

            startContext.RegisterSymbolAction(symbolContext => AnalyzeType(symbolContext, modelAttribute), SymbolKind.NamedType);
        });
    }

    private static void AnalyzeType(SymbolAnalysisContext context, INamedTypeSymbol modelAttributeType)
    {
        if (context.Symbol is not INamedTypeSymbol type)
        {
            return;
        }

        try
        {
            AttributeData? modelAttribute = FindModelAttribute(type, modelAttributeType, context.CancellationToken);
            if (modelAttribute is null)
            {
                if (IsRecordModel(type, modelAttributeType, context.CancellationToken) is { } record)
                {
                    context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.RecordModel, record.Identifier.GetLocation(), type.Name));
                }

                return;
            }

            if (DeclarationParser.CountModelAttributes(type) != 1)
            {
                // [RnnModel] on two parts is compiler error CS0579, and the generator writes nothing: nothing to add.
                return;
            }

            ModelDeclaration declaration = DeclarationParser.Parse(type, modelAttribute, context.CancellationToken);
            (NetworkModel? network, List<ValidationProblem> problems) = NetworkValidator.Validate(declaration);
            Location classLocation = ClassLocation(type, context.CancellationToken);
            if (problems.Count == 0 && network?.WeightsFile is not null)
            {
                // Compile-time weights: the same check the generator makes before it compiles them in.
                var files = new List<WeightFile>();
                foreach (AdditionalText text in context.Options.AdditionalFiles)
                {
                    if (WeightFile.IsWeightFile(text))
                    {
                        files.Add(WeightFile.Read(text, context.CancellationToken));
                    }
                }

                if (CompiledWeightsBuilder.Build(network, files).Problem is { } weightsProblem)
                {
                    problems.Add(weightsProblem);
                }
            }

            if (problems.Count == 0)
            {
                if (network is not null)
                {
                    (long weights, long working, long streaming, long training, long total) = BufferPlan.Bytes(network);
                    string parts = string.Format(System.Globalization.CultureInfo.InvariantCulture, "weights {0:N0}, working buffers {1:N0}{3}, streaming state {2:N0}", weights, working, streaming, network.HasWorkspaces ? $" ({network.Workers} workspaces)" : string.Empty)
                        + (network.Training is null ? string.Empty : string.Format(System.Globalization.CultureInfo.InvariantCulture, ", training {0:N0}", training));
                    context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.ModelSize, classLocation, type.Name, network.ParameterCount, total, parts));
                    long budget = MemoryBudget(modelAttribute);
                    if (budget > 0 && total > budget)
                    {
                        context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.OverBudget, AttributeLocation(modelAttribute, context.CancellationToken) ?? classLocation, type.Name, total, parts, budget));
                    }
                }

                return;
            }

            IReadOnlyList<(AttributeData Attribute, LayerKind Kind)> layers = DeclarationParser.LayerAttributes(type, context.CancellationToken);
            foreach (ValidationProblem problem in problems)
            {
                if (DiagnosticDescriptors.ForProblem(problem.Id) is not { } descriptor)
                {
                    continue;
                }

                Location location = problem.LayerIndex switch
                {
                    ValidationProblem.OnModelAttribute => AttributeLocation(modelAttribute, context.CancellationToken) ?? classLocation,
                    ValidationProblem.OnTrainAttribute => TrainAttribute(type) is { } train ? AttributeLocation(train, context.CancellationToken) ?? classLocation : classLocation,
                    >= 0 when problem.LayerIndex < layers.Count => AttributeLocation(layers[problem.LayerIndex].Attribute, context.CancellationToken) ?? classLocation,
                    _ => classLocation,
                };
                context.ReportDiagnostic(Diagnostic.Create(descriptor, location, problem.Message));
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // An analyzer must never throw (AD0001). Malformed code the parser cannot read gets no diagnostic here;
            // the compiler reports what is wrong with it.
        }
    }

    /// <summary>The <c>MemoryBudget</c> set on <c>[RnnModel]</c>, or 0.</summary>
    private static long MemoryBudget(AttributeData modelAttribute)
    {
        foreach (KeyValuePair<string, TypedConstant> argument in modelAttribute.NamedArguments)
        {
            if (argument.Key == "MemoryBudget")
            {
                return argument.Value.Value switch { long value => value, int value => value, _ => 0 };
            }
        }

        return 0;
    }

    /// <summary>The record declaration carrying <c>[RnnModel]</c>, if the model is a record (which the generator does not implement).</summary>
    private static RecordDeclarationSyntax? IsRecordModel(INamedTypeSymbol type, INamedTypeSymbol modelAttributeType, CancellationToken cancellationToken)
    {
        foreach (AttributeData attribute in type.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, modelAttributeType)
                && attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).FirstAncestorOrSelf<TypeDeclarationSyntax>() is RecordDeclarationSyntax record)
            {
                return record;
            }
        }

        return null;
    }

    /// <summary>The <c>[Train]</c> attribute of the model, if any.</summary>
    private static AttributeData? TrainAttribute(INamedTypeSymbol type)
    {
        foreach (AttributeData attribute in type.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() == DeclarationParser.TrainAttribute)
            {
                return attribute;
            }
        }

        return null;
    }

    /// <summary>
    /// The <c>[RnnModel]</c> attribute the generator acts on: written on a <c>class</c> declaration (the generator's
    /// syntax predicate; a <c>record</c> is not one), so that the analyzer never reports on a type the generator ignores.
    /// </summary>
    private static AttributeData? FindModelAttribute(INamedTypeSymbol type, INamedTypeSymbol modelAttributeType, CancellationToken cancellationToken)
    {
        foreach (AttributeData attribute in type.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, modelAttributeType)
                && attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).FirstAncestorOrSelf<TypeDeclarationSyntax>() is ClassDeclarationSyntax)
            {
                return attribute;
            }
        }

        return null;
    }

    /// <summary>The identifier of the class's first declaration (in a partial class, the first part the compiler sees).</summary>
    private static Location ClassLocation(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is BaseTypeDeclarationSyntax declaration)
            {
                return declaration.Identifier.GetLocation();
            }
        }

        return type.Locations.Length > 0 ? type.Locations[0] : Location.None;
    }

    private static Location? AttributeLocation(AttributeData attribute, CancellationToken cancellationToken) =>
        attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation();
}
