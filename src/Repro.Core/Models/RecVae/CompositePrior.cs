using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Repro.Core.Models.RecVae;

/// <summary>
/// RecVAE's composite prior (paper section 3.2; model.py CompositePrior), per latent dimension:
/// p(z) = w_s N(z; 0, 1) + w_p N(z; mu_old(x), exp(logvar_old(x))) + w_w N(z; 0, exp(v_w)),
/// where (mu_old, logvar_old) is the posterior of the encoder as it was after the previous epoch's
/// encoder passes (the "old encoder", frozen) on the user's undropped input. The first component keeps
/// z near the origin, the second keeps the posterior from moving far in one epoch (a trust region,
/// the paper's motivation), the wide one keeps the density from vanishing anywhere.
/// </summary>
public sealed class CompositePrior
{
    private static readonly double Log2Pi = Math.Log(2 * Math.PI);

    public CompositePrior(RecVaeHyper hyper)
    {
        StandardWeight = hyper.StandardPriorWeight;
        PosteriorWeight = hyper.PosteriorPriorWeight;
        WideWeight = hyper.WidePriorWeight;
        WideLogVariance = hyper.WidePriorLogVariance;
    }

    public double StandardWeight { get; }
    public double PosteriorWeight { get; }
    public double WideWeight { get; }
    public double WideLogVariance { get; }

    /// <summary>log N(x; mu, exp(logVar)) elementwise (model.py log_norm_pdf): -0.5 (logVar + log 2 pi + (x - mu)^2 / exp(logVar)).</summary>
    public static Tensor LogNormal(Tensor x, Tensor mu, Tensor logVar) =>
        logVar.add(RecVaeScalars.Log2Pi, RecVaeScalars.One)
            .add(x.add(mu, RecVaeScalars.MinusOne).pow(RecVaeScalars.Two).div(logVar.exp()), RecVaeScalars.One)
            .mul(RecVaeScalars.MinusHalf);

    /// <summary>log N(x; mu, exp(logVar)) elementwise for a constant mean and log variance.</summary>
    public static Tensor LogNormal(Tensor x, double mu, double logVar)
    {
        using var minusMu = (-mu).ToScalar();
        using var variance = Math.Exp(logVar).ToScalar();
        using var constant = (logVar + Log2Pi).ToScalar();
        return x.add(minusMu, RecVaeScalars.One).pow(RecVaeScalars.Two).div(variance).add(constant, RecVaeScalars.One).mul(RecVaeScalars.MinusHalf);
    }

    /// <summary>
    /// log p(z) per element of <paramref name="z"/> (rows x K), a log-sum-exp over the three weighted
    /// components; <paramref name="posteriorMu"/> and <paramref name="posteriorLogVar"/> are the old
    /// encoder's outputs for the same users.
    /// </summary>
    public Tensor LogDensity(Tensor z, Tensor posteriorMu, Tensor posteriorLogVar)
    {
        using var standardLogWeight = Math.Log(StandardWeight).ToScalar();
        using var posteriorLogWeight = Math.Log(PosteriorWeight).ToScalar();
        using var wideLogWeight = Math.Log(WideWeight).ToScalar();
        var standard = LogNormal(z, 0, 0).add(standardLogWeight, RecVaeScalars.One);
        var posterior = LogNormal(z, posteriorMu, posteriorLogVar).add(posteriorLogWeight, RecVaeScalars.One);
        var wide = LogNormal(z, 0, WideLogVariance).add(wideLogWeight, RecVaeScalars.One);
        return stack([standard, posterior, wide], -1).logsumexp(-1);
    }
}
