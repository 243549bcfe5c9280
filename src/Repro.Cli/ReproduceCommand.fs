/// `repro reproduce`: for now (the foundation), locates or downloads each paper dataset, prepares
/// its split and prints its statistics next to Table 1; says precisely what is missing and how to
/// get it. The experiments issue extends this to training and tables.
module Repro.Cli.ReproduceCommand

open System.IO
open Repro.Harness

let run (dataDir: string, chosenBy: string) (names: string list) : int =
    printfn "Data folder: %s (%s)" dataDir chosenBy
    Directory.CreateDirectory dataDir |> ignore
    let results =
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
                if not fetched then name, Error "not available on this machine"
                else
                    match Prepare.prepare dataDir (Prepare.cacheDir dataDir) d None (eprintfn "%s") with
                    | Error why -> name, Error why
                    | Ok p ->
                        let lines, warnings = StatisticsReport.lines d.Name p.Statistics
                        lines |> List.iter (printfn "%s")
                        name, Ok(warnings.Length) ]
    printfn ""
    printfn "Summary"
    for name, outcome in results do
        match outcome with
        | Ok 0 -> printfn "  %-10s prepared; statistics match Table 1" name
        | Ok n -> printfn "  %-10s prepared; %d statistic(s) differ from Table 1 (see the warnings above)" name n
        | Error why -> printfn "  %-10s skipped: %s" name why
    let prepared = results |> List.filter (fun (_, r) -> Result.isOk r) |> List.length
    if prepared = 0 then
        printfn ""
        printfn "None of the paper's datasets is available here, so nothing of Table 2 can be reproduced on this machine yet."
        printfn "Put the files where the messages above say, or run 'repro data fetch --dataset NAME' on a machine with network access."
        let local =
            Datasets.all
            |> List.filter (fun d ->
                not (List.contains d.Name Datasets.paperDatasets)
                && (match d.Source with Datasets.Generated -> false | _ -> true)
                && Result.isOk (Datasets.locate dataDir d))
        printfn "Local datasets present in %s:%s" dataDir (if local.IsEmpty then " (none)" else "")
        for d in local do printfn "  %s (try: repro data stats --dataset %s)" d.Name d.Name
    0
