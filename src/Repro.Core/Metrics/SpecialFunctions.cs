namespace Repro.Core.Metrics;

/// <summary>
/// The special functions the Student t distribution needs, written here so the metrics need no
/// numerics package: log-gamma (Lanczos) and the regularized incomplete beta function (continued
/// fraction by the modified Lentz method, as in Numerical Recipes §6.4).
/// </summary>
internal static class SpecialFunctions
{
    // Lanczos approximation with g = 7, n = 9 (relative error about 1e-15 for x > 0).
    static readonly double[] Lanczos =
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
        -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
        1.5056327351493116e-7,
    ];

    /// <summary>ln Γ(x) for x &gt; 0.</summary>
    public static double LogGamma(double x)
    {
        if (!(x > 0)) throw new ArgumentOutOfRangeException(nameof(x), $"log-gamma needs x > 0, got {x}");
        if (x < 0.5) return Math.Log(Math.PI / Math.Sin(Math.PI * x)) - LogGamma(1 - x); // reflection
        x -= 1;
        double sum = Lanczos[0];
        for (int i = 1; i < Lanczos.Length; i++) sum += Lanczos[i] / (x + i);
        double t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }

    /// <summary>The regularized incomplete beta function I_x(a, b) for a, b &gt; 0 and 0 &lt;= x &lt;= 1.</summary>
    public static double RegularizedIncompleteBeta(double a, double b, double x)
    {
        if (!(a > 0) || !(b > 0)) throw new ArgumentOutOfRangeException(nameof(a), $"incomplete beta needs a, b > 0, got a = {a}, b = {b}");
        if (!(x >= 0 && x <= 1)) throw new ArgumentOutOfRangeException(nameof(x), $"incomplete beta needs 0 <= x <= 1, got {x}");
        if (x == 0) return 0;
        if (x == 1) return 1;
        double logFront = LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * Math.Log(x) + b * Math.Log(1 - x);
        double front = Math.Exp(logFront);
        // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry
        // I_x(a, b) = 1 - I_{1-x}(b, a) on the other side.
        return x < (a + 1) / (a + b + 2)
            ? front * BetaContinuedFraction(a, b, x) / a
            : 1 - front * BetaContinuedFraction(b, a, 1 - x) / b;
    }

    static double BetaContinuedFraction(double a, double b, double x)
    {
        const int MaxIterations = 100_000;
        const double Epsilon = 1e-16, Tiny = 1e-300;
        double qab = a + b, qap = a + 1, qam = a - 1;
        double c = 1, d = 1 - qab * x / qap;
        if (Math.Abs(d) < Tiny) d = Tiny;
        d = 1 / d;
        double h = d;
        for (int m = 1; m <= MaxIterations; m++)
        {
            int m2 = 2 * m;
            double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
            d = 1 + aa * d; if (Math.Abs(d) < Tiny) d = Tiny;
            c = 1 + aa / c; if (Math.Abs(c) < Tiny) c = Tiny;
            d = 1 / d;
            h *= d * c;
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
            d = 1 + aa * d; if (Math.Abs(d) < Tiny) d = Tiny;
            c = 1 + aa / c; if (Math.Abs(c) < Tiny) c = Tiny;
            d = 1 / d;
            double delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < Epsilon) return h;
        }
        throw new InvalidOperationException($"incomplete beta continued fraction did not converge for a = {a}, b = {b}, x = {x}");
    }
}
