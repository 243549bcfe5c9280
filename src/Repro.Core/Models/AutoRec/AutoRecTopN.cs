using Repro.Core.Data.Cache;
using Repro.Core.Sparse;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Core.Models.AutoRec;

/// <summary>
/// AutoRec for top-N recommendation under strong generalisation (spec seed-models §4.4), on 0/1 data
/// with every entry observed (<see cref="AutoRecTopNHyper"/>): the rating model's network
/// (<see cref="AutoRecNetwork"/>) fitted full-batch by RProp on the training users' matrix.
/// <list type="bullet">
/// <item>U-AutoRec reconstructs user rows, so it is inductive: a held-out user's scores are the
/// network's output on their fold-in row.</item>
/// <item>I-AutoRec reconstructs item columns over the training users, so a held-out user has no output
/// unit. V, mu and the item codes h_i = g(V x_i + mu) (training users only) are frozen, and the user's
/// output row (w_v, b_v) is fitted by ridge regression on the fold-in row over all items (every entry
/// observed): min sum_i (x_vi - w_v . h_i - b_v)^2 + (lambda / 2)|w_v|^2. With H' = [H, 1] (items x
/// (k + 1)) and D = diag(1, ..., 1, 0), (w_v, b_v) = (H'^T H' + (lambda / 2) D)^-1 H'^T x_v: one
/// (k + 1) x (k + 1) system shared by every user, factored once. Held-out users are never input units
/// (that would train on fold-in data, paper §2.3).</item>
/// </list>
/// </summary>
public sealed class AutoRecTopN : IRecommender
{
    private const string ArchiveKind = "autorec-topn";
    private const int ArchiveVersion = 1;

    // U-AutoRec's network; null for I-AutoRec.
    private readonly AutoRecNetwork? _network;
    // I-AutoRec: H' = [H, 1] (items x (k + 1), row-major) and the lower Cholesky factor of H'^T H' + (lambda / 2) D.
    private readonly double[] _augmentedCodes = [];
    private readonly double[] _factor = [];
    private readonly float[] _codes = [];

    private AutoRecTopN(AutoRecKind kind, AutoRecTopNHyper hyper, int items, AutoRecNetwork? network, float[] codes)
    {
        Kind = kind;
        Hyper = hyper;
        Items = items;
        _network = network;
        if (kind == AutoRecKind.ItemBased)
        {
            _codes = codes;
            (_augmentedCodes, _factor) = RidgeSystem(codes, hyper.Hidden, hyper.Lambda);
        }
    }

    public AutoRecKind Kind { get; }
    public AutoRecTopNHyper Hyper { get; }
    public int Items { get; }

    /// <summary>I-AutoRec's item codes h_i, items x k (row-major); empty for U-AutoRec.</summary>
    public ReadOnlySpan<float> Codes => _codes;

    /// <summary>
    /// Fits on the training users' rows of <paramref name="train"/> (stored entries are 1, the rest 0)
    /// for <see cref="AutoRecTopNHyper.Iterations"/> full-batch RProp iterations from Glorot-uniform
    /// weights drawn from <paramref name="seed"/>. <paramref name="onIteration"/> gets each iteration's
    /// number and loss; a cancelled token stops between iterations with <see cref="OperationCanceledException"/>.
    /// </summary>
    public static AutoRecTopN Fit(CsrMatrix train, AutoRecKind kind, AutoRecTopNHyper hyper, ulong seed, Action<int, double>? onIteration = null, CancellationToken cancel = default)
    {
        hyper.Validate();
        TorchRuntime.EnsureLoaded();
        // Rows are the reconstructed vectors: users (U-AutoRec) or items over the training users (I-AutoRec).
        var vectors = kind == AutoRecKind.ItemBased ? SparseProducts.Transpose(train) : train;
        var network = new AutoRecNetwork(hyper.Network(kind), vectors.Columns, seed);
        try
        {
            using var data = tensor(DenseRows(vectors, AllRows(vectors.Rows)), new long[] { vectors.Rows, vectors.Columns });
            using (var optimizer = optim.Rprop(network.Parameters, lr: hyper.StepSize))
            {
                for (int it = 1; it <= hyper.Iterations; it++)
                {
                    cancel.ThrowIfCancellationRequested();
                    using var scope = NewDisposeScope();
                    optimizer.zero_grad();
                    var loss = network.Loss(data);
                    loss.backward();
                    optimizer.step();
                    double value = loss.item<float>();
                    if (!double.IsFinite(value)) throw new InvalidOperationException($"iteration {it}: the loss is not finite");
                    onIteration?.Invoke(it, value);
                }
            }
            if (kind == AutoRecKind.UserBased) return new AutoRecTopN(kind, hyper, train.Columns, network, []);
            float[] codes;
            using (var scope = NewDisposeScope())
            using (no_grad())
                codes = network.Encode(data).contiguous().data<float>().ToArray();
            network.Dispose();
            return new AutoRecTopN(kind, hyper, train.Columns, null, codes);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>
    /// I-AutoRec's fold-in: for each user in <paramref name="rows"/> of <paramref name="foldIn"/>, the
    /// output row (w_v, b_v) minimising sum over all items i of (x_vi - w_v . h_i - b_v)^2 + (lambda / 2)|w_v|^2
    /// with the item codes <paramref name="codes"/> (items x <paramref name="k"/>) fixed.
    /// Returns rows.Length x (k + 1) values, row-major: w_v then b_v.
    /// </summary>
    public static double[] FoldInOutputRows(ReadOnlySpan<float> codes, int k, double lambda, CsrMatrix foldIn, ReadOnlySpan<int> rows)
    {
        if (codes.Length != (long)foldIn.Columns * k) throw new ArgumentException($"codes hold {codes.Length} values, expected {foldIn.Columns} items x {k}");
        TorchRuntime.EnsureLoaded();
        var (augmented, factor) = RidgeSystem(codes, k, lambda);
        using var scope = NewDisposeScope();
        return Coefficients(augmented, factor, k, foldIn, rows).contiguous().data<double>().ToArray();
    }

    /// <summary>H' = [H, 1] and the Cholesky factor of H'^T H' + (lambda / 2) diag(1, ..., 1, 0), in float64.</summary>
    private static (double[] Augmented, double[] Factor) RidgeSystem(ReadOnlySpan<float> codes, int k, double lambda)
    {
        int items = codes.Length / k;
        var augmented = new double[(long)items * (k + 1)];
        for (int i = 0; i < items; i++)
        {
            for (int j = 0; j < k; j++) augmented[(long)i * (k + 1) + j] = codes[i * k + j];
            augmented[(long)i * (k + 1) + k] = 1;
        }
        var penalty = new double[k + 1];
        Array.Fill(penalty, lambda / 2, 0, k); // the bias b_v is not decayed, as in AutoRec's loss
        using var scope = NewDisposeScope();
        var h = tensor(augmented, new long[] { items, k + 1 });
        using var one = 1.0.ToScalar(); // alpha named: an implicit Scalar can be finalised while libtorch reads it
        var system = h.t().matmul(h).add(diag(tensor(penalty)), one);
        var (factor, info) = linalg.cholesky_ex(system);
        if (info.item<int>() != 0)
            throw new InvalidOperationException($"I-AutoRec's fold-in system (k + 1 = {k + 1} unknowns, {items} items, lambda {lambda}) is singular: lambda must be > 0 or the item codes of full rank");
        return (augmented, factor.contiguous().data<double>().ToArray());
    }

    /// <summary>(w_v, b_v) for the users in rows, rows.Length x (k + 1), float64 (in the caller's dispose scope).</summary>
    private static Tensor Coefficients(double[] augmented, double[] factor, int k, CsrMatrix foldIn, ReadOnlySpan<int> rows)
    {
        var h = tensor(augmented, new long[] { foldIn.Columns, k + 1 });
        var l = tensor(factor, new long[] { k + 1, k + 1 });
        var x = tensor(DenseRows(foldIn, rows), new long[] { rows.Length, foldIn.Columns }).to(ScalarType.Float64);
        return cholesky_solve(x.matmul(h).t(), l).t();
    }

    public void Score(CsrMatrix foldIn, ReadOnlySpan<int> rows, Span<float> output)
    {
        if (foldIn.Columns != Items) throw new ArgumentException($"fold-in has {foldIn.Columns} items, the model {Items}");
        if (output.Length != (long)rows.Length * Items) throw new ArgumentException($"output holds {output.Length} floats, expected {rows.Length} x {Items}");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        Tensor scores;
        if (_network is not null)
            scores = _network.Forward(tensor(DenseRows(foldIn, rows), new long[] { rows.Length, Items }));
        else
        {
            var h = tensor(_augmentedCodes, new long[] { Items, Hyper.Hidden + 1 });
            scores = Coefficients(_augmentedCodes, _factor, Hyper.Hidden, foldIn, rows).matmul(h.t()).to(ScalarType.Float32);
        }
        scores.contiguous().data<float>().CopyTo(output);
    }

    private static int[] AllRows(int count) => Enumerable.Range(0, count).ToArray();

    /// <summary>The rows of <paramref name="m"/> as a dense 0/1 matrix (rows.Length x columns, row-major): stored entries are 1.</summary>
    private static float[] DenseRows(CsrMatrix m, ReadOnlySpan<int> rows)
    {
        var x = new float[(long)rows.Length * m.Columns];
        for (int r = 0; r < rows.Length; r++)
            foreach (int c in m.Row(rows[r])) x[(long)r * m.Columns + c] = 1;
        return x;
    }

    public void Save(string path) =>
        BinaryArchive.Write(path, ArchiveKind, ArchiveVersion, "", w =>
        {
            w.Write(Kind == AutoRecKind.ItemBased ? 0 : 1);
            w.Write(Hyper.Hidden);
            w.Write(Hyper.Lambda);
            w.Write(Hyper.Iterations);
            w.Write(Hyper.StepSize);
            w.Write(Items);
            if (_network is null) w.Write(_codes);
            else
            {
                var parameters = _network.Export();
                w.Write(parameters.Count);
                foreach (var p in parameters) w.Write(p);
            }
        });

    public static AutoRecTopN Load(string path)
    {
        TorchRuntime.EnsureLoaded();
        return BinaryArchive.Read(path, ArchiveKind, ArchiveVersion, "", r =>
        {
            var kind = r.ReadInt32() switch
            {
                0 => AutoRecKind.ItemBased,
                1 => AutoRecKind.UserBased,
                var other => throw new StaleCacheException(path, $"names AutoRec kind {other}, expected 0 (item) or 1 (user)"),
            };
            var hyper = new AutoRecTopNHyper { Hidden = r.ReadInt32(), Lambda = r.ReadDouble(), Iterations = r.ReadInt32(), StepSize = r.ReadDouble() };
            int items = r.ReadInt32();
            if (kind == AutoRecKind.ItemBased)
            {
                var codes = r.ReadSingleArray();
                if (codes.LongLength != (long)items * hyper.Hidden) throw new StaleCacheException(path, $"holds {codes.LongLength} codes, expected {items} x {hyper.Hidden}");
                return new AutoRecTopN(kind, hyper, items, null, codes);
            }
            var parameters = new List<float[]>();
            for (int p = r.ReadInt32(); p > 0; p--) parameters.Add(r.ReadSingleArray());
            var network = new AutoRecNetwork(hyper.Network(kind), items, 0);
            try { network.Import(parameters); }
            catch (ArgumentException e)
            {
                network.Dispose();
                throw new StaleCacheException(path, e.Message);
            }
            return new AutoRecTopN(kind, hyper, items, network, []);
        });
    }

    public void Dispose() => _network?.Dispose();
}
