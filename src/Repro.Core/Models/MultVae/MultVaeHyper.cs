using Repro.Core.Training;

namespace Repro.Core.Models.MultVae;

/// <summary>
/// Hyperparameters of Mult-VAE^PR: the shared <see cref="MultVaeSettings"/> (the notebook's values,
/// spec 2.1) and the Gaussian likelihood's confidence weights of the section 4.5 ablation.
/// </summary>
public sealed record MultVaeHyper : MultVaeSettings
{
    /// <summary>Confidence weights of the Gaussian likelihood; must be null unless the likelihood is Gaussian (then null means <see cref="Training.GaussianConfidence.Default"/>).</summary>
    public GaussianConfidence? GaussianConfidence { get; init; }

    public static MultVaeHyper Paper { get; } = new();

    /// <summary>Throws if a value is out of range or a setting would be ignored.</summary>
    public void Validate()
    {
        ValidateShared();
        SettingChecks.ConfidenceFits(Likelihood, GaussianConfidence);
    }
}
