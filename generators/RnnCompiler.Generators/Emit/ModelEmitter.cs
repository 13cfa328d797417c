using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using RnnCompiler.Generators.Layers;
using RnnCompiler.Generators.Model;
using RnnCompiler.Generators.WeightFiles;
using static RnnCompiler.Generators.Emit.CSharp;

namespace RnnCompiler.Generators.Emit;

/// <summary>
/// Turns a <see cref="NetworkModel"/> into the C# of the user's partial class: the class around the members, the
/// constants and the buffer fields. The members come from the emitters it calls: <see cref="WeightsEmitter"/> (weights,
/// initialization, I/O, layouts), <see cref="InferenceEmitter"/> (Predict, Step), <see cref="TrainingEmitter"/>; each
/// layer's part of a pass comes from its descriptor (<c>RnnCompiler.Generators.Layers</c>). Every shape is a constant;
/// the loops themselves live once in the runtime library (<c>RnnCompiler.Layers</c>) and are called with those constants.
/// </summary>
internal static class ModelEmitter
{
    public static string Emit(NetworkModel model, string generatorVersion, EquatableArray<double>? compiledWeights = null)
    {
        var writer = new SourceWriter();
        var context = new EmitContext(model, writer, GeneratedCodeAttribute(generatorVersion));
        System.IDisposable file = OpenFile(writer, model.Namespace, model.ContainingTypes);
        DocumentationWriter.WriteRemarks(writer, model);
        string kind = (model.TakesTokens ? "Token" : "Feature") + (model.HasStreams ? "Streams" : model.CanStream ? "Streaming" : string.Empty);
        string interfaces = $"global::RnnCompiler.I{kind}Model<{model.ElementType}>";
        if (model.Training is not null)
        {
            interfaces += ", " + TrainingEmitter.InterfaceName(model);
        }

        using (writer.Block($"partial class {Identifier(model.TypeName)} : {interfaces}"))
        {
            WriteConstants(context);
            WriteFields(context);
            WeightsEmitter.WriteWeightMembers(context);
            InferenceEmitter.WritePredict(context);
            if (model.CanStream)
            {
                InferenceEmitter.WriteStreaming(context);
            }
            else
            {
                FallbackEmitter.WriteStreamingUnavailable(context);
            }

            foreach (LayerModel layer in model.Layers)
            {
                layer.Descriptor.WriteMembers(context, layer);
            }

            if (model.Training is not null)
            {
                TrainingEmitter.Write(context);
            }

            if (model.HasWorkspaces)
            {
                WorkspaceEmitter.Write(context);
            }

            WeightsEmitter.WriteLayout(context);
            if (model.BFloat16Weights)
            {
                BFloat16Emitter.WriteLayout(context);
            }

            if (model.Int8Weights)
            {
                Int8Emitter.WriteLayout(context);
            }

            PanelEmitter.WriteLayout(context);

            if (compiledWeights is { } weights)
            {
                WeightsEmitter.WriteCompiledWeights(context, weights);
                if (model.BFloat16Weights && PanelWeights.ForBFloat16Step(model).Count == 0)
                {
                    BFloat16Emitter.WriteCompiledWeights(context, weights);
                }
            }
        }

        file.Dispose();
        return writer.ToString();
    }

    /// <summary>
    /// The names of the members the model's class declares in its generated part, read from the code
    /// <see cref="Emit"/> writes for it (compiled weights declared without their data): a user member of one of these
    /// names would collide. Explicit interface implementations are left out; they take no name in the class.
    /// </summary>
    public static HashSet<string> DeclaredMemberNames(NetworkModel model)
    {
        string source = Emit(model, "0.0.0.0", model.WeightsFile is null ? null : EquatableArray<double>.Empty);
        ClassDeclarationSyntax generated = CSharpSyntaxTree.ParseText(source).GetRoot().DescendantNodes()
            .OfType<ClassDeclarationSyntax>()
            .Last(candidate => candidate.Identifier.ValueText == model.TypeName);
        var names = new HashSet<string>(System.StringComparer.Ordinal);
        foreach (MemberDeclarationSyntax member in generated.Members)
        {
            switch (member)
            {
                case BaseFieldDeclarationSyntax field:
                    names.UnionWith(field.Declaration.Variables.Select(variable => variable.Identifier.ValueText));
                    break;
                case PropertyDeclarationSyntax { ExplicitInterfaceSpecifier: null } property:
                    names.Add(property.Identifier.ValueText);
                    break;
                case MethodDeclarationSyntax { ExplicitInterfaceSpecifier: null } method:
                    names.Add(method.Identifier.ValueText);
                    break;
                case BaseTypeDeclarationSyntax type:
                    names.Add(type.Identifier.ValueText);
                    break;
                case EventDeclarationSyntax { ExplicitInterfaceSpecifier: null } @event:
                    names.Add(@event.Identifier.ValueText);
                    break;
            }
        }

        return names;
    }

    private static void WriteConstants(EmitContext context)
    {
        NetworkModel model = context.Model;
        context.Member("The most time steps one call to <c>Predict</c> takes.", $"public const int SequenceLength = {Int(model.SequenceLength)};");
        if (model.TakesTokens)
        {
            context.Member("The number of token ids: every token is in [0, VocabularySize).", $"public const int VocabularySize = {Int(model.InputWidth)};");
        }
        else
        {
            context.Member("The floats in one input step.", $"public const int InputFeatures = {Int(model.InputWidth)};");
        }

        context.Member(
            model.OutputIsSequence ? "The floats the model outputs per step." : "The floats the model outputs per sequence.",
            $"public const int OutputUnits = {Int(model.OutputWidth)};");
        if (model.OutputSteps > 0)
        {
            context.Member("The steps of every output sequence: the <c>[RepeatVector]</c>'s, whatever the input's length.", $"public const int OutputSteps = {Int(model.OutputSteps)};");
        }

        context.Member("The number of weights, as Keras's <c>model.count_params()</c>.", $"public const int ParameterCount = {Int(model.ParameterCount)};");
        if (model.Training is null && model.DeclaredBatchSize > 1)
        {
            context.Member(
                model.HasWorkspaces
                    ? $"The most sequences one batched <c>Predict</c> runs at once, split into {Int(model.Workers)} shares that run in lock step on their own cores; more run in batches of this size."
                    : "The most sequences one batched <c>Predict</c> runs in lock step; more run in batches of this size.",
                $"public const int BatchSize = {Int(model.DeclaredBatchSize)};");
        }

        if (model.HasStreams)
        {
            context.Member("The independent streams <c>StepStreams</c> steps together, each with its own carried state.", $"public const int Streams = {Int(model.Streams)};");
        }


        context.Writer.WriteLine("/// <summary>The network as Keras's <c>model.summary()</c> prints it: layers, output shapes, parameter counts.</summary>");
        context.Writer.WriteLine(context.GeneratedCode);
        context.Writer.WriteLine("public static string Summary =>");
        string[] lines = DocumentationWriter.Summary(model);
        for (int i = 0; i < lines.Length; i++)
        {
            context.Writer.WriteLine("    " + Literal(lines[i] + "\n") + (i == lines.Length - 1 ? ";" : " +"));
        }

        context.Writer.WriteLine();
    }

    /// <summary>
    /// The initializer of a layer descriptor's settings that are not its constructor's: the activation where a
    /// declaration chooses it, ReturnSequences when set, a bidirectional layer's merge mode, a changed keep-gate bias.
    /// </summary>
    private static string LayerSettings(LayerModel layer)
    {
        var settings = new List<string>();
        if (layer.Kind is LayerKind.Dense or LayerKind.SimpleRnn)
        {
            settings.Add($"Activation = global::RnnCompiler.Activation.{layer.Activation}");
        }

        if (!layer.HasDefaultGateActivations && layer.Kind is LayerKind.Lstm or LayerKind.Gru)
        {
            settings.Add($"Activation = global::RnnCompiler.Activation.{layer.Activation}");
            settings.Add($"RecurrentActivation = global::RnnCompiler.Activation.{layer.RecurrentActivation}");
        }

        if (layer.MaskZero)
        {
            settings.Add("MaskZero = true");
        }

        if (layer.Kind == LayerKind.Attention)
        {
            settings.Add($"Score = global::RnnCompiler.AttentionScore.{AttentionLayer.ScoreName(layer)}");
        }

        if (layer.IsRecurrent && layer.OutputIsSequence)
        {
            settings.Add("ReturnSequences = true");
        }

        if (layer.Bidirectional)
        {
            settings.Add($"MergeMode = global::RnnCompiler.MergeMode.{layer.MergeMode}");
        }

        if (layer.KeepGateBias is double keep)
        {
            settings.Add($"KeepGateBias = {DoubleLiteral(keep)}");
        }

        return settings.Count == 0 ? string.Empty : " { " + string.Join(", ", settings) + " }";
    }

    private static void WriteFields(EmitContext context)
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        writer.WriteLine("/// <summary>The weighted layers, for initialization and weight files.</summary>");
        writer.WriteLine(context.GeneratedCode);
        using (writer.Block("private static readonly global::RnnCompiler.Weights.LayerDescriptor[] s_layers =", ";"))
        {
            foreach (LayerModel layer in model.Layers.Where(layer => layer.Descriptor.HoldsWeights))
            {
                writer.WriteLine($"new(global::RnnCompiler.Weights.LayerKind.{layer.Kind}, {Literal(layer.Name)}, {Literal(layer.InnerName)}, inputSize: {Int(layer.InputWidth)}, units: {Int(layer.Units)}, offset: {Int(layer.Offset)}, bidirectional: {Bool(layer.Bidirectional)}, resetAfter: {Bool(layer.ResetAfter)}){LayerSettings(layer)},");
            }
        }

        // After s_layers: static fields are initialized in the order they are written, and s_info holds them.
        writer.WriteLine();
        context.Member(
            "The model's shape and layers, for code that handles models generically.",
            $"private static readonly global::RnnCompiler.ModelInfo s_info = new(SequenceLength, {Bool(model.TakesTokens)}, {Int(model.InputWidth)}, OutputUnits, {Bool(model.OutputIsSequence)}, ParameterCount, {Bool(model.CanStream)}) {{ Layers = global::System.Array.AsReadOnly(s_layers){(model.MaskValue is double mask ? $", MaskValue = {DoubleLiteral(mask)}" : string.Empty)}{(model.HasStreams ? ", Streams = Streams" : string.Empty)}{(model.OutputSteps > 0 ? ", OutputSteps = OutputSteps" : string.Empty)}{(model.BFloat16Weights ? ", WeightPrecision = global::RnnCompiler.WeightPrecision.BFloat16" : model.Int8Weights ? ", WeightPrecision = global::RnnCompiler.WeightPrecision.Int8" : string.Empty)} }};");
        writer.WriteLine("/// <inheritdoc/>");
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine($"global::RnnCompiler.ModelInfo global::RnnCompiler.IRnnModel<{model.ElementType}>.Info => s_info;");

        writer.WriteLine();
        writer.WriteLine("/// <summary>True while a call runs (Predict, Step, a training call); a second thread entering meanwhile finds it set.</summary>");
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine("private bool _inUse;");
        writer.WriteLine();
        writer.WriteLine("// The weights, then working memory for Predict, sized for SequenceLength steps: each layer's outputs at every");
        writer.WriteLine("// step and, for a recurrent layer, what its recurrence keeps per step (gates, cells), as backpropagation reads it.");
        foreach (BufferSpec buffer in BufferPlan.For(model))
        {
            if (buffer.Kind == BufferKind.Training || buffer.InWorkspace)
            {
                continue; // declared with the training members, or in each Workspace
            }

            if (buffer.ElementType == "ushort")
            {
                BFloat16Emitter.WriteArray(context, buffer);
                continue;
            }

            if (buffer.ElementType == "byte")
            {
                Int8Emitter.WriteArray(context, buffer);
                continue;
            }

            if (buffer.Name == BufferPlan.PanelBuffer)
            {
                PanelEmitter.WriteArray(context, buffer);
                continue;
            }

            if (buffer.Kind == BufferKind.Weights)
            {
                writer.WriteLine($"/// <summary>{Xml(buffer.Summary)}</summary>");
                writer.WriteLine(context.GeneratedCode);
                writer.WriteLine($"private readonly {FieldType(buffer, t)} {buffer.Name} = CreateInitialParameters();");
                writer.WriteLine();
                continue;
            }

            context.Buffer(buffer);
        }
    }
}
