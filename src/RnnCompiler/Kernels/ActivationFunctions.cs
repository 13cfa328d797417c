using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace RnnCompiler.Kernels;

/// <summary>
/// An activation as a type, so a layer's fused loops are compiled once per activation (the JIT specializes them for
/// each struct) and the function and its derivative inline: LSTM and GRU take their <c>activation</c> and
/// <c>recurrent_activation</c> as two of these.
/// </summary>
internal interface IActivationFunction
{
    /// <summary>The activation of every lane.</summary>
    static abstract TVector Invoke<TVector, T>(TVector x)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>;

    /// <summary>
    /// The chain rule through the activation: <paramref name="gradient"/> (dL/dy) times the derivative at the point whose
    /// activation is <paramref name="y"/>, from the output alone. Sigmoid multiplies as <c>(g · y) · (1 − y)</c> and tanh
    /// as <c>g · (1 − y²)</c>, the order the layers' backward passes have always used.
    /// </summary>
    static abstract TVector Chain<TVector, T>(TVector gradient, TVector y)
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>;
}

/// <summary>
/// The code of one layer step, compiled for one pair of activations: <see cref="Activations.Dispatch{TKernel}"/> picks
/// the pair from the declared values and calls <see cref="Run{TCell, TGate}"/> with it.
/// </summary>
internal interface IActivationPairKernel
{
    /// <summary>Runs with <typeparamref name="TCell"/> as Keras's <c>activation</c> and <typeparamref name="TGate"/> as its <c>recurrent_activation</c>.</summary>
    void Run<TCell, TGate>()
        where TCell : struct, IActivationFunction
        where TGate : struct, IActivationFunction;
}

public static partial class Activations
{
    /// <summary>
    /// Calls <paramref name="kernel"/>'s <see cref="IActivationPairKernel.Run{TCell, TGate}"/> with the types of
    /// <paramref name="cell"/> and <paramref name="gate"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Either is Softmax or not an activation.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Dispatch<TKernel>(ref TKernel kernel, Activation cell, Activation gate)
        where TKernel : struct, IActivationPairKernel, allows ref struct
    {
        switch (gate)
        {
            case Activation.Sigmoid: DispatchCell<TKernel, SigmoidFunction>(ref kernel, cell); break;
            case Activation.HardSigmoid: DispatchCell<TKernel, HardSigmoidFunction>(ref kernel, cell); break;
            case Activation.HardSigmoidKeras2: DispatchCell<TKernel, HardSigmoidKeras2Function>(ref kernel, cell); break;
            case Activation.Tanh: DispatchCell<TKernel, TanhFunction>(ref kernel, cell); break;
            case Activation.Relu: DispatchCell<TKernel, ReluFunction>(ref kernel, cell); break;
            case Activation.Linear: DispatchCell<TKernel, LinearFunction>(ref kernel, cell); break;
            default: throw new ArgumentOutOfRangeException(nameof(gate), gate, "A recurrent layer's gates take Sigmoid, HardSigmoid, HardSigmoidKeras2, Tanh, Relu or Linear.");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DispatchCell<TKernel, TGate>(ref TKernel kernel, Activation cell)
        where TKernel : struct, IActivationPairKernel, allows ref struct
        where TGate : struct, IActivationFunction
    {
        switch (cell)
        {
            case Activation.Tanh: kernel.Run<TanhFunction, TGate>(); break;
            case Activation.Sigmoid: kernel.Run<SigmoidFunction, TGate>(); break;
            case Activation.HardSigmoid: kernel.Run<HardSigmoidFunction, TGate>(); break;
            case Activation.HardSigmoidKeras2: kernel.Run<HardSigmoidKeras2Function, TGate>(); break;
            case Activation.Relu: kernel.Run<ReluFunction, TGate>(); break;
            case Activation.Linear: kernel.Run<LinearFunction, TGate>(); break;
            default: throw new ArgumentOutOfRangeException(nameof(cell), cell, "A recurrent layer's activation is Tanh, Sigmoid, HardSigmoid, HardSigmoidKeras2, Relu or Linear.");
        }
    }

    /// <summary><paramref name="gradient"/> through <typeparamref name="TFunction"/> at the output <paramref name="y"/>, one lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static T Chain<TFunction, T>(T gradient, T y)
        where TFunction : struct, IActivationFunction
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        => TFunction.Chain<Scalar<T>, T>(Scalar<T>.Create(gradient), Scalar<T>.Create(y)).Value;

    /// <summary>
    /// <paramref name="gradient"/> through <paramref name="activation"/> at the output <paramref name="y"/>, one lane, the
    /// activation picked per call: for scalar loops too small to dispatch once through <see cref="Dispatch{TKernel}"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="activation"/> is Softmax or not an activation.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static T Chain<T>(Activation activation, T gradient, T y)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        => activation switch
        {
            Activation.Sigmoid => Chain<SigmoidFunction, T>(gradient, y),
            Activation.HardSigmoid => Chain<HardSigmoidFunction, T>(gradient, y),
            Activation.HardSigmoidKeras2 => Chain<HardSigmoidKeras2Function, T>(gradient, y),
            Activation.Tanh => Chain<TanhFunction, T>(gradient, y),
            Activation.Relu => Chain<ReluFunction, T>(gradient, y),
            Activation.Linear => gradient,
            _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Expected an element-wise activation."),
        };

    /// <summary>Multiplies <paramref name="gradients"/> by the derivative of <paramref name="activation"/> at the points whose outputs are <paramref name="outputs"/>, element-wise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MultiplyByDerivative<T>(Activation activation, ReadOnlySpan<T> outputs, Span<T> gradients)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        switch (activation)
        {
            case Activation.Linear: break;
            case Activation.Tanh: MapDerivative<TanhFunction, T>(outputs, gradients); break;
            case Activation.Sigmoid: MapDerivative<SigmoidFunction, T>(outputs, gradients); break;
            case Activation.Relu: MapDerivative<ReluFunction, T>(outputs, gradients); break;
            case Activation.HardSigmoid: MapDerivative<HardSigmoidFunction, T>(outputs, gradients); break;
            case Activation.HardSigmoidKeras2: MapDerivative<HardSigmoidKeras2Function, T>(outputs, gradients); break;
            default: throw new ArgumentOutOfRangeException(nameof(activation), activation, "Expected an element-wise activation.");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MapDerivative<TFunction, T>(ReadOnlySpan<T> outputs, Span<T> gradients)
        where TFunction : struct, IActivationFunction
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int count = gradients.Length;
        if (outputs.Length < count)
        {
            throw new ArgumentException($"The outputs need {count} elements; they have {outputs.Length}.", nameof(outputs));
        }

        int i = 0;
        ref T y = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(outputs);
        ref T g = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(gradients);
        if (VectorPaths.Use512 && System.Runtime.Intrinsics.Vector512<T>.IsSupported)
        {
            i = MapDerivativeColumns<TFunction, Simd512<T>, T>(ref y, ref g, count, i);
        }

        if (System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated && System.Runtime.Intrinsics.Vector256<T>.IsSupported)
        {
            i = MapDerivativeColumns<TFunction, Simd256<T>, T>(ref y, ref g, count, i);
        }

        if (System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated && System.Runtime.Intrinsics.Vector128<T>.IsSupported)
        {
            i = MapDerivativeColumns<TFunction, Simd128<T>, T>(ref y, ref g, count, i);
        }

        MapDerivativeColumns<TFunction, Scalar<T>, T>(ref y, ref g, count, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int MapDerivativeColumns<TFunction, TVector, T>(ref T y, ref T g, int count, int i)
        where TFunction : struct, IActivationFunction
        where TVector : struct, ISimdVector<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (; i + TVector.Count <= count; i += TVector.Count)
        {
            nuint o = (nuint)i;
            TVector.Store(TFunction.Chain<TVector, T>(TVector.Load(ref g, o), TVector.Load(ref y, o)), ref g, o);
        }

        return i;
    }

    /// <summary>σ; σ' = y (1 − y).</summary>
    internal readonly struct SigmoidFunction : IActivationFunction, IUnaryOperation
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Invoke<TVector, T>(TVector x)
            where TVector : struct, ISimdVector<TVector, T>
            where T : unmanaged, IBinaryFloatingPointIeee754<T>
            => Sigmoid<TVector, T>(x);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Chain<TVector, T>(TVector gradient, TVector y)
            where TVector : struct, ISimdVector<TVector, T>
            where T : unmanaged, IBinaryFloatingPointIeee754<T>
            => TVector.Multiply(TVector.Multiply(gradient, y), TVector.Subtract(TVector.Create(T.One), y));
    }

    /// <summary>tanh; tanh' = 1 − y².</summary>
    internal readonly struct TanhFunction : IActivationFunction, IUnaryOperation
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Invoke<TVector, T>(TVector x)
            where TVector : struct, ISimdVector<TVector, T>
            where T : unmanaged, IBinaryFloatingPointIeee754<T>
            => Tanh<TVector, T>(x);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Chain<TVector, T>(TVector gradient, TVector y)
            where TVector : struct, ISimdVector<TVector, T>
            where T : unmanaged, IBinaryFloatingPointIeee754<T>
            => TVector.Multiply(gradient, TVector.Subtract(TVector.Create(T.One), TVector.Multiply(y, y)));
    }

    /// <summary>max(0, x), NaN kept; the derivative is 1 where the output is positive, 0 elsewhere (0 at 0, as TensorFlow and PyTorch).</summary>
    internal readonly struct ReluFunction : IActivationFunction, IUnaryOperation
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Invoke<TVector, T>(TVector x)
            where TVector : struct, ISimdVector<TVector, T>
            where T : unmanaged, IBinaryFloatingPointIeee754<T>
            => TVector.MaxWithLimit(x, TVector.Create(T.Zero));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Chain<TVector, T>(TVector gradient, TVector y)
            where TVector : struct, ISimdVector<TVector, T>
            where T : unmanaged, IBinaryFloatingPointIeee754<T>
            => TVector.WherePositive(y, gradient);
    }

    /// <summary>The identity; derivative 1.</summary>
    internal readonly struct LinearFunction : IActivationFunction, IUnaryOperation
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Invoke<TVector, T>(TVector x)
            where TVector : struct, ISimdVector<TVector, T>
            where T : unmanaged, IBinaryFloatingPointIeee754<T>
            => x;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Chain<TVector, T>(TVector gradient, TVector y)
            where TVector : struct, ISimdVector<TVector, T>
            where T : unmanaged, IBinaryFloatingPointIeee754<T>
            => gradient;
    }

    /// <summary>Keras 3's hard sigmoid; the derivative is 1/6 where the output is strictly between 0 and 1, else 0.</summary>
    internal readonly struct HardSigmoidFunction : IActivationFunction, IUnaryOperation
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Invoke<TVector, T>(TVector x)
            where TVector : struct, ISimdVector<TVector, T>
            where T : unmanaged, IBinaryFloatingPointIeee754<T>
            => HardSigmoid<TVector, T>(x);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Chain<TVector, T>(TVector gradient, TVector y)
            where TVector : struct, ISimdVector<TVector, T>
            where T : unmanaged, IBinaryFloatingPointIeee754<T>
            => TVector.WherePositive(TVector.Min(y, TVector.Subtract(TVector.Create(T.One), y)), TVector.Divide(gradient, Constant<TVector, T>(6.0)));
    }

    /// <summary>Keras 2's hard sigmoid; the derivative is 0.2 where the output is strictly between 0 and 1, else 0.</summary>
    internal readonly struct HardSigmoidKeras2Function : IActivationFunction, IUnaryOperation
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Invoke<TVector, T>(TVector x)
            where TVector : struct, ISimdVector<TVector, T>
            where T : unmanaged, IBinaryFloatingPointIeee754<T>
            => HardSigmoidKeras2<TVector, T>(x);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Chain<TVector, T>(TVector gradient, TVector y)
            where TVector : struct, ISimdVector<TVector, T>
            where T : unmanaged, IBinaryFloatingPointIeee754<T>
            => TVector.WherePositive(TVector.Min(y, TVector.Subtract(TVector.Create(T.One), y)), TVector.Multiply(gradient, Constant<TVector, T>(0.2)));
    }
}
