/// One model on one dataset into a run folder: the data for the chosen protocol, the model from its
/// hyperparameter record, then validation and test metrics. Trained models go through the shared
/// training driver and are evaluated with their best-validation weights (notebook cell 66: the best
/// checkpoint is restored for test); fitted models (popularity, EASE, WMF, SLIM) are fitted once on
/// the training users and saved as model.bin.
module Repro.Harness.Train

open System
open System.IO
open Repro.Core.Metrics
open Repro.Core.Models
open Repro.Core.Models.MultDae
open Repro.Core.Models.MultVae
open Repro.Core.Models.Ease
open Repro.Core.Models.Popularity
open Repro.Core.Models.Slim
open Repro.Core.Models.Wmf
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
            | "weak" | "weak-refit" ->
                match d.FixedSplit, Datasets.locate dataDir d with
                | None, _ -> Error(sprintf "%s has no fixed train/test split; --protocol weak needs one (gowalla has)" d.Name)
                | _, Error why -> Error why
                | Some read, Ok _ ->
                    let split, itemIds = read (Datasets.folderOf dataDir d)
                    Ok(weak split itemIds, d.Name)
            | other -> Error(sprintf "--protocol takes strong, weak or weak-refit; got '%s'" other))

/// The trained model for <paramref name="spec"/>; Error for a model that is fitted, not trained.
let createModel (spec: ModelSpec.ModelSpec) (items: int) (seed: uint64) : Result<ITrainableRecommender, string> =
    try
        match spec with
        | ModelSpec.MultVae h -> Ok(new Repro.Core.Models.MultVae.MultVae(items, h, seed) :> ITrainableRecommender)
        | ModelSpec.MultDae h -> Ok(new Repro.Core.Models.MultDae.MultDae(items, h, seed) :> ITrainableRecommender)
        | ModelSpec.Cdae h -> Ok(new Repro.Core.Models.Cdae.Cdae(items, h, seed) :> ITrainableRecommender)
        | ModelSpec.RecVae h -> Ok(new Repro.Core.Models.RecVae.RecVae(items, h, seed) :> ITrainableRecommender)
        | other -> Error(sprintf "%s is fitted, not trained by the training driver" other.Name)
    with :? ArgumentException as e -> Error e.Message

/// The file a fitted model is saved to in its run folder (gitignored: *.bin).
let [<Literal>] FittedModelFileName = "model.bin"

/// Fits <paramref name="spec"/> (a fitted model) on the training users. Long fits say how far they
/// are (WMF: each sweep with its objective; SLIM: columns done) and stop at the next step boundary
/// when <paramref name="cancel"/> fires (OperationCanceledException).
let fit (spec: ModelSpec.ModelSpec) (train: CsrMatrix) (seed: uint64) (threads: int) (say: string -> unit)
        (progress: IProgress<TrainingProgress>) (cancel: Threading.CancellationToken) : IRecommender =
    let report step steps (loss: float) =
        progress.Report(TrainingProgress(TrainingPhase.Training, step, steps, 1, 1, loss, nan, Nullable()))
    Repro.Core.TorchRuntime.EnsureLoaded threads
    cancel.ThrowIfCancellationRequested()
    match spec with
    | ModelSpec.Popularity -> Popularity.Fit train :> IRecommender
    | ModelSpec.Ease h ->
        if train.Columns > Ease.Float64Limit && train.Rows < train.Columns then
            say (sprintf "EASE through the users' side: %d x %d user Gram matrix and inverse, then B (%d x %d; lambda %g)" train.Rows train.Rows train.Columns train.Columns h.Lambda)
        else say (sprintf "EASE: Gram matrix and inverse of %d x %d (lambda %g)" train.Columns train.Columns h.Lambda)
        Ease.Fit(train, h, cancel) :> IRecommender
    | ModelSpec.Wmf h ->
        let onIteration (it: WmfIteration) =
            let objective = it.Objective.Invoke()
            say (sprintf "WMF sweep %d/%d: %.1f s, objective %.6g" it.Iteration h.Iterations it.Elapsed.TotalSeconds objective)
            report it.Iteration h.Iterations objective
        Wmf.Fit(train, h, seed, Action<WmfIteration> onIteration, cancel) :> IRecommender
    | ModelSpec.Slim h ->
        let clock = Diagnostics.Stopwatch.StartNew()
        let every = max Slim.ProgressBlock (train.Columns / 20 / Slim.ProgressBlock * Slim.ProgressBlock)
        let onColumns (d: int) =
            if d % every = 0 || d = train.Columns then
                say (sprintf "SLIM: %d/%d columns, %.0f s" d train.Columns clock.Elapsed.TotalSeconds)
            report d train.Columns nan
        Slim.Fit(train, h, null, threads, Action<int> onColumns, cancel) :> IRecommender
    | ModelSpec.MultVae _ | ModelSpec.MultDae _ | ModelSpec.Cdae _ | ModelSpec.RecVae _ ->
        invalidArg "spec" (sprintf "%s is trained, not fitted" spec.Name)

/// Loads a fitted model saved by <see cref="fit"/>'s caller.
let loadFitted (spec: ModelSpec.ModelSpec) (path: string) : Result<IRecommender, string> =
    try
        match spec with
        | ModelSpec.Popularity -> Ok(Popularity.Load path :> IRecommender)
        | ModelSpec.Ease _ -> Ok(Ease.Load path :> IRecommender)
        | ModelSpec.Wmf _ -> Ok(Wmf.Load path :> IRecommender)
        | ModelSpec.Slim _ -> Ok(Slim.Load path :> IRecommender)
        | ModelSpec.MultVae _ | ModelSpec.MultDae _ | ModelSpec.Cdae _ | ModelSpec.RecVae _ -> Error(sprintf "%s is trained, not fitted: its weights are %s" spec.Name TrainingDriver.BestWeightsFileName)
    with
    | :? IOException as e -> Error(sprintf "%s: %s" path e.Message)
    | :? Repro.Core.Data.Cache.StaleCacheException as e -> Error e.Message

/// Scores every row of <paramref name="foldIn"/> with the model and ranks against the targets.
let evaluate (model: IRecommender) (foldIn: CsrMatrix) (target: CsrMatrix) (metrics: MetricSpec list) (threads: int) =
    Evaluator.Evaluate(model.AsBatchScorer(), foldIn, target, Array.ofList metrics, maxDegreeOfParallelism = threads)

/// How a call of <see cref="execute"/> ended; the numbers are in the run folder's metrics.json.
type RunResult =
    { /// Completed (metrics.json has "validation" and "test"), Interrupted (cancelled; a trained run
      /// resumes, a fitted one starts over) or Diverged.
      Status: TrainingStatus
      /// Why the run diverged or where it stopped; None when completed.
      Message: string option
      /// The training driver's outcome; None for fitted models and for skipped folders.
      Training: TrainingOutcome option
      /// The folder was finished before this call: nothing was loaded, trained or fitted.
      Skipped: bool }

/// Validation metrics: the test metric list (so NDCG@100, the selection metric, is always there).
let private writeBoth folder (data: RunData) (model: IRecommender) threads (testExtras: (string * float) list) =
    let validation = evaluate model data.Validation.FoldIn data.Validation.Target data.TestMetrics threads
    let test = evaluate model data.TestFoldIn data.TestTarget data.TestMetrics threads
    // "validation" first: the "test" part is what marks the folder finished.
    RunFolder.writeMetrics folder "validation" validation data.Validation.FoldIn []
    RunFolder.writeMetrics folder "test" test data.TestFoldIn testExtras

/// A refit after selection (protocol "weak-refit"): the epoch count an earlier run on the carve chose.
type Refit =
    { SelectedEpoch: int
      /// That run's best validation NDCG@100, for the record.
      SelectionNdcg: float }

/// The folder inside a weak-refit run that holds its selection run.
let [<Literal>] SelectionFolderName = "selection"

/// The refit's data: the whole training rows (carve included); the carve's validation users stay
/// only as a logged fit signal, since their targets are now training items.
let refitData (data: RunData) (refit: Refit) =
    { data with
        Train = data.TestFoldIn
        Protocol =
            sprintf "weak generalisation, refit: trained on the whole training rows for the %d epochs selected on the carve (%s/); last epoch's weights tested; its validation numbers score items it trains on"
                refit.SelectedEpoch SelectionFolderName }

/// The line that tells the user a call continues an interrupted run in folder (a saved state.bin),
/// with how many whole epochs epochs.tsv already holds; None for a fresh folder. When those are
/// all <paramref name="plannedEpochs"/> (the run stopped after training, during its evaluation),
/// it says that only the evaluation is left.
let resumeNote (folder: string) (plannedEpochs: int) =
    if File.Exists(Path.Combine(folder, TrainingDriver.StateFileName)) then
        let log = Path.Combine(folder, TrainingDriver.EpochLogFileName)
        let logged = match Option.ofNullable (TrainingDriver.SavedEpochs folder) with Some e -> e | None -> (if File.Exists log then max 0 (File.ReadAllLines(log).Length - 1) else 0)
        if logged >= plannedEpochs then
            Some(sprintf "resuming the run saved in %s: all %d epochs are done (%s); only its evaluation is left" folder plannedEpochs TrainingDriver.EpochLogFileName)
        else
            Some(sprintf "resuming the run saved in %s: %d epoch(s) done (%s); training goes on from its saved state" folder logged TrainingDriver.StateFileName)
    else None

/// Trains <paramref name="model"/> into <paramref name="folder"/> (resuming a run found there) and,
/// when training completes, evaluates its best-validation weights on the validation and test users
/// (with a refit: its last epoch's weights).
let run (folder: string) (description: RunFolder.RunDescription) (data: RunData) (model: ITrainableRecommender)
        (threads: int) (refit: Refit option) (progress: IProgress<TrainingProgress>) (cancel: Threading.CancellationToken) : RunResult =
    Directory.CreateDirectory folder |> ignore
    if not (File.Exists(Path.Combine(folder, "run.json"))) then RunFolder.describe folder description
    File.WriteAllLines(Path.Combine(folder, "items.txt"), data.ItemIds)
    let options = TrainingOptions(RunDirectory = folder, Seed = description.Seed, Threads = threads, KeepLastEpoch = refit.IsSome)
    let outcome = TrainingDriver.Run(model, data.Train, data.Validation, options, progress, cancel)
    if outcome.Status = TrainingStatus.Completed then
        TrainingDriver.LoadBest(model, folder)
        writeBoth folder data model threads
            (match refit with
             | None -> [ "bestEpoch", float outcome.BestEpoch; "bestValidationNdcg@100", outcome.BestValidationNdcg ]
             | Some r -> [ "selectedEpoch", float r.SelectedEpoch; "selectionValidationNdcg@100", r.SelectionNdcg ])
    { Status = outcome.Status; Message = Option.ofObj outcome.Message; Training = Some outcome; Skipped = false }

/// Fits <paramref name="spec"/> into <paramref name="folder"/>: run.json, items.txt, model.bin, then
/// metrics.json and the per-user files. Cancelled: no metrics.json part is written.
let runFitted (folder: string) (description: RunFolder.RunDescription) (data: RunData) (spec: ModelSpec.ModelSpec)
              (seed: uint64) (threads: int) (say: string -> unit) (progress: IProgress<TrainingProgress>)
              (cancel: Threading.CancellationToken) : RunResult =
    Directory.CreateDirectory folder |> ignore
    if not (File.Exists(Path.Combine(folder, "run.json"))) then RunFolder.describe folder description
    File.WriteAllLines(Path.Combine(folder, "items.txt"), data.ItemIds)
    try
        let clock = Diagnostics.Stopwatch.StartNew()
        use model = fit spec data.Train seed threads say progress cancel
        say (sprintf "%s fitted in %.1f s" spec.Name clock.Elapsed.TotalSeconds)
        cancel.ThrowIfCancellationRequested()
        let path = Path.Combine(folder, FittedModelFileName)
        try
            model.Save(path + ".tmp")
            File.Move(path + ".tmp", path, true)
        with :? NotSupportedException as e ->
            // The metrics stand without the file; only `repro recommend` needs it.
            say (sprintf "%s not written: %s" FittedModelFileName e.Message)
        cancel.ThrowIfCancellationRequested()
        writeBoth folder data model threads [ "fitSeconds", clock.Elapsed.TotalSeconds ]
        { Status = TrainingStatus.Completed; Message = None; Training = None; Skipped = false }
    with :? OperationCanceledException ->
        { Status = TrainingStatus.Interrupted; Message = Some "cancelled during the fit; the same command fits again"; Training = None; Skipped = false }

/// Does <paramref name="request"/> into <paramref name="folder"/>: a finished folder (metrics.json
/// with "test") is left alone; otherwise loads its data, then trains (resuming a run found there) or
/// fits, and evaluates on validation and test. Errors in the request come back as Error.
let rec execute (dataDir: string) (folder: string) (request: RunRequest) (say: string -> unit)
                (progress: IProgress<TrainingProgress>) (cancel: Threading.CancellationToken) : Result<RunResult, string> =
    Repro.Core.TorchRuntime.EnsureLoaded request.Threads // before run.json records the thread count
    if RunFolder.isFinished folder then
        match RunFolder.answersFor folder { Dataset = request.Dataset; Split = request.Split; Protocol = request.Protocol; Heldout = request.Heldout
                                            Model = request.Model.Name; Settings = request.Model.Settings; Seed = request.Seed } with
        | Error why -> Error why
        | Ok () ->
        say (sprintf "%s is finished (metrics.json has a test part); not run again" folder)
        Ok { Status = TrainingStatus.Completed; Message = None; Training = None; Skipped = true }
    elif request.Protocol = "weak-refit" then executeRefit dataDir folder request say progress cancel
    else executeOnce dataDir folder request None say progress cancel

/// Protocol "weak-refit": the weak protocol's run on the carve into folder/selection (skipped when
/// finished there), then the same model and seed trained for its best epoch count on the whole
/// training rows into folder, its last epoch tested. Selection never sees test items; the refit
/// gets back the 10% of training items the carve held out.
and private executeRefit dataDir folder request say progress cancel =
    if ModelSpec.isFitted request.Model then
        Error(sprintf "--protocol weak-refit refits a trained model for its selected number of epochs; %s is fitted in one call: use --protocol weak" request.Model.Name)
    else
    let selectionFolder = Path.Combine(folder, SelectionFolderName)
    say (sprintf "weak-refit, step 1 of 2: selection on the carve in %s" selectionFolder)
    match execute dataDir selectionFolder { request with Protocol = "weak" } say progress cancel with
    | Error why -> Error why
    | Ok result when result.Status <> TrainingStatus.Completed -> Ok result
    | Ok _ when cancel.IsCancellationRequested ->
        // The stop came while the selection run finished: it is complete; the refit starts on the next call.
        Ok { Status = TrainingStatus.Interrupted; Message = Some "stopped after the selection run; the same command runs the refit"; Training = None; Skipped = false }
    | Ok _ ->
    let extra name =
        RunFolder.readPart selectionFolder "test"
        |> Option.bind (fun (_, extras) -> extras |> List.tryFind (fst >> (=) name))
        |> Option.map snd
    match extra "bestEpoch", extra "bestValidationNdcg@100" with
    | Some epoch, Some ndcg ->
        let refit = { SelectedEpoch = int epoch; SelectionNdcg = ndcg }
        match ModelSpec.applyOnTop request.Model [ sprintf "epochs=%d" refit.SelectedEpoch ] with
        | Error why -> Error why
        | Ok model ->
            say (sprintf "weak-refit, step 2 of 2: %d epochs (best validation NDCG@100 %.4f) on the whole training rows in %s" refit.SelectedEpoch ndcg folder)
            executeOnce dataDir folder { request with Model = model } (Some refit) say progress cancel
    | _ -> Error(sprintf "%s/metrics.json has no bestEpoch in its test part: it is not a finished run of a trained model" selectionFolder)

and private executeOnce dataDir folder request (refit: Refit option) say progress cancel =
    match loadData dataDir request say with
    | Error why -> Error why
    | Ok(data, datasetLabel) ->
        let data = match refit with Some r -> refitData data r | None -> data
        let kind = request.Model
        let seed = TrainingDriver.DeriveSeed(request.Seed, ReadOnlySpan [| 1UL |])
        let description : RunFolder.RunDescription =
            { Dataset = datasetLabel; Model = kind.Name; Settings = kind.Settings; Seed = request.Seed; Protocol = data.Protocol; Command = request.Command }
        say (sprintf "%s on %s (%s): %d training users, %d items; run folder %s" kind.Name datasetLabel data.Protocol data.Train.Rows data.ItemIds.Length folder)
        try
            if ModelSpec.isFitted kind then Ok(runFitted folder description data kind seed request.Threads say progress cancel)
            else
                match createModel kind data.ItemIds.Length seed with
                | Error why -> Error why
                | Ok model ->
                    use _ = model
                    resumeNote folder model.Epochs |> Option.iter say
                    Ok(run folder description data model request.Threads refit progress cancel)
        with
        | :? InvalidOperationException as e -> Error e.Message
        | :? ArgumentException as e -> Error e.Message
