namespace Repro.Core.Training;

/// <summary>
/// How the <see cref="TrainingDriver"/> runs one training run. Epochs and batch size are not here:
/// they are the model's hyperparameters (<see cref="Models.ITrainableRecommender.Epochs"/>,
/// <see cref="Models.ITrainableRecommender.BatchSize"/>).
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>Folder of this run: best.weights, state.bin, its model-state files and epochs.tsv live here. Required.</summary>
    public required string RunDirectory { get; init; }

    /// <summary>Run seed; the shuffling stream and every batch's dropout/noise seed derive from it.</summary>
    public ulong Seed { get; init; }

    /// <summary>libtorch threads and evaluation threads. Results are bit-identical only for the same count.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Validation users scored per batch (memory only). Notebook: 2000 (spec 1.4).</summary>
    public int ValidationBatchSize { get; init; } = Metrics.Evaluator.NotebookBatchSize;

    /// <summary>
    /// Keep the last epoch's weights for test instead of the best-validation ones: a refit whose epoch
    /// count was selected by an earlier run, on data that now includes that run's validation items.
    /// Validation NDCG@100 is still computed and logged each epoch (a fit signal, not a selection).
    /// </summary>
    public bool KeepLastEpoch { get; init; }

    /// <summary>Throws if a value is out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(RunDirectory)) throw new ArgumentException("a run directory is required", nameof(RunDirectory));
        if (Threads <= 0) throw new ArgumentOutOfRangeException(nameof(Threads), $"threads must be > 0, got {Threads}");
        if (ValidationBatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(ValidationBatchSize), $"validation batch size must be > 0, got {ValidationBatchSize}");
    }
}
