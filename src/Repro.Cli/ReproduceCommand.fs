/// `repro reproduce`: locates or downloads each paper dataset, prepares its split and prints its
/// statistics next to Table 1 (saying precisely what is missing and how to get it), then runs the
/// `paper` experiment on the datasets available. With none, it runs `local` on the shipped datasets
/// present, or with no data at all the labelled `synthetic` experiment, so the pipeline runs end to
/// end. `dotnet fsi build.fsx reproduce` then runs `repro report`.
module Repro.Cli.ReproduceCommand

open System
open System.IO
open Repro.Harness

let run (dataDir: string, chosenBy: string) (names: string list) (results: string) (threads: int) : int =
    printfn "Data folder: %s (%s)" dataDir chosenBy
    Directory.CreateDirectory dataDir |> ignore
    let outcomes =
        [ for name in names ->
            match Datasets.find name with
            | Error why -> name, Error why
            | Ok d ->
                printfn ""
                printfn "== %s" d.Name
                let present = Datasets.locate dataDir d |> Result.isOk
                let fetched =
                    if present then true
                    else
                        match d.Source with
                        | Datasets.Catalog entry when entry.IsDownloadable ->
                            printfn "Not present; downloading."
                            FetchCommand.fetchEntry dataDir entry = 0
                        | Datasets.Catalog _
                        | Datasets.ByHand _ ->
                            printfn "%s" (Datasets.howToGet dataDir d)
                            false
                        | Datasets.Generated -> true
                if not fetched then name, Error(sprintf "not available on this machine; %s" (Datasets.howToGet dataDir d))
                else
                    match Prepare.prepare dataDir (Prepare.cacheDir dataDir) d None (eprintfn "%s") with
                    | Error why -> name, Error why
                    | Ok p ->
                        let lines, warnings = StatisticsReport.lines d.Name p.Statistics
                        lines |> List.iter (printfn "%s")
                        name, Ok(warnings.Length) ]
    printfn ""
    printfn "Summary"
    for name, outcome in outcomes do
        match outcome with
        | Ok 0 -> printfn "  %-10s prepared; statistics match Table 1" name
        | Ok n -> printfn "  %-10s prepared; %d statistic(s) differ from Table 1 (see the warnings above)" name n
        | Error why -> printfn "  %-10s skipped: %s" name why
    let prepared = outcomes |> List.filter (fun (_, r) -> Result.isOk r) |> List.map fst
    let options : Runner.Options = { Results = Path.GetFullPath results; DataDir = dataDir; Only = None; Seeds = None; Threads = threads }
    if prepared.IsEmpty then
        printfn ""
        printfn "None of the paper's datasets is available here, so nothing of Table 2 can be reproduced on this machine yet."
        printfn "Put the files where the messages above say, or run 'repro data fetch --dataset NAME' on a machine with network access."
    match Reproduce.choose dataDir Repro.Experiments.Experiments.all prepared with
    | Error why ->
        eprintfn "error: %s" why
        1
    | Ok choice ->
        printfn ""
        printfn "%s" choice.Why
        ExperimentCommands.runWith { options with Only = choice.Only } choice.Experiment
