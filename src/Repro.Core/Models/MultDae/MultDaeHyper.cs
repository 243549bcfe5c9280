using Repro.Core.Networks;
using Repro.Core.Training;

namespace Repro.Core.Models.MultDae;

/// <summary>
/// Hyperparameters of Mult-DAE. <see cref="Paper"/> holds the values of the authors' ML-20M notebook
/// VAE_ML20M_WWW2018.ipynb (NB), as transcribed in spec 2.2 (NB cells 41, 77-92).
/// </summary>
public sealed record MultDaeHyper : ITrainingSchedule
{
    /// <summary>Units of the single hidden (code) layer, I -> Hidden -> I. Paper: 200 (spec 2.2: NB p_dims = [200, n_items]).</summary>
    public int Hidden { get; init; } = 200;

    /// <summary>Probability of keeping an input entry under dropout, in (0, 1]. Paper: 0.5 (spec 2.2: same input dropout as Mult-VAE).</summary>
    public double KeepProbability { get; init; } = 0.5;

    /// <summary>
    /// lam in the penalty lam sum ||W||^2 on weights only, added to the per-user-mean loss. Paper:
    /// 0.01 / 500 = 2e-5 (spec 2.2: NB lam = 0.01 / batch_size, applied as 2 l2_regularizer(lam) and
    /// TF's l2_regularizer halves, spec 2.2 and 7 pitfall 10; paper section 4.3: "weight decay of 0.01").
    /// </summary>
    public double WeightDecay { get; init; } = 0.01 / 500;

    /// <summary>Adam's step size. Paper: 1e-3 (spec 2.2).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Users per training minibatch. Paper: 500 (spec 2.2).</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>Training epochs. Paper: 200 (spec 2.2).</summary>
    public int Epochs { get; init; } = 200;

    /// <summary>The output likelihood. Paper: multinomial (section 2.1); Gaussian and logistic are the section 4.5 ablation.</summary>
    public Likelihood Likelihood { get; init; } = Likelihood.Multinomial;

    /// <summary>Confidence weights of the Gaussian likelihood; must be null unless <see cref="Likelihood"/> is Gaussian (then null means <see cref="GaussianConfidence.Default"/>).</summary>
    public GaussianConfidence? GaussianConfidence { get; init; }

    /// <summary>
    /// Number format of the output layer's three large matrix products: fp32 (the notebook's
    /// arithmetic) or bf16 (bfloat16 operands accumulated in fp32; weights, softmax, loss and Adam stay
    /// fp32; needs AVX-512 BF16). Default fp32: docs/benchmarks.md gives bf16's speed and accuracy.
    /// Left out of run records at fp32, so runs recorded before the setting existed keep their ids.
    /// </summary>
    [OmittedAtDefault("Fp32")]
    public ProductPrecision Precision { get; init; } = ProductPrecision.Fp32;

    public static MultDaeHyper Paper { get; } = new();

    /// <summary>Throws if a value is out of range or a setting would be ignored.</summary>
    public void Validate()
    {
        if (Hidden <= 0) throw new ArgumentOutOfRangeException(nameof(Hidden), $"hidden units must be > 0, got {Hidden}");
        if (!(KeepProbability > 0 && KeepProbability <= 1)) throw new ArgumentOutOfRangeException(nameof(KeepProbability), $"keep probability must be in (0, 1], got {KeepProbability}");
        SettingChecks.Optimiser(LearningRate, BatchSize, Epochs, WeightDecay);
        SettingChecks.ConfidenceFits(Likelihood, GaussianConfidence);
    }
}
