using Repro.Core.Networks;
using Repro.Core.Training;

namespace Repro.Core.Models.MultVae;

/// <summary>
/// The settings every Mult-VAE^PR shares, whatever its prior: the network's shape, input dropout, the
/// KL schedule, Adam, the epochs, weight decay, the likelihood and the output products' number
/// format. Defaults are the values of the authors' ML-20M notebook VAE_ML20M_WWW2018.ipynb (NB), as
/// transcribed in spec 2.1. <see cref="MultVaeHyper"/> (the paper's model) and
/// <see cref="MixturePriorVae.MixturePriorVaeHyper"/> (spec 3.2: Mult-VAE^PR everywhere except the
/// prior) add their own settings after these; run records list these first.
/// </summary>
public abstract record MultVaeSettings : ITrainingSchedule
{
    /// <summary>Units of the encoder's and decoder's hidden layer (0 = no hidden layer). Paper: 600 (spec 2.1 'Architecture': NB p_dims = [200, 600, n_items]; paper section 4.3).</summary>
    public int Hidden { get; init; } = 600;

    /// <summary>Dimension K of z. Paper: 200 (spec 2.1 'Architecture'; paper section 4.3, K = 200).</summary>
    public int Latent { get; init; } = 200;

    /// <summary>Probability of keeping an input entry under dropout, in (0, 1]. Paper: 0.5 (spec 2.1 'Dropout': NB keep_prob 0.5 in training, 1.0 in evaluation).</summary>
    public double KeepProbability { get; init; } = 0.5;

    /// <summary>Largest KL weight beta. Paper: 0.2 (spec 2.1 'beta schedule': NB anneal_cap = 0.2). It multiplies the whole KL estimate, a mixture prior's too (spec 3.4 pitfall 3).</summary>
    public double AnnealCap { get; init; } = 0.2;

    /// <summary>Gradient updates over which beta would rise linearly from 0 to 1; beta = min(cap, updates / this). Paper: 200,000 (spec 2.1 'beta schedule': NB total_anneal_steps; paper section 4.3).</summary>
    public long TotalAnnealSteps { get; init; } = 200_000;

    /// <summary>
    /// When above 0, beta rises from 0 to 1 over this many epochs' updates instead of over
    /// TotalAnnealSteps (which it then replaces): the notebook's 200,000 updates are about 855 epochs of
    /// ML-20M's 234 batches, so on a dataset of a few thousand users beta stays near 0 for a whole run and
    /// no cap binds. Default 0 (off); left out of run records at 0, so earlier runs keep their ids.
    /// </summary>
    [OmittedAtDefault("0")]
    public int AnnealEpochs { get; init; }

    /// <summary>Adam's step size, a mixture prior's parameters included. Paper: 1e-3 (spec 2.1 'Optimiser': NB class default lr = 1e-3, not overridden).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Users per training minibatch. Paper: 500 (spec 2.1 'Batch size'; paper section 4.3).</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>Training epochs. Paper: 200 for ML-20M, 100 for Netflix and MSD (spec 2.1 'Epochs').</summary>
    public int Epochs { get; init; } = 200;

    /// <summary>lam in the penalty lam sum ||W||^2 on the network's weights, not a prior's parameters (the notebook's 2 l2_regularizer(lam)). Paper: 0 (spec 2.1 'Weight decay': NB lam = 0.0; paper: no weight decay for VAE models).</summary>
    public double WeightDecay { get; init; } = 0.0;

    /// <summary>The output likelihood. Paper: multinomial (section 2.1); Gaussian and logistic are the section 4.5 ablation.</summary>
    public Likelihood Likelihood { get; init; } = Likelihood.Multinomial;

    /// <summary>
    /// Number format of the output layer's three large matrix products: fp32 (the notebook's
    /// arithmetic) or bf16 (bfloat16 operands accumulated in fp32; weights, softmax, loss and Adam stay
    /// fp32; needs AVX-512 BF16). Default fp32: docs/benchmarks.md gives bf16's speed and accuracy.
    /// Left out of run records at fp32, so runs recorded before the setting existed keep their ids.
    /// </summary>
    [OmittedAtDefault("Fp32")]
    public ProductPrecision Precision { get; init; } = ProductPrecision.Fp32;

    /// <summary>The notebook's KL schedule for these settings, starting at update 0.</summary>
    public AnnealingSchedule NewAnnealingSchedule(int updatesPerEpoch) => AnnealingSchedule.Of(AnnealCap, TotalAnnealSteps, AnnealEpochs, updatesPerEpoch);

    /// <summary>Throws if one of these settings is out of range; a derived record's Validate calls it first.</summary>
    protected void ValidateShared()
    {
        if (Hidden < 0) throw new ArgumentOutOfRangeException(nameof(Hidden), $"hidden units must be >= 0, got {Hidden}");
        if (Latent <= 0) throw new ArgumentOutOfRangeException(nameof(Latent), $"latent dimension must be > 0, got {Latent}");
        if (!(KeepProbability > 0 && KeepProbability <= 1)) throw new ArgumentOutOfRangeException(nameof(KeepProbability), $"keep probability must be in (0, 1], got {KeepProbability}");
        if (!(AnnealCap >= 0)) throw new ArgumentOutOfRangeException(nameof(AnnealCap), $"anneal cap must be >= 0, got {AnnealCap}");
        if (TotalAnnealSteps <= 0) throw new ArgumentOutOfRangeException(nameof(TotalAnnealSteps), $"total anneal steps must be > 0, got {TotalAnnealSteps}");
        if (AnnealEpochs < 0) throw new ArgumentOutOfRangeException(nameof(AnnealEpochs), $"anneal epochs must be >= 0 (0 = use total anneal steps), got {AnnealEpochs}");
        SettingChecks.Optimiser(LearningRate, BatchSize, Epochs, WeightDecay);
    }
}
