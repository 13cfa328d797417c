using System;
using System.IO;
using System.Numerics;
using RnnCompiler.Export;

namespace RnnCompiler;

/// <summary>Takes a trained model out to another runtime as ONNX.</summary>
public static class OnnxExportExtensions
{
    /// <summary>
    /// Writes the model as an ONNX model (opset 14, IR version 8) of standard operators: <c>Gather</c> (Embedding),
    /// <c>RNN</c>, <c>LSTM</c>, <c>GRU</c> (bidirectional ones merged as declared), <c>MatMul</c> + <c>Add</c> and the
    /// activation (Dense). Its input is a batch in Keras's layout: <c>inputs</c> [N, T, features] float, or
    /// <c>tokens</c> [N, T] int64 for an Embedding model, with N and T free; its output <c>outputs</c> is [N, units],
    /// or [N, T, units] for a model that outputs sequences. Weights are written as float32 (a double model's are rounded).
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="stream">A writable stream; it is left open.</param>
    /// <exception cref="ArgumentException"><paramref name="stream"/> cannot be written.</exception>
    /// <exception cref="NotSupportedException">A SimpleRnn layer uses softmax, which ONNX's RNN operator does not offer, or the model has a [RepeatVector], which the export does not write yet.</exception>
    public static void SaveOnnx<T>(this IRnnModel<T> model, Stream stream)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The stream must be writable.", nameof(stream));
        }

        if (model.Info.Layers.Count == 0)
        {
            throw new ArgumentException("The model describes no layers (ModelInfo.Layers is empty); only generated models can be exported.", nameof(model));
        }

        OnnxExport.Write<T>(stream, model.Info, model.Parameters, model.GetType().Name);
    }
}
