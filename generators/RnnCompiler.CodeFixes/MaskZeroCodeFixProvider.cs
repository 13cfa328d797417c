using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using RnnCompiler.Generators.Validation;

namespace RnnCompiler.CodeFixes;

/// <summary>
/// RNN0030 on a [Masking] in a model of token ids: Keras masks token padding with the Embedding's <c>mask_zero</c>, so
/// the fix removes [Masking] and sets <c>MaskZero = true</c> on the [Embedding]. A [Masking] misplaced in a model of
/// float features has no single right place, so it gets no fix.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MaskZeroCodeFixProvider)), Shared]
public sealed class MaskZeroCodeFixProvider : CodeFixProvider
{
    /// <summary>The equivalence key of "mask token 0 with MaskZero".</summary>
    public const string MaskZeroKey = ProblemIds.MaskingPlacement + ".MaskZero";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = Fixes.Ids(ProblemIds.MaskingPlacement);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        if (await Fixes.AttributeAtAsync(context.Document, context.Span, context.CancellationToken).ConfigureAwait(false) is not var (root, masking)
            || Name(masking) != "Masking"
            || masking.FirstAncestorOrSelf<TypeDeclarationSyntax>() is not { } type
            || type.AttributeLists.SelectMany(list => list.Attributes).FirstOrDefault(attribute => Name(attribute) == "Embedding") is not { } embedding)
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            context.RegisterCodeFix(
                CodeAction.Create(
                    "Mask token 0 with [Embedding(…, MaskZero = true)]",
                    _ =>
                    {
                        SyntaxNode tracked = root.TrackNodes(masking, embedding);
                        AttributeSyntax currentEmbedding = tracked.GetCurrentNode(embedding)!;
                        tracked = tracked.ReplaceNode(currentEmbedding, SyntaxEdits.SetNamedArgument(currentEmbedding, "MaskZero", "true"));
                        AttributeSyntax currentMasking = tracked.GetCurrentNode(masking)!;
                        SyntaxNode removed = currentMasking.Parent is AttributeListSyntax { Attributes.Count: 1 } list ? list : currentMasking;
                        tracked = tracked.RemoveNode(removed, SyntaxRemoveOptions.KeepNoTrivia)!;
                        return Task.FromResult(context.Document.WithSyntaxRoot(tracked));
                    },
                    MaskZeroKey),
                diagnostic);
        }
    }

    /// <summary>An attribute's name without a namespace or the <c>Attribute</c> suffix.</summary>
    private static string Name(AttributeSyntax attribute)
    {
        string name = attribute.Name switch
        {
            QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
            AliasQualifiedNameSyntax alias => alias.Name.Identifier.ValueText,
            SimpleNameSyntax simple => simple.Identifier.ValueText,
            _ => string.Empty,
        };
        return name.EndsWith("Attribute", System.StringComparison.Ordinal) ? name.Substring(0, name.Length - "Attribute".Length) : name;
    }
}
