namespace Repro.Core.Models.MdaCf;

/// <summary>How often each factor vector meets its regularisers β‖u‖² and λ‖P u − (W X)_u‖² in one SGD epoch.</summary>
public enum MdaCfRegularization
{
    /// <summary>At every rating of the user or item, as SGD usually applies a regulariser (a user with n ratings meets it n times an epoch).</summary>
    EachRating,

    /// <summary>Once per user and item per epoch, spread over its ratings (weight 1/n at each of its n ratings): the full-gradient reading of the paper's §3.2, where β‖U‖² counts every row once.</summary>
    OncePerEpoch,
}

/// <summary>
/// Hyperparameters of mDA-CF (Li, Kawale, Fu; CIKM 2015; spec §6.2): a marginalized denoising
/// autoencoder of the user features X and one of the item features Y, tied to the latent factors
/// U, V of matrix factorisation by λ‖P₁Uᵀ − W₁X‖² and λ‖P₂Vᵀ − W₂Y‖², with
/// α‖A ⊙ (R − UVᵀ)‖² + β(‖U‖² + ‖V‖²) on the (centred) ratings.
/// </summary>
public sealed record MdaCfHyper
{
    /// <summary>Latent dimension d. Paper: 10 and 20 (Table 3).</summary>
    public int Factors { get; init; } = 10;

    /// <summary>Weight α of the rating error. Paper: 0.7 on ML-100K (§4.2).</summary>
    public double Alpha { get; init; } = 0.7;

    /// <summary>Weight β of ‖U‖² + ‖V‖². Paper: 0.004 on ML-100K (§4.2).</summary>
    public double Beta { get; init; } = 0.004;

    /// <summary>Weight λ tying the denoised features to the factors. Paper: 0.2 on ML-100K (§4.2).</summary>
    public double Lambda { get; init; } = 0.2;

    /// <summary>SGD step size on U and V. Paper: 0.002 (§4.2).</summary>
    public double LearningRate { get; init; } = 0.002;

    /// <summary>Probability that the marginalized corruption sets a feature to 0 (mSDA's p). Not given by the paper; ours: chosen on the validation carve from {0.1, 0.3, 0.5}, default 0.3.</summary>
    public double Corruption { get; init; } = 0.3;

    /// <summary>Ridge added to E[Q] before solving for W (one-hot feature groups make XXᵀ singular; mSDA's 1e-5 [spec §8: M]).</summary>
    public double Ridge { get; init; } = 1e-5;

    /// <summary>Standard deviation of the normal initialisation of U and V. Ours: 0.1.</summary>
    public double InitStd { get; init; } = 0.1;

    /// <summary>Maximum epochs (one closed-form update of W and P, then one SGD pass over the ratings). Ours: 500.</summary>
    public int Epochs { get; init; } = 500;

    /// <summary>Epochs without a better validation RMSE after which fitting stops; the best epoch is kept. Ours: 10.</summary>
    public int Patience { get; init; } = 10;

    /// <summary>
    /// Marginalized denoising layers of each side's features (mSDA-CF when above 1; must be odd). Layer l
    /// maps h_{l-1} (h_0 = X) by mSDA's closed form and passes h_l = tanh(W_l h_{l-1}) up; only the middle
    /// layer (l = (L+1)/2) is tied to the factors (λ = 0 elsewhere, spec §6.2). Paper: not given for
    /// mSDA-CF; ours: 3 (the smallest stack whose tied layer is not the first). 1 is mDA-CF.
    /// </summary>
    public int Layers { get; init; } = 1;

    /// <summary>How often the β and λ terms act in an epoch. Ours: <see cref="MdaCfRegularization.EachRating"/> (spec §6.2's gradient, applied as SGD applies a regulariser).</summary>
    public MdaCfRegularization Regularization { get; init; } = MdaCfRegularization.EachRating;

    public static MdaCfHyper Paper { get; } = new();

    public void Validate()
    {
        if (Factors <= 0) throw new ArgumentOutOfRangeException(nameof(Factors), $"factors must be > 0, got {Factors}");
        foreach (var (name, v) in new[] { (nameof(Alpha), Alpha), (nameof(Beta), Beta), (nameof(Lambda), Lambda), (nameof(Ridge), Ridge), (nameof(InitStd), InitStd) })
            if (!(v >= 0) || double.IsInfinity(v)) throw new ArgumentOutOfRangeException(name, $"{name} must be finite and >= 0, got {v}");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), $"learning rate must be finite and > 0, got {LearningRate}");
        if (!(Corruption >= 0 && Corruption < 1)) throw new ArgumentOutOfRangeException(nameof(Corruption), $"corruption must lie in [0, 1), got {Corruption}");
        if (Epochs < 0) throw new ArgumentOutOfRangeException(nameof(Epochs), $"epochs must be >= 0, got {Epochs}");
        if (Layers < 1 || Layers % 2 == 0) throw new ArgumentOutOfRangeException(nameof(Layers), $"layers must be odd and >= 1 (the middle layer is tied to the factors), got {Layers}");
        if (!Enum.IsDefined(Regularization)) throw new ArgumentOutOfRangeException(nameof(Regularization), $"unknown regularization {Regularization}");
        if (Patience <= 0) throw new ArgumentOutOfRangeException(nameof(Patience), $"patience must be > 0, got {Patience}");
    }
}
