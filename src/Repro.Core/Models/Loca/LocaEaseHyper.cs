namespace Repro.Core.Models.Loca;

/// <summary>
/// Hyperparameters of LOCA-EASE (Choi, Jeong, Lee, Lee, "Local Collaborative Autoencoders", WSDM 2021),
/// as the authors' code runs it (spec seed-models 1.1, 1.2; jin530/LOCA <c>model_config/LOCA_EASE.cfg</c>).
/// </summary>
public sealed record LocaEaseHyper
{
    /// <summary>Local models (anchors) q. Paper: 300 [M] (the slides plot q up to 300; LOCA_EASE.cfg l.2 has the demo value 3).</summary>
    public int Anchors { get; init; } = 300;

    /// <summary>Anchor selection. Paper: random (LOCA_EASE.cfg l.4; LOCA-VAE uses coverage).</summary>
    public LocaAnchorSelection AnchorSelection { get; init; } = LocaAnchorSelection.Random;

    /// <summary>Bandwidth h_train of the training kernel, in angular distance units (d in [0, 2]). Paper: 0.6 (LOCA_EASE.cfg l.7).</summary>
    public double TrainBandwidth { get; init; } = 0.6;

    /// <summary>Bandwidth h_test of the inference kernel (and of coverage). Paper: 0.5 (LOCA_EASE.cfg l.8).</summary>
    public double TestBandwidth { get; init; } = 0.5;

    /// <summary>EASE's lambda in each local model, on the rescaled Gram X^T diag(t I / sum t) X. Paper: 1000 (LOCA_EASE.cfg l.12).</summary>
    public double LocalLambda { get; init; } = 1000;

    /// <summary>EASE's lambda in the global (fallback) model. Paper: 100 (EASE.cfg l.2).</summary>
    public double GlobalLambda { get; init; } = 100;

    /// <summary>Latent dimension of the embedding Mult-VAE [I-K-I]. Paper: 200 (MultVAE.cfg enc_dims [200]).</summary>
    public int EmbeddingLatent { get; init; } = 200;

    /// <summary>
    /// Training epochs of the embedding Mult-VAE. Ours: 100. The code early-stops on the test set
    /// (main_config.cfg: up to 10000 epochs, patience 50), which Repro does not do; a fixed count
    /// selects on nothing.
    /// </summary>
    public int EmbeddingEpochs { get; init; } = 100;

    /// <summary>Users per batch of the embedding Mult-VAE, in fixed order. Paper: 512 (MultVAE.cfg).</summary>
    public int EmbeddingBatchSize { get; init; } = 512;

    /// <summary>Adam's step size for the embedding Mult-VAE. Paper: 1e-3 (MultVAE.cfg).</summary>
    public double EmbeddingLearningRate { get; init; } = 1e-3;

    /// <summary>
    /// The code's departures (spec seed-models 1.8) where they apply to LOCA-EASE: true: training
    /// users are embedded with input dropout 0.2 (item 3: the model is left in train mode); coverage
    /// candidates are every 10th user by activity and q anchors are taken even when all users are
    /// covered (item 4: the argmax then repeats the first candidate); random anchors are drawn with
    /// replacement. False: embeddings without dropout, every user a candidate, coverage stops when no
    /// candidate adds a user, random anchors without replacement. Paper: true.
    /// </summary>
    public bool Faithful { get; init; } = true;

    /// <summary>Keep probability of the embedding Mult-VAE's input dropout (dropout 0.2 in MultVAE.cfg); not a setting.</summary>
    public const double EmbeddingKeep = LocaEmbedding.Keep;

    /// <summary>The authors' AMusic settings (spec 1.2).</summary>
    public static LocaEaseHyper Paper { get; } = new();

    /// <summary>Throws if a value is out of range.</summary>
    public void Validate()
    {
        if (Anchors < 1) throw new ArgumentOutOfRangeException(nameof(Anchors), $"anchors must be >= 1, got {Anchors}");
        if (!(TrainBandwidth > 0) || !(TestBandwidth > 0) || double.IsInfinity(TrainBandwidth) || double.IsInfinity(TestBandwidth))
            throw new ArgumentOutOfRangeException(nameof(TrainBandwidth), $"bandwidths must be > 0 and finite, got {TrainBandwidth} and {TestBandwidth}");
        if (!(LocalLambda > 0) || !(GlobalLambda > 0) || double.IsInfinity(LocalLambda) || double.IsInfinity(GlobalLambda))
            throw new ArgumentOutOfRangeException(nameof(LocalLambda), $"lambdas must be > 0 and finite, got {LocalLambda} and {GlobalLambda}");
        if (EmbeddingLatent < 1 || EmbeddingEpochs < 1 || EmbeddingBatchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(EmbeddingLatent), "embedding latent, epochs and batch size must be >= 1");
        if (!(EmbeddingLearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(EmbeddingLearningRate), $"learning rate must be > 0, got {EmbeddingLearningRate}");
    }
}
