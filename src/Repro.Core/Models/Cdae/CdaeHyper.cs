using Repro.Core.Networks;

namespace Repro.Core.Models.Cdae;

/// <summary>
/// Hyperparameters of CDAE (Wu et al., WSDM 2016) as Liang et al. ran it (spec 2.3): user-level
/// minibatches of 500, bottleneck 200, tanh at bottleneck and output, weighted square loss (the
/// Gaussian likelihood of spec 2.4), input dropout, a per-user input node, Adam 1e-3, and weight decay
/// picked from <see cref="WeightDecayGrid"/> by validation NDCG@100.
/// <para>
/// Weight decay scale: <see cref="WeightDecay"/> is lambda relative to the loss <b>summed</b> over a
/// minibatch, as the paper's "weight decay of 0.01" for Mult-DAE is (spec 2.2: NB lam = 0.01 / batch_size
/// on the per-user-mean loss). The model minimises the per-user-mean loss
/// mean_u [l_u + lambda ||V_u||^2] + (lambda / BatchSize) (||W||^2 + ||W'||^2):
/// each batch user's own node is penalised with lambda beside that user's loss (the same per-user
/// objective that fold-in minimises for a held-out user), and the shared weights with lambda per
/// 500-user batch, exactly as Mult-DAE's lam = 0.01 / 500. Biases are not penalised (spec 7 pitfall 10).
/// </para>
/// </summary>
public sealed record CdaeHyper : ITrainingSchedule
{
    /// <summary>Units of the bottleneck (and of each user node V_u). Paper: 200 (spec 2.3, "bottleneck 200").</summary>
    public int Hidden { get; init; } = 200;

    /// <summary>
    /// Probability of keeping an input entry under dropout corruption, in (0, 1]; kept entries are scaled
    /// by 1 / keep (Wu et al. section 3.3, unbiased drop-out corruption). Not stated by Liang et al.; 0.5 is
    /// the input dropout of their Mult-DAE (spec 2.2), whose setup the CDAE baseline shares.
    /// </summary>
    public double KeepProbability { get; init; } = 0.5;

    /// <summary>
    /// lambda of the L2 penalty relative to the minibatch-summed loss (see the class remarks for how it
    /// scales). Paper: selected over {0.01, 0.1, 1, 10, 100} by validation NDCG@100 (spec 2.3); the value
    /// chosen per dataset is not reported, so the default is the grid's smallest, 0.01, which is the
    /// Mult-DAE value (spec 2.2).
    /// </summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>c1, the square loss's weight on an observed item (dimensionless, > c0). Not reported by the paper (spec 2.4); 10 is <see cref="Training.GaussianConfidence.Default"/>.</summary>
    public double PositiveConfidence { get; init; } = 10.0;

    /// <summary>c0, the square loss's weight on an unobserved item (dimensionless). Paper convention: 1 (spec 2.3, WMF "weight on 0's fixed to 1").</summary>
    public double NegativeConfidence { get; init; } = 1.0;

    /// <summary>Adam's step size for the network and the training users' nodes. Paper: 1e-3 (spec 2.3: Adam, as for Mult-DAE).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Users per training minibatch. Paper: 500 (spec 2.3, user-level subsampling "as for Mult-VAE/DAE").</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>Training epochs. Paper: 200 for ML-20M, 100 for Netflix and MSD (spec 2.1 'Epochs', the same budget as the Mult models).</summary>
    public int Epochs { get; init; } = 200;

    /// <summary>
    /// Adam steps that fit a held-out user's node V_u on the fold-in items, the network frozen, starting
    /// from V_u = 0 (0 scores with V_u = 0). No source gives this procedure (spec 2.3); 10 steps at
    /// <see cref="FoldInLearningRate"/> 0.01 let each coordinate travel about as far as a training user's
    /// node does in 100 epochs of one 1e-3 step each, at the cost of about 7 training batches per 500
    /// held-out users.
    /// </summary>
    public int FoldInSteps { get; init; } = 10;

    /// <summary>Adam's step size when fitting a held-out user's node (see <see cref="FoldInSteps"/>). Our choice: 0.01.</summary>
    public double FoldInLearningRate { get; init; } = 0.01;

    /// <summary>
    /// Number format of the output layer's three large matrix products (forward logits, weight gradient, hidden gradient): fp32 (the paper's
    /// arithmetic) or bf16 (bfloat16 operands accumulated in fp32; weights, the tanh square loss and Adam stay fp32;
    /// needs AVX-512 BF16). Our addition, default fp32 (docs/models/cdae.md gives bf16's accuracy).
    /// Left out of run records at fp32, so runs recorded before the setting existed keep their ids.
    /// </summary>
    [OmittedAtDefault("Fp32")]
    public ProductPrecision Precision { get; init; } = ProductPrecision.Fp32;

    public static CdaeHyper Paper { get; } = new();

    /// <summary>The weight-decay grid the paper searches by validation NDCG@100 (spec 2.3: "{0.01, 0.1, ..., 100}").</summary>
    public static IReadOnlyList<double> WeightDecayGrid { get; } = [0.01, 0.1, 1, 10, 100];

    /// <summary>The confidence weights as the Gaussian likelihood takes them.</summary>
    public Training.GaussianConfidence ConfidenceWeights() => new(PositiveConfidence, NegativeConfidence);

    /// <summary>Throws if a value is out of range.</summary>
    public void Validate()
    {
        if (Hidden <= 0) throw new ArgumentOutOfRangeException(nameof(Hidden), $"hidden units must be > 0, got {Hidden}");
        if (!(KeepProbability > 0 && KeepProbability <= 1)) throw new ArgumentOutOfRangeException(nameof(KeepProbability), $"keep probability must be in (0, 1], got {KeepProbability}");
        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay)) throw new ArgumentOutOfRangeException(nameof(WeightDecay), $"weight decay must be finite and >= 0, got {WeightDecay}");
        if (!(NegativeConfidence > 0) || double.IsInfinity(NegativeConfidence)) throw new ArgumentOutOfRangeException(nameof(NegativeConfidence), $"negative confidence c0 must be finite and > 0, got {NegativeConfidence}");
        if (!(PositiveConfidence >= NegativeConfidence) || double.IsInfinity(PositiveConfidence))
            throw new ArgumentOutOfRangeException(nameof(PositiveConfidence), $"positive confidence c1 must be finite and >= c0 = {NegativeConfidence}, got {PositiveConfidence}");
        if (!(LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), $"learning rate must be > 0, got {LearningRate}");
        if (BatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(BatchSize), $"batch size must be > 0, got {BatchSize}");
        if (Epochs <= 0) throw new ArgumentOutOfRangeException(nameof(Epochs), $"epochs must be > 0, got {Epochs}");
        if (FoldInSteps < 0) throw new ArgumentOutOfRangeException(nameof(FoldInSteps), $"fold-in steps must be >= 0, got {FoldInSteps}");
        if (!(FoldInLearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(FoldInLearningRate), $"fold-in learning rate must be > 0, got {FoldInLearningRate}");
    }
}
