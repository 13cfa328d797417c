using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using RnnCompiler.Generators.Validation;

namespace RnnCompiler.CodeFixes;

/// <summary>
/// RNN0012, Softmax as a recurrent layer's activation: removes the <c>Activation</c> argument, so the layer uses its
/// default, Tanh; or, on an LSTM or GRU whose <c>RecurrentActivation</c> is the Softmax, that argument (the gates'
/// default, Sigmoid). The validator reports the <c>Activation</c> first, so the fix takes that one first.
/// </summary>
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
        if (await Fixes.AttributeAtAsync(context.Document, context.Span, context.CancellationToken).ConfigureAwait(false) is not var (root, layer))
        {
            return;
        }

        (string argument, string title) = IsSoftmax(SyntaxEdits.NamedArgument(layer, "Activation")) || !IsSoftmax(SyntaxEdits.NamedArgument(layer, "RecurrentActivation"))
            ? ("Activation", "Use the default activation (Tanh)")
            : ("RecurrentActivation", "Use the default gate activation (Sigmoid)");
        if (SyntaxEdits.NamedArgument(layer, argument) is null)
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            context.RegisterCodeFix(
                Fixes.Replace(title, ProblemIds.UnsupportedActivation, context.Document, root, layer,
                    attribute => SyntaxEdits.RemoveNamedArgument(attribute, argument)),
                diagnostic);
        }
    }

    /// <summary>Whether an argument's value names <c>Softmax</c> (<c>Activation.Softmax</c>, fully qualified or not).</summary>
    private static bool IsSoftmax(AttributeArgumentSyntax? argument) => argument?.Expression switch
    {
        MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText == "Softmax",
        IdentifierNameSyntax name => name.Identifier.ValueText == "Softmax",
        _ => false,
    };
}
