namespace Repro.Core.Models.Ease;

/// <summary>
/// Hyperparameters of EASE^R (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019).
/// Not a baseline of Liang et al.; it is the strongest later linear model on the same protocol (spec 4).
/// </summary>
public sealed record EaseHyper
{
    /// <summary>
    /// L2 penalty lambda added to the diagonal of the Gram matrix X^T X (same units as counts of users).
    /// Paper: 500 for ML-20M (spec 4: Steck's values 500 / 1,000 / 200 for ML-20M / Netflix / MSD, [M]).
    /// Tuning grid: {50, 100, 200, 500, 1000, 2000}.
    /// </summary>
    public double Lambda { get; init; } = 500;

    /// <summary>Steck's ML-20M value (spec 4).</summary>
    public static EaseHyper Paper { get; } = new();

    /// <summary>Steck's Netflix value (spec 4).</summary>
    public static EaseHyper PaperNetflix { get; } = new() { Lambda = 1000 };

    /// <summary>Steck's MSD value (spec 4).</summary>
    public static EaseHyper PaperMsd { get; } = new() { Lambda = 200 };

    /// <summary>The tuning grid for lambda.</summary>
    public static IReadOnlyList<double> LambdaGrid { get; } = [50, 100, 200, 500, 1000, 2000];

    /// <summary>Throws if a value is out of range.</summary>
    public void Validate()
    {
        if (!(Lambda > 0) || double.IsInfinity(Lambda)) throw new ArgumentOutOfRangeException(nameof(Lambda), $"lambda must be > 0 and finite, got {Lambda}");
    }
}
