/// `repro data fetch --dataset NAME`: downloads into the data folder with a progress bar; Ctrl-C
/// stops and keeps the partial file, which the next fetch resumes.
module Repro.Cli.FetchCommand

open System
open System.IO
open System.Threading
open Spectre.Console
open Repro.Core.Data
open Repro.Core.Data.Download
open Repro.Harness

/// Fetches one catalog entry; returns an exit code (0 done or present, 1 failed or needs the user).
let fetchEntry (dataDir: string) (entry: DatasetEntry) : int =
    Directory.CreateDirectory dataDir |> ignore
    use stop = StopRequests.listen "Stopping the download; the partial file is kept."
    try
        use fetcher = new DatasetFetcher(dataDir)
        let stage = Progress<string>(fun s -> eprintfn "  %s" s)
        let result =
            if AnsiConsole.Profile.Capabilities.Interactive then
                AnsiConsole.Progress()
                    .Columns(TaskDescriptionColumn(), ProgressBarColumn(), PercentageColumn(), DownloadedColumn(),
                             TransferSpeedColumn(), RemainingTimeColumn())
                    .StartAsync(fun ctx ->
                        let task = ctx.AddTask(sprintf "%s" entry.Name, autoStart = true, maxValue = 1.0)
                        let progress =
                            Progress<DownloadProgress>(fun p ->
                                match Option.ofNullable p.TotalBytes with
                                | Some total when total > 0L -> task.MaxValue <- float total
                                | _ -> ()
                                task.Value <- float p.BytesReceived)
                        fetcher.FetchAsync(entry, progress, stage, stop.Token))
                    .GetAwaiter().GetResult()
            else
                // No terminal (CI, a pipe): a line every 10% instead of a bar.
                let mutable lastTenth = -1L
                let progress =
                    Progress<DownloadProgress>(fun p ->
                        match Option.ofNullable p.TotalBytes with
                        | Some total when total > 0L ->
                            let tenth = 10L * p.BytesReceived / total
                            if tenth > lastTenth then
                                lastTenth <- tenth
                                eprintfn "  %s: %d%% of %.1f MB (%.1f MB/s)" entry.Name (10L * tenth) (float total / 1e6) (p.BytesPerSecond / 1e6)
                        | _ -> ())
                fetcher.FetchAsync(entry, progress, stage, stop.Token).GetAwaiter().GetResult()
        match result.Outcome with
        | FetchOutcome.AlreadyPresent -> printfn "%s is already present in %s." entry.Name (entry.FolderIn dataDir)
        | _ -> printfn "Fetched %s into %s (%s)." entry.Name (entry.FolderIn dataDir) result.Verified
        0
    with
    | :? ManualDownloadRequiredException as e ->
        eprintfn "%s" e.Message
        1
    | :? DownloadException as e ->
        eprintfn "error: %s" e.Message
        1
    | :? UnsafeZipEntryException as e ->
        eprintfn "error: %s" e.Message
        1
    | :? DataFormatException as e ->
        eprintfn "error: %s" e.Message
        1
    | :? OperationCanceledException ->
        eprintfn "Stopped. The partial download is kept in %s and the next fetch resumes it." (Path.Combine(dataDir, "downloads"))
        130

/// `data fetch --dataset NAME` for any known dataset name.
let run (dataDir: string) (name: string) : int =
    match Datasets.find name with
    | Error why ->
        eprintfn "error: %s" why
        1
    | Ok d ->
        match d.Source with
        | Datasets.Catalog entry -> fetchEntry dataDir entry
        | Datasets.ByHand text ->
            eprintfn "%s has no download here. %s" d.Name (text.Replace("<data-dir>", dataDir))
            1
        | Datasets.Generated ->
            printfn "%s is generated in memory; there is nothing to fetch." d.Name
            0
