namespace Repro.Core.Metrics;

/// <summary>Which per-user ranking metric to compute (definitions in <see cref="RankingMetrics"/>).</summary>
public enum MetricKind
{
    /// <summary>The notebook's Recall@k: hits / min(k, targets) (spec §1.4).</summary>
    Recall,
    /// <summary>The notebook's binary NDCG@k with IDCG over min(targets, k) positions (spec §1.4).</summary>
    Ndcg,
    /// <summary>LightGCN's recall@k: hits / targets (weak generalisation, spec §5.1).</summary>
    RecallLightGcn,
    /// <summary>LightGCN's ndcg@k; equal in value to <see cref="Ndcg"/> (see <see cref="RankingMetrics.NdcgLightGcn"/>).</summary>
    NdcgLightGcn,
    /// <summary>Average precision at k (CDL's mAP@500 averages it over users; see <see cref="RankingMetrics.AveragePrecision"/>).</summary>
    AveragePrecision,
    /// <summary>LOCA's Recall@k: hits / target events, a repeated test item counted each time (see <see cref="RankingMetrics.RecallLoca"/>).</summary>
    RecallLoca,
    /// <summary>LOCA's NDCG@k: IDCG over min(target events, k) positions (see <see cref="RankingMetrics.NdcgLoca"/>).</summary>
    NdcgLoca,
}

/// <summary>A metric at a cut-off, e.g. Recall@20. The paper reports Recall@20, Recall@50 and NDCG@100.</summary>
public sealed record MetricSpec(MetricKind Kind, int K)
{
    public MetricKind Kind { get; } = Enum.IsDefined(Kind) ? Kind : throw new ArgumentOutOfRangeException(nameof(Kind), $"unknown metric kind {Kind}");
    public int K { get; } = K >= 1 ? K : throw new ArgumentOutOfRangeException(nameof(K), $"K is {K}, expected at least 1");

    public static MetricSpec Recall(int k) => new(MetricKind.Recall, k);
    public static MetricSpec Ndcg(int k) => new(MetricKind.Ndcg, k);
    public static MetricSpec RecallLightGcn(int k) => new(MetricKind.RecallLightGcn, k);
    public static MetricSpec NdcgLightGcn(int k) => new(MetricKind.NdcgLightGcn, k);
    public static MetricSpec AveragePrecision(int k) => new(MetricKind.AveragePrecision, k);
    public static MetricSpec RecallLoca(int k) => new(MetricKind.RecallLoca, k);
    public static MetricSpec NdcgLoca(int k) => new(MetricKind.NdcgLoca, k);

    /// <summary>The paper's three metrics (Table 2): Recall@20, Recall@50, NDCG@100.</summary>
    public static IReadOnlyList<MetricSpec> Paper { get; } = [Recall(20), Recall(50), Ndcg(100)];

    /// <summary>A short name such as "Recall@20".</summary>
    public string Name => $"{Kind}@{K}";

    public override string ToString() => Name;
}
