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
        (Dictionary<string, SafeTensorEntry>? entries, long dataStart, string? error) = ReadHeader(bytes);
        if (entries is null)
        {
            return Fail(new(ProblemIds.WeightsFileUnreadable, At, $"The weights file '{file.Path}' is not a valid safetensors file: {error}"));
        }

        var values = new double[network.ParameterCount];
        bool keras = network.Tensors.Any(tensor => entries.ContainsKey(tensor.Name));
        if (!keras && network.Layers.Any(layer => PyTorchLayout.ModuleName(Describe(layer), entries.Keys) is not null))
        {
            return BuildFromPyTorch(network, file, entries, bytes, dataStart);
        }

        foreach (TensorModel tensor in network.Tensors)
        {
            if (!entries.TryGetValue(tensor.Name, out SafeTensorEntry? entry))
            {
                string hint = entries.Keys.Any(key => key.Contains(".weight"))
                    ? $" It holds PyTorch names, but none under this model's module names ({string.Join(", ", network.Layers.SelectMany(layer => PyTorchLayout.Candidates(Describe(layer))).Distinct().Select(module => "'" + module + "'"))}); name the modules after the Keras layers, as for LoadWeights."
                    : string.Empty;
                return Fail(new(ProblemIds.WeightsDisagree, At, $"Tensor '{tensor.Name}' {tensor.Shape} is missing from '{file.Path}'.{hint}"));
            }

            if (entry.ShapeText != tensor.Shape)
            {
                return Fail(new(ProblemIds.WeightsDisagree, At, $"Tensor '{tensor.Name}' has shape {entry.ShapeText} in '{file.Path}'; the model declares {tensor.Shape}."));
            }

            if (!SafeTensorsHeader.IsFloating(entry.DType))
            {
                return Fail(new(ProblemIds.WeightsDisagree, At, $"Tensor '{tensor.Name}' has dtype {entry.DType} in '{file.Path}'; expected F32, F64, F16 or BF16."));
            }

            SafeTensorsHeader.Decode(entry, bytes, dataStart, tensor.Name).CopyTo(values, tensor.Offset);
        }

        return (new EquatableArray<double>(values), null);
    }

    /// <summary>
    /// Converts a PyTorch <c>state_dict</c> (modules named after the Keras layers) to the model's Keras tensors with
    /// the conversion <c>LoadWeights</c> uses; the first tensor that cannot be converted is the problem.
    /// </summary>
    private static (EquatableArray<double>, ValidationProblem?) BuildFromPyTorch(NetworkModel network, WeightFile file, Dictionary<string, SafeTensorEntry> entries, byte[] bytes, long dataStart)
    {
        PyTorchTensor? Lookup(string name) =>
            entries.TryGetValue(name, out SafeTensorEntry? entry)
                ? new PyTorchTensor(entry.Shape, SafeTensorsHeader.IsFloating(entry.DType) ? SafeTensorsHeader.Decode(entry, bytes, dataStart, name) : null, entry.DType)
                : null;

        var values = new double[network.ParameterCount];
        PyTorchLayer[] described = network.Layers.Select(Describe).ToArray();
        PyTorchModule[] modules = PyTorchLayout.Assign(described, entries.Keys, map: null);
        for (int index = 0; index < network.Layers.Count; index++)
        {
            LayerModel layer = network.Layers[index];
            foreach (TensorModel tensor in network.Tensors)
            {
                if (tensor.Offset < layer.Offset || tensor.Offset >= layer.Offset + layer.ParameterCount)
                {
                    continue;
                }

                PyTorchConversion conversion = PyTorchLayout.Convert(described[index], modules[index], tensor.Name, tensor.Role, tensor.Backward, Lookup, "'" + file.Path + "'");
                if (conversion.Values is null)
                {
                    return Fail(new(ProblemIds.WeightsDisagree, ValidationProblem.OnModelAttribute, conversion.Error!));
                }

                if (conversion.Values.Length != tensor.Length)
                {
                    return Fail(new(ProblemIds.WeightsDisagree, ValidationProblem.OnModelAttribute, $"Tensor '{tensor.Name}' {tensor.Shape}: the PyTorch tensors in '{file.Path}' give {conversion.Values.Length} values, not {tensor.Length}."));
                }

                conversion.Values.CopyTo(values, tensor.Offset);
            }
        }

        return (new EquatableArray<double>(values), null);
    }

    /// <summary>
    /// Reads and checks a whole compile-time weights file with the runtime's header reader (the linked
    /// <c>SafeTensorsHeader</c>), turning its refusal into the message of RNN0022: the generator never throws on a file.
    /// </summary>
    internal static (Dictionary<string, SafeTensorEntry>? Entries, long DataStart, string? Error) ReadHeader(byte[] file)
    {
        if (file.Length < 8)
        {
            return (null, 0, $"the file has {file.Length} bytes, fewer than the 8-byte header length.");
        }

        try
        {
            long length = SafeTensorsHeader.ReadLength(file, 0);
            if (length > file.Length - 8)
            {
                return (null, 0, $"the header length {length} is past the end of the file ({file.Length} bytes).");
            }

            SafeTensorsHeader header = SafeTensorsHeader.Parse(file, 8, (int)length);
            long dataStart = 8 + length;
            if (header.DataLength != file.Length - dataStart)
            {
                return (null, 0, header.DataLength > file.Length - dataStart
                    ? $"the file is truncated: its tensors need {header.DataLength} bytes of data and {file.Length - dataStart} remain."
                    : $"the file has {file.Length - dataStart - header.DataLength} bytes after its tensors' data; a safetensors file ends with its data.");
            }

            return (header.Entries, dataStart, null);
        }
        catch (System.IO.InvalidDataException e)
        {
            return (null, 0, char.ToLowerInvariant(e.Message[0]) + e.Message.Substring(1));
        }
    }

    private static PyTorchLayer Describe(LayerModel layer) =>
        new(layer.Kind, layer.Name, layer.InnerName, layer.InputWidth, layer.Units, layer.Bidirectional, layer.ResetAfter);

    private static (EquatableArray<double>, ValidationProblem?) Fail(ValidationProblem problem) => (EquatableArray<double>.Empty, problem);
}
