using System;
using System.Collections.Generic;
using System.Diagnostics;
using RnnCompiler;
using RnnCompiler.Training;

// Keras's addition_rnn example in C#: a sequence-to-sequence model learns to add two numbers of up to three digits
// from their characters ("535+61" → "596"). The encoder LSTM reads the question and returns its last output, which a
// RepeatVector gives as the input of each of the answer's four steps; the decoder LSTM writes one character per step.
var clock = Stopwatch.StartNew();
int epochs = args.Length > 0 && int.TryParse(args[0], out int given) ? given : 14;

// 1. Questions and answers. Every pair a + b with a ≤ b is drawn once at most (a + b and b + a are the same
//    question); the held-out ones are never trained on. A question is padded with spaces to 7 characters and
//    reversed, as Keras's example does (the digits the answer starts with are then read last); an answer is padded
//    to 4 characters.
const int TrainCount = 45_000;
const int HeldOutCount = 5_000;
var random = new Random(1234);
var seen = new HashSet<(int, int)>();
var questions = new List<(int A, int B)>();
while (questions.Count < TrainCount + HeldOutCount)
{
    int a = Number(random), b = Number(random);
    if (seen.Add((Math.Min(a, b), Math.Max(a, b))))
    {
        questions.Add((a, b));
    }
}

var (trainInputs, trainTargets) = Encode(questions.GetRange(0, TrainCount));
var (heldInputs, heldTargets) = Encode(questions.GetRange(TrainCount, HeldOutCount));

var model = new AdditionSolver();
model.InitializeWeights(seed: 7);

// Adam's rate falls along a cosine from 3e-3 to 1% of it over the whole run: large steps while the model finds how
// to carry digits, small ones at the end, where the last held-out sums come right.
long updates = (long)epochs * ((TrainCount + AdditionSolver.BatchSize - 1) / AdditionSolver.BatchSize);
model.LearningRateSchedule = new CosineDecay(3e-3, updates, alpha: 0.01);
Console.WriteLine(AdditionSolver.Summary);
Console.WriteLine($"{TrainCount:N0} training sums and {HeldOutCount:N0} held-out ones, questions reversed and padded to {AdditionSolver.SequenceLength} characters,");
Console.WriteLine($"answers of {AdditionSolver.OutputSteps} characters; {epochs} epochs.");
Console.WriteLine();

// 2. Training: one epoch at a time, each followed by the held-out exact-match accuracy (every character right).
var outputs = new float[HeldOutCount * AdditionSolver.OutputSteps * AdditionSolver.OutputUnits];
double exact = 0;
for (int epoch = 1; epoch <= epochs; epoch++)
{
    FitResult fit = ModelTrainer.Fit(model, trainInputs, trainTargets, TrainCount, AdditionSolver.SequenceLength, new FitOptions(Epochs: 1, Seed: epoch));
    model.Predict(heldInputs, outputs, HeldOutCount);
    exact = ExactShare(outputs, heldTargets);
    Console.WriteLine($"epoch {epoch,2}: loss {fit.History[0].Loss:F4}, character accuracy {fit.History[0].Accuracy:P1}, held-out exact {exact:P2}  ({clock.Elapsed.TotalSeconds:F0} s)");
}

// 3. A few held-out questions, decoded greedily: the most likely character at each step.
Console.WriteLine();
for (int s = 0; s < 10; s++)
{
    (int a, int b) = questions[TrainCount + s];
    string answer = Decode(outputs.AsSpan(s * AdditionSolver.OutputSteps * AdditionSolver.OutputUnits, AdditionSolver.OutputSteps * AdditionSolver.OutputUnits));
    Console.WriteLine($"{a,3} + {b,3} = {answer.TrimEnd(),-4} {(answer.TrimEnd() == (a + b).ToString() ? "right" : $"wrong ({a + b})")}");
}

Console.WriteLine();
Console.WriteLine($"Held-out exact-match accuracy: {exact:P2} of {HeldOutCount:N0} sums never trained on. Done in {clock.Elapsed.TotalSeconds:F0} s.");
return exact >= 0.99 ? 0 : 1;

// A number of 1 to 3 digits, each length equally likely, as in Keras's example.
static int Number(Random random)
{
    int digits = random.Next(1, 4);
    int value = 0;
    for (int i = 0; i < digits; i++)
    {
        value = value * 10 + random.Next(10);
    }

    return value;
}

static (int[] Inputs, int[] Targets) Encode(List<(int A, int B)> sums)
{
    var inputs = new int[sums.Count * AdditionSolver.SequenceLength];
    var targets = new int[sums.Count * AdditionSolver.OutputSteps];
    for (int s = 0; s < sums.Count; s++)
    {
        string question = $"{sums[s].A}+{sums[s].B}".PadRight(AdditionSolver.SequenceLength);
        string answer = (sums[s].A + sums[s].B).ToString().PadRight(AdditionSolver.OutputSteps);
        for (int t = 0; t < AdditionSolver.SequenceLength; t++)
        {
            inputs[s * AdditionSolver.SequenceLength + t] = Characters.IdOf(question[AdditionSolver.SequenceLength - 1 - t]);
        }

        for (int t = 0; t < AdditionSolver.OutputSteps; t++)
        {
            targets[s * AdditionSolver.OutputSteps + t] = Characters.IdOf(answer[t]);
        }
    }

    return (inputs, targets);
}

static double ExactShare(float[] outputs, int[] targets)
{
    int sequences = targets.Length / AdditionSolver.OutputSteps, exact = 0;
    for (int s = 0; s < sequences; s++)
    {
        bool right = true;
        for (int t = 0; t < AdditionSolver.OutputSteps; t++)
        {
            right &= ArgMax(outputs.AsSpan((s * AdditionSolver.OutputSteps + t) * AdditionSolver.OutputUnits, AdditionSolver.OutputUnits)) == targets[s * AdditionSolver.OutputSteps + t];
        }

        exact += right ? 1 : 0;
    }

    return (double)exact / sequences;
}

static string Decode(ReadOnlySpan<float> probabilities)
{
    var characters = new char[AdditionSolver.OutputSteps];
    for (int t = 0; t < characters.Length; t++)
    {
        characters[t] = Characters.All[ArgMax(probabilities.Slice(t * AdditionSolver.OutputUnits, AdditionSolver.OutputUnits))];
    }

    return new string(characters);
}

static int ArgMax(ReadOnlySpan<float> values)
{
    int best = 0;
    for (int i = 1; i < values.Length; i++)
    {
        best = values[i] > values[best] ? i : best;
    }

    return best;
}

/// <summary>The twelve characters of questions and answers; a character's token id is its index.</summary>
internal static class Characters
{
    public const string All = "0123456789+ ";

    public const int Count = 12;

    public static int IdOf(char c) => All.IndexOf(c);
}

/// <summary>
/// Keras's addition_rnn: an encoder LSTM over the question's characters returns its last output; RepeatVector gives
/// it to each of the answer's four steps; a decoder LSTM and a softmax over the twelve characters at every step.
/// </summary>
[RnnModel(SequenceLength = 7)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, Optimizer = Optimizer.Adam, LearningRate = 3e-3, BatchSize = 32, ClipNorm = 1)]
[Embedding(Characters.Count, 12)]
[Lstm(128)]
[RepeatVector(4)]
[Lstm(128, ReturnSequences = true)]
[Dense(Characters.Count, Activation = Activation.Softmax)]
public partial class AdditionSolver;
