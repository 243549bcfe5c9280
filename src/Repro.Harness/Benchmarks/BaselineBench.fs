/// Speed and memory of the baselines (EASE^R, WMF by ALS, SLIM; CDAE as its own suite) on synthetic data of
/// ML-20M's shape after the paper's preprocessing and split (training users only, spec 1.3).
/// Prints figures; asserts nothing (timings are noisy on this shared 2-core machine).
/// Set GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736 before the
/// process starts (../shared/notes/platform.md).
module Repro.Harness.Benchmarks.BaselineBench

open System
open System.Diagnostics
open System.IO
open Repro.Core
open Repro.Core.Sparse
open Repro.Core.Metrics
open Repro.Core.Models
open Repro.Core.Models.Popularity
open Repro.Core.Models.Ease
open Repro.Core.Models.Wmf
open Repro.Core.Models.Slim
open Repro.Core.Models.Cdae
open Repro.Core.Data.Synthetic
open Repro.Core.Protocols

let private peakMb = Machine.peakMb
let private loadAverage = Machine.loadAverage

let private median = Machine.median

let private cpuSeconds () =
    use p = Process.GetCurrentProcess()
    p.TotalProcessorTime.TotalSeconds

let private seconds (f: unit -> 'a) =
    let sw = Stopwatch.StartNew()
    let r = f ()
    r, sw.Elapsed.TotalSeconds

/// Wall seconds and process CPU seconds: on a loaded machine, CPU / cores estimates the unloaded wall time.
let private timed (f: unit -> 'a) =
    let cpu = cpuSeconds ()
    let r, wall = seconds f
    r, wall, cpuSeconds () - cpu

let private ndcg100 (model: IRecommender) (held: HeldOutSet) =
    let scorer = model.AsBatchScorer()
    let result = Evaluator.Evaluate(scorer, held.FoldIn, held.Target, [ MetricSpec.Ndcg 100 ])
    result.[MetricSpec.Ndcg 100].Summary.Mean

let private collect () =
    GC.Collect()
    GC.WaitForPendingFinalizers()
    GC.Collect()

/// A synthetic shape through the rating > 3.5 / five-items filter (which keeps every synthetic user)
/// and the strong-generalisation split with <paramref name="heldOut"/> users per held-out set.
let private prepareShape (shape: SyntheticShape) (heldOut: HeldOutUsers) =
    TorchRuntime.EnsureLoaded()
    printfn "baselines on synthetic %s: %d cores, %s, load average at start %s" shape.Name Environment.ProcessorCount (TorchRuntime.Describe()) (loadAverage ())
    let split, prepSeconds =
        seconds (fun () ->
            let d = SyntheticGenerator.Generate shape
            StrongGeneralization.Split(Preprocessing.Ml20m.Filter d.Log, heldOut))
    printfn "data: %d training users x %d items, %d events (generated, filtered, split in %.1f s); peak working set %.0f MB"
        split.Train.Rows split.Train.Columns split.Train.NonZeros prepSeconds (peakMb ())
    split

/// Synthetic ML-20M through the paper's preprocessing and split.
let private prepare () = prepareShape SyntheticShape.Ml20m HeldOutUsers.Ml20m

/// <paramref name="count"/> of the n columns drawn uniformly without replacement (a shuffled prefix).
let private sampleColumns (seed: int) (count: int) (n: int) =
    let all = [| 0 .. n - 1 |]
    Random(seed).Shuffle all
    Array.truncate (min count n) all

/// A SLIM fit of <paramref name="columns"/> (with the whole-residual baseline solver when
/// <paramref name="baseline"/>) with its wall and CPU seconds, and the seconds per column between its
/// first and last progress report (the Gram matrix and setup come before the first report, so they
/// drop out; None with fewer than two reports).
let private slimFitTimed (train: CsrMatrix) (hyper: SlimHyper) (columns: int[]) (baseline: bool) =
    let sw = Stopwatch.StartNew()
    let marks = Collections.Generic.List<int * float>()
    let onDone = Action<int>(fun d -> lock marks (fun () -> marks.Add((d, sw.Elapsed.TotalSeconds))))
    let fit () =
        if baseline then Slim.FitWholeResidual(train, hyper, columns, -1, onDone)
        else Slim.Fit(train, hyper, columns, -1, onDone)
    let slim, wall, cpu = timed fit
    let perColumn =
        if marks.Count < 2 then None
        else
            let (d0, t0), (d1, t1) = marks.[0], marks.[marks.Count - 1]
            Some((t1 - t0) / float (d1 - d0))
    slim, wall, cpu, perColumn

let private slimSecondsPerColumn train hyper columns baseline =
    let slim, _, _, perColumn = slimFitTimed train hyper columns baseline
    slim.Dispose()
    defaultArg perColumn nan

/// The solver against its same-process baseline on the same 1,024 columns: sweeps that add each change
/// times a whole row of G to the residual (the solver before the non-zeros got their own square of G
/// and sparse rows their sparse update).
let private slimSolverRatio (train: CsrMatrix) (hyper: SlimHyper) =
    let sample = sampleColumns 54321 1024 train.Columns
    let baseline = slimSecondsPerColumn train hyper sample true
    let current = slimSecondsPerColumn train hyper sample false
    printfn "SLIM solver, %d columns, %d threads: %.4f s per column; baseline (whole-residual updates) %.4f s per column; %.1fx faster; load %s"
        sample.Length Environment.ProcessorCount current baseline (baseline / current) (loadAverage ())

/// SLIM at the Paper point on <paramref name="sample"/> uniformly drawn columns, extrapolated to all
/// items; when the sample covers every item, also the validation NDCG@100 of the full fit.
let private slimPart (split: StrongGeneralizationSplit) (slimSample: int) =
    let train = split.Train
    // SLIM at one (l1, l2) point: a uniform sample of columns, extrapolated.
    let slimHyper = SlimHyper.Paper
    let _, gramSeconds = seconds (fun () -> SparseProducts.Gram train |> ignore)
    collect ()
    let n = train.Columns
    let sample = sampleColumns 12345 slimSample n
    let slim, slimSeconds, slimCpu, reported = slimFitTimed train slimHyper sample false
    // Per column from the progress reports: the fit's own Gram time varies too much to subtract.
    let perColumn = defaultArg reported ((slimSeconds - gramSeconds) / float sample.Length)
    let setup = slimSeconds - perColumn * float sample.Length
    let nonZeros = slim.Weights.NonZeros
    printfn "SLIM (l1 %g, l2 %g): Gram %.1f s alone; %d of %d columns in %.1f s with the Gram (%.0f s CPU), %.0f non-zeros per column; peak working set %.0f MB; load %s"
        slimHyper.L1 slimHyper.L2 gramSeconds sample.Length n slimSeconds slimCpu (float nonZeros / float sample.Length) (peakMb ()) (loadAverage ())
    if sample.Length = n then
        printfn "SLIM: MEASURED full fit %.0f s wall (%.0f s CPU; %d threads; target at ML-20M shape <= 3600 s)" slimSeconds slimCpu Environment.ProcessorCount
        printfn "SLIM: validation NDCG@100 %.4f" (ndcg100 slim split.Validation)
    else
        printfn "SLIM: EXTRAPOLATED full fit %.0f s wall = setup (Gram and row scan) %.1f s + %d columns x %.4f s per column (%d threads; target at ML-20M shape <= 3600 s)"
            (setup + perColumn * float n) setup n perColumn Environment.ProcessorCount
    slim.Dispose()
    collect ()
    slimSolverRatio train slimHyper

/// Runs every part with the given SLIM sample size (columns fitted, then extrapolated to all items).
let runWith (wmfIterations: int) (slimSample: int) =
    let split = prepare ()
    let train = split.Train

    // Popularity: the reference NDCG.
    use popularity = Popularity.Fit train
    printfn "popularity: validation NDCG@100 %.4f" (ndcg100 popularity split.Validation)

    // EASE^R at the paper's lambda.
    let ease, easeSeconds, easeCpu = timed (fun () -> Ease.Fit(train, EaseHyper.Paper))
    printfn "EASE (lambda %g): fit %.1f s wall, %.1f s CPU (target <= 180 s); peak working set %.0f MB; load %s"
        EaseHyper.Paper.Lambda easeSeconds easeCpu (peakMb ()) (loadAverage ())
    let easeNdcg, easeScoreSeconds = seconds (fun () -> ndcg100 ease split.Validation)
    printfn "EASE: validation NDCG@100 %.4f (scoring and ranking %d users took %.1f s)" easeNdcg split.Validation.Users easeScoreSeconds
    ease.Dispose()
    collect ()

    // WMF at K = 200.
    let hyper = WmfHyper(Factors = 200, Iterations = wmfIterations)
    let perIteration = ResizeArray<float>()
    let cpuPerIteration = ResizeArray<float>()
    let mutable cpuMark = cpuSeconds ()
    let wmf, wmfSeconds, wmfCpu =
        timed (fun () ->
            Wmf.Fit(train, hyper, 1UL, fun it ->
                let cpu = cpuSeconds ()
                perIteration.Add it.Elapsed.TotalSeconds
                cpuPerIteration.Add(cpu - cpuMark)
                cpuMark <- cpu
                printfn "WMF iteration %d: %.1f s wall, %.1f s CPU (first includes setup); load %s" it.Iteration it.Elapsed.TotalSeconds cpuPerIteration.[cpuPerIteration.Count - 1] (loadAverage ())))
    printfn "WMF (K 200, c %g, lambda %g): median %.1f s wall, %.1f s CPU per ALS iteration over %d (target <= 60 s), fit %.1f s wall, %.1f s CPU in all; peak working set %.0f MB"
        hyper.Confidence hyper.Lambda (median perIteration) (median cpuPerIteration) perIteration.Count wmfSeconds wmfCpu (peakMb ())
    let wmfNdcg, wmfScoreSeconds = seconds (fun () -> ndcg100 wmf split.Validation)
    printfn "WMF: validation NDCG@100 %.4f after %d iterations (fold-in solves, scoring and ranking took %.1f s)" wmfNdcg perIteration.Count wmfScoreSeconds
    wmf.Dispose()
    collect ()

    slimPart split slimSample

/// The benchmark as 'repro bench baselines' runs it: 3 WMF iterations, 1,024 SLIM columns.
let run () = runWith 3 1024

/// SLIM alone, fitting every column (no extrapolation), then the solver comparison: about 4 minutes on 2 cores.
let runSlimFull () = slimPart (prepare ()) Int32.MaxValue

/// SLIM at the Million Song Dataset's shape (41,140 items, 471,355 training users), which the paper
/// could not finish: 1,024 sampled columns, extrapolated; the Gram matrix alone is 41,140² floats (6.8 GB).
let runSlimMsd () = slimPart (prepareShape SyntheticShape.Msd HeldOutUsers.Msd) 1024

/// CDAE at the Paper point (spec 2.3): the median of <paramref name="batches"/> timed training steps of
/// 500 users (after one untimed warm-up step), extrapolated to an epoch of ceil(users / 500) steps, and
/// the fold-in plus scoring of 500 held-out users (FoldInSteps node updates, then the scores),
/// extrapolated to all validation users. The output layer (500 x items x 200, three products per
/// training step, two per fold-in step) is the cost.
let private cdaePart (split: StrongGeneralizationSplit) (batches: int) =
    let train = split.Train
    let hyper = CdaeHyper.Paper
    use model = new Cdae(train.Columns, hyper, 1UL)
    let order = [| 0 .. train.Rows - 1 |]
    Random(12345).Shuffle order
    let perEpoch = (train.Rows + hyper.BatchSize - 1) / hyper.BatchSize
    let firstOf b = (b * hyper.BatchSize) % (train.Rows - hyper.BatchSize)
    model.TrainStep(train, ReadOnlySpan(order, firstOf 0, hyper.BatchSize)) |> ignore
    let times = ResizeArray<float>()
    let cpu = cpuSeconds ()
    let mutable last = nan
    for b in 1 .. batches do
        let sw = Stopwatch.StartNew()
        last <- (model.TrainStep(train, ReadOnlySpan(order, firstOf b, hyper.BatchSize))).Loss
        times.Add sw.Elapsed.TotalSeconds
    let cpuPerBatch = (cpuSeconds () - cpu) / float batches
    let perBatch = median times
    printfn "CDAE (K %d, batch %d, weight decay %g): median %.3f s wall, %.3f s CPU per training step over %d (last loss %.2f); EXTRAPOLATED epoch of %d steps %.0f s wall; peak working set %.0f MB; load %s"
        hyper.Hidden hyper.BatchSize hyper.WeightDecay perBatch cpuPerBatch batches last perEpoch (perBatch * float perEpoch) (peakMb ()) (loadAverage ())
    let held = split.Validation.FoldIn
    let users = min hyper.BatchSize held.Rows
    let scores = Array.zeroCreate<float32> (users * train.Columns)
    let foldInCpu = cpuSeconds ()
    let foldInTimes =
        [ for _ in 1 .. 3 ->
            let sw = Stopwatch.StartNew()
            model.Score(held, ReadOnlySpan([| 0 .. users - 1 |]), Span scores)
            sw.Elapsed.TotalSeconds ]
    let cpuPerChunk = (cpuSeconds () - foldInCpu) / 3.0
    let perChunk = median foldInTimes
    printfn "CDAE: fold-in (%d Adam steps) and scoring of %d held-out users median %.2f s wall, %.2f s CPU; EXTRAPOLATED %d validation users %.0f s wall per validation; peak working set %.0f MB; load %s"
        hyper.FoldInSteps users perChunk cpuPerChunk held.Rows (perChunk * float held.Rows / float users) (peakMb ()) (loadAverage ())

/// CDAE alone ('repro bench cdae'): 20 timed training steps.
let runCdae () = cdaePart (prepare ()) 20
