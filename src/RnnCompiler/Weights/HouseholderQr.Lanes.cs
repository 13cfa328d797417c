using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace RnnCompiler.Weights;

internal static partial class HouseholderQr
{
    /// <summary>
    /// Eight double lanes, as one <see cref="Vector512{T}"/>, two <see cref="Vector256{T}"/>, four
    /// <see cref="Vector128{T}"/> or eight scalars. Every sum the QR takes runs in these eight lanes (row i goes to lane
    /// i mod 8) and every product is fused, so each path does the same arithmetic in the same order and a seed gives the
    /// same weights whatever the vector hardware.
    /// </summary>
    /// <remarks>
    /// The operations are static members of <typeparamref name="TSelf"/>'s own type except for 512 bits, where the
    /// lanes are a bare <see cref="Vector512{T}"/>: a struct around one vector would keep the JIT from holding sixteen
    /// accumulators in registers.
    /// </remarks>
    internal interface ILanes8<TSelf>
        where TSelf : struct
    {
        static abstract TSelf Zero { get; }

        static abstract TSelf Load(ref double source);

        static abstract void Store(TSelf value, ref double destination);

        static abstract TSelf Broadcast(double value);

        /// <summary><c>a * b + c</c>, one rounding.</summary>
        static abstract TSelf MultiplyAdd(TSelf a, TSelf b, TSelf c);

        /// <summary><c>a / b</c>, lane by lane, correctly rounded.</summary>
        static abstract TSelf Divide(TSelf a, TSelf b);


        /// <summary>The lanes' sum in one fixed order: ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)).</summary>
        static abstract double Sum(TSelf value);
    }

    internal readonly struct Lanes512 : ILanes8<Vector512<double>>
    {
        public static Vector512<double> Zero => default;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<double> Load(ref double source) => Vector512.LoadUnsafe(ref source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Vector512<double> value, ref double destination) => value.StoreUnsafe(ref destination);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<double> Broadcast(double value) => Vector512.Create(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<double> MultiplyAdd(Vector512<double> a, Vector512<double> b, Vector512<double> c) => Vector512.FusedMultiplyAdd(a, b, c);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<double> Divide(Vector512<double> a, Vector512<double> b) => a / b;


        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static double Sum(Vector512<double> value)
        {
            Vector256<double> quarter = value.GetLower() + value.GetUpper();
            Vector128<double> half = quarter.GetLower() + quarter.GetUpper();
            return half.ToScalar() + half.GetElement(1);
        }
    }

    internal readonly struct Lanes256(Vector256<double> low, Vector256<double> high) : ILanes8<Lanes256>
    {
        private readonly Vector256<double> _low = low;
        private readonly Vector256<double> _high = high;

        public static Lanes256 Zero => default;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Lanes256 Load(ref double source) =>
            new(Vector256.LoadUnsafe(ref source), Vector256.LoadUnsafe(ref source, 4));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Lanes256 value, ref double destination)
        {
            value._low.StoreUnsafe(ref destination);
            value._high.StoreUnsafe(ref destination, 4);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Lanes256 Broadcast(double value) => new(Vector256.Create(value), Vector256.Create(value));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Lanes256 MultiplyAdd(Lanes256 a, Lanes256 b, Lanes256 c) =>
            new(Vector256.FusedMultiplyAdd(a._low, b._low, c._low), Vector256.FusedMultiplyAdd(a._high, b._high, c._high));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Lanes256 Divide(Lanes256 a, Lanes256 b) => new(a._low / b._low, a._high / b._high);


        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static double Sum(Lanes256 value)
        {
            Vector256<double> quarter = value._low + value._high;
            Vector128<double> half = quarter.GetLower() + quarter.GetUpper();
            return half.ToScalar() + half.GetElement(1);
        }
    }

    internal readonly struct Lanes128(Vector128<double> l01, Vector128<double> l23, Vector128<double> l45, Vector128<double> l67) : ILanes8<Lanes128>
    {
        private readonly Vector128<double> _l01 = l01;
        private readonly Vector128<double> _l23 = l23;
        private readonly Vector128<double> _l45 = l45;
        private readonly Vector128<double> _l67 = l67;

        public static Lanes128 Zero => default;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Lanes128 Load(ref double source) => new(
            Vector128.LoadUnsafe(ref source), Vector128.LoadUnsafe(ref source, 2),
            Vector128.LoadUnsafe(ref source, 4), Vector128.LoadUnsafe(ref source, 6));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Lanes128 value, ref double destination)
        {
            value._l01.StoreUnsafe(ref destination);
            value._l23.StoreUnsafe(ref destination, 2);
            value._l45.StoreUnsafe(ref destination, 4);
            value._l67.StoreUnsafe(ref destination, 6);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Lanes128 Broadcast(double value)
        {
            Vector128<double> all = Vector128.Create(value);
            return new(all, all, all, all);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Lanes128 MultiplyAdd(Lanes128 a, Lanes128 b, Lanes128 c) => new(
            Vector128.FusedMultiplyAdd(a._l01, b._l01, c._l01), Vector128.FusedMultiplyAdd(a._l23, b._l23, c._l23),
            Vector128.FusedMultiplyAdd(a._l45, b._l45, c._l45), Vector128.FusedMultiplyAdd(a._l67, b._l67, c._l67));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Lanes128 Divide(Lanes128 a, Lanes128 b) => new(a._l01 / b._l01, a._l23 / b._l23, a._l45 / b._l45, a._l67 / b._l67);


        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static double Sum(Lanes128 value)
        {
            Vector128<double> half = (value._l01 + value._l45) + (value._l23 + value._l67);
            return half.ToScalar() + half.GetElement(1);
        }
    }

    internal readonly struct LanesScalar : ILanes8<LanesScalar>
    {
        private readonly double _l0, _l1, _l2, _l3, _l4, _l5, _l6, _l7;

        private LanesScalar(double l0, double l1, double l2, double l3, double l4, double l5, double l6, double l7)
        {
            (_l0, _l1, _l2, _l3, _l4, _l5, _l6, _l7) = (l0, l1, l2, l3, l4, l5, l6, l7);
        }

        public static LanesScalar Zero => default;

        public static LanesScalar Load(ref double s) => new(
            s, Unsafe.Add(ref s, 1), Unsafe.Add(ref s, 2), Unsafe.Add(ref s, 3),
            Unsafe.Add(ref s, 4), Unsafe.Add(ref s, 5), Unsafe.Add(ref s, 6), Unsafe.Add(ref s, 7));

        public static void Store(LanesScalar v, ref double d)
        {
            d = v._l0;
            Unsafe.Add(ref d, 1) = v._l1;
            Unsafe.Add(ref d, 2) = v._l2;
            Unsafe.Add(ref d, 3) = v._l3;
            Unsafe.Add(ref d, 4) = v._l4;
            Unsafe.Add(ref d, 5) = v._l5;
            Unsafe.Add(ref d, 6) = v._l6;
            Unsafe.Add(ref d, 7) = v._l7;
        }

        public static LanesScalar Broadcast(double x) => new(x, x, x, x, x, x, x, x);

        public static LanesScalar MultiplyAdd(LanesScalar a, LanesScalar b, LanesScalar c) => new(
            Math.FusedMultiplyAdd(a._l0, b._l0, c._l0), Math.FusedMultiplyAdd(a._l1, b._l1, c._l1),
            Math.FusedMultiplyAdd(a._l2, b._l2, c._l2), Math.FusedMultiplyAdd(a._l3, b._l3, c._l3),
            Math.FusedMultiplyAdd(a._l4, b._l4, c._l4), Math.FusedMultiplyAdd(a._l5, b._l5, c._l5),
            Math.FusedMultiplyAdd(a._l6, b._l6, c._l6), Math.FusedMultiplyAdd(a._l7, b._l7, c._l7));

        public static LanesScalar Divide(LanesScalar a, LanesScalar b) => new(
            a._l0 / b._l0, a._l1 / b._l1, a._l2 / b._l2, a._l3 / b._l3, a._l4 / b._l4, a._l5 / b._l5, a._l6 / b._l6, a._l7 / b._l7);


        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static double Sum(LanesScalar v) => ((v._l0 + v._l4) + (v._l2 + v._l6)) + ((v._l1 + v._l5) + (v._l3 + v._l7));
    }
}
