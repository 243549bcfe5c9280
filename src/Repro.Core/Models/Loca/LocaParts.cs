using System.Diagnostics;
using Repro.Core.Data.Cache;
using Repro.Core.Metrics;
using Repro.Core.Protocols;
using Repro.Core.Sparse;

namespace Repro.Core.Models.Loca;

/// <summary>
/// A LOCA model whose local models are independent, so that a run can be split into parts: ranges of
/// its anchor groups (<see cref="LocaCombination.Groups"/>), each fitted and scored by its own process,
/// whose weighted sums a combine step adds and finishes (<see cref="LocaPartial"/>). Scoring the whole
/// model is <see cref="AccumulateLocal"/> over every group, then <see cref="FinishScores"/>.
/// </summary>
public interface ILocaLocalModels : IRecommender
{
    /// <summary>The local models: distinct anchors with their multiplicities, in order of first pick.</summary>
    IReadOnlyList<LocaAnchorGroup> Groups { get; }

    /// <summary>
    /// Fits what groups [<paramref name="first"/>, first + <paramref name="count"/>) need before they
    /// score: LOCA-VAE trains their local Mult-VAEs (seeded from <paramref name="seed"/> and the anchor,
    /// as its whole fit does, stopping each on <paramref name="validation"/> when its settings ask);
    /// LOCA-EASE fits its local models while scoring, so nothing.
    /// </summary>
    void PrepareLocal(CsrMatrix train, int first, int count, ulong seed, Action<string>? say, CancellationToken cancel, HeldOutSet? validation);

    /// <summary>
    /// Adds w_uj M_j(x_u) of groups [<paramref name="first"/>, first + <paramref name="count"/>) for
    /// the users <paramref name="rows"/> of <paramref name="foldIn"/> into <paramref name="output"/>
    /// (rows.Length x items) and w_uj into <paramref name="weightSum"/>; returns the local models used.
    /// </summary>
    int AccumulateLocal(CsrMatrix foldIn, int[] rows, int first, int count, Span<float> output, double[] weightSum);

    /// <summary>Divides the accumulated rows by their weights and gives the global model's scores to rows without weight; returns those rows' count.</summary>
    int FinishScores(CsrMatrix foldIn, int[] rows, Span<float> output, double[] weightSum);
}

/// <summary>Scoring a whole LOCA model: every group's local models, then the finish.</summary>
public static class LocaLocalModelsExtensions
{
    /// <summary>
    /// Rows per scored batch of a LOCA model: every row of the scored set at once (as many as one
    /// score array holds), never fewer than the evaluator's batch. A batch fits (LOCA-EASE) or loads
    /// (LOCA-VAE) every local model that covers one of its rows, so one batch per set fits each local
    /// model once per set rather than once per 2,000 rows (Gowalla's 3,000 test users: 2 fits to 1).
    /// </summary>
    public static int ScoringBatchSize(int rows, int items) =>
        Math.Max(Evaluator.NotebookBatchSize, (int)Math.Min(rows, Array.MaxLength / Math.Max(1, items)));

    /// <summary>The scores of <paramref name="rows"/> (<see cref="IRecommender.Score"/>) from every local model and the global fallback.</summary>
    public static LocaCombined ScoreAll(this ILocaLocalModels model, CsrMatrix foldIn, ReadOnlySpan<int> rows, Span<float> output)
    {
        var rowArray = rows.ToArray();
        output.Slice(0, rowArray.Length * model.Items).Clear();
        var weightSum = new double[rowArray.Length];
        int used = model.AccumulateLocal(foldIn, rowArray, 0, model.Groups.Count, output, weightSum);
        int fallbacks = model.FinishScores(foldIn, rowArray, output, weightSum);
        return new LocaCombined(rowArray.Length, fallbacks, used);
    }
}

/// <summary>
/// One part's weighted sums for one scored set (all rows of a fold-in matrix): sum_j w_uj M_j(x_u)
/// (rows x items) and sum_j w_uj per row, over the part's local models. A part file stores only the
/// rows some local model of the part covers. Why sums rather than the local models: a part's sums
/// are at most users x items floats (ML-100K's 100 test users: 0.6 MB; 10,000 ML-20M users: 0.8 GB)
/// whatever the part's size, while its models grow with it (a local Mult-VAE is 48 MB at ML-20M's
/// items, a local EASE up to items^2 floats, 1.6 GB) and LOCA-EASE's are refitted from the data anyway.
///
/// Adding the parts' sums gives the one-process sums up to float rounding: the one-process run adds
/// every local model into one float accumulator in group order, the combine adds the parts'
/// accumulators, and float addition is not associative (relative differences of a few 1e-7 per
/// score). With one part the result is bit for bit the one-process one.
/// </summary>
public sealed class LocaPartial
{
    private const string ArchiveKind = "loca-part";
    private const int ArchiveVersion = 1;

    public LocaPartial(int rows, int items)
    {
        Rows = rows;
        Items = items;
        Scores = new float[(long)rows * items];
        WeightSum = new double[rows];
    }

    public int Rows { get; }
    public int Items { get; }
    /// <summary>sum_j w_uj M_j(x_u), rows x items, row-major.</summary>
    public float[] Scores { get; }
    /// <summary>sum_j w_uj per row (0: no local model of the part covers the row).</summary>
    public double[] WeightSum { get; }
    /// <summary>Local models used, summed over the scored batches.</summary>
    public int LocalModels { get; private set; }

    /// <summary>
    /// The sums of groups [<paramref name="first"/>, first + <paramref name="count"/>) over every row of
    /// <paramref name="foldIn"/>, scored in batches of <paramref name="batchSize"/> rows (default: as
    /// the evaluator scores a whole model, <see cref="LocaLocalModelsExtensions.ScoringBatchSize"/>).
    /// </summary>
    public static LocaPartial Accumulate(ILocaLocalModels model, CsrMatrix foldIn, int first, int count, int? batchSize = null)
    {
        var partial = new LocaPartial(foldIn.Rows, model.Items);
        partial.Add(model, foldIn, first, count, batchSize);
        return partial;
    }

    /// <summary>
    /// Adds the sums of groups [<paramref name="first"/>, first + <paramref name="count"/>) to these
    /// (a part resumed from its checkpoint). Adding groups one call at a time, in order, gives the same
    /// floats as one call over all of them: each group is added into the same accumulators in turn.
    /// </summary>
    public void Add(ILocaLocalModels model, CsrMatrix foldIn, int first, int count, int? batchSize = null)
    {
        if (foldIn.Rows != Rows || model.Items != Items) throw new ArgumentException($"the sums are {Rows} rows x {Items} items, the fold-in {foldIn.Rows} x {model.Items}");
        ForEachBatch(foldIn, batchSize ?? LocaLocalModelsExtensions.ScoringBatchSize(foldIn.Rows, model.Items), (batch, start, rows) =>
        {
            var weights = WeightSum[start..(start + rows.Length)];
            LocalModels += model.AccumulateLocal(batch, rows, first, count, Scores.AsSpan(start * Items, rows.Length * Items), weights);
            weights.CopyTo(WeightSum, start);
        });
    }

    /// <summary>The sum of the parts' sums (the first part's copied, the others added in order).</summary>
    public static LocaPartial Sum(IReadOnlyList<LocaPartial> parts)
    {
        if (parts.Count == 0) throw new ArgumentException("no parts to add", nameof(parts));
        var sum = new LocaPartial(parts[0].Rows, parts[0].Items);
        for (int k = 0; k < parts.Count; k++)
        {
            var p = parts[k];
            if (p.Rows != sum.Rows || p.Items != sum.Items)
                throw new ArgumentException($"part {k + 1} has {p.Rows} rows x {p.Items} items, part 1 {sum.Rows} x {sum.Items}", nameof(parts));
            if (k == 0) p.Scores.CopyTo(sum.Scores, 0);
            else System.Numerics.Tensors.TensorPrimitives.Add(sum.Scores, p.Scores, sum.Scores);
            for (int r = 0; r < sum.Rows; r++) sum.WeightSum[r] += p.WeightSum[r];
            sum.LocalModels += p.LocalModels;
        }
        return sum;
    }

    /// <summary>
    /// The final scores of every row of <paramref name="foldIn"/> from the summed parts (modified in
    /// place): weighted means, the global model's scores for rows no local model covers (scored in
    /// batches as the evaluator would). Returns the rows that fell back.
    /// </summary>
    public int Finish(ILocaLocalModels model, CsrMatrix foldIn, int? batchSize = null)
    {
        if (foldIn.Rows != Rows || model.Items != Items) throw new ArgumentException($"the sums are {Rows} rows x {Items} items, the fold-in {foldIn.Rows} x {model.Items}");
        int fallbacks = 0;
        ForEachBatch(foldIn, batchSize ?? LocaLocalModelsExtensions.ScoringBatchSize(foldIn.Rows, model.Items), (batch, start, rows) =>
            fallbacks += model.FinishScores(batch, rows, Scores.AsSpan(start * Items, rows.Length * Items), WeightSum[start..(start + rows.Length)]));
        return fallbacks;
    }

    /// <summary>The finished scores as the evaluator's scorer: each batch's rows copied from <see cref="Scores"/>.</summary>
    public BatchScorer AsBatchScorer() =>
        (batch, firstRow, scores) => Scores.AsSpan(firstRow * Items, batch.Rows * Items).CopyTo(scores);

    private static void ForEachBatch(CsrMatrix foldIn, int batchSize, Action<CsrMatrix, int, int[]> body)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batch size must be >= 1, got {batchSize}");
        for (int start = 0; start < foldIn.Rows; start += batchSize)
        {
            int n = Math.Min(batchSize, foldIn.Rows - start);
            body(foldIn.SliceRows(start, n), start, Enumerable.Range(0, n).ToArray());
        }
    }

    // ---------------------------------------------------------------- files

    /// <summary>
    /// Writes named sums (e.g. "validation", "test") to <paramref name="path"/> by write-then-rename,
    /// only the rows with a positive weight. <paramref name="key"/> names the fitted state the part was
    /// computed from; <see cref="Load"/> refuses a file of another.
    /// </summary>
    public static void Save(string path, string key, int part, int parts, IReadOnlyList<(string Name, LocaPartial Sums)> sets) =>
        BinaryArchive.Write(path, ArchiveKind, ArchiveVersion, key, w =>
        {
            w.Write(part); w.Write(parts); w.Write(sets.Count);
            foreach (var (name, sums) in sets)
            {
                var covered = Enumerable.Range(0, sums.Rows).Where(r => sums.WeightSum[r] > 0).ToArray();
                w.Write(name); w.Write(sums.Rows); w.Write(sums.Items); w.Write(sums.LocalModels);
                w.Write(covered);
                w.Write(covered.Select(r => sums.WeightSum[r]).ToArray());
                var scores = new float[(long)covered.Length * sums.Items];
                for (int c = 0; c < covered.Length; c++) sums.Scores.AsSpan(covered[c] * sums.Items, sums.Items).CopyTo(scores.AsSpan(c * sums.Items));
                w.Write(scores);
            }
        });

    /// <summary>Reads a file of <see cref="Save"/>; refuses one of another key or of another part count, naming the file and what differs.</summary>
    public static IReadOnlyList<(string Name, LocaPartial Sums)> Load(string path, string key, int part, int parts) =>
        BinaryArchive.Read(path, ArchiveKind, ArchiveVersion, key, r =>
        {
            int filePart = r.ReadInt32(), fileParts = r.ReadInt32();
            if (filePart != part || fileParts != parts) throw new StaleCacheException(path, $"holds part {filePart} of {fileParts}, expected part {part} of {parts}");
            int count = r.ReadInt32();
            var sets = new List<(string, LocaPartial)>();
            for (int s = 0; s < count; s++)
            {
                string name = r.ReadString();
                int rows = r.ReadInt32(), items = r.ReadInt32(), models = r.ReadInt32();
                var covered = r.ReadInt32Array();
                var weights = r.ReadDoubleArray();
                var scores = r.ReadSingleArray();
                if (weights.Length != covered.Length || scores.LongLength != (long)covered.Length * items || covered.Any(c => c < 0 || c >= rows))
                    throw new StaleCacheException(path, $"set '{name}' is inconsistent: {covered.Length} rows, {weights.Length} weights, {scores.Length} scores of {items} items");
                var sums = new LocaPartial(rows, items) { LocalModels = models };
                for (int c = 0; c < covered.Length; c++)
                {
                    sums.WeightSum[covered[c]] = weights[c];
                    scores.AsSpan(c * items, items).CopyTo(sums.Scores.AsSpan(covered[c] * items));
                }
                sets.Add((name, sums));
            }
            return (IReadOnlyList<(string, LocaPartial)>)sets;
        });
}
