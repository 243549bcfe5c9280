using Repro.Core.Data.Cache;
using Repro.Core.Sparse;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Core.Models.Ease;

/// <summary>
/// EASE^R (Steck 2019, Eq. 8): G = X^T X + lambda I, P = G^-1, B = I - P diagMat(1 / diag(P)), so
/// B_ij = -P_ij / P_jj off the diagonal and B_jj = 0; a user's scores are x_u B. Fitted on training
/// users only; a held-out user's scores use only their fold-in row, so no fold-in step is needed.
/// </summary>
public sealed class Ease : IRecommender
{
    private const string ArchiveKind = "ease";
    private const int ArchiveVersion = 1;

    /// <summary>Up to this many items the inverse is taken in float64; above it, float32 Cholesky (halves time and memory).</summary>
    public const int Float64Limit = 8192;

    private readonly float[] _weights;

    private Ease(EaseHyper hyper, int items, float[] weights)
    {
        Hyper = hyper;
        Items = items;
        _weights = weights;
    }

    public EaseHyper Hyper { get; }
    public int Items { get; }

    /// <summary>B, Items x Items, row-major: B[i, j] is item i's weight in item j's score.</summary>
    public ReadOnlySpan<float> Weights => _weights;

    /// <summary>g's diagonal += lambda, with the Scalars held: an implicit one (the value, or the alpha 1
    /// TorchSharp adds) can be finalised while libtorch reads it ("Unknown scalar type", "toDouble").</summary>
    private static void AddToDiagonal(Tensor g, double lambda)
    {
        using var value = lambda.ToScalar();
        using var one = 1.0.ToScalar();
        g.diagonal().add_(value, one);
    }

    /// <summary>
    /// Solves for B with a Cholesky factorisation of G (libtorch), float64 up to <see cref="Float64Limit"/> items.
    /// A cancelled token stops the fit between its steps (Gram, factorisation, inverse) with <see cref="OperationCanceledException"/>.
    /// </summary>
    public static Ease Fit(CsrMatrix train, EaseHyper hyper, CancellationToken cancel = default)
    {
        if (train.Columns > Float64Limit && train.Rows < train.Columns) return FitThroughUsers(train, hyper, cancel);
        hyper.Validate();
        TorchRuntime.EnsureLoaded();
        int n = train.Columns;
        var weights = SparseProducts.Gram(train);
        cancel.ThrowIfCancellationRequested();
        var dtype = n <= Float64Limit ? ScalarType.Float64 : ScalarType.Float32;
        using (var scope = NewDisposeScope())
        {
            var g = tensor(weights, new long[] { n, n });
            if (dtype == ScalarType.Float64) g = g.to(dtype);
            AddToDiagonal(g, hyper.Lambda);
            var factor = linalg.cholesky(g);
            g.Dispose();
            cancel.ThrowIfCancellationRequested();
            var p = cholesky_inverse(factor);
            factor.Dispose();
            cancel.ThrowIfCancellationRequested();
            var diag = p.diagonal().clone();
            // B = I - P diagMat(1 / diag(P)): column j of P divided by -P_jj, then a zero diagonal.
            p.div_(diag.neg().unsqueeze(0));
            p.diagonal().zero_();
            var b = dtype == ScalarType.Float32 ? p : p.to(ScalarType.Float32);
            b.contiguous().data<float>().CopyTo(weights, 0);
        }
        return new Ease(hyper, n, weights);
    }

    /// <summary>
    /// The same B through the users' side, for more items than training users (Gowalla: 23,858 users,
    /// 40,981 items), where the item Gram matrix and its inverse would not fit in 12 GB. Woodbury's
    /// identity gives P = (X^T X + lambda I)^-1 = (I - Q) / lambda with Q = X^T M^-1 X and
    /// M = X X^T + lambda I (users x users), so B_ij = -P_ij / P_jj = Q_ij / (1 - Q_jj) off the
    /// diagonal (lambda cancels). Costs one Cholesky factorisation and inverse of M (float32, libtorch)
    /// and two sparse-dense products (Z = X^T M^-1 in blocks of items, never whole); peak memory
    /// Items^2 + Users^2 floats (9 GB on Gowalla), provided libtorch's freed memory goes back to the
    /// system (not with glibc's trim threshold raised).
    /// </summary>
    public static Ease FitThroughUsers(CsrMatrix train, EaseHyper hyper, CancellationToken cancel = default)
    {
        hyper.Validate();
        TorchRuntime.EnsureLoaded();
        int n = train.Columns, m = train.Rows;
        var byItem = SparseProducts.Transpose(train);
        float[] mInverse;
        using (var scope = NewDisposeScope())
        {
            var gram = SparseProducts.Gram(byItem);   // X X^T: the users' Gram matrix
            cancel.ThrowIfCancellationRequested();
            var g = tensor(gram, new long[] { m, m });
            // These arrays are gigabytes: give each back before the next is allocated (peak memory).
            gram = null!;
            GC.Collect();
            AddToDiagonal(g, hyper.Lambda);
            var factor = linalg.cholesky(g);
            g.Dispose();
            cancel.ThrowIfCancellationRequested();
            var inverse = cholesky_inverse(factor);
            factor.Dispose();
            mInverse = new float[(long)m * m];
            inverse.contiguous().data<float>().CopyTo(mInverse, 0);
        }
        cancel.ThrowIfCancellationRequested();

        // Q = Z X with Z = X^T M^-1 (items x users), a block of Z's rows at a time so that Z is never
        // whole: row i of Z from the users who have item i, then Q_ij = sum over the users u who
        // have item j of Z_iu x_uj.
        var weights = new float[(long)n * n];
        const int block = 512;
        var zBlock = new float[(long)block * m];
        for (int first = 0; first < n; first += block)
        {
            cancel.ThrowIfCancellationRequested();
            int rows = Math.Min(block, n - first);
            var items = Enumerable.Range(first, rows).ToArray();
            SparseProducts.TimesDense(byItem, items, mInverse, m, zBlock.AsSpan(0, rows * m));
            Parallel.For(0, rows, TorchRuntime.Parallelism, r =>
            {
                var zi = zBlock.AsSpan(r * m, m);
                var qi = weights.AsSpan((int)((long)(first + r) * n), n);
                for (int j = 0; j < n; j++)
                {
                    float sum = 0;
                    for (int a = byItem.RowStart[j]; a < byItem.RowStart[j + 1]; a++)
                        sum += zi[byItem.ColumnIndex[a]] * (byItem.Values?[a] ?? 1f);
                    qi[j] = sum;
                }
            });
        }

        // B_ij = Q_ij / (1 - Q_jj), B_jj = 0.
        var scale = new float[n];
        for (int j = 0; j < n; j++) scale[j] = (float)(1.0 / (1.0 - weights[(long)j * n + j]));
        Parallel.For(0, n, TorchRuntime.Parallelism, i =>
        {
            var row = weights.AsSpan((int)((long)i * n), n);
            System.Numerics.Tensors.TensorPrimitives.Multiply(row, scale, row);
            row[i] = 0;
        });
        return new Ease(hyper, n, weights);
    }

    public void Score(CsrMatrix foldIn, ReadOnlySpan<int> rows, Span<float> output)
    {
        if (foldIn.Columns != Items) throw new ArgumentException($"fold-in has {foldIn.Columns} items, the model {Items}");
        SparseProducts.TimesDense(foldIn, rows, _weights, Items, output);
    }

    /// <summary>Writes B; refuses (NotSupportedException) a B over the archive format's 2 GB (about 23,000 items).</summary>
    public void Save(string path)
    {
        if ((long)_weights.Length * sizeof(float) > int.MaxValue)
            throw new NotSupportedException($"EASE's B holds {Items} x {Items} floats ({_weights.LongLength * 4.0 / 1e9:0.0} GB); the archive format holds at most 2 GB");
        BinaryArchive.Write(path, ArchiveKind, ArchiveVersion, "", w =>
        {
            w.Write(Hyper.Lambda);
            w.Write(Items);
            w.Write(_weights);
        });
    }

    public static Ease Load(string path) =>
        BinaryArchive.Read(path, ArchiveKind, ArchiveVersion, "", r =>
        {
            var hyper = new EaseHyper { Lambda = r.ReadDouble() };
            int items = r.ReadInt32();
            var weights = r.ReadSingleArray();
            if (weights.LongLength != (long)items * items) throw new StaleCacheException(path, $"holds {weights.LongLength} weights, expected {items} x {items}");
            return new Ease(hyper, items, weights);
        });

    public void Dispose() { }
}
