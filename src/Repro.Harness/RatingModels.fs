/// The rating-prediction catalogue (the second task beside top-N recommendation): each rating model
/// by name, with its label, description, settings at their paper values and how to create it. The
/// `ratings` experiment, `repro models` and the rating report read it; Core holds the maths
/// (Repro.Core.Ratings, Models/MatrixFactorization, Models/AutoRec).
module Repro.Harness.RatingModels

open System
open System.Globalization
open System.Security.Cryptography
open System.Text
open Repro.Core.Ratings
open Repro.Core.Models.AutoRec
open Repro.Core.Models.MatrixFactorization
open Repro.Core.Models.MdaCf

/// A rating model with its settings.
type RatingModel =
    | GlobalMean
    | MatrixFactorization of MatrixFactorizationHyper
    | AutoRec of AutoRecHyper
    | MdaCf of MdaCfHyper

let private g (x: float) = x.ToString("R", CultureInfo.InvariantCulture)

/// The catalogue name: global-mean, pmf, biased-mf, i-autorec, u-autorec.
let name (model: RatingModel) =
    match model with
    | GlobalMean -> "global-mean"
    | MatrixFactorization h -> if h.Biases then "biased-mf" else "pmf"
    | AutoRec h -> if h.Kind = AutoRecKind.ItemBased then "i-autorec" else "u-autorec"
    | MdaCf h -> if h.Layers > 1 then "msda-cf" else "mda-cf"

/// The label the papers' tables use.
let label (model: RatingModel) =
    match model with
    | GlobalMean -> "Global mean"
    | MatrixFactorization h -> if h.Biases then "Biased MF" else "PMF"
    | AutoRec h -> (if h.Kind = AutoRecKind.ItemBased then "I-AutoRec" else "U-AutoRec") + (if h.Deep then " (deep)" else "")
    | MdaCf h -> if h.Layers > 1 then "mSDA-CF" else "mDA-CF"

/// Every setting as name=value, in a fixed order (what the settings hash and run folders record).
let settings (model: RatingModel) : (string * string) list =
    match model with
    | GlobalMean -> []
    | MatrixFactorization h ->
        [ "factors", string h.Factors; "biases", (if h.Biases then "true" else "false"); "learning-rate", g h.LearningRate
          "regularization", g h.Regularization; "init-std", g h.InitStd; "epochs", string h.Epochs; "patience", string h.Patience ]
    | AutoRec h ->
        [ "kind", (if h.Kind = AutoRecKind.ItemBased then "item" else "user"); "hidden", string h.Hidden
          "deep", (if h.Deep then "true" else "false"); "activation", (if h.Activation = AutoRecActivation.Sigmoid then "sigmoid" else "identity")
          "lambda", g h.Lambda; "iterations", string h.Iterations; "step-size", g h.StepSize
          "evaluate-every", string h.EvaluateEvery; "patience", string h.Patience ]
    | MdaCf h ->
        [ "factors", string h.Factors; "alpha", g h.Alpha; "beta", g h.Beta; "lambda", g h.Lambda; "learning-rate", g h.LearningRate
          "corruption", g h.Corruption; "ridge", g h.Ridge; "init-std", g h.InitStd; "epochs", string h.Epochs; "patience", string h.Patience
          // Recorded only away from their defaults, so the settings (and hashes) of earlier mDA-CF runs stay as they were.
          if h.Layers <> 1 then "layers", string h.Layers
          if h.Regularization <> MdaCfRegularization.EachRating then
              "regularization", (if h.Regularization = MdaCfRegularization.OncePerEpoch then "once-per-epoch" else "each-rating") ]

/// Side information of a dataset: one feature row per user index and per item index.
type SideInformation = { Users: float32[][]; Items: float32[][] }

/// A new, unfitted model; <paramref name="side"/> gives the dataset's features to models that use them.
let create (side: unit -> Result<SideInformation, string>) (model: RatingModel) : IRatingModel =
    match model with
    | GlobalMean -> new Repro.Core.Ratings.GlobalMean()
    | MatrixFactorization h -> new Repro.Core.Models.MatrixFactorization.MatrixFactorization(h)
    | AutoRec h -> new Repro.Core.Models.AutoRec.AutoRec(h)
    | MdaCf h ->
        match side () with
        | Ok s -> new Repro.Core.Models.MdaCf.MdaCf(h, s.Users, s.Items)
        | Error why -> failwithf "%s needs user and item features: %s" (label model) why

/// 8 hex digits of SHA-256 of the name and settings.
let settingsHash (model: RatingModel) =
    let text = name model + "|" + (settings model |> List.map (fun (n, v) -> n + "=" + v) |> String.concat ";")
    Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes text)).Substring(0, 8).ToLowerInvariant()

/// One catalogue entry: the model at its paper settings, what it is, and its paper grid.
type Entry =
    { Paper: RatingModel
      Description: string
      /// The grid the `ratings` experiment searches on the validation carve.
      Grid: RatingModel list }


/// AutoRec's λ grid (§3, spec §4.1).
let autoRecLambdas = [ 0.001; 0.01; 0.1; 1.0; 100.0; 1000.0 ]

/// The regularisation grid of the MF baselines (ours; mDA-CF chose by 5-fold cross-validation, values not given).
let mfRegularizations = [ 0.05; 0.1; 0.2 ]

/// The SGD step sizes of the MF baselines' grid (ours).
let mfLearningRates = [ 0.003; 0.01 ]

let private mfGrid biases =
    [ for lr in mfLearningRates do
        for r in mfRegularizations -> MatrixFactorization(MatrixFactorizationHyper(Biases = biases, LearningRate = lr, Regularization = r)) ]

let all : Entry list =
    [ { Paper = GlobalMean; Description = "every rating predicted as the training mean: the floor every model must beat"; Grid = [ GlobalMean ] }
      { Paper = MatrixFactorization(MatrixFactorizationHyper(Biases = false))
        Description = "PMF: mean + p_u . q_i by SGD on observed ratings (Salakhutdinov and Mnih 2008; mDA-CF Table 3's PMF)"
        Grid = mfGrid false }
      { Paper = MatrixFactorization(MatrixFactorizationHyper(Biases = true))
        Description = "biased MF: mean + b_u + b_i + p_u . q_i by SGD (Koren et al. 2009; AutoRec's BiasedMF, mDA-CF's Biased PMF)"
        Grid = mfGrid true }
      { Paper = AutoRec(AutoRecHyper(Kind = AutoRecKind.ItemBased))
        Description = "I-AutoRec: autoencoder of each item's ratings, k = 500 sigmoid units, observed-only loss, full-batch RProp (Sedhain et al. 2015)"
        Grid = [ for l in autoRecLambdas -> AutoRec(AutoRecHyper(Kind = AutoRecKind.ItemBased, Lambda = l)) ] }
      { Paper = AutoRec(AutoRecHyper(Kind = AutoRecKind.UserBased))
        Description = "U-AutoRec: autoencoder of each user's ratings, otherwise as I-AutoRec"
        Grid = [ for l in autoRecLambdas -> AutoRec(AutoRecHyper(Kind = AutoRecKind.UserBased, Lambda = l)) ] }
      { Paper = MdaCf(MdaCfHyper())
        Description = "mDA-CF: marginalized denoising autoencoders of user and item features tied to MF factors (Li, Kawale, Fu 2015); MovieLens-100K's u.user and u.item"
        Grid = [ for c in [ 0.1; 0.3; 0.5 ] -> MdaCf(MdaCfHyper(Corruption = c)) ] }
      { Paper = MdaCf(MdaCfHyper(Layers = 3))
        Description = "mSDA-CF: mDA-CF with 3 stacked marginalized denoising layers per side (h = tanh(W h) between them), the middle one tied to the factors (Li, Kawale, Fu 2015)"
        Grid = [ for c in [ 0.1; 0.3; 0.5 ] -> MdaCf(MdaCfHyper(Layers = 3, Corruption = c)) ] } ]

/// The entry called <paramref name="n"/>.
let tryFind (n: string) = all |> List.tryFind (fun e -> String.Equals(name e.Paper, n, StringComparison.OrdinalIgnoreCase))
