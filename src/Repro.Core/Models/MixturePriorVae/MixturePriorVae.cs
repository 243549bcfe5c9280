using Repro.Core.Networks;
using Repro.Core.Sparse;
using Repro.Core.Training;

namespace Repro.Core.Models.MixturePriorVae;

/// <summary>
/// Mult-VAE^PR with a mixture prior (spec 3.2 option A, 3.3): the Mult-VAE network whose KL to N(0, I)
/// is replaced by a Monte-Carlo KL to a Gaussian mixture (gmm) or to a VampPrior. Scoring is Mult-VAE's:
/// decoder(mu) with fold-in items excluded. After training it reports how many components carry
/// training users (spec 3.4 pitfall 2).
/// </summary>
public sealed class MixturePriorVae : TrainedModel<MixturePriorVaeHyper>, IReportsExtras
{
    public MixturePriorVae(int items, MixturePriorVaeHyper hyper, ulong seed) : base(hyper)
    {
        hyper.Validate();
        if (items <= 0) throw new ArgumentOutOfRangeException(nameof(items), $"items must be > 0, got {items}");
        int[] q = hyper.Hidden > 0 ? [items, hyper.Hidden, hyper.Latent] : [items, hyper.Latent];
        int[] p = hyper.Hidden > 0 ? [hyper.Latent, hyper.Hidden, items] : [hyper.Latent, items];
        Network = new SparseAutoencoder(q, p, variational: true, hyper.Likelihood, GaussianConfidence.Default,
            hyper.LearningRate, hyper.WeightDecay, seed, hyper.BatchSize, hyper.NetworkOptions());
    }

    public override int Items => Network.Items;
    public long ParameterCount => Network.ParameterCount;
    internal SparseAutoencoder Network { get; }

    public override BatchLoss TrainStep(CsrMatrix data, ReadOnlySpan<int> rows, double beta) =>
        Network.TrainStep(data, rows, Hyper.KeepProbability, beta);

    /// <summary>The loss on rows without dropout, z = mu (the KL estimated at z = mu).</summary>
    public BatchLoss Evaluate(CsrMatrix data, ReadOnlySpan<int> rows, double beta) => Network.Evaluate(data, rows, beta);

    public override void Score(CsrMatrix foldIn, ReadOnlySpan<int> rows, Span<float> output) => Network.Score(foldIn, rows, output);

    public override void Save(string path, bool withOptimizer) => Network.Save(path, withOptimizer);

    public override void Load(string path) => Network.Load(path);

    public override bool UsesAnnealing => true;
    public override AnnealingSchedule? NewAnnealingSchedule() => Hyper.NewAnnealingSchedule();

    public override void Reseed(ulong seed) => Network.Reseed(seed);

    /// <summary>Users per component (highest responsibility at z = mu); null for the standard prior.</summary>
    public int[]? ComponentUsage(CsrMatrix data) => Network.ComponentUsage(data);

    /// <summary>components, componentsCarryingUsers and largestComponentShare over the training users.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> Extras(CsrMatrix train)
    {
        var usage = ComponentUsage(train);
        if (usage is null) return [];
        double total = Math.Max(1, usage.Sum());
        return
        [
            new("components", usage.Length),
            new("componentsCarryingUsers", usage.Count(c => c > 0)),
            new("largestComponentShare", usage.Max() / total),
        ];
    }

    public override void Dispose() => Network.Dispose();
}
