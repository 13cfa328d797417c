using System;
using BenchmarkDotNet.Attributes;
using RnnCompiler.Training;

namespace RnnCompiler.Benchmarks;

/// <summary>
/// What holds <c>Parallelism = 2</c> back: the training case's <c>ComputeGradients</c> of 16 sequences on one core, of 32
/// with <c>Parallelism = 2</c> (two shares of 16), and two independent models each computing 16 sequences at once on the
/// same <see cref="BatchWorkers"/> runner (no shared buffers, no gradient sum): if the last is as slow as the second, the
/// machine, not the model's code, limits two busy cores. All per sequence.
/// </summary>
public class ParallelScalingEmbedLstm128x10
{
    private const int Steps = 32;
    private const int Half = 16;
    private TrainEmbedLstm128x10 _model = null!;
    private TrainEmbedLstm128x10Parallel _parallel = null!;
    private BatchWorkers _independent = null!;
    private int[] _tokens = null!;
    private int[] _labels = null!;

    [GlobalSetup]
    public void GlobalSetup()
    {
        var random = new Random(5);
        _tokens = new int[2 * Half * Steps];
        for (int i = 0; i < _tokens.Length; i++) _tokens[i] = random.Next(1, TrainEmbedLstm128x10.VocabularySize);
        _labels = new int[2 * Half];
        for (int i = 0; i < _labels.Length; i++) _labels[i] = random.Next(TrainEmbedLstm128x10.OutputUnits);
        _model = new TrainEmbedLstm128x10();
        _parallel = new TrainEmbedLstm128x10Parallel();
        _model.Parameters.CopyTo(_parallel.Parameters);
        var first = new Share(new TrainEmbedLstm128x10(), _tokens, _labels, 0);
        var second = new Share(new TrainEmbedLstm128x10(), _tokens, _labels, Half);
        _model.Parameters.CopyTo(first.Model.Parameters);
        _model.Parameters.CopyTo(second.Model.Parameters);
        _independent = new BatchWorkers([first, second]);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Half, Description = "ComputeGradients, 16 sequences, one core (per sequence)")]
    public float OneCore() => _model.ComputeGradients(_tokens.AsSpan(0, Half * Steps), _labels.AsSpan(0, Half), Half);

    [Benchmark(OperationsPerInvoke = 2 * Half, Description = "ComputeGradients, 32 sequences, Parallelism = 2 (per sequence)")]
    public float Parallelism2() => _parallel.ComputeGradients(_tokens, _labels, 2 * Half);

    [Benchmark(OperationsPerInvoke = 2 * Half, Description = "Two models, 16 sequences each, on two cores (per sequence)")]
    public void TwoModels() => _independent.Run();

    [Benchmark(Description = "FMA peak, about 2^20 float MACs")]
    public float FmaPeak() => MachineLimits.Peak();

    /// <summary>One independent model's 16 sequences.</summary>
    private sealed class Share(TrainEmbedLstm128x10 model, int[] tokens, int[] labels, int first) : IBatchShare
    {
        public TrainEmbedLstm128x10 Model { get; } = model;

        public void Run() => Model.ComputeGradients(tokens.AsSpan(first * Steps, Half * Steps), labels.AsSpan(first, Half), Half);
    }
}
