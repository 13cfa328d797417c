using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using RnnCompiler.Generators.Validation;

namespace RnnCompiler.CodeFixes;

/// <summary>
/// RNN0001: adds <c>partial</c> to the model class. RNN0003: adds <c>partial</c> to every containing type that lacks
/// it (one action for all of them: the model needs them all).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakePartialCodeFixProvider)), Shared]
public sealed class MakePartialCodeFixProvider : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = Fixes.Ids(ProblemIds.NotPartial, ProblemIds.ContainingTypeNotPartial);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        if (await Fixes.TypeAtAsync(context.Document, context.Span, context.CancellationToken).ConfigureAwait(false) is not var (root, model))
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            if (diagnostic.Id == ProblemIds.NotPartial)
            {
                if (!model.Modifiers.Any(SyntaxKind.PartialKeyword))
                {
                    context.RegisterCodeFix(
                        Fixes.Replace($"Make '{model.Identifier.ValueText}' partial", ProblemIds.NotPartial, context.Document, root, model, SyntaxEdits.AddPartial),
                        diagnostic);
                }

                continue;
            }

            List<TypeDeclarationSyntax> outers = model.Ancestors().OfType<TypeDeclarationSyntax>()
                .Where(outer => !outer.Modifiers.Any(SyntaxKind.PartialKeyword))
                .ToList();
            if (outers.Count == 0)
            {
                continue;
            }

            string names = string.Join("', '", outers.Select(outer => outer.Identifier.ValueText).Reverse());
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Make '{names}' partial",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNodes(outers, (_, rewritten) => SyntaxEdits.AddPartial(rewritten)))),
                    ProblemIds.ContainingTypeNotPartial),
                diagnostic);
        }
    }
}
