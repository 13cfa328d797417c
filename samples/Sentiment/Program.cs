using System;
using RnnCompiler;

// The model: its whole implementation is generated at compile time from these attributes.
var model = new Sentiment();
Console.WriteLine(Sentiment.Summary);

// A review as token ids (a real program would map words to ids with its vocabulary).
int[] review = [12, 7, 391, 44, 5, 871, 2, 99, 310, 17, 4, 640];
var scores = new float[Sentiment.OutputUnits];
model.Predict(review, scores);
Console.WriteLine($"Prediction for a {review.Length}-token review (untrained weights, seed 0):");
for (int i = 0; i < scores.Length; i++)
{
    Console.WriteLine($"  class {i}: {scores[i]:F4}");
}

// The same review, one token at a time: the streaming state gives the same answer after the last token.
model.ResetState();
var streamed = new float[Sentiment.OutputUnits];
foreach (int token in review)
{
    model.Step(token, streamed);
}

Console.WriteLine($"Streaming the same tokens ends at class {Array.IndexOf(streamed, MaxOf(streamed))}, Predict says class {Array.IndexOf(scores, MaxOf(scores))}.");

static float MaxOf(float[] values)
{
    float max = float.NegativeInfinity;
    foreach (float value in values)
    {
        max = Math.Max(max, value);
    }

    return max;
}

/// <summary>Sentiment of a review of up to 80 tokens from a 1,000-word vocabulary, in 10 classes.</summary>
[RnnModel(SequenceLength = 80)]
[Embedding(1000, 64)]
[Lstm(128)]
[Dense(10, Activation = Activation.Softmax)]
public partial class Sentiment;
