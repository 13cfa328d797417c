using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace RnnCompiler.Analyzers.Tests;

/// <summary>
/// The diagnostics as a user meets them: a small project, referencing the runtime and the generator assembly built for
/// this configuration, is built with <c>dotnet build</c>. The error shows with its severity, file, line and column,
/// and <c>#pragma warning disable</c> silences it (the reason the analyzer is separate from the generator).
/// </summary>
[Trait("Category", "Build")]
public class BuildOutputTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(4);

    private const string Model = """
        using RnnCompiler;

        namespace BuildCheck;

        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Lstm(8)]
        public class Forecaster;

        [RnnModel(SequenceLength = 10)]
        [Input(3)]
        [Gru(4)]
        [Dense(1)]
        public partial class Valid;

        public static class Use
        {
            public static int Units => Valid.OutputUnits;
        }
        """;

    private readonly ITestOutputHelper _output;

    public BuildOutputTests(ITestOutputHelper output) => _output = output;

    [SkippableFact]
    public async Task Error_shows_in_dotnet_build_and_pragma_silences_it()
    {
        string? dotnet = FindOnPath("dotnet");
        Skip.If(dotnet is null, "dotnet is not on PATH, so the build output cannot be checked.");

        string root = FindRoot();
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/{Configuration}/net10.0/
        string runtime = Path.Combine(root, "src", "RnnCompiler", "bin", configuration, "net10.0", "RnnCompiler.dll");
        string generator = Path.Combine(root, "generators", "RnnCompiler.Generators", "bin", configuration, "netstandard2.0", "RnnCompiler.Generators.dll");
        Assert.True(File.Exists(runtime), runtime + " is not built");
        Assert.True(File.Exists(generator), generator + " is not built");

        string folder = Path.Combine(Path.GetTempPath(), "rnn-build-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            string project = Path.Combine(folder, "BuildCheck.csproj");
            File.WriteAllText(project, $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>disable</ImplicitUsings>
                  </PropertyGroup>
                  <ItemGroup>
                    <Reference Include="RnnCompiler" HintPath="{runtime}" />
                    <Analyzer Include="{generator}" />
                  </ItemGroup>
                </Project>
                """);
            string model = Path.Combine(folder, "Model.cs");
            File.WriteAllText(model, Model.Replace("\r\n", "\n"));

            (int exitCode, string output) = await BuildAsync(dotnet!, project);
            Assert.NotEqual(0, exitCode);
            Assert.Contains("Model.cs(8,14): error RNN0001: 'Forecaster' must be declared 'partial'", output, StringComparison.Ordinal);
            Assert.DoesNotContain("RNN0100", output, StringComparison.Ordinal); // Info: not in the build output.

            File.WriteAllText(model, Model.Replace("\r\n", "\n").Replace(
                "public class Forecaster;",
                "#pragma warning disable RNN0001 // This class is not a model yet.\npublic class Forecaster;\n#pragma warning restore RNN0001"));
            (exitCode, output) = await BuildAsync(dotnet!, project);
            Assert.DoesNotContain("RNN0001", output, StringComparison.Ordinal);
            Assert.Equal(0, exitCode);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private async Task<(int ExitCode, string Output)> BuildAsync(string dotnet, string project)
    {
        var start = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(project)!,
        };

        // No build server or node left behind by the test.
        foreach (string argument in new[] { "build", project, "-nologo", "-nodeReuse:false", "-p:UseSharedCompilation=false", "-clp:NoSummary" })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        Task readOut = Task.Run(async () => output.Append(await process.StandardOutput.ReadToEndAsync()));
        Task readError = Task.Run(async () => output.Append(await process.StandardError.ReadToEndAsync()));
        Task exited = process.WaitForExitAsync();
        if (await Task.WhenAny(exited, Task.Delay(s_timeout)) != exited)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"dotnet build did not finish within {s_timeout.TotalMinutes} minutes.");
        }

        await Task.WhenAll(readOut, readError);
        string text = output.ToString();
        _output.WriteLine(text);
        return (process.ExitCode, text);
    }

    private static string? FindOnPath(string name)
    {
        string[] names = OperatingSystem.IsWindows() ? new[] { name + ".exe" } : new[] { name };
        return (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .SelectMany(directory => names.Select(file => Path.Combine(directory, file)))
            .FirstOrDefault(File.Exists);
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
