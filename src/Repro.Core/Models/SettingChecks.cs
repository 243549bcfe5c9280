using Repro.Core.Training;

namespace Repro.Core.Models;

/// <summary>
/// Range checks that several hyper records share, in one wording: the user-row autoencoders
/// (Mult-VAE^PR, Mult-DAE and the regularised autoencoders) train with the same optimiser settings
/// and likelihoods.
/// </summary>
internal static class SettingChecks
{
    /// <summary>Throws unless learning rate &gt; 0, batch size &gt; 0, epochs &gt; 0 and weight decay &gt;= 0.</summary>
    public static void Optimiser(double learningRate, int batchSize, int epochs, double weightDecay)
    {
        if (!(learningRate > 0)) throw new ArgumentOutOfRangeException("LearningRate", $"learning rate must be > 0, got {learningRate}");
        if (batchSize <= 0) throw new ArgumentOutOfRangeException("BatchSize", $"batch size must be > 0, got {batchSize}");
        if (epochs <= 0) throw new ArgumentOutOfRangeException("Epochs", $"epochs must be > 0, got {epochs}");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException("WeightDecay", $"weight decay must be >= 0, got {weightDecay}");
    }

    /// <summary>Throws if Gaussian confidence weights are set for another likelihood, which would ignore them.</summary>
    public static void ConfidenceFits(Likelihood likelihood, GaussianConfidence? confidence)
    {
        if (confidence is not null && likelihood != Likelihood.Gaussian)
            throw new ArgumentException($"GaussianConfidence is set but the likelihood is {likelihood}, which would ignore it");
    }
}
