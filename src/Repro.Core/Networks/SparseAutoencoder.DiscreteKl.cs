using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Repro.Core.Networks;

/// <summary>
/// The mixture prior's KL by spec 3.2 option B (<see cref="KlEstimator.Discrete"/>): a discrete
/// component c whose posterior q(c | x) is the prior's responsibilities at z = mu,
/// KL = sum_c q(c | x) KL(N(mu, diag e^v) || N(m_c, diag s_c^2)) + KL(q(c | x) || w),
/// every term closed form. With one N(0, I) component it is Mult-VAE's analytic KL exactly (spec 3.3).
/// Autograd in float64 as the Monte-Carlo estimate, but in (mu, logvar) directly: no sample enters.
/// </summary>
public sealed partial class SparseAutoencoder
{
    /// <summary>The summed option-B KL over the batch; training, also its gradients (as <see cref="MixtureKl"/>).</summary>
    private double DiscreteMixtureKl(int b, bool training)
    {
        int k = _latent;
        var h = _out[_bottleneck];
        var mu = new double[b * k];
        var logVar = new double[b * k];
        for (int u = 0; u < b; u++)
            for (int j = 0; j < k; j++)
            {
                mu[u * k + j] = h[u * 2 * k + j];
                logVar[u * k + j] = h[u * 2 * k + k + j];
            }
        using var scope = torch.NewDisposeScope();
        using var gradMode = training ? torch.enable_grad() : torch.no_grad();
        var leaves = training ? new List<(string, Tensor)>() : null;
        var muT = torch.tensor(mu, new long[] { b, k });
        var logVarT = torch.tensor(logVar, new long[] { b, k });
        if (training)
        {
            muT.requires_grad_(true);
            logVarT.requires_grad_(true);
        }
        var (means, logVars, logWeights) = PriorComponents(leaves);
        if (training) CountStepComponents(b, means, logVars, logWeights);
        var kl = DiscreteKl(muT, logVarT, means, logVars, logWeights).sum();
        double value = kl.item<double>();
        if (training)
        {
            kl.backward();
            var gMu = muT.grad!.data<double>().ToArray();
            var gLogVar = logVarT.grad!.data<double>().ToArray();
            for (int i = 0; i < b * k; i++)
            {
                _klGradMu[i] = (float)gMu[i];
                _klGradLv[i] = (float)gLogVar[i];
            }
            foreach (var (name, leaf) in leaves!)
                if (leaf.grad is { } grad) _pendingPriorGradients.Add((name, grad.detach().clone().DetachFromDisposeScope()));
        }
        return value;
    }

    /// <summary>
    /// Option B's KL per row of <paramref name="mu"/> ([n]): responsibilities r = softmax_c(log w_c +
    /// log N(mu; m_c, s_c^2)), KL_c = 1/2 sum_d [log s_cd^2 - v_d + (e^v_d + (mu_d - m_cd)^2) / s_cd^2 - 1],
    /// result sum_c r_c (KL_c + log r_c - log w_c). Nothing of n x C x d is formed.
    /// </summary>
    internal static Tensor DiscreteKl(Tensor mu, Tensor logVar, Tensor means, Tensor logVars, Tensor logWeights)
    {
        using var dims = ((double)mu.shape[1]).ToScalar();
        var precision = logVars.neg().exp();
        // sum_d (e^v + mu^2) / s^2 - 2 mu . m / s^2 + m^2 / s^2: [n, C]
        var quad = logVar.exp().add(mu.mul(mu), PriorScalars.One).matmul(precision.t())
            .add(mu.matmul(means.mul(precision).t()), PriorScalars.MinusTwo)
            .add(means.mul(means).mul(precision).sum(1).unsqueeze(0), PriorScalars.One);
        var componentKl = quad.add(logVars.sum(1).unsqueeze(0), PriorScalars.One)
            .add(logVar.sum(1, keepdim: true), DiscreteKlScalars.MinusOne)
            .add(dims, DiscreteKlScalars.MinusOne)
            .mul(DiscreteKlScalars.Half);
        var logResponsibility = ComponentLogDensities(mu, means, logVars, logWeights).log_softmax(1);
        return logResponsibility.exp()
            .mul(componentKl.add(logResponsibility, PriorScalars.One).add(logWeights.unsqueeze(0), DiscreteKlScalars.MinusOne))
            .sum(1);
    }
}

/// <summary>Option B's constant Scalars, held for the process's life (see <see cref="PriorScalars"/>).</summary>
internal static class DiscreteKlScalars
{
    public static readonly Scalar MinusOne = (-1.0).ToScalar();
    public static readonly Scalar Half = 0.5.ToScalar();
}
