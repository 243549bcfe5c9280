using Repro.Core.Networks;
using Repro.Core.Sparse;
using Repro.Core.Training;

namespace Repro.Core.Models.MixturePriorVae;

/// <summary>
/// Mult-VAE^PR with a mixture prior (spec 3.2 option A, 3.3): the Mult-VAE network whose KL to N(0, I)
/// is replaced by a Monte-Carlo KL to a Gaussian mixture (gmm) or to a VampPrior. Scoring is Mult-VAE's:
/// decoder(mu) with fold-in items excluded. After training it reports how many components carry
/// training users (spec 3.4 pitfall 2), and every epoch in epochs.tsv how many carried the epoch's
/// training users at z = mu under the steps' input dropout.
/// </summary>
public sealed class MixturePriorVae : SparseNetworkModel<MixturePriorVaeHyper>, IReportsExtras, IEpochCounters
{
    public MixturePriorVae(int items, MixturePriorVaeHyper hyper, ulong seed) : base(hyper, Build(items, hyper, seed)) { }

    private static SparseAutoencoder Build(int items, MixturePriorVaeHyper hyper, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(hyper);
        Check(items, hyper.Validate);
        int[] q = hyper.Hidden > 0 ? [items, hyper.Hidden, hyper.Latent] : [items, hyper.Latent];
        int[] p = hyper.Hidden > 0 ? [hyper.Latent, hyper.Hidden, items] : [hyper.Latent, items];
        return new SparseAutoencoder(q, p, variational: true, hyper.Likelihood, GaussianConfidence.Default,
            hyper.LearningRate, hyper.WeightDecay, seed, hyper.BatchSize, hyper.NetworkOptions());
    }

    public override BatchLoss TrainStep(CsrMatrix data, ReadOnlySpan<int> rows, double beta) =>
        Network.TrainStep(data, rows, Hyper.KeepProbability, beta);

    /// <summary>The loss on rows without dropout, z = mu (the KL estimated at z = mu).</summary>
    public BatchLoss Evaluate(CsrMatrix data, ReadOnlySpan<int> rows, double beta) => Network.Evaluate(data, rows, beta);

    public override bool UsesAnnealing => true;
    public override AnnealingSchedule? NewAnnealingSchedule(int updatesPerEpoch) => Hyper.NewAnnealingSchedule(updatesPerEpoch);

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

    private bool HasMixture => Hyper.Prior != PriorKind.Standard;

    public int CounterCount => HasMixture ? Hyper.Components : 0;

    public void AddStepCounts(Span<double> sums)
    {
        if (HasMixture) Network.AddStepComponentUsers(sums);
    }

    public IReadOnlyList<string> EpochColumns => HasMixture ? ["components_carrying_users", "largest_component_share"] : [];

    /// <summary>From the epoch's users per component: how many components carry users, and the largest one's share.</summary>
    public double[] EpochValues(ReadOnlySpan<double> sums)
    {
        if (!HasMixture) return [];
        double total = 0, largest = 0;
        int carrying = 0;
        foreach (var n in sums)
        {
            total += n;
            largest = Math.Max(largest, n);
            if (n > 0) carrying++;
        }
        return [carrying, total > 0 ? largest / total : 0];
    }
}
