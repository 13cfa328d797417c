using Microsoft.CodeAnalysis;

namespace RnnCompiler.Generators;

/// <summary>Implements every <c>[RnnModel]</c> partial class.</summary>
[Generator(LanguageNames.CSharp)]
public sealed class RnnModelGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
    }
}
