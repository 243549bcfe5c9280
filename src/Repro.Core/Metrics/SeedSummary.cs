namespace Repro.Core.Metrics;

/// <summary>
/// Mean and standard error of a metric over independent runs that differ only in their seed. Unlike
/// <see cref="MetricSummary"/> (users of one run, population std as the notebook), the runs are a
/// sample of initialisations, so the standard error is the sample standard deviation (ddof = 1)
/// over sqrt(n): how far the mean over these seeds may lie from the mean over all seeds.
/// </summary>
/// <param name="Mean">Mean over the runs.</param>
/// <param name="StandardError">Sample std (ddof = 1) / sqrt(n); NaN for a single run.</param>
/// <param name="Runs">Number of runs n.</param>
public sealed record SeedSummary(double Mean, double StandardError, int Runs)
{
    /// <summary>Summarises one value per run.</summary>
    public static SeedSummary Of(ReadOnlySpan<double> values)
    {
        int n = values.Length;
        if (n == 0) throw new ArgumentException("a summary over seeds needs at least one run");
        double sum = 0;
        foreach (var v in values) sum += v;
        double mean = sum / n;
        if (n == 1) return new SeedSummary(mean, double.NaN, 1);
        double squares = 0;
        foreach (var v in values) squares += (v - mean) * (v - mean);
        return new SeedSummary(mean, Math.Sqrt(squares / (n - 1)) / Math.Sqrt(n), n);
    }
}
