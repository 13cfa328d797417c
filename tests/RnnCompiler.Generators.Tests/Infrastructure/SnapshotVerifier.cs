using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Xunit;

namespace RnnCompiler.Generators.Tests.Infrastructure;

/// <summary>
/// Snapshot tests of generated files without the Verify package, keeping Verify.SourceGenerators' conventions so a
/// later switch touches only this file: <c>Snapshots/{TestFile}.{Method}#{HintNameWithoutExtension}.verified.cs</c>,
/// first line <c>//HintName: {HintName}</c>, UTF-8, <c>\n</c> line endings, the generator's version scrubbed to
/// <c>{version}</c>. A mismatch or a missing snapshot writes <c>*.received.cs</c> beside it (git-ignored) and fails
/// with the first differing line. <c>RNN_ACCEPT_SNAPSHOTS=1</c> accepts instead, unless <c>CI=true</c>.
/// </summary>
/// <remarks>
/// Like Verify, the "class" part of the name is the test's source file name (from <see cref="CallerFilePathAttribute"/>).
/// Files are written without a byte order mark (Verify writes one by default); reading accepts either, so a switch
/// to Verify compares equal.
/// </remarks>
internal static class SnapshotVerifier
{
    /// <summary>The environment variable that turns a run into accepting the received output.</summary>
    public const string AcceptVariable = "RNN_ACCEPT_SNAPSHOTS";

    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    private static readonly Regex VersionScrubber = BuildVersionScrubber();

    /// <summary>True on a CI machine (<c>CI=true</c>): snapshots are never accepted there.</summary>
    public static bool IsCi =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
        || Environment.GetEnvironmentVariable("CI") == "1";

    /// <summary>True when <c>RNN_ACCEPT_SNAPSHOTS=1</c> and not on CI.</summary>
    public static bool Accepting => Environment.GetEnvironmentVariable(AcceptVariable) == "1" && !IsCi;

    /// <summary>Compares every generated source of <paramref name="run"/> with its snapshot.</summary>
    /// <param name="run">The generator run to check; it must have generated at least one file.</param>
    /// <param name="callerFile">Filled in by the compiler: the test's source file, which locates <c>Snapshots/</c>.</param>
    /// <param name="callerMethod">Filled in by the compiler: the test method's name.</param>
    public static void Verify(
        GeneratorRun run,
        [CallerFilePath] string callerFile = "",
        [CallerMemberName] string callerMethod = "")
    {
        string directory = SnapshotDirectory(callerFile);
        string prefix = $"{Path.GetFileNameWithoutExtension(callerFile)}.{callerMethod}";
        var failures = new List<string>();
        var expectedFiles = new HashSet<string>(StringComparer.Ordinal);

        var sources = run.GeneratedSources;
        if (sources.IsEmpty)
        {
            failures.Add($"{prefix}: the generator produced no source for this model.");
        }

        foreach (GeneratedSourceResult source in sources)
        {
            string received = Scrub(Normalize($"//HintName: {source.HintName}\n{source.SourceText}"));
            string stem = Path.Combine(directory, $"{prefix}#{Path.GetFileNameWithoutExtension(source.HintName)}");
            string verifiedPath = stem + ".verified.cs";
            string receivedPath = stem + ".received.cs";
            expectedFiles.Add(Path.GetFileName(verifiedPath));

            string? verified = File.Exists(verifiedPath) ? Normalize(File.ReadAllText(verifiedPath, Encoding.UTF8)) : null;
            if (verified == received)
            {
                File.Delete(receivedPath);
                continue;
            }

            if (Accepting)
            {
                Directory.CreateDirectory(directory);
                File.WriteAllText(verifiedPath, received, Utf8NoBom);
                File.Delete(receivedPath);
                continue;
            }

            Directory.CreateDirectory(directory);
            File.WriteAllText(receivedPath, received, Utf8NoBom);
            failures.Add(verified is null
                ? $"No snapshot {verifiedPath}.\nReceived output written to {receivedPath}."
                : $"{verifiedPath} differs from the output.\n{FirstDifference(verified, received)}\nReceived output written to {receivedPath}.");
        }

        if (Directory.Exists(directory))
        {
            foreach (string stale in Directory.GetFiles(directory, prefix + "#*.verified.cs"))
            {
                if (expectedFiles.Contains(Path.GetFileName(stale)))
                {
                    continue;
                }

                if (Accepting)
                {
                    File.Delete(stale);
                }
                else
                {
                    failures.Add($"{stale} is a snapshot of a file the generator no longer produces.");
                }
            }
        }

        if (failures.Count > 0)
        {
            string hint = IsCi
                ? $"CI=true: {AcceptVariable} is ignored here; accept the snapshots locally and commit them."
                : $"If the new output is right, accept it: {AcceptVariable}=1 dotnet test tests/RnnCompiler.Generators.Tests";
            Assert.Fail(string.Join("\n\n", failures) + "\n\n" + hint);
        }
    }

    /// <summary>Replaces every form of the generator assembly's version with <c>{version}</c>.</summary>
    public static string Scrub(string text) => VersionScrubber.Replace(text, "{version}");

    /// <summary>Describes the first line where two texts differ (1-based line number, expected, actual).</summary>
    public static string FirstDifference(string expected, string actual)
    {
        string[] e = expected.Split('\n');
        string[] a = actual.Split('\n');
        for (int i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            string? el = i < e.Length ? e[i] : null;
            string? al = i < a.Length ? a[i] : null;
            if (el != al)
            {
                return $"First difference at line {i + 1}:\n  expected: {el ?? "<end of file>"}\n  actual:   {al ?? "<end of file>"}";
            }
        }

        return "The texts are equal.";
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n").Replace('\r', '\n');

    private static string SnapshotDirectory(string callerFile)
    {
        string? testDirectory = Path.GetDirectoryName(callerFile);
        if (testDirectory is null || !Directory.Exists(testDirectory))
        {
            // A path map (deterministic CI builds) can make the caller path "/_/...": look for the project from the output folder.
            testDirectory = FindProjectDirectory()
                ?? throw new InvalidOperationException($"Cannot locate the test project from '{callerFile}' or '{AppContext.BaseDirectory}'.");
        }

        return Path.Combine(testDirectory, "Snapshots");
    }

    private static string? FindProjectDirectory()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "RnnCompiler.Generators.Tests.csproj")))
            {
                return d.FullName;
            }
        }

        return null;
    }

    private static Regex BuildVersionScrubber()
    {
        Assembly generator = typeof(RnnModelGenerator).Assembly;
        string? informational = generator.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        string?[] versions =
        {
            generator.GetName().Version?.ToString(),
            generator.GetCustomAttribute<AssemblyFileVersionAttribute>()?.Version,
            informational,
            informational?.Split('+')[0],
        };

        // Longest first, so "1.0.0+abc" and "1.0.0.0" win over "1.0.0"; digits or dots on either side mean another number.
        string alternatives = string.Join("|", versions
            .Where(v => !string.IsNullOrEmpty(v))
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(v => v!.Length)
            .Select(v => Regex.Escape(v!)));
        return alternatives.Length == 0
            ? new Regex("(?!)") // no version to scrub: match nothing
            : new Regex($"(?<![0-9.])(?:{alternatives})(?![0-9.])", RegexOptions.CultureInvariant);
    }
}
