/// The rating-prediction task's experiments and runner. A rating experiment is a value like a top-N
/// one (datasets with their split, models, repeats), but its runs differ in kind: each run is one
/// model at one setting on one (dataset, training fraction), and does all R repeats (random splits
/// of the rating events, the same R splits for every model), so its folder holds the per-repeat
/// values and their mean ± s.e. Folders go to results/<experiment>/<dataset>/train<pct>/<model>-<hash8>/
/// with one file, rating-run.json (written by write-then-rename when the last repeat ends); a folder
/// that has it is finished and never redone.
module Repro.Harness.Ratings

open System
open System.IO
open System.Text
open System.Text.Json
open System.Text.Json.Nodes
open System.Threading
open Repro.Core.Ratings
open Repro.Core.Training

/// One (dataset, split) of a rating experiment.
type RatingSetup =
    { /// A registry name (Datasets.all) whose reader keeps the ratings.
      Dataset: string
      /// Fraction of the rating events for training (AutoRec: 0.9; mDA-CF: 0.99, 0.8, 0.5).
      TrainFraction: float
      /// Fraction of the training events carved out for validation (AutoRec §5: 0.1). Models are
      /// fitted on the rest; the validation RMSE chooses the grid point and stops training.
      ValidationFraction: float }

    /// "train90": the folder and id part naming the split.
    member s.Tag = sprintf "train%g" (Math.Round(s.TrainFraction * 100.0, 6))

/// One model of a rating experiment: the report row it belongs to and the model with its settings.
type RatingArm = { Group: string; Model: RatingModels.RatingModel }

type RatingExperiment =
    { Id: string
      Title: string
      Setups: RatingSetup list
      Models: RatingSetup -> RatingArm list
      /// Random splits per run (AutoRec and mDA-CF: 5).
      Repeats: int
      /// The rating of a test pair whose user or item has no training rating (AutoRec §5: 3).
      DefaultRating: float32 }

/// One run: a model at one setting on one setup, all repeats.
type RatingRun =
    { Experiment: string
      Setup: RatingSetup
      Group: string
      Model: RatingModels.RatingModel
      SettingsHash: string
      Repeats: int }

    /// "<dataset>/train<pct>/<model>-<hash8>": the id `--only` selects and the folder under results/<experiment>/.
    member r.Id = sprintf "%s/%s/%s-%s" r.Setup.Dataset r.Setup.Tag (RatingModels.name r.Model) r.SettingsHash

    member r.Folder(results: string) =
        Path.Combine(results, r.Experiment, r.Setup.Dataset, r.Setup.Tag, sprintf "%s-%s" (RatingModels.name r.Model) r.SettingsHash)

/// The file that marks a finished rating run.
let runFile = "rating-run.json"

let private label (text: string) = BitConverter.ToUInt64(Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes text), 0)

/// The seed of repeat <paramref name="repeat"/>'s split of <paramref name="setup"/>: the same for every
/// model and experiment, so rows of a table are compared on the same splits.
let splitSeed (setup: RatingSetup) (repeat: int) =
    TrainingDriver.DeriveSeed(Experiment.rootSeed, ReadOnlySpan [| label "rating-split"; label setup.Dataset; label setup.Tag; uint64 repeat |])

/// The seed of the validation carve of that split.
let carveSeed (setup: RatingSetup) (repeat: int) =
    TrainingDriver.DeriveSeed(splitSeed setup repeat, ReadOnlySpan [| label "validation"; uint64 (Math.Round(setup.ValidationFraction * 1e6)) |])

/// A model's seed in one repeat (initialisation and SGD order), derived as top-N run seeds are.
let modelSeed (experiment: string) (setup: RatingSetup) (model: RatingModels.RatingModel) (repeat: int) =
    Experiment.runSeed experiment (setup.Dataset + "/" + setup.Tag) (RatingModels.name model) repeat

/// Every run of the experiment, setups in order, then arms; identical arms are one run.
let runs (repeats: int option) (e: RatingExperiment) : RatingRun list =
    [ for setup in e.Setups do
        for a in e.Models setup |> List.distinctBy (fun a -> a.Group, RatingModels.settingsHash a.Model) ->
            { Experiment = e.Id; Setup = setup; Group = a.Group; Model = a.Model
              SettingsHash = RatingModels.settingsHash a.Model; Repeats = defaultArg repeats e.Repeats } ]

let isFinished (folder: string) = File.Exists(Path.Combine(folder, runFile))

let command (r: RatingRun) = sprintf "repro run --experiment %s --only %s" r.Experiment r.Id

/// The rating events of a dataset, or why they are not here.
let load (dataDir: string) (dataset: string) : Result<RatingSet, string> =
    match Datasets.find dataset with
    | Error why -> Error why
    | Ok d ->
        match Datasets.locate dataDir d with
        | Error why -> Error(sprintf "%s; %s" why (Datasets.howToGet dataDir d))
        | Ok _ -> Ok(RatingSet.FromLog(d.Read(Datasets.folderOf dataDir d)))

/// MovieLens-100K's user and item features (u.user, u.item) aligned with the rating set's indices.
let sideInformation (dataDir: string) (dataset: string) (all: RatingSet) : Result<RatingModels.SideInformation, string> =
    if dataset <> "ml-100k" then Error(sprintf "%s has no user and item features in Repro (only ml-100k: u.user, u.item)" dataset)
    else
    let folder = Path.Combine(dataDir, "ml-100k")
    let users, items = Path.Combine(folder, "u.user"), Path.Combine(folder, "u.item")
    if not (File.Exists users && File.Exists items) then Error(sprintf "%s or %s is missing" users items)
    elif isNull all.UserIds || isNull all.ItemIds then Error "the rating set does not carry its ids"
    else
    try
        let u = Repro.Core.Data.Readers.MovieLens100KFeatures.ReadUsers users
        let i = Repro.Core.Data.Readers.MovieLens100KFeatures.ReadItems items
        let row (table: Collections.Generic.Dictionary<string, float32[]>) (file: string) (id: string) =
            match table.TryGetValue id with
            | true, x -> x
            | _ -> failwithf "%s has no row for id %s" file id
        Ok { Users = all.UserIds |> Array.map (row u users); Items = all.ItemIds |> Array.map (row i items) }
    with e -> Error e.Message

/// What one repeat measured.
type RepeatResult =
    { Repeat: int
      SplitSeed: uint64
      ModelSeed: uint64
      Train: int
      Fit: int
      Validation: int
      Test: int
      ValidationRmse: float
      TestRmse: float
      TestMae: float
      /// Test pairs given the default rating (user or item without a rating in the fitted part).
      TestDefaulted: int
      /// Epochs or iterations: run and kept ("" for models without).
      Stopping: string
      Seconds: float }

/// Mean and standard error (sample std / √n; 0 for one value).
let meanAndError (values: float list) =
    let n = float values.Length
    let mean = List.average values
    let se = if values.Length < 2 then 0.0 else sqrt ((values |> List.sumBy (fun v -> (v - mean) ** 2.0)) / (n - 1.0)) / sqrt n
    mean, se

/// One repeat of a run on <paramref name="all"/>.
let repeat (e: RatingExperiment) (r: RatingRun) (all: RatingSet) (side: unit -> Result<RatingModels.SideInformation, string>) (index: int) (say: string -> unit) : RepeatResult =
    let watch = Diagnostics.Stopwatch.StartNew()
    let seed = splitSeed r.Setup index
    let struct (train, test) = RatingSplit.Random(all, r.Setup.TrainFraction, seed)
    let fitPart, validation =
        if r.Setup.ValidationFraction > 0.0 then
            let struct (f, v) = RatingSplit.Random(train, 1.0 - r.Setup.ValidationFraction, carveSeed r.Setup index)
            f, v
        else train, RatingSet([||], [||], [||], train.UserCount, train.ItemCount)
    let scale = RatingScale.Of(all, e.DefaultRating)
    let mSeed = modelSeed e.Id r.Setup r.Model index
    use model = RatingModels.create side r.Model
    model.Fit(fitPart, validation, mSeed, { new IProgress<string> with member _.Report m = say m })
    let v = if validation.Count > 0 then (RatingEvaluation.Evaluate(model, fitPart, validation, scale)).Rmse else nan
    let t = RatingEvaluation.Evaluate(model, fitPart, test, scale)
    let stopping =
        match model with
        | :? Repro.Core.Models.AutoRec.AutoRec as a -> sprintf "iterations %d, kept %d" a.IterationsRun a.BestIteration
        | :? Repro.Core.Models.MatrixFactorization.MatrixFactorization as m -> sprintf "epochs %d, kept %d" m.EpochsRun m.BestEpoch
        | :? Repro.Core.Models.MdaCf.MdaCf as m -> sprintf "epochs %d, kept %d" m.EpochsRun m.BestEpoch
        | _ -> ""
    { Repeat = index; SplitSeed = seed; ModelSeed = mSeed; Train = train.Count; Fit = fitPart.Count; Validation = validation.Count
      Test = test.Count; ValidationRmse = v; TestRmse = t.Rmse; TestMae = t.Mae; TestDefaulted = t.Defaulted
      Stopping = stopping; Seconds = watch.Elapsed.TotalSeconds }

let private loadAverage () =
    match LoadAverage.oneMinute () with
    | Some l -> l.ToString("0.00", Globalization.CultureInfo.InvariantCulture)
    | None -> "unknown"

let private options = JsonSerializerOptions(WriteIndented = true, Encoder = Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping)

/// rating-run.json: what was run (settings, seeds, commit, machine), every repeat, and the means ± s.e.
let describe (e: RatingExperiment) (r: RatingRun) (results: RepeatResult list) (started: DateTime) (loadAtStart: string) =
    let o = JsonObject()
    let set (k: string) (v: JsonNode) = o.[k] <- v
    set "task" (JsonValue.Create "ratings")
    set "experiment" (JsonValue.Create r.Experiment)
    set "dataset" (JsonValue.Create r.Setup.Dataset)
    set "trainFraction" (JsonValue.Create r.Setup.TrainFraction)
    set "validationFraction" (JsonValue.Create r.Setup.ValidationFraction)
    set "group" (JsonValue.Create r.Group)
    set "model" (JsonValue.Create(RatingModels.name r.Model))
    set "label" (JsonValue.Create(RatingModels.label r.Model))
    set "settingsHash" (JsonValue.Create r.SettingsHash)
    let s = JsonObject()
    for k, v in RatingModels.settings r.Model do s.[k] <- JsonValue.Create v
    set "settings" s
    set "defaultRating" (JsonValue.Create(float e.DefaultRating))
    set "commit" (JsonValue.Create(RunFolder.commit ()))
    set "command" (JsonValue.Create(command r))
    set "machine" (JsonObject(dict [ "cores", JsonValue.Create Environment.ProcessorCount :> JsonNode
                                     "loadAverageAtStart", JsonValue.Create loadAtStart
                                     "loadAverageAtEnd", JsonValue.Create(loadAverage ())
                                     "runtime", JsonValue.Create(Runtime.InteropServices.RuntimeInformation.FrameworkDescription) ]))
    set "started" (JsonValue.Create(started.ToString("o")))
    set "finished" (JsonValue.Create(DateTime.UtcNow.ToString("o")))
    let reps = JsonArray()
    for x in results do
        let j = JsonObject()
        j.["repeat"] <- JsonValue.Create x.Repeat
        j.["splitSeed"] <- JsonValue.Create x.SplitSeed
        j.["modelSeed"] <- JsonValue.Create x.ModelSeed
        j.["train"] <- JsonValue.Create x.Train
        j.["fit"] <- JsonValue.Create x.Fit
        j.["validation"] <- JsonValue.Create x.Validation
        j.["test"] <- JsonValue.Create x.Test
        if not (Double.IsNaN x.ValidationRmse) then j.["validationRmse"] <- JsonValue.Create x.ValidationRmse
        j.["testRmse"] <- JsonValue.Create x.TestRmse
        j.["testMae"] <- JsonValue.Create x.TestMae
        j.["testDefaulted"] <- JsonValue.Create x.TestDefaulted
        j.["stopping"] <- JsonValue.Create x.Stopping
        j.["seconds"] <- JsonValue.Create(Math.Round(x.Seconds, 3))
        reps.Add j
    set "repeats" reps
    let summary (values: float list) =
        let m, se = meanAndError values
        JsonObject(dict [ "mean", JsonValue.Create m :> JsonNode; "standardError", JsonValue.Create se; "n", JsonValue.Create values.Length ])
    set "test" (JsonObject(dict [ "RMSE", summary (results |> List.map _.TestRmse) :> JsonNode; "MAE", summary (results |> List.map _.TestMae) ]))
    let validated = results |> List.map _.ValidationRmse |> List.filter (Double.IsNaN >> not)
    if not validated.IsEmpty then set "validation" (JsonObject(dict [ "RMSE", summary validated :> JsonNode ]))
    o.ToJsonString options

type RatingOptions =
    { Results: string
      DataDir: string
      Only: string option
      Repeats: int option
      Threads: int }

let selected (o: RatingOptions) (e: RatingExperiment) =
    runs o.Repeats e |> List.filter (fun r -> match o.Only with Some p -> Experiment.selects p r.Id | None -> true)

type RatingSummary = { Completed: int; AlreadyFinished: int; Failed: int; Skipped: int; Interrupted: bool }

/// Does every selected run that is not finished; a dataset that is absent skips its runs (saying how
/// to get it); a failed run leaves rating-error.txt and the runner goes on; cancellation stops
/// between repeats (the run is redone from its first repeat next time).
let execute (o: RatingOptions) (e: RatingExperiment) (say: string -> unit) (cancel: CancellationToken) : RatingSummary =
    Repro.Core.TorchRuntime.EnsureLoaded o.Threads
    let chosen = selected o e
    let data = Collections.Generic.Dictionary<string, Result<RatingSet, string>>()
    let dataOf d =
        match data.TryGetValue d with
        | true, v -> v
        | _ ->
            let v = try load o.DataDir d with :? Repro.Core.Data.DataFormatException as x -> Error x.Message
            data.[d] <- v
            v
    let mutable completed, finished, failed, skipped, interrupted = 0, 0, 0, 0, false
    let todo = chosen |> List.filter (fun r -> not (isFinished (r.Folder o.Results)))
    finished <- chosen.Length - todo.Length
    todo
    |> List.iteri (fun i r ->
        let folder = r.Folder o.Results
        if interrupted || cancel.IsCancellationRequested then interrupted <- true
        else
        match dataOf r.Setup.Dataset with
        | Error why ->
            say (sprintf "[%d/%d] %s: skipped, %s" (i + 1) todo.Length r.Id why)
            skipped <- skipped + 1
        | Ok all ->
            say (sprintf "[%d/%d] %s (%s), %d repeat(s) -> %s" (i + 1) todo.Length r.Id r.Group r.Repeats folder)
            Directory.CreateDirectory folder |> ignore
            let errorPath = Path.Combine(folder, "rating-error.txt")
            let started, load = DateTime.UtcNow, loadAverage ()
            try
                let results =
                    [ for k in 1 .. r.Repeats do
                        if cancel.IsCancellationRequested then raise (OperationCanceledException())
                        let x = repeat e r all (fun () -> sideInformation o.DataDir r.Setup.Dataset all) k (fun m -> say ("    " + m))
                        say (sprintf "  repeat %d: test RMSE %.4f, MAE %.4f, validation RMSE %.4f (%s; %.1f s)" k x.TestRmse x.TestMae x.ValidationRmse x.Stopping x.Seconds)
                        x ]
                let text = describe e r results started load
                let path = Path.Combine(folder, runFile)
                File.WriteAllText(path + ".tmp", text, UTF8Encoding false)
                File.Move(path + ".tmp", path, true)
                if File.Exists errorPath then File.Delete errorPath
                let m, se = meanAndError (results |> List.map _.TestRmse)
                say (sprintf "  %s: test RMSE %.4f ± %.4f (s.e. over %d splits)" r.Id m se results.Length)
                completed <- completed + 1
            with
            | :? OperationCanceledException -> interrupted <- true
            | x ->
                File.WriteAllText(errorPath, sprintf "%s: %s\n%s\n" (x.GetType().Name) x.Message x.StackTrace)
                say (sprintf "  %s FAILED (rating-error.txt): %s" r.Id x.Message)
                failed <- failed + 1)
    { Completed = completed; AlreadyFinished = finished; Failed = failed; Skipped = skipped; Interrupted = interrupted }
