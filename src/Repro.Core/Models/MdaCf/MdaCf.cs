using Repro.Core.Ratings;
using Repro.Core.Training;

namespace Repro.Core.Models.MdaCf;

/// <summary>
/// mDA-CF (<see cref="MdaCfHyper"/>): each epoch first updates the user side's W₁, P₁ and the item
/// side's W₂, P₂ in closed form (<see cref="MarginalizedDenoising"/>), then takes one SGD pass over the
/// training ratings (centred by their mean μ) in a seeded random order, per rating (u, i) with error
/// e = r - μ - u·v:
/// u += lr (α e v - β u - λ P₁ᵀ(P₁u - (W₁X)_u)), v likewise with P₂, W₂, Y (spec §6.2's gradient,
/// each term applied at every rating of the user or item, as SGD applies a regulariser).
/// Prediction: μ + u·v. The validation RMSE after each epoch keeps the best epoch (early stopping).
/// With <see cref="MdaCfRegularization.OncePerEpoch"/> the β and λ terms at a rating carry the weight
/// 1/n of the user's (item's) n training ratings. mSDA-CF (<see cref="MdaCfHyper.Layers"/> L &gt; 1):
/// the (L − 1)/2 untied layers below the middle depend on the features alone, so they are computed once
/// (<see cref="MarginalizedDenoising.Stack"/>) and the middle layer is mDA-CF's on their output; the
/// layers above the middle carry no term that reaches U or V (λ = 0 there) and are not computed.
/// </summary>
public sealed class MdaCf : IRatingModel
{
    private readonly MdaCfHyper _hyper;
    private readonly double[,] _x, _y; // features x users, features x items
    private float[] _u = [], _v = [];
    private float _mu;

    /// <param name="userFeatures">One row of features per user index (all rows the same length).</param>
    /// <param name="itemFeatures">One row of features per item index.</param>
    public MdaCf(MdaCfHyper hyper, float[][] userFeatures, float[][] itemFeatures)
    {
        hyper.Validate();
        _hyper = hyper;
        int below = (hyper.Layers - 1) / 2;
        _x = MarginalizedDenoising.Stack(Columns(userFeatures, nameof(userFeatures)), below, hyper.Corruption, hyper.Ridge);
        _y = MarginalizedDenoising.Stack(Columns(itemFeatures, nameof(itemFeatures)), below, hyper.Corruption, hyper.Ridge);
    }

    private static double[,] Columns(float[][] rows, string name)
    {
        if (rows.Length == 0) throw new ArgumentException("no rows", name);
        int p = rows[0].Length;
        var x = new double[p, rows.Length];
        for (int k = 0; k < rows.Length; k++)
        {
            if (rows[k].Length != p) throw new ArgumentException($"row {k} has {rows[k].Length} features, row 0 has {p}", name);
            for (int f = 0; f < p; f++) x[f, k] = rows[k][f];
        }
        return x;
    }

    public int EpochsRun { get; private set; }
    public int BestEpoch { get; private set; }

    public void Fit(RatingSet train, RatingSet validation, ulong seed, IProgress<string>? progress = null)
    {
        if (_x.GetLength(1) != train.UserCount) throw new ArgumentException($"{_x.GetLength(1)} user feature rows for {train.UserCount} users");
        if (_y.GetLength(1) != train.ItemCount) throw new ArgumentException($"{_y.GetLength(1)} item feature rows for {train.ItemCount} items");
        int d = _hyper.Factors;
        var random = new SeededRandom(seed);
        _mu = (float)train.Mean();
        _u = new float[train.UserCount * d];
        _v = new float[train.ItemCount * d];
        for (int k = 0; k < _u.Length; k++) _u[k] = (float)(random.NextNormal() * _hyper.InitStd);
        for (int k = 0; k < _v.Length; k++) _v[k] = (float)(random.NextNormal() * _hyper.InitStd);
        var p1 = new double[_x.GetLength(0), d];
        var p2 = new double[_y.GetLength(0), d];
        float lr = (float)_hyper.LearningRate, alpha = (float)_hyper.Alpha, beta = (float)_hyper.Beta, lambda = (float)_hyper.Lambda;
        // Weight of the β and λ terms at one rating of each user and item (1, or 1/n for once per epoch).
        var userWeight = RegularizerWeights(train.Users, train.UserCount);
        var itemWeight = RegularizerWeights(train.Items, train.ItemCount);
        var order = new int[train.Count];
        for (int k = 0; k < order.Length; k++) order[k] = k;
        double best = validation.Count > 0 ? RatingMetrics.Rmse(Predict(validation), validation.Ratings) : double.PositiveInfinity;
        (float[], float[]) saved = ((float[])_u.Clone(), (float[])_v.Clone());
        int sinceBest = 0;
        EpochsRun = 0;
        BestEpoch = 0;
        for (int epoch = 1; epoch <= _hyper.Epochs; epoch++)
        {
            // Closed-form W and P for both sides (P starts at 0, so the first W is mSDA's alone).
            var (tu1, tp1) = Targets(_x, _u, train.UserCount, ref p1);
            var (tu2, tp2) = Targets(_y, _v, train.ItemCount, ref p2);
            for (int k = order.Length - 1; k > 0; k--)
            {
                int j = random.NextBelow(k + 1);
                (order[k], order[j]) = (order[j], order[k]);
            }
            var gu = new float[d];
            var gv = new float[d];
            foreach (int e in order)
            {
                int user = train.Users[e], item = train.Items[e];
                var u = _u.AsSpan(user * d, d);
                var v = _v.AsSpan(item * d, d);
                float dot = 0;
                for (int f = 0; f < d; f++) dot += u[f] * v[f];
                float err = train.Ratings[e] - _mu - dot;
                FeaturePull(tp1, tu1, user, u, gu);
                FeaturePull(tp2, tu2, item, v, gv);
                float wu = userWeight[user], wv = itemWeight[item];
                for (int f = 0; f < d; f++)
                {
                    float uf = u[f], vf = v[f];
                    // wu * beta and wu * lambda are exact when wu = 1, so EachRating keeps mDA-CF's numbers bit for bit.
                    u[f] += lr * (alpha * err * vf - wu * beta * uf - wu * lambda * gu[f]);
                    v[f] += lr * (alpha * err * uf - wv * beta * vf - wv * lambda * gv[f]);
                }
            }
            EpochsRun = epoch;
            if (validation.Count == 0) { BestEpoch = epoch; saved = ((float[])_u.Clone(), (float[])_v.Clone()); continue; }
            double rmse = RatingMetrics.Rmse(Predict(validation), validation.Ratings);
            if (!double.IsFinite(rmse)) throw new InvalidOperationException($"epoch {epoch}: validation RMSE is not finite");
            if (rmse < best) { best = rmse; BestEpoch = epoch; saved = ((float[])_u.Clone(), (float[])_v.Clone()); sinceBest = 0; }
            else if (++sinceBest >= _hyper.Patience) break;
            if (epoch % 10 == 0) progress?.Report($"epoch {epoch}: validation RMSE {rmse:0.0000} (best {best:0.0000} at epoch {BestEpoch})");
        }
        (_u, _v) = saved;
    }

    private float[] RegularizerWeights(int[] index, int count)
    {
        var weight = new float[count];
        if (_hyper.Regularization == MdaCfRegularization.EachRating) { Array.Fill(weight, 1f); return weight; }
        foreach (int k in index) weight[k] += 1;
        for (int k = 0; k < count; k++) weight[k] = weight[k] > 0 ? 1 / weight[k] : 0;
        return weight;
    }

    /// <summary>Updates W and P of one side from its factors; returns (WX as columns x features, P as features x d) in float.</summary>
    private (float[] Wx, float[] P) Targets(double[,] x, float[] factors, int count, ref double[,] p)
    {
        int d = _hyper.Factors, f = x.GetLength(0);
        var u = new double[count, d];
        for (int k = 0; k < count; k++)
            for (int j = 0; j < d; j++) u[k, j] = factors[k * d + j];
        var w = MarginalizedDenoising.Mapping(x, u, p, _hyper.Lambda, _hyper.Corruption, _hyper.Ridge);
        p = MarginalizedDenoising.Projection(w, x, u, _hyper.Ridge);
        var wx = MarginalizedDenoising.Multiply(w, x); // f x count
        var wxT = new float[count * f];
        for (int k = 0; k < count; k++)
            for (int j = 0; j < f; j++) wxT[k * f + j] = (float)wx[j, k];
        var pf = new float[f * d];
        for (int i = 0; i < f; i++)
            for (int j = 0; j < d; j++) pf[i * d + j] = (float)p[i, j];
        return (wxT, pf);
    }

    /// <summary>g = Pᵀ(P u - (WX)_k).</summary>
    private static void FeaturePull(float[] p, float[] wx, int k, ReadOnlySpan<float> u, Span<float> g)
    {
        int d = u.Length, f = p.Length / d;
        g.Clear();
        for (int i = 0; i < f; i++)
        {
            float r = -wx[k * f + i];
            for (int j = 0; j < d; j++) r += p[i * d + j] * u[j];
            for (int j = 0; j < d; j++) g[j] += p[i * d + j] * r;
        }
    }

    public float[] Predict(RatingSet pairs)
    {
        int d = _hyper.Factors;
        var result = new float[pairs.Count];
        for (int k = 0; k < pairs.Count; k++)
        {
            var u = _u.AsSpan(pairs.Users[k] * d, d);
            var v = _v.AsSpan(pairs.Items[k] * d, d);
            float dot = 0;
            for (int f = 0; f < d; f++) dot += u[f] * v[f];
            result[k] = _mu + dot;
        }
        return result;
    }

    public void Dispose() { }
}
