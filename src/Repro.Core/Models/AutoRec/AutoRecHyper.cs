namespace Repro.Core.Models.AutoRec;

/// <summary>Which vectors AutoRec reconstructs (AutoRec §2).</summary>
public enum AutoRecKind
{
    /// <summary>I-AutoRec: one input per item, its ratings by every user (input size = users).</summary>
    ItemBased,
    /// <summary>U-AutoRec: one input per user, its ratings of every item (input size = items).</summary>
    UserBased,
}

/// <summary>The hidden layers' activation g (AutoRec Table 1b).</summary>
public enum AutoRecActivation
{
    Sigmoid,
    /// <summary>g = identity: a linear autoencoder (used by the golden check of spec §8).</summary>
    Identity,
}

/// <summary>
/// Hyperparameters of AutoRec (Sedhain, Menon, Sanner, Xie; WWW 2015; spec §4): h(r) = f(W g(V r + mu) + b)
/// with f = identity, loss sum over observed entries of (r - h(r))^2 + (lambda / 2)(|W|^2 + |V|^2)
/// (unobserved inputs are 0 and unobserved targets do not count), fitted full-batch by RProp.
/// </summary>
public sealed record AutoRecHyper
{
    /// <summary>I-AutoRec or U-AutoRec. Paper: both (Table 1a); I-AutoRec is the better one.</summary>
    public AutoRecKind Kind { get; init; } = AutoRecKind.ItemBased;

    /// <summary>Hidden units k. Paper: 500 (§3, Figure 2).</summary>
    public int Hidden { get; init; } = 500;

    /// <summary>The deep variant: three hidden layers (k, k/2, k) = (500, 250, 500) (§3). Ours trains all layers jointly from the start (the paper pre-trains them greedily first).</summary>
    public bool Deep { get; init; }

    /// <summary>Hidden activation g. Paper: sigmoid (Table 1b: sigmoid/identity, the row the paper uses).</summary>
    public AutoRecActivation Activation { get; init; } = AutoRecActivation.Sigmoid;

    /// <summary>Weight decay lambda (loss term lambda/2 (|W|^2 + |V|^2), on the summed squared error). Paper: tuned over {0.001, 0.01, 0.1, 1, 100, 1000} (§3); chosen on the validation carve. Default 100.</summary>
    public double Lambda { get; init; } = 100;

    /// <summary>Maximum full-batch RProp iterations. Paper: not given. Ours: 500 (validation RMSE no longer improves well before on MovieLens-100K).</summary>
    public int Iterations { get; init; } = 500;

    /// <summary>RProp's initial step size (PyTorch's Rprop lr). Ours: 0.001 (PyTorch's default 0.01 overshoots in the first iterations with 500 sigmoid units).</summary>
    public double StepSize { get; init; } = 0.001;

    /// <summary>Iterations between validation RMSE measurements. Ours: 5.</summary>
    public int EvaluateEvery { get; init; } = 5;

    /// <summary>Measurements without a better validation RMSE after which fitting stops; the best measured model is kept. Ours: 5 (25 iterations; on MovieLens-100K the validation RMSE bottoms out after 30 to 60 iterations and then rises steadily).</summary>
    public int Patience { get; init; } = 5;

    public static AutoRecHyper Paper { get; } = new();

    /// <summary>The hidden layer sizes: [k], or [k, k/2, k] for the deep variant.</summary>
    public int[] HiddenSizes() => Deep ? [Hidden, Math.Max(1, Hidden / 2), Hidden] : [Hidden];

    public void Validate()
    {
        if (Hidden <= 0) throw new ArgumentOutOfRangeException(nameof(Hidden), $"hidden units must be > 0, got {Hidden}");
        if (!(Lambda >= 0) || double.IsInfinity(Lambda)) throw new ArgumentOutOfRangeException(nameof(Lambda), $"lambda must be finite and >= 0, got {Lambda}");
        if (Iterations < 0) throw new ArgumentOutOfRangeException(nameof(Iterations), $"iterations must be >= 0, got {Iterations}");
        if (!(StepSize > 0) || double.IsInfinity(StepSize)) throw new ArgumentOutOfRangeException(nameof(StepSize), $"step size must be finite and > 0, got {StepSize}");
        if (EvaluateEvery <= 0) throw new ArgumentOutOfRangeException(nameof(EvaluateEvery), $"evaluate-every must be > 0, got {EvaluateEvery}");
        if (Patience <= 0) throw new ArgumentOutOfRangeException(nameof(Patience), $"patience must be > 0, got {Patience}");
    }
}
