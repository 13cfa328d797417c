using System;
using System.Collections.Generic;

namespace RnnCompiler.Weights;

/// <summary>One weight tensor of a model: its Keras name, shape and place in the flat parameter vector.</summary>
/// <param name="Layer">The layer that holds it.</param>
/// <param name="Name">The Keras weight name, for example <c>lstm/recurrent_kernel</c> or <c>bidirectional/backward_gru/bias</c>.</param>
/// <param name="Role">What the tensor is for.</param>
/// <param name="Backward">True for the backward direction of a bidirectional layer.</param>
/// <param name="Shape">The Keras shape.</param>
/// <param name="Offset">Where the tensor starts in the flat parameter vector.</param>
public sealed record TensorDescriptor(LayerDescriptor Layer, string Name, TensorRole Role, bool Backward, int[] Shape, int Offset)
{
    /// <summary>The number of elements.</summary>
    public int Length
    {
        get
        {
            int length = 1;
            foreach (int dimension in Shape)
            {
                length *= dimension;
            }

            return length;
        }
    }

    /// <summary>
    /// Whether training changes the tensor: every tensor but Normalization's <c>mean</c>, <c>variance</c> and <c>count</c>
    /// (Keras's non-trainable weights), whose gradients stay zero.
    /// </summary>
    public bool Trainable => KerasTensorLayout.IsTrainable(Role);

    /// <summary>The shape as text, for messages: <c>[64, 512]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>
/// One weighted layer of a generated model, as the generator describes it to the runtime: enough to name, shape,
/// initialize, save and load its tensors. Keras's layout and names are the reference; the tensors come from
/// <c>KerasTensorLayout</c>, the same source file the generator compiles.
/// </summary>
public sealed class LayerDescriptor
{
    private TensorDescriptor[]? _tensors;
    private Activation? _activation;
    private Activation? _recurrentActivation;

    /// <summary>Describes a layer.</summary>
    /// <param name="kind">The layer kind.</param>
    /// <param name="name">The Keras layer name (<c>lstm_1</c>; for a bidirectional layer the wrapper's, <c>bidirectional</c>).</param>
    /// <param name="innerName">For a bidirectional layer the wrapped layer's name (<c>lstm</c>); otherwise <paramref name="name"/>.</param>
    /// <param name="inputSize">The input width (for Embedding, the vocabulary size).</param>
    /// <param name="units">The units (for Embedding, the dimensions).</param>
    /// <param name="offset">Where the layer's first tensor starts in the flat parameter vector.</param>
    /// <param name="bidirectional">Whether the layer has a backward direction with its own weights.</param>
    /// <param name="resetAfter">For a GRU, Keras's <c>reset_after</c>.</param>
    public LayerDescriptor(LayerKind kind, string name, string innerName, int inputSize, int units, int offset, bool bidirectional = false, bool resetAfter = true)
    {
        Kind = kind;
        Name = name ?? throw new ArgumentNullException(nameof(name));
        InnerName = innerName ?? throw new ArgumentNullException(nameof(innerName));
        InputSize = inputSize;
        Units = units;
        Offset = offset;
        Bidirectional = bidirectional;
        ResetAfter = resetAfter;
    }

    /// <summary>
    /// The starting bias of the gate that keeps the state (LSTM's forget gate, GRU's update gate) that
    /// <see cref="WeightInitializer"/> gives, or null for Keras's: 1 for LSTM (<c>unit_forget_bias</c>), 0 for GRU.
    /// </summary>
    public double? KeepGateBias { get; init; }

    /// <summary>
    /// The activation: a Dense or SimpleRnn layer's as declared; for LSTM and GRU the cell's (Keras's <c>activation</c>),
    /// tanh unless declared otherwise; for Embedding, linear.
    /// </summary>
    public Activation Activation
    {
        get => _activation ?? (Kind is LayerKind.SimpleRnn or LayerKind.Lstm or LayerKind.Gru ? Activation.Tanh : Activation.Linear);
        init => _activation = value;
    }

    /// <summary>
    /// For LSTM and GRU, the activation of the gates (Keras's <c>recurrent_activation</c>): sigmoid unless declared
    /// otherwise. For the other kinds, linear (they have no gates).
    /// </summary>
    public Activation RecurrentActivation
    {
        get => _recurrentActivation ?? (Kind is LayerKind.Lstm or LayerKind.Gru ? Activation.Sigmoid : Activation.Linear);
        init => _recurrentActivation = value;
    }

    /// <summary>For an attention layer, how it scores a query against the memory, which decides its tensors.</summary>
    public AttentionScore Score { get; init; }

    /// <summary>For an Embedding, whether token 0 is padding (Keras's <c>mask_zero</c>).</summary>
    public bool MaskZero { get; init; }

    /// <summary>For a recurrent layer, whether it outputs every step (Keras's <c>return_sequences</c>).</summary>
    public bool ReturnSequences { get; init; }

    /// <summary>For a bidirectional layer, how its two directions are merged.</summary>
    public MergeMode MergeMode { get; init; }

    /// <summary>The layer kind.</summary>
    public LayerKind Kind { get; }

    /// <summary>The Keras layer name.</summary>
    public string Name { get; }

    /// <summary>The wrapped layer's name inside a bidirectional wrapper, else <see cref="Name"/>.</summary>
    public string InnerName { get; }

    /// <summary>The input width (for Embedding, the vocabulary size).</summary>
    public int InputSize { get; }

    /// <summary>The units (for Embedding, the dimensions).</summary>
    public int Units { get; }

    /// <summary>Where the layer's first tensor starts in the flat parameter vector.</summary>
    public int Offset { get; }

    /// <summary>Whether the layer has a backward direction.</summary>
    public bool Bidirectional { get; }

    /// <summary>For a GRU, Keras's <c>reset_after</c>.</summary>
    public bool ResetAfter { get; }

    /// <summary>The gate blocks of a recurrent kernel: 4 for LSTM, 3 for GRU, 1 otherwise.</summary>
    public int Gates => KerasTensorLayout.Gates(Kind);

    /// <summary>The number of weights the layer holds.</summary>
    public int ParameterCount
    {
        get
        {
            int count = 0;
            foreach (TensorDescriptor tensor in Tensors)
            {
                count += tensor.Length;
            }

            return count;
        }
    }

    /// <summary>The layer's tensors in the order of the flat parameter vector.</summary>
    public IReadOnlyList<TensorDescriptor> Tensors => _tensors ??= BuildTensors();

    private TensorDescriptor[] BuildTensors()
    {
        var tensors = new List<TensorDescriptor>();
        int offset = Offset;
        foreach (KerasTensor tensor in KerasTensorLayout.Tensors(Kind, Name, InnerName, InputSize, Units, Bidirectional, ResetAfter, (int)Score))
        {
            int[] shape = Array.ConvertAll(tensor.Shape, dimension => checked((int)dimension));
            var descriptor = new TensorDescriptor(this, tensor.Name, tensor.Role, tensor.Backward, shape, offset);
            tensors.Add(descriptor);
            offset += descriptor.Length;
        }

        return tensors.ToArray();
    }
}
