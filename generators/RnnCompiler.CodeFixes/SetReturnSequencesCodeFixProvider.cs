using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using RnnCompiler.Generators.Layers;
using RnnCompiler.Generators.Model;
using RnnCompiler.Generators.Parsing;
using RnnCompiler.Generators.Validation;
using RnnCompiler.Generators.WeightFiles;

namespace RnnCompiler.CodeFixes;

/// <summary>
/// RNN0010: sets <c>ReturnSequences = true</c> on the recurrent layer before the flagged one, so that it passes on a
/// sequence. The layer before is found in the parser's order (<see cref="DeclarationParser.LayerAttributes"/>), the
/// order the validator judged. When the layer before is a Dense layer (after a layer that returns a vector), there is
/// no single right edit, so nothing is offered.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SetReturnSequencesCodeFixProvider)), Shared]
public sealed class SetReturnSequencesCodeFixProvider : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = Fixes.Ids(ProblemIds.NeedsSequence);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        if (await Fixes.AttributeAtAsync(context.Document, context.Span, context.CancellationToken).ConfigureAwait(false) is not var (root, flagged)
            || flagged.FirstAncestorOrSelf<ClassDeclarationSyntax>() is not { } declaration)
        {
            return;
        }

        SemanticModel? semanticModel = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (semanticModel?.GetDeclaredSymbol(declaration, context.CancellationToken) is not INamedTypeSymbol type
            || LayerBefore(type, flagged, context.CancellationToken) is not { } before
            || before.SyntaxTree != flagged.SyntaxTree)
        {
            return;
        }

        string layerName = before.Name.ToString();
        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            context.RegisterCodeFix(
                Fixes.Replace($"Set ReturnSequences = true on [{layerName}] before it", ProblemIds.NeedsSequence, context.Document, root, before,
                    static attribute => SyntaxEdits.SetNamedArgument(attribute, "ReturnSequences", "true")),
                diagnostic);
        }
    }

    /// <summary>The recurrent layer attribute directly before <paramref name="flagged"/>, or null if that layer is not recurrent.</summary>
    private static AttributeSyntax? LayerBefore(INamedTypeSymbol type, AttributeSyntax flagged, CancellationToken cancellationToken)
    {
        IReadOnlyList<(AttributeData Attribute, LayerKind Kind)> layers = DeclarationParser.LayerAttributes(type, cancellationToken);
        for (int index = 1; index < layers.Count; index++)
        {
            SyntaxReference? reference = layers[index].Attribute.ApplicationSyntaxReference;
            if (reference is null || reference.SyntaxTree != flagged.SyntaxTree || reference.Span != flagged.Span)
            {
                continue;
            }

            (AttributeData previous, LayerKind previousKind) = layers[index - 1];
            return previousKind.Descriptor().IsRecurrent
                ? previous.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax
                : null;
        }

        return null;
    }
}
