namespace Repro.Core.Metrics;

/// <summary>
/// One metric's per-user values over the evaluated users that have at least one target:
/// <c>Values[i]</c> belongs to fold-in/target row <c>Rows[i]</c> (ascending). Users without targets
/// have no entry (never a NaN); they are counted in <see cref="UsersExcluded"/>. Kept whole because
/// paired tests and the activity breakdown (Figure 3) need per-user values, not only the mean.
/// </summary>
public sealed class UserMetricValues
{
    public UserMetricValues(MetricSpec metric, int[] rows, double[] values, int usersExcluded)
    {
        if (rows.Length != values.Length) throw new ArgumentException($"{rows.Length} rows but {values.Length} values");
        Metric = metric;
        Rows = rows;
        Values = values;
        UsersExcluded = usersExcluded;
        Summary = MetricSummary.Of(values, usersExcluded);
    }

    public MetricSpec Metric { get; }

    /// <summary>The rows (users) that have values, ascending.</summary>
    public int[] Rows { get; }

    /// <summary>The metric's value for each of <see cref="Rows"/>.</summary>
    public double[] Values { get; }

    /// <summary>How many evaluated users had no targets and so no value.</summary>
    public int UsersExcluded { get; }

    /// <summary>Mean and standard error over <see cref="Values"/>.</summary>
    public MetricSummary Summary { get; }
}
