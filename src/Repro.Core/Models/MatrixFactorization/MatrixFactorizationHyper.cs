namespace Repro.Core.Models.MatrixFactorization;

/// <summary>
/// Hyperparameters of rating matrix factorisation fitted by SGD on the squared error of observed
/// ratings: PMF (Salakhutdinov and Mnih 2008; prediction mu + p_u . q_i on ratings centred by the
/// training mean mu, as mDA-CF §4.2 centres them) and biased MF (Koren, Bell, Volinsky 2009, "Biased
/// PMF" in mDA-CF's Table 3, "BiasedMF" in AutoRec's Table 2; prediction mu + b_u + b_i + p_u . q_i).
/// Loss: sum over ratings of (r_ui - prediction)^2 + Regularization x (|p_u|^2 + |q_i|^2 + b_u^2 + b_i^2).
/// </summary>
public sealed record MatrixFactorizationHyper
{
    /// <summary>Dimension d of p_u and q_i. Paper: 10 and 20 (mDA-CF Table 3, spec §6.2); AutoRec does not give BiasedMF's d (ours: 10).</summary>
    public int Factors { get; init; } = 10;

    /// <summary>Whether user and item biases b_u, b_i are fitted (biased MF) or not (PMF). Default: false (PMF).</summary>
    public bool Biases { get; init; }

    /// <summary>SGD step size per rating. No source gives it for these baselines (mDA-CF uses 0.002 for its own factors, spec §6.2); ours: 0.01 by default, and the grid {0.003, 0.01} chosen on the validation carve.</summary>
    public double LearningRate { get; init; } = 0.01;

    /// <summary>L2 weight on factors and biases, per rating. Chosen on the validation carve from a grid (ours: {0.05, 0.1, 0.2}; mDA-CF chose its by 5-fold cross-validation, values not given). Default 0.05.</summary>
    public double Regularization { get; init; } = 0.05;

    /// <summary>Standard deviation of the normal initialisation of p_u and q_i (biases start at 0). Ours: 0.1.</summary>
    public double InitStd { get; init; } = 0.1;

    /// <summary>Maximum epochs (passes over the training ratings in a fresh random order). Ours: 300 (early stopping ends fits well before at step size 0.01).</summary>
    public int Epochs { get; init; } = 300;

    /// <summary>Epochs without a better validation RMSE after which fitting stops; the best epoch's factors are kept. Ours: 10.</summary>
    public int Patience { get; init; } = 10;

    public static MatrixFactorizationHyper Paper { get; } = new();

    public void Validate()
    {
        if (Factors <= 0) throw new ArgumentOutOfRangeException(nameof(Factors), $"factors must be > 0, got {Factors}");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), $"learning rate must be finite and > 0, got {LearningRate}");
        if (!(Regularization >= 0) || double.IsInfinity(Regularization)) throw new ArgumentOutOfRangeException(nameof(Regularization), $"regularization must be finite and >= 0, got {Regularization}");
        if (!(InitStd >= 0) || double.IsInfinity(InitStd)) throw new ArgumentOutOfRangeException(nameof(InitStd), $"init std must be finite and >= 0, got {InitStd}");
        if (Epochs < 0) throw new ArgumentOutOfRangeException(nameof(Epochs), $"epochs must be >= 0, got {Epochs}");
        if (Patience <= 0) throw new ArgumentOutOfRangeException(nameof(Patience), $"patience must be > 0, got {Patience}");
    }
}
