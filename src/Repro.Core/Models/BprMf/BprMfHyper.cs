namespace Repro.Core.Models.BprMf;

/// <summary>
/// Hyperparameters of BPR-MF as the "MF" of LOCA's code base runs it (spec 2: RSPT
/// <c>models/BPRMF.py</c> and <c>conf/bprmf.json</c> at commit 6e32715, October 2020): score
/// &lt;p_u, q_i&gt; without biases, one uniformly drawn non-positive per training positive per
/// epoch, loss -sum log sigmoid(s_ui - s_uj) over a batch of pairs, Adam without weight decay.
/// <para>
/// Two batch sizes: <see cref="PairBatch"/> is the paper's (pairs per Adam update);
/// <see cref="BatchSize"/> is the training driver's minibatch (users whose positives one driver step
/// turns into shuffled pair batches; see <see cref="BprMf"/>).
/// </para>
/// </summary>
public sealed record BprMfHyper : ITrainingSchedule
{
    /// <summary>Dimension of p_u and q_i. Paper: 64 (spec 2, RSPT conf/bprmf.json <c>hidden_dim</c>).</summary>
    public int Factors { get; init; } = 64;

    /// <summary>Adam's step size (PyTorch's Adam, no weight decay). Paper: 0.01 (spec 2, conf/bprmf.json <c>lr</c>).</summary>
    public double LearningRate { get; init; } = 0.01;

    /// <summary>(user, positive, negative) pairs per Adam update; the loss is summed over them. Paper: 4096 (spec 2, conf/bprmf.json <c>batch_size</c>).</summary>
    public int PairBatch { get; init; } = 4096;

    /// <summary>
    /// Users per training-driver step: each step draws the negatives of these users' positives,
    /// shuffles the pairs and takes Adam updates of <see cref="PairBatch"/> pairs over them. Ours (RSPT
    /// shuffles all pairs of an epoch at once): 8192 users give each 4096-pair batch pairs of thousands
    /// of users, as a whole-epoch shuffle would, while the driver still checkpoints and reports several
    /// times an epoch on the larger datasets.
    /// </summary>
    public int BatchSize { get; init; } = 8192;

    /// <summary>Training epochs (passes over every training positive). Paper: 300 (spec 2, conf/bprmf.json <c>num_epochs</c>; RSPT also stops early after 50 non-improving evaluations, the driver runs every epoch and keeps the best).</summary>
    public int Epochs { get; init; } = 300;

    /// <summary>
    /// Epochs of fitting a held-out user's p_v on the fold-in items (item factors frozen, same loss and
    /// sampler, p_v from 0). No source: RSPT evaluates training users only (spec 2). Ours: 25, the best
    /// of {3, 10, 25, 50, 200} at <see cref="FoldInLearningRate"/> 0.01 by validation NDCG@100 on
    /// ML-100K's reference split (300 epochs; docs/models/bpr-mf.md): a p_v that moves less than a full
    /// fit ranks better, so the epoch count acts as the fold-in's only regulariser.
    /// </summary>
    public int FoldInEpochs { get; init; } = 25;

    /// <summary>Adam's step size when fitting a held-out user's p_v (see <see cref="FoldInEpochs"/>). Ours: 0.01, the training rate.</summary>
    public double FoldInLearningRate { get; init; } = 0.01;

    /// <summary>
    /// PyTorch Adam's <c>weight_decay</c>: lambda * theta added to the gradient of every row of P and Q at
    /// every update (and to p_v's when a held-out user is fitted), the gradient of
    /// lambda/2 (|P|^2 + |Q|^2). Paper: 0 (spec 2: RSPT's Adam has none). Ours for sparse data: with
    /// none, an item with a handful of events keeps most of its N(0, 1) initial factors, which
    /// outweigh what the few events taught it (docs/models/bpr-mf.md). Left out of run records at 0.
    /// </summary>
    [OmittedAtDefault("0")]
    public double WeightDecay { get; init; }

    public static BprMfHyper Paper { get; } = new();

    /// <summary>Throws if a value is out of range.</summary>
    public void Validate()
    {
        if (Factors <= 0) throw new ArgumentOutOfRangeException(nameof(Factors), $"factors must be > 0, got {Factors}");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), $"learning rate must be finite and > 0, got {LearningRate}");
        if (PairBatch <= 0) throw new ArgumentOutOfRangeException(nameof(PairBatch), $"pair batch must be > 0, got {PairBatch}");
        if (BatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(BatchSize), $"batch size (users per driver step) must be > 0, got {BatchSize}");
        if (Epochs <= 0) throw new ArgumentOutOfRangeException(nameof(Epochs), $"epochs must be > 0, got {Epochs}");
        if (FoldInEpochs < 0) throw new ArgumentOutOfRangeException(nameof(FoldInEpochs), $"fold-in epochs must be >= 0, got {FoldInEpochs}");
        if (!(FoldInLearningRate > 0) || double.IsInfinity(FoldInLearningRate)) throw new ArgumentOutOfRangeException(nameof(FoldInLearningRate), $"fold-in learning rate must be finite and > 0, got {FoldInLearningRate}");
        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay)) throw new ArgumentOutOfRangeException(nameof(WeightDecay), $"weight decay must be finite and >= 0, got {WeightDecay}");
    }
}
