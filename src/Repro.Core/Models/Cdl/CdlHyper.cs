using Repro.Core.Models.Wmf;

namespace Repro.Core.Models.Cdl;

/// <summary>
/// Hyperparameters of Collaborative Deep Learning (Wang, Wang, Yeung, KDD 2015; spec seed-models 6.1):
/// a stacked denoising autoencoder on item content coupled to weighted matrix factorisation, fitted by
/// MAP block coordinate ascent. Defaults are the paper's and the first author's example
/// (<c>example/cdl_main.m</c>) where they give one, Cornac's otherwise.
/// </summary>
public sealed record CdlHyper
{
    /// <summary>Latent factors K, also the SDAE's middle width. Paper section 5.3: 50.</summary>
    public int Factors { get; init; } = 50;

    /// <summary>Confidence a of an observed entry (C_ij = a when R_ij = 1). Paper section 5.3: 1.</summary>
    public double PositiveConfidence { get; init; } = 1;

    /// <summary>Confidence b of an unobserved entry. Paper section 5.3: 0.01.</summary>
    public double NegativeConfidence { get; init; } = 0.01;

    /// <summary>Penalty lambda_u on the user factors. Author's example cdl_main.m: 1 (the paper grid-searches it).</summary>
    public double LambdaU { get; init; } = 1;

    /// <summary>Pull lambda_v of each item factor v_j towards the encoder's output f_e(X_0,j). Author's example: 10.</summary>
    public double LambdaV { get; init; } = 10;

    /// <summary>Weight lambda_n of the SDAE's squared reconstruction error. Author's example: 1000.</summary>
    public double LambdaN { get; init; } = 1000;

    /// <summary>Penalty lambda_w on the SDAE's weights and biases. The paper grid-searches it; Cornac's default 0.1.</summary>
    public double LambdaW { get; init; } = 0.1;

    /// <summary>Content vocabulary S: the S most frequent terms (here tags). Paper section 5.1: 8000 words for citeulike-a.</summary>
    public int Vocabulary { get; init; } = 8000;

    /// <summary>Width of the SDAE's hidden layers either side of the K-wide middle (layers [S, hidden, K]). Author's example: 200.</summary>
    public int Hidden { get; init; } = 200;

    /// <summary>Masking noise: the probability that an input entry is zeroed. Paper section 5.3: 0.3.</summary>
    public double Corruption { get; init; } = 0.3;

    /// <summary>Dropout on the hidden-width layers (the paper uses it when L > 2, as [S, 200, K] is). Paper section 5.3 and author's example: 0.1.</summary>
    public double Dropout { get; init; } = 0.1;

    /// <summary>Outer iterations of block coordinate ascent (U, V, then the SDAE). Cornac's default: 100.</summary>
    public int Iterations { get; init; } = 100;

    /// <summary>SDAE epochs over the items per outer iteration. Our choice: 1, as Cornac's and the author's TensorFlow code's one pass per iteration.</summary>
    public int SdaeEpochs { get; init; } = 1;

    /// <summary>Reconstruction-only SDAE epochs before the first outer iteration (CDL pre-trains its SDAE; ours is end to end, not layer-wise). Our choice: 10.</summary>
    public int PretrainEpochs { get; init; } = 10;

    /// <summary>Adam's step size for the SDAE. Cornac's default: 0.001.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Items per SDAE step. Cornac's default: 128.</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Standard deviation of the Gaussian initial item factors (WMF's start). Our choice: 0.01, as WMF's.</summary>
    public double InitScale { get; init; } = 0.01;

    public static CdlHyper Paper { get; } = new();

    /// <summary>
    /// The ALS half-step in WMF's terms: C_ij / b gives confidence 1 + c with c = a / b - 1 on a positive
    /// and 1 on a zero, and the penalty divides by b. A held-out user's factors solve WMF's fold-in with these.
    /// </summary>
    public WmfHyper UserStep() => new()
    {
        Factors = Factors, Confidence = PositiveConfidence / NegativeConfidence - 1, Lambda = LambdaU / NegativeConfidence,
        Iterations = Math.Max(1, Iterations), InitScale = InitScale,
    };

    /// <summary>Throws if a value is out of range.</summary>
    public void Validate()
    {
        static void Positive(double v, string name) { if (!(v > 0) || double.IsInfinity(v)) throw new ArgumentOutOfRangeException(name, $"{name} must be > 0 and finite, got {v}"); }
        static void NonNegative(double v, string name) { if (!(v >= 0) || double.IsInfinity(v)) throw new ArgumentOutOfRangeException(name, $"{name} must be >= 0 and finite, got {v}"); }
        if (Factors <= 0) throw new ArgumentOutOfRangeException(nameof(Factors), $"factors must be > 0, got {Factors}");
        Positive(NegativeConfidence, nameof(NegativeConfidence));
        if (!(PositiveConfidence >= NegativeConfidence) || double.IsInfinity(PositiveConfidence))
            throw new ArgumentOutOfRangeException(nameof(PositiveConfidence), $"positive confidence a must be >= b ({NegativeConfidence}) and finite, got {PositiveConfidence}");
        Positive(LambdaU, nameof(LambdaU));
        NonNegative(LambdaV, nameof(LambdaV));
        NonNegative(LambdaN, nameof(LambdaN));
        NonNegative(LambdaW, nameof(LambdaW));
        if (Vocabulary <= 0) throw new ArgumentOutOfRangeException(nameof(Vocabulary), $"vocabulary must be > 0, got {Vocabulary}");
        if (Hidden <= 0) throw new ArgumentOutOfRangeException(nameof(Hidden), $"hidden must be > 0, got {Hidden}");
        if (!(Corruption >= 0 && Corruption < 1)) throw new ArgumentOutOfRangeException(nameof(Corruption), $"corruption must be in [0, 1), got {Corruption}");
        if (!(Dropout >= 0 && Dropout < 1)) throw new ArgumentOutOfRangeException(nameof(Dropout), $"dropout must be in [0, 1), got {Dropout}");
        if (Iterations <= 0) throw new ArgumentOutOfRangeException(nameof(Iterations), $"iterations must be > 0, got {Iterations}");
        if (SdaeEpochs < 0) throw new ArgumentOutOfRangeException(nameof(SdaeEpochs), $"sdae epochs must be >= 0, got {SdaeEpochs}");
        if (PretrainEpochs < 0) throw new ArgumentOutOfRangeException(nameof(PretrainEpochs), $"pretrain epochs must be >= 0, got {PretrainEpochs}");
        Positive(LearningRate, nameof(LearningRate));
        if (BatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(BatchSize), $"batch size must be > 0, got {BatchSize}");
        Positive(InitScale, nameof(InitScale));
    }
}
