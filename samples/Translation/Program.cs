using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using RnnCompiler;
using RnnCompiler.Training;

// An encoder-decoder with attention translates dates as people write them ("tuesday 3 march 2026", "03/03/26",
// "3rd of march, 2026") into ISO 8601 ("2026-03-03"). The encoder LSTM reads the source characters; its final state
// starts the decoder LSTM, which writes the ISO date one character at a time, each step reading the character before
// (greedy decoding) and attending to the encoder's output at every source character (Luong's dot attention).
var clock = Stopwatch.StartNew();
int epochs = args.Length > 0 && int.TryParse(args[0], out int given) ? given : 5;

// 1. Dates from 1950 to 2049 in eight formats, each date once: a held-out date is never trained on, in any format.
const int TrainCount = 30_000;
const int HeldOutCount = 4_000;
var random = new Random(2026);
var seen = new HashSet<DateTime>();
var dates = new List<(string Source, string Target)>();
while (dates.Count < TrainCount + HeldOutCount)
{
    DateTime date = new DateTime(1950, 1, 1).AddDays(random.Next(36_525));
    string source = Formats.Write(date, random.Next(Formats.Count));
    if (seen.Add(date))
    {
        dates.Add((source, date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
    }
}

var (trainSources, trainTargets) = Encode(dates.GetRange(0, TrainCount));
var (heldSources, heldTargets) = Encode(dates.GetRange(TrainCount, HeldOutCount));
var model = new DateTranslator();
model.InitializeWeights(seed: 11);
long updates = (long)epochs * ((TrainCount + DateTranslator.BatchSize - 1) / DateTranslator.BatchSize);
model.LearningRateSchedule = new CosineDecay(4e-3, updates, alpha: 0.02);
Console.WriteLine(DateTranslator.Summary);
Console.WriteLine($"{TrainCount:N0} training dates and {HeldOutCount:N0} held-out ones, written in {Formats.Count} ways; {epochs} epochs.");
Console.WriteLine();

// 2. Training with teacher forcing, one epoch at a time, each followed by the held-out exact-match accuracy of greedy
//    decoding (every character of the ISO date right).
double exact = 0;
for (int epoch = 1; epoch <= epochs; epoch++)
{
    FitResult fit = ModelTrainer.Fit(model, trainSources, trainTargets, TrainCount, DateTranslator.SequenceLength, new FitOptions(Epochs: 1, Seed: epoch));
    exact = ExactShare(model, heldSources, heldTargets, HeldOutCount);
    Console.WriteLine($"epoch {epoch,2}: loss {fit.History[0].Loss:F4}, held-out exact {exact:P2}  ({clock.Elapsed.TotalSeconds:F0} s)");
}

// 3. A few held-out dates, decoded.
Console.WriteLine();
var decoded = new int[DateTranslator.OutputSteps];
for (int s = 0; s < 12; s++)
{
    (string source, string target) = dates[TrainCount + s * 97];
    int length = model.Decode(Characters.Source(source), decoded);
    string iso = Characters.Target(decoded.AsSpan(0, length));
    Console.WriteLine($"{source,-30} → {iso,-10} {(iso == target ? "right" : $"wrong ({target})")}");
}

// 4. Where the decoder looked: the attention weights of a few held-out dates, drawn as an SVG picture.
string picture = System.IO.Path.Combine(AppContext.BaseDirectory, "attention.svg");
var sources = new List<string>();
var weights = new List<(float[] Weights, int SourceSteps, string Target)>();
var map = new float[DateTranslator.OutputSteps * DateTranslator.SequenceLength];
foreach (int s in new[] { 0, 3, 5, 8 })
{
    string source = dates[TrainCount + s * 97].Source;
    int length = model.Decode(Characters.Source(source), decoded);
    int sourceSteps = model.CopyAttentionWeights(map);
    sources.Add(source);
    weights.Add((map[..(DateTranslator.OutputSteps * sourceSteps)], sourceSteps, Characters.Target(decoded.AsSpan(0, length))));
}

System.IO.File.WriteAllText(picture, AttentionPicture.Svg(sources, weights));
Console.WriteLine();
Console.WriteLine($"Attention weights of {sources.Count} dates drawn in {picture}");

Console.WriteLine();
Console.WriteLine($"Held-out exact-match accuracy: {exact:P2} of {HeldOutCount:N0} dates never trained on. Done in {clock.Elapsed.TotalSeconds:F0} s.");
return exact >= 0.99 ? 0 : 1;

static (int[] Sources, int[] Targets) Encode(List<(string Source, string Target)> pairs)
{
    var sources = new int[pairs.Count * DateTranslator.SequenceLength];
    var targets = new int[pairs.Count * DateTranslator.OutputSteps];
    for (int s = 0; s < pairs.Count; s++)
    {
        Characters.Source(pairs[s].Source).CopyTo(sources, s * DateTranslator.SequenceLength);
        Characters.TargetTokens(pairs[s].Target).CopyTo(targets, s * DateTranslator.OutputSteps);
    }

    return (sources, targets);
}

static double ExactShare(DateTranslator model, int[] sources, int[] targets, int count)
{
    var decoded = new int[DateTranslator.OutputSteps];
    int exact = 0;
    for (int s = 0; s < count; s++)
    {
        int length = model.Decode(sources.AsSpan(s * DateTranslator.SequenceLength, DateTranslator.SequenceLength), decoded);
        ReadOnlySpan<int> target = targets.AsSpan(s * DateTranslator.OutputSteps, DateTranslator.OutputSteps);
        exact += length == 10 && decoded.AsSpan(0, 10).SequenceEqual(target.Slice(0, 10)) ? 1 : 0;
    }

    return (double)exact / count;
}

/// <summary>Attention weights as an SVG heat map: a grid per date, a row per ISO character, a column per source character.</summary>
internal static class AttentionPicture
{
    private const int Cell = 16;

    public static string Svg(List<string> sources, List<(float[] Weights, int SourceSteps, string Target)> maps)
    {
        var svg = new StringBuilder();
        int width = 40 + (DateTranslator.SequenceLength + 2) * Cell;
        int height = maps.Count * (DateTranslator.OutputSteps + 3) * Cell;
        svg.AppendLine(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"monospace\" font-size=\"11\">");
        svg.AppendLine("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        int top = 0;
        for (int m = 0; m < maps.Count; m++)
        {
            (float[] weights, int sourceSteps, string target) = maps[m];
            string source = sources[m];
            for (int j = 0; j < sourceSteps; j++)
            {
                // The source steps are the unmasked characters, in order: the whole text (it has no padding inside).
                svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{40 + j * Cell + 4}\" y=\"{top + Cell - 4}\">{Escape(source[j])}</text>");
            }

            for (int t = 0; t < target.Length; t++)
            {
                int y = top + (t + 1) * Cell;
                svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"20\" y=\"{y + Cell - 4}\">{Escape(target[t])}</text>");
                for (int j = 0; j < sourceSteps; j++)
                {
                    int shade = (int)Math.Round(255 * (1 - Math.Clamp(weights[t * sourceSteps + j], 0f, 1f)));
                    svg.AppendLine(CultureInfo.InvariantCulture, $"<rect x=\"{40 + j * Cell}\" y=\"{y}\" width=\"{Cell}\" height=\"{Cell}\" fill=\"rgb({shade},{shade},255)\"/>");
                }
            }

            top += (DateTranslator.OutputSteps + 3) * Cell;
        }

        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    private static string Escape(char c) => c switch
    {
        '<' => "&lt;",
        '>' => "&gt;",
        '&' => "&amp;",
        _ => c.ToString(),
    };
}

/// <summary>The ways people write a date, lower-cased as the model reads them.</summary>
internal static class Formats
{
    public const int Count = 8;

    private static readonly string[] Months = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

    private static readonly string[] Days = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

    public static string Write(DateTime date, int format)
    {
        string month = Months[date.Month - 1];
        string d = date.Day.ToString(CultureInfo.InvariantCulture);
        string yyyy = date.Year.ToString(CultureInfo.InvariantCulture);
        return format switch
        {
            0 => $"{Days[(int)date.DayOfWeek]} {d} {month} {yyyy}",                       // tuesday 3 march 2026
            1 => date.ToString("dd/MM/yy", CultureInfo.InvariantCulture),                  // 03/03/26
            2 => $"{d}{Suffix(date.Day)} of {month}, {yyyy}",                              // 3rd of march, 2026
            3 => $"{month} {d}, {yyyy}",                                                    // march 3, 2026
            4 => $"{d} {month[..3]} {yyyy}",                                               // 3 mar 2026
            5 => $"{d}.{date.Month}.{yyyy}",                                               // 3.3.2026
            6 => $"{Days[(int)date.DayOfWeek][..3]}, {month[..3]} {d} {yyyy}",             // tue, mar 3 2026
            _ => $"{yyyy}/{date.Month}/{d}",                                               // 2026/3/3
        };
    }

    private static string Suffix(int day) => (day % 10, day / 10) switch
    {
        (_, 1) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
}

/// <summary>The source characters (0 is padding) and the target tokens of the ISO date.</summary>
internal static class Characters
{
    private const string SourceAlphabet = " ,./-0123456789abcdefghijklmnopqrstuvwxyz";

    /// <summary>The source tokens: 0 for padding, then one per character of <see cref="SourceAlphabet"/>.</summary>
    public const int SourceCount = 42;

    /// <summary>The target tokens: '-' is 0, then the start and end tokens, then the digits.</summary>
    public const int TargetCount = 13;

    public static int[] Source(string text)
    {
        var tokens = new int[DateTranslator.SequenceLength];
        for (int i = 0; i < text.Length; i++)
        {
            tokens[i] = SourceAlphabet.IndexOf(text[i]) + 1;
        }

        return tokens;
    }

    /// <summary>The ISO date's tokens and the end token: the decoder's MaxLength of 11.</summary>
    public static int[] TargetTokens(string iso)
    {
        var tokens = new int[DateTranslator.OutputSteps];
        for (int i = 0; i < iso.Length; i++)
        {
            tokens[i] = iso[i] == '-' ? 0 : iso[i] - '0' + 3;
        }

        tokens[iso.Length] = DateTranslator.EndToken;
        return tokens;
    }

    public static string Target(ReadOnlySpan<int> tokens)
    {
        var text = new StringBuilder();
        foreach (int token in tokens)
        {
            text.Append(token == 0 ? '-' : token >= 3 ? (char)('0' + token - 3) : '?');
        }

        return text.ToString();
    }
}

/// <summary>
/// The encoder reads up to 30 source characters (0 is padding, masked) and returns its output at each; its final state
/// starts the decoder, which writes the ten characters of the ISO date and the end token, one per step, each step's
/// output joined to its attention context over the source before the output layer.
/// </summary>
[RnnModel(SequenceLength = 30)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, Optimizer = Optimizer.Adam, LearningRate = 4e-3, BatchSize = 32, ClipNorm = 1)]
[Embedding(Characters.SourceCount, 24, MaskZero = true)]
[Lstm(128, ReturnSequences = true)]
[Decoder(Characters.TargetCount, 12, MaxLength = 11, StartToken = 1, EndToken = 2)]
[Lstm(128, ReturnSequences = true)]
[Attention(AttentionScore.Dot)]
[Dense(Characters.TargetCount, Activation = Activation.Softmax)]
public partial class DateTranslator;
