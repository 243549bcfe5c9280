namespace Repro.Core.Training;

/// <summary>The loss of one batch, each term a mean over the batch's users.</summary>
/// <param name="Loss">negLL + beta KL + penalty, the quantity minimised (notebook: neg_ELBO / loss).</param>
/// <param name="NegLogLikelihood">-mean_u log p(x_u | z_u).</param>
/// <param name="Kl">mean_u KL(q(z_u | x_u) || N(0, I)); 0 for a non-variational network.</param>
/// <param name="Penalty">lam sum ||W||^2 over weight matrices (the notebook's 2 l2_regularizer(lam)).</param>
public readonly record struct BatchLoss(double Loss, double NegLogLikelihood, double Kl, double Penalty);
