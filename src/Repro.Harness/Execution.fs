/// One model trained or fitted into a run folder, then evaluated on the validation and test users.
/// Trained models go through the shared training driver and are evaluated with their
/// best-validation weights (notebook cell 66: the best checkpoint is restored for test), or with a
/// refit's last weights; fitted models are fitted once on the training users and saved as model.bin.
module Repro.Harness.Execution

open System
open System.IO
open Repro.Core.Metrics
open Repro.Core.Models
open Repro.Core.Sparse
open Repro.Core.Training

/// The file a fitted model is saved to in its run folder (gitignored: *.bin).
let [<Literal>] FittedModelFileName = "model.bin"

/// The file in a finished run folder that `loadSaved` reads: a trained model's best weights or a
/// fitted model's file.
let savedModelFile (spec: ModelSpec) =
    if spec.IsFitted then FittedModelFileName else TrainingDriver.BestWeightsFileName

/// The trained model for <paramref name="spec"/>; Error for a model that is fitted, not trained.
let createModel (spec: ModelSpec) (items: int) (seed: uint64) : Result<ITrainableRecommender, string> =
    match spec.Entry.Making with
    | Trained create ->
        try Ok(create items spec.Hyper seed)
        with :? ArgumentException as e -> Error e.Message
    | Fitted _ -> Error(sprintf "%s is fitted, not trained by the training driver" spec.Name)

/// The model saved in a finished run folder (<see cref="savedModelFile"/>), ready to score.
let loadSaved (spec: ModelSpec) (folder: string) (items: int) : Result<IRecommender, string> =
    let path = Path.Combine(folder, savedModelFile spec)
    if not (File.Exists path) then Error(sprintf "%s is not a finished run: %s is missing" folder path)
    else
        try
            match spec.Entry.Making with
            | Fitted(_, load) -> Ok(load path)
            | Trained _ ->
                createModel spec items 0UL
                |> Result.map (fun model ->
                    try
                        model.LoadWeights path
                        model :> IRecommender
                    with _ ->
                        model.Dispose()
                        reraise ())
        with
        | :? IOException as e -> Error(sprintf "%s: %s" path e.Message)
        | :? Repro.Core.Data.Cache.StaleCacheException as e -> Error e.Message

/// Scores every row of <paramref name="foldIn"/> with the model and ranks against the targets; a
/// LOCA model scores the whole set in one batch (ScoringBatchSize: its local models once per set).
let evaluate (model: IRecommender) (foldIn: CsrMatrix) (target: CsrMatrix) (metrics: MetricSpec list) (threads: int) =
    let batchSize =
        match model with
        | :? Repro.Core.Models.Loca.ILocaLocalModels -> Repro.Core.Models.Loca.LocaLocalModelsExtensions.ScoringBatchSize(foldIn.Rows, foldIn.Columns)
        | _ -> Evaluator.NotebookBatchSize
    Evaluator.Evaluate(model.AsBatchScorer(), foldIn, target, Array.ofList metrics, batchSize = batchSize, maxDegreeOfParallelism = threads)

/// How a run ended; the numbers are in the run folder's metrics.json.
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

/// A finished folder left alone.
let skipped = { Status = TrainingStatus.Completed; Message = None; Training = None; Skipped = true }

/// Validation and test metrics (the test metric list on both, so NDCG@100, the selection metric, is
/// always there); "validation" first, since the "test" part is what marks the folder finished.
let private writeBoth folder (data: RunData) (model: IRecommender) threads (testExtras: (string * float) list) =
    // A model's own counts of its scoring (IScoringCounters: LOCA's fallback users), per part.
    let counted (evaluateOne: unit -> _) =
        match model with
        | :? IScoringCounters as c ->
            c.ResetScoringCounters()
            let metrics = evaluateOne ()
            metrics, [ for kv in c.ScoringCounters() -> kv.Key, kv.Value ]
        | _ -> evaluateOne (), []
    let validation, validationCounts = counted (fun () -> evaluate model data.Validation.FoldIn data.Validation.Target data.TestMetrics threads)
    let test, testCounts = counted (fun () -> evaluate model data.TestFoldIn data.TestTarget data.TestMetrics threads)
    RunFolder.writeMetrics folder "validation" validation data.Validation.FoldIn validationCounts
    RunFolder.writeMetrics folder "test" test data.TestFoldIn (testExtras @ testCounts)

/// run.json and items.txt. A run that resumes keeps the run.json of the attempt whose state it
/// continues; any other attempt starts over, so it writes its own (a failed attempt's run.json would
/// name that attempt's commit and start time).
let begin' (folder: string) (description: RunFolder.RunDescription) (data: RunData) (resuming: bool) =
    Directory.CreateDirectory folder |> ignore
    if not (resuming && File.Exists(Path.Combine(folder, "run.json"))) then RunFolder.describe folder description
    File.WriteAllLines(Path.Combine(folder, "items.txt"), data.ItemIds)

/// The line that tells the user a call continues an interrupted run in folder (a saved state.bin),
/// with how many whole epochs it holds; None for a fresh folder. When those are
/// all <paramref name="plannedEpochs"/> (the run stopped after training, during its evaluation),
/// it says that only the evaluation is left.
let resumeNote (folder: string) (plannedEpochs: int) =
    if File.Exists(Path.Combine(folder, TrainingDriver.StateFileName)) then
        let log = Path.Combine(folder, TrainingDriver.EpochLogFileName)
        // The saved state's own epoch count; epochs.tsv's rows only when the state does not say.
        let logged = match Option.ofNullable (TrainingDriver.SavedEpochs folder) with Some e -> e | None -> (if File.Exists log then max 0 (File.ReadAllLines(log).Length - 1) else 0)
        if logged >= plannedEpochs then
            Some(sprintf "resuming the run saved in %s: all %d epochs are done (%s); only its evaluation is left" folder plannedEpochs TrainingDriver.EpochLogFileName)
        else
            Some(sprintf "resuming the run saved in %s: %d epoch(s) done (%s); training goes on from its saved state" folder logged TrainingDriver.StateFileName)
    else None

/// What a refit records in place of a best epoch: the epoch count its selection run chose (None for
/// a fitted model, which has none) and that run's validation NDCG@100.
type Selected = { Epoch: int option; ValidationNdcg: float }

/// The test part's extras that say a run is a refit and what its selection run chose.
let refitExtras (s: Selected) =
    [ yield! s.Epoch |> Option.map (fun e -> "selectedEpoch", float e) |> Option.toList
      yield "selectionValidationNdcg@100", s.ValidationNdcg ]

/// Trains <paramref name="model"/> into <paramref name="folder"/> (resuming a run found there) and,
/// when training completes, evaluates its best-validation weights on the validation and test users
/// (a refit, <paramref name="refit"/> = the selection's choice: its last epoch's weights).
let trained (folder: string) (description: RunFolder.RunDescription) (data: RunData) (model: ITrainableRecommender)
            (threads: int) (refit: Selected option) (progress: IProgress<TrainingProgress>) (cancel: Threading.CancellationToken) : RunResult =
    begin' folder description data (File.Exists(Path.Combine(folder, TrainingDriver.StateFileName)))
    let options = TrainingOptions(RunDirectory = folder, Seed = description.Seed, Threads = threads, KeepLastEpoch = refit.IsSome)
    let outcome = TrainingDriver.Run(model, data.Train, data.Validation, options, progress, cancel)
    if outcome.Status = TrainingStatus.Completed then
        TrainingDriver.LoadBest(model, folder)
        // A model's own numbers (e.g. mixture components carrying users) join the test part's extras.
        let own =
            match model with
            | :? IReportsExtras as r -> [ for kv in r.Extras data.Train -> kv.Key, kv.Value ]
            | _ -> []
        writeBoth folder data model threads
            ((match refit with
              | None -> [ "bestEpoch", float outcome.BestEpoch; "bestValidationNdcg@100", outcome.BestValidationNdcg ]
              | Some s -> refitExtras s) @ own)
    { Status = outcome.Status; Message = Option.ofObj outcome.Message; Training = Some outcome; Skipped = false }

/// Fits <paramref name="spec"/> into <paramref name="folder"/>: run.json, items.txt, model.bin, then
/// metrics.json and the per-user files (a refit's with what its selection run chose). Cancelled: no
/// metrics.json part is written.
let fitted (folder: string) (description: RunFolder.RunDescription) (data: RunData) (spec: ModelSpec)
           (fit: FitContext -> obj -> IRecommender) (seed: uint64) (threads: int) (refit: Selected option) (say: string -> unit)
           (progress: IProgress<TrainingProgress>) (cancel: Threading.CancellationToken) : RunResult =
    begin' folder description data false // a fit never resumes
    try
        let clock = Diagnostics.Stopwatch.StartNew()
        Repro.Core.TorchRuntime.EnsureLoaded threads
        cancel.ThrowIfCancellationRequested()
        let context =
            { Train = data.Train; Seed = seed; Threads = threads; Say = say; Progress = progress; Cancel = cancel; ItemContent = data.ItemContent
              Validation = (if refit.IsSome then None else Some data.Validation); CacheDir = data.CacheDir }
        use model = fit context spec.Hyper
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
        writeBoth folder data model threads (("fitSeconds", clock.Elapsed.TotalSeconds) :: (refit |> Option.map refitExtras |> Option.defaultValue []))
        { Status = TrainingStatus.Completed; Message = None; Training = None; Skipped = false }
    with :? OperationCanceledException ->
        { Status = TrainingStatus.Interrupted; Message = Some "cancelled during the fit; the same command fits again"; Training = None; Skipped = false }

/// The model's own randomness: a fixed derivation of the run's seed.
let modelSeed (runSeed: uint64) = TrainingDriver.DeriveSeed(runSeed, ReadOnlySpan [| 1UL |])

/// <paramref name="request"/>'s model on <paramref name="data"/> into <paramref name="folder"/>:
/// trained (resuming a run found there) or fitted, then evaluated. Errors in the request come back
/// as Error.
let once (folder: string) (request: RunRequest) (data: RunData) (refit: Selected option) (say: string -> unit)
         (progress: IProgress<TrainingProgress>) (cancel: Threading.CancellationToken) : Result<RunResult, string> =
    let spec = request.Model
    let seed = modelSeed request.Seed
    let description : RunFolder.RunDescription =
        { Dataset = data.DatasetLabel; Model = spec.Name; Settings = spec.Settings; Seed = request.Seed; Protocol = data.Protocol; Command = request.Command }
    say (sprintf "%s on %s (%s): %d training users, %d items; run folder %s" spec.Name data.DatasetLabel data.Protocol data.Train.Rows data.ItemIds.Length folder)
    try
        match spec.Entry.Making with
        | Fitted(fit, _) -> Ok(fitted folder description data spec fit seed request.Threads refit say progress cancel)
        | Trained _ ->
            match createModel spec data.ItemIds.Length seed with
            | Error why -> Error why
            | Ok model ->
                use _ = model
                resumeNote folder model.Epochs |> Option.iter say
                Ok(trained folder description data model request.Threads refit progress cancel)
    with
    | :? InvalidOperationException as e -> Error e.Message
    | :? ArgumentException as e -> Error e.Message
