using System.Reflection;
using System.Runtime.Intrinsics;
using RnnCompiler.Kernels;
using Xunit;

namespace RnnCompiler.Tests.EndToEnd;

/// <summary>
/// The Emulate512 test build (configuration <c>Emulate512</c>, run by <c>.ci/run</c>) must really send the kernels down
/// their Vector512 path, or its run of the numeric tests would only repeat the normal one.
/// </summary>
public class VectorPathTests
{
    [Fact]
    public void The_kernels_take_the_Vector512_path_exactly_when_the_hardware_or_the_Emulate512_build_says_so()
    {
        PropertyInfo use512 = typeof(MatrixKernels).Assembly.GetType("RnnCompiler.Kernels.VectorPaths", throwOnError: true)!
            .GetProperty("Use512", BindingFlags.Public | BindingFlags.Static)!;
        bool taken = (bool)use512.GetValue(null)!;
#if RNN_EMULATE_VECTOR512
        Assert.True(taken);
#else
        Assert.Equal(Vector512.IsHardwareAccelerated, taken);
#endif
    }
}
