namespace Repro.Core.Metrics;

/// <summary>The outcome of evaluating one model on held-out users: per-user values and summaries per metric.</summary>
public sealed class EvaluationResult
{
    public EvaluationResult(IReadOnlyList<UserMetricValues> metrics, int[] includedRows, int[] excludedRows)
    {
        Metrics = metrics;
        IncludedRows = includedRows;
        ExcludedRows = excludedRows;
    }

    /// <summary>One entry per requested metric, in the order requested.</summary>
    public IReadOnlyList<UserMetricValues> Metrics { get; }

    /// <summary>Rows with at least one target, ascending; every metric has a value for each.</summary>
    public int[] IncludedRows { get; }

    /// <summary>Rows without targets, ascending; excluded from every metric (spec §7 pitfall 3).</summary>
    public int[] ExcludedRows { get; }

    /// <summary>The per-user values of <paramref name="metric"/>.</summary>
    public UserMetricValues this[MetricSpec metric] =>
        Metrics.FirstOrDefault(m => m.Metric == metric)
        ?? throw new KeyNotFoundException($"{metric} was not evaluated; evaluated: {string.Join(", ", Metrics.Select(m => m.Metric))}");
}
