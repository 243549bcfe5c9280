using System.Numerics.Tensors;
using Repro.Core.Data.Cache;
using Repro.Core.Sparse;
using Repro.Core.Training;
using TorchSharp;
using Tensor = TorchSharp.torch.Tensor;

namespace Repro.Core.Models.BprMf;

/// <summary>
/// BPR-MF as the "MF" of LOCA's code base (spec 2: RSPT <c>models/BPRMF.py</c>, October 2020):
/// s_ui = &lt;p_u, q_i&gt; with no biases; every epoch draws, for every training positive (u, i), one
/// negative j uniformly with replacement from u's non-positives (RSPT's
/// <c>generate_pairwise_data_from_matrix(train, 1)</c>, not the later sampler that draws "positives"
/// from all items, spec 2 pitfall); each Adam update minimises -sum log sigmoid(s_ui - s_uj) over a
/// batch of <see cref="BprMfHyper.PairBatch"/> pairs; PyTorch's Adam, no weight decay unless
/// <see cref="BprMfHyper.WeightDecay"/> is set (ours, off by default), dense over
/// all of P and Q as torch.optim.Adam is on nn.Embedding's dense gradients (rows outside the batch
/// move by their momentum). P and Q start from N(0, 1), nn.Embedding's default.
/// <para>
/// How the epoch meets the driver: the driver hands out a shuffled minibatch of
/// <see cref="BprMfHyper.BatchSize"/> users; <see cref="TrainStep(CsrMatrix, ReadOnlySpan{int})"/>
/// draws one negative for each of their positives, shuffles those pairs and takes Adam updates of
/// PairBatch pairs over them (the last one short). Every user is in exactly one minibatch an epoch,
/// so an epoch is one pass over every training positive with one fresh negative each, as in RSPT;
/// the only difference is that RSPT shuffles all of an epoch's pairs at once and we shuffle them
/// within a minibatch of users (one step per epoch when BatchSize covers every user). This keeps
/// the driver unchanged and gives BPR-MF its validation, best checkpoint, resume and NaN handling:
/// sampling and shuffling draw from the model's generator, which the driver reseeds from
/// (seed, epoch, minibatch), so a resumed run draws what an uninterrupted one does.
/// <see cref="Training.IMultiPassEpoch"/> is not needed: an epoch is one pass.
/// </para>
/// <para>
/// Strong generalisation: a held-out user has no p_v, so <see cref="Score"/> fits one on the fold-in
/// items with Q frozen (<see cref="FitUser"/>): p_v = 0, then <see cref="BprMfHyper.FoldInEpochs"/>
/// epochs of the same loss and sampler (one negative per fold-in positive per epoch, Adam updates of
/// PairBatch pairs at <see cref="BprMfHyper.FoldInLearningRate"/>). The negatives come from a generator
/// seeded by the model's fold-in seed (saved with the weights) and the user's fold-in items, so a user's
/// p_v does not depend on the batch or thread that fits it. The weak protocol's test rows are
/// the training users' whole rows (RunData.weak), but a scorer sees rows, not user ids, so a training
/// user is fitted the same way (as CDAE fits its node), on every item of its training row.
/// </para>
/// </summary>
public sealed class BprMf : TrainedModel<BprMfHyper>
{
    private const string UserFactors = "P", ItemFactors = "Q";
    private const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8; // torch.optim.Adam's defaults
    private const int ScoreChunk = 256;

    private readonly int _k;
    private readonly ulong _initSeed;
    private readonly SeededRandom _random;
    private ulong _foldInSeed;
    private bool[] _positive;
    private AlignedBuffer? _chunkUsers, _chunkScores;

    // Fold-in's positive marks, one array per scoring thread (SampleNegatives leaves it all false).
    [ThreadStatic] private static bool[]? _threadMark;

    /// <param name="items">Item columns of every matrix the model sees.</param>
    /// <param name="seed">Fixes Q's and P's initial values, and the fold-in negatives.</param>
    public BprMf(int items, BprMfHyper hyper, ulong seed) : base(hyper)
    {
        hyper.Validate();
        if (items <= 0) throw new ArgumentOutOfRangeException(nameof(items), $"items must be > 0, got {items}");
        Items = items;
        _k = hyper.Factors;
        Q = new FlatParameters([(ItemFactors, items, _k, true)]);
        QGradient = Q.SameLayout();
        QOptimizer = NewAdam(Q, QGradient);
        var init = new SeededRandom(TrainingDriver.DeriveSeed(seed, 1));
        FillStandardNormal(init, Q.Span(ItemFactors));
        _initSeed = TrainingDriver.DeriveSeed(seed, 2);
        _foldInSeed = TrainingDriver.DeriveSeed(seed, 3);
        _random = new SeededRandom(TrainingDriver.DeriveSeed(seed, 4));
        _positive = new bool[items];
    }

    public override int Items { get; }

    /// <summary>Q, items x Factors.</summary>
    public FlatParameters Q { get; }
    internal FlatParameters QGradient { get; }
    internal TfAdam QOptimizer { get; }

    /// <summary>P, training users x Factors; null until the first training step or a load.</summary>
    public FlatParameters? P { get; private set; }
    private FlatParameters? _pGradient;
    internal FlatParameters? PGradient => _pGradient;
    private TfAdam? _pOptimizer;

    /// <summary>Adam updates taken (pair batches).</summary>
    public long Updates => QOptimizer.Steps;

    // ---------------------------------------------------------------- sampling

    /// <summary>
    /// For every positive of <paramref name="positives"/> (one user's row), a negative drawn uniformly
    /// with replacement from the items that are not in the row (rejection: redraw while it is a
    /// positive), written to <paramref name="negatives"/>. <paramref name="mark"/> (Items long, all
    /// false) is left all false. The row must leave at least one item out.
    /// </summary>
    public static void SampleNegatives(ReadOnlySpan<int> positives, int items, SeededRandom random, bool[] mark, Span<int> negatives)
    {
        if (positives.Length >= items) throw new ArgumentException($"a row with {positives.Length} of {items} items has no negative to draw");
        foreach (int i in positives) mark[i] = true;
        for (int n = 0; n < positives.Length; n++)
        {
            int j;
            do j = random.NextBelow(items); while (mark[j]);
            negatives[n] = j;
        }
        foreach (int i in positives) mark[i] = false;
    }

    // ---------------------------------------------------------------- training

    /// <summary>
    /// One driver step on training users <paramref name="rows"/> of <paramref name="data"/>: one negative
    /// per positive, the pairs shuffled, Adam updates of PairBatch pairs. Returns the mean per-pair
    /// loss -log sigmoid(s_ui - s_uj), each batch's before its update; NaN as soon as a batch's loss is not finite.
    /// </summary>
    public BatchLoss TrainStep(CsrMatrix data, ReadOnlySpan<int> rows)
    {
        CheckMatrix(data);
        if (rows.Length == 0) throw new ArgumentException("a step needs at least one user", nameof(rows));
        EnsureUsers(data.Rows);
        var (users, positives, negatives) = Pairs(data, rows);
        int n = users.Length;
        if (n == 0) return new BatchLoss(0, 0, 0, 0);
        // Fisher-Yates over the step's pairs (RSPT: np.random.permutation over the epoch's pairs).
        for (int a = n - 1; a > 0; a--)
        {
            int b = _random.NextBelow(a + 1);
            (users[a], users[b]) = (users[b], users[a]);
            (positives[a], positives[b]) = (positives[b], positives[a]);
            (negatives[a], negatives[b]) = (negatives[b], negatives[a]);
        }
        double total = 0;
        for (int start = 0; start < n; start += Hyper.PairBatch)
        {
            int count = Math.Min(Hyper.PairBatch, n - start);
            double loss = PairBatchStep(users.AsSpan(start, count), positives.AsSpan(start, count), negatives.AsSpan(start, count));
            if (!double.IsFinite(loss)) return new BatchLoss(double.NaN, double.NaN, 0, 0);
            total += loss;
        }
        return new BatchLoss(total / n, total / n, 0, 0);
    }

    /// <summary>The step's (user, positive, negative) triples in row order, one negative per positive.</summary>
    private (int[] Users, int[] Positives, int[] Negatives) Pairs(CsrMatrix data, ReadOnlySpan<int> rows)
    {
        int n = 0;
        foreach (int u in rows)
            if (data.RowLength(u) < Items) n += data.RowLength(u); // a user with every item has no negative (RSPT would divide by 0)
        var users = new int[n];
        var positives = new int[n];
        var negatives = new int[n];
        int at = 0;
        foreach (int u in rows)
        {
            var row = data.Row(u);
            if (row.Length == 0 || row.Length >= Items) continue;
            users.AsSpan(at, row.Length).Fill(u);
            row.CopyTo(positives.AsSpan(at));
            SampleNegatives(row, Items, _random, _positive, negatives.AsSpan(at, row.Length));
            at += row.Length;
        }
        return (users, positives, negatives);
    }

    /// <summary>
    /// The summed loss of one pair batch and its gradients in P's and Q's gradient buffers (zero
    /// elsewhere): for x = &lt;p_u, q_i - q_j&gt;, d(-log sigmoid x)/dx = -sigmoid(-x).
    /// </summary>
    public double PairBatchGradients(ReadOnlySpan<int> users, ReadOnlySpan<int> positives, ReadOnlySpan<int> negatives)
    {
        var p = P ?? throw new InvalidOperationException("the model has no user factors yet: train or load it first");
        var pData = p.Span(UserFactors);
        var qData = Q.Span(ItemFactors);
        var gp = _pGradient!.Span(UserFactors);
        var gq = QGradient.Span(ItemFactors);
        gp.Clear();
        gq.Clear();
        double loss = 0;
        int k = _k;
        var difference = new float[k];
        for (int n = 0; n < users.Length; n++)
        {
            var pu = pData.Slice(users[n] * k, k);
            var qi = qData.Slice(positives[n] * k, k);
            var qj = qData.Slice(negatives[n] * k, k);
            TensorPrimitives.Subtract(qi, qj, difference);
            double x = TensorPrimitives.Dot(pu, difference);
            loss += Softplus(-x);
            float c = (float)-Sigmoid(-x);
            TensorPrimitives.MultiplyAdd(difference, c, gp.Slice(users[n] * k, k), gp.Slice(users[n] * k, k));
            TensorPrimitives.MultiplyAdd(pu, c, gq.Slice(positives[n] * k, k), gq.Slice(positives[n] * k, k));
            TensorPrimitives.MultiplyAdd(pu, -c, gq.Slice(negatives[n] * k, k), gq.Slice(negatives[n] * k, k));
        }
        return loss;
    }

    /// <summary>One Adam update of P and Q on a pair batch; returns the batch's summed loss before it.</summary>
    private double PairBatchStep(ReadOnlySpan<int> users, ReadOnlySpan<int> positives, ReadOnlySpan<int> negatives)
    {
        double loss = PairBatchGradients(users, positives, negatives);
        if (!double.IsFinite(loss)) return loss;
        AddWeightDecay();
        _pOptimizer!.Step();
        QOptimizer.Step();
        return loss;
    }

    /// <summary>PyTorch Adam's weight_decay: lambda * theta joins the gradient of every row of P and Q.</summary>
    internal void AddWeightDecay()
    {
        if (Hyper.WeightDecay == 0) return;
        float lambda = (float)Hyper.WeightDecay;
        TensorPrimitives.MultiplyAdd(P!.Span(UserFactors), lambda, _pGradient!.Span(UserFactors), _pGradient.Span(UserFactors));
        TensorPrimitives.MultiplyAdd(Q.Span(ItemFactors), lambda, QGradient.Span(ItemFactors), QGradient.Span(ItemFactors));
    }

    private void EnsureUsers(int users)
    {
        if (P is not null)
        {
            if (P.Segment(UserFactors).Rows != users)
                throw new ArgumentException($"the training matrix has {users} rows but the model holds factors for {P.Segment(UserFactors).Rows} training users; one model trains on one matrix");
            return;
        }
        if (users <= 0) throw new ArgumentException($"training needs at least one user, got {users}");
        P = new FlatParameters([(UserFactors, users, _k, true)]);
        _pGradient = P.SameLayout();
        _pOptimizer = NewAdam(P, _pGradient);
        FillStandardNormal(new SeededRandom(_initSeed), P.Span(UserFactors));
    }

    private TfAdam NewAdam(FlatParameters parameters, FlatParameters gradients) =>
        new(parameters, gradients, Hyper.LearningRate, Beta1, Beta2, Epsilon, epsilonAfterBiasCorrection: true);

    // ---------------------------------------------------------------- fold-in and scoring

    /// <summary>
    /// Scores every item for each of <paramref name="rows"/> of <paramref name="foldIn"/>:
    /// &lt;p_v, q_i&gt; with p_v fitted on the row's items (<see cref="FitUser"/>); fold-in items get
    /// negative infinity.
    /// </summary>
    public override void Score(CsrMatrix foldIn, ReadOnlySpan<int> rows, Span<float> output)
    {
        CheckMatrix(foldIn);
        if (output.Length < (long)rows.Length * Items) throw new ArgumentException($"output holds {output.Length} floats, needs {(long)rows.Length * Items}");
        _chunkUsers ??= new AlignedBuffer(ScoreChunk, _k);
        _chunkScores ??= new AlignedBuffer(ScoreChunk, Items);
        var rowArray = rows.ToArray();
        for (int start = 0; start < rowArray.Length; start += ScoreChunk)
        {
            int b = Math.Min(ScoreChunk, rowArray.Length - start);
            var factors = _chunkUsers.Data;
            int at = _chunkUsers.Offset;
            Parallel.For(0, b, TorchRuntime.Parallelism, u => FitUser(foldIn.Row(rowArray[start + u]), factors.AsSpan(at + u * _k, _k)));
            using (torch.NewDisposeScope())
                _chunkScores.Tensor.narrow(0, 0, b).addmm_(_chunkUsers.Tensor.narrow(0, 0, b), Q.Tensor(ItemFactors).t(), 0f, 1f);
            for (int u = 0; u < b; u++)
            {
                var target = output.Slice((start + u) * Items, Items);
                _chunkScores.Span.Slice(u * Items, Items).CopyTo(target);
                foreach (int i in foldIn.Row(rowArray[start + u])) target[i] = float.NegativeInfinity;
            }
        }
    }

    /// <summary>
    /// p_v for a user with fold-in items <paramref name="positives"/>, Q frozen: from 0, FoldInEpochs
    /// epochs, each drawing one negative per positive and taking PyTorch-Adam updates of PairBatch pairs
    /// (in row order; one update per epoch for rows up to PairBatch long) on -sum log sigmoid(s_vi - s_vj).
    /// Deterministic: the negatives' generator is seeded by the model's fold-in seed and the items.
    /// An empty row, or one with every item, keeps p_v = 0.
    /// </summary>
    public void FitUser(ReadOnlySpan<int> positives, Span<float> factors)
    {
        if (factors.Length != _k) throw new ArgumentException($"factors hold {factors.Length} floats, expected {_k}");
        factors.Clear();
        int n = positives.Length;
        if (n == 0 || n >= Items) return;
        var qData = Q.Span(ItemFactors);
        var random = new SeededRandom(TrainingDriver.DeriveSeed(_foldInSeed, RowHash(positives)));
        var mark = _threadMark is { } held && held.Length >= Items ? held : (_threadMark = new bool[Items]);
        var negatives = new int[n];
        var gradient = new float[_k];
        var difference = new float[_k];
        var m = new float[_k];
        var v = new float[_k];
        long step = 0;
        for (int epoch = 0; epoch < Hyper.FoldInEpochs; epoch++)
        {
            SampleNegatives(positives, Items, random, mark, negatives);
            for (int start = 0; start < n; start += Hyper.PairBatch)
            {
                int end = Math.Min(n, start + Hyper.PairBatch);
                gradient.AsSpan().Clear();
                for (int a = start; a < end; a++)
                {
                    TensorPrimitives.Subtract(qData.Slice(positives[a] * _k, _k), qData.Slice(negatives[a] * _k, _k), difference);
                    double x = TensorPrimitives.Dot((ReadOnlySpan<float>)factors, difference);
                    TensorPrimitives.MultiplyAdd(difference, (float)-Sigmoid(-x), gradient, gradient);
                }
                if (Hyper.WeightDecay != 0) TensorPrimitives.MultiplyAdd((ReadOnlySpan<float>)factors, (float)Hyper.WeightDecay, gradient, gradient);
                AdamRow(factors, gradient, m, v, ++step, Hyper.FoldInLearningRate);
            }
        }
    }

    /// <summary>The fold-in objective -sum log sigmoid(s_vi - s_vj) of one user for given negatives (for tests).</summary>
    public double PairLoss(ReadOnlySpan<float> factors, ReadOnlySpan<int> positives, ReadOnlySpan<int> negatives)
    {
        var qData = Q.Span(ItemFactors);
        var difference = new float[_k];
        double loss = 0;
        for (int a = 0; a < positives.Length; a++)
        {
            TensorPrimitives.Subtract(qData.Slice(positives[a] * _k, _k), qData.Slice(negatives[a] * _k, _k), difference);
            loss += Softplus(-TensorPrimitives.Dot(factors, difference));
        }
        return loss;
    }

    /// <summary>torch.optim.Adam on one row: m, v moments; p -= lr m_hat / (sqrt(v_hat) + eps).</summary>
    public static void AdamRow(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, long step, double learningRate)
    {
        double c1 = 1 - Math.Pow(Beta1, step), c2 = 1 - Math.Pow(Beta2, step);
        for (int a = 0; a < p.Length; a++)
        {
            m[a] = (float)(Beta1 * m[a] + (1 - Beta1) * g[a]);
            v[a] = (float)(Beta2 * v[a] + (1 - Beta2) * g[a] * g[a]);
            p[a] -= (float)(learningRate * (m[a] / c1) / (Math.Sqrt(v[a] / c2) + Epsilon));
        }
    }

    /// <summary>FNV-1a over the row's item ids: the fold-in generator's label for this row.</summary>
    private static ulong RowHash(ReadOnlySpan<int> items)
    {
        ulong h = 14695981039346656037UL;
        foreach (int i in items) { h ^= (uint)i; h *= 1099511628211UL; }
        return h;
    }

    private static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    /// <summary>log(1 + e^x) without overflow: -log sigmoid(-x).</summary>
    private static double Softplus(double x) => x > 0 ? x + Math.Log(1 + Math.Exp(-x)) : Math.Log(1 + Math.Exp(x));

    private static void FillStandardNormal(SeededRandom random, Span<float> target)
    {
        for (int a = 0; a < target.Length; a++) target[a] = (float)random.NextNormal();
    }

    // ---------------------------------------------------------------- save and load

    private const string ArchiveKind = "BprMf";
    private const int ArchiveVersion = 1;

    /// <summary>Writes Q, P and the fold-in seed (and, with <paramref name="withOptimizer"/>, both Adams' states) atomically.</summary>
    public override void Save(string path, bool withOptimizer) =>
        BinaryArchive.Write(path, ArchiveKind, ArchiveVersion, Q.LayoutKey, w =>
        {
            w.Write(unchecked((long)_foldInSeed));
            w.Write(Q.Data);
            w.Write(P?.Segment(UserFactors).Rows ?? 0);
            if (P is not null) w.Write(P.Data);
            w.Write(withOptimizer ? 1 : 0);
            if (withOptimizer)
            {
                WriteAdam(w, QOptimizer);
                if (_pOptimizer is not null) WriteAdam(w, _pOptimizer);
            }
        });

    private static void WriteAdam(ArchiveWriter w, TfAdam adam)
    {
        w.Write(adam.Steps);
        w.Write(adam.FirstMoment);
        w.Write(adam.SecondMoment);
    }

    /// <summary>Reads what <see cref="Save"/> wrote for this item count and Factors; restores the optimisers' state when the file holds it.</summary>
    public override void Load(string path) =>
        BinaryArchive.Read(path, ArchiveKind, ArchiveVersion, Q.LayoutKey, r =>
        {
            ulong foldInSeed = unchecked((ulong)r.ReadInt64());
            var q = r.ReadSingleArray();
            if (q.Length != Q.Data.Length) throw new StaleCacheException(path, $"holds {q.Length} item-factor values, expected {Q.Data.Length}");
            int users = r.ReadInt32();
            if (users < 0 || (P is not null && users != P.Segment(UserFactors).Rows))
                throw new StaleCacheException(path, $"holds factors for {users} training users, the model has {P?.Segment(UserFactors).Rows ?? 0}");
            float[]? p = null;
            if (users > 0)
            {
                EnsureUsers(users);
                p = r.ReadSingleArray();
                if (p.Length != P!.Data.Length) throw new StaleCacheException(path, $"holds {p.Length} user-factor values, expected {P.Data.Length}");
            }
            if (r.ReadInt32() == 1)
            {
                ReadAdam(r, QOptimizer, path);
                if (users > 0) ReadAdam(r, _pOptimizer!, path);
            }
            q.CopyTo(Q.Data, 0);
            p?.CopyTo(P!.Data, 0);
            _foldInSeed = foldInSeed;
            return 0;
        });

    private static void ReadAdam(ArchiveReader r, TfAdam adam, string path)
    {
        long steps = r.ReadInt64();
        var m = r.ReadSingleArray();
        var v = r.ReadSingleArray();
        if (m.Length != adam.FirstMoment.Length || v.Length != adam.SecondMoment.Length)
            throw new StaleCacheException(path, "holds optimiser state of another shape");
        adam.Restore(steps, m, v);
    }

    /// <summary>No KL term: beta is ignored.</summary>
    public override BatchLoss TrainStep(CsrMatrix data, ReadOnlySpan<int> rows, double beta) => TrainStep(data, rows);

    /// <summary>Restarts the sampling and shuffling stream (weights are unchanged).</summary>
    public override void Reseed(ulong seed) => _random.Reseed(seed);

    private void CheckMatrix(CsrMatrix data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Columns != Items) throw new ArgumentException($"the matrix has {data.Columns} item columns, the model {Items}");
    }

    public override void Dispose()
    {
        _chunkUsers?.Dispose();
        _chunkScores?.Dispose();
        Q.Dispose();
        QGradient.Dispose();
        P?.Dispose();
        _pGradient?.Dispose();
    }
}
