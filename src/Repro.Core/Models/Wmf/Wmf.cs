using Repro.Core.Data.Cache;
using Repro.Core.Sparse;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Core.Models.Wmf;

/// <summary>One finished ALS sweep: its number (from 1), its duration, and the training objective on demand (costs a pass over the data).</summary>
public sealed record WmfIteration(int Iteration, TimeSpan Elapsed, Func<double> Objective);

/// <summary>
/// Weighted matrix factorisation (Hu, Koren, Volinsky 2008) by alternating least squares on binary
/// data: minimise sum_{u,i} c_ui (p_ui - x_u . y_i)^2 + lambda (sum ||x_u||^2 + sum ||y_i||^2), with
/// c_ui = 1 + c on observed entries and 1 elsewhere. Each half-sweep solves, per user,
/// (Y^T Y + Y^T (C_u - I) Y + lambda I) x_u = Y^T C_u p_u, where only the observed items enter the
/// middle term (Hu et al. section 4), so a sweep costs O(nnz K^2 + (U + I) K^3). Solves run through
/// libtorch in batches of users of similar activity (batched GEMM, then a batched LU solve: libtorch's
/// batched LU is about 3x faster than its batched Cholesky at K = 200 here), in float32 during
/// training and in float64 for held-out users.
/// Only item factors are kept: a held-out user's factors come from one exact solve on their fold-in
/// items with the item factors fixed (author, github.com/dawenl/vae_cf/issues/3; spec 7 pitfall 13).
/// </summary>
public sealed class Wmf : IRecommender
{
    private const string ArchiveKind = "wmf";
    private const int ArchiveVersion = 1;

    /// <summary>Gathered factor rows per solve batch (memory bound: this x K x 8 bytes).</summary>
    private const int GatherBudget = 1 << 18;

    /// <summary>K x K systems per solve batch (memory bound: this x K^2 x 8 bytes at most 128 MB).</summary>
    private const long SystemBudget = 1 << 24;

    private readonly float[] _itemFactors;

    private Wmf(WmfHyper hyper, int items, float[] itemFactors)
    {
        Hyper = hyper;
        Items = items;
        _itemFactors = itemFactors;
    }

    public WmfHyper Hyper { get; }
    public int Items { get; }

    /// <summary>Item factors Y, Items x K, row-major.</summary>
    public ReadOnlySpan<float> ItemFactors => _itemFactors;

    /// <summary>
    /// Trains on <paramref name="train"/> (training users only). Item factors start N(0, InitScale^2)
    /// from <paramref name="seed"/>; each sweep solves users then items. A cancelled token stops the
    /// fit between half-sweeps with <see cref="OperationCanceledException"/>.
    /// </summary>
    public static Wmf Fit(CsrMatrix train, WmfHyper hyper, ulong seed = 0, Action<WmfIteration>? onIteration = null, CancellationToken cancel = default)
    {
        hyper.Validate();
        TorchRuntime.EnsureLoaded();
        int k = hyper.Factors, items = train.Columns;
        var byItem = SparseProducts.Transpose(train);
        var y = InitialFactors(items, k, hyper.InitScale, seed);
        Tensor? x = null;
        try
        {
            for (int it = 1; it <= hyper.Iterations; it++)
            {
                cancel.ThrowIfCancellationRequested();
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var newX = Solve(train, y, hyper.Confidence, hyper.Lambda, null, ScalarType.Float32);
                x?.Dispose();
                x = newX;
                cancel.ThrowIfCancellationRequested();
                var newY = Solve(byItem, x, hyper.Confidence, hyper.Lambda, null, ScalarType.Float32);
                y.Dispose();
                y = newY;
                clock.Stop();
                if (onIteration != null)
                {
                    var (xs, ys) = (x, y);
                    onIteration(new WmfIteration(it, clock.Elapsed, () => Objective(train, xs, ys, hyper)));
                }
            }
            var factors = new float[(long)items * k];
            y.contiguous().data<float>().CopyTo(factors, 0);
            return new Wmf(hyper, items, factors);
        }
        finally
        {
            x?.Dispose();
            y.Dispose();
        }
    }

    /// <summary>
    /// A WMF scorer over given item factors (Items x K, row-major): a held-out user is solved against
    /// them as against WMF's own. CDL's item factors score this way (its u_i step is WMF's).
    /// </summary>
    internal static Wmf FromItemFactors(WmfHyper hyper, int items, float[] itemFactors)
    {
        hyper.Validate();
        if (itemFactors.LongLength != (long)items * hyper.Factors) throw new ArgumentException($"{itemFactors.LongLength} item factors, expected {items} x {hyper.Factors}");
        return new Wmf(hyper, items, itemFactors);
    }

    /// <summary>
    /// Initial factors, rows x K float32, N(0, scale^2) from <paramref name="seed"/> (Box-Muller on
    /// System.Random, so the same seed gives the same start on every platform).
    /// </summary>
    internal static Tensor InitialFactors(int rows, int k, double scale, ulong seed)
    {
        var rng = new Random(unchecked((int)seed ^ (int)(seed >> 32)));
        var init = new double[(long)rows * k];
        for (long a = 0; a < init.LongLength; a++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            init[a] = scale * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        }
        using var start = tensor(init, new long[] { rows, k });
        return start.to(ScalarType.Float32);
    }

    /// <summary>
    /// The factors of the users in <paramref name="rows"/> of <paramref name="foldIn"/>, rows.Length x K
    /// (row-major, float64): one exact least-squares solve each with the item factors fixed.
    /// </summary>
    public double[] UserFactors(CsrMatrix foldIn, ReadOnlySpan<int> rows)
    {
        if (foldIn.Columns != Items) throw new ArgumentException($"fold-in has {foldIn.Columns} items, the model {Items}");
        var selected = SparseProducts.SelectRows(foldIn, rows);
        using var scope = NewDisposeScope();
        var y = tensor(_itemFactors, new long[] { Items, Hyper.Factors }).to(ScalarType.Float64);
        var x = Solve(selected, y, Hyper.Confidence, Hyper.Lambda, null, ScalarType.Float64);
        var result = new double[(long)rows.Length * Hyper.Factors];
        x.contiguous().data<double>().CopyTo(result, 0);
        return result;
    }

    public void Score(CsrMatrix foldIn, ReadOnlySpan<int> rows, Span<float> output)
    {
        if (output.Length != (long)rows.Length * Items) throw new ArgumentException($"output holds {output.Length} floats, expected {rows.Length} x {Items}");
        var factors = UserFactors(foldIn, rows);
        using var scope = NewDisposeScope();
        var x = tensor(factors, new long[] { rows.Length, Hyper.Factors }).to(ScalarType.Float32);
        var y = tensor(_itemFactors, new long[] { Items, Hyper.Factors });
        x.matmul(y.t()).contiguous().data<float>().CopyTo(output);
    }

    /// <summary>
    /// For every row r of <paramref name="data"/> (users, or items when transposed), solves
    /// (F^T F + c F_r^T F_r + lambda I) z_r = (1 + c) F_r^T 1 + lambda m_r, where F_r are the rows of
    /// <paramref name="fixedFactors"/> at row r's stored columns and m_r is row r of
    /// <paramref name="prior"/> (the mean the penalty pulls z_r to; zero when null: WMF's own case; CDL's
    /// item step passes its encoder's output). lambda may be 0 when F^T F is positive definite.
    /// Returns a tensor rows x K of <paramref name="dtype"/>.
    /// </summary>
    internal static Tensor Solve(CsrMatrix data, Tensor fixedFactors, double confidence, double lambda, Tensor? prior, ScalarType dtype)
    {
        int k = (int)fixedFactors.shape[1], rows = data.Rows, m = data.Columns;
        if (prior is not null && (prior.shape[0] != rows || prior.shape[1] != k)) throw new ArgumentException($"prior is {prior.shape[0]} x {prior.shape[1]}, expected {rows} x {k}");
        if (data.Values != null) throw new ArgumentException("WMF takes binary data (values must be null)");
        var result = zeros(rows, k, dtype);
        using var outer = NewDisposeScope();
        var f = fixedFactors.to(dtype);
        var gram = f.t().matmul(f);
        using (var ridge = lambda.ToScalar()) using (var unit = 1.0.ToScalar()) gram.diagonal().add_(ridge, unit); // alpha named: an implicit Scalar can be finalised early
        var padded = cat(new[] { f, zeros(1, k, dtype) }, 0); // row m is the padding

        // Rows in order of length, so that a batch pads little.
        var order = Enumerable.Range(0, rows).ToArray();
        var lengths = order.Select(data.RowLength).ToArray();
        Array.Sort(lengths, order);
        int maxSystems = (int)Math.Max(1, SystemBudget / ((long)k * k));
        int first = 0;
        while (first < rows)
        {
            int longest = lengths[first], count = 0;
            while (first + count < rows && count < maxSystems)
            {
                int len = lengths[first + count];
                if (count > 0 && (long)(count + 1) * len > GatherBudget) break;
                longest = len;
                count++;
            }
            using var scope = NewDisposeScope();
            int width = Math.Max(1, longest);
            var index = new long[(long)count * width];
            Array.Fill(index, m);
            for (int b = 0; b < count; b++)
            {
                var row = data.Row(order[first + b]);
                for (int a = 0; a < row.Length; a++) index[(long)b * width + a] = row[a];
            }
            var gathered = padded.index_select(0, tensor(index)).view(count, width, k);
            // Scalars held and alphas named: an implicitly converted Scalar can be finalised while libtorch reads it.
            using var confidenceScalar = confidence.ToScalar();
            using var positiveWeight = (1 + confidence).ToScalar();
            using var one = 1.0.ToScalar();
            using var priorWeight = lambda.ToScalar();
            var a_ = gathered.transpose(1, 2).bmm(gathered).mul_(confidenceScalar).add_(gram, one);
            var where = tensor(order.AsSpan(first, count).ToArray().Select(o => (long)o).ToArray());
            var rhs = gathered.sum(1).mul_(positiveWeight);
            if (prior is not null) rhs = rhs.add_(prior.index_select(0, where).to(dtype), priorWeight);
            rhs = rhs.unsqueeze(-1);
            // The systems are symmetric positive definite (lambda > 0), so Cholesky: half the work
            // of LU, and libtorch's batched LU solve fails with 2 threads here ("pivots must be >= 1").
            var z = cholesky_solve(rhs, linalg.cholesky(a_)).squeeze(-1);
            result.index_copy_(0, where, z);
            first += count;
        }
        return result;
    }

    /// <summary>The training objective of factors X (users) and Y (items) on binary <paramref name="train"/>.</summary>
    private static double Objective(CsrMatrix train, Tensor x, Tensor y, WmfHyper hyper)
    {
        using var scope = NewDisposeScope();
        x = x.to(ScalarType.Float64);
        y = y.to(ScalarType.Float64);
        // Sum over all entries of s^2 = trace(X^T X Y^T Y); observed entries add c (1 - s)^2 and (1 - 2s).
        double all = (x.t().matmul(x) * y.t().matmul(y)).sum().item<double>();
        double observed = 0;
        const int chunk = 1 << 16;
        using var confidence = hyper.Confidence.ToScalar();
        using var one = 1.0.ToScalar();
        using var minusTwo = (-2.0).ToScalar();
        using var two = 2.0.ToScalar(); // square() would be pow(2) with an implicit Scalar
        var users = new long[train.NonZeros];
        for (int u = 0; u < train.Rows; u++)
            for (int a = train.RowStart[u]; a < train.RowStart[u + 1]; a++) users[a] = u;
        for (int start = 0; start < train.NonZeros; start += chunk)
        {
            using var inner = NewDisposeScope();
            int len = Math.Min(chunk, train.NonZeros - start);
            var ui = tensor(users.AsSpan(start, len).ToArray());
            var ii = tensor(train.ColumnIndex.AsSpan(start, len).ToArray().Select(i => (long)i).ToArray());
            var s = (x.index_select(0, ui) * y.index_select(0, ii)).sum(1);
            // c (1 - s)^2 + 1 - 2 s, with held Scalars
            observed += s.neg().add(one, one).pow(two).mul(confidence).add(one, one).add(s, minusTwo).sum().item<double>();
        }
        double penalty = hyper.Lambda * (x.pow(two).sum().item<double>() + y.pow(two).sum().item<double>());
        return all + observed + penalty;
    }

    public void Save(string path) =>
        BinaryArchive.Write(path, ArchiveKind, ArchiveVersion, "", w =>
        {
            w.Write(Hyper.Factors);
            w.Write(Hyper.Confidence);
            w.Write(Hyper.Lambda);
            w.Write(Hyper.Iterations);
            w.Write(Hyper.InitScale);
            w.Write(Items);
            w.Write(_itemFactors);
        });

    public static Wmf Load(string path) =>
        BinaryArchive.Read(path, ArchiveKind, ArchiveVersion, "", r =>
        {
            var hyper = new WmfHyper
            {
                Factors = r.ReadInt32(), Confidence = r.ReadDouble(), Lambda = r.ReadDouble(),
                Iterations = r.ReadInt32(), InitScale = r.ReadDouble(),
            };
            int items = r.ReadInt32();
            var factors = r.ReadSingleArray();
            if (factors.LongLength != (long)items * hyper.Factors) throw new StaleCacheException(path, $"holds {factors.LongLength} factors, expected {items} x {hyper.Factors}");
            return new Wmf(hyper, items, factors);
        });

    public void Dispose() { }
}
