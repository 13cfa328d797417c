// The encoder-decoder of samples/Translation (dates as people write them → ISO 8601), declared again here: the sample
// is a program, not a library, so its model and its date text cannot be referenced.
using System;
using System.Globalization;

namespace RnnCompiler.Benchmarks;

/// <summary>
/// samples/Translation's <c>DateTranslator</c>: source characters (0 is padding, masked) → Embedding 24 → LSTM 128 (its
/// output at every real step, and its final h and c) → a decoder of 11 steps reading target tokens through Embedding 12 →
/// LSTM 128 (from the encoder's final state) → dot attention over the encoder's outputs, [h, context] 256 wide → Dense 13
/// softmax. Trained with teacher forcing, sparse categorical cross-entropy over all 11 steps, Adam 4e-3, ClipNorm 1.
/// </summary>
[RnnModel(SequenceLength = 30)]
[Train(Loss = Loss.SparseCategoricalCrossentropy, Optimizer = Optimizer.Adam, LearningRate = 4e-3, BatchSize = 32, ClipNorm = 1)]
[Embedding(DateText.SourceCount, 24, MaskZero = true)]
[Lstm(128, ReturnSequences = true)]
[Decoder(DateText.TargetCount, 12, MaxLength = 11, StartToken = 1, EndToken = 2)]
[Lstm(128, ReturnSequences = true)]
[Attention(AttentionScore.Dot)]
[Dense(DateText.TargetCount, Activation = Activation.Softmax)]
public partial class TranslationBench;

/// <summary>
/// Date pairs encoded as samples/Translation encodes them: the source text's characters as tokens 1 to 41 (0 pads the
/// rest of the 30 steps), the ISO date's ten characters as target tokens ('-' is 0, the digits 3 to 12) and the end token.
/// </summary>
internal static class DateText
{
    /// <summary>The source characters; a character's token is its index + 1.</summary>
    public const string SourceAlphabet = " ,./-0123456789abcdefghijklmnopqrstuvwxyz";

    /// <summary>Source tokens: 0 (padding) and one per character of <see cref="SourceAlphabet"/>.</summary>
    public const int SourceCount = 42;

    /// <summary>Target tokens: '-' (0), the start (1) and end (2) tokens, the digits (3 to 12).</summary>
    public const int TargetCount = 13;

    private static readonly string[] Months = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

    private static readonly string[] Days = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

    /// <summary>The source tokens of <paramref name="text"/>, padded with zeros to <see cref="TranslationBench.SequenceLength"/>.</summary>
    public static int[] Source(string text)
    {
        var tokens = new int[TranslationBench.SequenceLength];
        for (int i = 0; i < text.Length; i++)
        {
            int index = SourceAlphabet.IndexOf(text[i], StringComparison.Ordinal);
            if (index < 0) throw new ArgumentException($"'{text[i]}' is not a source character.", nameof(text));
            tokens[i] = index + 1;
        }

        return tokens;
    }

    /// <summary>The ISO date's ten target tokens, then the end token.</summary>
    public static int[] Target(DateTime date)
    {
        string iso = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var tokens = new int[TranslationBench.OutputSteps];
        for (int i = 0; i < iso.Length; i++) tokens[i] = iso[i] == '-' ? 0 : iso[i] - '0' + 3;
        tokens[iso.Length] = TranslationBench.EndToken;
        return tokens;
    }

    /// <summary>
    /// <paramref name="count"/> random dates from 1950 to 2049, each in one of the sample's eight formats (drawn at random),
    /// as [count, 30] source tokens and [count, 11] target tokens; the same for a given seed.
    /// </summary>
    public static (int[] Sources, int[] Targets) Pairs(int count, int seed)
    {
        var random = new Random(seed);
        var sources = new int[count * TranslationBench.SequenceLength];
        var targets = new int[count * TranslationBench.OutputSteps];
        for (int s = 0; s < count; s++)
        {
            DateTime date = new DateTime(1950, 1, 1).AddDays(random.Next(36_525));
            Source(Write(date, random.Next(8))).CopyTo(sources, s * TranslationBench.SequenceLength);
            Target(date).CopyTo(targets, s * TranslationBench.OutputSteps);
        }

        return (sources, targets);
    }

    /// <summary>The sample's eight ways of writing a date, lower-cased.</summary>
    public static string Write(DateTime date, int format)
    {
        string month = Months[date.Month - 1];
        string d = date.Day.ToString(CultureInfo.InvariantCulture);
        string yyyy = date.Year.ToString(CultureInfo.InvariantCulture);
        string m = date.Month.ToString(CultureInfo.InvariantCulture);
        string suffix = (date.Day % 10, date.Day / 10) switch
        {
            (_, 1) => "th",
            (1, _) => "st",
            (2, _) => "nd",
            (3, _) => "rd",
            _ => "th",
        };
        return format switch
        {
            0 => $"{Days[(int)date.DayOfWeek]} {d} {month} {yyyy}",           // tuesday 3 march 2026
            1 => date.ToString("dd/MM/yy", CultureInfo.InvariantCulture),      // 03/03/26
            2 => $"{d}{suffix} of {month}, {yyyy}",                            // 3rd of march, 2026
            3 => $"{month} {d}, {yyyy}",                                       // march 3, 2026
            4 => $"{d} {month[..3]} {yyyy}",                                   // 3 mar 2026
            5 => $"{d}.{m}.{yyyy}",                                            // 3.3.2026
            6 => $"{Days[(int)date.DayOfWeek][..3]}, {month[..3]} {d} {yyyy}", // tue, mar 3 2026
            _ => $"{yyyy}/{m}/{d}",                                            // 2026/3/3
        };
    }

    /// <summary>The number of real (non-zero) tokens of each source, [count].</summary>
    public static int[] Lengths(ReadOnlySpan<int> sources, int count)
    {
        var lengths = new int[count];
        int steps = sources.Length / count;
        for (int s = 0; s < count; s++)
        {
            foreach (int token in sources.Slice(s * steps, steps)) lengths[s] += token != 0 ? 1 : 0;
        }

        return lengths;
    }
}
