using Repro.Core.Networks;
using Repro.Core.Training;

namespace Repro.Core.Models.MixturePriorVae;

/// <summary>
/// Hyperparameters of Mult-VAE^PR with a mixture prior (spec 3.2: Mult-VAE^PR everywhere except the
/// prior). The first ten settings and their defaults are <see cref="MultVae.MultVaeHyper"/>'s (spec 2.1);
/// the rest choose the prior and its KL estimate.
/// </summary>
public sealed record MixturePriorVaeHyper : ITrainingSchedule
{
    /// <summary>Units of the encoder's and decoder's hidden layer (0 = none). Default 600 (spec 2.1).</summary>
    public int Hidden { get; init; } = 600;

    /// <summary>Dimension K of z. Default 200 (spec 2.1).</summary>
    public int Latent { get; init; } = 200;

    /// <summary>Probability of keeping an input entry under dropout. Default 0.5 (spec 2.1).</summary>
    public double KeepProbability { get; init; } = 0.5;

    /// <summary>Largest KL weight beta. Default 0.2 (spec 2.1; spec 3.4 pitfall 3: beta multiplies the whole KL estimate).</summary>
    public double AnnealCap { get; init; } = 0.2;

    /// <summary>Updates over which beta would rise linearly from 0 to 1. Default 200,000 (spec 2.1).</summary>
    public long TotalAnnealSteps { get; init; } = 200_000;

    /// <summary>
    /// When above 0, beta rises from 0 to 1 over this many epochs' updates instead of over
    /// TotalAnnealSteps (which it then replaces): the notebook's 200,000 updates are about 855 epochs of
    /// ML-20M's 234 batches, so on a dataset of a few thousand users beta stays near 0 for a whole run and
    /// no cap binds. Default 0 (off); left out of run records at 0, so earlier runs keep their ids.
    /// </summary>
    [OmittedAtDefault("0")]
    public int AnnealEpochs { get; init; }

    /// <summary>Adam's step size, also for the prior's parameters. Default 1e-3 (spec 2.1).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Users per training minibatch. Default 500 (spec 2.1).</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>Training epochs. Default 200 (spec 2.1).</summary>
    public int Epochs { get; init; } = 200;

    /// <summary>lam in lam sum ||W||^2 on the network's weights (not the prior's parameters). Default 0 (spec 2.1).</summary>
    public double WeightDecay { get; init; }

    /// <summary>The output likelihood. Default multinomial (spec 2.1).</summary>
    public Likelihood Likelihood { get; init; } = Likelihood.Multinomial;

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

    /// <summary>
    /// Number format of the output layer's three large matrix products: fp32 (the notebook's
    /// arithmetic) or bf16 (bfloat16 operands accumulated in fp32; weights, softmax, loss and Adam stay
    /// fp32; needs AVX-512 BF16). Default fp32: docs/benchmarks.md gives bf16's speed and accuracy.
    /// Left out of run records at fp32, so runs recorded before the setting existed keep their ids.
    /// </summary>
    [OmittedAtDefault("Fp32")]
    public ProductPrecision Precision { get; init; } = ProductPrecision.Fp32;

    /// <summary>The gmm prior with 10 components.</summary>
    public static MixturePriorVaeHyper Paper { get; } = new();

    /// <summary>VampPrior with EVCF's 1000 pseudo-inputs and uniform weights.</summary>
    public static MixturePriorVaeHyper PaperVamp { get; } = new() { Prior = PriorKind.Vamp, Components = 1000, LearnWeights = false };

    /// <summary>The notebook's KL schedule for these settings.</summary>
    public AnnealingSchedule NewAnnealingSchedule(int updatesPerEpoch) => AnnealingSchedule.Of(AnnealCap, TotalAnnealSteps, AnnealEpochs, updatesPerEpoch);

    /// <summary>The network options these settings ask for.</summary>
    public AutoencoderOptions NetworkOptions() => new()
    {
        Prior = Prior, Components = Components, Samples = Samples, LogVarianceFloor = LogVarianceFloor, LearnWeights = LearnWeights, Precision = Precision,
        KlEstimator = KlEstimator,
    };

    /// <summary>Throws if a value is out of range or a setting would be ignored.</summary>
    public void Validate()
    {
        if (Hidden < 0) throw new ArgumentOutOfRangeException(nameof(Hidden), $"hidden units must be >= 0, got {Hidden}");
        if (Latent <= 0) throw new ArgumentOutOfRangeException(nameof(Latent), $"latent dimension must be > 0, got {Latent}");
        if (!(KeepProbability > 0 && KeepProbability <= 1)) throw new ArgumentOutOfRangeException(nameof(KeepProbability), $"keep probability must be in (0, 1], got {KeepProbability}");
        if (!(AnnealCap >= 0)) throw new ArgumentOutOfRangeException(nameof(AnnealCap), $"anneal cap must be >= 0, got {AnnealCap}");
        if (TotalAnnealSteps <= 0) throw new ArgumentOutOfRangeException(nameof(TotalAnnealSteps), $"total anneal steps must be > 0, got {TotalAnnealSteps}");
        if (AnnealEpochs < 0) throw new ArgumentOutOfRangeException(nameof(AnnealEpochs), $"anneal epochs must be >= 0 (0 = use total anneal steps), got {AnnealEpochs}");
        if (!(LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), $"learning rate must be > 0, got {LearningRate}");
        if (BatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(BatchSize), $"batch size must be > 0, got {BatchSize}");
        if (Epochs <= 0) throw new ArgumentOutOfRangeException(nameof(Epochs), $"epochs must be > 0, got {Epochs}");
        if (!(WeightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(WeightDecay), $"weight decay must be >= 0, got {WeightDecay}");
        if (Prior == PriorKind.Vamp && LearnWeights) throw new ArgumentException("VampPrior's weights are uniform: set learn-weights=false");
        if (Prior == PriorKind.Standard && Samples != 1) throw new ArgumentException("the standard prior's KL is analytic: samples would be ignored");
        NetworkOptions().Validate(variational: true);
    }
}
