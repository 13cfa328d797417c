using System;
using System.Globalization;

namespace RnnCompiler.Weights.Keras;

/// <summary>
/// What a Keras activation name means, by the Keras version that wrote the file. One name changed meaning:
/// <c>"hard_sigmoid"</c> is <c>clip(0.2·x + 0.5, 0, 1)</c> in Keras 1 and 2 (and tf.keras), and
/// <c>relu6(x + 3) / 6</c> in Keras 3, as in PyTorch.
/// </summary>
internal static class KerasActivations
{
    /// <summary>
    /// The major version of the Keras that wrote a file, from its <c>keras_version</c> (<c>"2.15.0"</c>,
    /// <c>"2.1.6-tf"</c>, <c>"3.8.0"</c>): the root attribute of a legacy <c>.h5</c>, <c>metadata.json</c>'s field in a
    /// <c>.keras</c> archive. A file that gives none, or none that reads as a version, is taken as Keras 2's when it is an
    /// <c>.h5</c> (only Keras 2 and tf.keras wrote whole models there) and Keras 3's when it is a <c>.keras</c> archive.
    /// </summary>
    public static int MajorVersion(string? kerasVersion, bool archive)
    {
        string digits = kerasVersion is null ? string.Empty : kerasVersion.Trim();
        int end = 0;
        while (end < digits.Length && char.IsAsciiDigit(digits[end]))
        {
            end++;
        }

        return end > 0 && int.TryParse(digits.AsSpan(0, end), NumberStyles.None, CultureInfo.InvariantCulture, out int major)
            ? major
            : archive ? 3 : 2;
    }

    /// <summary>
    /// The activation a Keras name stands for in a file written by Keras <paramref name="kerasMajorVersion"/>, or null
    /// for one RnnCompiler does not have. A missing activation (null) is Keras's <c>linear</c>.
    /// </summary>
    public static Activation? FromName(string? name, int kerasMajorVersion) => name switch
    {
        null or "linear" => Activation.Linear,
        "tanh" => Activation.Tanh,
        "sigmoid" => Activation.Sigmoid,
        "relu" => Activation.Relu,
        "softmax" => Activation.Softmax,
        "hard_sigmoid" => kerasMajorVersion >= 3 ? Activation.HardSigmoid : Activation.HardSigmoidKeras2,
        _ => null,
    };

    /// <summary>
    /// Keras's name of an activation; both hard sigmoids are <c>"hard_sigmoid"</c>, each in the files of its own Keras
    /// (<see cref="Activation.HardSigmoid"/> in Keras 3's, <see cref="Activation.HardSigmoidKeras2"/> in Keras 2's).
    /// </summary>
    public static string Name(Activation activation) => activation switch
    {
        Activation.Linear => "linear",
        Activation.Tanh => "tanh",
        Activation.Sigmoid => "sigmoid",
        Activation.Relu => "relu",
        Activation.Softmax => "softmax",
        Activation.HardSigmoid or Activation.HardSigmoidKeras2 => "hard_sigmoid",
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Not a member of Activation."),
    };
}
