namespace Repro.Core.Metrics;

/// <summary>
/// Per-user ranking metrics from a user's relevance-in-rank-order vector: <c>relevant[r]</c> says
/// whether the item at rank r+1 of the top-k list is one of the user's target (held-out) items.
/// A vector shorter than k (fewer rankable items than k) counts the missing ranks as not relevant.
/// Every function requires at least one target: users without targets have no defined value and
/// are excluded and counted by the caller (spec §7 pitfall 3), never averaged in as NaN.
/// </summary>
public static class RankingMetrics
{
    /// <summary>
    /// The notebook's Recall@k: hits in the top k divided by min(k, targets) (spec §1.4, §7 pitfall
    /// 1; NB cell 55). Not the standard hits/targets; its maximum is 1 for every user.
    /// </summary>
    public static double Recall(ReadOnlySpan<bool> relevant, int targetCount, int k)
    {
        Check(targetCount, k);
        return (double)Hits(relevant, k) / Math.Min(k, targetCount);
    }

    /// <summary>
    /// The notebook's binary NDCG@k: DCG = sum over ranks r &lt;= k of rel_r / log2(r + 1), divided by
    /// the IDCG of min(targets, k) hits at the top (spec §1.4, §7 pitfall 2; NB cell 54).
    /// </summary>
    public static double Ndcg(ReadOnlySpan<bool> relevant, int targetCount, int k)
    {
        Check(targetCount, k);
        int ranks = Math.Min(k, relevant.Length);
        double dcg = 0;
        for (int r = 0; r < ranks; r++)
            if (relevant[r]) dcg += Discount(r);
        return dcg / IdealDcg(Math.Min(targetCount, k));
    }

    /// <summary>
    /// LightGCN's recall@k for weak generalisation (spec §5.1): hits in the top k divided by the
    /// number of targets, as in LightGCN's <c>RecallPrecision_ATk</c> (<c>right_pred / recall_n</c>).
    /// </summary>
    public static double RecallLightGcn(ReadOnlySpan<bool> relevant, int targetCount, int k)
    {
        Check(targetCount, k);
        return (double)Hits(relevant, k) / targetCount;
    }

    /// <summary>
    /// LightGCN's ndcg@k (<c>NDCGatK_r</c>): binary gains, discount 1/log2(rank + 1), and an ideal
    /// DCG over min(targets, k) positions (its <c>test_matrix[i, :min(k, len(items))] = 1</c>). That
    /// is the notebook's NDCG, so the value equals <see cref="Ndcg"/> for every user with targets.
    /// The one difference is for users without targets, where LightGCN sets IDCG to 1 and scores 0;
    /// here such users are excluded instead, as for every metric (its test users all have targets).
    /// </summary>
    public static double NdcgLightGcn(ReadOnlySpan<bool> relevant, int targetCount, int k) => Ndcg(relevant, targetCount, k);

    /// <summary>
    /// Average precision at k: the sum over ranks r &lt;= k holding a target of precision@r (hits in the
    /// top r over r), divided by min(targets, k), the most hits the top k can hold; 1 when every one
    /// of those positions is a hit. Averaged over users it is CDL's mAP with cut-off 500 (Wang, Wang,
    /// Yeung KDD 2015, section 5.2), in the common form of that definition (the paper gives no formula).
    /// </summary>
    public static double AveragePrecision(ReadOnlySpan<bool> relevant, int targetCount, int k)
    {
        Check(targetCount, k);
        int ranks = Math.Min(k, relevant.Length), hits = 0;
        double sum = 0;
        for (int r = 0; r < ranks; r++)
            if (relevant[r]) sum += (double)++hits / (r + 1);
        return sum / Math.Min(targetCount, k);
    }

    /// <summary>
    /// LOCA's Recall@k (its <c>HoldoutEvaluator</c>): hits in the top k divided by the user's target
    /// events, <c>len(target_u)</c> of a test list that keeps an item as often as it occurs (LOCA's
    /// AMusic has 1,130 repeated test entries). With every target item once it is <see cref="RecallLightGcn"/>.
    /// </summary>
    public static double RecallLoca(ReadOnlySpan<bool> relevant, int targetEvents, int k)
    {
        Check(targetEvents, k);
        return (double)Hits(relevant, k) / targetEvents;
    }

    /// <summary>
    /// LOCA's NDCG@k: binary gains (an item in the test list is one hit however often it occurs)
    /// over an ideal DCG of min(target events, k) positions, so a repeated test item lowers the
    /// maximum below 1. With every target item once it is <see cref="Ndcg"/>.
    /// </summary>
    public static double NdcgLoca(ReadOnlySpan<bool> relevant, int targetEvents, int k) => Ndcg(relevant, targetEvents, k);

    /// <summary>The value of <paramref name="metric"/> for one user whose targets are distinct items.</summary>
    public static double Compute(MetricSpec metric, ReadOnlySpan<bool> relevant, int targetCount) =>
        Compute(metric, relevant, targetCount, targetCount);

    /// <summary>
    /// The value of <paramref name="metric"/> for one user with <paramref name="targetCount"/> distinct
    /// target items from <paramref name="targetEvents"/> target events; only LOCA's metrics count events.
    /// </summary>
    public static double Compute(MetricSpec metric, ReadOnlySpan<bool> relevant, int targetCount, int targetEvents) => metric.Kind switch
    {
        MetricKind.RecallLoca => RecallLoca(relevant, targetEvents, metric.K),
        MetricKind.NdcgLoca => NdcgLoca(relevant, targetEvents, metric.K),
        MetricKind.Recall => Recall(relevant, targetCount, metric.K),
        MetricKind.Ndcg => Ndcg(relevant, targetCount, metric.K),
        MetricKind.RecallLightGcn => RecallLightGcn(relevant, targetCount, metric.K),
        MetricKind.NdcgLightGcn => NdcgLightGcn(relevant, targetCount, metric.K),
        MetricKind.AveragePrecision => AveragePrecision(relevant, targetCount, metric.K),
        _ => throw new ArgumentOutOfRangeException(nameof(metric), $"unknown metric kind {metric.Kind}"),
    };

    /// <summary>
    /// Fills <paramref name="relevant"/>[r] with whether <paramref name="rankedItems"/>[r] is in
    /// <paramref name="sortedTargets"/> (ascending item indices).
    /// </summary>
    public static void MarkRelevant(ReadOnlySpan<int> rankedItems, ReadOnlySpan<int> sortedTargets, Span<bool> relevant)
    {
        if (relevant.Length < rankedItems.Length) throw new ArgumentException("relevant is shorter than rankedItems", nameof(relevant));
        for (int r = 0; r < rankedItems.Length; r++)
            relevant[r] = sortedTargets.BinarySearch(rankedItems[r]) >= 0;
    }

    /// <summary>1 / log2(rank + 1) for the 1-based rank r0 + 1, as the notebook's <c>tp</c>.</summary>
    static double Discount(int r0) => r0 < DiscountTable.Length ? DiscountTable[r0] : 1.0 / Math.Log2(r0 + 2);

    static double IdealDcg(int positions)
    {
        double idcg = 0;
        for (int r = 0; r < positions; r++) idcg += Discount(r);
        return idcg;
    }

    static readonly double[] DiscountTable = Enumerable.Range(0, 1024).Select(r => 1.0 / Math.Log2(r + 2)).ToArray();

    static int Hits(ReadOnlySpan<bool> relevant, int k)
    {
        int ranks = Math.Min(k, relevant.Length), hits = 0;
        for (int r = 0; r < ranks; r++)
            if (relevant[r]) hits++;
        return hits;
    }

    static void Check(int targetCount, int k)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), $"k is {k}, expected at least 1");
        if (targetCount < 1)
            throw new ArgumentOutOfRangeException(nameof(targetCount), $"the user has {targetCount} targets; users without targets must be excluded before computing a metric");
    }
}
