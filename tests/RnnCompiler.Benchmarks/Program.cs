using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// --warm-up [launches]: the first calls of fresh processes (WarmUp.cs), which BenchmarkDotNet's warmed-up runs leave out.
if (args is ["--warm-up", ..])
{
    return RnnCompiler.Benchmarks.WarmUp.Run(args);
}

if (args is ["--warm-up-child", string model])
{
    return RnnCompiler.Benchmarks.WarmUp.Child(model);
}

// A short job (3 warm-up and 10 measured iterations, one process) so that the whole suite takes a few minutes on two
// cores. In-process: no nested build of a generated project, and the JIT sees the same code the tests run.
var job = Job.Default
    .WithWarmupCount(3)
    .WithIterationCount(10)
    .WithLaunchCount(1)
    .WithToolchain(InProcessEmitToolchain.Instance)
    .WithId("Short");
var config = DefaultConfig.Instance
    .AddJob(job)
    .AddDiagnoser(MemoryDiagnoser.Default)
    .AddColumn(BenchmarkDotNet.Columns.StatisticColumn.Min)
    .WithOptions(ConfigOptions.DisableOptimizationsValidator);
BenchmarkSwitcher.FromAssembly(typeof(RnnCompiler.Benchmarks.MachineLimits).Assembly).Run(args, config);
return 0;
