namespace Repro.Core.Training;

/// <summary>
/// The KL weight schedule of the notebook (spec 2.1, "beta schedule"): beta = min(cap, updates / totalSteps), where
/// <see cref="Updates"/> counts gradient updates over the whole run and is never reset at an epoch
/// boundary (spec 7, pitfall 5). The cap clips the linear ramp; it does not scale it.
/// </summary>
public sealed class AnnealingSchedule
{
    public AnnealingSchedule(double cap, long totalSteps, long updates = 0)
    {
        if (!(cap >= 0)) throw new ArgumentOutOfRangeException(nameof(cap), $"cap must be >= 0, got {cap}");
        if (totalSteps <= 0) throw new ArgumentOutOfRangeException(nameof(totalSteps), $"total anneal steps must be > 0, got {totalSteps}");
        if (updates < 0) throw new ArgumentOutOfRangeException(nameof(updates), $"update count must be >= 0, got {updates}");
        Cap = cap;
        TotalSteps = totalSteps;
        Updates = updates;
    }

    /// <summary>
    /// The schedule of a model's settings: beta reaches 1 after <paramref name="totalSteps"/> updates, or,
    /// when <paramref name="annealEpochs"/> is above 0, after that many epochs of
    /// <paramref name="updatesPerEpoch"/> updates.
    /// </summary>
    public static AnnealingSchedule Of(double cap, long totalSteps, int annealEpochs, int updatesPerEpoch)
    {
        if (updatesPerEpoch <= 0) throw new ArgumentOutOfRangeException(nameof(updatesPerEpoch), $"updates per epoch must be > 0, got {updatesPerEpoch}");
        return new(cap, annealEpochs > 0 ? (long)annealEpochs * updatesPerEpoch : totalSteps);
    }

    /// <summary>Largest beta reached (notebook: anneal_cap = 0.2).</summary>
    public double Cap { get; }

    /// <summary>Updates over which beta would reach 1 (notebook: total_anneal_steps = 200,000).</summary>
    public long TotalSteps { get; }

    /// <summary>Gradient updates taken so far in this run (notebook: update_count).</summary>
    public long Updates { get; private set; }

    /// <summary>The beta for the next update: min(cap, updates / totalSteps).</summary>
    public double Beta => BetaAt(Updates);

    public double BetaAt(long updates) => Math.Min(Cap, (double)updates / TotalSteps);

    /// <summary>Records one gradient update (the notebook increments after each minibatch).</summary>
    public void Advance() => Updates++;
}
