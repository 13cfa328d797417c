using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using RnnCompiler.Generators.Validation;

namespace RnnCompiler.CodeFixes;

/// <summary>
/// RNN0034 and RNN0035: removes the <c>[RnnModel]</c> argument the model cannot use, <c>BatchSize</c> or <c>Streams</c>
/// (a model without it predicts and steps one sequence at a time; a trained model batches Predict by its training batch).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RemoveModelArgumentCodeFixProvider)), Shared]
public sealed class RemoveModelArgumentCodeFixProvider : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = Fixes.Ids(ProblemIds.PredictBatchSize, ProblemIds.StreamsNotPossible);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        if (await Fixes.AttributeAtAsync(context.Document, context.Span, context.CancellationToken).ConfigureAwait(false) is not var (root, model))
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            string argument = diagnostic.Id == ProblemIds.PredictBatchSize ? "BatchSize" : "Streams";
            if (SyntaxEdits.NamedArgument(model, argument) is not null)
            {
                context.RegisterCodeFix(
                    Fixes.Replace($"Remove {argument}", diagnostic.Id, context.Document, root, model,
                        attribute => SyntaxEdits.RemoveNamedArgument(attribute, argument)),
                    diagnostic);
            }
        }
    }
}
