using Repro.Core.Networks;
using Repro.Core.Sparse;
using Repro.Core.Training;

namespace Repro.Core.Models.MultDae;

/// <summary>
/// Mult-DAE (paper section 2.3, notebook MultiDAE): I -> Hidden (tanh) -> I with input dropout, trained
/// on the per-user-mean multinomial NLL plus lam sum ||W||^2. Epoch loop and checkpoints belong to the
/// training driver.
/// </summary>
public sealed class MultDae : TrainedModel<MultDaeHyper>
{
    public MultDae(int items, MultDaeHyper hyper, ulong seed) : base(hyper)
    {
        hyper.Validate();
        if (items <= 0) throw new ArgumentOutOfRangeException(nameof(items), $"items must be > 0, got {items}");
        Network = new SparseAutoencoder([items, hyper.Hidden], [hyper.Hidden, items], variational: false, hyper.Likelihood,
            hyper.GaussianConfidence ?? GaussianConfidence.Default, hyper.LearningRate, hyper.WeightDecay, seed, hyper.BatchSize);
    }

    public override int Items => Network.Items;
    public long ParameterCount => Network.ParameterCount;
    internal SparseAutoencoder Network { get; }

    /// <summary>Phase timings of the last training step.</summary>
    public StepProfile LastStepProfile => Network.LastProfile;

    /// <summary>Nonzeros that entered the first layer in the last training batch (after dropout).</summary>
    public int LastInputNonZeros => Network.LastInputNonZeros;

    /// <summary>One Adam update on <paramref name="rows"/> of <paramref name="data"/> (dropout on); the loss is the batch's before the update.</summary>
    public BatchLoss TrainStep(CsrMatrix data, ReadOnlySpan<int> rows) => Network.TrainStep(data, rows, Hyper.KeepProbability, 0);

    public BatchLoss TrainStep(CsrMatrix batch) => TrainStep(batch, AllRows(batch));

    /// <summary>No KL term, so no annealing: beta is ignored.</summary>
    public override BatchLoss TrainStep(CsrMatrix data, ReadOnlySpan<int> rows, double beta) => TrainStep(data, rows);

    /// <summary>The loss on rows without dropout.</summary>
    public BatchLoss Evaluate(CsrMatrix data, ReadOnlySpan<int> rows) => Network.Evaluate(data, rows, 0);

    /// <summary>Logits for each row, fold-in items set to negative infinity; output is rows x Items.</summary>
    public override void Score(CsrMatrix foldIn, ReadOnlySpan<int> rows, Span<float> output) => Network.Score(foldIn, rows, output);

    public override void Save(string path, bool withOptimizer) => Network.Save(path, withOptimizer);

    public override void Load(string path) => Network.Load(path);

    public override void Reseed(ulong seed) => Network.Reseed(seed);

    public override void Dispose() => Network.Dispose();
}
