namespace Repro.Core.Networks;

/// <summary>The nonlinearity of every hidden layer of a <see cref="SparseAutoencoder"/>.</summary>
public enum HiddenActivation
{
    /// <summary>tanh, the notebook's choice for Mult-VAE and Mult-DAE (spec 2.1).</summary>
    Tanh,

    /// <summary>The logistic sigmoid, the classical sparse and contractive autoencoders' unit (spec 5).</summary>
    Sigmoid,
}

/// <summary>The prior over z of a variational <see cref="SparseAutoencoder"/> (spec 3.2).</summary>
public enum PriorKind
{
    /// <summary>N(0, I) with the analytic KL (Mult-VAE^PR).</summary>
    Standard,

    /// <summary>A mixture of K diagonal Gaussians over whole latent vectors with learnable means, log-variances and weights; KL by Monte Carlo (spec 3.2 option A).</summary>
    Gmm,

    /// <summary>VampPrior: the uniform mixture of the encoder's posteriors at K learnable pseudo-inputs (EVCF, spec 3.3); KL by Monte Carlo.</summary>
    Vamp,
}

/// <summary>How the KL to a mixture prior is computed (spec 3.2).</summary>
public enum KlEstimator
{
    /// <summary>Option A: (1/L) sum_l [log q(z_l | x) - log p(z_l)] at reparameterised samples; unbiased.</summary>
    MonteCarlo,

    /// <summary>
    /// Option B: a discrete component c with q(c | x) the prior's responsibilities at z = mu:
    /// sum_c q(c | x) KL(q(z | x) || p_c) + KL(q(c | x) || w), every term closed form; a looser ELBO
    /// (its gap is E KL(q(c | x) || p(c | z))) without sampling noise.
    /// </summary>
    Discrete,
}

/// <summary>
/// What a <see cref="SparseAutoencoder"/> adds to the notebook's networks (spec 5 and 3): penalties on
/// the hidden units, Gaussian input noise, the hidden activation and a mixture prior. The default
/// value adds nothing, so a network built with it computes exactly what one built without it does.
/// </summary>
public sealed record AutoencoderOptions
{
    /// <summary>The hidden layers' nonlinearity.</summary>
    public HiddenActivation Activation { get; init; } = HiddenActivation.Tanh;

    /// <summary>
    /// lam of the sparsity penalty on the code (the encoder's last layer): lam mean_u sum_k |h_uk| (L1,
    /// the lecture's form) or, with <see cref="SparsityTarget"/>, lam sum_k KL(rho || rho_hat_k),
    /// rho_hat_k the batch-mean activation of sigmoid unit k. 0 = off.
    /// </summary>
    public double Sparsity { get; init; }

    /// <summary>rho of the KL sparsity form (sigmoid units only); null = the L1 form.</summary>
    public double? SparsityTarget { get; init; }

    /// <summary>
    /// lam of the contractive penalty lam mean_u ||J||_F^2, summed over encoder layers, each layer's
    /// Jacobian with respect to its own input in closed form: sum_k s'(h_k)^2 ||W_.k||^2 with
    /// s'(h) = 1 - h^2 (tanh) or h (1 - h) (sigmoid) (spec 5; Rifai et al. 2011). 0 = off.
    /// </summary>
    public double Contractive { get; init; }

    /// <summary>Standard deviation of Gaussian noise added to every entry of the l2-normalised input while training (0 = none).</summary>
    public double InputNoise { get; init; }

    /// <summary>The prior over z (variational networks only).</summary>
    public PriorKind Prior { get; init; } = PriorKind.Standard;

    /// <summary>Mixture components K (gmm, vamp).</summary>
    public int Components { get; init; } = 10;

    /// <summary>Monte-Carlo samples L of the KL estimate (gmm, vamp); the first is the decoder's z.</summary>
    public int Samples { get; init; } = 1;

    /// <summary>Floor of the components' log-variances (spec 3.4 pitfall 4: EVCF clamps at -12).</summary>
    public double LogVarianceFloor { get; init; } = -12;

    /// <summary>The gmm's weights are softmax(alpha) with alpha learnt; false = uniform.</summary>
    public bool LearnWeights { get; init; } = true;

    /// <summary>How the KL to a mixture prior is computed (gmm, vamp).</summary>
    public KlEstimator KlEstimator { get; init; } = KlEstimator.MonteCarlo;

    /// <summary>The number format of the output layer's matrix products (<see cref="ProductPrecision"/>).</summary>
    public ProductPrecision Precision { get; init; } = ProductPrecision.Fp32;

    public static AutoencoderOptions None { get; } = new();

    internal bool HasActivationPenalty => Sparsity > 0 || Contractive > 0;

    /// <summary>Throws if a value is out of range for a network that is or is not <paramref name="variational"/>.</summary>
    public void Validate(bool variational)
    {
        if (!(Sparsity >= 0)) throw new ArgumentOutOfRangeException(nameof(Sparsity), $"sparsity weight must be >= 0, got {Sparsity}");
        if (!(Contractive >= 0)) throw new ArgumentOutOfRangeException(nameof(Contractive), $"contractive weight must be >= 0, got {Contractive}");
        if (!(InputNoise >= 0)) throw new ArgumentOutOfRangeException(nameof(InputNoise), $"input noise must be >= 0, got {InputNoise}");
        if (SparsityTarget is { } rho)
        {
            if (!(rho > 0 && rho < 1)) throw new ArgumentOutOfRangeException(nameof(SparsityTarget), $"sparsity target must be in (0, 1), got {rho}");
            if (Activation != HiddenActivation.Sigmoid) throw new ArgumentException("the KL sparsity target needs sigmoid units (activation=sigmoid)");
        }
        if (variational && HasActivationPenalty) throw new ArgumentException("sparsity and contractive penalties apply to a deterministic code, not to a variational bottleneck");
        if (!variational && Prior != PriorKind.Standard) throw new ArgumentException("a prior needs a variational network");
        if (Components <= 0) throw new ArgumentOutOfRangeException(nameof(Components), $"components must be > 0, got {Components}");
        if (KlEstimator == KlEstimator.Discrete && Prior == PriorKind.Standard) throw new ArgumentException("the standard prior's KL is analytic: kl-estimator=discrete applies to the gmm and vamp priors");
        if (KlEstimator == KlEstimator.Discrete && Samples != 1) throw new ArgumentException("kl-estimator=discrete is closed form: samples would be ignored");
        if (Samples <= 0) throw new ArgumentOutOfRangeException(nameof(Samples), $"samples must be > 0, got {Samples}");
        if (!double.IsFinite(LogVarianceFloor)) throw new ArgumentOutOfRangeException(nameof(LogVarianceFloor), "the log-variance floor must be finite");
    }
}
