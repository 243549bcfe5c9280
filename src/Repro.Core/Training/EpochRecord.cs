using System.Globalization;

namespace Repro.Core.Training;

/// <summary>
/// One line of the per-epoch log (<c>epochs.tsv</c>). Losses are means over the epoch's minibatches of
/// each batch's per-user-mean loss, taken before that batch's update (as the notebook's training loop
/// sees them, NB cell 66).
/// </summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="MeanLoss">Mean training objective (negative ELBO for Mult-VAE, with the weight penalty).</param>
/// <param name="MeanNegLogLikelihood">Mean negative log-likelihood term.</param>
/// <param name="MeanKl">Mean KL term (0 for models without one).</param>
/// <param name="Beta">KL weight used by the epoch's last update (0 without annealing).</param>
/// <param name="Updates">Gradient updates taken in the run up to the end of this epoch.</param>
/// <param name="ValidationNdcg">NDCG@100 averaged over validation users with targets (spec 1.4, NB cell 66).</param>
/// <param name="Seconds">Wall-clock seconds of training and validation in this epoch (summed over resumed parts).</param>
/// <param name="Extras">The model's own columns (<see cref="IEpochCounters"/>), in its column order; empty for most models.</param>
public sealed record EpochRecord(
    int Epoch, double MeanLoss, double MeanNegLogLikelihood, double MeanKl, double Beta, long Updates,
    double ValidationNdcg, double Seconds, double[]? Extras = null)
{
    public const string TsvHeader = "epoch\tloss\tneg_ll\tkl\tbeta\tupdates\tvalidation_ndcg_at_100\tseconds";

    /// <summary>The header with the model's own columns after the fixed ones.</summary>
    public static string Header(IReadOnlyList<string> extraColumns) =>
        extraColumns.Count == 0 ? TsvHeader : TsvHeader + "\t" + string.Join('\t', extraColumns);

    /// <summary>The model's own columns' values (never null).</summary>
    public double[] ExtraValues => Extras ?? [];

    /// <summary>Tab-separated values in <see cref="Header"/>'s order; doubles round-trip ("R").</summary>
    public string ToTsv()
    {
        var line = string.Join('\t',
            Epoch.ToString(CultureInfo.InvariantCulture), R(MeanLoss), R(MeanNegLogLikelihood), R(MeanKl), R(Beta),
            Updates.ToString(CultureInfo.InvariantCulture), R(ValidationNdcg), Seconds.ToString("F3", CultureInfo.InvariantCulture));
        return ExtraValues.Length == 0 ? line : line + "\t" + string.Join('\t', ExtraValues.Select(R));
    }

    private static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>True when everything but the timing is bit-identical (what determinism and resume promise).</summary>
    public bool SameResultsAs(EpochRecord other) =>
        this with { Seconds = 0, Extras = null } == other with { Seconds = 0, Extras = null }
        && ExtraValues.AsSpan().SequenceEqual(other.ExtraValues);
}
