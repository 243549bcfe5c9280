using Repro.Core.Sparse;
using Repro.Core.Training;

namespace Repro.Core.Models.MultDae;

/// <summary>
/// Mult-DAE (paper section 2.3, notebook MultiDAE): I -> Hidden (tanh) -> I with input dropout, trained
/// on the per-user-mean multinomial NLL plus lam sum ||W||^2. Epoch loop and checkpoints belong to the
/// training driver.
/// </summary>
public sealed class MultDae : ITrainableRecommender
{
    public MultDae(int items, MultDaeHyper hyper, ulong seed)
    {
        hyper.Validate();
        if (items <= 0) throw new ArgumentOutOfRangeException(nameof(items), $"items must be > 0, got {items}");
        Hyper = hyper;
        Network = new SparseAutoencoder([items, hyper.Hidden], [hyper.Hidden, items], variational: false, hyper.Likelihood,
            hyper.GaussianConfidence ?? GaussianConfidence.Default, hyper.LearningRate, hyper.WeightDecay, seed, hyper.BatchSize);
    }

    public MultDaeHyper Hyper { get; }
    public int Items => Network.Items;
    public long ParameterCount => Network.ParameterCount;
    internal SparseAutoencoder Network { get; }

    /// <summary>Phase timings of the last training step.</summary>
    public StepProfile LastStepProfile => Network.LastProfile;

    /// <summary>Nonzeros that entered the first layer in the last training batch (after dropout).</summary>
    public int LastInputNonZeros => Network.LastInputNonZeros;

    /// <summary>One Adam update on <paramref name="rows"/> of <paramref name="data"/> (dropout on); the loss is the batch's before the update.</summary>
    public BatchLoss TrainStep(CsrMatrix data, ReadOnlySpan<int> rows) => Network.TrainStep(data, rows, Hyper.KeepProbability, 0);

    public BatchLoss TrainStep(CsrMatrix batch) => TrainStep(batch, MultVae.MultVae.AllRows(batch));

    /// <summary>The loss on rows without dropout.</summary>
    public BatchLoss Evaluate(CsrMatrix data, ReadOnlySpan<int> rows) => Network.Evaluate(data, rows, 0);

    /// <summary>Logits for each row, fold-in items set to negative infinity; output is rows x Items.</summary>
    public void Score(CsrMatrix foldIn, ReadOnlySpan<int> rows, Span<float> output) => Network.Score(foldIn, rows, output);

    public void Score(CsrMatrix foldIn, Span<float> output) => Score(foldIn, MultVae.MultVae.AllRows(foldIn), output);

    public void Save(string path, bool withOptimizer = false) => Network.Save(path, withOptimizer);

    public void Load(string path) => Network.Load(path);

    // ITrainableRecommender: the driver's view. No KL term, so no annealing and beta is ignored.
    string ITrainableRecommender.Settings => SettingsText.Of(Hyper);
    int ITrainableRecommender.Epochs => Hyper.Epochs;
    int ITrainableRecommender.BatchSize => Hyper.BatchSize;
    bool ITrainableRecommender.UsesAnnealing => false;
    AnnealingSchedule? ITrainableRecommender.NewAnnealingSchedule() => null;
    BatchLoss ITrainableRecommender.TrainStep(CsrMatrix data, ReadOnlySpan<int> rows, double beta) => TrainStep(data, rows);
    void IRecommender.Save(string path) => Save(path, withOptimizer: false);
    void ITrainableRecommender.SaveState(string path) => Save(path, withOptimizer: true);
    void ITrainableRecommender.LoadState(string path) => Load(path);
    void ITrainableRecommender.LoadWeights(string path) => Load(path);

    public void Reseed(ulong seed) => Network.Reseed(seed);

    public void Dispose() => Network.Dispose();
}
