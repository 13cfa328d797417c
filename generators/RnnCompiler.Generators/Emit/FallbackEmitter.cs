using System.Collections.Generic;
using System.Linq;
using RnnCompiler.Generators.Layers;
using RnnCompiler.Generators.Model;
using static RnnCompiler.Generators.Emit.CSharp;

namespace RnnCompiler.Generators.Emit;

/// <summary>
/// The generated part of a model whose declaration has an RNN error: the public members a user calls, with bodies
/// that throw, so that the build shows the RNN error alone rather than a cascade of CS0117 and CS1061 at every call
/// (the Regex generator emits a fallback in the same spirit). Members the user's class declares itself are left out.
/// </summary>
internal static class FallbackEmitter
{
    /// <summary>The expression every fallback member throws.</summary>
    private static string Failure(string name) =>
        $"new global::System.InvalidOperationException({Literal($"'{name}' was not generated: its declaration has an RnnCompiler error (RNN diagnostics in the build). Fix it and rebuild.")})";

    public static string Emit(ModelDeclaration declaration, string generatorVersion)
    {
        var writer = new SourceWriter();
        string generatedCode = GeneratedCodeAttribute(generatorVersion);
        string name = declaration.TypeName;
        var taken = new HashSet<string>(declaration.MemberNames, System.StringComparer.Ordinal) { name };
        string t = declaration.Precision == 1 ? "double" : "float";
        bool tokens = declaration.Layers.Count > 0 && declaration.Layers[0].Kind.Descriptor().TakesTokens;
        string input = tokens ? "int" : t;
        string throwing = $"throw {Failure(name)};";

        void Member(string memberName, string summary, string declarationText)
        {
            if (!taken.Add(memberName))
            {
                return;
            }

            writer.WriteLine($"/// <summary>{summary} Not generated: the declaration has an RnnCompiler error.</summary>");
            writer.WriteLine(generatedCode);
            writer.WriteLine(declarationText);
            writer.WriteLine();
        }

        System.IDisposable file = OpenFile(writer, declaration.Namespace, declaration.ContainingTypes);
        using (writer.Block($"partial class {Identifier(name)}"))
        {
            Member("SequenceLength", "The most time steps one call to <c>Predict</c> takes.", $"public const int SequenceLength = {Int(declaration.SequenceLength)};");
            Member(tokens ? "VocabularySize" : "InputFeatures", tokens ? "The number of token ids." : "The floats in one input step.", $"public const int {(tokens ? "VocabularySize" : "InputFeatures")} = {Int(declaration.Layers.Count > 0 ? declaration.Layers[0].First : 0)};");
            Member("OutputUnits", "The floats the model outputs.", "public const int OutputUnits = 0;");
            Member("ParameterCount", "The number of weights.", "public const int ParameterCount = 0;");
            Member("Summary", "The network as Keras's <c>model.summary()</c> prints it.", $"public static string Summary => {throwing}");
            Member("Parameters", "Every weight of the model.", $"public {Span}<{t}> Parameters => {throwing}");
            Member("InitializeWeights", "Draws new weights.", $"public void InitializeWeights(int seed) => {throwing}");
            Member("SaveWeights", "Writes the weights as safetensors.", $"public void SaveWeights(global::System.IO.Stream stream) => {throwing}");
            Member("LoadWeights", "Reads weights from safetensors.", $"public void LoadWeights(global::System.IO.Stream stream) => {throwing}");
            bool predict = !taken.Contains("Predict");
            Member("Predict", "Runs the network over a sequence.", $"public void Predict({ReadOnlySpan}<{input}> {(tokens ? "tokens" : "inputs")}, {Span}<{t}> outputs) => {throwing}");
            if (predict)
            {
                // The overload of the name just taken.
                taken.Remove("Predict");
                Member("Predict", "Runs the network over many sequences.", $"public void Predict({ReadOnlySpan}<{input}> {(tokens ? "tokens" : "inputs")}, {Span}<{t}> outputs, int sequences) => {throwing}");
            }

            Member("ResetState", "Sets the streaming state to zero.", $"public void ResetState() => {throwing}");
            if (declaration.BatchSize > 1 && declaration.Training is null)
            {
                Member("BatchSize", "The most sequences one batched Predict runs in lock step.", $"public const int BatchSize = {Int(declaration.BatchSize)};");
            }

            if (declaration.Streams > 1)
            {
                Member("Streams", "The independent streams StepStreams steps together.", $"public const int Streams = {Int(declaration.Streams)};");
                Member("StepStreams", "Runs one time step of every stream.", $"public void StepStreams({ReadOnlySpan}<{input}> {(tokens ? "tokens" : "inputs")}, {Span}<{t}> outputs) => {throwing}");
                Member("ResetStream", "Sets one stream's state to zero.", $"public void ResetStream(int stream) => {throwing}");
            }

            Member("Step", "Runs one time step.", tokens
                ? $"public void Step(int token, {Span}<{t}> output) => {throwing}"
                : $"public void Step({ReadOnlySpan}<{t}> input, {Span}<{t}> output) => {throwing}");
            // A kind's members may be overloads of one name: each is left out only when the user's class declares the name.
            var userMembers = new HashSet<string>(declaration.MemberNames, System.StringComparer.Ordinal) { name };
            void LayerMember(string memberName, string summary, string declarationText)
            {
                taken.Add(memberName);
                if (!userMembers.Contains(memberName))
                {
                    writer.WriteLine($"/// <summary>{summary} Not generated: the declaration has an RnnCompiler error.</summary>");
                    writer.WriteLine(generatedCode);
                    writer.WriteLine(declarationText);
                    writer.WriteLine();
                }
            }

            foreach (LayerDescriptor descriptor in declaration.Layers.Select(layer => layer.Kind.Descriptor()).Distinct())
            {
                descriptor.WriteFallbackMembers(LayerMember, t, $"{ReadOnlySpan}<{input}> {(tokens ? "tokens" : "inputs")}", throwing);
            }

            if (declaration.Training is { } training)
            {
                string target = training.Loss == LossKind.SparseCategoricalCrossentropy ? "int" : t;
                string data = $"{ReadOnlySpan}<{input}> inputs, {ReadOnlySpan}<{target}> targets";
                Member("BatchSize", "The sequences in one training batch.", $"public const int BatchSize = {Int(training.BatchSize)};");
                Member("Gradients", "The gradients of the last batch.", $"public {Span}<{t}> Gradients => {throwing}");
                Member("UpdateCount", "The optimizer updates applied.", $"public long UpdateCount => {throwing}");
                Member("SkippedUpdates", "The updates skipped.", $"public long SkippedUpdates => {throwing}");
                Member("LastAccuracy", "The accuracy of the last batch.", $"public {t} LastAccuracy => {throwing}");
                Member("TrainBatch", "Trains on one batch.", $"public {t} TrainBatch({data}, int sequences = 0) => {throwing}");
                Member("ComputeGradients", "Computes the gradients of one batch.", $"public {t} ComputeGradients({data}, int sequences = 0) => {throwing}");
                Member("Evaluate", "Evaluates one batch.", $"public ({t} Loss, {t} Accuracy) Evaluate({data}, int sequences = 0) => {throwing}");
                Member("SaveCheckpoint", "Writes a training checkpoint.", $"public void SaveCheckpoint(global::System.IO.Stream stream) => {throwing}");
                Member("LoadCheckpoint", "Reads a training checkpoint.", $"public void LoadCheckpoint(global::System.IO.Stream stream) => {throwing}");
                Member("LearningRate", "The learning rate of the next update.", $"public double LearningRate {{ get => throw {Failure(name)}; set => throw {Failure(name)}; }}");
                Member("LearningRateSchedule", "A schedule of learning rates by step.", $"public global::RnnCompiler.Training.LearningRateSchedule? LearningRateSchedule {{ get => throw {Failure(name)}; set => throw {Failure(name)}; }}");
            }
        }

        file.Dispose();
        return writer.ToString();
    }

    /// <summary>
    /// The streaming members of a model that cannot stream (a bidirectional layer): declared, so that a call says why
    /// where it is written (error CS0619 with this message) instead of a bare CS1061.
    /// </summary>
    public static void WriteStreamingUnavailable(EmitContext context)
    {
        NetworkModel model = context.Model;
        SourceWriter writer = context.Writer;
        string t = model.ElementType;
        string message = Literal(model.OutputSteps > 0
            ? $"'{model.TypeName}' writes its {model.OutputSteps} output steps after the whole input ({(model.Decoder is null ? "[RepeatVector]" : "[Decoder]")}), so the model cannot run one step at a time. Use Predict{(model.Decoder is null ? string.Empty : " or Decode")} on the whole sequence."
            : $"'{model.TypeName}' has a bidirectional layer: its backward direction reads the sequence from the last step, so the model cannot run one step at a time. Use Predict on the whole sequence.");
        string throwing = $"throw new global::System.NotSupportedException({message});";
        string summary = model.OutputSteps > 0
            ? "/// <summary>Not available: the outputs come after the whole input; use <c>Predict</c>.</summary>"
            : "/// <summary>Not available: a bidirectional layer needs the whole sequence; use <c>Predict</c>.</summary>";
        writer.WriteLine(summary);
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine($"[global::System.Obsolete({message}, error: true)]");
        writer.WriteLine($"public void ResetState() => {throwing}");
        writer.WriteLine();
        writer.WriteLine(summary);
        writer.WriteLine(context.GeneratedCode);
        writer.WriteLine($"[global::System.Obsolete({message}, error: true)]");
        writer.WriteLine(model.TakesTokens
            ? $"public void Step(int token, {Span}<{t}> output) => {throwing}"
            : $"public void Step({ReadOnlySpan}<{t}> input, {Span}<{t}> output) => {throwing}");
        writer.WriteLine();
    }
}
