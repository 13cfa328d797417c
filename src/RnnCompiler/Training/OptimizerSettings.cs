namespace RnnCompiler.Training;

/// <summary>An optimizer and its gradient clipping, as a <c>[Train]</c> attribute declares them.</summary>
/// <param name="Optimizer">The optimizer.</param>
/// <param name="LearningRate">The learning rate.</param>
/// <param name="Momentum">SGD momentum.</param>
/// <param name="Nesterov">SGD Nesterov momentum.</param>
/// <param name="Beta1">Adam's beta1.</param>
/// <param name="Beta2">Adam's beta2.</param>
/// <param name="Rho">RMSprop's rho.</param>
/// <param name="Epsilon">Adam's and RMSprop's epsilon.</param>
/// <param name="ClipNorm">Per-tensor norm clipping when positive.</param>
/// <param name="GlobalClipNorm">Global norm clipping when positive.</param>
/// <param name="ClipValue">Element-wise clipping when positive.</param>
public sealed record OptimizerSettings(
    Optimizer Optimizer,
    double LearningRate,
    double Momentum = 0,
    bool Nesterov = false,
    double Beta1 = 0.9,
    double Beta2 = 0.999,
    double Rho = 0.9,
    double Epsilon = 1e-7,
    double ClipNorm = 0,
    double GlobalClipNorm = 0,
    double ClipValue = 0)
{
    /// <summary>Whether the optimizer keeps a first moment (momentum or Adam's m).</summary>
    public bool HasFirstMoment => Optimizer == Optimizer.Adam || (Optimizer == Optimizer.Sgd && Momentum > 0);

    /// <summary>Whether the optimizer keeps a second moment (Adam's v, RMSprop's velocity).</summary>
    public bool HasSecondMoment => Optimizer is Optimizer.Adam or Optimizer.RmsProp;
}
