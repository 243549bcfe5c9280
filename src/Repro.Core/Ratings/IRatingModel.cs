namespace Repro.Core.Ratings;

/// <summary>
/// A rating predictor: fitted once on training ratings (the validation ratings may choose its
/// iteration count, never its weights), then asked for ratings of (user, item) pairs.
/// </summary>
public interface IRatingModel : IDisposable
{
    /// <summary>Fits on <paramref name="train"/>; <paramref name="seed"/> fixes every random choice.</summary>
    void Fit(RatingSet train, RatingSet validation, ulong seed, IProgress<string>? progress = null);

    /// <summary>The raw predicted rating of each (user, item) pair of <paramref name="pairs"/> (their ratings are not read).</summary>
    float[] Predict(RatingSet pairs);
}
