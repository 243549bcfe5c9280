using System.Buffers;
using System.Collections.Concurrent;
using Repro.Core.Sparse;

namespace Repro.Core.Metrics;

/// <summary>
/// Evaluates a model on held-out users as the notebook does (spec §1.4, NB cells 54–55, 74–75):
/// score the fold-in rows batch by batch, never rank fold-in items, take each user's top k by
/// score, and compare with the user's target items. Users without targets are excluded and counted
/// rather than averaged in as NaN (spec §7 pitfall 3).
/// </summary>
public static class Evaluator
{
    /// <summary>Users scored per batch in the notebook (memory only; results do not depend on it).</summary>
    public const int NotebookBatchSize = 2000;

    /// <summary>
    /// Scores <paramref name="foldIn"/> with <paramref name="scorer"/> in batches of
    /// <paramref name="batchSize"/> rows into one reused buffer, then computes every metric for every
    /// row of <paramref name="targets"/> that has targets, in parallel over the users of a batch.
    /// </summary>
    /// <param name="foldIn">The held-out users' fold-in items (model input, excluded from ranking).</param>
    /// <param name="targets">The same users' target items, row for row; expected disjoint from the fold-in items.</param>
    /// <param name="maxDegreeOfParallelism">Threads for the per-user work; -1 uses the process's thread budget (<see cref="TorchRuntime.Threads"/>).</param>
    /// <param name="scoreBuffer">
    /// A buffer of at least <see cref="ScoreBufferLength"/> floats to use; when null, one is rented
    /// from the shared <see cref="System.Buffers.ArrayPool{T}"/> and returned at the end, so that
    /// successive calls (one validation per epoch) reuse it. Reuse matters here: first touches of a
    /// fresh 2000 x 20,108 buffer (160 MB) cost 0.5–1.5 s of page faults in this VM, more than ranking
    /// 10,000 users, and unreturned buffers pile up as garbage (platform notes, "Memory allocation
    /// dominates").
    /// </param>
    public static EvaluationResult Evaluate(
        BatchScorer scorer, CsrMatrix foldIn, CsrMatrix targets, IReadOnlyList<MetricSpec> metrics,
        int batchSize = NotebookBatchSize, int maxDegreeOfParallelism = -1, float[]? scoreBuffer = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        if (foldIn.Rows != targets.Rows || foldIn.Columns != targets.Columns)
            throw new ArgumentException($"fold-in is {foldIn.Rows} x {foldIn.Columns} but targets are {targets.Rows} x {targets.Columns}; they must describe the same users and items");
        if (metrics.Count == 0) throw new ArgumentException("no metrics requested", nameof(metrics));
        if (metrics.Distinct().Count() != metrics.Count) throw new ArgumentException($"a metric is requested twice: {string.Join(", ", metrics)}", nameof(metrics));
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batch size is {batchSize}, expected at least 1");

        int users = foldIn.Rows, items = foldIn.Columns;
        var positionOfRow = new int[users];
        var included = new List<int>(users);
        var excluded = new List<int>();
        for (int row = 0; row < users; row++)
        {
            if (targets.RowLength(row) > 0) { positionOfRow[row] = included.Count; included.Add(row); }
            else { positionOfRow[row] = -1; excluded.Add(row); }
        }

        int rowsPerBatch = Math.Max(1, Math.Min(batchSize, users));
        long bufferLength = ScoreBufferLength(users, items, batchSize);
        if (bufferLength > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(batchSize), $"a batch of {rowsPerBatch} users x {items} items exceeds one array; use a smaller batch");
        if (scoreBuffer != null && scoreBuffer.Length < bufferLength)
            throw new ArgumentException($"the score buffer holds {scoreBuffer.Length} floats, {bufferLength} needed ({rowsPerBatch} users x {items} items)", nameof(scoreBuffer));
        var rented = scoreBuffer is null ? ArrayPool<float>.Shared.Rent((int)bufferLength) : null;
        try
        {
            var values = Score(scorer, foldIn, targets, metrics, positionOfRow, included.Count, rowsPerBatch,
                               scoreBuffer ?? rented!, maxDegreeOfParallelism, cancellationToken);
            var includedRows = included.ToArray();
            var perMetric = metrics.Select((metric, m) => new UserMetricValues(metric, includedRows, values[m], excluded.Count)).ToArray();
            return new EvaluationResult(perMetric, includedRows, excluded.ToArray());
        }
        finally
        {
            if (rented != null) ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>The batch loop: per-user metric values, indexed [metric][included position].</summary>
    static double[][] Score(
        BatchScorer scorer, CsrMatrix foldIn, CsrMatrix targets, IReadOnlyList<MetricSpec> metrics, int[] positionOfRow,
        int includedCount, int rowsPerBatch, float[] scores, int maxDegreeOfParallelism, CancellationToken cancellationToken)
    {
        if (maxDegreeOfParallelism <= 0) maxDegreeOfParallelism = TorchRuntime.Threads;
        int users = foldIn.Rows, items = foldIn.Columns;
        var values = metrics.Select(_ => new double[includedCount]).ToArray();
        int rankedLength = Math.Min(metrics.Max(m => m.K), items);
        var options = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism, CancellationToken = cancellationToken };

        for (int first = 0; first < users; first += rowsPerBatch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(rowsPerBatch, users - first);
            scorer(foldIn.SliceRows(first, count), first, scores.AsSpan(0, count * items));

            int rangeSize = Math.Max(16, count / (4 * maxDegreeOfParallelism));
            int batchFirst = first;
            Parallel.ForEach(Partitioner.Create(0, count, rangeSize), options, range =>
            {
                // Scratch per range of users, sized by k and by a user's targets, never by items.
                var ranked = new int[rankedLength];
                var relevant = new bool[rankedLength];
                var sortedTargets = new int[16];
                for (int r = range.Item1; r < range.Item2; r++)
                {
                    int row = batchFirst + r, position = positionOfRow[row];
                    if (position < 0) continue;
                    int found = TopK.Select(scores.AsSpan(r * items, items), foldIn.Row(row), ranked);

                    var targetRow = targets.Row(row);
                    if (sortedTargets.Length < targetRow.Length) sortedTargets = new int[targetRow.Length * 2];
                    var sorted = sortedTargets.AsSpan(0, targetRow.Length);
                    targetRow.CopyTo(sorted);
                    sorted.Sort();
                    RankingMetrics.MarkRelevant(ranked.AsSpan(0, found), sorted, relevant);

                    int targetEvents = TargetEvents(targets, row);
                    for (int m = 0; m < metrics.Count; m++)
                        values[m][position] = RankingMetrics.Compute(metrics[m], relevant.AsSpan(0, found), targetRow.Length, targetEvents);
                }
            });
        }

        return values;
    }

    /// <summary>
    /// A user's target events: the sum of the row's values where the target matrix counts how often
    /// each item occurs (LOCA's test lists, <see cref="Protocols.LeaveLastByTimeSplit"/>), else its
    /// distinct items. Only LOCA's metrics use it.
    /// </summary>
    static int TargetEvents(CsrMatrix targets, int row)
    {
        if (targets.Values is null) return targets.RowLength(row);
        double sum = 0;
        foreach (var v in targets.RowValues(row)) sum += v;
        return (int)Math.Round(sum);
    }

    /// <summary>Floats of score buffer that <see cref="Evaluate"/> needs: min(batchSize, users) x items.</summary>
    public static long ScoreBufferLength(int users, int items, int batchSize = NotebookBatchSize) =>
        (long)Math.Max(1, Math.Min(batchSize, users)) * items;
}
