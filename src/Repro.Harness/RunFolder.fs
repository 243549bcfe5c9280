/// What one run leaves behind, so that every number can be traced to its configuration, seed and
/// commit: run.json (what was run), metrics.json (aggregate metrics with standard errors) and
/// test-users.tsv (per-user values, for paired tests and activity breakdowns). The training driver
/// adds epochs.tsv and the weights. Files appear by write-then-rename.
module Repro.Harness.RunFolder

open System
open System.Diagnostics
open System.IO
open System.Text
open System.Text.Json
open System.Text.Json.Nodes
open Repro.Core.Metrics

type RunDescription =
    { Dataset: string
      Model: string
      /// Every hyperparameter, as the command line names them.
      Settings: (string * string) list
      Seed: uint64
      /// "strong generalisation, 10000 + 10000 held-out users" and the like.
      Protocol: string
      Command: string }

let private writeAtomically (path: string) (text: string) =
    let temp = path + ".tmp"
    File.WriteAllText(temp, text, UTF8Encoding false)
    File.Move(temp, path, true)

/// The commit of the checkout at <paramref name="dir"/>, with "-dirty" when tracked files other than
/// those under results/ differ from it, or "unknown" outside git. results/ is left out because a run
/// record names the code that made it: deleting a run folder to make it again, or runs finished
/// since the last commit, change no code.
let commitOf (dir: string) =
    let git (args: string) =
        try
            let psi = ProcessStartInfo("git", args, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = dir)
            use p = Process.Start psi
            let text = p.StandardOutput.ReadToEnd().Trim()
            p.WaitForExit()
            if p.ExitCode = 0 then Some text else None
        with _ -> None
    match git "rev-parse HEAD" with
    | None -> "unknown"
    | Some hash ->
        match git "status --porcelain --untracked-files=no -- \":(top,exclude)results\"" with
        | Some "" -> hash
        | _ -> hash + "-dirty"

/// The commit of the checkout the process runs in (<see cref="commitOf"/>).
let commit () = commitOf "."

// Relaxed escaping keeps "+" and the like readable in files people read.
let private indented = JsonSerializerOptions(WriteIndented = true, Encoder = Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping)

/// Writes run.json: the description plus commit, versions, threads, start time and the machine's load
/// then (what a run's time is compared with its estimate by, `repro bench estimates`).
let describe (folder: string) (run: RunDescription) =
    Directory.CreateDirectory folder |> ignore
    let settings = JsonObject()
    for name, value in run.Settings do settings.[name] <- JsonValue.Create value
    let json =
        JsonObject(
            [ Collections.Generic.KeyValuePair("dataset", JsonValue.Create run.Dataset :> JsonNode)
              Collections.Generic.KeyValuePair("model", JsonValue.Create run.Model)
              Collections.Generic.KeyValuePair("settings", settings)
              Collections.Generic.KeyValuePair("seed", JsonValue.Create run.Seed)
              Collections.Generic.KeyValuePair("protocol", JsonValue.Create run.Protocol)
              Collections.Generic.KeyValuePair("command", JsonValue.Create run.Command)
              Collections.Generic.KeyValuePair("commit", JsonValue.Create(commit ()))
              Collections.Generic.KeyValuePair("dotnet", JsonValue.Create(Environment.Version.ToString()))
              Collections.Generic.KeyValuePair("torchsharp", JsonValue.Create(typeof<TorchSharp.torch>.Assembly.GetName().Version.ToString()))
              Collections.Generic.KeyValuePair("threads", JsonValue.Create(TorchSharp.torch.get_num_threads ()))
              Collections.Generic.KeyValuePair("started", JsonValue.Create(DateTimeOffset.UtcNow.ToString "o")) ])
    LoadAverage.oneMinute () |> Option.iter (fun l -> json.["loadAverage"] <- JsonValue.Create l)
    writeAtomically (Path.Combine(folder, "run.json")) (json.ToJsonString indented)

/// Writes metrics.json (mean, standard error, users used and excluded per metric, for one part such
/// as "test") and <part>-users.tsv (row, the user's number of fold-in items — the activity that
/// Figure 3's quintiles are cut by — then one column per metric; excluded users are listed with
/// empty values, never NaN).
let writeMetrics (folder: string) (part: string) (result: EvaluationResult) (foldIn: Repro.Core.Sparse.CsrMatrix) (extra: (string * float) list) =
    Directory.CreateDirectory folder |> ignore
    let path = Path.Combine(folder, "metrics.json")
    let root =
        if File.Exists path then JsonNode.Parse(File.ReadAllText path).AsObject() else JsonObject()
    let partNode = JsonObject()
    for m in result.Metrics do
        let s = m.Summary
        // No user with targets (e.g. CDL's one-item split leaves nothing to carve for validation): null, not NaN.
        let number (v: float) : JsonNode = if Double.IsFinite v then JsonValue.Create v else null
        partNode.[m.Metric.Name] <-
            JsonObject(
                [ Collections.Generic.KeyValuePair("mean", number s.Mean)
                  Collections.Generic.KeyValuePair("standardError", number s.StandardError)
                  Collections.Generic.KeyValuePair("users", JsonValue.Create s.UsersUsed)
                  Collections.Generic.KeyValuePair("excluded", JsonValue.Create s.UsersExcluded) ])
    for name, value in extra do partNode.[name] <- JsonValue.Create value
    root.[part] <- partNode
    writeAtomically path (root.ToJsonString indented)

    let text = StringBuilder()
    text.Append("row\tfoldInItems") |> ignore
    for m in result.Metrics do text.Append('\t').Append(m.Metric.Name) |> ignore
    text.Append('\n') |> ignore
    let byRow = result.Metrics |> Seq.map (fun m -> Seq.zip m.Rows m.Values |> dict) |> Array.ofSeq
    let rows = Array.append result.IncludedRows result.ExcludedRows |> Array.sort
    for r in rows do
        text.Append(r).Append('\t').Append(foldIn.RowLength r) |> ignore
        for values in byRow do
            text.Append('\t') |> ignore
            match values.TryGetValue r with
            | true, v -> text.Append(v.ToString("R", Globalization.CultureInfo.InvariantCulture)) |> ignore
            | _ -> ()
        text.Append('\n') |> ignore
    writeAtomically (Path.Combine(folder, part + "-users.tsv")) (text.ToString())

/// One metric of one part of metrics.json.
type RecordedMetric = { Name: string; Mean: float; StandardError: float; Users: int; Excluded: int }

/// A run folder whose files cannot be read as the contract says (damaged, edited by hand).
exception DamagedRunFolder of message: string

/// A part of metrics.json ("validation", "test"): its metrics and its extra numbers (e.g.
/// "bestEpoch"); None when the file or the part is absent. A metrics.json that is not a JSON object
/// of such parts raises DamagedRunFolder naming the file.
let readPart (folder: string) (part: string) : (RecordedMetric list * (string * float) list) option =
    let path = Path.Combine(folder, "metrics.json")
    if not (File.Exists path) then None
    else
        let damaged (why: string) =
            raise (DamagedRunFolder(sprintf "%s: %s; the run folder is damaged (delete metrics.json to run it again, or the folder to start over)" path why))
        use doc = try JsonDocument.Parse(File.ReadAllText path) with :? JsonException as e -> damaged (sprintf "not valid JSON (%s)" e.Message)
        if doc.RootElement.ValueKind <> JsonValueKind.Object then
            damaged (sprintf "expected a JSON object with \"validation\" and \"test\" parts, found %s" (doc.RootElement.ValueKind.ToString().ToLowerInvariant()))
        match doc.RootElement.TryGetProperty part with
        | false, _ -> None
        | true, node when node.ValueKind <> JsonValueKind.Object -> damaged (sprintf "its \"%s\" part is not an object" part)
        | true, node ->
            let props = [ for p in node.EnumerateObject() -> p ]
            try
                // A part with no user to average over is written with null mean and s.e. (writeMetrics): NaN here.
                let metrics =
                    [ for p in props do
                        if p.Value.ValueKind = JsonValueKind.Object then
                            let value (name: string) =
                                match p.Value.GetProperty(name) with
                                | v when v.ValueKind = JsonValueKind.Null && p.Value.GetProperty("users").GetInt32() = 0 -> nan
                                | v -> v.GetDouble()
                            yield { Name = p.Name
                                    Mean = value "mean"
                                    StandardError = value "standardError"
                                    Users = p.Value.GetProperty("users").GetInt32()
                                    Excluded = p.Value.GetProperty("excluded").GetInt32() } ]
                let extras = [ for p in props do if p.Value.ValueKind = JsonValueKind.Number then yield p.Name, p.Value.GetDouble() ]
                Some(metrics, extras)
            with
            | :? Collections.Generic.KeyNotFoundException | :? InvalidOperationException | :? FormatException as e ->
                damaged (sprintf "a metric of its \"%s\" part lacks mean, standardError, users or excluded as numbers (%s)" part e.Message)

/// A run is finished when metrics.json has a "test" part (the contract).
let isFinished (folder: string) = (readPart folder "test").IsSome

/// The number a run is selected by, from its validation means and its test part's extras: the
/// paper's validation NDCG@100, else the training driver's best (runs older than the "validation"
/// part, and trained runs of protocols that record LightGCN's metrics alone), else LightGCN's.
let selectionNdcg (validated: string -> float option) (extra: string -> float option) =
    validated "Ndcg@100"
    |> Option.orElse (extra "bestValidationNdcg@100")
    |> Option.orElse (validated "NdcgLightGcn@100")

/// Selection metric of a finished folder (selectionNdcg).
let validationNdcg (folder: string) : float option =
    let validation = readPart folder "validation" |> Option.map fst |> Option.defaultValue []
    let extras = readPart folder "test" |> Option.map snd |> Option.defaultValue []
    selectionNdcg (fun name -> validation |> List.tryFind (fun m -> m.Name = name) |> Option.map (fun m -> m.Mean))
                  (fun name -> extras |> List.tryFind (fst >> (=) name) |> Option.map snd)

/// What a command asks a run folder for, in the terms run.json records.
type RequestedRun =
    { /// A registry name or alias (`repro data list`), or the label given with Split.
      Dataset: string
      /// "pro-sg:DIR" when the run trains on an imported split.
      Split: string option
      /// "strong", "weak" or "weak-refit".
      Protocol: string
      /// Held-out users per set asked for (strong); None: the dataset's own.
      Heldout: int option
      Model: string
      Settings: (string * string) list
      Seed: uint64 }

/// How <paramref name="requested"/> differs from the run recorded in folder/run.json, one line per
/// difference ("seed: the folder ran 1, this command asks for 2"); empty when the folder answers for
/// it. A folder without run.json has nothing to compare and differs in nothing.
let differences (folder: string) (requested: RequestedRun) : string list =
    let path = Path.Combine(folder, "run.json")
    if not (File.Exists path) then []
    else
    use doc =
        try JsonDocument.Parse(File.ReadAllText path)
        with :? JsonException as e -> raise (DamagedRunFolder(sprintf "%s: not valid JSON (%s)" path e.Message))
    let root = doc.RootElement
    if root.ValueKind <> JsonValueKind.Object then raise (DamagedRunFolder(sprintf "%s: expected a JSON object" path))
    let text (name: string) = match root.TryGetProperty name with | true, v when v.ValueKind = JsonValueKind.String -> v.GetString() | _ -> ""
    let recordedProtocol = text "protocol"
    let refit = recordedProtocol.StartsWith "weak generalisation, refit"
    let differs (what: string) (recorded: string) (asked: string) =
        if recorded = asked then [] else [ sprintf "%s: the folder ran %s, this command asks for %s" what recorded asked ]
    let dataset =
        match requested.Split with
        | Some spec when spec.StartsWith "pro-sg:" -> sprintf "pro_sg split from %s" (Path.GetFullPath(spec.Substring "pro-sg:".Length))
        | _ -> match Datasets.find requested.Dataset with Ok d -> d.Name | Error _ -> requested.Dataset
    let protocolKind =
        if recordedProtocol.StartsWith "strong" then "strong"
        elif refit then "weak-refit"
        elif recordedProtocol.StartsWith "weak" then "weak"
        else
            // The others' descriptions start with their name: "leave-5-by-time (LOCA's split ...", "cdl-1 (CDL's split ...".
            match Protocol.all |> List.tryFind (fun p -> recordedProtocol = p.Name || recordedProtocol.StartsWith(p.Name + " ")) with
            | Some p -> p.Name
            | None -> recordedProtocol
    let heldout =
        let m = RegularExpressions.Regex.Match(recordedProtocol, @"^strong generalisation, (\d+) validation \+ \d+ test users")
        if not m.Success || requested.Protocol <> "strong" || requested.Split.IsSome then []
        else
            let asked =
                match requested.Heldout with
                | Some h -> Some h
                | None -> match Datasets.find requested.Dataset with Ok d -> Some d.HeldOut | Error _ -> None
            match asked with
            | Some h -> differs "held-out users per set" m.Groups.[1].Value (string h)
            | None -> []
    let seed =
        match root.TryGetProperty "seed" with
        | true, v when v.ValueKind = JsonValueKind.Number -> v.GetUInt64() |> string
        | _ -> "?"
    let recordedSettings =
        match root.TryGetProperty "settings" with
        | true, v when v.ValueKind = JsonValueKind.Object ->
            [ for p in v.EnumerateObject() -> p.Name, (if p.Value.ValueKind = JsonValueKind.String then p.Value.GetString() else p.Value.GetRawText()) ] |> Map.ofList
        | _ -> Map.empty
    let askedSettings = Map.ofList requested.Settings
    let settings =
        // A refit's folder records the epoch count selection chose, not the one asked for.
        let names = Set.union (Set.ofSeq recordedSettings.Keys) (Set.ofSeq askedSettings.Keys) |> Set.filter (fun n -> not (refit && n = "epochs"))
        [ for n in names do
            let value (m: Map<string, string>) = match m.TryFind n with Some v -> v | None -> "(not set)"
            yield! differs (sprintf "setting %s" n) (value recordedSettings) (value askedSettings) ]
    [ yield! differs "dataset" (text "dataset") dataset
      yield! differs "protocol" protocolKind requested.Protocol
      yield! heldout
      yield! differs "model" (text "model") requested.Model
      // Another model's settings differ by nature: the model line says enough.
      if text "model" = requested.Model then yield! settings
      yield! differs "seed" seed (string requested.Seed) ]

/// Ok when the finished folder answers for <paramref name="requested"/>; otherwise the refusal,
/// naming what differs.
let answersFor (folder: string) (requested: RequestedRun) : Result<unit, string> =
    match differences folder requested with
    | [] -> Ok()
    | diffs ->
        Error(sprintf "%s holds a finished run of another command, so it does not answer for this one:\n  %s\nUse another --out folder (or delete this one to run it again)."
                folder (String.concat "\n  " diffs))
