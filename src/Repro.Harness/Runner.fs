/// The resumable runner: does each run of an experiment once, into its own folder
/// (results/<experiment>/<dataset>/<model>-<hash8>-s<seed>/, docs/contract: the run-folder
/// contract). A finished run (metrics.json with "test") is never redone; an interrupted one resumes
/// (Train.execute resumes trained runs); a failed one leaves error.txt and the runner goes on; runs
/// on datasets absent from the machine are skipped with the way to obtain them, without any network
/// access. Each run is claimed through its folder's lock (RunLock) before anything is written, so
/// several `repro run` processes (cluster array tasks, machines sharing a file system) on one results
/// folder share the work: a run held by another process is left to it, and none is done twice.
module Repro.Harness.Runner

open System
open System.IO
open System.Text
open System.Text.Json
open System.Text.Json.Nodes
open System.Threading
open Repro.Core.Training
open Repro.Harness.Experiment

/// Where a run stands, read from its folder alone.
type RunState =
    /// metrics.json has a "test" part.
    | Finished
    /// error.txt holds why the last attempt failed (the next `repro run` retries it).
    | Failed of message: string
    /// Started and not finished: interrupted, or running in another process.
    | Started
    | Pending

let private experimentFile = "experiment.json"
let private errorFile = "error.txt"

/// Whether metrics.json in <paramref name="folder"/> has a "test" part.
let isFinished (folder: string) =
    let path = Path.Combine(folder, "metrics.json")
    File.Exists path
    && (try
            match JsonNode.Parse(File.ReadAllText path) with
            | :? JsonObject as o -> o.ContainsKey "test"
            | _ -> false
        with :? JsonException -> false)

let state (folder: string) =
    if isFinished folder then Finished
    elif File.Exists(Path.Combine(folder, errorFile)) then Failed(File.ReadAllText(Path.Combine(folder, errorFile)).Trim())
    elif File.Exists(Path.Combine(folder, experimentFile)) then Started
    else Pending

let private writeAtomically (path: string) (text: string) =
    let temp = path + ".tmp"
    File.WriteAllText(temp, text, UTF8Encoding false)
    File.Move(temp, path, true)

/// experiment.json: which experiment, dataset, report row (group), settings hash and seed the run
/// belongs to (docs/contract). Written before the run starts.
let writeExperimentJson (folder: string) (r: Run) =
    Directory.CreateDirectory folder |> ignore
    let json = JsonObject()
    json.["experiment"] <- JsonValue.Create r.Experiment
    json.["dataset"] <- JsonValue.Create r.Setup.Dataset
    json.["model"] <- JsonValue.Create r.Model.Name
    json.["group"] <- JsonValue.Create r.Group
    json.["settingsHash"] <- JsonValue.Create r.SettingsHash
    json.["seed"] <- JsonValue.Create r.SeedIndex
    json.["derivedSeed"] <- JsonValue.Create r.Seed
    json.["protocol"] <- JsonValue.Create r.Setup.Protocol.Name
    match r.Setup.Heldout with Some h -> json.["heldout"] <- JsonValue.Create h | None -> ()
    let options = JsonSerializerOptions(WriteIndented = true, Encoder = Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping)
    writeAtomically (Path.Combine(folder, experimentFile)) (json.ToJsonString options)

/// The command that does exactly this run (recorded in run.json, listed by `repro plan`).
let command (r: Run) = sprintf "repro run --experiment %s --only %s" r.Experiment r.Id

type Options =
    { /// The results folder (results/ by default).
      Results: string
      DataDir: string
      /// Selectors of run ids (Experiment.selects); None: every run.
      Only: string option
      /// Overrides the experiment's seed count.
      Seeds: int option
      Threads: int }

/// The experiment's runs that <paramref name="options"/> select, with their folders.
let selected (options: Options) (e: Experiment) =
    runs options.Seeds e
    |> List.filter (fun r -> match options.Only with Some p -> selects p r.Id | None -> true)

/// Why a dataset's runs cannot happen on this machine (with how to obtain it), or None when present.
let missingDataset (dataDir: string) (dataset: string) : string option =
    match Datasets.find dataset with
    | Error why -> Some why
    | Ok d ->
        match Datasets.locate dataDir d with
        | Ok _ -> None
        | Error why -> Some(sprintf "%s; %s" why (Datasets.howToGet dataDir d))

/// How one run ended in this call.
type Outcome =
    | Completed
    | AlreadyFinished
    | RunFailed of message: string
    | Interrupted
    /// Another process holds the run's folder (it is doing the run); the holder's description.
    | HeldElsewhere of holder: string

/// What the runner tells its display.
type Event =
    /// A dataset is absent: its runs are skipped (with the way to obtain it).
    | DatasetMissing of dataset: string * reason: string * runs: int
    /// Run <index> (1-based) of <total> to do in this call starts.
    | RunStarting of index: int * total: int * run: Run * folder: string
    | Said of message: string
    | TrainingProgressed of TrainingProgress
    | RunEnded of run: Run * outcome: Outcome * elapsed: TimeSpan

type Summary =
    { Completed: int
      AlreadyFinished: int
      Failed: int
      Skipped: int
      /// Runs another process was doing (their folders were locked), left to it.
      HeldElsewhere: int
      /// Runs not attempted because the user stopped the runner.
      NotStarted: int
      Interrupted: bool }

/// Does one run into its folder: experiment.json first, then Train.execute; a failure becomes
/// error.txt. Exceptions other than cancellation are failures of this run, not of the runner.
let runOne (options: Options) (r: Run) (notify: Event -> unit) (cancel: CancellationToken) : Outcome =
    let folder = r.Folder options.Results
    if isFinished folder then AlreadyFinished
    else
    match RunLock.tryAcquire folder with
    | Error(RunLock.Held who) -> HeldElsewhere who
    | Error(RunLock.Unwritable why) -> RunFailed why
    | Ok claim ->
        use _ = claim
        // Checked again under the lock: another process may have finished it since.
        if isFinished folder then AlreadyFinished
        else
        let errorPath = Path.Combine(folder, errorFile)
        if File.Exists errorPath then File.Delete errorPath
        writeExperimentJson folder r
        let request : RunRequest =
            { Dataset = r.Setup.Dataset; Split = None; Protocol = r.Setup.Protocol; Heldout = r.Setup.Heldout
              Model = r.Model; Seed = r.Seed; Threads = options.Threads; Command = command r }
        let progress = { new IProgress<TrainingProgress> with member _.Report p = notify (TrainingProgressed p) }
        let fail (message: string) =
            writeAtomically errorPath (message.TrimEnd() + "\n")
            RunFailed message
        try
            match Train.execute options.DataDir folder request (Said >> notify) progress cancel with
            | Error why -> fail why
            | Ok result ->
                match result.Status with
                | TrainingStatus.Interrupted -> Interrupted
                | _ when isFinished folder -> Completed
                | TrainingStatus.Diverged -> fail (sprintf "training diverged: %s" (defaultArg result.Message "a loss was not finite"))
                | _ -> fail "the run ended without test metrics"
        with
        | :? OperationCanceledException -> Interrupted
        | e -> fail (sprintf "%s: %s\n%s" (e.GetType().Name) e.Message e.StackTrace)

/// Does every selected run that is not finished, in order; skips datasets absent from the machine;
/// stops after the current batch when <paramref name="cancel"/> fires (a later call resumes).
let execute (options: Options) (e: Experiment) (notify: Event -> unit) (cancel: CancellationToken) : Summary =
    let chosen = selected options e
    let missing =
        chosen
        |> List.map (fun r -> r.Setup.Dataset)
        |> List.distinct
        |> List.choose (fun d -> missingDataset options.DataDir d |> Option.map (fun why -> d, why))
        |> Map.ofList
    for KeyValue(dataset, why) in missing do
        notify (DatasetMissing(dataset, why, chosen |> List.filter (fun r -> r.Setup.Dataset = dataset) |> List.length))
    let available = chosen |> List.filter (fun r -> not (missing.ContainsKey r.Setup.Dataset))
    let finished, todo = available |> List.partition (fun r -> isFinished (r.Folder options.Results))
    let mutable completed, finishedElsewhere, failed, elsewhere, notStarted, interrupted = 0, 0, 0, 0, 0, false
    todo
    |> List.iteri (fun i r ->
        if interrupted || cancel.IsCancellationRequested then
            interrupted <- true
            notStarted <- notStarted + 1
        else
            notify (RunStarting(i + 1, todo.Length, r, r.Folder options.Results))
            let watch = Diagnostics.Stopwatch.StartNew()
            let outcome = runOne options r notify cancel
            notify (RunEnded(r, outcome, watch.Elapsed))
            match outcome with
            | Completed -> completed <- completed + 1
            | AlreadyFinished -> finishedElsewhere <- finishedElsewhere + 1
            | HeldElsewhere _ -> elsewhere <- elsewhere + 1
            | RunFailed _ -> failed <- failed + 1
            | Interrupted -> interrupted <- true)
    { Completed = completed; AlreadyFinished = finished.Length + finishedElsewhere; Failed = failed
      Skipped = chosen.Length - available.Length; HeldElsewhere = elsewhere; NotStarted = notStarted; Interrupted = interrupted }
