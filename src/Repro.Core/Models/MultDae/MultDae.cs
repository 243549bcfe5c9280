using Repro.Core.Networks;
using Repro.Core.Sparse;
using Repro.Core.Training;

namespace Repro.Core.Models.MultDae;

/// <summary>
/// Mult-DAE (paper section 2.3, notebook MultiDAE): I -> Hidden (tanh) -> I with input dropout, trained
/// on the per-user-mean multinomial NLL plus lam sum ||W||^2. Epoch loop and checkpoints belong to the
/// training driver.
/// </summary>
public sealed class MultDae : SparseNetworkModel<MultDaeHyper>
{
    public MultDae(int items, MultDaeHyper hyper, ulong seed) : base(hyper, Build(items, hyper, seed)) { }

    private static SparseAutoencoder Build(int items, MultDaeHyper hyper, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(hyper);
        Check(items, hyper.Validate);
        return new SparseAutoencoder([items, hyper.Hidden], [hyper.Hidden, items], variational: false, hyper.Likelihood,
            hyper.GaussianConfidence ?? GaussianConfidence.Default, hyper.LearningRate, hyper.WeightDecay, seed, hyper.BatchSize,
            new AutoencoderOptions { Precision = hyper.Precision });
    }

    /// <summary>One Adam update on <paramref name="rows"/> of <paramref name="data"/> (dropout on); the loss is the batch's before the update.</summary>
    public BatchLoss TrainStep(CsrMatrix data, ReadOnlySpan<int> rows) => Network.TrainStep(data, rows, Hyper.KeepProbability, 0);

    public BatchLoss TrainStep(CsrMatrix batch) => TrainStep(batch, AllRows(batch));

    /// <summary>No KL term, so no annealing: beta is ignored.</summary>
    public override BatchLoss TrainStep(CsrMatrix data, ReadOnlySpan<int> rows, double beta) => TrainStep(data, rows);

    /// <summary>The loss on rows without dropout.</summary>
    public BatchLoss Evaluate(CsrMatrix data, ReadOnlySpan<int> rows) => Network.Evaluate(data, rows, 0);
}
