using Repro.Core.Ratings;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Core.Models.AutoRec;

/// <summary>
/// I-AutoRec and U-AutoRec (<see cref="AutoRecHyper"/>): the training ratings as a dense matrix (items x
/// users for I-AutoRec, users x items for U-AutoRec) with its mask of observed entries, fitted
/// full-batch by RProp (AutoRec §3: "RProp ... comparable to L-BFGS, much faster") on
/// <see cref="AutoRecNetwork.Loss"/>. Every <see cref="AutoRecHyper.EvaluateEvery"/> iterations the
/// validation RMSE is measured; the reconstruction of the best measurement is what predicts.
/// Prediction of (u, i): the reconstruction of item i's vector at user u (I-AutoRec) or of user u's
/// vector at item i (U-AutoRec).
/// </summary>
public sealed class AutoRec : IRatingModel
{
    private readonly AutoRecHyper _hyper;
    private float[] _output = [];
    private int _columns;

    public AutoRec(AutoRecHyper hyper)
    {
        hyper.Validate();
        _hyper = hyper;
    }

    /// <summary>Iterations run by the last fit and the one whose reconstruction was kept.</summary>
    public int IterationsRun { get; private set; }
    public int BestIteration { get; private set; }

    /// <summary>Training loss after each iteration of the last fit.</summary>
    public List<double> Losses { get; } = [];

    private bool ItemBased => _hyper.Kind == AutoRecKind.ItemBased;

    private (int Row, int Column) Cell(int user, int item) => ItemBased ? (item, user) : (user, item);

    /// <summary>The dense ratings and mask of <paramref name="data"/> in the model's orientation.</summary>
    internal (float[] Ratings, float[] Mask, int Rows, int Columns) Dense(RatingSet data)
    {
        int rows = ItemBased ? data.ItemCount : data.UserCount, columns = ItemBased ? data.UserCount : data.ItemCount;
        var x = new float[(long)rows * columns];
        var m = new float[x.Length];
        for (int k = 0; k < data.Count; k++)
        {
            var (r, c) = Cell(data.Users[k], data.Items[k]);
            x[(long)r * columns + c] = data.Ratings[k];
            m[(long)r * columns + c] = 1;
        }
        return (x, m, rows, columns);
    }

    public void Fit(RatingSet train, RatingSet validation, ulong seed, IProgress<string>? progress = null)
    {
        TorchRuntime.EnsureLoaded();
        var (x, m, rows, columns) = Dense(train);
        _columns = columns;
        Losses.Clear();
        using var ratings = tensor(x, new long[] { rows, columns });
        using var mask = tensor(m, new long[] { rows, columns });
        using var network = new AutoRecNetwork(_hyper, columns, seed);
        using var optimizer = optim.Rprop(network.Parameters, lr: _hyper.StepSize);
        var flat = new long[validation.Count];
        for (int k = 0; k < flat.Length; k++)
        {
            var (r, c) = Cell(validation.Users[k], validation.Items[k]);
            flat[k] = (long)r * columns + c;
        }
        using var validationIndex = tensor(flat);
        double best = double.PositiveInfinity;
        int sinceBest = 0;
        IterationsRun = 0;
        BestIteration = 0;

        // Keeps the current reconstruction when its validation RMSE is the best so far; false once patience runs out.
        bool Measure(int iteration)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var output = network.Forward(ratings.mul(mask));
            double rmse = 0;
            if (validation.Count > 0)
            {
                var predicted = output.view(-1).index_select(0, validationIndex).data<float>().ToArray();
                rmse = RatingMetrics.Rmse(predicted, validation.Ratings);
                if (!double.IsFinite(rmse)) throw new InvalidOperationException($"iteration {iteration}: validation RMSE is not finite");
            }
            if (validation.Count == 0 || rmse < best)
            {
                best = rmse;
                BestIteration = iteration;
                _output = output.data<float>().ToArray();
                sinceBest = 0;
                return true;
            }
            return ++sinceBest < _hyper.Patience;
        }

        Measure(0);
        for (int it = 1; it <= _hyper.Iterations; it++)
        {
            using (var scope = NewDisposeScope())
            {
                optimizer.zero_grad();
                var loss = network.Loss(ratings, mask);
                loss.backward();
                optimizer.step();
                double value = loss.item<float>();
                if (!double.IsFinite(value)) throw new InvalidOperationException($"iteration {it}: the loss is not finite");
                Losses.Add(value);
            }
            IterationsRun = it;
            if (it % _hyper.EvaluateEvery == 0 || it == _hyper.Iterations)
            {
                bool goOn = Measure(it);
                if (it % 50 == 0) progress?.Report($"iteration {it}: loss {Losses[^1]:0.0}, validation RMSE best {best:0.0000} at {BestIteration}");
                if (!goOn) break;
            }
        }
    }

    public float[] Predict(RatingSet pairs)
    {
        if (_output.Length == 0) throw new InvalidOperationException("the model is not fitted");
        var result = new float[pairs.Count];
        for (int k = 0; k < pairs.Count; k++)
        {
            var (r, c) = Cell(pairs.Users[k], pairs.Items[k]);
            result[k] = _output[(long)r * _columns + c];
        }
        return result;
    }

    public void Dispose() { }
}
