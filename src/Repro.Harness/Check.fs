/// The CI regression check: test metrics of an experiment's runs (the smoke experiment, fixed seeds)
/// against floors recorded from real runs on the development machine
/// (results/regression-floors.json). A floor is the recorded mean minus `tolerance` standard errors
/// of that mean over test users, so only a change bigger than the estimate's own noise fails.
module Repro.Harness.Check

open System
open System.IO
open System.Text
open System.Text.Json
open System.Text.Json.Nodes

/// Standard errors between a recorded value and its floor.
let tolerance = 2.0

type Floor =
    { Dataset: string
      Group: string
      Metric: string
      /// The recorded test mean (over seeds when several).
      Value: float
      /// Its standard error over test users, as metrics.json records it.
      StandardError: float
      Floor: float }

type Verdict =
    | Pass
    /// Below the floor.
    | Regression
    /// A floor whose run is absent or failed.
    | Missing of why: string
    /// A measured value without a floor (recorded for information; not a failure).
    | NoFloor

type Row =
    { Dataset: string
      Group: string
      Metric: string
      Floor: float option
      Value: float option
      Verdict: Verdict }

/// A finished or failed run of the experiment, read from its folder.
type Measured =
    { Dataset: string
      Group: string
      /// metric -> (mean, standard error); empty when the run did not finish.
      Test: Map<string, float * float>
      Error: string option }

let private number (node: JsonNode) = node.GetValue<float>()

/// Every run folder of <paramref name="experiment"/> under <paramref name="results"/> (those with
/// experiment.json), with its test metrics or its error.
let measured (results: string) (experiment: string) : Measured list =
    let root = Path.Combine(results, experiment)
    if not (Directory.Exists root) then []
    else
        [ for file in Directory.GetFiles(root, "experiment.json", SearchOption.AllDirectories) |> Array.sort do
            let folder = Path.GetDirectoryName file
            let e = JsonNode.Parse(File.ReadAllText file)
            let test =
                let path = Path.Combine(folder, "metrics.json")
                if not (File.Exists path) then Map.empty
                else
                    match JsonNode.Parse(File.ReadAllText path).["test"] with
                    | :? JsonObject as t ->
                        t |> Seq.choose (fun kv ->
                            match kv.Value with
                            | :? JsonObject as m -> Some(kv.Key, (number m.["mean"], number m.["standardError"]))
                            | _ -> None)
                        |> Map.ofSeq
                    | _ -> Map.empty
            let error =
                let path = Path.Combine(folder, "error.txt")
                if File.Exists path then Some(File.ReadAllText(path).Trim())
                elif test.IsEmpty then Some "did not finish"
                else None
            yield { Dataset = e.["dataset"].GetValue<string>(); Group = e.["group"].GetValue<string>(); Test = test; Error = error } ]

/// Mean over the seeds of a (dataset, group), per metric: (mean of means, mean of standard errors).
let private summarise (runs: Measured list) =
    runs
    |> List.filter (fun m -> m.Error.IsNone)
    |> List.groupBy (fun m -> m.Dataset, m.Group)
    |> List.collect (fun ((dataset, group), seeds) ->
        seeds
        |> List.collect (fun m -> Map.toList m.Test)
        |> List.groupBy fst
        |> List.map (fun (metric, values) ->
            (dataset, group, metric), (values |> List.averageBy (snd >> fst), values |> List.averageBy (snd >> snd))))
    |> Map.ofList

/// The floors file's content for the measured runs: every metric of every finished run.
let record (runs: Measured list) (experiment: string) (note: string) : string =
    let floors = JsonArray()
    for KeyValue((dataset, group, metric), (mean, se)) in summarise runs do
        let o = JsonObject()
        o.["dataset"] <- JsonValue.Create dataset
        o.["group"] <- JsonValue.Create group
        o.["metric"] <- JsonValue.Create metric
        o.["value"] <- JsonValue.Create(Math.Round(mean, 6))
        o.["standardError"] <- JsonValue.Create(Math.Round(se, 6))
        o.["floor"] <- JsonValue.Create(Math.Round(mean - tolerance * se, 6))
        floors.Add o
    let root = JsonObject()
    root.["experiment"] <- JsonValue.Create experiment
    root.["recorded"] <- JsonValue.Create note
    root.["tolerance"] <-
        JsonValue.Create(
            sprintf "floor = value - %g x standardError, where value is the test mean recorded from a real run of '%s' on the development machine (fixed seeds, 2 threads) and standardError its standard error over test users (metrics.json). The same commit and thread count reproduce value exactly, so a metric fails only when a change moves it down by more than %g standard errors of its own estimate." tolerance experiment tolerance)
    root.["floors"] <- floors
    root.ToJsonString(JsonSerializerOptions(WriteIndented = true, Encoder = Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping)) + "\n"

/// Reads a floors file; errors name the file and the problem.
let readFloors (path: string) : Result<string * Floor list, string> =
    try
        let root = JsonNode.Parse(File.ReadAllText path)
        let floors =
            [ for f in root.["floors"].AsArray() ->
                { Dataset = f.["dataset"].GetValue<string>(); Group = f.["group"].GetValue<string>(); Metric = f.["metric"].GetValue<string>()
                  Value = number f.["value"]; StandardError = number f.["standardError"]; Floor = number f.["floor"] } ]
        Ok(root.["experiment"].GetValue<string>(), floors)
    with
    | :? FileNotFoundException | :? DirectoryNotFoundException -> Error(sprintf "%s does not exist" path)
    | e -> Error(sprintf "%s: not a floors file (%s)" path e.Message)

/// Each floor against the measured value, then measured values with no floor.
let compare (floors: Floor list) (runs: Measured list) : Row list =
    let values = summarise runs
    let failedGroups =
        runs |> List.choose (fun m -> m.Error |> Option.map (fun e -> (m.Dataset, m.Group), e)) |> Map.ofList
    let floored =
        [ for f in floors ->
            let key = f.Dataset, f.Group, f.Metric
            match values.TryFind key with
            | Some(v, _) ->
                { Dataset = f.Dataset; Group = f.Group; Metric = f.Metric; Floor = Some f.Floor; Value = Some v
                  Verdict = if v >= f.Floor then Pass else Regression }
            | None ->
                let why =
                    match failedGroups.TryFind(f.Dataset, f.Group) with
                    | Some e -> (e.Split('\n').[0])
                    | None -> "no run"
                { Dataset = f.Dataset; Group = f.Group; Metric = f.Metric; Floor = Some f.Floor; Value = None; Verdict = Missing why } ]
    let known = floors |> List.map (fun f -> f.Dataset, f.Group, f.Metric) |> Set.ofList
    let extra =
        [ for KeyValue((d, g, m), (v, _)) in values do
            if not (known.Contains(d, g, m)) then
                yield { Dataset = d; Group = g; Metric = m; Floor = None; Value = Some v; Verdict = NoFloor } ]
    floored @ extra

let passed (rows: Row list) =
    not rows.IsEmpty && rows |> List.forall (fun r -> match r.Verdict with Pass | NoFloor -> true | _ -> false)

/// The table `check` prints: metric, floor, value, verdict.
let table (rows: Row list) =
    let text = StringBuilder()
    let line (s: string) = text.Append(s).Append('\n') |> ignore
    line (sprintf "%-10s %-16s %-12s %8s %8s  %s" "dataset" "model" "metric" "floor" "value" "verdict")
    for r in rows do
        let show = function Some (v: float) -> v.ToString("F4", Globalization.CultureInfo.InvariantCulture) | None -> "-"
        let verdict =
            match r.Verdict with
            | Pass -> "ok"
            | Regression -> "REGRESSION"
            | Missing why -> "MISSING (" + why + ")"
            | NoFloor -> "no floor recorded"
        line (sprintf "%-10s %-16s %-12s %8s %8s  %s" r.Dataset r.Group r.Metric (show r.Floor) (show r.Value) verdict)
    text.ToString()
