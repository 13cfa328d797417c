using System;
using Microsoft.CodeAnalysis;
using RnnCompiler.Generators.Emit;
using RnnCompiler.Generators.Model;
using RnnCompiler.Generators.Parsing;
using RnnCompiler.Generators.Validation;
using RnnCompiler.Generators.WeightFiles;

namespace RnnCompiler.Generators;

/// <summary>
/// Implements every <c>[RnnModel]</c> partial class: parse (symbols → <see cref="ModelDeclaration"/>), validate
/// (→ <see cref="NetworkModel"/>, shared with the analyzers), emit (→ C#). It reports no diagnostics: a declaration
/// with problems gets no code, and the analyzer says why.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class RnnModelGenerator : IIncrementalGenerator
{
    private static readonly string s_version = typeof(RnnModelGenerator).Assembly.GetName().Version?.ToString() ?? "1.0.0.0";

    /// <summary>A network to emit, with its compile-time weights when it names a weights file.</summary>
    internal sealed record ModelOutput(NetworkModel Network, EquatableArray<double>? Weights)
    {
        /// <summary>The output, or null when the named weights file is missing or does not fit (the analyzer says why).</summary>
        public static ModelOutput? Create(NetworkModel network, System.Collections.Immutable.ImmutableArray<WeightFile> files)
        {
            if (network.WeightsFile is null)
            {
                return new ModelOutput(network, null);
            }

            try
            {
                (EquatableArray<double> values, ValidationProblem? problem) = CompiledWeightsBuilder.Build(network, files);
                return problem is null ? new ModelOutput(network, values) : null;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                return null;
            }
        }
    }

    /// <summary>The validated network, or null when the declaration has problems (or validation fails on malformed input).</summary>
    private static NetworkModel? ValidateOrSkip(ModelDeclaration declaration)
    {
        try
        {
            return NetworkValidator.Validate(declaration).Network;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return null;
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
                        return attributeContext.TargetSymbol is INamedTypeSymbol type && attributeContext.Attributes.Length == 1
                            && DeclarationParser.CountModelAttributes(type) == 1
                            ? DeclarationParser.Parse(type, attributeContext.Attributes[0], cancellationToken)
                            : null;
                    }
                    catch (Exception exception) when (exception is not OperationCanceledException)
                    {
                        // Malformed code: skip the model rather than fail the build; the analyzer reports what it can.
                        return null;
                    }
                })
            .WithTrackingName(TrackingNames.Declarations);

        IncrementalValuesProvider<NetworkModel> models = declarations
            .Select(static (declaration, _) => declaration is null ? null : ValidateOrSkip(declaration))
            .Where(static network => network is not null)
            .Select(static (network, _) => network!)
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

        context.RegisterSourceOutput(outputs, static (productionContext, output) =>
        {
            string source;
            try
            {
                source = ModelEmitter.Emit(output.Network, s_version, output.Weights);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // A generator must never throw; a model the emitter cannot write gets no code.
                return;
            }

            productionContext.AddSource(output.Network.HintName, source);
        });
    }
}
