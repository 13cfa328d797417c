using System;
using System.Runtime.CompilerServices;

namespace RnnCompiler.Decoding;

/// <summary>
/// Beam search over a decoder's steps: keeps the <see cref="Width"/> most probable partial outputs (beams), extends each
/// by every token at each step, and keeps the most probable extensions; one that ends with <see cref="EndToken"/> or
/// reaches <see cref="MaxLength"/> becomes a hypothesis. The caller runs the model: it feeds each live beam's
/// <see cref="LastTokens"/> to its decoder, gives the next-token probabilities to <see cref="Advance"/>, and reorders its
/// decoder states by the parents <see cref="Advance"/> returns. Nothing is allocated after construction.
/// </summary>
/// <remarks>
/// <para>
/// A hypothesis's score is the sum of the logarithms of its tokens' probabilities, the end token included, divided by
/// <c>length^LengthPenalty</c> (0, the default: no normalization; about 0.6 to 1 favours longer outputs, which the sum
/// alone penalizes). Among equal scores the lower beam, then the lower token, wins, so the result depends only on the
/// probabilities. With <see cref="Width"/> 1 and no length penalty the search is greedy decoding. A wider beam can lose the greedy output
/// when it prunes its prefix; <see cref="Offer"/> adds that output (or any other) to the hypotheses the
/// <see cref="Result"/> is chosen from, so the result is never worse than it.
/// </para>
/// <para>
/// Each step keeps the <see cref="Width"/> best extensions that do not end, so that hypotheses ending do not narrow the
/// beam; an ending extension becomes a hypothesis when it is among the <see cref="Width"/> best of its step. The search
/// is done when no live beam can beat the best hypothesis any more (a beam's sum of logarithms only falls, so its
/// normalized score is at most that sum over <c>MaxLength^LengthPenalty</c>), which stopping earlier cannot change.
/// </para>
/// </remarks>
public sealed class BeamSearch
{
    private readonly int[] _tokens;
    private readonly int[] _nextTokens;
    private readonly double[] _scores;
    private readonly double[] _nextScores;
    private readonly int[] _last;
    private readonly int[] _candidateBeam;
    private readonly int[] _candidateToken;
    private readonly double[] _candidateScore;
    private readonly int[] _finishedTokens;
    private readonly int[] _finishedLengths;
    private readonly double[] _finishedNormalized;
    private int _live;
    private int _length;
    private int _finished;

    /// <summary>Creates a search; <see cref="Reset"/> is done.</summary>
    /// <param name="width">The beams kept at each step, 1 (greedy) to 1,024.</param>
    /// <param name="vocabulary">The tokens a step chooses from, at least 1.</param>
    /// <param name="maxLength">The most tokens an output has, the end token included; 1 to 65,536.</param>
    /// <param name="endToken">The token that ends an output, in [0, vocabulary).</param>
    /// <param name="lengthPenalty">α in <c>score / length^α</c>, from 0 to 10.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range.</exception>
    public BeamSearch(int width, int vocabulary, int maxLength, int endToken, double lengthPenalty = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, 1024);
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabulary, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxLength, 65_536);
        if ((uint)endToken >= (uint)vocabulary)
        {
            throw new ArgumentOutOfRangeException(nameof(endToken), endToken, $"Expected a token in [0, {vocabulary}).");
        }

        if (!(lengthPenalty >= 0 && lengthPenalty <= 10))
        {
            throw new ArgumentOutOfRangeException(nameof(lengthPenalty), lengthPenalty, "Expected a length penalty from 0 to 10.");
        }

        Width = width;
        Vocabulary = vocabulary;
        MaxLength = maxLength;
        EndToken = endToken;
        LengthPenalty = lengthPenalty;
        _tokens = new int[width * maxLength];
        _nextTokens = new int[width * maxLength];
        _scores = new double[width];
        _nextScores = new double[width];
        _last = new int[width];
        // Twice the width: the best Width that do not end are live even when others end on this step.
        _candidateBeam = new int[2 * width];
        _candidateToken = new int[2 * width];
        _candidateScore = new double[2 * width];

        // The hypotheses: at most Width end on a step, at most Width reach MaxLength, and one more may be offered.
        int kept = (2 * width) + 1;
        _finishedTokens = new int[kept * maxLength];
        _finishedLengths = new int[kept];
        _finishedNormalized = new double[kept];
        Reset();
    }

    /// <summary>The beams kept at each step.</summary>
    public int Width { get; }

    /// <summary>The tokens a step chooses from.</summary>
    public int Vocabulary { get; }

    /// <summary>The most tokens an output has, the end token included.</summary>
    public int MaxLength { get; }

    /// <summary>The token that ends an output.</summary>
    public int EndToken { get; }

    /// <summary>α in <c>score / length^α</c>.</summary>
    public double LengthPenalty { get; }

    /// <summary>The beams still being extended: 1 after <see cref="Reset"/>, 0 when the search is done.</summary>
    public int LiveBeams => _live;

    /// <summary>The steps taken since <see cref="Reset"/>: the length of every live beam.</summary>
    public int Length => _length;

    /// <summary>Whether no beam is live: <see cref="Result"/> is final.</summary>
    public bool IsDone => _live == 0;

    /// <summary>The token each live beam ended with at the last step, [LiveBeams]; empty before the first step (feed the start token).</summary>
    public ReadOnlySpan<int> LastTokens => _length == 0 ? default : _last.AsSpan(0, _live);

    /// <summary>Starts over: one live beam, empty, score 0; no hypothesis.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Reset()
    {
        _live = 1;
        _length = 0;
        _finished = 0;
        _scores[0] = 0;
    }

    /// <summary>
    /// One step: extends every live beam by every token with the probabilities given, keeps the <see cref="Width"/>
    /// best extensions that do not end, and returns how many stay live (0 when no live beam can beat the best hypothesis);
    /// an extension that ends with <see cref="EndToken"/> or reaches <see cref="MaxLength"/> becomes a hypothesis.
    /// </summary>
    /// <param name="probabilities">The next-token probabilities of each live beam, [LiveBeams, Vocabulary] (a Softmax output).</param>
    /// <param name="parents">Receives, for each beam now live, the beam (before this step) it extends, [at least the returned count]: reorder the decoder states by it.</param>
    /// <returns>The beams now live, 0 when the search is done.</returns>
    /// <exception cref="InvalidOperationException">The search is done.</exception>
    /// <exception cref="ArgumentException">A length is wrong, or a probability is negative or not finite; nothing has changed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Advance(ReadOnlySpan<float> probabilities, Span<int> parents)
    {
        if (_live == 0)
        {
            throw new InvalidOperationException("The search is done; call Reset to start another.");
        }

        if (probabilities.Length != _live * Vocabulary)
        {
            throw new ArgumentException($"Expected {_live} beams × {Vocabulary} tokens = {_live * Vocabulary} probabilities; got {probabilities.Length}.", nameof(probabilities));
        }

        if (parents.Length < Math.Min(Width, _live * Vocabulary))
        {
            throw new ArgumentException($"Expected room for {Math.Min(Width, _live * Vocabulary)} parents; got {parents.Length}.", nameof(parents));
        }

        foreach (float p in probabilities)
        {
            if (!(p >= 0 && p <= float.MaxValue))
            {
                throw new ArgumentException($"Expected probabilities, finite and not negative; got {p}.", nameof(probabilities));
            }
        }

        // The 2·Width best extensions, best first: higher score, then lower beam, then lower token.
        int capacity = _candidateScore.Length;
        int count = 0;
        for (int b = 0; b < _live; b++)
        {
            ReadOnlySpan<float> row = probabilities.Slice(b * Vocabulary, Vocabulary);
            for (int token = 0; token < Vocabulary; token++)
            {
                if (row[token] == 0)
                {
                    continue;
                }

                double score = _scores[b] + Math.Log(row[token]);
                if (count == capacity && !(score > _candidateScore[count - 1]))
                {
                    continue;
                }

                int at = count == capacity ? count - 1 : count++;
                while (at > 0 && score > _candidateScore[at - 1])
                {
                    _candidateScore[at] = _candidateScore[at - 1];
                    _candidateBeam[at] = _candidateBeam[at - 1];
                    _candidateToken[at] = _candidateToken[at - 1];
                    at--;
                }

                _candidateScore[at] = score;
                _candidateBeam[at] = b;
                _candidateToken[at] = token;
            }
        }

        // Best first: an extension among the Width best that ends (or reaches MaxLength) is a hypothesis; the best
        // Width that do not end stay live.
        int length = _length + 1;
        int live = 0;
        for (int c = 0; c < count && live < Width; c++)
        {
            int parent = _candidateBeam[c];
            int token = _candidateToken[c];
            ReadOnlySpan<int> prefix = _tokens.AsSpan(parent * MaxLength, _length);
            if (token == EndToken || length == MaxLength)
            {
                if (c < Width)
                {
                    AddHypothesis(prefix, token, _candidateScore[c]);
                }

                continue;
            }

            prefix.CopyTo(_nextTokens.AsSpan(live * MaxLength));
            _nextTokens[(live * MaxLength) + _length] = token;
            _nextScores[live] = _candidateScore[c];
            _last[live] = token;
            parents[live] = parent;
            live++;
        }

        _nextTokens.AsSpan(0, live * MaxLength).CopyTo(_tokens);
        _nextScores.AsSpan(0, live).CopyTo(_scores);
        _length = length;

        // Done when no live beam can beat the best hypothesis: a live beam's sum of logarithms only falls, and its
        // normalized score is at best that sum over MaxLength^LengthPenalty.
        _live = live > 0 && BestNormalized() >= Normalize(_scores[0], MaxLength) ? 0 : live;
        return _live;
    }

    /// <summary>
    /// Adds a complete output found elsewhere (greedy decoding's, say) to the hypotheses <see cref="Result"/> chooses from.
    /// </summary>
    /// <param name="tokens">Its tokens, the end token included if it has one; 1 to <see cref="MaxLength"/> of them.</param>
    /// <param name="logProbability">The sum of the logarithms of its tokens' probabilities.</param>
    /// <exception cref="ArgumentException">The tokens are empty, too many or out of range, or the score is not finite; nothing has changed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Offer(ReadOnlySpan<int> tokens, double logProbability)
    {
        if (tokens.IsEmpty || tokens.Length > MaxLength)
        {
            throw new ArgumentException($"Expected 1 to {MaxLength} tokens; got {tokens.Length}.", nameof(tokens));
        }

        foreach (int token in tokens)
        {
            if ((uint)token >= (uint)Vocabulary)
            {
                throw new ArgumentException($"Expected tokens in [0, {Vocabulary}); got {token}.", nameof(tokens));
            }
        }

        if (!double.IsFinite(logProbability) || logProbability > 0)
        {
            throw new ArgumentException($"Expected a finite sum of log-probabilities, at most 0; got {logProbability}.", nameof(logProbability));
        }

        AddHypothesis(tokens.Slice(0, tokens.Length - 1), tokens[^1], logProbability);
    }

    /// <summary>
    /// The best hypothesis so far by its normalized score: its tokens (the end token included if it ended) and its score.
    /// </summary>
    /// <param name="tokens">Receives the tokens; <see cref="MaxLength"/> is always enough.</param>
    /// <param name="score">Its normalized score, <c>Σ log p / length^LengthPenalty</c>.</param>
    /// <returns>The number of tokens written; 0 when there is no hypothesis yet.</returns>
    /// <exception cref="ArgumentException"><paramref name="tokens"/> is shorter than the best hypothesis.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Result(Span<int> tokens, out double score)
    {
        score = double.NegativeInfinity;
        int best = -1;
        for (int h = 0; h < _finished; h++)
        {
            if (_finishedNormalized[h] > score)
            {
                score = _finishedNormalized[h];
                best = h;
            }
        }

        if (best < 0)
        {
            return 0;
        }

        int length = _finishedLengths[best];
        if (tokens.Length < length)
        {
            throw new ArgumentException($"Expected room for {length} tokens; got {tokens.Length}.", nameof(tokens));
        }

        _finishedTokens.AsSpan(best * MaxLength, length).CopyTo(tokens);
        return length;
    }

    /// <summary>The best normalized score of the hypotheses, or −∞.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private double BestNormalized()
    {
        double best = double.NegativeInfinity;
        for (int h = 0; h < _finished; h++)
        {
            best = Math.Max(best, _finishedNormalized[h]);
        }

        return best;
    }

    /// <summary><c>logProbability / length^LengthPenalty</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private double Normalize(double logProbability, int length) =>
        LengthPenalty == 0 ? logProbability : logProbability / Math.Pow(length, LengthPenalty);

    /// <summary>Keeps a hypothesis if it is among the best <c>2·Width + 1</c> by normalized score (the worst kept one makes room).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AddHypothesis(ReadOnlySpan<int> prefix, int last, double logProbability)
    {
        int length = prefix.Length + 1;
        double normalized = Normalize(logProbability, length);
        int slot = _finished;
        if (_finished == _finishedLengths.Length)
        {
            slot = 0;
            for (int h = 1; h < _finished; h++)
            {
                if (_finishedNormalized[h] < _finishedNormalized[slot])
                {
                    slot = h;
                }
            }

            if (!(normalized > _finishedNormalized[slot]))
            {
                return;
            }
        }
        else
        {
            _finished++;
        }

        prefix.CopyTo(_finishedTokens.AsSpan(slot * MaxLength));
        _finishedTokens[(slot * MaxLength) + prefix.Length] = last;
        _finishedLengths[slot] = length;
        _finishedNormalized[slot] = normalized;
    }
}
