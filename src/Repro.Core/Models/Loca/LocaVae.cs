using System.Diagnostics;
using Repro.Core.Data.Cache;
using Repro.Core.Protocols;
using Repro.Core.Sparse;
using Repro.Core.Training;
using MultVaeModel = Repro.Core.Models.MultVae.MultVae;
using MultVaeHyper = Repro.Core.Models.MultVae.MultVaeHyper;

namespace Repro.Core.Models.Loca;

/// <summary>
/// LOCA-VAE (Choi et al., WSDM 2021) as the authors' code runs it (spec seed-models 1.1): a global
/// Mult-VAE [I-K-I] embeds users by its encoder mean and is the fallback; anchors by greedy maximum
/// coverage (or random) under the inference kernel; anchor j's local Mult-VAE is a fresh [I-K-I]
/// trained on the users with t_u = K_{h_train}(d(a_j, e_u)) &gt; 0 (fixed order, zero-weight users
/// skipped) on the loss sum_u t_u (-sum_i x_ui log softmax_i) / B + beta KL, the KL not weighted
/// (LOCA_VAE.py); a user's score is the w-weighted mean of the local logits (spec 1.8 item 8), or the
/// global Mult-VAE's logits when no anchor covers the user.
///
/// Local models are trained one at a time in <see cref="Fit"/> and kept as flat parameter vectors
/// (q x parameters x 4 bytes: 28 MB each at AMusic's 11,797 items); scoring loads them one at a time
/// into one network and adds w M_j(x) into the batch's output (<see cref="LocaCombination"/>).
/// </summary>
public sealed class LocaVae : ILocaLocalModels, IScoringCounters
{
    private const string ArchiveKind = "loca-vae";
    private const int ArchiveVersion = 2; // 2: the local-early-stopping flag

    private readonly MultVaeModel _global;
    private readonly MultVaeModel _scratch;
    private readonly float[] _trainEmbeddings;
    private readonly int[] _anchors;
    private readonly Dictionary<int, float[]> _local;

    private LocaVae(LocaVaeHyper hyper, int items, MultVaeModel global, float[] trainEmbeddings, int[] anchors, Dictionary<int, float[]> local)
    {
        Hyper = hyper;
        Items = items;
        _global = global;
        _trainEmbeddings = trainEmbeddings;
        _anchors = anchors;
        _local = local;
        _scratch = new MultVaeModel(items, LocalHyper(hyper), 0);
        _groups = LocaCombination.Groups(anchors);
    }

    private readonly LocaAnchorGroup[] _groups;

    public LocaVaeHyper Hyper { get; }
    public int Items { get; }
    /// <summary>The anchor users (training rows), in selection order; repeats possible when faithful.</summary>
    public IReadOnlyList<int> Anchors => _anchors;
    /// <summary>The local models: distinct anchors with their multiplicities, in order of first pick.</summary>
    public IReadOnlyList<LocaAnchorGroup> Groups => _groups;
    /// <summary>Anchors whose local Mult-VAE is trained (all after <see cref="Fit"/>; a part's after <see cref="PrepareLocal"/>).</summary>
    public int LocalModels => _local.Count;
    /// <summary>With local early stopping: the epoch each local model (by anchor) was kept at in this process's fit; empty without it.</summary>
    public IReadOnlyDictionary<int, int> KeptEpochs => _keptEpochs;
    private readonly Dictionary<int, int> _keptEpochs = new();

    /// <summary>Training users' embeddings (rows x <see cref="LocaVaeHyper.Latent"/>).</summary>
    public ReadOnlySpan<float> TrainEmbeddings => _trainEmbeddings;

    /// <summary>Receives one line per scored batch (users, fallbacks, seconds).</summary>
    public Action<string>? Log { get; set; }
    /// <summary>Users scored so far, and of those the ones no anchor covers (global fallback).</summary>
    public long ScoredUsers { get; private set; }
    public long FallbackUsers { get; private set; }

    /// <summary>Users scored and users that fell back to the global Mult-VAE, since the last reset.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> ScoringCounters() =>
        [ new("scoredUsers", ScoredUsers), new("fallbackUsers", FallbackUsers) ];

    public void ResetScoringCounters() => (ScoredUsers, FallbackUsers) = (0, 0);

    /// <summary>The global (and each local) Mult-VAE's settings: LOCA's [I-K-I], dropout 0.2, anneal cap 0.2 over 200,000 steps.</summary>
    public static MultVaeHyper GlobalHyper(LocaVaeHyper hyper) => LocaEmbedding.Hyper(hyper.Latent, hyper.LearningRate, hyper.BatchSize, hyper.GlobalEpochs);

    /// <summary>A local Mult-VAE's settings: the global one's with <see cref="LocaVaeHyper.LocalEpochs"/>.</summary>
    public static MultVaeHyper LocalHyper(LocaVaeHyper hyper) => GlobalHyper(hyper) with { Epochs = hyper.LocalEpochs };

    // ---------------------------------------------------------------- local models

    /// <summary>
    /// A fresh local Mult-VAE trained on the rows of <paramref name="train"/> with t_u &gt; 0 (in row
    /// order, batches of the batch size) for the local epochs, each row's likelihood weighted by t_u;
    /// beta = 0 when faithful (spec 1.8 item 1), else annealed as the global model. Null when no
    /// weighted row has an item.
    /// </summary>
    public static MultVaeModel? TrainLocal(CsrMatrix train, ReadOnlySpan<float> t, LocaVaeHyper hyper, ulong seed, CancellationToken cancel = default,
        Action<int, MultVaeModel>? afterEpoch = null)
    {
        var rows = new List<int>();
        for (int u = 0; u < train.Rows; u++) if (t[u] > 0 && train.RowLength(u) > 0) rows.Add(u);
        if (rows.Count == 0) return null;
        var users = rows.ToArray();
        var weights = new float[users.Length];
        for (int r = 0; r < users.Length; r++) weights[r] = t[users[r]];
        var localHyper = LocalHyper(hyper);
        var vae = new MultVaeModel(train.Columns, localHyper, seed);
        vae.Network.NoiseStd = hyper.NoiseStd;
        var schedule = localHyper.NewAnnealingSchedule((users.Length + hyper.BatchSize - 1) / hyper.BatchSize);
        for (int epoch = 0; epoch < hyper.LocalEpochs; epoch++)
        {
            cancel.ThrowIfCancellationRequested();
            for (int first = 0; first < users.Length; first += hyper.BatchSize)
            {
                int count = Math.Min(hyper.BatchSize, users.Length - first);
                vae.Network.TrainStep(train, users.AsSpan(first, count), LocaEmbedding.Keep, hyper.Faithful ? 0.0 : schedule.Beta, weights.AsSpan(first, count));
                schedule.Advance();
            }
            afterEpoch?.Invoke(epoch + 1, vae);
        }
        return vae;
    }

    /// <summary>The seed of anchor <paramref name="anchor"/>'s local Mult-VAE, derived from the model's seed.</summary>
    public static ulong LocalSeed(ulong seed, int anchor) => seed ^ (0x10CA1UL * (ulong)(anchor + 1));

    // ---------------------------------------------------------------- fit

    /// <summary>
    /// Trains the global Mult-VAE, embeds the training users, selects the anchors and trains one local
    /// Mult-VAE per distinct anchor (each seeded from <paramref name="seed"/> and the anchor).
    /// <paramref name="validation"/> is read only with <see cref="LocaVaeHyper.LocalEarlyStopping"/>;
    /// <paramref name="cacheDir"/> keeps the global Mult-VAE for the next fit (<see cref="FitGlobal"/>).
    /// </summary>
    public static LocaVae Fit(CsrMatrix train, LocaVaeHyper hyper, ulong seed, Action<string>? say = null, CancellationToken cancel = default,
        HeldOutSet? validation = null, string? cacheDir = null)
    {
        var clock = Stopwatch.StartNew();
        var model = FitGlobal(train, hyper, seed, say, cancel, cacheDir);
        model.PrepareLocal(train, 0, model._groups.Length, seed, say, cancel, validation);
        say?.Invoke($"LOCA-VAE fitted in {clock.Elapsed.TotalSeconds:0.0} s");
        return model;
    }

    /// <summary>
    /// The global part of <see cref="Fit"/>: the global Mult-VAE, the training users' embeddings and
    /// the anchors, no local model yet (a run split into parts fits this once and saves it). With
    /// <paramref name="cacheDir"/>, the global Mult-VAE and the embeddings come from there when a fit
    /// with the same inputs left them, and are left there otherwise (<see cref="LocaEmbeddingCache"/>).
    /// </summary>
    public static LocaVae FitGlobal(CsrMatrix train, LocaVaeHyper hyper, ulong seed, Action<string>? say = null, CancellationToken cancel = default,
        string? cacheDir = null)
    {
        hyper.Validate();
        TorchRuntime.EnsureLoaded();
        var clock = Stopwatch.StartNew();
        var (global, embeddings) = LocaEmbeddingCache.TrainAndEmbed(train, GlobalHyper(hyper), seed, hyper.NoiseStd,
            hyper.Faithful ? LocaEmbedding.Keep : 1.0, "LOCA-VAE", cacheDir, say, cancel);
        var anchors = LocaAnchors.Select(train, embeddings, hyper.Latent, hyper.Anchors, hyper.AnchorSelection, hyper.TestBandwidth, hyper.Faithful, seed);
        int covered = LocaAnchors.Covered(anchors, embeddings, embeddings, hyper.Latent, hyper.TestBandwidth);
        say?.Invoke($"LOCA-VAE: {anchors.Length} anchors ({anchors.Distinct().Count()} distinct, {hyper.AnchorSelection}), {covered} of {train.Rows} training users covered by the inference kernel; global model and anchors in {clock.Elapsed.TotalSeconds:0.0} s");
        return new LocaVae(hyper, train.Columns, global, embeddings, anchors, new Dictionary<int, float[]>()) { Log = say };
    }

    /// <summary>
    /// Trains the local Mult-VAE of each group in [first, first + count) not trained yet, seeded from
    /// <paramref name="seed"/> and its anchor; with <see cref="LocaVaeHyper.LocalEarlyStopping"/>, keeps
    /// each at its best epoch on the users of <paramref name="validation"/> that its anchor covers.
    /// </summary>
    public void PrepareLocal(CsrMatrix train, int first, int count, ulong seed, Action<string>? say, CancellationToken cancel, HeldOutSet? validation)
    {
        if (train.Columns != Items) throw new ArgumentException($"training matrix has {train.Columns} items, the model {Items}");
        if (Hyper.LocalEarlyStopping && validation is null)
            throw new ArgumentException("local-early-stopping keeps each local model's best epoch on the validation users it covers, and this fit has none (a refit trains on them): turn it off, or use a protocol with validation users");
        int k = Hyper.Latent;
        var probe = Hyper.LocalEarlyStopping ? new LocaLocalValidation(validation!, _global, k, Hyper.TestBandwidth) : null;
        int stopped = 0, chosenEpochs = 0;
        var localClock = Stopwatch.StartNew();
        long userEpochs = 0;
        int trained = 0;
        for (int j = first; j < first + count; j++)
        {
            int anchor = _groups[j].Anchor;
            if (_local.ContainsKey(anchor)) continue;
            var t = LocaKernel.Weights(_trainEmbeddings.AsSpan(anchor * k, k), _trainEmbeddings, k, Hyper.TrainBandwidth);
            var started = localClock.Elapsed.TotalSeconds;
            var covered = probe?.Covered(_trainEmbeddings.AsSpan(anchor * k, k));
            float[]? best = null;
            int bestEpoch = 0;
            double bestNdcg = double.NegativeInfinity;
            using var vae = TrainLocal(train, t, Hyper, LocalSeed(seed, anchor), cancel, covered is null ? null : (epoch, m) =>
            {
                double ndcg = LocaLocalValidation.Ndcg(m, covered);
                if (ndcg > bestNdcg) (bestNdcg, bestEpoch, best) = (ndcg, epoch, (float[])m.Network.Parameters.Data.Clone());
            });
            if (vae is null) continue;
            _local[anchor] = best ?? (float[])vae.Network.Parameters.Data.Clone();
            trained++;
            if (best is not null) { stopped++; chosenEpochs += bestEpoch; }
            if (probe is not null) _keptEpochs[anchor] = best is null ? Hyper.LocalEpochs : bestEpoch;
            int users = t.Count(w => w > 0);
            userEpochs += (long)users * Hyper.LocalEpochs;
            string kept = covered is null ? "" : $"; kept epoch {bestEpoch} (NDCG@100 {bestNdcg:0.0000} over {covered.Users} covered validation users)";
            say?.Invoke($"LOCA-VAE local model {j + 1}/{_groups.Length} (anchor {anchor}, {users} weighted users): {Hyper.LocalEpochs} epochs in {localClock.Elapsed.TotalSeconds - started:0.0} s ({(localClock.Elapsed.TotalSeconds - started) / Hyper.LocalEpochs:0.000} s per epoch){kept}; {localClock.Elapsed.TotalSeconds:0} s so far{TimeLeft(localClock.Elapsed.TotalSeconds, trained, first + count - j - 1)}");
        }
        say?.Invoke($"LOCA-VAE: {trained} local models in {localClock.Elapsed.TotalSeconds:0.0} s ({localClock.Elapsed.TotalSeconds / Math.Max(1, trained * Hyper.LocalEpochs):0.000} s per local model-epoch, {userEpochs} user-epochs)"
            + (probe is null ? "" : $"; {stopped} kept at their best validation epoch (mean {chosenEpochs / (double)Math.Max(1, stopped):0.0} of {Hyper.LocalEpochs}), {trained - stopped} at their last (no validation user covered)"));
    }

    /// <summary>"; about 12 min left" for the local models still to train at the mean time of those trained (they differ by how many users their kernel weights), or "" when none are left.</summary>
    internal static string TimeLeft(double seconds, int trained, int left)
    {
        if (left <= 0 || trained <= 0) return "";
        double estimate = seconds / trained * left;
        return estimate < 90 ? FormattableString.Invariant($"; about {estimate:0} s left") : FormattableString.Invariant($"; about {estimate / 60:0} min left");
    }

    // ---------------------------------------------------------------- score

    public void Score(CsrMatrix foldIn, ReadOnlySpan<int> rows, Span<float> output)
    {
        var clock = Stopwatch.StartNew();
        var (b, fallbacks, used) = this.ScoreAll(foldIn, rows, output);
        ScoredUsers += b;
        FallbackUsers += fallbacks;
        Log?.Invoke($"LOCA-VAE scored {b} users: {fallbacks} fell back to the global Mult-VAE ({100.0 * fallbacks / Math.Max(1, b):0.0}%; {100.0 * FallbackUsers / Math.Max(1, ScoredUsers):0.0}% of {ScoredUsers} so far); {used} local models in {clock.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>Adds the weighted logits of the trained local Mult-VAEs of groups [first, first + count) (<see cref="LocaCombination.Accumulate"/>).</summary>
    public int AccumulateLocal(CsrMatrix foldIn, int[] rows, int first, int count, Span<float> output, double[] weightSum)
    {
        if (foldIn.Columns != Items) throw new ArgumentException($"fold-in has {foldIn.Columns} items, the model {Items}");
        int k = Hyper.Latent;
        var embeddings = new float[(long)rows.Length * k];
        _global.Encode(foldIn, rows, embeddings);
        return LocaCombination.Accumulate(_groups.Skip(first).Take(count), _trainEmbeddings, embeddings, k, Items, Hyper.TestBandwidth, output, weightSum,
            (anchor, positions, scores) =>
            {
                if (!_local.TryGetValue(anchor, out var parameters)) return false;
                parameters.CopyTo(_scratch.Network.Parameters.Data, 0);
                _scratch.Score(foldIn, positions.Select(p => rows[p]).ToArray(), scores);
                return true;
            });
    }

    /// <summary>Weighted means, and the global Mult-VAE's logits for rows no anchor covers (<see cref="LocaCombination.Finish"/>).</summary>
    public int FinishScores(CsrMatrix foldIn, int[] rows, Span<float> output, double[] weightSum) =>
        LocaCombination.Finish(Items, output, weightSum, (positions, scores) => _global.Score(foldIn, positions.Select(p => rows[p]).ToArray(), scores));

    // ---------------------------------------------------------------- save and load

    /// <summary>Writes the settings, the embeddings, the anchors, the global network and every local network.</summary>
    public void Save(string path) =>
        BinaryArchive.Write(path, ArchiveKind, ArchiveVersion, "", w =>
        {
            w.Write(Hyper.Anchors); w.Write((int)Hyper.AnchorSelection); w.Write(Hyper.TrainBandwidth); w.Write(Hyper.TestBandwidth);
            w.Write(Hyper.Latent); w.Write(Hyper.GlobalEpochs); w.Write(Hyper.LocalEpochs); w.Write(Hyper.BatchSize);
            w.Write(Hyper.LearningRate); w.Write(Hyper.Faithful ? 1 : 0); w.Write(Hyper.LocalEarlyStopping ? 1 : 0); w.Write(Items);
            w.Write(_trainEmbeddings); w.Write(_anchors);
            w.Write(_global.Network.Parameters.Data);
            var keys = _local.Keys.Order().ToArray();
            w.Write(keys);
            foreach (int key in keys) w.Write(_local[key]);
        });

    public static LocaVae Load(string path)
    {
        TorchRuntime.EnsureLoaded();
        return BinaryArchive.Read(path, ArchiveKind, ArchiveVersion, "", r =>
        {
            var hyper = new LocaVaeHyper
            {
                Anchors = r.ReadInt32(), AnchorSelection = (LocaAnchorSelection)r.ReadInt32(), TrainBandwidth = r.ReadDouble(),
                TestBandwidth = r.ReadDouble(), Latent = r.ReadInt32(), GlobalEpochs = r.ReadInt32(), LocalEpochs = r.ReadInt32(),
                BatchSize = r.ReadInt32(), LearningRate = r.ReadDouble(), Faithful = r.ReadInt32() == 1, LocalEarlyStopping = r.ReadInt32() == 1,
            };
            int items = r.ReadInt32();
            var embeddings = r.ReadSingleArray();
            var anchors = r.ReadInt32Array();
            var global = new MultVaeModel(items, GlobalHyper(hyper), 0);
            var parameters = r.ReadSingleArray();
            if (parameters.Length != global.Network.Parameters.Data.Length) throw new StaleCacheException(path, $"holds {parameters.Length} global parameters, expected {global.Network.Parameters.Data.Length}");
            parameters.CopyTo(global.Network.Parameters.Data, 0);
            var keys = r.ReadInt32Array();
            var local = new Dictionary<int, float[]>();
            foreach (int key in keys)
            {
                var p = r.ReadSingleArray();
                if (p.Length != parameters.Length) throw new StaleCacheException(path, $"local model of anchor {key} holds {p.Length} parameters, expected {parameters.Length}");
                local[key] = p;
            }
            return new LocaVae(hyper, items, global, embeddings, anchors, local);
        });
    }

    public void Dispose()
    {
        _global.Dispose();
        _scratch.Dispose();
    }
}
