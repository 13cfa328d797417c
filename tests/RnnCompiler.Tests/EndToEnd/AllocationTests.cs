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
        }

        RunAll(); // warm up: JIT and tiering
        RunAll();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
        {
            RunAll();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }
}
