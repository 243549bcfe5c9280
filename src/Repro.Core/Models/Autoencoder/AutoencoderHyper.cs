using System.Globalization;
using Repro.Core.Models.MultDae;
using Repro.Core.Networks;
using Repro.Core.Training;

namespace Repro.Core.Models.Autoencoder;

/// <summary>
/// Hyperparameters of the regularised user-row autoencoders of spec 5: Mult-DAE's network
/// (I -> hidden -> I, or a stack I -> h1 -> ... -> hk -> ... -> h1 -> I) with its noise, penalty and
/// activation as settings. The defaults are Mult-DAE's (<see cref="MultDaeHyper.Paper"/>), so a
/// default record trains exactly what Mult-DAE trains; the catalogue's entries (ae, sparse-ae,
/// contractive-ae, stacked-dae, gaussian-dae) change a few of them.
/// </summary>
public sealed record AutoencoderHyper : ITrainingSchedule
{
    /// <summary>
    /// Widths of the encoder's layers, comma-separated, the last being the code: "200" is I -> 200 -> I
    /// (Mult-DAE, spec 2.2); "600,200" is the stacked I -> 600 -> 200 -> 600 -> I (spec 5 "Stacked";
    /// the decoder mirrors the encoder). Default: "200".
    /// </summary>
    public string Hidden { get; init; } = "200";

    /// <summary>Nonlinearity of every hidden layer. Default tanh (Mult-DAE); sigmoid for the classical sparse and contractive forms (spec 5).</summary>
    public HiddenActivation Activation { get; init; } = HiddenActivation.Tanh;

    /// <summary>Masking noise: probability of keeping an input entry, in (0, 1]; 1 = no masking. Default 0.5 (Mult-DAE's input dropout, spec 2.2; spec 5 "Denoising": the masking case).</summary>
    public double KeepProbability { get; init; } = 0.5;

    /// <summary>Gaussian noise: standard deviation added to every entry of the l2-normalised input while training; 0 = none. Default 0 (spec 5 "Denoising": the Gaussian case).</summary>
    public double GaussianNoise { get; init; }

    /// <summary>lam of the sparsity penalty on the code: lam sum_k |h_k| per user (L1, the lecture's form), or with <see cref="SparsityTarget"/> lam sum_k KL(rho || rho_hat_k). 0 = off (spec 5 "Sparse").</summary>
    public double Sparsity { get; init; }

    /// <summary>rho of the KL sparsity form, in (0, 1), sigmoid units only; none = the L1 form (spec 5 "Sparse", the classical alternative).</summary>
    public double? SparsityTarget { get; init; }

    /// <summary>lam of the contractive penalty lam ||J_f(x)||_F^2 per user, in closed form per encoder layer (spec 5 "Contractive", Rifai et al. 2011). 0 = off.</summary>
    public double Contractive { get; init; }

    /// <summary>lam in lam sum ||W||^2 on weights. Default 0.01 / 500 = 2e-5 (Mult-DAE, spec 2.2).</summary>
    public double WeightDecay { get; init; } = 0.01 / 500;

    /// <summary>Adam's step size. Default 1e-3 (spec 2.2).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Users per training minibatch. Default 500 (spec 2.2).</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>Training epochs. Default 200 (spec 2.2).</summary>
    public int Epochs { get; init; } = 200;

    /// <summary>The output likelihood. Default multinomial (spec 5: multinomial, Gaussian or logistic).</summary>
    public Likelihood Likelihood { get; init; } = Likelihood.Multinomial;

    /// <summary>Confidence weights of the Gaussian likelihood; must be null unless <see cref="Likelihood"/> is Gaussian.</summary>
    public GaussianConfidence? GaussianConfidence { get; init; }

    /// <summary>
    /// Number format of the output layer's three large matrix products: fp32 (the notebook's
    /// arithmetic) or bf16 (bfloat16 operands accumulated in fp32; weights, softmax, loss and Adam stay
    /// fp32; needs AVX-512 BF16). Default fp32: docs/benchmarks.md gives bf16's speed and accuracy.
    /// Left out of run records at fp32, so runs recorded before the setting existed keep their ids.
    /// </summary>
    [OmittedAtDefault("Fp32")]
    public ProductPrecision Precision { get; init; } = ProductPrecision.Fp32;

    /// <summary>Mult-DAE's settings.</summary>
    public static AutoencoderHyper Paper { get; } = new();

    /// <summary>The encoder's widths after the input, parsed from <see cref="Hidden"/>.</summary>
    public int[] HiddenWidths() =>
        Hidden.Split(',', StringSplitOptions.TrimEntries).Select(w =>
            int.TryParse(w, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0
                ? v
                : throw new ArgumentException($"setting 'hidden' takes comma-separated widths > 0 such as 200 or 600,200; got '{Hidden}'")).ToArray();

    /// <summary>The network options these settings ask for.</summary>
    public AutoencoderOptions NetworkOptions() => new()
    {
        Activation = Activation, Sparsity = Sparsity, SparsityTarget = SparsityTarget, Contractive = Contractive, InputNoise = GaussianNoise, Precision = Precision,
    };

    /// <summary>Throws if a value is out of range or a setting would be ignored.</summary>
    public void Validate()
    {
        HiddenWidths();
        if (!(KeepProbability > 0 && KeepProbability <= 1)) throw new ArgumentOutOfRangeException(nameof(KeepProbability), $"keep probability must be in (0, 1], got {KeepProbability}");
        SettingChecks.Optimiser(LearningRate, BatchSize, Epochs, WeightDecay);
        if (SparsityTarget is not null && !(Sparsity > 0)) throw new ArgumentException("sparsity-target is set but sparsity is 0, which would ignore it");
        SettingChecks.ConfidenceFits(Likelihood, GaussianConfidence);
        NetworkOptions().Validate(variational: false);
    }
}
