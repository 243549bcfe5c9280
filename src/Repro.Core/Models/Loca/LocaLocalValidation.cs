using Repro.Core.Metrics;
using Repro.Core.Protocols;
using Repro.Core.Sparse;
using Repro.Core.Training;
using MultVaeModel = Repro.Core.Models.MultVae.MultVae;

namespace Repro.Core.Models.Loca;

/// <summary>
/// Local early stopping on validation users (spec seed-models 1.5 item 5): the validation users an
/// anchor's inference kernel covers (w &gt; 0), embedded once by the frozen global encoder from their
/// fold-in rows, and a local model's NDCG@100 over them, each scored by that local model alone. The
/// authors' code stops each local model on the test targets of the users it covers (main.py
/// l.60-81); this is the same rule on validation users.
/// </summary>
public sealed class LocaLocalValidation
{
    private readonly HeldOutSet _set;
    private readonly int[] _rows;
    private readonly float[] _embeddings;
    private readonly int _latent;
    private readonly double _bandwidth;

    /// <summary>Embeds the rows of <paramref name="set"/> that have targets with <paramref name="global"/>'s encoder (z = mu).</summary>
    public LocaLocalValidation(HeldOutSet set, MultVaeModel global, int latent, double bandwidth)
    {
        ArgumentNullException.ThrowIfNull(set);
        _set = set;
        _latent = latent;
        _bandwidth = bandwidth;
        _rows = Enumerable.Range(0, set.Users).Where(u => set.Target.RowLength(u) > 0).ToArray();
        _embeddings = new float[(long)_rows.Length * latent];
        global.Encode(set.FoldIn, _rows, _embeddings);
    }

    /// <summary>The validation users (fold-in and targets) that the kernel of the anchor embedded at <paramref name="anchor"/> covers; null when none.</summary>
    public HeldOutRows? Covered(ReadOnlySpan<float> anchor)
    {
        var w = LocaKernel.Weights(anchor, _embeddings, _latent, _bandwidth);
        var rows = _rows.Where((_, i) => w[i] > 0).ToArray();
        if (rows.Length == 0) return null;
        return new HeldOutRows(SparseProducts.SelectRows(_set.FoldIn, rows), SparseProducts.SelectRows(_set.Target, rows));
    }

    /// <summary>Mean NDCG@100 of <paramref name="model"/> alone over <paramref name="users"/>, fold-in items excluded.</summary>
    public static double Ndcg(IRecommender model, HeldOutRows users) =>
        Evaluator.Evaluate(model.AsBatchScorer(), users.FoldIn, users.Target, [TrainingDriver.ValidationMetric], maxDegreeOfParallelism: 1)
            [TrainingDriver.ValidationMetric].Summary.Mean;
}

/// <summary>Some held-out users' fold-in rows and target rows, row for row.</summary>
public sealed record HeldOutRows(CsrMatrix FoldIn, CsrMatrix Target)
{
    public int Users => FoldIn.Rows;
}
