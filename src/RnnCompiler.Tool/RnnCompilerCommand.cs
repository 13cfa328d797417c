using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using RnnCompiler.Weights.Keras;

namespace RnnCompiler.Tool;

/// <summary>How the <c>rnncompiler</c> command ends.</summary>
public enum ExitCode
{
    /// <summary>The declaration was printed and the weights file written.</summary>
    Success = 0,

    /// <summary>The file cannot be declared (a layer or an option RnnCompiler lacks, no sequence length, a damaged or unreadable file); nothing was written.</summary>
    NotDeclared = 1,

    /// <summary>The arguments are wrong; nothing was read or written.</summary>
    Usage = 2,
}

/// <summary>
/// The <c>rnncompiler</c> command line: <c>rnncompiler import model.keras --name Sentiment</c> reads a Keras model with
/// <see cref="KerasModelFile"/>, writes its weights as <c>{name}.safetensors</c> and prints its C# declaration on
/// standard output; notes and errors go to standard error. Nothing is written unless everything succeeds.
/// </summary>
public static class RnnCompilerCommand
{
    private const string Usage =
        """
        rnncompiler: declares an RnnCompiler model from a Keras model file.

        Usage:
          rnncompiler import <file> --name <ClassName> [--namespace <Namespace>] [--output <folder>] [--sequence-length <N>]
          rnncompiler --help
          rnncompiler --version

          <file>                  a Keras 3 .keras archive (model.save("m.keras")), or the whole-model .h5 of
                                  Keras 2 or tf.keras (model.save("m.h5"))
          --name <ClassName>      the model's class name; its weights file is the name in lower case,
                                  <name>.safetensors
          --namespace <Namespace> the declaration's namespace (none by default)
          --output <folder>       where the weights file is written (the current folder by default; made if missing)
          --sequence-length <N>   the most steps one prediction takes; needed where the file's input shape leaves
                                  it open (None), and used in place of the file's when given

        The declaration goes to standard output (redirect it into a .cs file), notes and errors to standard error.
        Layers that do nothing at inference (Dropout, GaussianNoise, ...) are left out with a note.

        Exit codes: 0 done; 1 the file cannot be declared (a layer or option RnnCompiler does not have, no sequence
        length, a damaged or unreadable file) and nothing was written; 2 wrong arguments.
        """;

    /// <summary>Runs the command.</summary>
    /// <param name="args">The command-line arguments.</param>
    /// <param name="output">Where the declaration (and <c>--help</c>, <c>--version</c>) goes.</param>
    /// <param name="error">Where notes and errors go.</param>
    /// <returns>How the command ended.</returns>
    public static ExitCode Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (args.Count == 0 || args[0] is "--help" or "-h" or "-?" or "help" || (args[0] == "import" && args.Skip(1).Any(a => a is "--help" or "-h" or "-?")))
        {
            output.Write(Usage.ReplaceLineEndings("\n") + "\n");
            return args.Count == 0 ? ExitCode.Usage : ExitCode.Success;
        }

        if (args[0] == "--version")
        {
            output.WriteLine(typeof(RnnCompilerCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "?");
            return ExitCode.Success;
        }

        if (args[0] != "import")
        {
            return UsageError(error, $"unknown command '{args[0]}'; the command is import");
        }

        if (!TryParse(args, out ImportArguments? import, out string? problem))
        {
            return UsageError(error, problem);
        }

        return Import(import, output, error);
    }

    private static ExitCode Import(ImportArguments arguments, TextWriter output, TextWriter error)
    {
        KerasModelFile model;
        try
        {
            using FileStream stream = File.OpenRead(arguments.File);
            model = KerasModelFile.Read(stream, arguments.SequenceLength);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return Failed(error, $"{arguments.File}: {e.Message}");
        }

        if (model.Unsupported.Count > 0)
        {
            error.WriteLine($"rnncompiler: error: {arguments.File} has {Count(model.Unsupported.Count, "layer or option", "layers or options")} that RnnCompiler does not have; nothing was written:");
            foreach (string line in model.Unsupported)
            {
                error.WriteLine(" - " + line);
            }

            return ExitCode.NotDeclared;
        }

        if (model.SequenceLength is null)
        {
            return Failed(error, $"{arguments.File}: the model's input shape leaves the number of steps open (None); give the most steps one prediction takes with --sequence-length N. Nothing was written.");
        }

        string weightsFile = arguments.Name.ToLowerInvariant() + ".safetensors";
        string declaration;
        try
        {
            declaration = model.ToDeclaration(arguments.Name, arguments.Namespace, weightsFile);
        }
        catch (ArgumentException e)
        {
            return UsageError(error, e.Message);
        }

        string folder = arguments.Output ?? Directory.GetCurrentDirectory();
        string target = Path.GetFullPath(Path.Combine(folder, weightsFile));
        string temporary = target + ".tmp";
        try
        {
            using var weights = new MemoryStream();
            model.SaveWeights(weights);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllBytes(temporary, weights.ToArray());
            File.Move(temporary, target, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temporary);
            return Failed(error, $"{target}: {e.Message}");
        }

        foreach (string note in model.Notes)
        {
            error.WriteLine("rnncompiler: note: " + note);
        }

        error.WriteLine($"rnncompiler: wrote {target} ({model.ParameterCount.ToString("N0", CultureInfo.InvariantCulture)} parameters); list it in the project as <RnnWeights Include=\"{weightsFile}\" />.");
        output.Write(declaration);
        return ExitCode.Success;
    }

    private static bool TryParse(IReadOnlyList<string> args, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ImportArguments? import, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? problem)
    {
        import = null;
        string? file = null;
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        string[] known = ["--name", "--namespace", "--output", "--sequence-length"];
        for (int i = 1; i < args.Count; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith('-') || arg == "-")
            {
                if (file is not null)
                {
                    problem = $"one file at a time: '{file}' and '{arg}' were given";
                    return false;
                }

                file = arg;
                continue;
            }

            int equals = arg.IndexOf('=', StringComparison.Ordinal);
            string option = equals < 0 ? arg : arg[..equals];
            if (!known.Contains(option))
            {
                problem = $"unknown option '{option}'; the options are {string.Join(", ", known)}";
                return false;
            }

            if (options.ContainsKey(option))
            {
                problem = $"{option} is given twice";
                return false;
            }

            if (equals >= 0)
            {
                options[option] = arg[(equals + 1)..];
            }
            else if (i + 1 < args.Count)
            {
                options[option] = args[++i];
            }
            else
            {
                problem = $"{option} needs a value";
                return false;
            }
        }

        if (file is null)
        {
            problem = "the Keras file to read is missing: rnncompiler import <file> --name <ClassName>";
            return false;
        }

        if (!options.TryGetValue("--name", out string? name) || name.Length == 0)
        {
            problem = "--name <ClassName> is missing: the model's class name, for example --name Sentiment";
            return false;
        }

        int? sequenceLength = null;
        if (options.TryGetValue("--sequence-length", out string? length))
        {
            if (!int.TryParse(length, NumberStyles.None, CultureInfo.InvariantCulture, out int steps) || steps < 1)
            {
                problem = $"--sequence-length is '{length}'; it must be a whole number of steps, 1 or more";
                return false;
            }

            sequenceLength = steps;
        }

        options.TryGetValue("--namespace", out string? ns);
        options.TryGetValue("--output", out string? folder);
        import = new ImportArguments(file, name, ns, folder, sequenceLength);
        problem = null;
        return true;
    }

    private static ExitCode UsageError(TextWriter error, string message)
    {
        error.WriteLine("rnncompiler: error: " + OneLine(message) + " (rnncompiler --help lists the options)");
        return ExitCode.Usage;
    }

    private static ExitCode Failed(TextWriter error, string message)
    {
        error.WriteLine("rnncompiler: error: " + OneLine(message));
        return ExitCode.NotDeclared;
    }

    private static string OneLine(string message) => string.Join(' ', message.Split(["\r\n", "\n"], StringSplitOptions.RemoveEmptyEntries).Select(line => line.Trim()));

    private static string Count(int count, string one, string many) => count.ToString(CultureInfo.InvariantCulture) + " " + (count == 1 ? one : many);

    private sealed record ImportArguments(string File, string Name, string? Namespace, string? Output, int? SequenceLength);
}
