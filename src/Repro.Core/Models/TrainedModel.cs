using Repro.Core.Sparse;
using Repro.Core.Training;

namespace Repro.Core.Models;

/// <summary>The schedule fields of a trained model's hyper record, which the training driver reads.</summary>
public interface ITrainingSchedule
{
    /// <summary>Training epochs.</summary>
    int Epochs { get; }

    /// <summary>Users per minibatch.</summary>
    int BatchSize { get; }
}

/// <summary>
/// The part of <see cref="ITrainableRecommender"/> that every trained model answers the same way: its
/// settings, epochs and batch size come from its hyper record, saving for scoring writes the weights
/// alone and saving a training state adds the optimiser's. A model supplies its step, scoring,
/// weights file and randomness; one whose state is more than weights and optimiser (RecVAE's old
/// encoder and pass counter) overrides the state methods.
/// </summary>
public abstract class TrainedModel<THyper> : ITrainableRecommender where THyper : class, ITrainingSchedule
{
    protected TrainedModel(THyper hyper)
    {
        ArgumentNullException.ThrowIfNull(hyper);
        Hyper = hyper;
    }

    /// <summary>Every setting of the model.</summary>
    public THyper Hyper { get; }

    public abstract int Items { get; }

    string ITrainableRecommender.Settings => SettingsText.Of(Hyper);
    int ITrainableRecommender.Epochs => Hyper.Epochs;
    int ITrainableRecommender.BatchSize => Hyper.BatchSize;

    /// <summary>True when the loss has a KL term weighted by an annealed beta.</summary>
    public virtual bool UsesAnnealing => false;

    /// <summary>The KL weight schedule; null when <see cref="UsesAnnealing"/> is false.</summary>
    public virtual AnnealingSchedule? NewAnnealingSchedule(int updatesPerEpoch) => null;

    /// <summary>One optimiser update (dropout on); beta is ignored by models without a KL term.</summary>
    public abstract BatchLoss TrainStep(CsrMatrix data, ReadOnlySpan<int> rows, double beta);

    /// <summary>Scores of every item for the fold-in rows; fold-in items set to negative infinity.</summary>
    public abstract void Score(CsrMatrix foldIn, ReadOnlySpan<int> rows, Span<float> output);

    /// <summary>Scores every row of <paramref name="foldIn"/>.</summary>
    public void Score(CsrMatrix foldIn, Span<float> output) => Score(foldIn, AllRows(foldIn), output);

    /// <summary>Restarts the model's own randomness (dropout, noise); weights are unchanged.</summary>
    public abstract void Reseed(ulong seed);

    /// <summary>Writes the weights, and with <paramref name="withOptimizer"/> the optimiser's state, atomically.</summary>
    public abstract void Save(string path, bool withOptimizer);

    /// <summary>Reads what <see cref="Save(string, bool)"/> wrote (with or without the optimiser's state).</summary>
    public abstract void Load(string path);

    /// <summary>Writes the weights alone: what scoring needs.</summary>
    public void Save(string path) => Save(path, withOptimizer: false);

    public virtual void SaveState(string path) => Save(path, withOptimizer: true);
    public virtual void LoadState(string path) => Load(path);
    public virtual void LoadWeights(string path) => Load(path);

    public abstract void Dispose();

    /// <summary>0 .. m.Rows - 1.</summary>
    public static int[] AllRows(CsrMatrix m) => Enumerable.Range(0, m.Rows).ToArray();
}
