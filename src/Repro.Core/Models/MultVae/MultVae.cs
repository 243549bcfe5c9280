using Repro.Core.Networks;
using Repro.Core.Sparse;
using Repro.Core.Training;

namespace Repro.Core.Models.MultVae;

/// <summary>
/// Mult-VAE^PR (paper section 2.2): I -> Hidden -> (K mu, K logvar); z -> Hidden -> I, trained on
/// the per-user-mean negative ELBO with KL weight beta. This class holds the network and its
/// optimiser; the epoch loop, the beta schedule's counter, validation and checkpoints belong to the
/// training driver, which calls <see cref="TrainStep(CsrMatrix, ReadOnlySpan{int}, double)"/> per
/// minibatch with beta from <see cref="MultVaeHyper.NewAnnealingSchedule"/>.
/// </summary>
public sealed class MultVae : SparseNetworkModel<MultVaeHyper>
{
    /// <param name="items">Item columns of every matrix the model will see.</param>
    /// <param name="seed">Fixes initial weights, dropout masks and the reparameterisation noise.</param>
    public MultVae(int items, MultVaeHyper hyper, ulong seed) : base(hyper, Build(items, hyper, seed)) { }

    private static SparseAutoencoder Build(int items, MultVaeHyper hyper, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(hyper);
        Check(items, hyper.Validate);
        int[] q = hyper.Hidden > 0 ? [items, hyper.Hidden, hyper.Latent] : [items, hyper.Latent];
        int[] p = hyper.Hidden > 0 ? [hyper.Latent, hyper.Hidden, items] : [hyper.Latent, items];
        return new SparseAutoencoder(q, p, variational: true, hyper.Likelihood,
            hyper.GaussianConfidence ?? GaussianConfidence.Default, hyper.LearningRate, hyper.WeightDecay, seed, hyper.BatchSize,
            new AutoencoderOptions { Precision = hyper.Precision });
    }

    /// <summary>One Adam update on <paramref name="rows"/> of <paramref name="data"/> (dropout on) with KL weight <paramref name="beta"/>; the loss is the batch's before the update.</summary>
    public override BatchLoss TrainStep(CsrMatrix data, ReadOnlySpan<int> rows, double beta) =>
        Network.TrainStep(data, rows, Hyper.KeepProbability, beta);

    /// <summary>One update on every row of <paramref name="batch"/>.</summary>
    public BatchLoss TrainStep(CsrMatrix batch, double beta) => TrainStep(batch, AllRows(batch), beta);

    /// <summary>The negative ELBO on rows without dropout and with z = mu.</summary>
    public BatchLoss Evaluate(CsrMatrix data, ReadOnlySpan<int> rows, double beta) => Network.Evaluate(data, rows, beta);

    /// <summary>Dimension of z.</summary>
    public int Latent => Hyper.Latent;

    /// <summary>The encoder mean mu of each row (rows.Length x <see cref="Latent"/>); see <see cref="SparseAutoencoder.Encode"/>.</summary>
    public void Encode(CsrMatrix data, ReadOnlySpan<int> rows, Span<float> output, double keep = 1.0) => Network.Encode(data, rows, output, keep);

    // The KL term's weight follows the hyper record's schedule.
    public override bool UsesAnnealing => true;
    public override AnnealingSchedule? NewAnnealingSchedule(int updatesPerEpoch) => Hyper.NewAnnealingSchedule(updatesPerEpoch);
}
