/// Training one model on one dataset into a run folder: the data for the chosen protocol, the model
/// from its hyperparameter record, the shared training driver, then test metrics from the
/// best-validation weights (notebook cell 66: the best checkpoint is restored for test).
module Repro.Harness.Train

open System
open System.IO
open Repro.Core.Metrics
open Repro.Core.Models
open Repro.Core.Models.MultDae
open Repro.Core.Models.MultVae
open Repro.Core.Protocols
open Repro.Core.Sparse
open Repro.Core.Training

/// What a run trains on, selects on and is tested on, whatever the protocol.
type RunData =
    { Train: CsrMatrix
      Validation: HeldOutSet
      TestFoldIn: CsrMatrix
      TestTarget: CsrMatrix
      /// Original id of each item column.
      ItemIds: string[]
      Protocol: string
      TestMetrics: MetricSpec list }

/// The paper's protocol: held-out users' fold-in predicts their targets.
let strong (split: StrongGeneralizationSplit) =
    { Train = split.Train; Validation = split.Validation; TestFoldIn = split.TestFoldIn; TestTarget = split.TestTarget
      ItemIds = split.ItemIds
      Protocol = sprintf "strong generalisation, %d validation + %d test users" split.Validation.Users split.Test.Users
      TestMetrics = List.ofSeq MetricSpec.Paper }

/// LightGCN's protocol on a fixed split: every user trains; 10% of each training row is carved out
/// for model selection, so test items are never looked at before test; test input is the whole
/// training row. Metrics: LightGCN's recall@20 and ndcg@20, then the paper's.
let weak (split: WeakGeneralizationSplit) (itemIds: string[]) =
    let carved = WeakValidation.Carve(split.Train, 0.1)
    { Train = carved.Fit; Validation = carved.Validation; TestFoldIn = split.Train; TestTarget = split.Test; ItemIds = itemIds
      Protocol = "weak generalisation (fixed train/test split; validation carved from 10% of training rows)"
      TestMetrics = [ MetricSpec.RecallLightGcn 20; MetricSpec.NdcgLightGcn 20 ] @ List.ofSeq MetricSpec.Paper }

type ModelKind =
    | MultVae
    | MultDae
    member m.Name = match m with MultVae -> "mult-vae" | MultDae -> "mult-dae"
    static member Parse(text: string) =
        match text.ToLowerInvariant() with
        | "mult-vae" | "multvae" | "vae" -> Ok MultVae
        | "mult-dae" | "multdae" | "dae" -> Ok MultDae
        | other -> Error(sprintf "unknown model '%s'; models: mult-vae, mult-dae" other)

/// The model with the Paper settings changed by "name=value" assignments; also its settings as text.
let createModel (kind: ModelKind) (items: int) (assignments: string list) (seed: uint64) : Result<ITrainableRecommender * (string * string) list, string> =
    try
        match kind with
        | MultVae ->
            Settings.apply MultVaeHyper.Paper assignments
            |> Result.map (fun h -> (new Repro.Core.Models.MultVae.MultVae(items, h, seed) :> ITrainableRecommender), Settings.describe h)
        | MultDae ->
            Settings.apply MultDaeHyper.Paper assignments
            |> Result.map (fun h -> (new Repro.Core.Models.MultDae.MultDae(items, h, seed) :> ITrainableRecommender), Settings.describe h)
    with :? ArgumentException as e -> Error e.Message

/// Scores every row of <paramref name="foldIn"/> with the model and ranks against the targets.
let evaluate (model: IRecommender) (foldIn: CsrMatrix) (target: CsrMatrix) (metrics: MetricSpec list) (threads: int) =
    Evaluator.Evaluate(model.AsBatchScorer(), foldIn, target, Array.ofList metrics, maxDegreeOfParallelism = threads)

type RunResult =
    { Outcome: TrainingOutcome
      /// Test metrics from the best-validation weights; None unless training completed.
      Test: EvaluationResult option }

/// Trains <paramref name="model"/> into <paramref name="folder"/> (resuming a run found there) and,
/// when training completes, evaluates its best-validation weights on the test users.
let run (folder: string) (description: RunFolder.RunDescription) (data: RunData) (model: ITrainableRecommender)
        (threads: int) (progress: IProgress<TrainingProgress>) (cancel: Threading.CancellationToken) : RunResult =
    Directory.CreateDirectory folder |> ignore
    if not (File.Exists(Path.Combine(folder, "run.json"))) then RunFolder.describe folder description
    File.WriteAllLines(Path.Combine(folder, "items.txt"), data.ItemIds)
    let options = TrainingOptions(RunDirectory = folder, Seed = description.Seed, Threads = threads)
    let outcome = TrainingDriver.Run(model, data.Train, data.Validation, options, progress, cancel)
    match outcome.Status with
    | TrainingStatus.Completed ->
        TrainingDriver.LoadBest(model, folder)
        let test = evaluate model data.TestFoldIn data.TestTarget data.TestMetrics threads
        RunFolder.writeMetrics folder "test" test
            [ "bestEpoch", float outcome.BestEpoch; "bestValidationNdcg@100", outcome.BestValidationNdcg ]
        { Outcome = outcome; Test = Some test }
    | _ -> { Outcome = outcome; Test = None }
