namespace Repro.Core.Metrics;

/// <summary>
/// The result of a paired t-test of a against b.
/// </summary>
/// <param name="Pairs">Number of paired users n.</param>
/// <param name="MeanDifference">Mean of a − b.</param>
/// <param name="T">Mean difference over its standard error (sample std, ddof = 1, over sqrt(n)).</param>
/// <param name="DegreesOfFreedom">n − 1.</param>
/// <param name="PValue">Two-sided p-value from the Student t distribution.</param>
public sealed record PairedTTestResult(int Pairs, double MeanDifference, double T, int DegreesOfFreedom, double PValue);

/// <summary>
/// Paired t-test on two per-user metric vectors, as the paper uses to mark significant differences
/// between models per activity quintile (Figure 3, spec §3.6). Same statistic as
/// <c>scipy.stats.ttest_rel</c>: t = mean(d) / (std(d, ddof = 1) / sqrt(n)), df = n − 1. When every
/// difference is equal the standard error is 0: t is ±infinity with p = 0 for a non-zero mean
/// difference, and NaN with p NaN when the vectors are identical (as scipy).
/// </summary>
public static class PairedTTest
{
    public static PairedTTestResult Run(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"paired vectors differ in length: {a.Length} and {b.Length}");
        int n = a.Length;
        if (n < 2) throw new ArgumentException($"a paired t-test needs at least 2 pairs, got {n}");
        double sum = 0;
        for (int i = 0; i < n; i++) sum += a[i] - b[i];
        double mean = sum / n, squares = 0;
        for (int i = 0; i < n; i++)
        {
            double d = a[i] - b[i] - mean;
            squares += d * d;
        }
        double standardError = Math.Sqrt(squares / (n - 1)) / Math.Sqrt(n);
        double t = mean / standardError; // 0/0 = NaN for identical vectors, ±inf for a constant non-zero shift
        return new PairedTTestResult(n, mean, t, n - 1, StudentT.TwoSidedPValue(t, n - 1));
    }

    /// <summary>Paired test of two models' values of a metric on the same users.</summary>
    public static PairedTTestResult Run(UserMetricValues a, UserMetricValues b)
    {
        if (!a.Rows.AsSpan().SequenceEqual(b.Rows))
            throw new ArgumentException($"{a.Metric} values cover different users ({a.Rows.Length} and {b.Rows.Length} rows); a paired test needs the same users");
        return Run(a.Values, b.Values);
    }
}
