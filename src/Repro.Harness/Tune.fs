/// Tuning: every point of a grid into its own run folder (`<model>-<settingsHash>`) through
/// Train.execute, selection by validation NDCG@100 (never by test numbers), and a table of the
/// points with the chosen point's test metrics. Finished points are read back, not run again.
module Repro.Harness.Tune

open System
open System.IO
open System.Text
open System.Text.Json
open System.Text.Json.Nodes
open Repro.Core.Training


/// What became of one grid point.
type PointStatus =
    /// metrics.json has its parts; the validation NDCG@100 selection reads.
    | Finished of validationNdcg: float
    | Failed of message: string
    | Interrupted

type Point = { Spec: ModelSpec; Folder: string; Status: PointStatus }

/// The folder name of a grid point: model name and settings hash.
let folderName (spec: ModelSpec) = spec.Name + "-" + ModelSpec.settingsHash spec

/// The settings that differ between points, in the models' own order.
let varying (points: ModelSpec list) : string list =
    match points with
    | [] -> []
    | first :: _ ->
        let values name = points |> List.map (fun p -> p.Settings |> List.tryFind (fst >> (=) name) |> Option.map snd) |> List.distinct
        [ for name, _ in first.Settings do if (values name).Length > 1 then yield name ]

/// The finished point with the highest validation NDCG@100 (the first of equals).
let select (points: Point list) : Point option =
    points
    |> List.choose (fun p -> match p.Status with Finished v -> Some(p, v) | _ -> None)
    |> List.fold (fun best (p, v) -> match best with Some(_, b) when b >= v -> best | _ -> Some(p, v)) None
    |> Option.map fst

/// Runs every point of <paramref name="grid"/> (request.Model is ignored) into <paramref name="out"/>.
/// A failing point is reported through <paramref name="say"/> and the others go on; cancellation
/// stops after the current point.
let run (dataDir: string) (out: string) (request: RunRequest) (grid: ModelSpec list) (say: string -> unit)
        (progress: IProgress<TrainingProgress>) (cancel: Threading.CancellationToken) : Point list =
    let vary = varying grid
    let results = Collections.Generic.List<Point>()
    for spec in grid do
        let folder = Path.Combine(out, folderName spec)
        let label =
            let s = spec.Settings |> List.filter (fun (n, _) -> List.contains n vary) |> List.map (fun (n, v) -> n + "=" + v)
            if s.IsEmpty then spec.Name else String.Join(" ", s)
        let status =
            if cancel.IsCancellationRequested then Interrupted
            else
                say (sprintf "point %d/%d: %s" (results.Count + 1) grid.Length label)
                let pointRequest = { request with Model = spec; Command = sprintf "%s  [grid point %s]" request.Command label }
                try
                    // Each point's folder has one owner at a time, as every run folder (RunLock).
                    match RunLock.exclusive folder (fun () -> Train.execute dataDir folder pointRequest say progress cancel) with
                    | Error why -> Failed why
                    | Ok r when r.Status = TrainingStatus.Completed ->
                        match RunFolder.validationNdcg folder with
                        | Some v -> Finished v
                        | None -> Failed(sprintf "%s has no validation NDCG@100 in metrics.json" folder)
                    | Ok r when r.Status = TrainingStatus.Interrupted -> Interrupted
                    | Ok r -> Failed(defaultArg r.Message "training stopped")
                with e -> Failed(sprintf "%s: %s" (e.GetType().Name) e.Message)
        match status with
        | Failed why -> say (sprintf "point %s failed: %s" label why)
        | _ -> ()
        results.Add { Spec = spec; Folder = folder; Status = status }
    List.ofSeq results

let private inv (x: float) = x.ToString("0.0000", Globalization.CultureInfo.InvariantCulture)

/// The chosen point's test metrics as "name  mean ± s.e." lines.
let testLines (chosen: Point) : string list =
    match RunFolder.readPart chosen.Folder "test" with
    | None -> []
    | Some(metrics, _) -> [ for m in metrics -> sprintf "%-18s %s ± %s  (%d users)" m.Name (inv m.Mean) (inv m.StandardError) m.Users ]

/// The table of points as markdown: the varying settings, validation NDCG@100, the chosen mark.
let table (points: Point list) : string =
    let vary = varying (points |> List.map (fun p -> p.Spec))
    let chosen = select points
    let text = StringBuilder()
    let columns = vary @ [ "validation NDCG@100"; "folder"; "" ]
    text.AppendLine("| " + String.Join(" | ", columns) + " |") |> ignore
    text.AppendLine("|" + String.Join("|", columns |> List.map (fun _ -> "---")) + "|") |> ignore
    for p in points do
        let settings = vary |> List.map (fun n -> p.Spec.Settings |> List.find (fst >> (=) n) |> snd)
        let value =
            match p.Status with
            | Finished v -> inv v
            | Failed why -> "failed: " + why.Replace("|", "/").Replace("\n", " ")
            | Interrupted -> "interrupted"
        let mark = if Some p = chosen then "**chosen**" else ""
        text.AppendLine("| " + String.Join(" | ", settings @ [ value; Path.GetFileName p.Folder; mark ]) + " |") |> ignore
    text.ToString()

/// tune.md: the command, the table and the chosen point's test metrics.
let markdown (dataset: string) (model: string) (command: string) (points: Point list) : string =
    let text = StringBuilder()
    text.AppendLine(sprintf "# Tuning %s on %s" model dataset).AppendLine() |> ignore
    text.AppendLine("```sh").AppendLine(command).AppendLine("```").AppendLine() |> ignore
    text.AppendLine("Selected by validation NDCG@100 (test metrics are never read for selection).").AppendLine() |> ignore
    text.Append(table points).AppendLine() |> ignore
    match select points with
    | Some chosen ->
        text.AppendLine(sprintf "Test metrics of the chosen point (%s), mean ± standard error over test users:" (Path.GetFileName chosen.Folder)).AppendLine() |> ignore
        text.AppendLine("```") |> ignore
        for line in testLines chosen do text.AppendLine line |> ignore
        text.AppendLine("```") |> ignore
    | None -> text.AppendLine("No point finished.") |> ignore
    text.ToString()

// Relaxed escaping keeps "+" and the like readable.
let private indented = JsonSerializerOptions(WriteIndented = true, Encoder = Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping)

/// tune.json: every point (folder, settings hash, settings, status, validation NDCG@100) and the
/// chosen point with its test metrics.
let json (dataset: string) (model: string) (grid: string) (command: string) (points: Point list) : string =
    let root = JsonObject()
    root.["dataset"] <- JsonValue.Create dataset
    root.["model"] <- JsonValue.Create model
    root.["grid"] <- JsonValue.Create grid
    root.["command"] <- JsonValue.Create command
    root.["selection"] <- JsonValue.Create "validation Ndcg@100"
    let array = JsonArray()
    for p in points do
        let node = JsonObject()
        node.["folder"] <- JsonValue.Create(Path.GetFileName p.Folder)
        node.["settingsHash"] <- JsonValue.Create(ModelSpec.settingsHash p.Spec)
        let settings = JsonObject()
        for n, v in p.Spec.Settings do settings.[n] <- JsonValue.Create v
        node.["settings"] <- settings
        match p.Status with
        | Finished v ->
            node.["status"] <- JsonValue.Create "finished"
            node.["validationNdcg@100"] <- JsonValue.Create v
        | Failed why ->
            node.["status"] <- JsonValue.Create "failed"
            node.["error"] <- JsonValue.Create why
        | Interrupted -> node.["status"] <- JsonValue.Create "interrupted"
        array.Add node
    root.["points"] <- array
    match select points with
    | Some chosen ->
        root.["chosen"] <- JsonValue.Create(Path.GetFileName chosen.Folder)
        match RunFolder.readPart chosen.Folder "test" with
        | Some(metrics, _) ->
            let test = JsonObject()
            for m in metrics do
                let node = JsonObject()
                node.["mean"] <- JsonValue.Create m.Mean
                node.["standardError"] <- JsonValue.Create m.StandardError
                node.["users"] <- JsonValue.Create m.Users
                test.[m.Name] <- node
            root.["test"] <- test
        | None -> ()
    | None -> ()
    root.ToJsonString indented

/// Writes tune.md and tune.json into <paramref name="out"/> (write-then-rename).
let write (out: string) (dataset: string) (model: string) (grid: string) (command: string) (points: Point list) =
    Directory.CreateDirectory out |> ignore
    let put (name: string) (text: string) =
        let path = Path.Combine(out, name)
        File.WriteAllText(path + ".tmp", text, UTF8Encoding false)
        File.Move(path + ".tmp", path, true)
    put "tune.md" (markdown dataset model command points)
    put "tune.json" (json dataset model grid command points)
