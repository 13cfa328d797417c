using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace RnnCompiler.CodeFixes;

/// <summary>Finding the node a diagnostic is on, and replacing one node of a document.</summary>
internal static class Fixes
{
    /// <summary>The type declaration whose name the diagnostic is on (class-level diagnostics are on the identifier).</summary>
    public static async Task<(SyntaxNode Root, TypeDeclarationSyntax Declaration)?> TypeAtAsync(Document document, TextSpan span, CancellationToken cancellationToken)
    {
        SyntaxNode? root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root?.FindToken(span.Start).Parent is TypeDeclarationSyntax declaration && declaration.Identifier.Span == span)
        {
            return (root, declaration);
        }

        return null;
    }

    /// <summary>The attribute the diagnostic is on (layer diagnostics span the whole attribute, without brackets).</summary>
    public static async Task<(SyntaxNode Root, AttributeSyntax Attribute)?> AttributeAtAsync(Document document, TextSpan span, CancellationToken cancellationToken)
    {
        SyntaxNode? root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root?.FindNode(span, getInnermostNodeForTie: false).FirstAncestorOrSelf<AttributeSyntax>() is { } attribute && attribute.Span == span)
        {
            return (root, attribute);
        }

        return null;
    }

    /// <summary>A code action that replaces <paramref name="node"/> with what <paramref name="change"/> makes of it.</summary>
    public static CodeAction Replace<TNode>(string title, string equivalenceKey, Document document, SyntaxNode root, TNode node, System.Func<TNode, SyntaxNode> change)
        where TNode : SyntaxNode =>
        CodeAction.Create(
            title,
            _ => Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(node, change(node)))),
            equivalenceKey);

    /// <summary>The diagnostic IDs of one fix.</summary>
    public static ImmutableArray<string> Ids(params string[] ids) => ids.ToImmutableArray();
}
