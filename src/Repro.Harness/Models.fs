/// The model catalogue: one entry per model, the one place that names them. The command line's
/// help and allowed values, `--set`, `repro tune`'s grids, cost estimates, `repro models`, run
/// loading and the contract tests all read it. Adding a model: its folder in Core, one entry here,
/// and the experiments that include it.
module Repro.Harness.Models

open System
open Repro.Core.Models
open Repro.Core.Models.Autoencoder
open Repro.Core.Models.AutoRec
open Repro.Core.Models.BprMf
open Repro.Core.Models.Cdae
open Repro.Core.Models.Cdl
open Repro.Core.Models.Ease
open Repro.Core.Models.Loca
open Repro.Core.Models.MixturePriorVae
open Repro.Core.Models.MultDae
open Repro.Core.Models.MultVae
open Repro.Core.Models.Popularity
open Repro.Core.Models.RecVae
open Repro.Core.Models.Slim
open Repro.Core.Models.Wmf
open Repro.Core.Networks
open Repro.Core.Training

/// A catalogue entry with its hyper record's type: builds specs from typed records.
type Model<'H when 'H: not struct>(entry: ModelEntry) =
    member _.Entry = entry
    /// The paper's settings.
    member _.Paper : 'H = entry.Paper :?> 'H
    /// The model with these settings.
    member _.With(hyper: 'H) : ModelSpec = { Entry = entry; Hyper = box hyper }
    /// The model with the paper's settings.
    member m.Spec = m.With m.Paper
    /// The settings of <paramref name="spec"/> when it is this model.
    member _.HyperOf(spec: ModelSpec) : 'H option =
        if obj.ReferenceEquals(spec.Entry, entry) then Some(spec.Hyper :?> 'H) else None

/// A copy of a C# hyper record with some settings changed (F#'s `with` works on F# records only);
/// the record's Validate() runs, so a grid cannot hold an invalid point.
let tweak (record: 'T) (settings: (string * obj) list) : 'T =
    let text (v: obj) =
        match v with
        | :? IFormattable as f -> f.ToString(null, Globalization.CultureInfo.InvariantCulture)
        | v -> string v
    match Settings.apply record [ for n, v in settings -> n + "=" + text v ] with
    | Ok r -> r
    | Error why -> invalidArg "settings" why

let private entry<'H when 'H: not struct> name aliases label description (paper: 'H) (tiny: 'H) making (grid: 'H -> 'H list) (cost: Shape -> 'H -> float) =
    Model<'H>(
        { Name = name; Aliases = aliases; Label = label; Description = description
          HyperType = typeof<'H>; Paper = box paper; Tiny = box tiny; Making = making
          Grid = fun h -> grid (h :?> 'H) |> List.map box
          Cost = fun s h -> cost s (h :?> 'H) })

/// A model trained by the shared training driver.
let private trained name aliases label description (paper: 'H) tiny (create: int -> 'H -> uint64 -> #ITrainableRecommender) grid cost =
    entry name aliases label description paper tiny (Trained(fun items h seed -> create items (h :?> 'H) seed :> ITrainableRecommender)) grid cost

/// A model fitted in one call and loaded from the file it was saved to.
let private fitted name aliases label description (paper: 'H) tiny (fit: FitContext -> 'H -> #IRecommender) (load: string -> #IRecommender) grid cost =
    entry name aliases label description paper tiny (Fitted((fun context h -> fit context (h :?> 'H) :> IRecommender), (fun path -> load path :> IRecommender))) grid cost

/// A fit's step for progress bars (WMF's sweeps, SLIM's columns).
let private report (context: FitContext) step steps (loss: float) =
    context.Progress.Report(TrainingProgress(TrainingPhase.Training, step, steps, 1, 1, loss, nan, Nullable()))

// ---------------------------------------------------------------- trained

// Each model's hyper record under the catalogue's name, so that experiments and tests reach every
// model's settings by opening this module alone.
type MultVaeHyper = Repro.Core.Models.MultVae.MultVaeHyper
type MultDaeHyper = Repro.Core.Models.MultDae.MultDaeHyper
type RecVaeHyper = Repro.Core.Models.RecVae.RecVaeHyper
type CdaeHyper = Repro.Core.Models.Cdae.CdaeHyper
type BprMfHyper = Repro.Core.Models.BprMf.BprMfHyper
type PopularityHyper = Repro.Core.Models.Popularity.PopularityHyper
type EaseHyper = Repro.Core.Models.Ease.EaseHyper
type WmfHyper = Repro.Core.Models.Wmf.WmfHyper
type SlimHyper = Repro.Core.Models.Slim.SlimHyper
type LocaEaseHyper = Repro.Core.Models.Loca.LocaEaseHyper
type LocaVaeHyper = Repro.Core.Models.Loca.LocaVaeHyper
type AutoencoderHyper = Repro.Core.Models.Autoencoder.AutoencoderHyper
type MixturePriorVaeHyper = Repro.Core.Models.MixturePriorVae.MixturePriorVaeHyper
type AutoRecTopNHyper = Repro.Core.Models.AutoRec.AutoRecTopNHyper
type CdlHyper = Repro.Core.Models.Cdl.CdlHyper

/// Mult-VAE^PR (paper 2.2). Measured: 67 s per epoch at ML-20M's shape (hidden 600, latent 200,
/// batch 500; `repro bench vae`).
let multVae =
    trained "mult-vae" [ "multvae"; "vae" ] "Mult-VAE^PR" "the paper's VAE with a multinomial likelihood and partially regularised (annealed beta) KL"
        MultVaeHyper.Paper (MultVaeHyper(Hidden = 16, Latent = 8, BatchSize = 32, Epochs = 8, TotalAnnealSteps = 20L, LearningRate = 1e-2))
        (fun items h seed -> new MultVae(items, h, seed))
        // The paper anneals beta to 1 once and records the beta at the validation peak (2.2.2);
        // rerunning with that cap is what anneal-cap does, so the cap over {0.1, 0.2, 0.3, 0.5}
        // (0.2 is the notebook's value) stands in for that recording.
        (fun h -> [ for cap in [ 0.1; 0.2; 0.3; 0.5 ] -> tweak h [ "anneal-cap", box cap ] ])
        (fun s h -> 67.0 * Cost.scale s * float h.Epochs * (float (max h.Hidden h.Latent) / 600.0))

/// Mult-DAE (paper 2.3). Measured: 25 s per epoch at ML-20M's shape (hidden 200).
let multDae =
    trained "mult-dae" [ "multdae"; "dae" ] "Mult-DAE" "the paper's denoising autoencoder with a multinomial likelihood"
        MultDaeHyper.Paper (MultDaeHyper(Hidden = 16, BatchSize = 32, Epochs = 8, LearningRate = 1e-2))
        (fun items h seed -> new MultDae(items, h, seed))
        // The paper gives Mult-DAE one setting (dropout 0.5, weight decay 0.01 on ML-20M; spec 2.3).
        (fun h -> [ h ])
        (fun s h -> 25.0 * Cost.scale s * float h.Epochs * (float (max h.Hidden 1) / 200.0))

/// RecVAE (Shenbin et al. 2020). 3 encoder passes + 1 decoder pass: measured 43 s per epoch on
/// Gowalla (23,858 users x 40,981 items), scaled to ML-20M's users x items (0.417 of it): 103 s.
let recVae =
    trained "recvae" [ "rec-vae" ] "RecVAE" "RecVAE: a deeper encoder, a composite prior and alternating encoder and decoder updates"
        RecVaeHyper.Paper (RecVaeHyper(Hidden = 16, Latent = 8, BatchSize = 32, Epochs = 8, LearningRate = 1e-2))
        (fun items h seed -> new RecVae(items, h, seed))
        // Its authors' defaults, one point (spec 4 compares with their published numbers).
        (fun h -> [ h ])
        (fun s h -> 103.0 * Cost.scale s * float h.Epochs)

/// CDAE (Wu et al. 2016) as Liang et al. ran it. Bottleneck 200: about 38 s of steps and 18 s of
/// validation fold-in per epoch at ML-20M's shape (`repro bench cdae`).
let cdae =
    trained "cdae" [] "CDAE" "collaborative denoising autoencoder: a user node added to a denoising autoencoder"
        CdaeHyper.Paper (CdaeHyper(Hidden = 16, BatchSize = 32, Epochs = 8, LearningRate = 1e-2))
        (fun items h seed -> new Cdae(items, h, seed))
        // Spec 2.3: the weight decay over {0.01, 0.1, 1, 10, 100}, "crucial to control overfitting".
        (fun h -> [ for wd in CdaeHyper.WeightDecayGrid -> tweak h [ "weight-decay", box wd ] ])
        (fun s h -> 56.0 * Cost.scale s * float h.Epochs * (float (max h.Hidden 1) / 200.0))

// ---------------------------------------------------------------- the autoencoder family (spec 5)
// One network (Mult-DAE's, Networks/SparseAutoencoder.cs) and one hyper record (AutoencoderHyper,
// whose defaults are Mult-DAE's); each entry is the settings a reader would look for under its name.

/// Seconds per epoch at ML-20M's shape: Mult-DAE's measured 25 s at hidden 200, scaled by the
/// widths' sum; Gaussian noise adds a dense batch x items x first-width product (about as much again).
let private autoencoderCost (s: Shape) (h: AutoencoderHyper) =
    let widths = h.HiddenWidths()
    let noise = if h.GaussianNoise > 0.0 then 2.0 else 1.0
    25.0 * Cost.scale s * float h.Epochs * (float (Array.sum widths) / 200.0) * noise

let private autoencoderTiny (h: AutoencoderHyper) = tweak h [ "hidden", box "16"; "batch-size", box 32; "epochs", box 8; "learning-rate", box 1e-2 ]

let private aeAt (paper: AutoencoderHyper) name aliases label description grid =
    trained name aliases label description paper (autoencoderTiny paper)
        (fun items h seed -> new Autoencoder(items, h, seed)) grid autoencoderCost

/// A plain autoencoder: Mult-DAE's network with no noise and no penalty (spec 5).
let ae =
    aeAt (AutoencoderHyper(KeepProbability = 1.0, WeightDecay = 0.0)) "ae" [ "autoencoder" ] "AE"
        "a plain user-row autoencoder: Mult-DAE's network with no noise and no penalty"
        (fun h -> [ h ])

/// Sparse autoencoder: lam sum_k |h_k| on the code (spec 5 "Sparse"); no noise, no weight decay.
let sparseAe =
    aeAt (AutoencoderHyper(KeepProbability = 1.0, WeightDecay = 0.0, Sparsity = 0.01)) "sparse-ae" [ "sae" ] "Sparse AE"
        "autoencoder with an L1 penalty on the code (sparsity-target for the KL form with sigmoid units)"
        (fun h -> [ for l in [ 1e-3; 1e-2; 1e-1 ] -> tweak h [ "sparsity", box l ] ])

/// Contractive autoencoder: lam ||J_f(x)||_F^2 in closed form (spec 5 "Contractive"); no noise, no weight decay.
let contractiveAe =
    aeAt (AutoencoderHyper(KeepProbability = 1.0, WeightDecay = 0.0, Contractive = 0.01)) "contractive-ae" [ "cae" ] "Contractive AE"
        "autoencoder with the closed-form Jacobian (contractive) penalty on its encoder"
        (fun h -> [ for l in [ 1e-3; 1e-2; 1e-1 ] -> tweak h [ "contractive", box l ] ])

/// Denoising autoencoder with Gaussian noise on the normalised input instead of masking (spec 5 "Denoising").
let gaussianDae =
    aeAt (AutoencoderHyper(KeepProbability = 1.0, GaussianNoise = 0.05)) "gaussian-dae" [ "gdae" ] "DAE (Gaussian noise)"
        "denoising autoencoder with Gaussian input noise (Mult-DAE's weight decay, no masking)"
        (fun h -> [ for s in [ 0.01; 0.05; 0.1 ] -> tweak h [ "gaussian-noise", box s ] ])

/// Stacked denoising autoencoder I -> 600 -> 200 -> 600 -> I with Mult-DAE's masking and weight decay
/// (spec 5 "Stacked", trained end to end: no greedy layer-wise pre-training).
let stackedDae =
    trained "stacked-dae" [ "sdae" ] "Stacked DAE" "denoising autoencoder with two hidden layers each side (600, 200), trained end to end"
        (AutoencoderHyper(Hidden = "600,200"))
        (autoencoderTiny (AutoencoderHyper(Hidden = "600,200")) |> fun h -> tweak h [ "hidden", box "32,16" ])
        (fun items h seed -> new Autoencoder(items, h, seed))
        (fun h -> [ for wd in [ 2e-6; 2e-5; 2e-4 ] -> tweak h [ "weight-decay", box wd ] ])
        autoencoderCost

// ---------------------------------------------------------------- mixture priors (spec 3)

let private mixtureTiny (h: MixturePriorVaeHyper) components =
    tweak h [ "hidden", box 16; "latent", box 8; "batch-size", box 32; "epochs", box 8; "total-anneal-steps", box 20L
              "learning-rate", box 1e-2; "components", box components ]

/// Mult-VAE^PR's cost (67 s per epoch at ML-20M's shape), plus for VampPrior the encoder run on the
/// K pseudo-inputs every update (spec 3.3: the encoder cost of a K-user dense batch), counted as K / 500 batches' worth.
let private mixtureCost (s: Shape) (h: MixturePriorVaeHyper) =
    let vamp = if h.Prior = PriorKind.Vamp then 1.0 + float h.Components / 500.0 else 1.0
    67.0 * Cost.scale s * float h.Epochs * (float (max h.Hidden h.Latent) / 600.0) * vamp

// The paper's beta is the KL's weight, so the penalty grid is the anneal cap's (as Mult-VAE's).
let private capGrid (h: MixturePriorVaeHyper) = [ for cap in [ 0.1; 0.2; 0.5 ] -> tweak h [ "anneal-cap", box cap ] ]

/// Mult-VAE^PR with a 10-component Gaussian-mixture prior, KL by Monte Carlo (spec 3.2 option A).
let multVaeGmm =
    trained "mult-vae-gmm" [ "gmm-vae"; "vae-gmm" ] "Mult-VAE^PR (GMM prior)" "Mult-VAE^PR with a learnt Gaussian-mixture prior over whole latent vectors (Monte-Carlo KL)"
        MixturePriorVaeHyper.Paper (mixtureTiny MixturePriorVaeHyper.Paper 4)
        (fun items h seed -> new MixturePriorVae(items, h, seed)) capGrid mixtureCost

/// Mult-VAE^PR with a VampPrior of 1000 pseudo-inputs (EVCF's number_components; spec 3.3).
let multVaeVamp =
    trained "mult-vae-vamp" [ "vamp-vae"; "vae-vamp" ] "Mult-VAE^PR (VampPrior)" "Mult-VAE^PR with a VampPrior: a mixture of the encoder's posteriors at learnt pseudo-inputs"
        MixturePriorVaeHyper.PaperVamp (mixtureTiny MixturePriorVaeHyper.PaperVamp 8)
        (fun items h seed -> new MixturePriorVae(items, h, seed)) capGrid mixtureCost
/// BPR-MF, the "MF" of LOCA's code base (spec 2: RSPT's BPRMF, October 2020), held-out users' p_v
/// fitted on their fold-in items. Measured: about 20 s an epoch on Gowalla's LightGCN split under the
/// weak protocol (29,858 users x 40,981 items; about 2.5 s of steps, the rest validation's fold-in,
/// scoring and ranking, on a loaded machine), 0.417 of ML-20M's users x items: 48 s at ML-20M's shape.
let bprMf =
    trained "bpr-mf" [ "bprmf" ] "BPR-MF" "matrix factorisation trained by BPR's pairwise loss with one uniform negative per positive"
        BprMfHyper.Paper (BprMfHyper(Factors = 8, PairBatch = 256, BatchSize = 64, Epochs = 20, LearningRate = 0.05, FoldInEpochs = 30, FoldInLearningRate = 0.05))
        (fun items h seed -> new BprMf(items, h, seed))
        // Spec 2 gives one setting (conf/bprmf.json); the grid adds the two values either side of
        // its learning rate, the one setting RSPT's later MF.yaml changes (1e-3).
        (fun h -> [ for lr in [ 1e-3; 1e-2; 5e-2 ] -> tweak h [ "learning-rate", box lr ] ])
        (fun s h -> 48.0 * Cost.scale s * float h.Epochs * float h.Factors / 64.0)

// ---------------------------------------------------------------- fitted

/// Item popularity: the floor every personalised model must beat.
let popularity =
    fitted "popularity" [ "pop" ] "Popularity" "every user gets each item's number of training users"
        PopularityHyper.Paper PopularityHyper.Paper (fun context _ -> Popularity.Fit context.Train) Popularity.Load
        (fun h -> [ h ])
        (fun _ _ -> 0.0)

/// EASE^R (Steck 2019). Measured: 87 s a fit at 20k items; cubic in items.
let ease =
    fitted "ease" [] "EASE" "EASE^R: a closed-form item-item model with a zero diagonal"
        EaseHyper.Paper (EaseHyper(Lambda = 20.0))
        (fun context h ->
            let train = context.Train
            if train.Columns > Ease.Float64Limit && train.Rows < train.Columns then
                context.Say(sprintf "EASE through the users' side: %d x %d user Gram matrix and inverse, then B (%d x %d; lambda %g)" train.Rows train.Rows train.Columns train.Columns h.Lambda)
            else context.Say(sprintf "EASE: Gram matrix and inverse of %d x %d (lambda %g)" train.Columns train.Columns h.Lambda)
            Ease.Fit(train, h, context.Cancel))
        Ease.Load
        // Steck's tuning range for lambda.
        (fun h -> [ for lambda in EaseHyper.LambdaGrid -> tweak h [ "lambda", box lambda ] ])
        (fun s _ -> let items = Cost.itemRatio s in 87.0 * items * items * items)

/// WMF (Hu et al. 2008) by ALS. Measured: 34 s a sweep at ML-20M's shape with K = 200; linear in K.
let wmf =
    fitted "wmf" [] "WMF" "weighted matrix factorisation by alternating least squares"
        WmfHyper.Paper (WmfHyper(Factors = 16, Confidence = 10.0, Lambda = 0.1, Iterations = 10))
        (fun context h ->
            let onIteration (it: WmfIteration) =
                let objective = it.Objective.Invoke()
                context.Say(sprintf "WMF sweep %d/%d: %.1f s, objective %.6g" it.Iteration h.Iterations it.Elapsed.TotalSeconds objective)
                report context it.Iteration h.Iterations objective
            Wmf.Fit(context.Train, h, context.Seed, Action<WmfIteration> onIteration, context.Cancel))
        Wmf.Load
        // Spec 2.3: K in {100, 200} x weight on 1's c in {2, 5, 10, 30, 50, 100}: 12 points.
        (fun h -> [ for k in WmfHyper.FactorsGrid do for c in WmfHyper.ConfidenceGrid -> tweak h [ "factors", box k; "confidence", box c ] ])
        (fun s h -> 34.0 * Cost.scale s * float h.Iterations * float h.Factors / 200.0)

/// SLIM (Ning and Karypis 2011). Measured: a full fit at ML-20M's shape in 183 s at l1 = l2 = 1 (bench
/// slim-full), scaled by items^1.3 x training users^1.05, the exponents fitted to MSD's shape (bench
/// slim-msd, 2,014 s extrapolated) and Gowalla (89 s). Lower l1 costs more (Gowalla at 0.1: 677 s).
let slim =
    fitted "slim" [] "SLIM" "sparse linear item-item model by elastic-net coordinate descent"
        SlimHyper.Paper (SlimHyper(L1 = 0.5, L2 = 1.0))
        (fun context h ->
            let train = context.Train
            let clock = Diagnostics.Stopwatch.StartNew()
            let every = max Slim.ProgressBlock (train.Columns / 20 / Slim.ProgressBlock * Slim.ProgressBlock)
            let onColumns (d: int) =
                if d % every = 0 || d = train.Columns then
                    context.Say(sprintf "SLIM: %d/%d columns, %.0f s" d train.Columns clock.Elapsed.TotalSeconds)
                report context d train.Columns nan
            Slim.Fit(train, h, null, context.Threads, Action<int> onColumns, context.Cancel))
        Slim.Load
        // Spec 2.3: l1 and l2 each in {0.1, 0.5, 1, 5}: 16 points.
        (fun h -> [ for l1 in SlimHyper.PenaltyGrid do for l2 in SlimHyper.PenaltyGrid -> tweak h [ "l1", box l1; "l2", box l2 ] ])
        (fun s _ -> 183.0 * Math.Pow(Cost.itemRatio s, 1.3) * Math.Pow(float s.TrainUsers / float Cost.ml20m.TrainUsers, 1.05))

/// LOCA-EASE (Choi et al. 2021; spec seed-models 1): local EASE models around anchor users, weighted
/// by kernels on a Mult-VAE embedding, the global EASE for users no anchor covers. Local models are
/// fitted while scoring, one at a time (none is kept), so the cost is in the evaluation: each scored
/// set (validation, test; one batch each) fits every anchor that covers one of its users. A local
/// EASE is solved over min(items, training users) (Ease.Fit goes through the users when they are
/// fewer): measured 4 s on CiteULike-a's 4,551 users on one thread at load 7 (about 2 s idle on two),
/// 8.2 s on AMusic's (leave-5-by-time) under load; cubic in that size beyond, at least 1 s. Plus the
/// embedding Mult-VAE [I-200-I] (22 s an epoch at ML-20M's shape, as `loca-vae`) and the global EASE.
let locaEase =
    fitted "loca-ease" [ "locaease" ] "LOCA-EASE" "local EASE models around anchor users, combined by kernel weights on a Mult-VAE embedding (Choi et al. 2021)"
        LocaEaseHyper.Paper
        (LocaEaseHyper(Anchors = 4, EmbeddingLatent = 8, EmbeddingEpochs = 20, EmbeddingBatchSize = 32, EmbeddingLearningRate = 1e-2, LocalLambda = 10.0, GlobalLambda = 20.0))
        (fun context h -> LocaEase.Fit(context.Train, h, context.Seed, Action<string> context.Say, context.Cancel, Option.toObj context.CacheDir))
        LocaEase.Load
        // The local lambda around the code's 1000 (the bandwidths and q are the code's).
        (fun h -> [ for lambda in [ 300.0; 1000.0; 3000.0 ] -> tweak h [ "local-lambda", box lambda ] ])
        (fun s h ->
            let items = Cost.itemRatio s
            let perFit = max 1.0 (2.0 * Math.Pow(float (min s.Items s.TrainUsers) / 4551.0, 3.0))
            22.0 * Cost.scale s * float h.EmbeddingEpochs * float h.EmbeddingLatent / 200.0
            + 87.0 * items * items * items + 2.0 * float h.Anchors * perFit)

/// LOCA-VAE (Choi et al. 2021; spec seed-models 1): local Mult-VAEs [I-200-I] around anchor users,
/// trained with kernel-weighted likelihoods, combined by kernel weights on the global Mult-VAE's
/// embedding, the global Mult-VAE for users no anchor covers. Cost: the global Mult-VAE's epochs
/// plus q x local epochs, a local epoch costing 1.3 global ones (measured on AMusic, every user
/// weighted: 3.6 s against 2.8 s in the same run) times the fraction of users the training kernel
/// weights (taken as 1, an upper bound). A Mult-VAE [I-200-I] epoch costs 22 s at ML-20M's shape
/// (the 600-wide Mult-VAE's 67 s, `repro bench vae`, x 200 / 600). q is the upper bound of the
/// distinct anchors (coverage may stop or repeat earlier).
let locaVae =
    fitted "loca-vae" [ "locavae" ] "LOCA-VAE" "local Mult-VAEs around anchor users, trained on kernel-weighted users and combined by kernel weights (Choi et al. 2021)"
        LocaVaeHyper.Paper
        (LocaVaeHyper(Anchors = 3, Latent = 8, GlobalEpochs = 20, LocalEpochs = 10, BatchSize = 32, LearningRate = 1e-2))
        (fun context h -> LocaVae.Fit(context.Train, h, context.Seed, Action<string> context.Say, context.Cancel, Option.toObj context.Validation, Option.toObj context.CacheDir))
        LocaVae.Load
        // The local epochs (fixed: the code early-stops each local model on test) and q.
        (fun h -> [ for e in [ 30; 60; 120 ] -> tweak h [ "local-epochs", box e ] ])
        (fun s h -> 22.0 * Cost.scale s * (float h.GlobalEpochs + 1.3 * float h.Anchors * float h.LocalEpochs) * float h.Latent / 200.0)

// ---------------------------------------------------------------- AutoRec for top-N (spec seed-models 4.4)

/// Full-batch RProp on the dense training matrix: about 6 products of users x items x hidden a
/// iteration (forward, and backward through both layers), at an assumed 50 GFLOP/s on this machine.
let private autoRecCost (s: Shape) (h: AutoRecTopNHyper) =
    float h.Iterations * 12.0 * float s.TrainUsers * float s.Items * float h.Hidden / 50e9

let private autoRecAt kind name label description =
    fitted name [] label description
        AutoRecTopNHyper.Paper (AutoRecTopNHyper(Hidden = 16, Lambda = 1.0, Iterations = 60, StepSize = 0.01))
        (fun context h ->
            let onIteration (it: int) (loss: float) =
                if it % 20 = 0 || it = h.Iterations then context.Say(sprintf "%s iteration %d/%d: loss %.6g" label it h.Iterations loss)
                report context it h.Iterations loss
            AutoRecTopN.Fit(context.Train, kind, h, context.Seed, Action<int, float> onIteration, context.Cancel))
        AutoRecTopN.Load
        // AutoRec's lambda grid (§3), the part that matters beside a squared error summed over all entries.
        (fun h -> [ for l in [ 10.0; 100.0; 1000.0 ] -> tweak h [ "lambda", box l ] ])
        autoRecCost

/// U-AutoRec on 0/1 data with every entry observed: user rows in, held-out users encoded from their fold-in rows.
let uAutoRec =
    autoRecAt AutoRecKind.UserBased "u-autorec" "U-AutoRec (all entries observed)"
        "U-AutoRec as a plain (non-denoising) autoencoder of 0/1 user rows, every entry observed; inductive"

/// I-AutoRec on 0/1 data with every entry observed: item columns in; a held-out user's output row by ridge regression.
let iAutoRec =
    autoRecAt AutoRecKind.ItemBased "i-autorec" "I-AutoRec (all entries observed)"
        "I-AutoRec as a plain (non-denoising) autoencoder of 0/1 item columns, every entry observed; held-out users' output rows by ridge regression on the item codes"

/// CDL (Wang, Wang, Yeung 2015; spec seed-models 6.1): a stacked denoising autoencoder on item
/// content coupled to WMF, MAP by block coordinate ascent; a held-out user is WMF's fold-in with V
/// fixed. Needs the dataset's item content (CiteULike-a's tags); refused elsewhere. Cost: WMF's ALS at
/// K (34 s a sweep at ML-20M's shape and K = 200) plus the SDAE's epochs, each about 12 x items x S x
/// hidden FLOPs. Measured with 1 thread on CiteULike-a (16,980 items, S = 8000): 14.4 s a
/// pre-training epoch, 16.5 s an outer iteration (2.3e10 FLOP/s for the SDAE).
let cdl =
    fitted "cdl" [ "collaborative-deep-learning" ] "CDL" "Collaborative Deep Learning: an SDAE on item content coupled to weighted MF (needs item content)"
        CdlHyper.Paper (CdlHyper(Factors = 8, LambdaU = 0.1, LambdaV = 1.0, Vocabulary = 32, Hidden = 16, Iterations = 8, PretrainEpochs = 3, BatchSize = 32, LearningRate = 1e-2))
        (fun context h ->
            match context.ItemContent h.Vocabulary with
            | Error why -> invalidOp (sprintf "CDL needs item content: %s" why)
            | Ok content ->
                context.Say(sprintf "CDL: content %d items x %d terms (%d stored), SDAE [%d, %d, %d], %d outer iterations" content.Rows content.Columns content.NonZeros content.Columns h.Hidden h.Factors h.Iterations)
                let onIteration (it: CdlIteration) =
                    context.Say(sprintf "CDL iteration %d/%d: %.1f s, SDAE loss %.6g per item" it.Iteration h.Iterations it.Elapsed.TotalSeconds it.SdaeLoss)
                    report context it.Iteration h.Iterations it.SdaeLoss
                Cdl.Fit(context.Train, content, h, context.Seed, Action<CdlIteration> onIteration, context.Cancel, Action<string> context.Say))
        Cdl.Load
        // The paper grid-searches lambda_u, lambda_v, lambda_n and lambda_w; lambda_v (the content's pull) is the one CDL turns on.
        (fun h -> [ for lv in [ 1.0; 10.0; 100.0 ] -> tweak h [ "lambda-v", box lv ] ])
        (fun s h ->
            let sdaeEpoch = 12.0 * float s.Items * float h.Vocabulary * float h.Hidden / 2.3e10
            let sweep = 34.0 * Cost.scale s * float h.Factors / 200.0
            float h.Iterations * (sweep + float h.SdaeEpochs * sdaeEpoch) + float h.PretrainEpochs * sdaeEpoch)

/// Every model, in the order help texts and `repro models` list them.
let all : ModelEntry list =
    [ multVae.Entry; multDae.Entry; recVae.Entry; cdae.Entry; bprMf.Entry; popularity.Entry; ease.Entry; wmf.Entry; slim.Entry
      ae.Entry; sparseAe.Entry; contractiveAe.Entry; gaussianDae.Entry; stackedDae.Entry; multVaeGmm.Entry; multVaeVamp.Entry
      locaEase.Entry; locaVae.Entry; uAutoRec.Entry; iAutoRec.Entry; cdl.Entry ]

/// Every model's command-line name.
let names = all |> List.map (fun e -> e.Name)

/// The model called <paramref name="name"/> (or one of its aliases), case-insensitively.
let tryFind (name: string) =
    let n = name.Trim().ToLowerInvariant()
    all |> List.tryFind (fun e -> e.Name = n || List.contains n e.Aliases)

/// The model called <paramref name="name"/>; an unknown name is an error that lists the models.
let find (name: string) : Result<ModelEntry, string> =
    match tryFind name with
    | Some e -> Ok e
    | None -> Error(sprintf "unknown model '%s'; models: %s" name (String.concat ", " names))
