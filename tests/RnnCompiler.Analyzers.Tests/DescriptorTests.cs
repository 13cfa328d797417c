using System;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using RnnCompiler.Generators.Diagnostics;
using RnnCompiler.Generators.Validation;
using Xunit;

namespace RnnCompiler.Analyzers.Tests;

/// <summary>The IDs stay in step: every problem ID has a descriptor, a documentation page and a release-tracking row.</summary>
public class DescriptorTests
{
    private static readonly string s_root = FindRoot();

    public static TheoryData<string> Ids()
    {
        var data = new TheoryData<string>();
        foreach (DiagnosticDescriptor descriptor in DiagnosticDescriptors.All)
        {
            data.Add(descriptor.Id);
        }

        return data;
    }

    [Fact]
    public void Every_problem_id_has_an_error_descriptor()
    {
        string[] ids = typeof(ProblemIds).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(field => field.IsLiteral)
            .Select(field => (string)field.GetRawConstantValue()!)
            .ToArray();
        Assert.Equal(36, ids.Length);
        Assert.Equal(ids.Length, ids.Distinct(StringComparer.Ordinal).Count());
        foreach (string id in ids)
        {
            DiagnosticDescriptor? descriptor = DiagnosticDescriptors.ForProblem(id);
            Assert.NotNull(descriptor);
            Assert.Equal(DiagnosticSeverity.Error, descriptor.DefaultSeverity);
        }

        // Besides the validation errors: RNN0024 (a record), RNN0027 (the generator failed), RNN0100 (size) and RNN0101 (over the memory budget).
        Assert.Equal(ids.Length + 4, new RnnModelAnalyzer().SupportedDiagnostics.Length);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Id_has_a_documentation_page_and_a_release_row(string id)
    {
        DiagnosticDescriptor descriptor = DiagnosticDescriptors.All.Single(candidate => candidate.Id == id);
        Assert.Equal($"https://github.com/rnncompiler/rnncompiler/blob/main/docs/diagnostics/{id}.md", descriptor.HelpLinkUri);
        string page = Path.Combine(s_root, "docs", "diagnostics", id + ".md");
        Assert.True(File.Exists(page), page + " is missing");
        Assert.StartsWith($"# {id}: ", File.ReadAllText(page), StringComparison.Ordinal);

        string unshipped = File.ReadAllText(Path.Combine(s_root, "generators", "RnnCompiler.Generators", "AnalyzerReleases.Unshipped.md"));
        Assert.Contains($"{id} | RnnCompiler | {descriptor.DefaultSeverity} |", unshipped, StringComparison.Ordinal);
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "RnnCompiler.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("RnnCompiler.sln not found above " + AppContext.BaseDirectory);
    }
}
