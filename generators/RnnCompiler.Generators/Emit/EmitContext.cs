using System.Linq;
using RnnCompiler.Generators.Model;
using static RnnCompiler.Generators.Emit.CSharp;

namespace RnnCompiler.Generators.Emit;

/// <summary>What every emitter and layer descriptor writes with: the model, the writer, and the names of what the model reads.</summary>
internal sealed class EmitContext(NetworkModel model, SourceWriter writer, string generatedCode)
{
    private WeightReads? _reads;

    public NetworkModel Model { get; } = model;

    public SourceWriter Writer { get; } = writer;

    /// <summary>The <c>[GeneratedCode]</c> attribute line every member carries.</summary>
    public string GeneratedCode { get; } = generatedCode;

    /// <summary>
    /// The attribute line of a method on the hot path (Predict, Step, the batch passes): compiled fully optimized from its
    /// first call, so a fresh process steps at its steady speed instead of running unoptimized code until the runtime's
    /// tiering recompiles it, seconds later on one core.
    /// </summary>
    public const string HotPath = "[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]";

    /// <summary>
    /// Whether the lock-step pass being written is batched Predict's (<c>RunPredictBatch</c>) rather than training's: the
    /// last layer writes the caller's <c>outputs</c> with its own activation, dropout passes values through, and every
    /// sequence starts from zero states.
    /// </summary>
    public bool Predicting { get; set; }

    /// <summary>
    /// Whether the lock-step pass being written is StepStreams' (with <see cref="Predicting"/>): one step of every stream,
    /// the recurrent layers starting from each stream's carried state.
    /// </summary>
    public bool SteppingStreams { get; set; }

    /// <summary>Where the last layer of a lock-step pass writes: the caller's <c>outputs</c> (batched Predict), or <c>_trainOutputs</c>.</summary>
    public string BatchOutputs => Predicting ? "outputs" : "_trainOutputs";

    /// <summary>The element type of weights and activations: <c>float</c> or <c>double</c>.</summary>
    public string T => Model.ElementType;

    /// <summary>The field-name stem of a layer's buffers: <c>_lstm1</c>.</summary>
    public string Field(LayerModel layer) => BufferPlan.Stem(layer);

    public void Member(string summary, string declaration)
    {
        Writer.WriteLine($"/// <summary>{summary}</summary>");
        Writer.WriteLine(GeneratedCode);
        Writer.WriteLine(declaration);
        Writer.WriteLine();
    }

    public void Buffer(BufferSpec buffer)
    {
        string type = buffer.ElementType ?? Model.ElementType;
        Writer.WriteLine($"/// <summary>{Xml(buffer.Summary)}</summary>");
        Writer.WriteLine(GeneratedCode);
        Writer.WriteLine(buffer.Aligned
            ? $"private readonly {FieldType(buffer, Model.ElementType)} {buffer.Name} = new({buffer.Size});"
            : $"private readonly {type}[] {buffer.Name} = new {type}[{buffer.Size}];");
        Writer.WriteLine();
    }

    /// <summary>
    /// Writes <paramref name="body"/> as one call that holds the instance (<c>ModelGuard.Enter</c> on <c>_inUse</c>, cleared
    /// in a <c>finally</c>): a second thread entering meanwhile gets an exception instead of wrong numbers.
    /// </summary>
    public void Guarded(System.Action body)
    {
        Writer.WriteLine("// One call at a time: a second thread entering while this one runs is refused.");
        Writer.WriteLine("global::RnnCompiler.ModelGuard.Enter(ref _inUse);");
        using (Writer.Block("try"))
        {
            body();
        }

        using (Writer.Block("finally"))
        {
            Writer.WriteLine("_inUse = false;");
        }
    }

    /// <summary>A layer's tensor (<c>Kernel</c>, <c>BackwardBias</c>, …) in <c>Parameters</c>' layout, as a slice of <paramref name="span"/>.</summary>
    public string Weights(LayerModel layer, string tensor, string span = "p")
    {
        TensorModel model = Model.Tensors.First(candidate => candidate.Identifier == layer.Identifier + tensor);
        return $"{span}.Slice(Layout.{model.Identifier}, {Int(model.Length)})";
    }

    /// <summary>Where <paramref name="use"/> reads a layer's tensor: the copy and offset (<see cref="WeightReads"/>).</summary>
    public WeightRead Read(LayerModel layer, string tensor, WeightUse use) =>
        (_reads ??= new WeightReads(Model)).For(layer.Identifier + tensor, use);

    /// <summary>The span a pass reads a layer's tensor from, as a slice of the local that holds its copy.</summary>
    public string ReadSpan(LayerModel layer, string tensor, WeightUse use)
    {
        WeightRead read = Read(layer, tensor, use);
#pragma warning disable CS8524 // every copy is listed; a value outside the enum never reaches here
        string local = read.Copy switch
        {
            WeightCopy.Panels => PanelEmitter.Local,
            WeightCopy.BFloat16 => BFloat16Emitter.Local,
            WeightCopy.Int8 => Int8Emitter.Local,
            WeightCopy.Parameters => "p",
        };
#pragma warning restore CS8524
        return $"{local}.Slice({read.LayoutClass}.{read.Name}, {Int(read.Length)})";
    }

    /// <summary>A named layout argument of a layer's call (<c>, recurrentLayout: …Panels</c>) when the tensor is read in panels; else nothing.</summary>
    public string LayoutArgument(LayerModel layer, string tensor, WeightUse use, string parameter) =>
        Read(layer, tensor, use).Panels ? $", {parameter}: global::RnnCompiler.Kernels.MatrixLayout.Panels" : string.Empty;

    /// <summary>
    /// A runtime layer's method (<c>Forward</c> or <c>Step</c>): <c>LstmLayer.Step&lt;float&gt;</c>, or for a bfloat16 model
    /// the non-generic overload that takes the kernels as <c>ReadOnlySpan&lt;ushort&gt;</c>.
    /// </summary>
    public string InferenceMethod(string layerClass, string method) =>
        Model.BFloat16Weights || Model.Int8Weights ? $"{RuntimeLayers}{layerClass}.{method}" : $"{RuntimeLayers}{layerClass}.{method}<{T}>";
}
