using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using RnnCompiler.Generators.Model;

namespace RnnCompiler.Generators.Emit;

/// <summary>
/// The members of a <c>WeightPrecision.Int8</c> model (<see cref="NetworkModel.Int8Weights"/>): the int8 copy of the
/// kernels that Predict and Step read, how it follows <c>Parameters</c>, and its layout. Like <see cref="BFloat16Emitter"/>,
/// called at the few places where such a model differs from a float one; which tensor each pass reads from the copy is
/// decided in <see cref="WeightReads"/>.
/// </summary>
/// <remarks>
/// The copy follows the float weights as the bfloat16 one does: <c>InitializeWeights</c> and <c>LoadWeights</c> quantize
/// it again at once; reading <c>Parameters</c> marks it stale and the next Predict or Step quantizes it again first.
/// </remarks>
internal static class Int8Emitter
{
    /// <summary>The local that holds the int8 copy in Predict and Step.</summary>
    internal const string Local = "w8";

    /// <summary>The copy's field and its stale flag.</summary>
    public static void WriteArray(EmitContext context, BufferSpec buffer)
    {
        SourceWriter writer = context.Writer;
        writer.WriteLine($"/// <summary>{CSharp.Xml(buffer.Summary)}</summary>");
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine($"private readonly {CSharp.FieldType(buffer, "float")} {buffer.Name} = new({buffer.Size});");
        writer.WriteLine();
        writer.WriteLine("/// <summary>True when Parameters may have changed since the int8 copy was quantized from it.</summary>");
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine("private bool _int8Stale = true; // quantized from the initial weights by the first Predict or Step");
        writer.WriteLine();
    }

    /// <summary><c>Parameters</c>, which marks the copy stale, and <c>RefreshInt8Weights</c>.</summary>
    public static void WriteParameters(EmitContext context)
    {
        SourceWriter writer = context.Writer;
        WeightsEmitter.WriteParametersMarkingStale(
            context,
            "/// kernels from an int8 copy, and each read of this property marks that copy stale, so the next Predict or Step",
            "/// quantizes it again. A span kept and written after a Predict or Step is seen once <see cref=\"RefreshInt8Weights\"/> is called.",
            "_int8Stale");
        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// Quantizes the kernels of <see cref=\"Parameters\"/> to int8 (symmetric, one scale per output column: its largest");
        writer.WriteLine("/// magnitude over 127) into the copy that Predict and Step read. Predict and Step call it themselves after");
        writer.WriteLine("/// <see cref=\"Parameters\"/> was read; call it to pay that cost up front, or after writing through a span kept from");
        writer.WriteLine("/// before the last Predict or Step.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine(context.GeneratedCode);
        using (writer.Block("public void RefreshInt8Weights()"))
        {
            foreach (Int8Tensor tensor in Int8Weights.For(context.Model))
            {
                string source = $"_parameters.Span.Slice(Layout.{tensor.Tensor.Identifier}, {CSharp.Int(tensor.Tensor.Length)})";
                string target = $"_int8Weights.Span.Slice(Int8Layout.{tensor.Tensor.Identifier}, {CSharp.Int(tensor.Size)})";
                writer.WriteLine(tensor.GruResetBefore
                    ? $"global::RnnCompiler.Layers.GruLayer.QuantizeRecurrentKernel({source}, {CSharp.Int(tensor.Rows)}, resetAfter: false, {target});"
                    : $"global::RnnCompiler.Kernels.Int8Matrix.Quantize({source}, {CSharp.Int(tensor.Rows)}, {CSharp.Int(tensor.Columns)}, {CSharp.Int(tensor.Columns)}, {target});");
            }

            writer.WriteLine("_int8Stale = false;");
        }

        writer.WriteLine();
    }

    /// <summary>A method that changes the float weights, followed by the quantization of the copy.</summary>
    public static void WriteWeightsChange(EmitContext context, string signature, string statement) =>
        WeightsEmitter.WriteWeightsChangeAndRefresh(context, signature, statement, "RefreshInt8Weights");

    /// <summary>The lines at the top of Predict's forward pass and of Step that make the copy current and name it.</summary>
    public static void WriteReadWeights(EmitContext context) =>
        WeightsEmitter.WriteReadCopy(context, "// The kernels as int8, quantized again first if Parameters was handed out since the last call.", "_int8Stale", "RefreshInt8Weights", "byte", Local, "_int8Weights");

    /// <summary>Where each quantized matrix starts in the int8 copy, in bytes.</summary>
    public static void WriteLayout(EmitContext context)
    {
        WeightsEmitter.WriteOffsets(
            context,
            "Int8Layout",
            "Where each quantized kernel starts in the int8 copy that Predict and Step read, in bytes (RnnCompiler.Kernels.Int8Matrix; biases stay in <see cref=\"Parameters\"/>).",
            Int8Weights.For(context.Model).Select(tensor => (tensor.Tensor.Identifier, tensor.Tensor, tensor.Offset)));
    }

    /// <summary>The remarks paragraph that says what the int8 copy is.</summary>
    public static IEnumerable<string> Remarks(NetworkModel model)
    {
        if (!model.Int8Weights)
        {
            yield break;
        }

        int count = 0;
        foreach (Int8Tensor tensor in Int8Weights.For(model))
        {
            count += tensor.Tensor.Length;
        }

        yield return $"<para>WeightPrecision.Int8: Predict and Step read the {count.ToString("N0", CultureInfo.InvariantCulture)} kernel weights from an int8 copy ({Int8Weights.Count(model).ToString("N0", CultureInfo.InvariantCulture)} bytes with";
        yield return "the scales), quantized symmetrically with one scale per output column. Each product quantizes its input row on the fly";
        yield return "(one scale per row), sums in 32-bit integers with the machine's int8 dot product (AVX-VNNI, NEON sdot) or a widening";
        yield return "multiply-add, and scales the sums back to float. Biases, states, activations and outputs are float; Parameters and";
        yield return "weight files stay float.</para>";
    }
}
