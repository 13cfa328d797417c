using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using RnnCompiler.Generators.Model;
using RnnCompiler.Generators.WeightFiles;

namespace RnnCompiler.Generators.Emit;

/// <summary>
/// The members of a <c>WeightPrecision.BFloat16</c> model (<see cref="NetworkModel.BFloat16Weights"/>): the bfloat16 copy
/// of the kernels that Predict and Step read, how it follows <c>Parameters</c>, and its layout. <see cref="WeightsEmitter"/>
/// and <see cref="InferenceEmitter"/> call in here at the few places where such a model differs from a float one; which
/// tensor each pass reads from the copy is decided in <see cref="WeightReads"/>.
/// </summary>
/// <remarks>
/// The copy follows the float weights this way: <c>InitializeWeights</c> and <c>LoadWeights</c> round it again at once;
/// reading <c>Parameters</c> hands out a writable span, so it marks the copy stale and the next Predict or Step rounds it
/// again before it reads a kernel (a flag test per call otherwise). <c>Parameters</c> stays a <c>Span&lt;float&gt;</c>,
/// so a bfloat16 model is still an <c>IRnnModel&lt;float&gt;</c> that generic code fills as any other.
/// </remarks>
internal static class BFloat16Emitter
{
    /// <summary>The local that holds the bfloat16 copy in Predict and Step.</summary>
    internal const string Local = "w16";

    /// <summary>The flag field and the copy's field declarations (the copy itself is declared from the buffer plan).</summary>
    public static void WriteArray(EmitContext context, BufferSpec buffer)
    {
        SourceWriter writer = context.Writer;
        bool compiled = context.Model.WeightsFile is not null;
        bool stepPanels = PanelWeights.ForBFloat16Step(context.Model).Count > 0;
        writer.WriteLine($"/// <summary>{CSharp.Xml(buffer.Summary)}</summary>");
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine(compiled && !stepPanels
            ? $"private readonly {CSharp.FieldType(buffer, "float")} {buffer.Name} = new(CompiledBFloat16Weights);"
            : $"private readonly {CSharp.FieldType(buffer, "float")} {buffer.Name} = new({buffer.Size});");
        writer.WriteLine();
        writer.WriteLine("/// <summary>True when Parameters may have changed since the bfloat16 copy was rounded from it.</summary>");
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine(compiled && PanelWeights.ForBFloat16(context.Model).Count == 0 && !stepPanels
            ? "private bool _bf16Stale;"
            : compiled
                ? "private bool _bf16Stale = true; // the recurrent kernels packed in panels, for this machine's vectors, by the first Predict or Step"
                : "private bool _bf16Stale = true; // rounded from the initial weights by the first Predict or Step");
        writer.WriteLine();
    }

    /// <summary><c>Parameters</c>, which marks the copy stale, and <c>RefreshBFloat16Weights</c>.</summary>
    public static void WriteParameters(EmitContext context)
    {
        SourceWriter writer = context.Writer;
        NetworkModel model = context.Model;
        WeightsEmitter.WriteParametersMarkingStale(
            context,
            "/// kernels from a bfloat16 copy, and each read of this property marks that copy stale, so the next Predict or Step",
            "/// rounds it again. A span kept and written after a Predict or Step is seen once <see cref=\"RefreshBFloat16Weights\"/> is called.",
            "_bf16Stale");
        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// Rounds the kernels of <see cref=\"Parameters\"/> to bfloat16 (to nearest, ties to even) into the copy that Predict");
        writer.WriteLine("/// and Step read. Predict and Step call it themselves after <see cref=\"Parameters\"/> was read; call it to pay that");
        writer.WriteLine("/// cost up front, or after writing through a span kept from before the last Predict or Step.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine(context.GeneratedCode);
        using (writer.Block("public void RefreshBFloat16Weights()"))
        {
            foreach (PackedTensor packed in PackedWeights.For(model))
            {
                string length = CSharp.Int(packed.Tensor.Length);
                string source = $"_parameters.Span.Slice(Layout.{packed.Tensor.Identifier}, {length})";
                string target = $"_bf16Weights.Span.Slice(BFloat16Layout.{packed.Tensor.Identifier}, {length})";
                PanelTensor? panel = null;
                foreach (PanelTensor candidate in PanelWeights.ForBFloat16(model))
                {
                    panel = candidate.Tensor.Identifier == packed.Tensor.Identifier ? candidate : panel;
                }

                writer.WriteLine(panel is null
                    ? $"global::RnnCompiler.Kernels.BFloat16.Round({source}, {target});"
                    : $"global::RnnCompiler.Kernels.MatrixKernels.PackBFloat16Panels({source}, {CSharp.Int(panel.Rows)}, {CSharp.Int(panel.Columns)}, {target});");
            }

            foreach (PanelTensor panel in PanelWeights.ForBFloat16Step(model))
            {
                string length = CSharp.Int(panel.Tensor.Length);
                writer.WriteLine($"global::RnnCompiler.Kernels.MatrixKernels.PackBFloat16Panels(_parameters.Span.Slice(Layout.{panel.Tensor.Identifier}, {length}), {CSharp.Int(panel.Rows)}, {CSharp.Int(panel.Columns)}, _bf16Weights.Span.Slice(BFloat16Layout.{StepName(panel)}, {length}));");
            }

            writer.WriteLine("_bf16Stale = false;");
        }

        writer.WriteLine();
    }

    /// <summary>A method that changes the float weights, followed by the rounding of the copy.</summary>
    public static void WriteWeightsChange(EmitContext context, string signature, string statement) =>
        WeightsEmitter.WriteWeightsChangeAndRefresh(context, signature, statement, "RefreshBFloat16Weights");

    /// <summary>The lines at the top of Predict's forward pass and of Step that make the copy current and name it.</summary>
    public static void WriteReadWeights(EmitContext context) =>
        WeightsEmitter.WriteReadCopy(context, "// The kernels as bfloat16, rounded again first if Parameters was handed out since the last call.", "_bf16Stale", "RefreshBFloat16Weights", "ushort", Local, "_bf16Weights");

    /// <summary>The name in <c>BFloat16Layout</c> of the packed copy of a kernel that <c>Step</c> reads (see <see cref="WeightReads"/>).</summary>
    private static string StepName(PanelTensor panel) => panel.Tensor.Identifier + "Panels";

    /// <summary>Where each tensor starts in the bfloat16 copy.</summary>
    public static void WriteLayout(EmitContext context)
    {
        WeightsEmitter.WriteOffsets(
            context,
            "BFloat16Layout",
            "Where each kernel starts in the bfloat16 copy that Predict and Step read (biases stay in <see cref=\"Parameters\"/>).",
            PackedWeights.For(context.Model).Select(packed => (packed.Tensor.Identifier, packed.Tensor, packed.Offset))
                .Concat(PanelWeights.ForBFloat16Step(context.Model).Select(panel => (StepName(panel), panel.Tensor, panel.Offset))));
    }

    /// <summary>
    /// The compiled-in weights' kernels already rounded to bfloat16, as constant data (an array initializer of constants,
    /// which the compiler stores as static data like the float one), so the copy starts current.
    /// </summary>
    public static void WriteCompiledWeights(EmitContext context, EquatableArray<double> weights)
    {
        SourceWriter writer = context.Writer;
        writer.WriteLine();
        writer.WriteLine($"/// <summary>The kernels of <c>{CSharp.Xml(context.Model.WeightsFile!)}</c> rounded to bfloat16, compiled in as constant data, in the layout of <see cref=\"BFloat16Layout\"/>.</summary>");
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine($"private static {CSharp.ReadOnlySpan}<ushort> CompiledBFloat16Weights => new ushort[]");
        writer.WriteLine("{");
        var line = new System.Text.StringBuilder();
        // No values: the member is declared for its name only (ModelEmitter.DeclaredMemberNames).
        foreach (PackedTensor packed in weights.Count == 0 ? new List<PackedTensor>() : PackedWeights.For(context.Model))
        {
            writer.WriteLine($"    // {packed.Tensor.Name} {packed.Tensor.Shape}");
            for (int i = 0; i < packed.Tensor.Length; i++)
            {
                float value = (float)weights[packed.Tensor.Offset + i];
                ushort bits = BFloat16Rounding.Round(System.BitConverter.ToUInt32(System.BitConverter.GetBytes(value), 0));
                line.Append("0x").Append(bits.ToString("X4", CultureInfo.InvariantCulture)).Append(", ");
                if (line.Length > 100 || i == packed.Tensor.Length - 1)
                {
                    writer.WriteLine("    " + line.ToString().TrimEnd());
                    line.Clear();
                }
            }
        }

        writer.WriteLine("};");
    }

    /// <summary>The remarks paragraph that says what the bfloat16 copy is.</summary>
    public static IEnumerable<string> Remarks(NetworkModel model)
    {
        if (!model.BFloat16Weights)
        {
            yield break;
        }

        yield return $"<para>WeightPrecision.BFloat16: Predict and Step read the {PackedWeights.Count(model).ToString("N0", CultureInfo.InvariantCulture)} kernel weights from a bfloat16 copy (rounded to nearest, ties to even;";
        yield return "widened to float in registers); biases, states, arithmetic and outputs are float. Parameters and weight files stay float.</para>";
        if (PanelWeights.ForBFloat16(model).Count > 0)
        {
            yield return "<para>The copy holds the recurrent kernels of 32 KB or more packed in panels (MatrixKernels.PackBFloat16Panels), so that each";
            yield return "step reads them from L2 in address order; the sums and results are those of the row-major layout.</para>";
        }

        if (PanelWeights.ForBFloat16Step(model).Count > 0)
        {
            yield return "<para>Step reads the input kernels of 32 KB or more from a second copy packed the same way, after the row-major ones that Predict's";
            yield return "input projection reads.</para>";
        }
    }
}
