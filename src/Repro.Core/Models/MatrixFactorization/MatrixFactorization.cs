using Repro.Core.Ratings;
using Repro.Core.Training;

namespace Repro.Core.Models.MatrixFactorization;

/// <summary>
/// PMF and biased MF (<see cref="MatrixFactorizationHyper"/>) by plain SGD over the training ratings
/// in a seeded random order each epoch; after each epoch the validation RMSE of the raw predictions is
/// measured and the best epoch's parameters are kept (early stopping with
/// <see cref="MatrixFactorizationHyper.Patience"/>).
/// </summary>
public sealed class MatrixFactorization : IRatingModel
{
    private readonly MatrixFactorizationHyper _hyper;
    private float[] _p = [], _q = [], _bu = [], _bi = [];
    private float _mu;

    public MatrixFactorization(MatrixFactorizationHyper hyper)
    {
        hyper.Validate();
        _hyper = hyper;
    }

    /// <summary>Epochs run by the last fit, and the one whose parameters were kept (0: the initial ones).</summary>
    public int EpochsRun { get; private set; }
    public int BestEpoch { get; private set; }

    public void Fit(RatingSet train, RatingSet validation, ulong seed, IProgress<string>? progress = null)
    {
        int d = _hyper.Factors;
        var random = new SeededRandom(seed);
        _mu = (float)train.Mean();
        _p = new float[train.UserCount * d];
        _q = new float[train.ItemCount * d];
        for (int k = 0; k < _p.Length; k++) _p[k] = (float)(random.NextNormal() * _hyper.InitStd);
        for (int k = 0; k < _q.Length; k++) _q[k] = (float)(random.NextNormal() * _hyper.InitStd);
        _bu = new float[train.UserCount];
        _bi = new float[train.ItemCount];
        float lr = (float)_hyper.LearningRate, reg = (float)_hyper.Regularization;
        bool biases = _hyper.Biases;
        var order = new int[train.Count];
        for (int k = 0; k < order.Length; k++) order[k] = k;
        double best = validation.Count > 0 ? RatingMetrics.Rmse(Predict(validation), validation.Ratings) : double.PositiveInfinity;
        var saved = Snapshot();
        int sinceBest = 0;
        BestEpoch = 0;
        EpochsRun = 0;
        for (int epoch = 1; epoch <= _hyper.Epochs; epoch++)
        {
            for (int k = order.Length - 1; k > 0; k--)
            {
                int j = random.NextBelow(k + 1);
                (order[k], order[j]) = (order[j], order[k]);
            }
            foreach (int e in order)
            {
                int u = train.Users[e], i = train.Items[e];
                var pu = _p.AsSpan(u * d, d);
                var qi = _q.AsSpan(i * d, d);
                float dot = 0;
                for (int f = 0; f < d; f++) dot += pu[f] * qi[f];
                float err = train.Ratings[e] - (_mu + _bu[u] + _bi[i] + dot);
                if (biases)
                {
                    _bu[u] += lr * (err - reg * _bu[u]);
                    _bi[i] += lr * (err - reg * _bi[i]);
                }
                for (int f = 0; f < d; f++)
                {
                    float pf = pu[f], qf = qi[f];
                    pu[f] += lr * (err * qf - reg * pf);
                    qi[f] += lr * (err * pf - reg * qf);
                }
            }
            EpochsRun = epoch;
            if (validation.Count == 0) { BestEpoch = epoch; saved = Snapshot(); continue; }
            double rmse = RatingMetrics.Rmse(Predict(validation), validation.Ratings);
            if (!double.IsFinite(rmse)) throw new InvalidOperationException($"epoch {epoch}: validation RMSE is not finite (learning rate {_hyper.LearningRate} too large?)");
            if (rmse < best) { best = rmse; BestEpoch = epoch; saved = Snapshot(); sinceBest = 0; }
            else if (++sinceBest >= _hyper.Patience) break;
            if (epoch % 10 == 0) progress?.Report($"epoch {epoch}: validation RMSE {rmse:0.0000} (best {best:0.0000} at epoch {BestEpoch})");
        }
        Restore(saved);
    }

    public float[] Predict(RatingSet pairs)
    {
        int d = _hyper.Factors;
        var result = new float[pairs.Count];
        for (int k = 0; k < pairs.Count; k++)
        {
            int u = pairs.Users[k], i = pairs.Items[k];
            var pu = _p.AsSpan(u * d, d);
            var qi = _q.AsSpan(i * d, d);
            float dot = 0;
            for (int f = 0; f < d; f++) dot += pu[f] * qi[f];
            result[k] = _mu + _bu[u] + _bi[i] + dot;
        }
        return result;
    }

    private float[][] Snapshot() => [(float[])_p.Clone(), (float[])_q.Clone(), (float[])_bu.Clone(), (float[])_bi.Clone()];

    private void Restore(float[][] s) => (_p, _q, _bu, _bi) = (s[0], s[1], s[2], s[3]);

    public void Dispose() { }
}
