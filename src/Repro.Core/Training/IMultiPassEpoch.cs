namespace Repro.Core.Training;

/// <summary>
/// Optional for a <see cref="Models.ITrainableRecommender"/> whose epoch is several passes over the
/// training users with different roles (RecVAE: three passes that update the encoder, then one that
/// updates the decoder). The <see cref="TrainingDriver"/> then runs <see cref="PassesPerEpoch"/> passes
/// per epoch, each over its own shuffle of the rows, and calls <see cref="BeginPass"/> before a pass's
/// first minibatch; validation, the best checkpoint and the epoch log stay per epoch. Whatever
/// <see cref="BeginPass"/> changes must be part of the model's saved state, since a run resumed in the
/// middle of a pass does not call it again. A model without this interface has one pass per epoch.
/// </summary>
public interface IMultiPassEpoch
{
    /// <summary>Passes over the training users per epoch (at least 1).</summary>
    int PassesPerEpoch { get; }

    /// <summary>Called before the first minibatch of pass <paramref name="pass"/> (0-based) of every epoch.</summary>
    void BeginPass(int pass);
}
