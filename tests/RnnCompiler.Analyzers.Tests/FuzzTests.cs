using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using RnnCompiler.Generators;
using RnnCompiler.Generators.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace RnnCompiler.Analyzers.Tests;

/// <summary>
/// Feeds generator and analyzer 10,000 random and malformed declarations (fixed seed) and checks, for each: nothing
/// throws, the generator reports nothing (no CS8785, no RNN0027), the analyzer no AD0001; they agree on every model (a
/// model's code is generated iff the analyzer reports no RNN error and reports RNN0100; otherwise at most the fallback
/// members); and generated code has no errors. For every fourth case it also gives the first generated model a member
/// named like one drawn from that model's generated code, and checks that the analyzer reports RNN0014 and the
/// generated code still compiles.
/// </summary>
public class FuzzTests
{
    private const int Cases = 10_000;
    private const int Seed = 20_240_917;

    /// <summary>
    /// Whether the cases of known generator issues are checked too (<see cref="KnownGeneratorIssuesTests"/>); all four
    /// are fixed, so they are. Set it to false only while a newly found issue is open.
    /// </summary>
    private static readonly bool KnownGeneratorIssues = true;

    private static readonly CSharpParseOptions s_parseOptions = new(LanguageVersion.Latest);

    /// <summary>One compilation with the references and no source; each case adds its one tree to it.</summary>
    private static readonly CSharpCompilation s_base = CSharpCompilation.Create(
        "Fuzz",
        syntaxTrees: null,
        Basic.Reference.Assemblies.Net100.References.All.Cast<MetadataReference>().Append(AnalyzerTest.Runtime),
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    private static readonly ImmutableArray<DiagnosticAnalyzer> s_analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new RnnModelAnalyzer());

    private static long s_generatorTicks, s_compileTicks, s_analyzerTicks;

    private readonly ITestOutputHelper _output;

    public FuzzTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Generator_and_analyzer_agree_on_random_and_malformed_declarations()
    {
        var failures = new ConcurrentQueue<string>();
        int valid = 0, invalid = 0, syntaxBroken = 0, withoutModel = 0, leftOut = 0;
        var stopwatch = Stopwatch.StartNew();
        Parallel.For(0, Cases, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, (index, state) =>
        {
            string source = new DeclarationFuzzer(new Random(Seed + index)).Next();
            try
            {
                CaseResult result = Run(source, index);
                if (result.KnownIssue && !KnownGeneratorIssues)
                {
                    Interlocked.Increment(ref leftOut);
                    return;
                }

                Interlocked.Add(ref valid, result.Valid);
                Interlocked.Add(ref invalid, result.Invalid);
                Interlocked.Add(ref syntaxBroken, result.SyntaxBroken ? 1 : 0);
                Interlocked.Add(ref withoutModel, result.Valid + result.Invalid == 0 ? 1 : 0);
                foreach (string problem in result.Problems)
                {
                    failures.Enqueue($"case {index}: {problem}\n{source}");
                }
            }
            catch (Exception exception)
            {
                failures.Enqueue($"case {index}: {exception}\n{source}");
            }

            if (failures.Count >= 500)
            {
                state.Stop();
            }
        });

        _output.WriteLine($"{Cases:N0} cases in {stopwatch.Elapsed.TotalSeconds:F1} s (seed {Seed}): {valid:N0} valid models, {invalid:N0} invalid models, "
            + $"{syntaxBroken:N0} cases with syntax errors, {withoutModel:N0} cases without a model the generator acts on, {leftOut:N0} left out (known issue 4).");
        // The first case of each kind of failure (its first line without the case number and names).
        _output.WriteLine($"Process CPU time {Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds:F1} s. Wall time per phase, summed over threads: generator {Seconds(s_generatorTicks):F1} s, compiling generated code {Seconds(s_compileTicks):F1} s, analyzer {Seconds(s_analyzerTicks):F1} s.");
        foreach (string failure in failures.GroupBy(Kind).Select(group => group.First()).Take(10))
        {
            _output.WriteLine(failure);
            _output.WriteLine(string.Empty);
        }

        Assert.True(failures.IsEmpty, $"{failures.Count} failing cases; the first:\n{failures.FirstOrDefault()}");
        Assert.True(valid > Cases / 10 && invalid > Cases / 10, "The fuzzer should produce both valid and invalid models in quantity.");
    }

    private static double Seconds(long ticks) => ticks / (double)Stopwatch.Frequency;

    private static string Kind(string failure)
    {
        string first = failure.Substring(failure.IndexOf(':') + 2).Split('\n')[0];
        return first.Length > 60 ? first.Substring(0, 60) : first;
    }

    private sealed record CaseResult(int Valid, int Invalid, bool SyntaxBroken, List<string> Problems, bool KnownIssue);

    private static CaseResult Run(string source, int index)
    {
        CaseResult result = Run(source, out Compilation output, out Dictionary<string, INamedTypeSymbol> emitted);
        if (index % 4 != 0 || emitted.Count == 0 || result.Problems.Count > 0 || result.SyntaxBroken)
        {
            return result;
        }

        // A member named like one the generator declares in this model's code must be refused (RNN0014), whatever the name.
        (string hintName, INamedTypeSymbol model) = emitted.OrderBy(pair => pair.Key, StringComparer.Ordinal).First();
        SyntaxTree generatedTree = output.SyntaxTrees.First(tree => Path.GetFileName(tree.FilePath) == hintName);
        string[] names = generatedTree.GetRoot().DescendantNodes().OfType<ClassDeclarationSyntax>()
            .Last(declaration => declaration.Identifier.ValueText == model.Name).Members
            .SelectMany(MemberNames).Distinct(StringComparer.Ordinal).OrderBy(name => name, StringComparer.Ordinal).ToArray();
        string name = names[new Random(Seed + index).Next(names.Length)];
        if (name == model.Name || model.DeclaringSyntaxReferences.Length != 1
            || model.DeclaringSyntaxReferences[0].GetSyntax() is not ClassDeclarationSyntax declared
            || (declared.CloseBraceToken.IsKind(SyntaxKind.CloseBraceToken) ? declared.CloseBraceToken.IsMissing : !declared.SemicolonToken.IsKind(SyntaxKind.SemicolonToken) || declared.SemicolonToken.IsMissing))
        {
            return result;
        }

        // Insert the member into the class's own declaration: before its closing brace, or in place of `;`.
        string member = $" private int {name}; ";
        string colliding = !declared.CloseBraceToken.IsKind(SyntaxKind.CloseBraceToken)
            ? source.Substring(0, declared.SemicolonToken.SpanStart) + "{" + member + "}" + source.Substring(declared.SemicolonToken.Span.End)
            : source.Insert(declared.CloseBraceToken.SpanStart, member);
        CaseResult second = Run(colliding, out _, out Dictionary<string, INamedTypeSymbol> stillEmitted, out ImmutableArray<Diagnostic> analyzer);
        var problems = new List<string>(second.Problems.Select(problem => $"with member '{name}': {problem}"));
        if (!analyzer.Any(diagnostic => diagnostic.Id == "RNN0014" && diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Contains($"'{name}'", StringComparison.Ordinal)))
        {
            problems.Add($"a member named '{name}' (declared by the generated code of {model.ToDisplayString()}) got no RNN0014; analyzer reported [{string.Join(", ", analyzer.Select(diagnostic => diagnostic.Id))}]");
        }

        if (stillEmitted.ContainsKey(hintName))
        {
            problems.Add($"a member named '{name}' did not stop the generator from writing {model.ToDisplayString()}");
        }

        return result with { Problems = problems };
    }

    /// <summary>The names a generated member takes in its class (explicit interface implementations take none).</summary>
    private static IEnumerable<string> MemberNames(MemberDeclarationSyntax member) => member switch
    {
        BaseFieldDeclarationSyntax field => field.Declaration.Variables.Select(variable => variable.Identifier.ValueText),
        PropertyDeclarationSyntax { ExplicitInterfaceSpecifier: null } property => new[] { property.Identifier.ValueText },
        MethodDeclarationSyntax { ExplicitInterfaceSpecifier: null } method => new[] { method.Identifier.ValueText },
        BaseTypeDeclarationSyntax type => new[] { type.Identifier.ValueText },
        _ => Array.Empty<string>(),
    };

    private static CaseResult Run(string source, out Compilation output, out Dictionary<string, INamedTypeSymbol> emitted) =>
        Run(source, out output, out emitted, out _);

    private static CaseResult Run(string source, out Compilation output, out Dictionary<string, INamedTypeSymbol> emitted, out ImmutableArray<Diagnostic> all)
    {
        var problems = new List<string>();
        long start = Stopwatch.GetTimestamp();
        SyntaxTree tree = CSharpSyntaxTree.ParseText(source, s_parseOptions, path: "Fuzz.cs");
        bool syntaxBroken = tree.GetDiagnostics().Any(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error);
        CSharpCompilation compilation = s_base.AddSyntaxTrees(tree);

        // The generator, as a build runs it.
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new RnnModelGenerator().AsSourceGenerator() }, parseOptions: s_parseOptions);
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out output, out ImmutableArray<Diagnostic> generatorDiagnostics);
        GeneratorDriverRunResult run = driver.GetRunResult();
        problems.AddRange(generatorDiagnostics.Select(diagnostic => "generator diagnostic: " + diagnostic));
        problems.AddRange(run.Diagnostics.Select(diagnostic => "generator run diagnostic: " + diagnostic));
        problems.AddRange(run.Results.Where(result => result.Exception is not null).Select(result => "generator exception: " + result.Exception));
        // A model's code, or the fallback members of a declaration with an RNN error (which say so in their summaries).
        var sources = run.Results.SelectMany(result => result.GeneratedSources).ToList();
        var generated = new HashSet<string>(sources.Select(generatedSource => generatedSource.HintName), StringComparer.Ordinal);
        var fallbacks = new HashSet<string>(
            sources.Where(generatedSource => generatedSource.SourceText.ToString().Contains("Not generated: the declaration has an RnnCompiler error", StringComparison.Ordinal)).Select(generatedSource => generatedSource.HintName),
            StringComparer.Ordinal);

        Interlocked.Add(ref s_generatorTicks, Stopwatch.GetTimestamp() - start);
        start = Stopwatch.GetTimestamp();

        // Errors inside generated files (bound per generated tree: cheaper than the whole output compilation).
        foreach (SyntaxTree generatedTree in output.SyntaxTrees.Where(candidate => candidate != tree))
        {
            problems.AddRange(output.GetSemanticModel(generatedTree).GetDiagnostics()
                .Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error)
                .Select(diagnostic => "error in generated code: " + diagnostic));
        }

        Interlocked.Add(ref s_compileTicks, Stopwatch.GetTimestamp() - start);
        start = Stopwatch.GetTimestamp();

        // The analyzer over the user's source, as the IDE runs it while typing. (Over the generator's output, as in a
        // build, it reads the same: the parser skips the members RnnCompiler generated; a run per case over the
        // generated code as well would double the test's time.)
        var analyzerExceptions = new ConcurrentQueue<Exception>();
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: (exception, _, _) => analyzerExceptions.Enqueue(exception),
            concurrentAnalysis: false,
            logAnalyzerExecutionTime: false);
        all = compilation.WithAnalyzers(s_analyzers, options).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
        problems.AddRange(analyzerExceptions.Select(exception => "analyzer exception: " + exception));
        problems.AddRange(all.Where(diagnostic => diagnostic.Id == "AD0001").Select(diagnostic => "AD0001: " + diagnostic));

        Interlocked.Add(ref s_analyzerTicks, Stopwatch.GetTimestamp() - start);

        // Agreement, model by model: generated iff the analyzer found no error and reported the model's size.
        SemanticModel semanticModel = compilation.GetSemanticModel(tree);
        INamedTypeSymbol modelAttribute = compilation.GetTypeByMetadataName("RnnCompiler.RnnModelAttribute")!;
        var models = tree.GetRoot().DescendantNodes().OfType<ClassDeclarationSyntax>()
            .Where(declaration => declaration.AttributeLists.SelectMany(list => list.Attributes).Any(attribute =>
                SymbolEqualityComparer.Default.Equals(semanticModel.GetSymbolInfo(attribute).Symbol?.ContainingType, modelAttribute)))
            .Select(declaration => semanticModel.GetDeclaredSymbol(declaration))
            .OfType<INamedTypeSymbol>()
            .Distinct<INamedTypeSymbol>(SymbolEqualityComparer.Default)
            .ToList();
        var hintNames = new HashSet<string>(StringComparer.Ordinal);
        emitted = new Dictionary<string, INamedTypeSymbol>(StringComparer.Ordinal);
        int validModels = 0;
        foreach (INamedTypeSymbol model in models)
        {
            string hintName = HintName(model);
            hintNames.Add(hintName);
            List<Diagnostic> mine = all.Where(diagnostic => diagnostic.Id.StartsWith("RNN", StringComparison.Ordinal) && IsOn(diagnostic, model, semanticModel)).ToList();
            bool analyzerAccepts = !mine.Any(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error)
                && mine.Any(diagnostic => diagnostic.Id == DiagnosticDescriptors.ModelSizeId);
            bool written = generated.Contains(hintName) && !fallbacks.Contains(hintName);
            validModels += written ? 1 : 0;
            if (written)
            {
                emitted[hintName] = model;
            }

            if (analyzerAccepts != written)
            {
                problems.Add($"disagreement on {model.ToDisplayString()}: generator {(written ? "emitted" : fallbacks.Contains(hintName) ? "wrote the fallback of" : "skipped")} {hintName}; analyzer reported [{string.Join(", ", mine.Select(diagnostic => diagnostic.Id))}]");
            }
        }

        // (A fallback may stand for a declaration whose [RnnModel] does not bind, which the generator still sees; it must compile.)
        problems.AddRange(generated.Where(hintName => !hintNames.Contains(hintName) && !fallbacks.Contains(hintName)).Select(hintName => $"generated {hintName} for no model of this source"));
        bool knownIssue = models.Any(model => model.Name.Length == 0);
        return new CaseResult(validModels, models.Count - validModels, syntaxBroken, problems, knownIssue);
    }

    /// <summary>Whether the diagnostic is on <paramref name="model"/>: on the name or an attribute of its own declaration.</summary>
    private static bool IsOn(Diagnostic diagnostic, INamedTypeSymbol model, SemanticModel semanticModel)
    {
        if (diagnostic.Location.SourceTree != semanticModel.SyntaxTree)
        {
            return false;
        }

        SyntaxNode node = semanticModel.SyntaxTree.GetRoot().FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        return node.FirstAncestorOrSelf<TypeDeclarationSyntax>() is { } declaration
            && SymbolEqualityComparer.Default.Equals(semanticModel.GetDeclaredSymbol(declaration), model);
    }

    /// <summary>The generator's hint name: namespace, containing types and the class, dotted, then <c>.g.cs</c>.</summary>
    private static string HintName(INamedTypeSymbol model)
    {
        var parts = new List<string> { model.Name };
        for (INamedTypeSymbol? outer = model.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            parts.Insert(0, outer.Name);
        }

        if (model.ContainingNamespace is { IsGlobalNamespace: false } ns)
        {
            parts.Insert(0, ns.ToDisplayString());
        }

        // As the generator: no '@' of verbatim identifiers, '_' for anything else a hint name does not allow.
        string dotted = string.Join(".", parts).Replace("@", string.Empty);
        return new string(dotted.Select(c => char.IsLetterOrDigit(c) || c is '.' or '_' ? c : '_').ToArray()) + ".g.cs";
    }
}
