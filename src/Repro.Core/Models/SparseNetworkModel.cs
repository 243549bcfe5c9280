using Repro.Core.Networks;
using Repro.Core.Sparse;

namespace Repro.Core.Models;

/// <summary>
/// A trained model that is one <see cref="SparseAutoencoder"/> (Mult-VAE^PR, Mult-DAE, the autoencoder
/// family, the mixture-prior VAEs): scoring, saving, loading, reseeding and disposing are the network's.
/// A model supplies how its network is built and how a step calls it.
/// </summary>
public abstract class SparseNetworkModel<THyper> : TrainedModel<THyper> where THyper : class, ITrainingSchedule
{
    protected SparseNetworkModel(THyper hyper, SparseAutoencoder network) : base(hyper) => Network = network;

    internal SparseAutoencoder Network { get; }

    public override int Items => Network.Items;
    public long ParameterCount => Network.ParameterCount;

    /// <summary>Phase timings of the last training step.</summary>
    public StepProfile LastStepProfile => Network.LastProfile;

    /// <summary>Nonzeros that entered the first layer in the last training batch (after dropout).</summary>
    public int LastInputNonZeros => Network.LastInputNonZeros;

    /// <summary>Logits for each row (no dropout; a VAE uses z = mu), fold-in items set to negative infinity; output is rows x Items.</summary>
    public override void Score(CsrMatrix foldIn, ReadOnlySpan<int> rows, Span<float> output) => Network.Score(foldIn, rows, output);

    /// <summary>Writes the weights, and with <paramref name="withOptimizer"/> Adam's state, atomically.</summary>
    public override void Save(string path, bool withOptimizer) => Network.Save(path, withOptimizer);

    public override void Load(string path) => Network.Load(path);

    /// <summary>Restarts the dropout and noise stream (weights are unchanged).</summary>
    public override void Reseed(ulong seed) => Network.Reseed(seed);

    public override void Dispose() => Network.Dispose();

    /// <summary>Validates the settings and the item count before a subclass builds its network.</summary>
    protected static void Check(int items, Action validate)
    {
        validate();
        if (items <= 0) throw new ArgumentOutOfRangeException(nameof(items), $"items must be > 0, got {items}");
    }
}
