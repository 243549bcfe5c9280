namespace Repro.Core.Training;

/// <summary>
/// A trained model with numbers of its own to print per epoch as extra columns of epochs.tsv, e.g.
/// how many mixture components carry users (spec 3.4 pitfall 2: component collapse). The model counts
/// during each training step; the <see cref="TrainingDriver"/> sums the counts over the epoch's steps in
/// its saved state (so a resumed epoch prints what an uninterrupted one does) and asks the model for
/// the columns at the epoch's end.
/// </summary>
public interface IEpochCounters
{
    /// <summary>How many counters a step adds to.</summary>
    int CounterCount { get; }

    /// <summary>Adds the last training step's counts to <paramref name="sums"/> (length <see cref="CounterCount"/>).</summary>
    void AddStepCounts(Span<double> sums);

    /// <summary>The extra columns' names (epochs.tsv's header), snake_case.</summary>
    IReadOnlyList<string> EpochColumns { get; }

    /// <summary>The epoch's column values from the counters summed over its steps.</summary>
    double[] EpochValues(ReadOnlySpan<double> sums);
}
