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

/// One run as a runner or `repro train` asks for it: which data, which model with which settings,
/// which seed. Everything needed to do it again.
type RunRequest =
    { /// A registry name (see `repro data list`); with Split, a label for the imported split.
      Dataset: string
      /// "pro-sg:DIR" trains on a split in the notebook's layout instead of building one.
      Split: string option
      /// "strong" (the paper's) or "weak" (the dataset's fixed train/test split).
      Protocol: string
      /// Held-out users per set for the strong protocol; None: the dataset's own.
      Heldout: int option
      Model: ModelSpec.ModelSpec
      Seed: uint64
      Threads: int
      /// The command line that reproduces the run, recorded in run.json.
      Command: string }

/// The data for the request's protocol, from a pro_sg folder or the dataset registry; also the
/// dataset's label for run.json. <paramref name="say"/> gets progress messages.
let loadData (dataDir: string) (request: RunRequest) (say: string -> unit) : Result<RunData * string, string> =
    match request.Split with
    | Some spec when spec.StartsWith "pro-sg:" ->
        let dir = spec.Substring "pro-sg:".Length
        try Ok(strong (ProSgFormat.Import dir), sprintf "pro_sg split from %s" (Path.GetFullPath dir))
        with
        | :? Repro.Core.Data.DataFormatException as e -> Error e.Message
        | :? IOException as e -> Error e.Message
    | Some spec -> Error(sprintf "--split takes pro-sg:DIR; got '%s'" spec)
    | None ->
        Datasets.find request.Dataset
        |> Result.bind (fun d ->
            match request.Protocol with
            | "strong" ->
                Prepare.prepare dataDir (Prepare.cacheDir dataDir) d request.Heldout say
                |> Result.map (fun p -> strong p.Split, d.Name)
            | "weak" ->
                match d.FixedSplit, Datasets.locate dataDir d with
                | None, _ -> Error(sprintf "%s has no fixed train/test split; --protocol weak needs one (gowalla has)" d.Name)
                | _, Error why -> Error why
                | Some read, Ok _ ->
                    let split, itemIds = read (Datasets.folderOf dataDir d)
                    Ok(weak split itemIds, d.Name)
            | other -> Error(sprintf "--protocol takes strong or weak; got '%s'" other))

/// The trained model for <paramref name="spec"/>; Error for a model that is fitted, not trained.
let createModel (spec: ModelSpec.ModelSpec) (items: int) (seed: uint64) : Result<ITrainableRecommender, string> =
    try
        match spec with
        | ModelSpec.MultVae h -> Ok(new Repro.Core.Models.MultVae.MultVae(items, h, seed) :> ITrainableRecommender)
        | ModelSpec.MultDae h -> Ok(new Repro.Core.Models.MultDae.MultDae(items, h, seed) :> ITrainableRecommender)
        | ModelSpec.Cdae h -> Ok(new Repro.Core.Models.Cdae.Cdae(items, h, seed) :> ITrainableRecommender)
        | ModelSpec.RecVae h -> Ok(new Repro.Core.Models.RecVae.RecVae(items, h, seed) :> ITrainableRecommender)
        | other -> Error(sprintf "%s is not trained by the training driver yet" other.Name)
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
        RunFolder.writeMetrics folder "test" test data.TestFoldIn
            [ "bestEpoch", float outcome.BestEpoch; "bestValidationNdcg@100", outcome.BestValidationNdcg ]
        { Outcome = outcome; Test = Some test }
    | _ -> { Outcome = outcome; Test = None }

/// Does <paramref name="request"/> into <paramref name="folder"/>: loads its data, builds its model,
/// trains (resuming a run found there) and tests. Errors in the request come back as Error.
let execute (dataDir: string) (folder: string) (request: RunRequest) (say: string -> unit)
            (progress: IProgress<TrainingProgress>) (cancel: Threading.CancellationToken) : Result<RunResult, string> =
    match loadData dataDir request say with
    | Error why -> Error why
    | Ok(data, datasetLabel) ->
        let kind = request.Model
        match createModel kind data.ItemIds.Length (TrainingDriver.DeriveSeed(request.Seed, ReadOnlySpan [| 1UL |])) with
        | Error why -> Error why
        | Ok model ->
            use _ = model
            let description : RunFolder.RunDescription =
                { Dataset = datasetLabel; Model = kind.Name; Settings = kind.Settings; Seed = request.Seed; Protocol = data.Protocol; Command = request.Command }
            say (sprintf "%s on %s (%s): %d training users, %d items; run folder %s" kind.Name datasetLabel data.Protocol data.Train.Rows data.ItemIds.Length folder)
            try Ok(run folder description data model request.Threads progress cancel)
            with
            | :? InvalidOperationException as e -> Error e.Message
            | :? ArgumentException as e -> Error e.Message
