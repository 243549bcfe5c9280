namespace Repro.Core.Ratings;

/// <summary>The floor every rating model must beat: each pair gets the training set's mean rating.</summary>
public sealed class GlobalMean : IRatingModel
{
    private float _mean;

    public void Fit(RatingSet train, RatingSet validation, ulong seed, IProgress<string>? progress = null) => _mean = (float)train.Mean();

    public float[] Predict(RatingSet pairs)
    {
        var p = new float[pairs.Count];
        Array.Fill(p, _mean);
        return p;
    }

    public void Dispose() { }
}
