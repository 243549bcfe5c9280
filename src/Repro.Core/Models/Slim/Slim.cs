using System.Numerics.Tensors;
using Repro.Core.Data.Cache;
using Repro.Core.Sparse;

namespace Repro.Core.Models.Slim;

/// <summary>
/// SLIM (Ning and Karypis 2011): a sparse non-negative item-item matrix W with zero diagonal, each
/// column fitted by an elastic net. Coordinate descent works on the dense Gram matrix G = X^T X
/// ("covariance updates"): with r = G w, coordinate k moves to
/// max(0, G_kj - (r_k - G_kk w_k) - L1) / (G_kk + L2), and a change updates r with row k of G.
/// G is exactly symmetric, so a sweep reads G_kj from row j and G_kk from a copy of the diagonal:
/// contiguous reads, where column j and the diagonal cost a cache and TLB miss per coordinate.
/// On sparse data (Gowalla, CiteULike) most rows of G are mostly zeros; the update of r then visits
/// only the row's non-zeros, which adds exactly what the dense update would (x + 0 * d = x).
/// Sweeps alternate between all coordinates and the current non-zeros until a full sweep changes no
/// weight by more than the tolerance. Parallel over items (columns are independent). Scores are x_u W.
/// </summary>
public sealed class Slim : IRecommender
{
    private const string ArchiveKind = "slim";
    private const int ArchiveVersion = 1;

    /// <summary>Columns between progress reports.</summary>
    public const int ProgressBlock = 256;

    private Slim(SlimHyper hyper, CsrMatrix weights)
    {
        Hyper = hyper;
        Weights = weights;
    }

    public SlimHyper Hyper { get; }

    /// <summary>W as a sparse Items x Items matrix: row i holds item i's weights in other items' scores.</summary>
    public CsrMatrix Weights { get; }

    public int Items => Weights.Rows;

    /// <summary>
    /// Fits every column of W (or only <paramref name="columns"/>, leaving the others zero: for timing
    /// a sample). Training users only. Threads default to the core count: with no cap the thread pool
    /// kept adding threads to these long work items (235 threads on 2 cores under dotnet fsi).
    /// <paramref name="onColumnsDone"/> hears the number of columns done after every
    /// <see cref="ProgressBlock"/> columns (from worker threads); a cancelled token stops the fit
    /// between columns with <see cref="OperationCanceledException"/>.
    /// </summary>
    public static Slim Fit(CsrMatrix train, SlimHyper hyper, IReadOnlyList<int>? columns = null, int maxDegreeOfParallelism = -1,
                           Action<int>? onColumnsDone = null, CancellationToken cancel = default) =>
        Fit(train, hyper, columns, maxDegreeOfParallelism, onColumnsDone, cancel, train.Columns / SparseRowDivisor);

    /// <summary>
    /// A row of G with at most columns / this many non-zeros updates r through its non-zeros; a denser
    /// one through one vectorised pass (gathering costs a few times more per element).
    /// </summary>
    private const int SparseRowDivisor = 8;

    /// <summary>
    /// <see cref="Fit(CsrMatrix, SlimHyper, IReadOnlyList{int}?, int, Action{int}?, CancellationToken)"/>
    /// with rows of G of at most <paramref name="sparseRowLimit"/> non-zeros updated sparsely (tests
    /// force one path or the other: both give the same weights).
    /// </summary>
    internal static Slim Fit(CsrMatrix train, SlimHyper hyper, IReadOnlyList<int>? columns, int maxDegreeOfParallelism,
                             Action<int>? onColumnsDone, CancellationToken cancel, int sparseRowLimit)
    {
        hyper.Validate();
        if (maxDegreeOfParallelism <= 0) maxDegreeOfParallelism = Environment.ProcessorCount;
        int n = train.Columns;
        var gram = SparseProducts.Gram(train, maxDegreeOfParallelism);
        var diagonal = new float[n];
        for (int k = 0; k < n; k++) diagonal[k] = gram[(long)k * n + k];
        var sparseRows = SparseRows(gram, n, sparseRowLimit, maxDegreeOfParallelism);
        var todo = columns?.ToArray() ?? Enumerable.Range(0, n).ToArray();
        if (todo.Any(j => (uint)j >= (uint)n)) throw new ArgumentOutOfRangeException(nameof(columns), $"a column lies outside 0..{n - 1}");
        if (todo.Distinct().Count() != todo.Length) throw new ArgumentException("a column is listed twice", nameof(columns));
        var found = new (int[] Rows, float[] Values)[todo.Length];
        cancel.ThrowIfCancellationRequested();
        var local = new ThreadLocal<ColumnSolver>(() => new ColumnSolver(n));
        int done = 0;
        try
        {
            Parallel.For(0, todo.Length, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism, CancellationToken = cancel },
                t =>
                {
                    found[t] = local.Value!.Solve(gram, diagonal, sparseRows, todo[t], hyper);
                    int now = Interlocked.Increment(ref done);
                    if (onColumnsDone != null && (now % ProgressBlock == 0 || now == todo.Length)) onColumnsDone(now);
                });
        }
        finally
        {
            local.Dispose();
        }

        // Columns found -> rows of W (row i, column j = weight of item i for item j).
        var start = new int[n + 1];
        foreach (var (rows, _) in found) foreach (var i in rows) start[i + 1]++;
        for (int i = 0; i < n; i++) start[i + 1] += start[i];
        var next = (int[])start.Clone();
        var index = new int[start[n]];
        var values = new float[start[n]];
        var byColumn = Enumerable.Range(0, todo.Length).OrderBy(t => todo[t]).ToArray();
        foreach (var t in byColumn)
        {
            var (rows, vals) = found[t];
            for (int a = 0; a < rows.Length; a++)
            {
                int at = next[rows[a]]++;
                index[at] = todo[t];
                values[at] = vals[a];
            }
        }
        return new Slim(hyper, new CsrMatrix(n, n, start, index, values));
    }

    /// <summary>For each row of G, the columns of its non-zeros when there are at most
    /// <paramref name="limit"/> of them, else null (updated densely).</summary>
    private static int[]?[] SparseRows(float[] gram, int n, int limit, int maxDegreeOfParallelism)
    {
        var rows = new int[]?[n];
        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, k =>
        {
            var row = gram.AsSpan((int)((long)k * n), n);
            int count = n - row.Count(0f);
            if (count > limit) return;
            var index = new int[count];
            for (int m = 0, at = 0; m < n; m++) if (row[m] != 0f) index[at++] = m;
            rows[k] = index;
        });
        return rows;
    }

    /// <summary>Per-thread scratch for one column's coordinate descent.</summary>
    private sealed class ColumnSolver(int n)
    {
        private readonly double[] _w = new double[n];
        private readonly float[] _r = new float[n];
        private readonly List<int> _active = [];
        private readonly bool[] _isActive = new bool[n];

        public (int[] Rows, float[] Values) Solve(float[] gram, float[] diagonal, int[]?[] sparseRows, int j, SlimHyper hyper)
        {
            var column = gram.AsSpan((int)((long)j * n), n);   // G_kj = G_jk
            int sweeps = 0;
            bool full = true;
            while (sweeps < hyper.MaxSweeps)
            {
                sweeps++;
                double largest = 0;
                if (full)
                {
                    for (int k = 0; k < n; k++) largest = Math.Max(largest, Update(gram, diagonal, sparseRows, column, j, k, hyper));
                }
                else
                {
                    for (int a = 0; a < _active.Count; a++) largest = Math.Max(largest, Update(gram, diagonal, sparseRows, column, j, _active[a], hyper));
                }
                if (largest < hyper.Tolerance)
                {
                    if (full) break;   // a full sweep changed nothing: converged
                    full = true;        // active set converged: confirm with a full sweep
                }
                else full = false;
            }

            _active.Sort();
            var rows = new List<int>(_active.Count);
            var values = new List<float>(_active.Count);
            foreach (var k in _active)
            {
                if (_w[k] > 0) { rows.Add(k); values.Add((float)_w[k]); }
                _w[k] = 0;
                _isActive[k] = false;
            }
            _active.Clear();
            Array.Clear(_r);
            return (rows.ToArray(), values.ToArray());
        }

        /// <summary>One coordinate step on w_k; returns |change|.</summary>
        private double Update(float[] gram, float[] diagonal, int[]?[] sparseRows, ReadOnlySpan<float> column, int j, int k, SlimHyper hyper)
        {
            if (k == j) return 0;   // zero diagonal
            long row = (long)k * n;
            double gkk = diagonal[k], old = _w[k];
            double z = column[k] - (_r[k] - gkk * old);
            double fresh = z > hyper.L1 ? (z - hyper.L1) / (gkk + hyper.L2) : 0;
            if (fresh == old) return 0;
            double delta = fresh - old;
            _w[k] = fresh;
            // r += delta * G[k, :] (G is symmetric, so row k is column k), as (g * d) + r like MultiplyAdd.
            var gk = gram.AsSpan((int)row, n);
            if (sparseRows[k] is { } nonZeros)
            {
                float d = (float)delta;
                foreach (var m in nonZeros) _r[m] = gk[m] * d + _r[m];
            }
            else TensorPrimitives.MultiplyAdd(gk, (float)delta, _r, _r);
            if (!_isActive[k]) { _isActive[k] = true; _active.Add(k); }
            return Math.Abs(delta);
        }
    }

    public void Score(CsrMatrix foldIn, ReadOnlySpan<int> rows, Span<float> output)
    {
        if (foldIn.Columns != Items) throw new ArgumentException($"fold-in has {foldIn.Columns} items, the model {Items}");
        SparseProducts.TimesSparse(foldIn, rows, Weights, output);
    }

    public void Save(string path) =>
        BinaryArchive.Write(path, ArchiveKind, ArchiveVersion, "", w =>
        {
            w.Write(Hyper.L1);
            w.Write(Hyper.L2);
            w.Write(Hyper.MaxSweeps);
            w.Write(Hyper.Tolerance);
            w.Write(Items);
            w.Write(Weights.RowStart);
            w.Write(Weights.ColumnIndex);
            w.Write(Weights.Values);
        });

    public static Slim Load(string path) =>
        BinaryArchive.Read(path, ArchiveKind, ArchiveVersion, "", r =>
        {
            var hyper = new SlimHyper { L1 = r.ReadDouble(), L2 = r.ReadDouble(), MaxSweeps = r.ReadInt32(), Tolerance = r.ReadDouble() };
            int items = r.ReadInt32();
            var start = r.ReadInt32Array();
            var index = r.ReadInt32Array();
            var values = r.ReadSingleArray();
            try { return new Slim(hyper, new CsrMatrix(items, items, start, index, values)); }
            catch (ArgumentException e) { throw new StaleCacheException(path, $"holds an inconsistent weight matrix ({e.Message})"); }
        });

    public void Dispose() { }
}
