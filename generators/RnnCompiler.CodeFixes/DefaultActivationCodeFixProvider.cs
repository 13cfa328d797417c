using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using RnnCompiler.Generators.Validation;

namespace RnnCompiler.CodeFixes;

/// <summary>RNN0012, Softmax on a SimpleRnn: removes the <c>Activation</c> argument, so the layer uses its default, Tanh.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(DefaultActivationCodeFixProvider)), Shared]
public sealed class DefaultActivationCodeFixProvider : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = Fixes.Ids(ProblemIds.UnsupportedActivation);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        if (await Fixes.AttributeAtAsync(context.Document, context.Span, context.CancellationToken).ConfigureAwait(false) is not var (root, layer)
            || SyntaxEdits.NamedArgument(layer, "Activation") is null)
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            context.RegisterCodeFix(
                Fixes.Replace("Use the default activation (Tanh)", ProblemIds.UnsupportedActivation, context.Document, root, layer,
                    static attribute => SyntaxEdits.RemoveNamedArgument(attribute, "Activation")),
                diagnostic);
        }
    }
}
