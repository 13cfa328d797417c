using System;
using Microsoft.CodeAnalysis;
using RnnCompiler.Generators.Diagnostics;
using RnnCompiler.Generators.Emit;
using RnnCompiler.Generators.Model;
using RnnCompiler.Generators.Parsing;
using RnnCompiler.Generators.Validation;
using RnnCompiler.Generators.WeightFiles;

namespace RnnCompiler.Generators;

/// <summary>
/// Implements every <c>[RnnModel]</c> partial class: parse (symbols → <see cref="ModelDeclaration"/>), validate
/// (→ <see cref="NetworkModel"/>, shared with the analyzers), emit (→ C#). A declaration with problems gets its members'
/// signatures with throwing bodies (<see cref="FallbackEmitter"/>), and the analyzer says what is wrong. It never throws:
/// an exception in any stage becomes error RNN0027, which names the model and the exception.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class RnnModelGenerator : IIncrementalGenerator
{
    private static readonly string s_version = typeof(RnnModelGenerator).Assembly.GetName().Version?.ToString() ?? "1.0.0.0";

    private readonly Func<NetworkModel, string, EquatableArray<double>?, string> _emit;

    /// <summary>The generator as a build runs it.</summary>
    public RnnModelGenerator()
        : this(ModelEmitter.Emit)
    {
    }

    /// <summary>A generator that writes a valid model's code with <paramref name="emit"/> (tests give one that throws).</summary>
    internal RnnModelGenerator(Func<NetworkModel, string, EquatableArray<double>?, string> emit) => _emit = emit;

    /// <summary>
    /// One model after validation: a valid network; the declaration whose fallback members are written when there is no
    /// network to write (an invalid declaration, or a valid one whose weights file is missing or does not fit); and the
    /// exception a stage failed with, if one did.
    /// </summary>
    internal sealed record ModelResult(NetworkModel? Network, ModelDeclaration? Fallback, GeneratorFailure? Failure);

    /// <summary>A model to write, with its compile-time weights when it names a weights file.</summary>
    internal sealed record ModelOutput(ModelResult Result, EquatableArray<double>? Weights)
    {
        /// <summary>
        /// The output. A network whose named weights file is missing or does not fit gets its fallback members instead
        /// (the analyzer reports RNN0021 to RNN0023 and says why), so the build shows that error, not a CS1061 at every call.
        /// </summary>
        public static ModelOutput? Create(ModelResult result, System.Collections.Immutable.ImmutableArray<WeightFile> files)
        {
            if (result.Network is not { WeightsFile: not null } network)
            {
                return new ModelOutput(result, null);
            }

            try
            {
                (EquatableArray<double> values, ValidationProblem? problem) = CompiledWeightsBuilder.Build(network, files);
                return problem is null ? new ModelOutput(result, values)
                    : result.Fallback is not null ? new ModelOutput(result with { Network = null }, null)
                    : null;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                return new ModelOutput(new ModelResult(null, null, GeneratorFailure.From(network.TypeName, "reading its weights file", exception)), null);
            }
        }
    }

    /// <summary>The declaration validated: its network, or itself when it has problems and can hold fallback members.</summary>
    private static ModelResult? Validate(ModelDeclaration declaration)
    {
        if (declaration.Failure is not null)
        {
            return new ModelResult(null, null, declaration.Failure);
        }

        try
        {
            NetworkModel? network = NetworkValidator.Validate(declaration).Network;
            // A network that reads a weights file keeps its declaration, for fallback members if the file does not fit.
            return network is not null ? new ModelResult(network, network.WeightsFile is not null && declaration.CanHoldMembers ? declaration : null, null)
                : declaration.CanHoldMembers ? new ModelResult(null, declaration, null)
                : null;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return new ModelResult(null, null, GeneratorFailure.From(declaration.TypeName, "validating its declaration", exception));
        }
    }

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<ModelDeclaration?> declarations = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                DeclarationParser.RnnModelAttribute,
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax,
                static (attributeContext, cancellationToken) =>
                {
                    try
                    {
                        // [RnnModel] twice (on two parts of a partial class) is compiler error CS0579: generate nothing.
                        // Only the part that carries the attribute acts: a second part of the class can be reported with
                        // the same attribute when its own [RnnModel] does not bind, and one model gets one file.
                        return attributeContext.TargetSymbol is INamedTypeSymbol type && attributeContext.Attributes.Length == 1
                            && attributeContext.Attributes[0].ApplicationSyntaxReference is { } application
                            && application.SyntaxTree == attributeContext.TargetNode.SyntaxTree
                            && attributeContext.TargetNode.Span.Contains(application.Span)
                            && DeclarationParser.CountModelAttributes(type) == 1
                            ? DeclarationParser.Parse(type, attributeContext.Attributes[0], cancellationToken)
                            : null;
                    }
                    catch (Exception exception) when (exception is not OperationCanceledException)
                    {
                        string name = attributeContext.TargetSymbol.Name;
                        return ModelDeclaration.Failed(name, GeneratorFailure.From(name, "reading its declaration", exception));
                    }
                })
            .WithTrackingName(TrackingNames.Declarations);

        IncrementalValuesProvider<ModelResult> models = declarations
            .Select(static (declaration, _) => declaration is null ? null : Validate(declaration))
            .Where(static result => result is not null)
            .Select(static (result, _) => result!)
            .WithTrackingName(TrackingNames.Models);

        IncrementalValuesProvider<WeightFile> weightFiles = context.AdditionalTextsProvider
            .Where(static text => WeightFile.IsWeightFile(text))
            .Select(static (text, cancellationToken) => WeightFile.Read(text, cancellationToken))
            .WithTrackingName(TrackingNames.WeightFiles);

        // A model that names no file does not depend on the files: its output stays cached when they change.
        IncrementalValuesProvider<ModelOutput> outputs = models
            .Combine(weightFiles.Collect())
            .Select(static (pair, _) => ModelOutput.Create(pair.Left, pair.Right))
            .Where(static output => output is not null)
            .Select(static (output, _) => output!)
            .WithTrackingName(TrackingNames.Outputs);

        context.RegisterSourceOutput(outputs, (productionContext, output) =>
        {
            ModelResult result = output.Result;
            try
            {
                if (result.Network is { } network)
                {
                    productionContext.AddSource(network.HintName, _emit(network, s_version, output.Weights));
                }
                else if (result.Fallback is { } declaration)
                {
                    productionContext.AddSource(NetworkValidator.HintName(declaration), FallbackEmitter.Emit(declaration, s_version));
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                string name = result.Network?.TypeName ?? result.Fallback?.TypeName ?? string.Empty;
                result = result with { Failure = GeneratorFailure.From(name, "writing its code", exception) };
            }

            if (result.Failure is { } failure)
            {
                productionContext.ReportDiagnostic(Diagnostic.Create(
                    DiagnosticDescriptors.GeneratorFailure, Location.None, failure.Model, failure.Stage, failure.ExceptionType, failure.Message));
            }
        });
    }
}
