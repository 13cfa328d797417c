using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace RnnCompiler.CodeFixes;

/// <summary>The few syntax edits the fixes make, each keeping the user's layout (no formatter pass).</summary>
internal static class SyntaxEdits
{
    /// <summary>
    /// Adds <c>partial</c> as the last modifier, directly before <c>class</c>/<c>struct</c>/<c>record</c> where C#
    /// wants it. Without modifiers, <c>partial</c> takes over the keyword's leading trivia (the indentation).
    /// </summary>
    public static TypeDeclarationSyntax AddPartial(TypeDeclarationSyntax declaration)
    {
        if (declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            return declaration;
        }

        if (declaration.Modifiers.Count == 0)
        {
            SyntaxToken keyword = declaration.Keyword;
            SyntaxToken partial = SyntaxFactory.Token(keyword.LeadingTrivia, SyntaxKind.PartialKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space));
            return declaration
                .WithKeyword(keyword.WithLeadingTrivia(SyntaxFactory.TriviaList()))
                .WithModifiers(SyntaxFactory.TokenList(partial));
        }

        return declaration.WithModifiers(declaration.Modifiers.Add(
            SyntaxFactory.Token(SyntaxFactory.TriviaList(), SyntaxKind.PartialKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space))));
    }

    /// <summary>Removes every modifier of <paramref name="kind"/>; its leading trivia (indentation, comments) moves to what follows.</summary>
    public static TypeDeclarationSyntax RemoveModifier(TypeDeclarationSyntax declaration, SyntaxKind kind)
    {
        while (declaration.Modifiers.IndexOf(kind) is var index and >= 0)
        {
            SyntaxTokenList modifiers = declaration.Modifiers;
            SyntaxTriviaList leading = modifiers[index].LeadingTrivia;
            modifiers = modifiers.RemoveAt(index);
            if (index < modifiers.Count)
            {
                modifiers = modifiers.Replace(modifiers[index], modifiers[index].WithLeadingTrivia(leading.AddRange(modifiers[index].LeadingTrivia)));
                declaration = declaration.WithModifiers(modifiers);
            }
            else if (index == 0)
            {
                declaration = declaration.WithModifiers(modifiers).WithKeyword(declaration.Keyword.WithLeadingTrivia(leading.AddRange(declaration.Keyword.LeadingTrivia)));
            }
            else
            {
                declaration = declaration.WithModifiers(modifiers);
            }
        }

        return declaration;
    }

    /// <summary>The named argument <c>name = …</c> of <paramref name="attribute"/>, if written.</summary>
    public static AttributeArgumentSyntax? NamedArgument(AttributeSyntax attribute, string name) =>
        attribute.ArgumentList?.Arguments.FirstOrDefault(argument => argument.NameEquals?.Name.Identifier.ValueText == name);

    /// <summary>Sets <c>name = value</c>: replaces the value if the argument is written, otherwise appends it.</summary>
    public static AttributeSyntax SetNamedArgument(AttributeSyntax attribute, string name, string value)
    {
        ExpressionSyntax expression = SyntaxFactory.ParseExpression(value);
        if (NamedArgument(attribute, name) is { } existing)
        {
            return attribute.ReplaceNode(existing.Expression, expression.WithTriviaFrom(existing.Expression));
        }

        AttributeArgumentSyntax argument = SyntaxFactory.AttributeArgument(
            SyntaxFactory.NameEquals(
                SyntaxFactory.IdentifierName(name).WithTrailingTrivia(SyntaxFactory.Space),
                SyntaxFactory.Token(SyntaxFactory.TriviaList(), SyntaxKind.EqualsToken, SyntaxFactory.TriviaList(SyntaxFactory.Space))),
            nameColon: null,
            expression);
        if (attribute.ArgumentList is not { } list)
        {
            return attribute.WithArgumentList(SyntaxFactory.AttributeArgumentList(SyntaxFactory.SingletonSeparatedList(argument)));
        }

        if (list.Arguments.Count == 0)
        {
            return attribute.WithArgumentList(list.WithArguments(SyntaxFactory.SingletonSeparatedList(argument)));
        }

        SeparatedSyntaxList<AttributeArgumentSyntax> arguments = list.Arguments.AddSeparatorAndNode(argument);
        return attribute.WithArgumentList(list.WithArguments(arguments));
    }

    /// <summary>Removes the named argument <c>name = …</c> and its comma.</summary>
    public static AttributeSyntax RemoveNamedArgument(AttributeSyntax attribute, string name) =>
        attribute.ArgumentList is { } list && NamedArgument(attribute, name) is { } argument
            ? attribute.WithArgumentList(list.WithArguments(list.Arguments.Remove(argument)))
            : attribute;

    /// <summary>Appends <paramref name="node"/> after a <c>", "</c> separator.</summary>
    private static SeparatedSyntaxList<AttributeArgumentSyntax> AddSeparatorAndNode(this SeparatedSyntaxList<AttributeArgumentSyntax> arguments, AttributeArgumentSyntax node)
    {
        var nodesAndTokens = arguments.GetWithSeparators();
        if (nodesAndTokens.Count > 0 && nodesAndTokens[nodesAndTokens.Count - 1].IsNode)
        {
            nodesAndTokens = nodesAndTokens.Add(SyntaxFactory.Token(SyntaxFactory.TriviaList(), SyntaxKind.CommaToken, SyntaxFactory.TriviaList(SyntaxFactory.Space)));
        }

        return SyntaxFactory.SeparatedList<AttributeArgumentSyntax>(nodesAndTokens.Add(node));
    }
}
