using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using RnnCompiler.Generators.Validation;

namespace RnnCompiler.CodeFixes;

/// <summary>RNN0004: removes <c>static</c> from the model class (a model holds weights and state).</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RemoveStaticCodeFixProvider)), Shared]
public sealed class RemoveStaticCodeFixProvider : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = Fixes.Ids(ProblemIds.StaticClass);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        if (await Fixes.TypeAtAsync(context.Document, context.Span, context.CancellationToken).ConfigureAwait(false) is not var (root, model)
            || !model.Modifiers.Any(SyntaxKind.StaticKeyword))
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            context.RegisterCodeFix(
                Fixes.Replace("Remove 'static'", ProblemIds.StaticClass, context.Document, root, model, static declaration => SyntaxEdits.RemoveModifier(declaration, SyntaxKind.StaticKeyword)),
                diagnostic);
        }
    }
}
