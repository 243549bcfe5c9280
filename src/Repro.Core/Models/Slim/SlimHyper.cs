namespace Repro.Core.Models.Slim;

/// <summary>
/// Hyperparameters of SLIM (Ning and Karypis, ICDM 2011), whose per-item problem is
/// min_w 1/2 ||x_j - X w||^2 + L2/2 ||w||^2 + L1 ||w||_1 subject to w &gt;= 0 and w_j = 0
/// (their Eq. 2 with beta = L2 and lambda = L1).
/// </summary>
public sealed record SlimHyper
{
    /// <summary>L1 penalty (SLIM's lambda). Paper: grid {0.1, 0.5, 1, 5} (spec 2.3); the selected value is not reported, 1 is our default.</summary>
    public double L1 { get; init; } = 1;

    /// <summary>L2 penalty (SLIM's beta). Paper: grid {0.1, 0.5, 1, 5} (spec 2.3); the selected value is not reported, 1 is our default.</summary>
    public double L2 { get; init; } = 1;

    /// <summary>Most coordinate-descent sweeps per item (full and active-set sweeps together). Not in the paper; our choice.</summary>
    public int MaxSweeps { get; init; } = 100;

    /// <summary>A sweep whose largest weight change is below this ends the descent (after a full sweep confirms). Not in the paper; our choice.</summary>
    public double Tolerance { get; init; } = 1e-4;

    public static SlimHyper Paper { get; } = new();

    /// <summary>The paper's grid for both penalties (spec 2.3).</summary>
    public static IReadOnlyList<double> PenaltyGrid { get; } = [0.1, 0.5, 1, 5];

    /// <summary>Throws if a value is out of range.</summary>
    public void Validate()
    {
        if (!(L1 >= 0) || double.IsInfinity(L1)) throw new ArgumentOutOfRangeException(nameof(L1), $"L1 must be >= 0 and finite, got {L1}");
        if (!(L2 >= 0) || double.IsInfinity(L2)) throw new ArgumentOutOfRangeException(nameof(L2), $"L2 must be >= 0 and finite, got {L2}");
        if (MaxSweeps <= 0) throw new ArgumentOutOfRangeException(nameof(MaxSweeps), $"max sweeps must be > 0, got {MaxSweeps}");
        if (!(Tolerance > 0)) throw new ArgumentOutOfRangeException(nameof(Tolerance), $"tolerance must be > 0, got {Tolerance}");
    }
}
