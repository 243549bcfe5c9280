/// Runs of the same (dataset, model) over several seeds summarised from their run folders only:
/// mean of each test metric, its across-seed standard error (Core's SeedSummary: sample std with
/// n - 1 / sqrt n, seeds being a sample of initialisations) and the mean within-run standard error
/// over users. Folders are read as the reporter reads them (Report.RunIndex).
module Repro.Harness.Summary

open System
open System.IO
open System.Text
open Repro.Core.Metrics
open Repro.Harness.Report

/// A markdown table with one row per (dataset, model), and the runs it was made from.
let markdown (folders: string list) (command: string) : Result<string, string> =
    let runs = folders |> List.map RunIndex.read
    match runs |> List.choose (function Error e -> Some e | Ok _ -> None) with
    | e :: _ -> Error e
    | [] ->
        let runs = runs |> List.choose (function Ok r -> Some r | Error _ -> None)
        let text = StringBuilder()
        let line (s: string) = text.Append(s).Append('\n') |> ignore
        let metricNames = runs |> List.collect (fun r -> r.Test |> List.map fst) |> List.distinct
        line ("| dataset | model | seeds | " + String.Join(" | ", metricNames) + " |")
        line ("|---|---|---|" + String.replicate metricNames.Length "---|")
        for (dataset, model), group in runs |> List.groupBy (fun r -> r.Dataset, r.Model) do
            let cell name =
                let values = group |> List.choose (fun r -> r.Test |> List.tryFind (fun (n, _) -> n = name) |> Option.map snd)
                if values.IsEmpty then "" else
                let seeds = SeedSummary.Of(ReadOnlySpan(values |> List.map _.Mean |> Array.ofList))
                let userSe = values |> List.averageBy _.StandardError
                sprintf "%.4f ± %.4f (users: ± %.4f)" seeds.Mean seeds.StandardError userSe
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
