/// How fast the evaluator ranks an ML-20M-sized test set: 10,000 held-out users over 20,108 items
/// (spec §1.3), top 100 for Recall@20, Recall@50 and NDCG@100, random scores from a fixed seed.
/// Prints figures; it is not a test and asserts nothing.
module Repro.Harness.Benchmarks.EvaluationBench

open System
open System.Diagnostics
open Repro.Core.Metrics
open Repro.Core.Sparse

let private users = 10_000
let private items = 20_108
let private seed = 98765UL


/// Distinct random items per user: fold-in 30..80 (mean 55) and targets 7..21 (mean 14), disjoint.
let private heldOutUsers () =
    let rng = Random(int seed)
    let foldInRows = ResizeArray<int>()
    let foldInItems = ResizeArray<int>()
    let targetRows = ResizeArray<int>()
    let targetItems = ResizeArray<int>()
    let taken = Collections.Generic.HashSet<int>()
    for user in 0 .. users - 1 do
        taken.Clear()
        let draw (rows: ResizeArray<int>) (cols: ResizeArray<int>) count =
            let mutable n = 0
            while n < count do
                let item = rng.Next items
                if taken.Add item then
                    rows.Add user
                    cols.Add item
                    n <- n + 1
        draw foldInRows foldInItems (rng.Next(30, 81))
        draw targetRows targetItems (rng.Next(7, 22))
    let matrix (rows: ResizeArray<int>) (cols: ResizeArray<int>) =
        CsrMatrix.FromPairs(users, items, ReadOnlySpan(rows.ToArray()), ReadOnlySpan(cols.ToArray()))
    matrix foldInRows foldInItems, matrix targetRows targetItems

/// Fills the evaluator's buffer with uniform [0, 1) scores, a stand-in for a model's logits.
let private randomScorer =
    BatchScorer(fun batch firstRow scores ->
        for r in 0 .. batch.Rows - 1 do
            let mutable state = seed + uint64 (firstRow + r) * 0x632BE59BD9B4E019UL
            let row = scores.Slice(r * items, items)
            for i in 0 .. items - 1 do
                row.[i] <- float32 (Repro.Core.Data.Synthetic.SplitMix64.Next &state >>> 40) * (1.0f / 16777216.0f))

let run () =
    let foldIn, targets = heldOutUsers ()
    let metrics = [| MetricSpec.Recall 20; MetricSpec.Recall 50; MetricSpec.Ndcg 100 |]
    printfn "EvaluationBench: %d users x %d items, fold-in %d and target %d entries, batch %d, %d cores"
        users items foldIn.NonZeros targets.NonZeros Evaluator.NotebookBatchSize Environment.ProcessorCount
    let timeRuns (scoreBuffer: float32[]) =
        let evaluate () =
            let clock = Stopwatch.StartNew()
            let result = Evaluator.Evaluate(randomScorer, foldIn, targets, metrics, scoreBuffer = scoreBuffer)
            clock.Elapsed.TotalSeconds, result
        let cold = fst (evaluate ())
        let runs = [ for _ in 1 .. 5 -> evaluate () ]
        cold, runs |> List.map fst, snd runs.Head
    let report label (cold, seconds: float list, _) =
        let median = seconds |> List.sort |> List.item 2
        printfn "  %s" label
        printfn "    first run %.3f s; runs %s s" cold (seconds |> List.map (sprintf "%.3f") |> String.concat ", ")
        printfn "    median of 5: %.3f s, %.0f users/s (scores included)" median (float users / median)
    let peakMegabytes () =
        use self = Process.GetCurrentProcess()
        self.Refresh()
        float self.PeakWorkingSet64 / 1048576.0
    // The caller's own 160 MB score buffer, then the default (a buffer rented from the shared array
    // pool, reused by the next call). The peak working set only grows, so it is read after each.
    let kept = timeRuns (Array.zeroCreate (int (Evaluator.ScoreBufferLength(users, items))))
    report "caller's score buffer" kept
    printfn "    peak working set so far: %.0f MB" (peakMegabytes ())
    report "default: pooled score buffer" (timeRuns null)
    printfn "    peak working set so far: %.0f MB" (peakMegabytes ())
    let _, _, result = kept
    for m in result.Metrics do
        printfn "  %-10s %O" m.Metric.Name m.Summary
    // Timings on a shared machine depend on what else runs; the load average says how busy it was.
    printfn "  load average (1, 5, 15 min): %s" (Machine.loadAverage ())
