using Repro.Core.Models.MultVae;
using Repro.Core.Networks;

namespace Repro.Core.Models.MixturePriorVae;

/// <summary>
/// Hyperparameters of Mult-VAE^PR with a mixture prior (spec 3.2: Mult-VAE^PR everywhere except the
/// prior): the shared <see cref="MultVaeSettings"/> with their defaults (spec 2.1), then the settings
/// that choose the prior and its KL estimate.
/// </summary>
public sealed record MixturePriorVaeHyper : MultVaeSettings
{
    /// <summary>The prior: standard (N(0, I), analytic KL: Mult-VAE^PR itself), gmm or vamp. Default gmm (spec 3.2).</summary>
    public PriorKind Prior { get; init; } = PriorKind.Gmm;

    /// <summary>Mixture components K. Default 10 for gmm (spec 3.3 cost line); the vamp entry uses 1000 (EVCF number_components, spec 3.3).</summary>
    public int Components { get; init; } = 10;

    /// <summary>Monte-Carlo samples L of the KL per user and update. Default 1 (spec 3.2 option A: as EVCF and RecVAE).</summary>
    public int Samples { get; init; } = 1;

    /// <summary>Floor of the prior components' log-variances. Default -12 (spec 3.4 pitfall 4, EVCF's clamp).</summary>
    public double LogVarianceFloor { get; init; } = -12;

    /// <summary>gmm: weights softmax(alpha) with alpha learnt (true) or uniform (false). Default true (spec 3.2); vamp's weights are uniform, so it must be false there.</summary>
    public bool LearnWeights { get; init; } = true;

    /// <summary>
    /// How the KL is computed: monte-carlo (spec 3.2 option A, the default) or discrete (option B:
    /// closed form with a component variable whose posterior is the prior's responsibilities at z = mu).
    /// </summary>
    [OmittedAtDefault("MonteCarlo")]
    public KlEstimator KlEstimator { get; init; } = KlEstimator.MonteCarlo;

    /// <summary>The gmm prior with 10 components.</summary>
    public static MixturePriorVaeHyper Paper { get; } = new();

    /// <summary>VampPrior with EVCF's 1000 pseudo-inputs and uniform weights.</summary>
    public static MixturePriorVaeHyper PaperVamp { get; } = new() { Prior = PriorKind.Vamp, Components = 1000, LearnWeights = false };

    /// <summary>The network options these settings ask for.</summary>
    public AutoencoderOptions NetworkOptions() => new()
    {
        Prior = Prior, Components = Components, Samples = Samples, LogVarianceFloor = LogVarianceFloor, LearnWeights = LearnWeights, Precision = Precision,
        KlEstimator = KlEstimator,
    };

    /// <summary>Throws if a value is out of range or a setting would be ignored.</summary>
    public void Validate()
    {
        ValidateShared();
        if (Prior == PriorKind.Vamp && LearnWeights) throw new ArgumentException("VampPrior's weights are uniform: set learn-weights=false");
        if (Prior == PriorKind.Standard && Samples != 1) throw new ArgumentException("the standard prior's KL is analytic: samples would be ignored");
        NetworkOptions().Validate(variational: true);
    }
}
