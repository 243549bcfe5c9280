/// Run folders read back for reports: what was run (run.json, experiment.json), what it measured
/// (metrics.json), per-user values (test-users.tsv) and per-epoch validation (epochs.tsv). Reports
/// read nothing else, so every number in them traces to these files. A folder that cannot be read
/// is skipped with its path and the reason, and the report goes on with the others.
module Repro.Harness.Report.RunIndex

open System
open System.Globalization
open System.IO
open System.Text.Json

/// One metric of one part of metrics.json.
type MetricValue = { Mean: float; StandardError: float; Users: int; Excluded: int }

type Run =
    { Folder: string
      /// experiment.json's id; "" for a run without one (see Unfiled).
      Experiment: string
      /// For a run folder without experiment.json: its parent folder (a refit's selection/ run: the
      /// refit's parent), by which the report groups such runs under "Unfiled runs". The experiment
      /// is never guessed from the folder's place; None when experiment.json names it.
      Unfiled: string option
      Dataset: string
      /// ModelSpec.Name, as run.json records it.
      Model: string
      /// The report's row label: experiment.json's group, else the model's label (ModelSpec.Label).
      Group: string
      /// experiment.json's settingsHash; else 8 hex digits of SHA-256 over run.json's model and settings.
      /// A refit's ends in "-refit": it is the grid-point key, and a refit is never a seed of its selection run.
      SettingsHash: string
      /// Whether the settings hash and group come from experiment.json.
      FromExperiment: bool
      Seed: uint64
      Settings: (string * string) list
      /// run.json's protocol; a refit's is its selection run's (same split and test users).
      Protocol: string
      Commit: string
      Command: string
      /// metrics.json "test": metrics in file order.
      Test: (string * MetricValue) list
      /// metrics.json "validation" (absent in runs older than the models helper's change).
      Validation: (string * MetricValue) list
      /// The number a grid point is selected by: a refit's selection-run NDCG@100, else validation
      /// NDCG@100's mean, else the training driver's best validation NDCG@100 recorded in the test
      /// part. Never a test metric.
      SelectionNdcg: float option
      /// A refit run (metrics.json records its selection run's validation NDCG@100): it trains its
      /// selection run again on the validation targets too.
      IsRefit: bool
      /// metrics.json "test": the numbers beside the metrics (fitSeconds, bestEpoch, LOCA's fallbackUsers, ...).
      TestExtras: (string * float) list }

type Skipped = { Folder: string; Reason: string }

type Index = { Runs: Run list; Skipped: Skipped list }

let private culture = CultureInfo.InvariantCulture

let private parseJson (path: string) : Result<JsonDocument, string> =
    try Ok(JsonDocument.Parse(File.ReadAllText path))
    with
    | :? JsonException as e -> Error(sprintf "%s is not valid JSON: %s" path e.Message)
    | :? IOException as e -> Error(sprintf "%s cannot be read: %s" path e.Message)

let private str (path: string) (e: JsonElement) (name: string) : Result<string, string> =
    match e.TryGetProperty name with
    | true, v when v.ValueKind = JsonValueKind.String -> Ok(v.GetString())
    | true, v when v.ValueKind = JsonValueKind.Number -> Ok(v.GetRawText())
    | _ -> Error(sprintf "%s has no \"%s\" text" path name)

let private optStr (e: JsonElement) (name: string) =
    match e.TryGetProperty name with
    | true, v when v.ValueKind = JsonValueKind.String -> v.GetString()
    | _ -> ""

/// The metrics of one part of metrics.json, in file order, or an error naming the metric.
let private part (path: string) (root: JsonElement) (name: string) : Result<(string * MetricValue) list * (string * float) list, string> option =
    match root.TryGetProperty name with
    | true, p when p.ValueKind = JsonValueKind.Object ->
        let mutable problem = None
        let metrics = Collections.Generic.List()
        let extras = Collections.Generic.List()
        for m in p.EnumerateObject() do
            match m.Value.ValueKind with
            | JsonValueKind.Object ->
                let number (field: string) =
                    match m.Value.TryGetProperty field with
                    | true, v when v.ValueKind = JsonValueKind.Number -> Some(v.GetDouble())
                    | _ -> None
                // A part with no user to average over records null mean and s.e. (RunFolder.writeMetrics).
                let noUsers = number "users" = Some 0.0
                let meanOrUndefined (field: string) =
                    match m.Value.TryGetProperty field with
                    | true, v when v.ValueKind = JsonValueKind.Null && noUsers -> Some nan
                    | _ -> number field
                match meanOrUndefined "mean", meanOrUndefined "standardError" with
                | Some mean, Some se ->
                    metrics.Add(m.Name, { Mean = mean; StandardError = se
                                          Users = number "users" |> Option.map int |> Option.defaultValue 0
                                          Excluded = number "excluded" |> Option.map int |> Option.defaultValue 0 })
                | _ -> if problem.IsNone then problem <- Some(sprintf "%s: \"%s\".\"%s\" needs numbers \"mean\" and \"standardError\"" path name m.Name)
            | JsonValueKind.Number -> extras.Add(m.Name, m.Value.GetDouble())
            | _ -> ()
        match problem with
        | Some why -> Some(Error why)
        | None -> Some(Ok(List.ofSeq metrics, List.ofSeq extras))
    | true, _ -> Some(Error(sprintf "%s: \"%s\" is not an object" path name))
    | _ -> None

let private labelOf (model: string) =
    match Repro.Harness.ModelSpec.parse model [] with
    | Ok spec -> spec.Label
    | Error _ -> model

let private (>>=) r f = Result.bind f r

/// Reads one finished run folder; Error names the file and what is wrong with it.
let read (folder: string) : Result<Run, string> =
    let runPath = Path.Combine(folder, "run.json")
    let metricsPath = Path.Combine(folder, "metrics.json")
    // A refit's selection run (<run>/selection) is filed with its run.
    let trimmed = folder.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar)
    let refitOfSelection = if Path.GetFileName trimmed = Repro.Harness.Train.SelectionFolderName then Option.ofObj (Path.GetDirectoryName trimmed) else None
    let experimentPath =
        let own = Path.Combine(folder, "experiment.json")
        match refitOfSelection |> Option.map (fun run -> Path.Combine(run, "experiment.json")) with
        | Some runs when not (File.Exists own) && File.Exists runs -> runs
        | _ -> own
    let errorPath = Path.Combine(folder, "error.txt")
    // A run is finished when metrics.json has a test part (contract); error.txt explains one that is not.
    let unfinished (why: string) =
        if File.Exists errorPath then
            let first = File.ReadLines errorPath |> Seq.tryHead |> Option.defaultValue ""
            Error(sprintf "%s: the run failed (%s): %s" folder errorPath first)
        else Error why
    if not (File.Exists runPath) then unfinished (sprintf "%s has no run.json" folder)
    elif not (File.Exists metricsPath) then unfinished (sprintf "%s is not finished: %s is missing" folder metricsPath)
    else
    parseJson runPath >>= fun runDoc ->
    use runDoc = runDoc
    let r = runDoc.RootElement
    parseJson metricsPath >>= fun metricsDoc ->
    use metricsDoc = metricsDoc
    let m = metricsDoc.RootElement
    let experiment =
        if File.Exists experimentPath then parseJson experimentPath |> Result.map Some else Ok None
    experiment >>= fun experimentDoc ->
    use _ = match experimentDoc with Some d -> d :> IDisposable | None -> { new IDisposable with member _.Dispose() = () }
    str runPath r "dataset" >>= fun dataset ->
    str runPath r "model" >>= fun model ->
    (match r.TryGetProperty "seed" with
     | true, v when v.ValueKind = JsonValueKind.Number -> Ok(v.GetUInt64())
     | _ -> Error(sprintf "%s has no numeric \"seed\"" runPath)) >>= fun seed ->
    let settings =
        match r.TryGetProperty "settings" with
        | true, s when s.ValueKind = JsonValueKind.Object ->
            [ for p in s.EnumerateObject() -> p.Name, (if p.Value.ValueKind = JsonValueKind.String then p.Value.GetString() else p.Value.GetRawText()) ]
        | _ -> []
    match part metricsPath m "test" with
    | None -> unfinished (sprintf "%s is not finished: %s has no \"test\" part" folder metricsPath)
    | Some(Error why) -> Error why
    | Some(Ok(test, testExtras)) ->
    (match part metricsPath m "validation" with
     | None -> Ok []
     | Some r -> r |> Result.map fst) >>= fun validation ->
    let declared =
        match experimentDoc with
        | None -> Ok None
        | Some d ->
            let e = d.RootElement
            str experimentPath e "experiment" >>= fun id ->
            str experimentPath e "group" >>= fun group ->
            str experimentPath e "settingsHash" >>= fun hash -> Ok(Some(id, group, hash))
    declared >>= fun declared ->
    let selection =
        // A refit (weak-refit, leave-5-by-time-refit) trained on its validation targets: its selection
        // run's number counts, which is that run's own below (the same number, so the two tie).
        let extra name = testExtras |> List.tryFind (fun (n, _) -> n = name) |> Option.map snd
        let validated name = validation |> List.tryFind (fun (n, _) -> n = name) |> Option.map (fun (_, v) -> v.Mean)
        extra "selectionValidationNdcg@100" |> Option.orElse (Repro.Harness.RunFolder.selectionNdcg validated extra)
    // The runner's seed index (s1, s2, ...) names seeds in tables; run.json keeps the derived seed.
    let seed =
        match experimentDoc with
        | Some d ->
            match d.RootElement.TryGetProperty "seed" with
            | true, v when v.ValueKind = JsonValueKind.Number -> v.GetUInt64()
            | _ -> seed
        | None -> seed
    // A refit records what its selection run chose (a fitted model's: no epoch count).
    let isRefit = testExtras |> List.exists (fun (n, _) -> n = "selectionValidationNdcg@100")
    // A refit is tested on its selection run's split: it goes into the selection run's table.
    let protocol =
        let own = optStr r "protocol"
        let selectionRun = Path.Combine(folder, Repro.Harness.Train.SelectionFolderName, "run.json")
        if not isRefit || not (File.Exists selectionRun) then own
        else
            match parseJson selectionRun with
            | Ok d -> using d (fun d -> match optStr d.RootElement "protocol" with "" -> own | p -> p)
            | Error _ -> own
    let experiment, unfiled, group, hash =
        match declared with
        | Some(id, group, hash) -> id, None, group, hash
        | None ->
            // A refit run keeps its selection run in <run>/selection: both are filed with the run.
            let runFolder = defaultArg refitOfSelection trimmed
            let parent = match Path.GetDirectoryName runFolder with null -> "" | p -> p
            "", Some parent, labelOf model, Repro.Harness.ModelSpec.hashSettings settings
    Ok { Folder = folder
         Experiment = experiment
         Unfiled = unfiled
         Dataset = dataset
         Model = model
         Group = group
         // A refit is its own grid point even when its selected epoch count equals its selection run's
         // (same settings): otherwise the two would be averaged as two seeds of one point.
         SettingsHash = (if isRefit then hash + "-refit" else hash)
         FromExperiment = declared.IsSome
         Seed = seed
         Settings = settings
         Protocol = protocol
         Commit = optStr r "commit"
         Command = optStr r "command"
         Test = test
         Validation = validation
         SelectionNdcg = selection
         IsRefit = isRefit
         TestExtras = testExtras }

/// One run's test-users.tsv: the rows of the test fold-in matrix, each user's fold-in count (absent
/// in files older than that column) and per-metric values (None where the user had no targets).
type UserTable =
    { Path: string
      Rows: int[]
      FoldInItems: int[] option
      Metrics: (string * float option[]) list }

/// Reads <folder>/test-users.tsv; Error names the file and line.
let readUsers (folder: string) : Result<UserTable, string> =
    let path = Path.Combine(folder, "test-users.tsv")
    if not (File.Exists path) then Error(sprintf "%s is missing" path)
    else
    let lines = File.ReadAllLines path
    if lines.Length = 0 then Error(sprintf "%s is empty (expected a header line)" path)
    else
    let header = lines.[0].Split '\t'
    if header.[0] <> "row" then Error(sprintf "%s line 1: expected a header starting with 'row', got '%s'" path lines.[0])
    else
    let hasCounts = header.Length > 1 && header.[1] = "foldInItems"
    let first = if hasCounts then 2 else 1
    let names = header.[first..]
    let body = lines.[1..] |> Array.filter (fun l -> l <> "")
    let rows = Array.zeroCreate body.Length
    let counts = Array.zeroCreate body.Length
    let values = Array.init names.Length (fun _ -> Array.create body.Length None)
    let mutable problem = None
    body |> Array.iteri (fun i line ->
        if problem.IsNone then
            let fields = line.Split '\t'
            let lineNo = i + 2
            if fields.Length <> header.Length then problem <- Some(sprintf "%s line %d: %d fields, the header has %d" path lineNo fields.Length header.Length)
            else
                match Int32.TryParse(fields.[0], NumberStyles.Integer, culture) with
                | false, _ -> problem <- Some(sprintf "%s line %d: row '%s' is not an integer" path lineNo fields.[0])
                | true, row ->
                    rows.[i] <- row
                    if hasCounts then
                        match Int32.TryParse(fields.[1], NumberStyles.Integer, culture) with
                        | true, c -> counts.[i] <- c
                        | _ -> problem <- Some(sprintf "%s line %d: foldInItems '%s' is not an integer" path lineNo fields.[1])
                    for j in 0 .. names.Length - 1 do
                        let text = fields.[first + j]
                        if text <> "" then
                            match Double.TryParse(text, NumberStyles.Float, culture) with
                            | true, v -> values.[j].[i] <- Some v
                            | _ -> problem <- Some(sprintf "%s line %d: %s value '%s' is not a number" path lineNo names.[j] text))
    match problem with
    | Some why -> Error why
    | None -> Ok { Path = path; Rows = rows; FoldInItems = (if hasCounts then Some counts else None); Metrics = List.zip (List.ofArray names) (List.ofArray values) }

/// Every folder under <paramref name="results"/> (itself included) that holds a run.json,
/// metrics.json, experiment.json or error.txt, read in ordinal path order.
let load (results: string) : Index =
    if not (Directory.Exists results) then { Runs = []; Skipped = [ { Folder = results; Reason = sprintf "%s is not a folder" results } ] }
    else
    let marks = [ "run.json"; "metrics.json"; "experiment.json"; "error.txt" ]
    let folders =
        Seq.append [ results ] (Directory.EnumerateDirectories(results, "*", SearchOption.AllDirectories))
        |> Seq.filter (fun d -> marks |> List.exists (fun f -> File.Exists(Path.Combine(d, f))))
        |> Seq.sortWith (fun a b -> String.CompareOrdinal(a, b))
        |> List.ofSeq
    // A damaged test-users.tsv is damage to the run, reported as such: otherwise every paired test would
    // say "the runs have different test users" and the activity figure would go missing.
    let checkUsers (f: string) (run: Result<Run, string>) =
        match run with
        | Ok _ when File.Exists(Path.Combine(f, "test-users.tsv")) ->
            match readUsers f with
            | Error why -> Error(sprintf "damaged per-user file: %s" why)
            | Ok _ -> run
        | other -> other
    let results = folders |> List.map (fun f -> f, checkUsers f (read f))
    { Runs = results |> List.choose (function _, Ok r -> Some r | _ -> None)
      Skipped = results |> List.choose (function f, Error why -> Some { Folder = f; Reason = why } | _ -> None) }

/// <folder>/epochs.tsv as (epoch, validation NDCG@100) pairs; Error names the file and line.
let readEpochs (folder: string) : Result<(int * float) list, string> =
    let path = Path.Combine(folder, "epochs.tsv")
    if not (File.Exists path) then Error(sprintf "%s is missing" path)
    else
    let lines = File.ReadAllLines path |> Array.filter (fun l -> l <> "")
    if lines.Length = 0 then Error(sprintf "%s is empty" path)
    else
    let header = lines.[0].Split '\t'
    let epochColumn = Array.IndexOf(header, "epoch")
    let ndcgColumn = Array.IndexOf(header, "validation_ndcg_at_100")
    if epochColumn < 0 || ndcgColumn < 0 then Error(sprintf "%s line 1: expected columns 'epoch' and 'validation_ndcg_at_100'" path)
    else
    let parsed =
        lines.[1..] |> Array.mapi (fun i line ->
            let f = line.Split '\t'
            match (if f.Length > max epochColumn ndcgColumn then Some f else None) with
            | None -> Error(sprintf "%s line %d: %d fields, the header has %d" path (i + 2) f.Length header.Length)
            | Some f ->
                match Int32.TryParse(f.[epochColumn], NumberStyles.Integer, culture), Double.TryParse(f.[ndcgColumn], NumberStyles.Float, culture) with
                | (true, e), (true, v) -> Ok(e, v)
                | _ -> Error(sprintf "%s line %d: epoch '%s' or validation NDCG@100 '%s' is not a number" path (i + 2) f.[epochColumn] f.[ndcgColumn]))
    match parsed |> Array.tryPick (function Error e -> Some e | _ -> None) with
    | Some e -> Error e
    | None -> Ok(parsed |> Array.choose (function Ok p -> Some p | _ -> None) |> List.ofArray)
