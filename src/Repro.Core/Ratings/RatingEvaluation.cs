namespace Repro.Core.Ratings;

/// <summary>
/// How predictions become the ratings a protocol scores: a pair whose user or item has no rating in
/// the data the model was fitted on gets <see cref="DefaultRating"/> (AutoRec §5: 3), and every
/// prediction is clipped to the rating scale [<see cref="Min"/>, <see cref="Max"/>].
/// </summary>
public sealed record RatingScale(float Min, float Max, float DefaultRating)
{
    /// <summary>MovieLens' scale as the events give it, with AutoRec's default rating 3.</summary>
    public static RatingScale Of(RatingSet all, float defaultRating = 3f)
    {
        if (all.Count == 0) throw new ArgumentException("no ratings");
        float min = float.MaxValue, max = float.MinValue;
        foreach (var r in all.Ratings) { min = Math.Min(min, r); max = Math.Max(max, r); }
        return new RatingScale(min, max, defaultRating);
    }
}

/// <summary>RMSE and MAE of one evaluation, and how many pairs got the default rating.</summary>
public sealed record RatingScores(double Rmse, double Mae, int Count, int Defaulted);

public static class RatingEvaluation
{
    /// <summary>The ratings the protocol scores for <paramref name="targets"/>: the model's, clipped, or the default where <paramref name="seen"/> lacks the user or the item.</summary>
    public static (float[] Predictions, int Defaulted) Predict(IRatingModel model, RatingSet seen, RatingSet targets, RatingScale scale)
    {
        var raw = model.Predict(targets);
        if (raw.Length != targets.Count) throw new InvalidOperationException($"the model gave {raw.Length} predictions for {targets.Count} pairs");
        var users = seen.UserCounts();
        var items = seen.ItemCounts();
        int defaulted = 0;
        var result = new float[raw.Length];
        for (int k = 0; k < raw.Length; k++)
        {
            if (users[targets.Users[k]] == 0 || items[targets.Items[k]] == 0) { result[k] = scale.DefaultRating; defaulted++; }
            else if (float.IsNaN(raw[k])) throw new InvalidOperationException($"the model predicted NaN for user {targets.Users[k]}, item {targets.Items[k]}");
            else result[k] = Math.Clamp(raw[k], scale.Min, scale.Max);
        }
        return (result, defaulted);
    }

    /// <summary>RMSE and MAE of the protocol's ratings for <paramref name="targets"/> (see <see cref="Predict"/>).</summary>
    public static RatingScores Evaluate(IRatingModel model, RatingSet seen, RatingSet targets, RatingScale scale)
    {
        var (p, defaulted) = Predict(model, seen, targets, scale);
        return new RatingScores(RatingMetrics.Rmse(p, targets.Ratings), RatingMetrics.Mae(p, targets.Ratings), targets.Count, defaulted);
    }
}
