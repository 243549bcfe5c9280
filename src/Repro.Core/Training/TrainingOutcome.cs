namespace Repro.Core.Training;

/// <summary>How a call of <see cref="TrainingDriver.Run"/> ended.</summary>
public enum TrainingStatus
{
    /// <summary>All epochs ran (now or in an earlier call); the model holds the best-validation weights.</summary>
    Completed,
    /// <summary>Cancelled; state.bin holds everything needed to resume exactly with another Run.</summary>
    Interrupted,
    /// <summary>A loss was NaN or infinite; best.weights keeps the last good best epoch.</summary>
    Diverged,
}

/// <summary>The result of <see cref="TrainingDriver.Run"/>.</summary>
/// <param name="Status">How the run ended.</param>
/// <param name="Epochs">Records of every finished epoch of the run, including those of earlier calls.</param>
/// <param name="BestEpoch">1-based epoch with the highest validation NDCG@100 (first if tied); 0 when none finished.</param>
/// <param name="BestValidationNdcg">Its validation NDCG@100; negative infinity when none finished.</param>
/// <param name="BestWeightsPath">The file holding the best epoch's weights (absent when <paramref name="BestEpoch"/> is 0).</param>
/// <param name="BatchesTrained">Minibatches trained by this call (0 when the run was already finished).</param>
/// <param name="Message">Why the run diverged or where it was interrupted; null when completed.</param>
public sealed record TrainingOutcome(
    TrainingStatus Status, IReadOnlyList<EpochRecord> Epochs, int BestEpoch, double BestValidationNdcg,
    string BestWeightsPath, int BatchesTrained, string? Message);
