/// `repro data list | stats | prepare`: thin handlers over Repro.Harness.
module Repro.Cli.DataCommands

open System
open System.IO
open Argu
open Repro.Core.Protocols
open Repro.Harness
open Repro.Cli.Arguments

let private say (text: string) = Console.Error.WriteLine text

/// Exit codes: 0 done, 1 the work failed (message printed), 2 bad command line.
let private failWith (message: string) =
    eprintfn "error: %s" message
    1

let private findDataset (name: string) (onFound: Datasets.Dataset -> int) =
    match Datasets.find name with
    | Ok d -> onFound d
    | Error why -> failWith why

let private requireDataDir (dataDir: string) (chosenBy: string) =
    if Directory.Exists dataDir then Ok()
    else Error(sprintf "the data folder %s (chosen by %s) does not exist; create it, or pass --data-dir DIR or set REPRO_DATA_DIR" dataDir chosenBy)

let private withPrepared (dataDir: string, chosenBy: string) (name: string) (heldOut: int option) (onPrepared: Prepare.Prepared -> int) =
    findDataset name (fun d ->
        match requireDataDir dataDir chosenBy with
        | Error why -> failWith why
        | Ok() ->
            match Prepare.prepare dataDir (Prepare.cacheDir dataDir) d heldOut say with
            | Error why ->
                let how =
                    match d.Source with
                    | Datasets.Catalog entry when entry.IsDownloadable -> sprintf "\n  get it with: repro data fetch --dataset %s" d.Name
                    | Datasets.Catalog entry -> "\n" + entry.ByHandInstructions(dataDir)
                    | Datasets.ByHand text -> "\n  " + text.Replace("<data-dir>", dataDir)
                    | Datasets.Generated -> ""
                failWith (why + how)
            | Ok p ->
                if p.FromCache then say (sprintf "Loaded the cached split %s in %.2f s." p.CachePath p.Seconds)
                else say (sprintf "Cached the split in %s." p.CachePath)
                onPrepared p)

let private printStatistics (p: Prepare.Prepared) =
    printfn "%s: %s" p.Dataset.Name p.Dataset.Description
    printfn "  preprocessing: %s; held-out users: %d + %d; seed %d"
        (let q = p.Dataset.Preprocessing
         let rating = match Option.ofNullable q.MinRatingExclusive with Some t -> sprintf "rating > %g, " t | None -> ""
         sprintf "%susers >= %d items, items >= %d users" rating q.MinItemsPerUser q.MinUsersPerItem)
        p.HeldOut.Count p.HeldOut.Count p.HeldOut.Seed
    let lines, warnings = StatisticsReport.lines p.Dataset.Name p.Statistics
    lines |> List.iter (printfn "%s")
    warnings |> List.iter (fun w -> eprintfn "%s" w)

let list (dataDir: string, _chosenBy: string) =
    printfn "Data folder: %s" dataDir
    printfn "%-16s %-9s %s" "dataset" "present" "how to get it"
    for d in Datasets.all do
        let present = match Datasets.locate dataDir d with Ok _ -> "yes" | Error _ -> "no"
        let how =
            match d.Source with
            | Datasets.Catalog entry when entry.IsDownloadable -> sprintf "repro data fetch --dataset %s" d.Name
            | Datasets.Catalog _
            | Datasets.ByHand _ -> sprintf "by hand into %s/ (see 'repro data fetch --dataset %s')" d.Folder d.Name
            | Datasets.Generated -> "generated in memory"
        printfn "%-16s %-9s %s" d.Name present how
    0

let stats dataDir (args: ParseResults<DataStatsArgs>) =
    withPrepared dataDir (args.GetResult DataStatsArgs.Dataset) (args.TryGetResult DataStatsArgs.Heldout) (fun p ->
        printStatistics p
        0)

let prepare dataDir (args: ParseResults<DataPrepareArgs>) =
    withPrepared dataDir (args.GetResult DataPrepareArgs.Dataset) (args.TryGetResult DataPrepareArgs.Heldout) (fun p ->
        printStatistics p
        match args.TryGetResult Export_Pro_Sg with
        | Some dir ->
            ProSgFormat.Export(p.Split, dir)
            printfn "Wrote the split in the notebook's pro_sg layout to %s" (Path.GetFullPath dir)
        | None -> ()
        0)
