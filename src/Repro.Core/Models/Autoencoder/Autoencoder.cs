using Repro.Core.Networks;
using Repro.Core.Sparse;
using Repro.Core.Training;

namespace Repro.Core.Models.Autoencoder;

/// <summary>
/// A regularised user-row autoencoder (spec 5): Mult-DAE's sparse-input network with the noise,
/// penalty, activation and depth of <see cref="AutoencoderHyper"/>. Held-out users are scored as by
/// Mult-DAE: the fold-in row through the network without noise.
/// </summary>
public sealed class Autoencoder : TrainedModel<AutoencoderHyper>
{
    public Autoencoder(int items, AutoencoderHyper hyper, ulong seed) : base(hyper)
    {
        hyper.Validate();
        if (items <= 0) throw new ArgumentOutOfRangeException(nameof(items), $"items must be > 0, got {items}");
        var widths = hyper.HiddenWidths();
        int[] encoder = [items, .. widths];
        int[] decoder = [.. widths.Reverse(), items];
        Network = new SparseAutoencoder(encoder, decoder, variational: false, hyper.Likelihood,
            hyper.GaussianConfidence ?? GaussianConfidence.Default, hyper.LearningRate, hyper.WeightDecay, seed, hyper.BatchSize,
            hyper.NetworkOptions());
    }

    public override int Items => Network.Items;
    public long ParameterCount => Network.ParameterCount;
    internal SparseAutoencoder Network { get; }

    /// <summary>No KL term, so no annealing: beta is ignored.</summary>
    public override BatchLoss TrainStep(CsrMatrix data, ReadOnlySpan<int> rows, double beta) => Network.TrainStep(data, rows, Hyper.KeepProbability, 0);

    /// <summary>The loss (likelihood, weight and code penalties) on rows without noise.</summary>
    public BatchLoss Evaluate(CsrMatrix data, ReadOnlySpan<int> rows) => Network.Evaluate(data, rows, 0);

    public override void Score(CsrMatrix foldIn, ReadOnlySpan<int> rows, Span<float> output) => Network.Score(foldIn, rows, output);

    public override void Save(string path, bool withOptimizer) => Network.Save(path, withOptimizer);

    public override void Load(string path) => Network.Load(path);

    public override void Reseed(ulong seed) => Network.Reseed(seed);

    public override void Dispose() => Network.Dispose();
}
