using Repro.Core.Data.Cache;
using Repro.Core.Sparse;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Core.Models.Cdl;

/// <summary>One finished outer iteration of CDL: its number (from 1), its duration and the SDAE's mean loss per item over its last epoch (NaN without SDAE epochs).</summary>
public sealed record CdlIteration(int Iteration, TimeSpan Elapsed, double SdaeLoss);

/// <summary>
/// Collaborative Deep Learning (Wang, Wang, Yeung, KDD 2015; spec seed-models 6.1), MAP estimate by
/// block coordinate ascent. Each outer iteration: every u_i &lt;- (V C_i V^T + lambda_u I)^-1 V C_i R_i,
/// every v_j &lt;- (U C_j U^T + lambda_v I)^-1 (U C_j R_j + lambda_v f_e(X_0,j)) (WMF's ALS solver with
/// the encoder's output as the item penalty's mean, so with lambda_v = 0 these are WMF's updates with
/// no item penalty), then the SDAE's weights by back-propagation on its lambda_n and lambda_v terms
/// (<see cref="ContentSdae"/>). An item with no training user gets v_j = f_e(X_0,j) (paper section 3.3).
/// Scores are u_i^T v_j; a held-out user's u_i is WMF's fold-in solve with V fixed.
/// </summary>
public sealed class Cdl : IRecommender
{
    private const string ArchiveKind = "cdl";
    private const int ArchiveVersion = 1;

    private readonly float[] _itemFactors;
    private readonly Wmf.Wmf _scorer;

    private Cdl(CdlHyper hyper, int items, float[] itemFactors, float[]? userFactors)
    {
        Hyper = hyper;
        Items = items;
        _itemFactors = itemFactors;
        TrainingUserFactors = userFactors;
        _scorer = Wmf.Wmf.FromItemFactors(hyper.UserStep(), items, itemFactors);
    }

    public CdlHyper Hyper { get; }
    public int Items { get; }

    /// <summary>Item factors V, Items x K, row-major.</summary>
    public ReadOnlySpan<float> ItemFactors => _itemFactors;

    /// <summary>The training users' factors U after the last iteration (Rows x K, row-major); null for a loaded model.</summary>
    internal float[]? TrainingUserFactors { get; }

    /// <summary>
    /// Fits on <paramref name="train"/> (binary, training users only) with item content
    /// <paramref name="content"/> (one row per item column of train, S = content.Columns terms).
    /// V starts as WMF's start from <paramref name="seed"/>; the SDAE's weights, noise and order come from
    /// a seed derived from it. A cancelled token stops between steps with <see cref="OperationCanceledException"/>;
    /// <paramref name="say"/> gets the pre-training epochs' progress.
    /// </summary>
    public static Cdl Fit(CsrMatrix train, CsrMatrix content, CdlHyper hyper, ulong seed = 0, Action<CdlIteration>? onIteration = null, CancellationToken cancel = default, Action<string>? say = null)
    {
        hyper.Validate();
        if (content.Rows != train.Columns) throw new ArgumentException($"content has {content.Rows} rows, the training matrix {train.Columns} items");
        TorchRuntime.EnsureLoaded();
        int items = train.Columns;
        var byItem = SparseProducts.Transpose(train);
        var unrated = Enumerable.Range(0, items).Where(j => byItem.RowLength(j) == 0).Select(j => (long)j).ToArray();
        var step = hyper.UserStep();
        double itemLambda = hyper.LambdaV / hyper.NegativeConfidence;
        using var sdae = new ContentSdae(content.Columns, hyper, seed ^ 0x9E3779B97F4A7C15UL);
        for (int e = 1; e <= hyper.PretrainEpochs; e++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            double loss = sdae.Epoch(content, null, cancel);
            say?.Invoke($"CDL pre-training epoch {e}/{hyper.PretrainEpochs}: {clock.Elapsed.TotalSeconds:F1} s, SDAE loss {loss:G6} per item");
        }
        var v = Wmf.Wmf.InitialFactors(items, hyper.Factors, hyper.InitScale, seed);
        Tensor? u = null;
        try
        {
            for (int it = 1; it <= hyper.Iterations; it++)
            {
                cancel.ThrowIfCancellationRequested();
                var clock = System.Diagnostics.Stopwatch.StartNew();
                using var theta = sdae.EncodeAll(content);
                var newU = Wmf.Wmf.Solve(train, v, step.Confidence, step.Lambda, null, ScalarType.Float32);
                u?.Dispose();
                u = newU;
                cancel.ThrowIfCancellationRequested();
                var newV = Wmf.Wmf.Solve(byItem, u, step.Confidence, itemLambda, hyper.LambdaV > 0 ? theta : null, ScalarType.Float32);
                v.Dispose();
                v = newV;
                UseContentForUnrated(v, theta, unrated);
                double loss = double.NaN;
                for (int e = 0; e < hyper.SdaeEpochs; e++) loss = sdae.Epoch(content, v, cancel);
                onIteration?.Invoke(new CdlIteration(it, clock.Elapsed, loss));
            }
            using (var theta = sdae.EncodeAll(content)) UseContentForUnrated(v, theta, unrated);
            var factors = new float[(long)items * hyper.Factors];
            v.contiguous().data<float>().CopyTo(factors, 0);
            var users = new float[(long)train.Rows * hyper.Factors];
            u!.contiguous().data<float>().CopyTo(users, 0);
            return new Cdl(hyper, items, factors, users);
        }
        finally
        {
            u?.Dispose();
            v.Dispose();
        }
    }

    /// <summary>Rows of items no training user has: v_j = f_e(X_0,j).</summary>
    private static void UseContentForUnrated(Tensor v, Tensor theta, long[] unrated)
    {
        if (unrated.Length == 0) return;
        using var scope = NewDisposeScope();
        var where = tensor(unrated);
        v.index_copy_(0, where, theta.index_select(0, where));
    }

    /// <summary>The factors of the users in <paramref name="rows"/> of <paramref name="foldIn"/> (rows.Length x K, float64): WMF's fold-in solve with V fixed.</summary>
    public double[] UserFactors(CsrMatrix foldIn, ReadOnlySpan<int> rows) => _scorer.UserFactors(foldIn, rows);

    public void Score(CsrMatrix foldIn, ReadOnlySpan<int> rows, Span<float> output) => _scorer.Score(foldIn, rows, output);

    public void Save(string path) =>
        BinaryArchive.Write(path, ArchiveKind, ArchiveVersion, "", w =>
        {
            w.Write(Hyper.Factors);
            w.Write(Hyper.PositiveConfidence);
            w.Write(Hyper.NegativeConfidence);
            w.Write(Hyper.LambdaU);
            w.Write(Hyper.LambdaV);
            w.Write(Hyper.LambdaN);
            w.Write(Hyper.LambdaW);
            w.Write(Hyper.Vocabulary);
            w.Write(Hyper.Hidden);
            w.Write(Hyper.Corruption);
            w.Write(Hyper.Dropout);
            w.Write(Hyper.Iterations);
            w.Write(Hyper.SdaeEpochs);
            w.Write(Hyper.PretrainEpochs);
            w.Write(Hyper.LearningRate);
            w.Write(Hyper.BatchSize);
            w.Write(Hyper.InitScale);
            w.Write(Items);
            w.Write(_itemFactors);
        });

    public static Cdl Load(string path) =>
        BinaryArchive.Read(path, ArchiveKind, ArchiveVersion, "", r =>
        {
            var hyper = new CdlHyper
            {
                Factors = r.ReadInt32(), PositiveConfidence = r.ReadDouble(), NegativeConfidence = r.ReadDouble(),
                LambdaU = r.ReadDouble(), LambdaV = r.ReadDouble(), LambdaN = r.ReadDouble(), LambdaW = r.ReadDouble(),
                Vocabulary = r.ReadInt32(), Hidden = r.ReadInt32(), Corruption = r.ReadDouble(), Dropout = r.ReadDouble(),
                Iterations = r.ReadInt32(), SdaeEpochs = r.ReadInt32(), PretrainEpochs = r.ReadInt32(),
                LearningRate = r.ReadDouble(), BatchSize = r.ReadInt32(), InitScale = r.ReadDouble(),
            };
            int items = r.ReadInt32();
            var factors = r.ReadSingleArray();
            if (factors.LongLength != (long)items * hyper.Factors) throw new StaleCacheException(path, $"holds {factors.LongLength} factors, expected {items} x {hyper.Factors}");
            return new Cdl(hyper, items, factors, null);
        });

    public void Dispose() => _scorer.Dispose();
}
