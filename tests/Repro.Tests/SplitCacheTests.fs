module Repro.Tests.SplitCacheTests

open System.IO
open Expecto
open Repro.Core.Data.Cache
open Repro.Core.Protocols
open Repro.Tests.ProtocolTestData
open Repro.Tests.TempFiles

/// A split of a random log with its statistics, and the pro_sg bytes it exports to.
let private splitAndStats () =
    let filtered = Preprocessing.ExplicitRatings.Filter(randomLog 7 120 80)
    let split = StrongGeneralization.Split(filtered, HeldOutUsers 10)
    split, DatasetStatistics.Compute(filtered, split)

let private exportBytes (split: StrongGeneralizationSplit) =
    use folder = new TempFolder()
    ProSgFormat.Export(split, folder.Path)
    [ for f in Directory.GetFiles folder.Path |> Array.sort -> Path.GetFileName f, File.ReadAllBytes f ]

let private expectStale (path: string) (key: string) (reasonPart: string) =
    try
        SplitCache.Load(path, key) |> ignore
        failtest "a stale cache was loaded"
    with :? StaleCacheException as e ->
        Expect.stringContains e.Message reasonPart "the message says why the cache is rebuilt"
        Expect.stringContains e.Message path "the message names the file"

[<Tests>]
let tests =
    testList "Data.SplitCache" [
        testCase "a saved split reloads identical: same statistics and the same exported files" <| fun () ->
            use folder = new TempFolder()
            let split, stats = splitAndStats ()
            let path = Path.Combine(folder.Path, "s.split")
            SplitCache.Save(path, "key", split, stats)
            let struct (loaded, loadedStats) = SplitCache.Load(path, "key")
            Expect.equal loadedStats stats "statistics"
            Expect.equal (exportBytes loaded) (exportBytes split) "pro_sg export of the reloaded split"
            Expect.equal loaded.Validation.UserIds split.Validation.UserIds "original user ids survive"

        testCase "a cache built from other files or settings is refused" <| fun () ->
            use folder = new TempFolder()
            let split, stats = splitAndStats ()
            let path = Path.Combine(folder.Path, "s.split")
            SplitCache.Save(path, "key-a", split, stats)
            expectStale path "key-b" "other source files or settings"

        testCase "a flipped byte anywhere fails the checksum" <| fun () ->
            use folder = new TempFolder()
            let split, stats = splitAndStats ()
            let path = Path.Combine(folder.Path, "s.split")
            SplitCache.Save(path, "key", split, stats)
            let bytes = File.ReadAllBytes path
            for at in [ 20; bytes.Length / 2; bytes.Length - 40 ] do
                let corrupt = Array.copy bytes
                corrupt.[at] <- corrupt.[at] ^^^ 0x10uy
                File.WriteAllBytes(path, corrupt)
                expectStale path "key" "checksum"

        testCase "a truncated file is refused" <| fun () ->
            use folder = new TempFolder()
            let split, stats = splitAndStats ()
            let path = Path.Combine(folder.Path, "s.split")
            SplitCache.Save(path, "key", split, stats)
            let bytes = File.ReadAllBytes path
            File.WriteAllBytes(path, bytes.[0 .. bytes.Length / 3])
            expectStale path "key" "checksum"

        testCase "a file that is not a cache is refused" <| fun () ->
            use folder = new TempFolder()
            let path = Path.Combine(folder.Path, "s.split")
            File.WriteAllText(path, String.replicate 100 "not a cache ")
            expectStale path "key" "not a Repro cache file"

        testCase "a path that cannot be read (a folder here) is refused by name, not thrown as an access error" <| fun () ->
            use folder = new TempFolder()
            let path = Path.Combine(folder.Path, "s.split")
            Directory.CreateDirectory path |> ignore
            expectStale path "key" "cannot be read"

        testCase "the key changes when a source file changes size or time, or the settings change" <| fun () ->
            use folder = new TempFolder()
            let f = Path.Combine(folder.Path, "ratings.csv")
            File.WriteAllText(f, "a")
            let k1 = SplitCache.Key([ f ], "h=10")
            Expect.equal (SplitCache.Key([ f ], "h=10")) k1 "same files and settings, same key"
            Expect.notEqual (SplitCache.Key([ f ], "h=20")) k1 "settings are part of the key"
            File.WriteAllText(f, "ab")
            Expect.notEqual (SplitCache.Key([ f ], "h=10")) k1 "a changed file changes the key"

        testCase "saving leaves no temporary file behind" <| fun () ->
            use folder = new TempFolder()
            let split, stats = splitAndStats ()
            SplitCache.Save(Path.Combine(folder.Path, "s.split"), "key", split, stats)
            Expect.equal (Directory.GetFiles folder.Path |> Array.map Path.GetFileName) [| "s.split" |] "only the cache file"

        testCase "a format that reads older versions gets the version it found, and refuses newer or older ones by name" <| fun () ->
            use folder = new TempFolder()
            let path = Path.Combine(folder.Path, "a.bin")
            BinaryArchive.Write(path, "Thing", 1, "k", fun w -> w.Write 7)
            let version, value = BinaryArchive.Read(path, "Thing", 1, 2, "k", fun r v -> v, r.ReadInt32())
            Expect.equal (version, value) (1, 7) "version 1 read by a reader of 1 to 2"
            try
                BinaryArchive.Read(path, "Thing", 2, 3, "k", fun r _ -> r.ReadInt32()) |> ignore
                failtest "a version-1 file read by a reader of 2 to 3"
            with :? StaleCacheException as e -> Expect.stringContains e.Message "has format version 1, this build reads 2 to 3" "says which versions"
    ]
