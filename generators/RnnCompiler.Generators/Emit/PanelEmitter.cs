using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using RnnCompiler.Generators.Model;

namespace RnnCompiler.Generators.Emit;

/// <summary>
/// The members of a float or double model whose recurrent layers stream kernels of 32 KB or more
/// (<see cref="PanelWeights"/>): the copy of those kernels packed in panels that Predict and Step read, and how it
/// follows <c>Parameters</c>. <see cref="WeightsEmitter"/>, <see cref="InferenceEmitter"/> and <see cref="TrainingEmitter"/>
/// call in here at the few places where such a model differs; which tensor each pass reads from the copy is decided in
/// <see cref="WeightReads"/>.
/// </summary>
/// <remarks>
/// The copy follows the weights as the bfloat16 copy does (<see cref="BFloat16Emitter"/>), but lazily everywhere: every
/// change of the weights (reading <c>Parameters</c>, which hands out a writable span, <c>InitializeWeights</c>,
/// <c>LoadWeights</c>, an optimizer update, <c>LoadCheckpoint</c>) marks it stale, and the next Predict or Step packs
/// it again before it reads a kernel. Training reads <c>Parameters</c>' row-major kernels and never the copy.
/// </remarks>
internal static class PanelEmitter
{
    /// <summary>The local that holds the copy in Predict's forward pass and in Step.</summary>
    internal const string Local = "panels";

    /// <summary>Whether the model has a panel copy.</summary>
    public static bool Applies(NetworkModel model) => PanelWeights.Count(model) > 0;

    /// <summary>The copy's field (declared from the buffer plan) and its flag.</summary>
    public static void WriteArray(EmitContext context, BufferSpec buffer)
    {
        SourceWriter writer = context.Writer;
        writer.WriteLine($"/// <summary>{CSharp.Xml(buffer.Summary)}</summary>");
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine($"private readonly {CSharp.FieldType(buffer, context.Model.ElementType)} {buffer.Name} = new({buffer.Size});");
        writer.WriteLine();
        writer.WriteLine("/// <summary>True when Parameters may have changed since the panel copy was packed from it.</summary>");
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine("private bool _panelsStale = true; // packed from the initial weights by the first Predict or Step");
        writer.WriteLine();
    }

    /// <summary><c>Parameters</c>, which marks the copy stale, and <c>RefreshPanels</c>.</summary>
    public static void WriteParameters(EmitContext context)
    {
        SourceWriter writer = context.Writer;
        NetworkModel model = context.Model;
        string t = model.ElementType;
        WeightsEmitter.WriteParametersMarkingStale(
            context,
            "/// large kernels from a copy packed in panels, and each read of this property marks that copy stale, so the next",
            "/// Predict or Step packs it again. A span kept and written after a Predict or Step is seen once <see cref=\"RefreshPanels\"/> is called.",
            "_panelsStale");
        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// Packs the large kernels of <see cref=\"Parameters\"/> into the copy that Predict and Step read, in panels: the rows");
        writer.WriteLine("/// in groups of eight and the columns in blocks of two vectors, so that each product reads its matrix in address order");
        writer.WriteLine("/// (the same sums, so the same results). Predict and Step call it themselves after the weights changed; call it to pay");
        writer.WriteLine("/// that cost up front, or after writing through a span kept from before the last Predict or Step.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine(context.GeneratedCode);
        using (writer.Block("public void RefreshPanels()"))
        {
            writer.WriteLine($"{CSharp.ReadOnlySpan}<{t}> p = _parameters;");
            foreach (PanelTensor panel in PanelWeights.For(model))
            {
                string length = CSharp.Int(panel.Tensor.Length);
                writer.WriteLine($"global::RnnCompiler.Kernels.MatrixKernels.PackPanels<{t}>(p.Slice(Layout.{panel.Tensor.Identifier}, {length}), {CSharp.Int(panel.Rows)}, {CSharp.Int(panel.Columns)}, _panels.Span.Slice(PanelLayout.{panel.Tensor.Identifier}, {length}));");
            }

            writer.WriteLine("_panelsStale = false;");
        }

        writer.WriteLine();
    }

    /// <summary>The line that a change of the weights adds: the copy is stale.</summary>
    public const string MarkStale = "_panelsStale = true;";

    /// <summary>At the top of Predict and Step: packs the copy again if the weights changed since it was packed.</summary>
    public static void WriteRefresh(EmitContext context)
    {
        if (!Applies(context.Model))
        {
            return;
        }

        SourceWriter writer = context.Writer;
        writer.WriteLine("// The large kernels are read from their copy in panels: packed again first if the weights changed since the last call.");
        using (writer.Block("if (_panelsStale)"))
        {
            writer.WriteLine("RefreshPanels();");
        }

        writer.WriteLine();
    }

    /// <summary>The local that names the copy in Predict's forward pass and in Step.</summary>
    public static void WriteReadWeights(EmitContext context)
    {
        if (Applies(context.Model))
        {
            context.Writer.WriteLine($"{CSharp.ReadOnlySpan}<{context.Model.ElementType}> {Local} = {BufferPlan.PanelBuffer};");
        }
    }

    /// <summary>Where each matrix starts in the copy.</summary>
    public static void WriteLayout(EmitContext context)
    {
        if (!Applies(context.Model))
        {
            return;
        }

        WeightsEmitter.WriteOffsets(
            context,
            "PanelLayout",
            "Where each packed kernel starts in the panel copy that Predict and Step read (smaller kernels stay in <see cref=\"Parameters\"/>).",
            PanelWeights.For(context.Model).Select(panel => (panel.Tensor.Identifier, panel.Tensor, panel.Offset)));
    }

    /// <summary>The remarks paragraph that says what the copy is.</summary>
    public static IEnumerable<string> Remarks(NetworkModel model)
    {
        if (!Applies(model))
        {
            yield break;
        }

        yield return $"<para>Predict and Step read the {PanelWeights.Count(model).ToString("N0", CultureInfo.InvariantCulture)} weights of the kernels of 32 KB or more from a copy packed in panels (MatrixKernels.PackPanels),";
        yield return "so that each product reads its matrix from L2 in address order; the sums and results are those of Parameters' layout. Reading Parameters marks the copy stale.</para>";
    }
}
