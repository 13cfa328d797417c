using System.ComponentModel;

namespace RnnCompiler.Kernels;

/// <summary>How a weight matrix handed to <see cref="MatrixKernels.MultiplyAdd{T}(System.ReadOnlySpan{T}, System.ReadOnlySpan{T}, int, System.Span{T}, MatrixLayout)"/> or <see cref="MatrixKernels.Affine{T}(System.ReadOnlySpan{T}, System.ReadOnlySpan{T}, System.ReadOnlySpan{T}, System.ReadOnlySpan{T}, System.ReadOnlySpan{T}, System.Span{T}, MatrixLayout, MatrixLayout)"/> is laid out.</summary>
/// <remarks>Passed by generated code to the kernels; not meant to be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public enum MatrixLayout
{
    /// <summary>Keras's layout: [rows, columns] row-major, as <c>Parameters</c> holds every kernel.</summary>
    RowMajor,

    /// <summary>
    /// As <see cref="MatrixKernels.PackPanels{T}"/> (or <see cref="MatrixKernels.PackBFloat16Panels"/>) wrote it: the rows
    /// in groups of eight, each group's columns in blocks of two vectors, so that a product reads the whole matrix in
    /// address order; the columns past the last whole vector follow as a row-major block.
    /// </summary>
    Panels,
}
