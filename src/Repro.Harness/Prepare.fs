/// Builds a dataset's strong-generalisation split, or reloads it from the split cache when the
/// source files and settings are unchanged; a stale or corrupt cache is rebuilt with a message.
module Repro.Harness.Prepare

open System
open System.Diagnostics
open System.IO
open Repro.Core.Data.Cache
open Repro.Core.Protocols
open Repro.Harness.Datasets

type Prepared =
    { Dataset: Dataset
      HeldOut: HeldOutUsers
      Split: StrongGeneralizationSplit
      Statistics: DatasetStatistics
      /// The source files read (empty for generated data).
      Sources: string list
      CachePath: string
      FromCache: bool
      Seconds: float }

/// Where split caches go: $REPRO_CACHE_DIR, else <data-dir>/.cache.
let cacheDir (dataDir: string) =
    match Environment.GetEnvironmentVariable "REPRO_CACHE_DIR" with
    | null | "" -> Path.Combine(dataDir, ".cache")
    | dir -> Path.GetFullPath dir

/// Everything that decides the split's content, as text for the cache key.
let settingsText (d: Dataset) (heldOut: HeldOutUsers) =
    let p = d.Preprocessing
    sprintf "dataset=%s;reader=%s;rating>%s;minItemsPerUser=%d;minUsersPerItem=%d;heldout=%d;seed=%d;targetFraction=%g;minEventsForTargets=%d"
        d.Name d.ReaderSettings (match p.MinRatingExclusive |> Option.ofNullable with Some t -> string t | None -> "none")
        p.MinItemsPerUser p.MinUsersPerItem heldOut.Count heldOut.Seed heldOut.TargetFraction heldOut.MinEventsForTargets

/// The split of dataset <paramref name="d"/> with <paramref name="heldOutCount"/> validation and test
/// users (None: the dataset's own), from the cache when it is current. <paramref name="say"/> gets
/// progress messages.
let prepare (dataDir: string) (cacheFolder: string) (d: Dataset) (heldOutCount: int option) (say: string -> unit) : Result<Prepared, string> =
    match locate dataDir d with
    | Error why -> Error why
    | Ok sources ->
        let heldOut = HeldOutUsers(defaultArg heldOutCount d.HeldOut)
        let key = SplitCache.Key(sources, settingsText d heldOut)
        let cachePath = Path.Combine(cacheFolder, sprintf "%s-heldout%d.split" d.Name heldOut.Count)
        let clock = Stopwatch.StartNew()
        if Directory.Exists cachePath then
            Error(sprintf "the split cache %s is a folder, not a file: remove or rename it, or point REPRO_CACHE_DIR elsewhere" cachePath)
        else
        let cached =
            if File.Exists cachePath then
                try Some(SplitCache.Load(cachePath, key))
                with :? StaleCacheException as e ->
                    say (sprintf "Rebuilding the cached split: %s." e.Message)
                    None
            else None
        match cached with
        | Some(struct (split, stats)) ->
            Ok { Dataset = d; HeldOut = heldOut; Split = split; Statistics = stats; Sources = sources
                 CachePath = cachePath; FromCache = true; Seconds = clock.Elapsed.TotalSeconds }
        | None ->
            try
                say (sprintf "Reading %s from %s ..." d.Name (folderOf dataDir d))
                let log = d.Read(folderOf dataDir d)
                say (sprintf "  %s events, %s users, %s items read in %.1f s%s" (log.Count.ToString "N0") (log.UserCount.ToString "N0") (log.ItemCount.ToString "N0") clock.Elapsed.TotalSeconds
                        (if log.DuplicatesMerged > 0 then sprintf "; %d repeated (user, item) events merged" log.DuplicatesMerged else ""))
                let filtered = d.Preprocessing.Filter log
                let split = StrongGeneralization.Split(filtered, heldOut)
                let stats = DatasetStatistics.Compute(filtered, split)
                say (sprintf "  preprocessed and split in %.1f s" clock.Elapsed.TotalSeconds)
                SplitCache.Save(cachePath, key, split, stats)
                Ok { Dataset = d; HeldOut = heldOut; Split = split; Statistics = stats; Sources = sources
                     CachePath = cachePath; FromCache = false; Seconds = clock.Elapsed.TotalSeconds }
            with
            | :? Repro.Core.Data.DataFormatException as e -> Error e.Message
            | :? ArgumentException as e -> Error(sprintf "%s: %s" d.Name e.Message)
