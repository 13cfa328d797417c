using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using RnnCompiler;
using RnnCompiler.Decoding;
using RnnCompiler.Training;

// A character-level language model: it reads a text one character at a time and learns to predict the next one
// (many-to-many training), then writes new text one character at a time with Step (one-to-many generation).
var clock = Stopwatch.StartNew();

// 1. The text and its vocabulary: the distinct characters, in ordinal order, are the token ids.
string path = Path.Combine(AppContext.BaseDirectory, "data", "sonnets.txt");
string text = File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal);
char[] alphabet = [.. new System.Collections.Generic.SortedSet<char>(text)];
if (alphabet.Length != Corpus.VocabularySize)
{
    Console.Error.WriteLine(
        $"{path} has {alphabet.Length} distinct characters, but the model is compiled for Corpus.VocabularySize = {Corpus.VocabularySize}. " +
        $"The vocabulary size is a compile-time constant: set Corpus.VocabularySize to {alphabet.Length} in Program.cs and build again.");
    return 1;
}

var idOf = new int[char.MaxValue + 1];
for (int i = 0; i < alphabet.Length; i++)
{
    idOf[alphabet[i]] = i;
}

int[] ids = new int[text.Length];
for (int i = 0; i < text.Length; i++)
{
    ids[i] = idOf[text[i]];
}

var model = new CharRnn();
Console.WriteLine(CharRnn.Summary);
Console.WriteLine($"Text: {text.Length:N0} characters of Shakespeare's sonnets I-VIII (public domain), {alphabet.Length} distinct characters:");
Console.WriteLine("  " + Visible(new string(alphabet)));
Console.WriteLine();

// 2. Training data: windows of SequenceLength characters every Stride characters; the target at every step is the
//    next character, so each window teaches SequenceLength predictions. Sonnets I-VII are for training and sonnet VIII
//    for validation: its windows go last, where Fit takes the validation split from.
const int Stride = 16;
int split = text.IndexOf("\nVIII\n", StringComparison.Ordinal) + 1;
int trainingWindows = WindowCount(split);
int validationWindows = WindowCount(text.Length - split);
int windows = trainingWindows + validationWindows;
var inputs = new int[windows * CharRnn.SequenceLength];
var targets = new int[windows * CharRnn.SequenceLength];
for (int w = 0; w < windows; w++)
{
    int start = w < trainingWindows ? w * Stride : split + (w - trainingWindows) * Stride;
    ids.AsSpan(start, CharRnn.SequenceLength).CopyTo(inputs.AsSpan(w * CharRnn.SequenceLength));
    ids.AsSpan(start + 1, CharRnn.SequenceLength).CopyTo(targets.AsSpan(w * CharRnn.SequenceLength));
}

const int Epochs = 40;
const int Patience = 4;
Console.WriteLine($"Training on {trainingWindows} windows of {CharRnn.SequenceLength} characters from sonnets I-VII, validating on {validationWindows} from sonnet VIII;");
Console.WriteLine($"up to {Epochs} epochs, stopping when the validation loss has not improved for {Patience} epochs (the text is small: past that");
Console.WriteLine("the model learns the training sonnets by heart rather than English). A model that knew nothing would score a loss");
Console.WriteLine($"of ln {alphabet.Length} = {Math.Log(alphabet.Length):F2}.");
FitResult fit = ModelTrainer.Fit(
    model, inputs, targets, windows, CharRnn.SequenceLength,
    new FitOptions(Epochs: Epochs, Seed: 0, ValidationSplit: (validationWindows + 0.5) / windows, Patience: Patience, RestoreBestWeights: true) { ProgressBar = true });
Console.WriteLine(fit.StoppedEarly
    ? $"Stopped after epoch {fit.History.Count}; weights restored to epoch {fit.BestEpoch}, the lowest validation loss ({fit.History[fit.BestEpoch - 1].ValidationLoss:F4})."
    : $"Lowest validation loss at epoch {fit.BestEpoch}.");
Console.WriteLine($"{model.UpdateCount} updates applied, {model.SkippedUpdates} skipped as non-finite.");
Console.WriteLine($"Loss and accuracy curves: {TrainingCurves.Draw(fit, AppContext.BaseDirectory, "charrnn")}");
Console.WriteLine();

// 3. Generation, one character at a time: Step carries the LSTM's state from one call to the next, so the model
//    reads the prompt once and then each character it writes. TokenSampler draws the next character from the
//    predicted distribution sharpened (temperature below 1) or flattened (above 1): p_i^(1/T), normalized.
const string Prompt = "Thy beauty";
const int Length = 300;
foreach (float temperature in new[] { 0.5f, 1.0f })
{
    Console.WriteLine($"--- temperature {temperature:F1}, seed 1 ---");
    Console.WriteLine(Generate(model, Prompt, Length, temperature, new TokenSampler(seed: 1)));
    Console.WriteLine();
}

Console.WriteLine($"Done in {clock.Elapsed.TotalSeconds:F1} s.");
return 0;

string Generate(CharRnn network, string prompt, int length, float temperature, TokenSampler sampler)
{
    var probabilities = new float[CharRnn.OutputUnits];
    var output = new StringBuilder(prompt);
    network.ResetState();
    foreach (char c in prompt)
    {
        network.Step(idOf[c], probabilities);
    }

    for (int i = 0; i < length; i++)
    {
        int next = sampler.Sample(probabilities, temperature);
        output.Append(alphabet[next]);
        network.Step(next, probabilities);
    }

    return output.ToString();
}

// Windows of SequenceLength inputs plus one more character for the last target, every Stride characters.
static int WindowCount(int characters) => (characters - 1 - CharRnn.SequenceLength) / Stride + 1;

static string Visible(string characters) => characters.Replace("\n", "\\n", StringComparison.Ordinal);

/// <summary>The vocabulary size of data/sonnets.txt, computed from it once: attribute arguments are compile-time constants.</summary>
internal static class Corpus
{
    public const int VocabularySize = 56;
}

/// <summary>
/// Next-character prediction over windows of 64 characters: an embedding per character, an LSTM that returns its
/// output at every step, and a softmax over the vocabulary at every step (Keras's TimeDistributed Dense).
/// </summary>
[RnnModel(SequenceLength = 64)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, Optimizer = Optimizer.Adam, LearningRate = 1e-2, BatchSize = 32, ClipNorm = 1)]
[Embedding(Corpus.VocabularySize, 24)]
[Lstm(128, ReturnSequences = true)]
[Dense(Corpus.VocabularySize, Activation = Activation.Softmax)]
public partial class CharRnn;
