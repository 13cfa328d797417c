using System.Collections.Generic;
using System.Linq;
using RnnCompiler.Generators.Model;
using static RnnCompiler.Generators.Emit.CSharp;

namespace RnnCompiler.Generators.Emit;

/// <summary>
/// The weight members of a model: <c>Parameters</c>, <c>InitializeWeights</c>, <c>SaveWeights</c>, <c>LoadWeights</c>,
/// the <c>Layout</c> of offsets and the compiled-in weights. A model that reads a copy of its kernels (bfloat16, or
/// packed in panels) gets that copy's members from <see cref="BFloat16Emitter"/> or <see cref="PanelEmitter"/>.
/// </summary>
internal static class WeightsEmitter
{
    public static void WriteWeightMembers(EmitContext context)
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        if (model.BFloat16Weights)
        {
            BFloat16Emitter.WriteParameters(context);
        }
        else if (model.Int8Weights)
        {
            Int8Emitter.WriteParameters(context);
        }
        else if (PanelEmitter.Applies(model))
        {
            PanelEmitter.WriteParameters(context);
        }
        else
        {
            writer.WriteLine("/// <summary>");
            writer.WriteLine($"/// Every weight of the model, {Int(model.ParameterCount)} in all, flat and in Keras's order and layout, layer by layer:");
            writer.WriteLine("/// <c>kernel</c> [input, gates × units] row-major, <c>recurrent_kernel</c> [units, gates × units], <c>bias</c>.");
            writer.WriteLine("/// The class remarks list each tensor with its offset. Writing here changes the model.");
            writer.WriteLine("/// </summary>");
            writer.WriteLine(context.GeneratedCode);
            writer.WriteLine($"public {Span}<{t}> Parameters => _parameters;");
            writer.WriteLine();
        }

        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// Draws new weights with Keras's default initializers: glorot_uniform kernels, orthogonal recurrent kernels,");
        writer.WriteLine("/// zero biases (the LSTM forget gate's at 1), uniform ±0.05 embeddings. A new model holds the weights of seed 0.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine("/// <param name=\"seed\">Any integer; the same seed gives the same weights on every machine.</param>");
        writer.WriteLine(context.GeneratedCode);
        WriteWeightsChange(context, "public void InitializeWeights(int seed)", $"global::RnnCompiler.Weights.WeightInitializer.Initialize<{t}>(s_layers, _parameters, seed);");

        writer.WriteLine("/// <summary>Writes the weights as safetensors, with Keras's tensor names and layouts.</summary>");
        writer.WriteLine("/// <param name=\"stream\">A writable stream; it is left open.</param>");
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine($"public void SaveWeights(global::System.IO.Stream stream) => global::RnnCompiler.Weights.WeightFile.Save<{t}>(stream, s_layers, _parameters);");
        writer.WriteLine();

        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// Reads weights from safetensors: Keras's names (as <see cref=\"SaveWeights\"/> writes them) or a PyTorch");
        writer.WriteLine("/// <c>state_dict</c> whose modules are named like these layers. The whole file is checked before any weight changes.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine("/// <param name=\"stream\">A readable stream; it is left open.</param>");
        writer.WriteLine("/// <exception cref=\"global::System.IO.InvalidDataException\">The file is damaged, or a tensor is missing or has the wrong shape or dtype.</exception>");
        writer.WriteLine(context.GeneratedCode);
        WriteWeightsChange(context, "public void LoadWeights(global::System.IO.Stream stream)", $"global::RnnCompiler.Weights.WeightFile.Load<{t}>(stream, s_layers, _parameters);");

        writer.WriteLine(context.GeneratedCode);
        using (writer.Block($"private static {AlignedBuffer}<{t}> CreateInitialParameters()"))
        {
            writer.WriteLine($"var parameters = new {AlignedBuffer}<{t}>(ParameterCount);");
            writer.WriteLine(model.WeightsFile is null
                ? $"global::RnnCompiler.Weights.WeightInitializer.Initialize<{t}>(s_layers, parameters, 0);"
                : "CompiledWeights.CopyTo(parameters);");
            writer.WriteLine("return parameters;");
        }

        writer.WriteLine();
    }

    /// <summary>A nested class of constants: where each tensor starts in a copy of the weights.</summary>
    internal static void WriteOffsets(EmitContext context, string className, string summary, IEnumerable<(string Name, TensorModel Tensor, int Offset)> tensors)
    {
        SourceWriter writer = context.Writer;
        writer.WriteLine();
        writer.WriteLine($"/// <summary>{summary}</summary>");
        writer.WriteLine(context.GeneratedCode);
        using (writer.Block($"private static class {className}"))
        {
            foreach ((string name, TensorModel tensor, int offset) in tensors)
            {
                writer.WriteLine(name == tensor.Identifier
                    ? $"/// <summary><c>{tensor.Name}</c> {tensor.Shape}.</summary>"
                    : $"/// <summary><c>{tensor.Name}</c> {tensor.Shape} again, packed in panels for Step.</summary>");
                writer.WriteLine($"public const int {name} = {Int(offset)};");
            }
        }
    }

    /// <summary>
    /// <c>Parameters</c> of a model that reads a copy of its kernels (bfloat16, or packed in panels): each read hands out a
    /// writable span, so it marks the copy stale. <paramref name="copyLine"/> and <paramref name="refreshLine"/> end the
    /// summary with what the copy is and how it is brought up to date.
    /// </summary>
    internal static void WriteParametersMarkingStale(EmitContext context, string copyLine, string refreshLine, string staleFlag)
    {
        SourceWriter writer = context.Writer;
        writer.WriteLine("/// <summary>");
        writer.WriteLine($"/// Every weight of the model, {Int(context.Model.ParameterCount)} in all, flat and in Keras's order and layout, layer by layer:");
        writer.WriteLine("/// <c>kernel</c> [input, gates × units] row-major, <c>recurrent_kernel</c> [units, gates × units], <c>bias</c>.");
        writer.WriteLine("/// The class remarks list each tensor with its offset. Writing here changes the model: Predict and Step read the");
        writer.WriteLine(copyLine);
        writer.WriteLine(refreshLine);
        writer.WriteLine("/// </summary>");
        writer.WriteLine(context.GeneratedCode);
        using (writer.Block($"public {Span}<{context.Model.ElementType}> Parameters"))
        {
            using (writer.Block("get"))
            {
                writer.WriteLine($"{staleFlag} = true;");
                writer.WriteLine("return _parameters;");
            }
        }

        writer.WriteLine();
    }

    /// <summary>
    /// A method that changes the float weights of a model that reads a reduced-precision copy (bfloat16 or int8): the
    /// change, then <paramref name="refresh"/>, which brings the copy up to date at once.
    /// </summary>
    internal static void WriteWeightsChangeAndRefresh(EmitContext context, string signature, string statement, string refresh)
    {
        SourceWriter writer = context.Writer;
        using (writer.Block(signature))
        {
            writer.WriteLine(statement);
            writer.WriteLine($"{refresh}();");
        }

        writer.WriteLine();
    }

    /// <summary>
    /// The lines at the top of Predict's forward pass and of Step in a model that reads a reduced-precision copy: bring
    /// the copy up to date if <c>Parameters</c> was handed out since the last call, then name it as <paramref name="local"/>.
    /// </summary>
    internal static void WriteReadCopy(EmitContext context, string comment, string staleFlag, string refresh, string elementType, string local, string field)
    {
        SourceWriter writer = context.Writer;
        writer.WriteLine(comment);
        using (writer.Block($"if ({staleFlag})"))
        {
            writer.WriteLine($"{refresh}();");
        }

        writer.WriteLine();
        writer.WriteLine($"{ReadOnlySpan}<{elementType}> {local} = {field};");
    }

    /// <summary>A method that writes new float weights: one expression, or for a bfloat16 model a body that also rounds the copy.</summary>
    private static void WriteWeightsChange(EmitContext context, string signature, string statement)
    {
        if (context.Model.BFloat16Weights)
        {
            BFloat16Emitter.WriteWeightsChange(context, signature, statement);
            return;
        }

        if (context.Model.Int8Weights)
        {
            Int8Emitter.WriteWeightsChange(context, signature, statement);
            return;
        }

        if (PanelEmitter.Applies(context.Model))
        {
            using (context.Writer.Block(signature))
            {
                context.Writer.WriteLine(statement);
                context.Writer.WriteLine(PanelEmitter.MarkStale);
            }

            context.Writer.WriteLine();
            return;
        }

        context.Writer.WriteLine($"{signature} => {statement}");
        context.Writer.WriteLine();
    }

    public static void WriteLayout(EmitContext context)
    {
        SourceWriter writer = context.Writer;
        writer.WriteLine("/// <summary>Where each weight tensor starts in <see cref=\"Parameters\"/>.</summary>");
        writer.WriteLine(context.GeneratedCode);
        using (writer.Block("private static class Layout"))
        {
            foreach (TensorModel tensor in context.Model.Tensors)
            {
                writer.WriteLine($"/// <summary><c>{tensor.Name}</c> {tensor.Shape}.</summary>");
                writer.WriteLine($"public const int {tensor.Identifier} = {Int(tensor.Offset)};");
            }
        }
    }

    /// <summary>
    /// The weights of the file named by <c>Weights = …</c>, as constant data in the assembly: a span over an array
    /// initializer of constants, which the compiler stores as RVA static data, so nothing runs or allocates to read it.
    /// </summary>
    public static void WriteCompiledWeights(EmitContext context, EquatableArray<double> weights)
    {
        SourceWriter writer = context.Writer;
        string t = context.Model.ElementType;
        writer.WriteLine();
        writer.WriteLine($"/// <summary>The weights of <c>{Xml(context.Model.WeightsFile!)}</c>, compiled in as constant data, in the layout of <see cref=\"Parameters\"/>.</summary>");
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine($"private static {ReadOnlySpan}<{t}> CompiledWeights => new {t}[]");
        writer.WriteLine("{");
        var line = new System.Text.StringBuilder();
        int index = 0;
        // No values: the member is declared for its name only (ModelEmitter.DeclaredMemberNames).
        foreach (TensorModel tensor in weights.Count == 0 ? Enumerable.Empty<TensorModel>() : context.Model.Tensors)
        {
            writer.WriteLine($"    // {tensor.Name} {tensor.Shape}");
            for (int i = 0; i < tensor.Length; i++, index++)
            {
                line.Append(context.Model.IsDouble ? DoubleLiteral(weights[index]) : FloatLiteral((float)weights[index])).Append(", ");
                if (line.Length > 100 || i == tensor.Length - 1)
                {
                    writer.WriteLine("    " + line.ToString().TrimEnd());
                    line.Clear();
                }
            }
        }

        writer.WriteLine("};");
    }
}
