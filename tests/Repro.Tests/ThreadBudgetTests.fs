module Repro.Tests.ThreadBudgetTests

open System
open System.IO
open System.Text.RegularExpressions
open System.Threading
open System.Threading.Tasks
open Expecto
open Repro.Core

/// The most loop bodies that ran at once in a Parallel.For of 16 short sleeps under the given options.
let private peakConcurrency (options: ParallelOptions) =
    let mutable running = 0
    let mutable peak = 0
    Parallel.For(0, 16, options, fun (_: int) ->
        let now = Interlocked.Increment &running
        let mutable seen = Volatile.Read &peak
        while now > seen && Interlocked.CompareExchange(&peak, now, seen) <> seen do
            seen <- Volatile.Read &peak
        Thread.Sleep 20
        Interlocked.Decrement &running |> ignore) |> ignore
    peak

/// The repository's root: the first folder above the test binaries that holds Repro.sln.
let private repositoryRoot () =
    let rec up (dir: DirectoryInfo) =
        if isNull dir then failwith "Repro.sln not found above the test binaries"
        elif File.Exists(Path.Combine(dir.FullName, "Repro.sln")) then dir.FullName
        else up dir.Parent
    up (DirectoryInfo AppContext.BaseDirectory)

/// Every Parallel.For / Parallel.ForEach in src/ with the text of its arguments before the body's first
/// lambda arrow: where a loop's bound would be named.
let private parallelLoops () =
    let src = Path.Combine(repositoryRoot (), "src")
    [ for file in Directory.EnumerateFiles(src, "*.*", SearchOption.AllDirectories) do
        let ext = Path.GetExtension file
        let generated = file.Contains $"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}" || file.Contains $"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"
        if (ext = ".cs" || ext = ".fs") && not generated then
            let text = File.ReadAllText file
            for m in Regex.Matches(text, @"Parallel\.(For|ForEach)\s*\(") do
                let line = text.Substring(0, m.Index).Split('\n').Length
                let rest = text.Substring(m.Index)
                let arrow = [ rest.IndexOf "=>"; rest.IndexOf "->" ] |> List.filter (fun i -> i >= 0) |> List.min
                yield $"{Path.GetRelativePath(src, file)}:{line}", rest.Substring(0, arrow) ]

[<Tests>]
let tests =
    testSequenced <| testList "ThreadBudget" [
        testCase "a loop under TorchRuntime.Parallelism runs at most --threads bodies at once" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            Expect.equal TorchRuntime.Threads 1 "--threads 1 is the budget"
            Expect.equal (peakConcurrency TorchRuntime.Parallelism) 1 "one body at a time under a budget of one thread"

        testCase "the concurrency probe sees two bodies at once when two are allowed" <| fun () ->
            // Without this the test above could pass with a probe that never counts past one.
            if Environment.ProcessorCount < 2 then skiptest "one core: two bodies never run at once"
            let peak = peakConcurrency (ParallelOptions(MaxDegreeOfParallelism = 2))
            Expect.equal peak 2 "two bodies at once"

        testCase "every parallel loop in src names its bound (the thread budget or an explicit count)" <| fun () ->
            let loops = parallelLoops ()
            Expect.isGreaterThan loops.Length 10 "the scan finds the loops (Adam, EASE, the evaluator, ...)"
            let unbounded =
                loops |> List.filter (fun (_, args) ->
                    not (args.Contains "TorchRuntime.Parallelism" || args.Contains "MaxDegreeOfParallelism" || Regex.IsMatch(args, @"\boptions\b")))
            Expect.isEmpty (unbounded |> List.map fst) "loops that would take every core whatever --threads says"
    ]
