namespace Repro.Core.Metrics;

/// <summary>
/// Mean and standard error of a metric's per-user values. The standard error is the notebook's
/// <c>np.std(values) / np.sqrt(len(values))</c>: population standard deviation (ddof = 0) over the
/// users used, divided by sqrt(n) (spec §1.4, §7 pitfall 16).
/// </summary>
/// <param name="Mean">Mean over the users used; NaN when no user was used.</param>
/// <param name="StandardError">Population std / sqrt(n); NaN when no user was used.</param>
/// <param name="UsersUsed">Users with at least one target, whose values were averaged.</param>
/// <param name="UsersExcluded">Users without targets, left out of the mean (spec §7 pitfall 3).</param>
public sealed record MetricSummary(double Mean, double StandardError, int UsersUsed, int UsersExcluded)
{
    /// <summary>Summarises <paramref name="values"/> (one per used user) in double precision.</summary>
    public static MetricSummary Of(ReadOnlySpan<double> values, int usersExcluded = 0)
    {
        if (usersExcluded < 0) throw new ArgumentOutOfRangeException(nameof(usersExcluded));
        int n = values.Length;
        if (n == 0) return new MetricSummary(double.NaN, double.NaN, 0, usersExcluded);
        // Two passes around a shift by the first value: accurate for values close together, and a
        // constant vector gives exactly its value and a standard error of exactly 0.
        double shift = values[0], sum = 0;
        foreach (var v in values) sum += v - shift;
        double meanShifted = sum / n;
        double squares = 0;
        foreach (var v in values)
        {
            double d = v - shift - meanShifted;
            squares += d * d;
        }
        double populationStd = Math.Sqrt(squares / n);
        return new MetricSummary(shift + meanShifted, populationStd / Math.Sqrt(n), n, usersExcluded);
    }

    public override string ToString() => $"{Mean:F5} ± {StandardError:F5} (n = {UsersUsed}, excluded {UsersExcluded})";
}
