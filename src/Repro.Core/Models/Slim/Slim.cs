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
/// weight by more than the tolerance. Sweeps over the non-zeros work on G restricted to them (a change
/// costs |non-zeros| multiply-adds instead of a row of G), and r catches up before the next full sweep.
/// Parallel over items (columns are independent). Scores are x_u W.
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
        Fit(train, hyper, columns, maxDegreeOfParallelism, onColumnsDone, cancel, train.Columns / SparseRowDivisor, CompactLimit);

    /// <summary>
    /// A row of G with at most columns / this many non-zeros updates r through its non-zeros; a denser
    /// one through one vectorised pass (gathering costs a few times more per element).
    /// </summary>
    private const int SparseRowDivisor = 8;

    /// <summary>
    /// Active sets of at most this many coordinates sweep on their own square of G (64 MB per thread at
    /// most); larger ones keep the whole residual up to date at every change.
    /// </summary>
    internal const int CompactLimit = 4096;

    /// <summary>
    /// The solver without its two speed-ups (every row of G updated densely, the whole residual kept
    /// up to date at every change): the same weights, for benchmarks to time as their baseline.
    /// </summary>
    public static Slim FitWholeResidual(CsrMatrix train, SlimHyper hyper, IReadOnlyList<int>? columns, int maxDegreeOfParallelism, Action<int>? onColumnsDone) =>
        Fit(train, hyper, columns, maxDegreeOfParallelism, onColumnsDone, CancellationToken.None, sparseRowLimit: 0, compactLimit: 0);

    /// <summary>
    /// <see cref="Fit(CsrMatrix, SlimHyper, IReadOnlyList{int}?, int, Action{int}?, CancellationToken)"/>
    /// with rows of G of at most <paramref name="sparseRowLimit"/> non-zeros updated sparsely (both
    /// give the same weights) and active sets of at most <paramref name="compactLimit"/> coordinates
    /// swept on their square of G (the same weights up to float rounding). Tests force each path.
    /// </summary>
    internal static Slim Fit(CsrMatrix train, SlimHyper hyper, IReadOnlyList<int>? columns, int maxDegreeOfParallelism,
                             Action<int>? onColumnsDone, CancellationToken cancel, int sparseRowLimit, int compactLimit)
    {
        hyper.Validate();
        if (maxDegreeOfParallelism <= 0) maxDegreeOfParallelism = TorchRuntime.Threads;
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
        var local = new ThreadLocal<ColumnSolver>(() => new ColumnSolver(gram, diagonal, sparseRows, hyper, compactLimit));
        int done = 0;
        try
        {
            Parallel.For(0, todo.Length, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism, CancellationToken = cancel },
                t =>
                {
                    found[t] = local.Value!.Solve(todo[t]);
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

    /// <summary>Row k of the row-major n x n matrix G (a span: n² stays below 2³¹ up to 46,340 items).</summary>
    private static Span<float> RowOf(float[] gram, int n, int k) => gram.AsSpan((int)((long)k * n), n);

    /// <summary>For each row of G, the columns of its non-zeros when there are at most
    /// <paramref name="limit"/> of them, else null (updated densely).</summary>
    private static int[]?[] SparseRows(float[] gram, int n, int limit, int maxDegreeOfParallelism)
    {
        var rows = new int[]?[n];
        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, k =>
        {
            var row = RowOf(gram, n, k);
            int count = n - row.Count(0f);
            if (count > limit) return;
            var index = new int[count];
            for (int m = 0, at = 0; m < n; m++) if (row[m] != 0f) index[at++] = m;
            rows[k] = index;
        });
        return rows;
    }

    /// <summary>Per-thread scratch for one column's coordinate descent.</summary>
    private sealed class ColumnSolver(float[] gram, float[] diagonal, int[]?[] sparseRows, SlimHyper hyper, int compactLimit)
    {
        private readonly int n = diagonal.Length;
        private readonly double[] _w = new double[diagonal.Length];
        private readonly float[] _r = new float[diagonal.Length];
        private readonly List<int> _active = [];
        private readonly bool[] _isActive = new bool[diagonal.Length];
        // The active phase: G restricted to the active coordinates (row-major), their residuals, and their
        // weights when the phase began.
        private float[] _sub = [];
        private float[] _activeR = [];
        private double[] _phaseStart = [];

        public (int[] Rows, float[] Values) Solve(int j)
        {
            var column = RowOf(gram, n, j);   // G_kj = G_jk
            int sweeps = 0;
            while (sweeps < hyper.MaxSweeps)
            {
                // A sweep over every coordinate, r kept whole.
                sweeps++;
                double largest = 0;
                for (int k = 0; k < n; k++)
                    if (k != j) largest = Math.Max(largest, Step(column, k, _r[k], wholeR: true));
                if (largest < hyper.Tolerance) break;   // a full sweep changed nothing: converged
                // Sweeps over the non-zeros until they settle, then a full sweep again to confirm.
                sweeps = _active.Count <= compactLimit ? CompactSweeps(column, sweeps) : ActiveSweeps(column, sweeps);
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

        /// <summary>
        /// Active sweeps on G restricted to the active set: a change costs |active| multiply-adds, not a
        /// row of G. r catches up once at the end with each weight's net change (the same r up to float
        /// rounding of the sums' order).
        /// </summary>
        private int CompactSweeps(ReadOnlySpan<float> column, int sweeps)
        {
            int a = _active.Count;
            if (_sub.Length < a * a) _sub = new float[Math.Max(a * a, 2 * _sub.Length)];
            if (_activeR.Length < a) { _activeR = new float[2 * a]; _phaseStart = new double[2 * a]; }
            var sub = _sub.AsSpan(0, a * a);
            var activeR = _activeR.AsSpan(0, a);
            for (int p = 0; p < a; p++)
            {
                int k = _active[p];
                var gk = RowOf(gram, n, k);
                for (int q = 0; q < a; q++) sub[p * a + q] = gk[_active[q]];
                activeR[p] = _r[k];
                _phaseStart[p] = _w[k];
            }
            while (sweeps < hyper.MaxSweeps)
            {
                sweeps++;
                double largest = 0;
                for (int p = 0; p < a; p++)
                {
                    int k = _active[p];
                    double old = _w[k];
                    double change = Step(column, k, activeR[p], wholeR: false);
                    if (change == 0) continue;
                    TensorPrimitives.MultiplyAdd(sub.Slice(p * a, a), (float)(_w[k] - old), activeR, activeR);
                    largest = Math.Max(largest, change);
                }
                if (largest < hyper.Tolerance) break;
            }
            for (int p = 0; p < a; p++)
            {
                int k = _active[p];
                if (_w[k] != _phaseStart[p]) AddRow(k, _w[k] - _phaseStart[p]);
            }
            return sweeps;
        }

        /// <summary>Active sweeps that keep r whole: for an active set too large for its square of G.</summary>
        private int ActiveSweeps(ReadOnlySpan<float> column, int sweeps)
        {
            while (sweeps < hyper.MaxSweeps)
            {
                sweeps++;
                double largest = 0;
                for (int p = 0; p < _active.Count; p++) largest = Math.Max(largest, Step(column, _active[p], _r[_active[p]], wholeR: true));
                if (largest < hyper.Tolerance) break;
            }
            return sweeps;
        }

        /// <summary>
        /// One coordinate step on w_k (k is not the column: zero diagonal) given r_k; returns |change|.
        /// With <paramref name="wholeR"/> it also adds the change times row k of G to r.
        /// </summary>
        private double Step(ReadOnlySpan<float> column, int k, float rk, bool wholeR)
        {
            double gkk = diagonal[k], old = _w[k];
            double z = column[k] - (rk - gkk * old);
            double fresh = z > hyper.L1 ? (z - hyper.L1) / (gkk + hyper.L2) : 0;
            if (fresh == old) return 0;
            _w[k] = fresh;
            if (wholeR) AddRow(k, fresh - old);
            if (!_isActive[k]) { _isActive[k] = true; _active.Add(k); }
            return Math.Abs(fresh - old);
        }

        /// <summary>r += delta * G[k, :] (G is symmetric, so row k is column k), as (g * d) + r like MultiplyAdd.</summary>
        private void AddRow(int k, double delta)
        {
            var gk = RowOf(gram, n, k);
            if (sparseRows[k] is { } nonZeros)
            {
                float d = (float)delta;
                foreach (var m in nonZeros) _r[m] = gk[m] * d + _r[m];
            }
            else TensorPrimitives.MultiplyAdd(gk, (float)delta, _r, _r);
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
