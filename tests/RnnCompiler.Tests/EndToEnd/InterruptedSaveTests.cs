using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using Xunit;
using Xunit.Abstractions;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>
/// <c>SaveCheckpoint(path)</c> killed at random moments: a child process (tests/RnnCompiler.SaveUnderKill) saves
/// three different states to one path in a loop and is killed with SIGKILL 60 times: half at a random delay after it
/// starts, half at a random moment after its second save, so kills land in the first save and in later ones. After every kill the path must hold, byte for byte, one of the three checkpoints (never a mix, a cut file
/// or nothing), and the temporary files that kills leave are removed by the next save.
/// </summary>
[Trait("Category", "Process")]
public class InterruptedSaveTests(ITestOutputHelper output)
{
    private const int Kills = 60;

    [Fact]
    public void A_save_killed_at_any_moment_leaves_the_path_holding_a_whole_checkpoint()
    {
        string directory = Directory.CreateTempSubdirectory("rnn-kill-").FullName;
        try
        {
            Assert.Equal(0, RunToEnd("expected", directory));
            byte[][] expected = Enumerable.Range(0, 3).Select(state => File.ReadAllBytes(Path.Combine(directory, $"state-{state}.ckpt"))).ToArray();
            Assert.Equal(3, expected.Select(Convert.ToBase64String).Distinct().Count());

            string path = Path.Combine(directory, "model.ckpt");
            Assert.Equal(0, RunToEnd("once", path, "0"));
            var random = new Random(20_261_207);
            int[] found = new int[3];
            int withTemporaries = 0;
            for (int kill = 0; kill < Kills; kill++)
            {
                using Process child = Start("loop", path);
                Assert.Equal("ready", child.StandardOutput.ReadLine());
                if (kill % 2 == 1)
                {
                    // Every other kill waits for two whole saves (states 0 and 1), then lands at a random moment of the
                    // saves that follow, however long a save takes on this machine and vector path.
                    var timer = Stopwatch.StartNew();
                    Assert.Equal("saved 1", child.StandardOutput.ReadLine());
                    long saveMilliseconds = Math.Max(1, timer.ElapsedMilliseconds);
                    Assert.Equal("saved 2", child.StandardOutput.ReadLine());
                    Thread.Sleep(random.Next(0, (int)Math.Min(2 * saveMilliseconds, 2_000)));
                }
                else
                {
                    Thread.Sleep(random.Next(0, 120));
                }

                child.Kill();
                child.WaitForExit();

                byte[] held = File.ReadAllBytes(path);
                int state = Array.FindIndex(expected, candidate => candidate.AsSpan().SequenceEqual(held));
                Assert.True(state >= 0, $"kill {kill}: the path holds {held.Length} bytes that are none of the three checkpoints");
                found[state]++;
                withTemporaries += Directory.GetFiles(directory, ".model.ckpt.*.tmp").Length > 0 ? 1 : 0;
            }

            // The next save removes what the kills left.
            Assert.Equal(0, RunToEnd("once", path, "1"));
            Assert.Empty(Directory.GetFiles(directory, ".model.ckpt.*.tmp"));
            Assert.Equal(expected[1], File.ReadAllBytes(path));

            output.WriteLine($"{Kills} kills of a {expected[0].Length:N0}-byte checkpoint save: the path held states {found[0]}, {found[1]}, {found[2]} times; "
                + $"{withTemporaries} kills left a temporary file, removed by the next save.");

            // The kills landed while saves were running, not only before the first one.
            Assert.True(found[1] + found[2] > 0, "no kill came after a completed save");
            Assert.True(withTemporaries > 0, "no kill interrupted a save mid-write");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static int RunToEnd(params string[] arguments)
    {
        using Process child = Start(arguments);
        child.WaitForExit();
        return child.ExitCode;
    }

    private static Process Start(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "RnnCompiler.SaveUnderKill.dll"));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("dotnet could not be started");
    }
}
