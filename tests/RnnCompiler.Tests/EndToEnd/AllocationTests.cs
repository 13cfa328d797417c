using System;
using RnnCompiler.Tests.Models;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>Predict and Step allocate nothing once the model is constructed.</summary>
public class AllocationTests
{
    [Fact]
    public void Predict_and_Step_allocate_nothing_after_construction()
    {
        var sentiment = new Sentiment();
        var deep = new DeepStack();
        var streaming = new DeepStreaming();
        var bf16 = new Bf16Lstm64x128x10();
        float[] bf16Inputs = TestData.Uniform(Bf16Lstm64x128x10.SequenceLength * Bf16Lstm64x128x10.InputFeatures, seed: 3);
        var bf16Outputs = new float[Bf16Lstm64x128x10.OutputUnits];
        var int8 = new Int8Lstm64x128x10();
        var int8Gru = new Int8SimpleGruStack();
        float[] gruInputs = TestData.Uniform(Int8SimpleGruStack.SequenceLength * Int8SimpleGruStack.InputFeatures, seed: 4);
        var gruOutputs = new float[Int8SimpleGruStack.SequenceLength * Int8SimpleGruStack.OutputUnits];
        int[] tokens = TestData.Tokens(Sentiment.SequenceLength, Sentiment.VocabularySize, seed: 1);
        float[] inputs = TestData.Uniform(DeepStack.SequenceLength * DeepStack.InputFeatures, seed: 2);
        var sentimentOutputs = new float[Sentiment.OutputUnits];
        var deepOutputs = new float[DeepStack.OutputUnits];
        var streamingOutputs = new float[DeepStreaming.OutputUnits];

        void RunAll()
        {
            sentiment.Predict(tokens, sentimentOutputs);
            sentiment.Step(tokens[0], sentimentOutputs);
            deep.Predict(inputs, deepOutputs);
            streaming.Step(inputs.AsSpan(0, DeepStreaming.InputFeatures), streamingOutputs);
            streaming.ResetState();
            bf16.Predict(bf16Inputs, bf16Outputs);
            bf16.Step(bf16Inputs.AsSpan(0, Bf16Lstm64x128x10.InputFeatures), bf16Outputs);
            int8.Predict(bf16Inputs, bf16Outputs);
            int8.Step(bf16Inputs.AsSpan(0, Int8Lstm64x128x10.InputFeatures), bf16Outputs);
            int8Gru.Predict(gruInputs, gruOutputs);
            int8Gru.Step(gruInputs.AsSpan(0, Int8SimpleGruStack.InputFeatures), gruOutputs.AsSpan(0, Int8SimpleGruStack.OutputUnits));
        }

        Assert.Equal(0, Allocations.OnceWarm(RunAll, 20));
    }
}
