using System.Collections.Generic;
using RnnCompiler.Generators.WeightFiles;

namespace RnnCompiler.Generators.Layers;

/// <summary>The descriptor of every layer kind: the one list the parser, validator and emitters consult.</summary>
internal static class LayerDescriptors
{
    private static readonly InputLayer s_input = new();
    private static readonly EmbeddingLayer s_embedding = new();
    private static readonly SimpleRnnLayer s_simpleRnn = new();
    private static readonly LstmLayer s_lstm = new();
    private static readonly GruLayer s_gru = new();
    private static readonly DenseLayer s_dense = new();
    private static readonly NormalizationLayer s_normalization = new();
    private static readonly MaskingLayer s_masking = new();
    private static readonly DropoutLayer s_dropout = new();
    private static readonly RepeatVectorLayer s_repeatVector = new();
    private static readonly DecoderLayer s_decoder = new();
    private static readonly AttentionLayer s_attention = new();

    /// <summary>Every descriptor, one per <see cref="LayerKind"/>.</summary>
    public static IReadOnlyList<LayerDescriptor> All { get; } = new LayerDescriptor[] { s_input, s_embedding, s_simpleRnn, s_lstm, s_gru, s_dense, s_normalization, s_masking, s_dropout, s_repeatVector, s_decoder, s_attention };

    /// <summary>The descriptor of <paramref name="kind"/>.</summary>
    // Every kind is listed and there is no default branch: a new kind is error CS8509 until it has a descriptor.
    // CS8524 (a value outside the named ones) cannot happen: kinds come from the attribute map, built from All.
#pragma warning disable CS8524
    public static LayerDescriptor For(LayerKind kind) => kind switch
    {
        LayerKind.Input => s_input,
        LayerKind.Embedding => s_embedding,
        LayerKind.SimpleRnn => s_simpleRnn,
        LayerKind.Lstm => s_lstm,
        LayerKind.Gru => s_gru,
        LayerKind.Dense => s_dense,
        LayerKind.Normalization => s_normalization,
        LayerKind.Masking => s_masking,
        LayerKind.Dropout => s_dropout,
        LayerKind.RepeatVector => s_repeatVector,
        LayerKind.Decoder => s_decoder,
        LayerKind.Attention => s_attention,
    };
#pragma warning restore CS8524

    /// <summary>The descriptor of <paramref name="kind"/>: <c>layer.Kind.Descriptor()</c>.</summary>
    public static LayerDescriptor Descriptor(this LayerKind kind) => For(kind);
}
