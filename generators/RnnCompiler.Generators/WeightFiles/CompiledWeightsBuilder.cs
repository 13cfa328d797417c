using System.Collections.Generic;
using System.Linq;
using RnnCompiler.Generators.Model;
using RnnCompiler.Generators.Validation;

namespace RnnCompiler.Generators.WeightFiles;

/// <summary>
/// Matches a model's <c>Weights = "…"</c> to its additional file and reads every tensor the model declares, checking
/// names, shapes and dtypes. Shared by the generator (which compiles the values in) and the analyzer (which reports
/// the problems), so the two agree.
/// </summary>
internal static class CompiledWeightsBuilder
{
    public static (EquatableArray<double> Values, ValidationProblem? Problem) Build(NetworkModel network, IEnumerable<WeightFile> files)
    {
        string name = network.WeightsFile!;
        const int At = ValidationProblem.OnModelAttribute;
        WeightFile? file = files.FirstOrDefault(candidate => candidate.Matches(name));
        if (file is null)
        {
            return Fail(new(ProblemIds.WeightsFileMissing, At, $"Weights = \"{name}\" names no file the project lists; add <RnnWeights Include=\"{name}\" /> to the project file (with RnnCompiler.targets imported, which hands it to the compiler)."));
        }

        if (file.Error is not null)
        {
            return Fail(new(ProblemIds.WeightsFileUnreadable, At, $"The weights file '{file.Path}' could not be read: {file.Error}."));
        }

        byte[] bytes = file.Bytes.ToArray();
        (Dictionary<string, HeaderEntry>? entries, long dataStart, string? error) = SafeTensorsHeader.Read(bytes);
        if (entries is null)
        {
            return Fail(new(ProblemIds.WeightsFileUnreadable, At, $"The weights file '{file.Path}' is not a valid safetensors file: {error}."));
        }

        var values = new double[network.ParameterCount];
        foreach (TensorModel tensor in network.Tensors)
        {
            if (!entries.TryGetValue(tensor.Name, out HeaderEntry? entry))
            {
                string hint = entries.Keys.Any(key => key.Contains(".weight"))
                    ? " It holds PyTorch names; compile-time weights take Keras names: load the file once with LoadWeights and write it with SaveWeights."
                    : string.Empty;
                return Fail(new(ProblemIds.WeightsDisagree, At, $"Tensor '{tensor.Name}' {tensor.Shape} is missing from '{file.Path}'.{hint}"));
            }

            if (entry.ShapeText != tensor.Shape)
            {
                return Fail(new(ProblemIds.WeightsDisagree, At, $"Tensor '{tensor.Name}' has shape {entry.ShapeText} in '{file.Path}'; the model declares {tensor.Shape}."));
            }

            float[]? decoded = SafeTensorsHeader.Decode(entry, bytes, dataStart);
            if (decoded is null)
            {
                return Fail(new(ProblemIds.WeightsDisagree, At, $"Tensor '{tensor.Name}' has dtype {entry.DType} in '{file.Path}'; expected F32, F64, F16 or BF16."));
            }

            if (entry.DType == "F64")
            {
                // Keep double values exact for a double model.
                for (int i = 0; i < decoded.Length; i++)
                {
                    values[tensor.Offset + i] = System.BitConverter.ToDouble(bytes, (int)(dataStart + entry.Begin) + 8 * i);
                }
            }
            else
            {
                for (int i = 0; i < decoded.Length; i++)
                {
                    values[tensor.Offset + i] = decoded[i];
                }
            }
        }

        return (new EquatableArray<double>(values), null);
    }

    private static (EquatableArray<double>, ValidationProblem?) Fail(ValidationProblem problem) => (EquatableArray<double>.Empty, problem);
}
