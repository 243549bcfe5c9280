namespace Repro.Core.Ratings;

/// <summary>Root mean squared error and mean absolute error of predicted against true ratings.</summary>
public static class RatingMetrics
{
    public static double Rmse(ReadOnlySpan<float> predicted, ReadOnlySpan<float> actual)
    {
        Check(predicted, actual);
        double s = 0;
        for (int k = 0; k < actual.Length; k++) { double d = predicted[k] - (double)actual[k]; s += d * d; }
        return Math.Sqrt(s / actual.Length);
    }

    public static double Mae(ReadOnlySpan<float> predicted, ReadOnlySpan<float> actual)
    {
        Check(predicted, actual);
        double s = 0;
        for (int k = 0; k < actual.Length; k++) s += Math.Abs(predicted[k] - (double)actual[k]);
        return s / actual.Length;
    }

    private static void Check(ReadOnlySpan<float> predicted, ReadOnlySpan<float> actual)
    {
        if (predicted.Length != actual.Length) throw new ArgumentException($"{predicted.Length} predictions for {actual.Length} ratings");
        if (actual.Length == 0) throw new ArgumentException("no ratings to compare");
    }
}
