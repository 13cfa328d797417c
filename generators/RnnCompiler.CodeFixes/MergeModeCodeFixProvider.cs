using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using RnnCompiler.Generators.Validation;

namespace RnnCompiler.CodeFixes;

/// <summary>RNN0011, MergeMode without Bidirectional: two fixes, <c>Bidirectional = true</c> or remove <c>MergeMode</c>.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MergeModeCodeFixProvider)), Shared]
public sealed class MergeModeCodeFixProvider : CodeFixProvider
{
    /// <summary>The equivalence key of "set Bidirectional = true" (fix-all applies one kind at a time).</summary>
    public const string SetBidirectionalKey = ProblemIds.MergeModeWithoutBidirectional + ".SetBidirectional";

    /// <summary>The equivalence key of "remove MergeMode".</summary>
    public const string RemoveMergeModeKey = ProblemIds.MergeModeWithoutBidirectional + ".RemoveMergeMode";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = Fixes.Ids(ProblemIds.MergeModeWithoutBidirectional);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        if (await Fixes.AttributeAtAsync(context.Document, context.Span, context.CancellationToken).ConfigureAwait(false) is not var (root, layer))
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            context.RegisterCodeFix(
                Fixes.Replace("Set Bidirectional = true", SetBidirectionalKey, context.Document, root, layer,
                    static attribute => SyntaxEdits.SetNamedArgument(attribute, "Bidirectional", "true")),
                diagnostic);
            if (SyntaxEdits.NamedArgument(layer, "MergeMode") is not null)
            {
                context.RegisterCodeFix(
                    Fixes.Replace("Remove MergeMode", RemoveMergeModeKey, context.Document, root, layer,
                        static attribute => SyntaxEdits.RemoveNamedArgument(attribute, "MergeMode")),
                    diagnostic);
            }
        }
    }
}
