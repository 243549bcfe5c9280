using Repro.Core.Networks;
using Repro.Core.Sparse;
using Repro.Core.Training;

namespace Repro.Core.Models.Autoencoder;

/// <summary>
/// A regularised user-row autoencoder (spec 5): Mult-DAE's sparse-input network with the noise,
/// penalty, activation and depth of <see cref="AutoencoderHyper"/>. Held-out users are scored as by
/// Mult-DAE: the fold-in row through the network without noise.
/// </summary>
public sealed class Autoencoder : SparseNetworkModel<AutoencoderHyper>
{
    public Autoencoder(int items, AutoencoderHyper hyper, ulong seed) : base(hyper, Build(items, hyper, seed)) { }

    private static SparseAutoencoder Build(int items, AutoencoderHyper hyper, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(hyper);
        Check(items, hyper.Validate);
        var widths = hyper.HiddenWidths();
        int[] encoder = [items, .. widths];
        int[] decoder = [.. widths.Reverse(), items];
        return new SparseAutoencoder(encoder, decoder, variational: false, hyper.Likelihood,
            hyper.GaussianConfidence ?? GaussianConfidence.Default, hyper.LearningRate, hyper.WeightDecay, seed, hyper.BatchSize,
            hyper.NetworkOptions());
    }

    /// <summary>No KL term, so no annealing: beta is ignored.</summary>
    public override BatchLoss TrainStep(CsrMatrix data, ReadOnlySpan<int> rows, double beta) => Network.TrainStep(data, rows, Hyper.KeepProbability, 0);

    /// <summary>The loss (likelihood, weight and code penalties) on rows without noise.</summary>
    public BatchLoss Evaluate(CsrMatrix data, ReadOnlySpan<int> rows) => Network.Evaluate(data, rows, 0);

}
