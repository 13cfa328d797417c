using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using RnnCompiler;
using RnnCompiler.Training;

// The model: its whole implementation, training included, is generated at compile time from the attributes at the
// bottom of this file.
var clock = Stopwatch.StartNew();
var model = new Sentiment();
Console.WriteLine(Sentiment.Summary);

// 1. A synthetic dataset, made here with a fixed seed (see Reviews below): reviews of 20 to 80 token ids of filler
//    words with a few sentiment words of the review's class mixed in at random places, sometimes with one word of
//    another class as a distractor. Padded at the front with token 0 to 80 steps, as Keras's pad_sequences does; the
//    Embedding's MaskZero makes token 0 padding, so the LSTM reads each review at its real length (Keras's mask_zero).
const int TrainingReviews = 2400;   // 10% of these are held out for validation by Fit
const int TestReviews = 512;
var vocabulary = new Reviews(seed: 2024);
(int[] trainTokens, int[] trainLabels) = vocabulary.Make(TrainingReviews, seed: 1);
(int[] testTokens, int[] testLabels) = vocabulary.Make(TestReviews, seed: 2);
Console.WriteLine($"Data: {TrainingReviews} reviews for training and validation, {TestReviews} for test; {Reviews.Classes} classes (chance is 10%),");
Console.WriteLine($"      {Reviews.WordsPerClass} sentiment words per class among {Sentiment.VocabularySize - 1} words, reviews of {Reviews.MinLength} to {Reviews.MaxLength} tokens padded to {Sentiment.SequenceLength}.");
Console.WriteLine();

// 2. Training: Adam with per-tensor gradient clipping, exact backpropagation through time, in batches of 32.
const int Epochs = 4;
Console.WriteLine($"Training {Epochs} epochs (the last 10% of the training reviews are the validation set):");
FitResult fit = ModelTrainer.Fit(
    model, trainTokens, trainLabels, TrainingReviews, Sentiment.SequenceLength,
    new FitOptions(Epochs: Epochs, Seed: 0, ValidationSplit: 0.1) { ProgressBar = true });
Console.WriteLine(fit);
Console.WriteLine($"{model.UpdateCount} updates applied, {model.SkippedUpdates} skipped as non-finite.");
string curves = TrainingCurves.Draw(fit, AppContext.BaseDirectory, "sentiment");
Console.WriteLine($"Loss and accuracy curves: {curves}");

EvaluationResult test = ModelTrainer.Evaluate(model, testTokens, testLabels, TestReviews, Sentiment.SequenceLength);
Console.WriteLine($"Held-out test set ({TestReviews} reviews never trained on): loss {test.Loss:F4}, accuracy {test.Accuracy:P1} (chance 10%).");
Console.WriteLine();

// 3. The whole test set scored by one call: Predict with a count runs the reviews 32 at a time (the training batch) in
//    lock step, each at its real length, and gives every review the scores Predict gives it alone.
var batchScores = new float[TestReviews * Sentiment.OutputUnits];
var aloneScores = new float[TestReviews * Sentiment.OutputUnits];
model.Predict(testTokens, batchScores, TestReviews);   // a first call compiles; time the second
var timer = Stopwatch.StartNew();
model.Predict(testTokens, batchScores, TestReviews);
double batchMilliseconds = timer.Elapsed.TotalMilliseconds;
timer.Restart();
for (int r = 0; r < TestReviews; r++)
{
    model.Predict(testTokens.AsSpan(r * Sentiment.SequenceLength, Sentiment.SequenceLength), aloneScores.AsSpan(r * Sentiment.OutputUnits, Sentiment.OutputUnits));
}

double aloneMilliseconds = timer.Elapsed.TotalMilliseconds;
int right = Enumerable.Range(0, TestReviews).Count(r => ArgMax(batchScores.AsSpan(r * Sentiment.OutputUnits, Sentiment.OutputUnits).ToArray()) == testLabels[r]);
Console.WriteLine($"Batched Predict of the {TestReviews} test reviews: {(double)right / TestReviews:P1} right, {batchMilliseconds:F1} ms in one call ({aloneMilliseconds:F1} ms one review at a time);");
Console.WriteLine($"  the same scores as one review at a time, bit for bit: {batchScores.AsSpan().SequenceEqual(aloneScores)}.");
Console.WriteLine();

// 4. One review (the first test review with a distractor word), with Predict and by streaming it through Step one
//    token at a time.
int shown = 0;
while (!vocabulary.HasDistractor(testTokens.AsSpan(shown * Sentiment.SequenceLength, Sentiment.SequenceLength), testLabels[shown]))
{
    shown++;
}

int[] review = testTokens.AsSpan(shown * Sentiment.SequenceLength, Sentiment.SequenceLength).ToArray();
int label = testLabels[shown];
Console.WriteLine($"Test review {shown} (class {label}), padding left out, sentiment words as [id:class]:");
Console.WriteLine("  " + vocabulary.Describe(review));
var scores = new float[Sentiment.OutputUnits];
model.Predict(review, scores);

model.ResetState();
var streamed = new float[Sentiment.OutputUnits];
foreach (int token in review)
{
    model.Step(token, streamed);
}

float largestDifference = 0;
for (int i = 0; i < scores.Length; i++)
{
    largestDifference = Math.Max(largestDifference, Math.Abs(scores[i] - streamed[i]));
}

int predicted = ArgMax(scores);
Console.WriteLine($"  Predict (whole review):         class {predicted}, probability {scores[predicted]:F4}");
Console.WriteLine($"  Step (80 tokens, one by one):   class {ArgMax(streamed)}, probability {streamed[ArgMax(streamed)]:F4}");
Console.WriteLine($"  Largest difference between their 10 scores: {largestDifference:G3}");
Console.WriteLine();

// 5. Checkpoint (weights, Adam's moments and step count, to resume training exactly) and plain weights (safetensors,
//    Keras names), saved to a temporary folder and loaded into fresh models.
string folder = Path.Combine(Path.GetTempPath(), "rnncompiler-sentiment-" + Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(folder);
try
{
    string checkpointPath = Path.Combine(folder, "sentiment.checkpoint.safetensors");
    string weightsPath = Path.Combine(folder, "sentiment.safetensors");
    model.SaveCheckpoint(checkpointPath);   // written to a temporary file, then renamed over the old one
    using (FileStream stream = File.Create(weightsPath))
    {
        model.SaveWeights(stream);
    }

    var resumed = new Sentiment();
    resumed.LoadCheckpoint(checkpointPath);
    var loaded = new Sentiment();
    using (FileStream stream = File.OpenRead(weightsPath))
    {
        loaded.LoadWeights(stream);
    }

    double resumedAccuracy = ModelTrainer.Evaluate(resumed, testTokens, testLabels, TestReviews, Sentiment.SequenceLength).Accuracy;
    double loadedAccuracy = ModelTrainer.Evaluate(loaded, testTokens, testLabels, TestReviews, Sentiment.SequenceLength).Accuracy;
    Console.WriteLine($"Saved to {folder}:");
    Console.WriteLine($"  checkpoint {new FileInfo(checkpointPath).Length:N0} bytes -> fresh model at update {resumed.UpdateCount}, test accuracy {resumedAccuracy:P1}");
    Console.WriteLine($"  weights    {new FileInfo(weightsPath).Length:N0} bytes -> fresh model, test accuracy {loadedAccuracy:P1}");
}
finally
{
    Directory.Delete(folder, recursive: true);
}

Console.WriteLine();
Console.WriteLine($"Done in {clock.Elapsed.TotalSeconds:F1} s.");

static int ArgMax(float[] values)
{
    int best = 0;
    for (int i = 1; i < values.Length; i++)
    {
        if (values[i] > values[best])
        {
            best = i;
        }
    }

    return best;
}

/// <summary>Sentiment of a review of up to 80 tokens from a 1,000-word vocabulary, in 10 classes.</summary>
/// <remarks>The learning rate is 1e-2 rather than Adam's usual 1e-3 so that four epochs are enough: the sample is meant
/// to run in well under a minute. ClipNorm keeps the larger steps stable.</remarks>
[RnnModel(SequenceLength = 80)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, Optimizer = Optimizer.Adam, LearningRate = 1e-2, BatchSize = 32, ClipNorm = 1)]
[Embedding(1000, 64, MaskZero = true)]
[Lstm(128)]
[Dense(10, Activation = Activation.Softmax)]
public partial class Sentiment;

/// <summary>
/// Makes synthetic reviews. Token 0 is padding; each class owns a few sentiment words scattered over the vocabulary;
/// every other id is a filler word. A review holds 2 to 4 of its class's sentiment words at random places among filler
/// words, and half the reviews also hold one word of another class, so the class is the one with the most sentiment
/// words in the review: no single position decides it.
/// </summary>
internal sealed class Reviews
{
    public const int Classes = Sentiment.OutputUnits;
    public const int WordsPerClass = 4;
    public const int MinLength = 20;
    public const int MaxLength = Sentiment.SequenceLength;
    private const int Padding = 0;

    private readonly int[] _classOf = new int[Sentiment.VocabularySize];   // -1 for filler and padding
    private readonly int[][] _words = new int[Classes][];
    private readonly int[] _filler;

    public Reviews(int seed)
    {
        var random = new Random(seed);
        int[] ids = new int[Sentiment.VocabularySize - 1];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = i + 1;
        }

        random.Shuffle(ids);
        Array.Fill(_classOf, -1);
        for (int c = 0; c < Classes; c++)
        {
            _words[c] = ids.AsSpan(c * WordsPerClass, WordsPerClass).ToArray();
            foreach (int word in _words[c])
            {
                _classOf[word] = c;
            }
        }

        _filler = ids.AsSpan(Classes * WordsPerClass).ToArray();
    }

    /// <summary>Reviews back to back, [count, SequenceLength] token ids padded at the front, and their classes.</summary>
    public (int[] Tokens, int[] Labels) Make(int count, int seed)
    {
        var random = new Random(seed);
        var tokens = new int[count * Sentiment.SequenceLength];
        var labels = new int[count];
        var review = new int[MaxLength];
        var places = new int[MaxLength];
        for (int n = 0; n < count; n++)
        {
            int label = random.Next(Classes);
            int length = random.Next(MinLength, MaxLength + 1);
            for (int i = 0; i < length; i++)
            {
                review[i] = _filler[random.Next(_filler.Length)];
                places[i] = i;
            }

            // Distinct random places for the sentiment words (a partial Fisher-Yates shuffle).
            int own = random.Next(2, 5);
            int distractors = random.Next(2);
            for (int k = 0; k < own + distractors; k++)
            {
                int j = random.Next(k, length);
                (places[k], places[j]) = (places[j], places[k]);
                int wordClass = k < own ? label : (label + 1 + random.Next(Classes - 1)) % Classes;
                review[places[k]] = _words[wordClass][random.Next(WordsPerClass)];
            }

            Span<int> row = tokens.AsSpan(n * Sentiment.SequenceLength, Sentiment.SequenceLength);
            row[..(Sentiment.SequenceLength - length)].Fill(Padding);
            review.AsSpan(0, length).CopyTo(row[(Sentiment.SequenceLength - length)..]);
            labels[n] = label;
        }

        return (tokens, labels);
    }

    /// <summary>Whether a review holds a sentiment word of a class other than <paramref name="label"/>.</summary>
    public bool HasDistractor(ReadOnlySpan<int> review, int label)
    {
        foreach (int token in review)
        {
            if (_classOf[token] >= 0 && _classOf[token] != label)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A padded review as text: filler ids as numbers, sentiment words as [id:class].</summary>
    public string Describe(ReadOnlySpan<int> review)
    {
        var text = new System.Text.StringBuilder();
        foreach (int token in review)
        {
            if (token == Padding)
            {
                continue;
            }

            text.Append(_classOf[token] < 0 ? $"{token} " : $"[{token}:{_classOf[token]}] ");
        }

        return text.ToString().TrimEnd();
    }
}
