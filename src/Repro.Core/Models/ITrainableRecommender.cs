using Repro.Core.Sparse;
using Repro.Core.Training;

namespace Repro.Core.Models;

/// <summary>
/// A recommender trained by minibatch gradient steps. It owns its network and optimiser and takes one
/// step when asked; the shared <see cref="TrainingDriver"/> owns everything around the steps (epochs,
/// shuffling, the beta schedule's counter, validation, the best checkpoint, progress, cancellation,
/// resume), so every trained model gets them the same way (STYLE.md, "A model scores").
/// Epochs and batch size are the model's hyperparameters (its hyper record), so they are read here
/// rather than passed in the driver's options: one place states them.
/// </summary>
public interface ITrainableRecommender : IRecommender
{
    /// <summary>
    /// The model's settings as text (its hyper record, culture-invariant). A saved training state is
    /// resumed only by a model with the same settings, so a changed setting is never silently mixed in.
    /// </summary>
    string Settings { get; }

    /// <summary>Training epochs (all are run; selection is by validation, spec 1.4 and 7.14).</summary>
    int Epochs { get; }

    /// <summary>Users per training minibatch (notebook: 500).</summary>
    int BatchSize { get; }

    /// <summary>True when the loss has a KL term weighted by an annealed beta (Mult-VAE).</summary>
    bool UsesAnnealing { get; }

    /// <summary>
    /// The KL weight schedule starting at update 0, for a run of <paramref name="updatesPerEpoch"/>
    /// updates an epoch; null when <see cref="UsesAnnealing"/> is false.
    /// </summary>
    AnnealingSchedule? NewAnnealingSchedule(int updatesPerEpoch);

    /// <summary>
    /// One optimiser update on <paramref name="rows"/> of <paramref name="data"/> with KL weight
    /// <paramref name="beta"/> (ignored by models without a KL term); returns the batch's loss before the update.
    /// </summary>
    BatchLoss TrainStep(CsrMatrix data, ReadOnlySpan<int> rows, double beta);

    /// <summary>Restarts the model's own randomness (dropout masks, noise) from <paramref name="seed"/>; weights are unchanged.</summary>
    void Reseed(ulong seed);

    /// <summary>Writes weights and optimiser state, enough to continue training exactly.</summary>
    void SaveState(string path);

    /// <summary>Reads what <see cref="SaveState"/> wrote.</summary>
    void LoadState(string path);

    /// <summary>Reads weights written by <see cref="IRecommender.Save"/> (the optimiser state is left as it is).</summary>
    void LoadWeights(string path);
}
