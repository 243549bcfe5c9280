module Repro.Tests.HarnessTests

open System
open System.IO
open Expecto
open Repro.Core.Data.Cache
open Repro.Harness
open Repro.Tests.TempFiles

/// A data folder holding a copy of a small MovieLens-100K-style u.data, so tests can change it.
let private withUData (body: string -> Datasets.Dataset -> unit) =
    withFolder (fun dataDir ->
        let rows =
            [ for u in 1 .. 60 do
                for i in 1 .. 8 + u % 7 do
                    yield sprintf "%d\t%d\t%d\t%d" u ((u * 7 + i * 13) % 90 + 1) (4 + (u + i) % 2) (880000000 + u * 100 + i) ]
        writeText dataDir "ml-100k/u.data" (String.Join("\n", rows) + "\n") |> ignore
        let d = match Datasets.find "ml-100k" with Ok d -> { d with HeldOut = 5 } | Error e -> failwith e
        body dataDir d)

let private prepareOk dataDir d (messages: ResizeArray<string>) =
    match Prepare.prepare dataDir (Path.Combine(dataDir, ".cache")) d None messages.Add with
    | Ok p -> p
    | Error why -> failtestf "prepare failed: %s" why

[<Tests>]
let tests =
    testList "Harness" [
        testList "Prepare" [
            testCase "the second prepare of unchanged files loads the cached split" <| fun () ->
                withUData (fun dataDir d ->
                    let messages = ResizeArray()
                    let first = prepareOk dataDir d messages
                    let second = prepareOk dataDir d messages
                    Expect.isFalse first.FromCache "first build"
                    Expect.isTrue second.FromCache "second load"
                    Expect.equal second.Statistics first.Statistics "same statistics"
                    Expect.equal second.Split.ItemIds first.Split.ItemIds "same vocabulary")

            testCase "a changed source file rebuilds the split" <| fun () ->
                withUData (fun dataDir d ->
                    let messages = ResizeArray()
                    let first = prepareOk dataDir d messages
                    File.AppendAllText(Path.Combine(dataDir, "ml-100k", "u.data"), "61\t1\t5\t1\n61\t2\t5\t1\n61\t3\t5\t1\n61\t4\t5\t1\n61\t5\t5\t1\n")
                    let second = prepareOk dataDir d messages
                    Expect.isFalse second.FromCache "rebuilt"
                    Expect.equal second.Statistics.Users (first.Statistics.Users + 1) "the new user is in"
                    Expect.exists messages (fun m -> m.Contains "other source files or settings") "says why it rebuilds")

            testCase "another held-out count is another cache entry" <| fun () ->
                withUData (fun dataDir d ->
                    let messages = ResizeArray()
                    let a = prepareOk dataDir d messages
                    let b = match Prepare.prepare dataDir (Path.Combine(dataDir, ".cache")) d (Some 6) messages.Add with Ok p -> p | Error e -> failtest e
                    Expect.notEqual a.CachePath b.CachePath "separate files"
                    Expect.equal b.Statistics.Validation.Users 6 "six held-out users")

            testCase "a corrupt cache is rebuilt with a message naming the file" <| fun () ->
                withUData (fun dataDir d ->
                    let messages = ResizeArray()
                    let first = prepareOk dataDir d messages
                    let bytes = File.ReadAllBytes first.CachePath
                    bytes.[bytes.Length / 2] <- bytes.[bytes.Length / 2] ^^^ 1uy
                    File.WriteAllBytes(first.CachePath, bytes)
                    let second = prepareOk dataDir d messages
                    Expect.isFalse second.FromCache "rebuilt"
                    Expect.exists messages (fun m -> m.Contains first.CachePath && m.Contains "checksum") "names the file and the reason"
                    let struct (_, reloaded) = SplitCache.Load(second.CachePath, SplitCache.Key(second.Sources, Prepare.settingsText d second.HeldOut))
                    Expect.equal reloaded second.Statistics "the rewritten cache is valid")

            testCase "a dataset that is not present says which folder is missing" <| fun () ->
                withFolder (fun dataDir ->
                    let d = match Datasets.find "ml-20m" with Ok d -> d | Error e -> failwith e
                    match Prepare.prepare dataDir (Path.Combine(dataDir, ".cache")) d None ignore with
                    | Ok _ -> failtest "prepared a dataset that is not there"
                    | Error why -> Expect.stringContains why (Path.Combine(dataDir, "ml-20m")) "names the folder")

            testCase "malformed input fails with the file and line" <| fun () ->
                withFolder (fun dataDir ->
                    writeText dataDir "ml-100k/u.data" "1\t2\t5\t100\n1\tx\t5\t100\n" |> ignore
                    let d = match Datasets.find "ml-100k" with Ok d -> d | Error e -> failwith e
                    match Prepare.prepare dataDir (Path.Combine(dataDir, ".cache")) d None ignore with
                    | Ok _ -> failtest "accepted a non-numeric item id"
                    | Error why -> Expect.stringContains why "u.data:2:" "names file and line")
        ]

        testList "Datasets" [
            testCase "an unknown name is an error that lists the known names" <| fun () ->
                match Datasets.find "ml-21m" with
                | Ok _ -> failtest "found a dataset that does not exist"
                | Error why ->
                    Expect.stringContains why "ml-21m" "names the request"
                    Expect.stringContains why "ml-20m" "lists known names"
            testCase "the paper's datasets use the paper's held-out counts" <| fun () ->
                let heldOut name = match Datasets.find name with Ok d -> d.HeldOut | Error e -> failwith e
                Expect.equal [ heldOut "ml-20m"; heldOut "netflix"; heldOut "msd" ] [ 10000; 40000; 50000 ] "10k / 40k / 50k"
        ]

        testList "StatisticsReport" [
            SharedData.testWithData "ml-100k" "a statistic that differs from Table 1 is a warning naming both numbers" <| fun dir ->
                let log = Repro.Core.Data.Readers.MovieLens100KReader.Read(Path.Combine(dir, "u.data"))
                let filtered = Repro.Core.Protocols.Preprocessing.Ml20m.Filter log
                let split = Repro.Core.Protocols.StrongGeneralization.Split(filtered, Repro.Core.Protocols.HeldOutUsers 100)
                let stats = Repro.Core.Protocols.DatasetStatistics.Compute(filtered, split)
                // Compared as if it were ML-20M: every count differs.
                let _, warnings = StatisticsReport.lines "ml-20m" stats
                Expect.exists warnings (fun w -> w.Contains "938" && w.Contains "136,677") "users: measured and paper"
                Expect.exists warnings (fun w -> w.Contains "1,415" && w.Contains "20,108") "items: measured and paper"
                let _, none = StatisticsReport.lines "ml-100k" stats
                Expect.isEmpty none "no Table 1 row, no warning"
        ]

        testList "DataDir" [
            testCase "--data-dir wins over REPRO_DATA_DIR, which wins over ./data" <| fun () ->
                let saved = Environment.GetEnvironmentVariable "REPRO_DATA_DIR"
                try
                    Environment.SetEnvironmentVariable("REPRO_DATA_DIR", "/tmp/from-env")
                    Expect.equal (fst (DataDir.resolve (Some "/tmp/from-flag"))) "/tmp/from-flag" "flag first"
                    Expect.equal (DataDir.resolve None) ("/tmp/from-env", "REPRO_DATA_DIR") "then the variable"
                    Environment.SetEnvironmentVariable("REPRO_DATA_DIR", null)
                    Expect.equal (fst (DataDir.resolve None)) (Path.GetFullPath "data") "then ./data"
                finally
                    Environment.SetEnvironmentVariable("REPRO_DATA_DIR", saved)
        ]

        testList "LoadAverage" [
            testCase "the three figures of a /proc/loadavg line" <| fun () ->
                Expect.equal (LoadAverage.parse "0.52 1.61 12.70 3/412 56789\n") (Some(0.52, 1.61, 12.7)) "figures"
            testCase "a line that does not start with three numbers gives none" <| fun () ->
                for line in [ ""; null; "0.52 0.61"; "0.52 x 0.70 1/2 3"; "-1 0 0 1/2 3" ] do
                    Expect.isNone (LoadAverage.parse line) (sprintf "%A" line)
            testCase "text prints the three figures with two decimals, or n/a where they cannot be read; the 1-minute figure is there when they are" <| fun () ->
                match LoadAverage.read (), LoadAverage.text () with
                | None, t -> Expect.equal t "n/a" "no /proc/loadavg"
                | Some _, t ->
                    Expect.isMatch t @"^\d+\.\d\d \d+\.\d\d \d+\.\d\d$" "three figures"
                    Expect.isSome (LoadAverage.oneMinute ()) "1-minute figure"
        ]
    ]

[<Tests>]
let summaryTests =
    testList "Harness.Summary" [
        testCase "the table gives the mean over seeds and the across-seed standard error" <| fun () ->
            withFolder (fun dir ->
                let run seed (ndcg: float) (se: float) =
                    let folder = Path.Combine(dir, sprintf "run%d" seed)
                    Directory.CreateDirectory folder |> ignore
                    File.WriteAllText(Path.Combine(folder, "run.json"), sprintf """{"dataset":"d","model":"m","seed":%d,"commit":"abc"}""" seed)
                    File.WriteAllText(Path.Combine(folder, "metrics.json"), sprintf """{"test":{"Ndcg@100":{"mean":%g,"standardError":%g,"users":10,"excluded":0},"bestEpoch":3}}""" ndcg se)
                    folder
                // Values 0.40 and 0.44: mean 0.42, sample std 0.028284, / sqrt 2 = 0.0200; user SEs average 0.015.
                let folders = [ run 1 0.40 0.01; run 2 0.44 0.02 ]
                match Summary.markdown folders "cmd" with
                | Error e -> failtest e
                | Ok text ->
                    Expect.stringContains text "| d | m | 1, 2 | 0.4200 ± 0.0200 (users: ± 0.0150) |" "the row"
                    Expect.stringContains text "Regenerate with: `cmd`" "the command"
                    Expect.stringContains text "commit `abc`" "the runs' commits")

        testCase "a folder that is not a finished run is named" <| fun () ->
            withFolder (fun dir ->
                match Summary.markdown [ dir ] "cmd" with
                | Ok _ -> failtest "accepted a folder without a run"
                | Error e -> Expect.stringContains e dir "names the folder")
    ]
