/// Runs of the same (dataset, model) over several seeds summarised from their run folders only:
/// mean of each test metric, its across-seed standard error (sample std with n - 1 / sqrt n, seeds
/// being a sample of initialisations) and the mean within-run standard error over users.
module Repro.Harness.Summary

open System
open System.IO
open System.Text
open System.Text.Json

type private Run = { Folder: string; Dataset: string; Model: string; Seed: uint64; Commit: string; Metrics: (string * float * float) list }

let private read (folder: string) =
    let runJson = Path.Combine(folder, "run.json")
    let metricsJson = Path.Combine(folder, "metrics.json")
    if not (File.Exists runJson && File.Exists metricsJson) then
        Error(sprintf "%s is not a finished run (run.json and metrics.json are needed)" folder)
    else
        use run = JsonDocument.Parse(File.ReadAllText runJson)
        use metrics = JsonDocument.Parse(File.ReadAllText metricsJson)
        let r = run.RootElement
        Ok { Folder = folder
             Dataset = r.GetProperty("dataset").GetString()
             Model = r.GetProperty("model").GetString()
             Seed = r.GetProperty("seed").GetUInt64()
             Commit = r.GetProperty("commit").GetString()
             Metrics =
                [ for p in metrics.RootElement.GetProperty("test").EnumerateObject() do
                    if p.Value.ValueKind = JsonValueKind.Object then
                        yield p.Name, p.Value.GetProperty("mean").GetDouble(), p.Value.GetProperty("standardError").GetDouble() ] }

/// A markdown table with one row per (dataset, model), and the runs it was made from.
let markdown (folders: string list) (command: string) : Result<string, string> =
    let runs = folders |> List.map read
    match runs |> List.choose (function Error e -> Some e | Ok _ -> None) with
    | e :: _ -> Error e
    | [] ->
        let runs = runs |> List.choose (function Ok r -> Some r | Error _ -> None)
        let text = StringBuilder()
        let line (s: string) = text.Append(s).Append('\n') |> ignore
        let metricNames = runs |> List.collect (fun r -> r.Metrics |> List.map (fun (n, _, _) -> n)) |> List.distinct
        line ("| dataset | model | seeds | " + String.Join(" | ", metricNames) + " |")
        line ("|---|---|---|" + String.replicate metricNames.Length "---|")
        for (dataset, model), group in runs |> List.groupBy (fun r -> r.Dataset, r.Model) do
            let cell name =
                let values = group |> List.choose (fun r -> r.Metrics |> List.tryFind (fun (n, _, _) -> n = name) |> Option.map (fun (_, m, se) -> m, se))
                let n = float values.Length
                if values.IsEmpty then "" else
                let mean = values |> List.averageBy fst
                let seedSe = if values.Length > 1 then sqrt ((values |> List.sumBy (fun (m, _) -> (m - mean) ** 2.0)) / (n - 1.0)) / sqrt n else nan
                let userSe = values |> List.averageBy snd
                sprintf "%.4f ± %.4f (users: ± %.4f)" mean seedSe userSe
            line (sprintf "| %s | %s | %s | %s |" dataset model (String.Join(", ", group |> List.map (fun r -> string r.Seed))) (String.Join(" | ", metricNames |> List.map cell)))
        line ""
        line "Each cell: mean over seeds ± across-seed standard error (sample std / √seeds); in brackets, the mean"
        line "over seeds of each run's standard error over test users (population std / √users, as the paper)."
        line ""
        line "Runs (folder, seed, commit):"
        line ""
        for r in runs do line (sprintf "- `%s` seed %d, commit `%s`" (Path.GetFileName(r.Folder.TrimEnd('/'))) r.Seed r.Commit)
        line ""
        line (sprintf "Regenerate with: `%s`" command)
        Ok(text.ToString())
