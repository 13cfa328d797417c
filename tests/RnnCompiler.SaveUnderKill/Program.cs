using System;
using System.IO;
using RnnCompiler;
using RnnCompiler.Training;

namespace RnnCompiler.SaveUnderKill;

// Usage:
//   expected <directory>   writes the checkpoint of each of the States states to <directory>/state-<k>.ckpt and exits;
//   loop <path>            prints "ready", then saves state 0, 1, 2, 0, ... to <path> until it is killed, printing
//                          "saved <n>" after the n-th save;
//   once <path> <k>        saves state k to <path> once and exits.
// The parent (tests/RnnCompiler.Tests/EndToEnd/InterruptedSaveTests.cs) kills "loop" at random moments and requires
// the path to hold, byte for byte, one of the expected files every time.
internal static class Program
{
    private const int States = 3;

    private static int Main(string[] args)
    {
        var model = new Checkpointed();
        switch (args[0])
        {
            case "expected":
                for (int state = 0; state < States; state++)
                {
                    SetState(model, state);
                    model.SaveCheckpoint(Path.Combine(args[1], $"state-{state}.ckpt"));
                }

                return 0;
            case "once":
                SetState(model, int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
                model.SaveCheckpoint(args[1]);
                return 0;
            case "loop":
                Console.WriteLine("ready");
                for (long save = 0; ; save++)
                {
                    SetState(model, (int)(save % States));
                    model.SaveCheckpoint(args[1]);
                    Console.WriteLine($"saved {save + 1}");
                }

            default:
                Console.Error.WriteLine("usage: expected <directory> | loop <path> | once <path> <state>");
                return 64;
        }
    }

    /// <summary>Weights that differ in every value between states (the optimizer's moments stay as constructed: zero).</summary>
    private static void SetState(Checkpointed model, int state)
    {
        Span<float> parameters = model.Parameters;
        for (int i = 0; i < parameters.Length; i++)
        {
            parameters[i] = ((i % 1000) * 1e-3f) + state;
        }
    }
}

/// <summary>About 3.3 MB of checkpoint (weights and Adam's two moments), so a save takes long enough to be cut.</summary>
[RnnModel(SequenceLength = 4)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, Optimizer = Optimizer.Adam, LearningRate = 0.01, BatchSize = 2)]
[Embedding(100, 32)]
[Lstm(256)]
[Dense(4, Activation = Activation.Softmax)]
public partial class Checkpointed;
