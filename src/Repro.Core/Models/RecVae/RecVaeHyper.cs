using Repro.Core.Networks;

namespace Repro.Core.Models.RecVae;

/// <summary>
/// Hyperparameters of RecVAE (Shenbin et al., WSDM 2020; spec 4). <see cref="Paper"/> holds the defaults of
/// the authors' code, github.com/ilya-shenbin/RecVAE: run.py's argparse defaults (RS; gamma 0.005 and
/// 50 epochs are the defaults of its earlier revision, the ML-20M setting behind the published 0.414 /
/// 0.553 / 0.442) and model.py's constants (RM).
/// </summary>
public sealed record RecVaeHyper : ITrainingSchedule
{
    /// <summary>Units of each of the encoder's five hidden layers. Paper: 600 (RS --hidden-dim).</summary>
    public int Hidden { get; init; } = 600;

    /// <summary>Dimension of z. Paper: 200 (RS --latent-dim).</summary>
    public int Latent { get; init; } = 200;

    /// <summary>
    /// gamma in the per-user KL weight beta_u = gamma * sum_i x_ui (the user's number of items on binary
    /// data). Paper: 0.005 (RS --gamma; RM VAE.forward: kl_weight = gamma * user_ratings.sum(-1)).
    /// </summary>
    public double Gamma { get; init; } = 0.005;

    /// <summary>Adam's step size, for both the encoder's and the decoder's optimiser. Paper: 5e-4 (RS --lr).</summary>
    public double LearningRate { get; init; } = 5e-4;

    /// <summary>Users per training minibatch. Paper: 500 (RS --batch-size).</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>Training epochs; each is <see cref="EncoderPasses"/> + <see cref="DecoderPasses"/> passes over the training users. Paper: 50 (RS --n-epochs).</summary>
    public int Epochs { get; init; } = 50;

    /// <summary>Passes per epoch that update only the encoder (input dropout on, decoder frozen). Paper: 3 (RS --n-enc_epochs).</summary>
    public int EncoderPasses { get; init; } = 3;

    /// <summary>Passes per epoch that update only the decoder (no dropout, encoder frozen). Paper: 1 (RS --n-dec_epochs).</summary>
    public int DecoderPasses { get; init; } = 1;

    /// <summary>Probability of keeping an input entry under dropout in encoder passes, in (0, 1]. Paper: 0.5 (RS run(..., dropout_rate=0.5)).</summary>
    public double KeepProbability { get; init; } = 0.5;

    /// <summary>Composite prior: weight of N(0, I). Paper: 3/20 (RM CompositePrior mixture_weights).</summary>
    public double StandardPriorWeight { get; init; } = 3.0 / 20;

    /// <summary>Composite prior: weight of the previous epoch's posterior q(z | x) (the "old encoder"). Paper: 3/4 (RM).</summary>
    public double PosteriorPriorWeight { get; init; } = 3.0 / 4;

    /// <summary>Composite prior: weight of the wide Gaussian N(0, exp(<see cref="WidePriorLogVariance"/>) I). Paper: 1/10 (RM).</summary>
    public double WidePriorWeight { get; init; } = 1.0 / 10;

    /// <summary>Log variance of the wide prior component. Paper: 10 (RM logvar_uniform_prior.fill_(10)).</summary>
    public double WidePriorLogVariance { get; init; } = 10;

    /// <summary>
    /// Number format of the output layer's three large matrix products (the decoder's logits, its weight gradient and d loss / d z): fp32 (the paper's
    /// arithmetic) or bf16 (bfloat16 operands accumulated in fp32; weights, softmax, loss and Adam stay fp32;
    /// needs AVX-512 BF16). Our addition, default fp32 (docs/models/recvae.md gives bf16's accuracy).
    /// Left out of run records at fp32, so runs recorded before the setting existed keep their ids.
    /// </summary>
    [OmittedAtDefault("Fp32")]
    public ProductPrecision Precision { get; init; } = ProductPrecision.Fp32;

    public static RecVaeHyper Paper { get; } = new();

    /// <summary>Passes over the training users per epoch (what the training driver runs).</summary>
    public int PassesPerEpoch => EncoderPasses + DecoderPasses;

    /// <summary>Throws if a value is out of range.</summary>
    public void Validate()
    {
        if (Hidden <= 0) throw new ArgumentOutOfRangeException(nameof(Hidden), $"hidden units must be > 0, got {Hidden}");
        if (Latent <= 0) throw new ArgumentOutOfRangeException(nameof(Latent), $"latent dimension must be > 0, got {Latent}");
        if (!(Gamma > 0) || double.IsInfinity(Gamma)) throw new ArgumentOutOfRangeException(nameof(Gamma), $"gamma must be a finite number > 0, got {Gamma}");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), $"learning rate must be a finite number > 0, got {LearningRate}");
        if (BatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(BatchSize), $"batch size must be > 0, got {BatchSize}");
        if (Epochs <= 0) throw new ArgumentOutOfRangeException(nameof(Epochs), $"epochs must be > 0, got {Epochs}");
        if (EncoderPasses <= 0) throw new ArgumentOutOfRangeException(nameof(EncoderPasses), $"encoder passes must be > 0, got {EncoderPasses}");
        if (DecoderPasses <= 0) throw new ArgumentOutOfRangeException(nameof(DecoderPasses), $"decoder passes must be > 0, got {DecoderPasses}");
        if (!(KeepProbability > 0 && KeepProbability <= 1)) throw new ArgumentOutOfRangeException(nameof(KeepProbability), $"keep probability must be in (0, 1], got {KeepProbability}");
        foreach (var (name, w) in new[] { (nameof(StandardPriorWeight), StandardPriorWeight), (nameof(PosteriorPriorWeight), PosteriorPriorWeight), (nameof(WidePriorWeight), WidePriorWeight) })
            if (!(w > 0 && w <= 1)) throw new ArgumentOutOfRangeException(name, $"a prior mixture weight must be in (0, 1], got {w}");
        double sum = StandardPriorWeight + PosteriorPriorWeight + WidePriorWeight;
        if (Math.Abs(sum - 1) > 1e-9) throw new ArgumentException($"the prior mixture weights must sum to 1, got {StandardPriorWeight} + {PosteriorPriorWeight} + {WidePriorWeight} = {sum}");
        if (!double.IsFinite(WidePriorLogVariance)) throw new ArgumentOutOfRangeException(nameof(WidePriorLogVariance), $"wide prior log variance must be finite, got {WidePriorLogVariance}");
    }
}
