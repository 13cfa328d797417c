namespace RnnCompiler.Training;

/// <summary>
/// Code that <c>ModelTrainer.Fit</c> calls on the training thread, in order, as Keras calls its callbacks:
/// at the start and end of training, of each epoch, and after each batch. Every method receives the one
/// <see cref="FitState"/> of the run: what happened so far, and the levers (<see cref="FitState.StopTraining"/>,
/// <see cref="FitState.LearningRate"/>, checkpoints, weight snapshots). The methods do nothing unless overridden.
/// </summary>
/// <remarks>
/// Callbacks run in the order of <see cref="FitOptions.Callbacks"/>, then the early stopping that
/// <see cref="FitOptions.Patience"/> asks for, then the progress bar. Nothing is allocated per batch for them; a
/// callback that allocates in <see cref="OnBatchEnd"/> allocates per batch itself.
/// </remarks>
public abstract class TrainingCallback
{
    /// <summary>Before the first epoch.</summary>
    /// <param name="state">The run.</param>
    public virtual void OnTrainBegin(FitState state) { }

    /// <summary>Before each epoch's first batch.</summary>
    /// <param name="state">The run; <see cref="FitState.Epoch"/> is the epoch about to run.</param>
    public virtual void OnEpochBegin(FitState state) { }

    /// <summary>After each batch's update; <see cref="FitState.StopTraining"/> set here ends the epoch and the run at once.</summary>
    /// <param name="state">The run; the batch's figures and the epoch's running means are current.</param>
    public virtual void OnBatchEnd(FitState state) { }

    /// <summary>After each epoch and its validation; <see cref="FitState.StopTraining"/> set here ends the run.</summary>
    /// <param name="state">The run; <see cref="FitState.LastEpoch"/> is the epoch's report.</param>
    public virtual void OnEpochEnd(FitState state) { }

    /// <summary>After the last epoch, however training ended (but not when it throws).</summary>
    /// <param name="state">The run.</param>
    public virtual void OnTrainEnd(FitState state) { }
}
