namespace Repro.Core.Models.Wmf;

/// <summary>
/// Hyperparameters of weighted matrix factorisation (Hu, Koren and Volinsky, ICDM 2008) trained by
/// alternating least squares, as Liang et al. use it (paper section 4.4, spec 2.3).
/// </summary>
public sealed record WmfHyper
{
    /// <summary>Latent factors K. Paper: grid {100, 200} (spec 2.3); the selected K is not reported, 200 is our default.</summary>
    public int Factors { get; init; } = 200;

    /// <summary>
    /// c in the confidence 1 + c of an observed entry (zeros have confidence 1). Paper: grid
    /// {2, 5, 10, 30, 50, 100} (spec 2.3: "weight on 1's tuned"); the selected value is not reported, 10 is our default.
    /// </summary>
    public double Confidence { get; init; } = 10;

    /// <summary>L2 penalty lambda on every user and item factor vector. Not given by the paper; 0.01 is our default.</summary>
    public double Lambda { get; init; } = 0.01;

    /// <summary>ALS sweeps (users then items). Not given by the paper; 10 is our default (Hu et al. report convergence in about 10).</summary>
    public int Iterations { get; init; } = 10;

    /// <summary>Standard deviation of the Gaussian initial item factors. Not given by the paper; 0.01 is our choice.</summary>
    public double InitScale { get; init; } = 0.01;

    public static WmfHyper Paper { get; } = new();

    /// <summary>The paper's grids (spec 2.3).</summary>
    public static IReadOnlyList<int> FactorsGrid { get; } = [100, 200];
    public static IReadOnlyList<double> ConfidenceGrid { get; } = [2, 5, 10, 30, 50, 100];

    /// <summary>Throws if a value is out of range.</summary>
    public void Validate()
    {
        if (Factors <= 0) throw new ArgumentOutOfRangeException(nameof(Factors), $"factors must be > 0, got {Factors}");
        if (!(Confidence >= 0) || double.IsInfinity(Confidence)) throw new ArgumentOutOfRangeException(nameof(Confidence), $"confidence c must be >= 0 and finite, got {Confidence}");
        if (!(Lambda > 0) || double.IsInfinity(Lambda)) throw new ArgumentOutOfRangeException(nameof(Lambda), $"lambda must be > 0 and finite, got {Lambda}");
        if (Iterations <= 0) throw new ArgumentOutOfRangeException(nameof(Iterations), $"iterations must be > 0, got {Iterations}");
        if (!(InitScale > 0) || double.IsInfinity(InitScale)) throw new ArgumentOutOfRangeException(nameof(InitScale), $"init scale must be > 0 and finite, got {InitScale}");
    }
}
