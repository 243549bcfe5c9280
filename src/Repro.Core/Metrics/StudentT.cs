namespace Repro.Core.Metrics;

/// <summary>The Student t distribution with <c>df</c> degrees of freedom, through the incomplete beta function.</summary>
public static class StudentT
{
    /// <summary>
    /// P(|T| &gt;= |t|): the two-sided p-value of a t statistic, I_{df/(df+t²)}(df/2, 1/2).
    /// NaN for a NaN t.
    /// </summary>
    public static double TwoSidedPValue(double t, double degreesOfFreedom)
    {
        if (!(degreesOfFreedom > 0)) throw new ArgumentOutOfRangeException(nameof(degreesOfFreedom), $"degrees of freedom must be positive, got {degreesOfFreedom}");
        if (double.IsNaN(t)) return double.NaN;
        if (double.IsInfinity(t)) return 0;
        double x = degreesOfFreedom / (degreesOfFreedom + t * t);
        return SpecialFunctions.RegularizedIncompleteBeta(degreesOfFreedom / 2, 0.5, x);
    }

    /// <summary>P(T &lt;= t), the cumulative distribution function.</summary>
    public static double Cdf(double t, double degreesOfFreedom)
    {
        double tail = TwoSidedPValue(t, degreesOfFreedom) / 2;
        return t >= 0 ? 1 - tail : tail;
    }
}
