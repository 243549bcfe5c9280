namespace Repro.Core.Models.AutoRec;

/// <summary>
/// Hyperparameters of AutoRec for top-N recommendation on binarised data (spec seed-models §4.4):
/// AutoRec's network (one sigmoid hidden layer, identity output) with every entry of the 0/1 matrix
/// observed, loss sum over all entries of (x - h(x))^2 + (lambda / 2)(|W|^2 + |V|^2), fitted
/// full-batch by RProp for a fixed number of iterations. With all entries observed it is a plain,
/// non-denoising autoencoder: AutoRec's observed-only loss has a trivial minimiser on 0/1 data
/// (predict 1 everywhere), so the top-N runs use this form. Which vectors are reconstructed (I- or
/// U-AutoRec) is the model's name, not a setting (<see cref="AutoRecTopN.Fit"/>).
/// </summary>
public sealed record AutoRecTopNHyper
{
    /// <summary>Hidden units k. Paper: 500 (AutoRec §3).</summary>
    public int Hidden { get; init; } = 500;

    /// <summary>Weight decay lambda on the summed squared error over all entries; also the ridge penalty (lambda / 2)|w_v|^2 of I-AutoRec's fold-in. Paper: tuned over {0.001, ..., 1000} (AutoRec §3); here chosen on validation NDCG@100. Default 100 (AutoRec's choice for ratings on MovieLens-100K here).</summary>
    public double Lambda { get; init; } = 100;

    /// <summary>Full-batch RProp iterations (all run; the fit has no validation). Ours: 100.</summary>
    public int Iterations { get; init; } = 100;

    /// <summary>RProp's initial step size (PyTorch's Rprop lr). Ours: 0.001, as AutoRec's rating fit.</summary>
    public double StepSize { get; init; } = 0.001;

    public static AutoRecTopNHyper Paper { get; } = new();

    /// <summary>The rating model's settings that the shared network reads (one sigmoid hidden layer, lambda).</summary>
    public AutoRecHyper Network(AutoRecKind kind) => new() { Kind = kind, Hidden = Hidden, Lambda = Lambda, Iterations = Iterations, StepSize = StepSize };

    /// <summary>The same bounds as the rating model's settings (hidden &gt; 0, lambda finite and &gt;= 0, iterations &gt;= 0, step size &gt; 0).</summary>
    public void Validate() => Network(AutoRecKind.ItemBased).Validate();
}
