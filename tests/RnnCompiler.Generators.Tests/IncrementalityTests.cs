using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using RnnCompiler.Generators.Tests.Infrastructure;
using Xunit;

namespace RnnCompiler.Generators.Tests;

/// <summary>
/// The pipeline caches: an edit that does not touch a model leaves every tracked step Cached or Unchanged, an edit of
/// a layer re-runs the Models step, and no step output holds a Roslyn object (compilation, symbol, syntax, location).
/// </summary>
public sealed class IncrementalityTests
{
    /// <summary>The seed model with an unrelated class in the same file, so the same-file edit re-parses the model's tree.</summary>
    private const string ModelFile = TestModels.Sentiment + """


        public static class Helpers
        {
            public static int Twice(int x) => x * 2;
        }
        """;

    /// <summary>A model whose weights are compiled in from an additional file.</summary>
    private const string WeightsModelFile = """
        using RnnCompiler;
        namespace Demo;
        [RnnModel(SequenceLength = 4, Weights = "tiny.safetensors")]
        [Input(2)]
        [SimpleRnn(2)]
        [Dense(1)]
        public partial class Tiny;
        """;

    /// <summary>The weights of <see cref="WeightsModelFile"/> as the build target hands them over: base64 safetensors.</summary>
    private static AdditionalText TinyWeights(float scale)
    {
        var layers = new[]
        {
            new RnnCompiler.Weights.LayerDescriptor(RnnCompiler.Weights.LayerKind.SimpleRnn, "simple_rnn", "simple_rnn", 2, 2, 0),
            new RnnCompiler.Weights.LayerDescriptor(RnnCompiler.Weights.LayerKind.Dense, "dense", "dense", 2, 1, 10),
        };
        float[] values = Enumerable.Range(0, 13).Select(i => scale * i).ToArray();
        using var stream = new System.IO.MemoryStream();
        RnnCompiler.Weights.WeightFile.Save<float>(stream, layers, values);
        return new InMemoryAdditionalText("/project/tiny.safetensors.b64", Convert.ToBase64String(stream.ToArray()));
    }

    private const string OtherFile = """
        namespace Demo.Other;

        public sealed class Calculator
        {
            public int Add(int a, int b)
            {
                return a + b;
            }
        }
        """;

    [Fact]
    public void Changing_a_weights_file_regenerates_its_model_only()
    {
        AdditionalText before = TinyWeights(0.1f);
        GeneratorRun first = GeneratorDriverHelper.Run(GeneratorDriverHelper.CreateCompilation(ModelFile, WeightsModelFile), GeneratorDriverHelper.CreateDriver(before));
        Assert.Equal(2, first.Result.GeneratedTrees.Length);
        GeneratorDriver driver = first.Driver.ReplaceAdditionalText(before, TinyWeights(0.2f));
        GeneratorRun second = GeneratorDriverHelper.Run(first.InputCompilation, driver);

        IncrementalGeneratorRunStep[] outputs = second.Result.Results[0].TrackedSteps[TrackingNames.Outputs].ToArray();
        var reasons = outputs.SelectMany(step => step.Outputs).Select(o => (Model: ((RnnModelGenerator.ModelOutput)o.Value).Result.Network!.TypeName, o.Reason)).ToArray();
        Assert.Contains(reasons, r => r.Model == "Tiny" && r.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains(reasons, r => r.Model == "Sentiment" && r.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged);
        string tiny = second.Result.GeneratedTrees.Single(tree => tree.FilePath.EndsWith("Demo.Tiny.g.cs", StringComparison.Ordinal)).ToString();
        Assert.Contains("0.2f, 0.4f", tiny);
        Assert.Empty(second.Result.Diagnostics);
    }

    [Fact]
    public void A_model_whose_weights_file_is_missing_gets_only_fallback_members()
    {
        // The analyzer reports RNN0021; the generator writes the members with throwing bodies and reports nothing.
        GeneratorRun run = GeneratorDriverHelper.Run(GeneratorDriverHelper.CreateCompilation(ModelFile, WeightsModelFile), GeneratorDriverHelper.CreateDriver());
        Assert.Equal(2, run.Result.GeneratedTrees.Length);
        Assert.Single(run.Result.GeneratedTrees, tree => tree.GetText().ToString().Contains("was not generated: its declaration has an RnnCompiler error", System.StringComparison.Ordinal));
        Assert.Empty(run.Result.Diagnostics);
    }

    [Fact]
    public void Every_tracking_name_is_used()
    {
        GeneratorRun run = GeneratorDriverHelper.Run(GeneratorDriverHelper.CreateCompilation(ModelFile, OtherFile, WeightsModelFile), GeneratorDriverHelper.CreateDriver(TinyWeights(0.1f)));
        ImmutableDictionary<string, ImmutableArray<IncrementalGeneratorRunStep>> steps = TrackedSteps(run);

        string[] missing = GeneratorDriverHelper.AllTrackingNames.Where(n => !steps.ContainsKey(n)).ToArray();
        Assert.True(
            missing.Length == 0,
            $"No pipeline step is tracked as {string.Join(", ", missing)}: add .WithTrackingName(TrackingNames.X) to it, or remove the constant.");
    }

    [Fact]
    public void Adding_an_unrelated_file_reuses_every_step()
    {
        AssertSecondRunReusesEverything(c => c.AddSyntaxTrees(GeneratorDriverHelper.Parse(
            "namespace Demo.Other; internal static class Added { public static int One() => 1; }", "Added.cs")));
    }

    [Fact]
    public void Editing_a_method_body_in_another_file_reuses_every_step()
    {
        AssertSecondRunReusesEverything(c => ReplaceText(c, "Source1.cs", "return a + b;", "return b + a + 0;"));
    }

    [Fact]
    public void Editing_a_method_body_in_the_model_file_reuses_every_step()
    {
        // The model's own tree changes, so the driver re-reads the declaration: the new value must equal the old one.
        AssertSecondRunReusesEverything(c => ReplaceText(c, "Source0.cs", "x * 2", "x + x"));
    }

    [Fact]
    public void Changing_a_layer_modifies_the_models_step()
    {
        GeneratorRun first = GeneratorDriverHelper.Run(ModelFile, OtherFile);
        GeneratorRun second = GeneratorDriverHelper.Run(ReplaceText(first.InputCompilation, "Source0.cs", "[Lstm(128)]", "[Lstm(64)]"), first.Driver);

        IncrementalStepRunReason[] reasons = Outputs(second, TrackingNames.Models).Select(o => o.Reason).ToArray();
        Assert.True(
            reasons.Contains(IncrementalStepRunReason.Modified),
            $"Lstm(128) → Lstm(64) should re-run {TrackingNames.Models} with a Modified output; its outputs were: {Describe(reasons)}.");

        string before = string.Concat(first.GeneratedSources.Select(s => s.SourceText.ToString()));
        string after = string.Concat(second.GeneratedSources.Select(s => s.SourceText.ToString()));
        Assert.NotEqual(before, after);
    }

    [Fact]
    public void Step_outputs_hold_no_compilation_symbol_syntax_or_location()
    {
        GeneratorRun first = GeneratorDriverHelper.Run(ModelFile, OtherFile);
        GeneratorRun second = GeneratorDriverHelper.Run(ReplaceText(first.InputCompilation, "Source0.cs", "x * 2", "x + x"), first.Driver);

        var found = new List<string>();
        foreach (GeneratorRun run in new[] { first, second })
        {
            foreach (string name in GeneratorDriverHelper.AllTrackingNames)
            {
                int i = 0;
                foreach ((object value, IncrementalStepRunReason _) in Outputs(run, name))
                {
                    found.AddRange(PipelineOutputWalker.FindForbidden(value, $"{name}[{i++}]"));
                }
            }
        }

        Assert.True(
            found.Count == 0,
            "Pipeline step outputs must be equatable values; these hold Roslyn objects:\n  " + string.Join("\n  ", found.Distinct()));
    }

    /// <summary>Runs the driver, applies <paramref name="edit"/>, runs it again and checks that nothing was recomputed.</summary>
    private static void AssertSecondRunReusesEverything(Func<Compilation, Compilation> edit)
    {
        GeneratorRun first = GeneratorDriverHelper.Run(GeneratorDriverHelper.CreateCompilation(ModelFile, OtherFile, WeightsModelFile), GeneratorDriverHelper.CreateDriver(TinyWeights(0.1f)));
        GeneratorRun second = GeneratorDriverHelper.Run(edit(first.InputCompilation), first.Driver);

        var problems = new List<string>();
        ImmutableDictionary<string, ImmutableArray<IncrementalGeneratorRunStep>> tracked = TrackedSteps(second);
        foreach (string name in GeneratorDriverHelper.AllTrackingNames)
        {
            if (!tracked.ContainsKey(name))
            {
                problems.Add($"{name}: the step did not run (see {nameof(Every_tracking_name_is_used)}).");
                continue;
            }

            IncrementalStepRunReason[] reasons = Outputs(second, name).Select(o => o.Reason).ToArray();
            if (reasons.Any(r => r is not (IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged)))
            {
                problems.Add($"{name}: outputs {Describe(reasons)}; expected only Cached or Unchanged (is every value in the model equatable?).");
            }

            object[] before = Outputs(first, name).Select(o => o.Value).ToArray();
            object[] after = Outputs(second, name).Select(o => o.Value).ToArray();
            if (!before.SequenceEqual(after))
            {
                problems.Add($"{name}: the outputs of the two runs are not equal.");
            }
        }

        // Emission too: an unchanged model must not be emitted again.
        foreach (KeyValuePair<string, ImmutableArray<IncrementalGeneratorRunStep>> output in second.Result.Results[0].TrackedOutputSteps)
        {
            IncrementalStepRunReason[] reasons = output.Value.SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();
            if (reasons.Any(r => r is not (IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged)))
            {
                problems.Add($"output step {output.Key}: {Describe(reasons)}; expected only Cached or Unchanged.");
            }
        }

        Assert.True(problems.Count == 0, "The second run recomputed work:\n  " + string.Join("\n  ", problems));
        Assert.Equal(
            first.GeneratedSources.Select(s => (s.HintName, s.SourceText.ToString())),
            second.GeneratedSources.Select(s => (s.HintName, s.SourceText.ToString())));
    }

    private static ImmutableDictionary<string, ImmutableArray<IncrementalGeneratorRunStep>> TrackedSteps(GeneratorRun run) =>
        Assert.Single(run.Result.Results).TrackedSteps;

    private static IEnumerable<(object Value, IncrementalStepRunReason Reason)> Outputs(GeneratorRun run, string stepName) =>
        TrackedSteps(run).TryGetValue(stepName, out ImmutableArray<IncrementalGeneratorRunStep> steps)
            ? steps.SelectMany(s => s.Outputs)
            : Enumerable.Empty<(object, IncrementalStepRunReason)>();

    private static Compilation ReplaceText(Compilation compilation, string path, string oldText, string newText)
    {
        SyntaxTree tree = compilation.SyntaxTrees.Single(t => t.FilePath == path);
        string text = tree.ToString();
        Assert.Contains(oldText, text, StringComparison.Ordinal);
        return compilation.ReplaceSyntaxTree(tree, GeneratorDriverHelper.Parse(text.Replace(oldText, newText, StringComparison.Ordinal), path));
    }

    private static string Describe(IEnumerable<IncrementalStepRunReason> reasons)
    {
        string text = string.Join(", ", reasons.GroupBy(r => r).Select(g => $"{g.Count()} × {g.Key}"));
        return text.Length == 0 ? "none" : text;
    }
}
