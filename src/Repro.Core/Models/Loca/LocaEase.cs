using System.Diagnostics;
using Repro.Core.Data.Cache;
using Repro.Core.Models.Ease;
using Repro.Core.Protocols;
using Repro.Core.Sparse;
using Repro.Core.Training;
using EaseModel = Repro.Core.Models.Ease.Ease;
using MultVaeModel = Repro.Core.Models.MultVae.MultVae;
using MultVaeHyper = Repro.Core.Models.MultVae.MultVaeHyper;

namespace Repro.Core.Models.Loca;

/// <summary>
/// LOCA-EASE (Choi et al., WSDM 2021) as the authors' code runs it (spec seed-models 1.1):
/// users are embedded by a global Mult-VAE [I-K-I]'s encoder mean; d(a, u) = (2/pi) arccos(cos(e_a, e_u));
/// Epanechnikov kernels K_h(d) = 0.75 max(0, 1 - (d/h)^2) with a training bandwidth (local fit
/// weights t_u) and a smaller inference bandwidth (combination weights w_u); anchors by random draw
/// or greedy maximum coverage; anchor j's local EASE is B_j from G = X^T diag(t I / sum t) X + lambda I
/// (LOCA_EASE.py l.297-298); a user's score is sum_j w_uj x_u B_j / sum_j w_uj, or the global EASE's
/// x_u B when no anchor covers the user.
///
/// Scale (spec 1.7): no local B is kept. Scoring a batch fits the local models one at a time, each
/// over only the items its weighted users touch (the other items' rows and columns of G are lambda I,
/// so their B entries are exactly zero), and adds w x B into the batch's output, which is the score
/// accumulator. Coverage is a bitset per candidate over the users.
/// </summary>
public sealed class LocaEase : ILocaLocalModels, IScoringCounters
{
    private const string ArchiveKind = "loca-ease";
    private const int ArchiveVersion = 1;

    private readonly MultVaeModel _embedder;
    private readonly CsrMatrix _train;
    private readonly float[] _trainEmbeddings;
    private readonly int[] _anchors;
    private readonly EaseModel _global;
    private readonly int _latent;

    private LocaEase(LocaEaseHyper hyper, MultVaeModel embedder, CsrMatrix train, float[] trainEmbeddings, int[] anchors, EaseModel global)
    {
        Hyper = hyper;
        _embedder = embedder;
        _train = train;
        _trainEmbeddings = trainEmbeddings;
        _anchors = anchors;
        _global = global;
        _latent = hyper.EmbeddingLatent;
        _groups = LocaCombination.Groups(anchors);
    }

    private readonly LocaAnchorGroup[] _groups;

    public LocaEaseHyper Hyper { get; }
    public int Items => _train.Columns;
    /// <summary>The anchor users (training rows), in selection order; repeats possible when faithful.</summary>
    public IReadOnlyList<int> Anchors => _anchors;
    /// <summary>The local models: distinct anchors with their multiplicities, in order of first pick.</summary>
    public IReadOnlyList<LocaAnchorGroup> Groups => _groups;
    /// <summary>Training users' embeddings (rows x <see cref="LocaEaseHyper.EmbeddingLatent"/>).</summary>
    public ReadOnlySpan<float> TrainEmbeddings => _trainEmbeddings;

    /// <summary>Receives one line per scored batch (users, fallbacks, local models, seconds).</summary>
    public Action<string>? Log { get; set; }
    /// <summary>Users scored so far, and of those the ones no anchor covers (global fallback).</summary>
    public long ScoredUsers { get; private set; }
    public long FallbackUsers { get; private set; }
    /// <summary>Local models fitted so far and the seconds spent fitting them.</summary>
    public int LocalModelsFitted { get; private set; }
    public double LocalFitSeconds { get; private set; }

    /// <summary>Users scored, users that fell back to the global EASE, local models fitted and their seconds, since the last reset.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> ScoringCounters() =>
        [ new("scoredUsers", ScoredUsers), new("fallbackUsers", FallbackUsers), new("localModelsFitted", LocalModelsFitted), new("localFitSeconds", LocalFitSeconds) ];

    public void ResetScoringCounters() => (ScoredUsers, FallbackUsers, LocalModelsFitted, LocalFitSeconds) = (0, 0, 0, 0);

    // ---------------------------------------------------------------- local models

    /// <summary>
    /// Anchor's local training matrix: the rows with t_u &gt; 0, restricted to the items they touch
    /// (<paramref name="items"/>: local column -> item), each row's values sqrt(t_u I / sum t) so that
    /// its Gram matrix is X^T diag(t I / sum t) X on those items (LOCA_EASE.py l.297-298).
    /// </summary>
    public static CsrMatrix LocalTrainingMatrix(CsrMatrix train, ReadOnlySpan<float> t, out int[] items)
    {
        int allItems = train.Columns;
        double sum = 0;
        var users = new List<int>();
        for (int u = 0; u < train.Rows; u++) if (t[u] > 0 && train.RowLength(u) > 0) { users.Add(u); sum += t[u]; }
        var local = new int[allItems];
        Array.Fill(local, -1);
        var itemList = new List<int>();
        foreach (int u in users) foreach (int i in train.Row(u)) if (local[i] < 0) { local[i] = itemList.Count; itemList.Add(i); }
        items = itemList.ToArray();
        var start = new int[users.Count + 1];
        for (int r = 0; r < users.Count; r++) start[r + 1] = start[r] + train.RowLength(users[r]);
        var columns = new int[start[^1]];
        var values = new float[start[^1]];
        for (int r = 0; r < users.Count; r++)
        {
            int u = users[r];
            float value = (float)Math.Sqrt(t[u] * allItems / sum);
            var row = train.Row(u);
            var rowValues = train.Values is null ? default : train.RowValues(u);
            for (int k = 0; k < row.Length; k++)
            {
                columns[start[r] + k] = local[row[k]];
                values[start[r] + k] = value * (train.Values is null ? 1f : rowValues[k]);
            }
        }
        return new CsrMatrix(users.Count, items.Length, start, columns, values);
    }

    /// <summary>The local EASE of training weights <paramref name="t"/>: its B over <paramref name="items"/> (null when no weighted user has an item).</summary>
    public static EaseModel? FitLocal(CsrMatrix train, ReadOnlySpan<float> t, double lambda, out int[] items, CancellationToken cancel = default)
    {
        var local = LocalTrainingMatrix(train, t, out items);
        if (local.Rows == 0 || local.Columns == 0) return null;
        return EaseModel.Fit(local, new EaseHyper { Lambda = lambda }, cancel);
    }

    private float[] TrainingWeights(int anchor) =>
        LocaKernel.Weights(_trainEmbeddings.AsSpan(anchor * _latent, _latent), _trainEmbeddings, _latent, Hyper.TrainBandwidth);

    // ---------------------------------------------------------------- fit

    /// <summary>The embedding Mult-VAE's settings: LOCA's [I-K-I], dropout 0.2, anneal cap 0.2 over 200,000 steps.</summary>
    public static MultVaeHyper EmbeddingHyper(LocaEaseHyper hyper) =>
        LocaEmbedding.Hyper(hyper.EmbeddingLatent, hyper.EmbeddingLearningRate, hyper.EmbeddingBatchSize, hyper.EmbeddingEpochs);

    /// <summary>
    /// Trains the embedding Mult-VAE (users in fixed order, as the code), embeds the training users,
    /// fits the global EASE and selects the anchors. Local models are fitted when scoring. With
    /// <paramref name="cacheDir"/>, the embedding Mult-VAE and the embeddings come from there when a fit
    /// with the same inputs left them, and are left there otherwise (<see cref="LocaEmbeddingCache"/>).
    /// </summary>
    public static LocaEase Fit(CsrMatrix train, LocaEaseHyper hyper, ulong seed, Action<string>? say = null, CancellationToken cancel = default,
        string? cacheDir = null)
    {
        hyper.Validate();
        TorchRuntime.EnsureLoaded();
        var clock = Stopwatch.StartNew();
        // LOCA-EASE keeps Liang's eps ~ N(0, 1) in its embedding Mult-VAE (its runs so far used it).
        var (vae, embeddings) = LocaEmbeddingCache.TrainAndEmbed(train, EmbeddingHyper(hyper), seed, noiseStd: 1.0,
            hyper.Faithful ? LocaEaseHyper.EmbeddingKeep : 1.0, "LOCA-EASE", cacheDir, say, cancel);
        cancel.ThrowIfCancellationRequested();
        var global = EaseModel.Fit(train, new EaseHyper { Lambda = hyper.GlobalLambda }, cancel);
        var anchors = LocaAnchors.Select(train, embeddings, hyper.EmbeddingLatent, hyper.Anchors, hyper.AnchorSelection, hyper.TestBandwidth, hyper.Faithful, seed);
        var model = new LocaEase(hyper, vae, train, embeddings, anchors, global) { Log = say };
        say?.Invoke($"LOCA-EASE: {anchors.Length} anchors ({anchors.Distinct().Count()} distinct, {hyper.AnchorSelection}), {model.CoveredTrainingUsers()} of {train.Rows} training users covered by the inference kernel; fitted in {clock.Elapsed.TotalSeconds:0.0} s");
        return model;
    }

    /// <summary>Training users with a positive inference weight from some anchor.</summary>
    public int CoveredTrainingUsers() => LocaAnchors.Covered(_anchors, _trainEmbeddings, _trainEmbeddings, _latent, Hyper.TestBandwidth);

    // ---------------------------------------------------------------- score

    public void Score(CsrMatrix foldIn, ReadOnlySpan<int> rows, Span<float> output)
    {
        var clock = Stopwatch.StartNew();
        var (b, fallbacks, fitted) = this.ScoreAll(foldIn, rows, output);
        ScoredUsers += b;
        FallbackUsers += fallbacks;
        Log?.Invoke($"LOCA-EASE scored {b} users: {fallbacks} fell back to the global EASE ({100.0 * fallbacks / Math.Max(1, b):0.0}%; {100.0 * FallbackUsers / Math.Max(1, ScoredUsers):0.0}% of {ScoredUsers} so far); {fitted} local models in {clock.Elapsed.TotalSeconds:0.0} s ({clock.Elapsed.TotalSeconds / Math.Max(1, fitted):0.00} s each)");
    }

    /// <summary>LOCA-EASE fits its local models while scoring: nothing to prepare.</summary>
    public void PrepareLocal(CsrMatrix train, int first, int count, ulong seed, Action<string>? say, CancellationToken cancel, HeldOutSet? validation) { }

    /// <summary>Fits the local EASE of each group in [first, first + count) that covers one of the rows and adds its weighted scores (<see cref="LocaCombination.Accumulate"/>).</summary>
    public int AccumulateLocal(CsrMatrix foldIn, int[] rows, int first, int count, Span<float> output, double[] weightSum)
    {
        if (foldIn.Columns != Items) throw new ArgumentException($"fold-in has {foldIn.Columns} items, the model {Items}");
        int n = Items;
        var embeddings = new float[(long)rows.Length * _latent];
        _embedder.Encode(foldIn, rows, embeddings);
        var clock = Stopwatch.StartNew();
        int fitted = LocaCombination.Accumulate(_groups.Skip(first).Take(count), _trainEmbeddings, embeddings, _latent, n, Hyper.TestBandwidth, output, weightSum,
            (anchor, positions, scores) =>
            {
                using var local = FitLocal(_train, TrainingWeights(anchor), Hyper.LocalLambda, out var items);
                if (local is null) return false;
                int m = items.Length;
                var localOf = new int[n];
                Array.Fill(localOf, -1);
                for (int c = 0; c < m; c++) localOf[items[c]] = c;
                var weights = local.Weights;
                var row = new float[m];
                for (int p = 0; p < positions.Length; p++)
                {
                    Array.Clear(row);
                    foreach (int i in foldIn.Row(rows[positions[p]]))
                        if (localOf[i] >= 0) System.Numerics.Tensors.TensorPrimitives.Add(row, weights.Slice(localOf[i] * m, m), row);
                    var target = scores.AsSpan(p * n, n);
                    for (int c = 0; c < m; c++) target[items[c]] = row[c];
                }
                return true;
            });
        LocalModelsFitted += fitted;
        LocalFitSeconds += clock.Elapsed.TotalSeconds;
        return fitted;
    }

    /// <summary>Weighted means, and the global EASE's scores for rows no anchor covers (<see cref="LocaCombination.Finish"/>).</summary>
    public int FinishScores(CsrMatrix foldIn, int[] rows, Span<float> output, double[] weightSum) =>
        LocaCombination.Finish(Items, output, weightSum, (positions, scores) => _global.Score(foldIn, positions.Select(r => rows[r]).ToArray(), scores));

    // ---------------------------------------------------------------- save and load

    /// <summary>Writes the settings, the training matrix, the embeddings, the anchors and the embedding network; the global EASE is refitted on load.</summary>
    public void Save(string path) =>
        BinaryArchive.Write(path, ArchiveKind, ArchiveVersion, "", w =>
        {
            w.Write(Hyper.Anchors); w.Write((int)Hyper.AnchorSelection); w.Write(Hyper.TrainBandwidth); w.Write(Hyper.TestBandwidth);
            w.Write(Hyper.LocalLambda); w.Write(Hyper.GlobalLambda); w.Write(Hyper.EmbeddingLatent); w.Write(Hyper.EmbeddingEpochs);
            w.Write(Hyper.EmbeddingBatchSize); w.Write(Hyper.EmbeddingLearningRate); w.Write(Hyper.Faithful ? 1 : 0);
            w.Write(_train.Rows); w.Write(_train.Columns); w.Write(_train.RowStart); w.Write(_train.ColumnIndex);
            w.Write(_train.Values is null ? 0 : 1);
            if (_train.Values is not null) w.Write(_train.Values);
            w.Write(_trainEmbeddings); w.Write(_anchors);
            w.Write(_embedder.Network.Parameters.Data);
        });

    public static LocaEase Load(string path)
    {
        TorchRuntime.EnsureLoaded();
        return BinaryArchive.Read(path, ArchiveKind, ArchiveVersion, "", r =>
        {
            var hyper = new LocaEaseHyper
            {
                Anchors = r.ReadInt32(), AnchorSelection = (LocaAnchorSelection)r.ReadInt32(), TrainBandwidth = r.ReadDouble(),
                TestBandwidth = r.ReadDouble(), LocalLambda = r.ReadDouble(), GlobalLambda = r.ReadDouble(), EmbeddingLatent = r.ReadInt32(),
                EmbeddingEpochs = r.ReadInt32(), EmbeddingBatchSize = r.ReadInt32(), EmbeddingLearningRate = r.ReadDouble(), Faithful = r.ReadInt32() == 1,
            };
            int rows = r.ReadInt32(), columns = r.ReadInt32();
            var start = r.ReadInt32Array();
            var index = r.ReadInt32Array();
            var values = r.ReadInt32() == 1 ? r.ReadSingleArray() : null;
            var train = new CsrMatrix(rows, columns, start, index, values);
            var embeddings = r.ReadSingleArray();
            var anchors = r.ReadInt32Array();
            var parameters = r.ReadSingleArray();
            var vae = new MultVaeModel(columns, EmbeddingHyper(hyper), 0);
            if (parameters.Length != vae.Network.Parameters.Data.Length) throw new StaleCacheException(path, $"holds {parameters.Length} embedding parameters, expected {vae.Network.Parameters.Data.Length}");
            parameters.CopyTo(vae.Network.Parameters.Data, 0);
            var global = EaseModel.Fit(train, new EaseHyper { Lambda = hyper.GlobalLambda });
            return new LocaEase(hyper, vae, train, embeddings, anchors, global);
        });
    }

    public void Dispose()
    {
        _embedder.Dispose();
        _global.Dispose();
    }
}
