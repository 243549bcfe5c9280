namespace Repro.Core.Training;

/// <summary>What the driver is doing when it reports.</summary>
public enum TrainingPhase { Training, Validating }

/// <summary>
/// A progress report for a progress bar (Core never writes to the console). Sent after every
/// minibatch and when validation starts; reports arrive synchronously on the training thread.
/// </summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Epochs">Epochs in the run.</param>
/// <param name="Batch">Minibatches of this epoch done (1-based after the first).</param>
/// <param name="BatchesPerEpoch">Minibatches per epoch.</param>
/// <param name="MeanLoss">Mean loss of this epoch's batches so far (NaN before the first).</param>
/// <param name="BatchesPerSecond">Training speed over this call of Run (NaN until measured).</param>
/// <param name="Remaining">Estimated time left: training at the measured rate, plus the validations left at their measured mean time (not counted until one has run); null until measured.</param>
public readonly record struct TrainingProgress(
    TrainingPhase Phase, int Epoch, int Epochs, int Batch, int BatchesPerEpoch, double MeanLoss,
    double BatchesPerSecond, TimeSpan? Remaining);
