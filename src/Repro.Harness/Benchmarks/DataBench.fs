/// How fast the data layer handles ML-20M's size: the synthetic ml-20m shape written as a 20M-row
/// ratings.csv, then parse + preprocess + split (median of 3), split-cache write and reload, and
/// peak memory. Prints figures; it is not a test and asserts nothing.
module Repro.Harness.Benchmarks.DataBench

open System
open System.Diagnostics
open System.IO
open Repro.Core.Data.Cache
open Repro.Core.Data.Readers
open Repro.Core.Data.Synthetic
open Repro.Core.Protocols

let private median (xs: float list) = let s = List.sort xs in s.[s.Length / 2]

let private time (f: unit -> 'a) =
    let clock = Stopwatch.StartNew()
    let result = f ()
    result, clock.Elapsed.TotalSeconds

let private peakMb = Machine.peakMb

/// Runs the benchmark; the generated file is kept under <paramref name="workDir"/> for reuse.
let run (workDir: string) =
    let shape = SyntheticShape.Ml20m
    let folder = Path.Combine(workDir, "synthetic-ml-20m")
    let ratings = Path.Combine(folder, "ratings.csv")
    Directory.CreateDirectory folder |> ignore
    if File.Exists ratings then printfn "Reusing %s (%.0f MB)." ratings (float (FileInfo(ratings).Length) / 1e6)
    else
        let data, generateSeconds = time (fun () -> SyntheticGenerator.Generate shape)
        let (), writeSeconds = time (fun () -> data.WriteRatingsCsv ratings)
        printfn "Generated the %s shape in %.1f s and wrote %s (%.0f MB) in %.1f s." shape.Name generateSeconds ratings (float (FileInfo(ratings).Length) / 1e6) writeSeconds
    GC.Collect()

    printfn ""
    printfn "parse + preprocess (rating > 3.5, users >= 5) + split (10,000 + 10,000 held-out users), 3 runs:"
    printfn "  %-5s %10s %12s %10s %10s %12s" "run" "parse s" "preprocess s" "split s" "total s" "rows/s"
    let runs =
        [ for r in 1 .. 3 ->
            let log, parse = time (fun () -> MovieLensCsvReader.Read ratings)
            let filtered, pre = time (fun () -> Preprocessing.Ml20m.Filter log)
            let split, splitSeconds = time (fun () -> StrongGeneralization.Split(filtered, HeldOutUsers.Ml20m))
            let total = parse + pre + splitSeconds
            printfn "  %-5d %10.2f %12.2f %10.2f %10.2f %12.0f" r parse pre splitSeconds total (float log.Count / total)
            total, log.Count, filtered, split ]
    let totals = runs |> List.map (fun (t, _, _, _) -> t)
    let _, rows, filtered, split = List.head runs
    let med = median totals
    printfn "  median %.2f s for %d rows: %.2f M rows/s (target: <= 15 s)" med rows (float rows / med / 1e6)
    let stats = DatasetStatistics.Compute(filtered, split)
    printfn "  after preprocessing: %d events, %d users, %d vocabulary items; %d training users" stats.Events stats.Users stats.VocabularyItems stats.TrainingUsers

    let cache = Path.Combine(folder, "bench.split")
    let (), saveSeconds = time (fun () -> SplitCache.Save(cache, "bench", split, stats))
    let loads = [ for _ in 1 .. 3 -> snd (time (fun () -> SplitCache.Load(cache, "bench") |> ignore)) ]
    printfn ""
    printfn "split cache: %.0f MB written in %.2f s; reload median %.2f s of %A (target: <= 1 s)"
        (float (FileInfo(cache).Length) / 1e6) saveSeconds (median loads) (loads |> List.map (fun s -> Math.Round(s, 2)))
    printfn "peak working set: %.0f MB" (peakMb ())
