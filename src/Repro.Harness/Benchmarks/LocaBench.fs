/// Cost of LOCA's pieces at ML-20M's shape (spec seed-models 1.7; synthetic data as `bench vae`):
/// one local EASE (time and the process's peak memory), one local Mult-VAE [I-200-I] epoch, and
/// the combination of one local model's scores into the accumulator for ML-20M's 10,000 test users;
/// each extrapolated to q = 300 local models. Prints figures; asserts nothing (timings are noisy on
/// this shared 2-core machine). Set GLIBC_TUNABLES as for `bench vae` (../shared/notes/platform.md).
module Repro.Harness.Benchmarks.LocaBench

open System
open System.Diagnostics
open Repro.Core
open Repro.Core.Models.Loca

let private cpuSeconds () =
    use p = Process.GetCurrentProcess()
    p.TotalProcessorTime.TotalSeconds

/// Wall seconds, printing the process's CPU seconds beside them: on a loaded machine CPU / cores
/// estimates the unloaded wall time.
let private seconds (f: unit -> 'a) =
    let cpu = cpuSeconds ()
    let sw = Stopwatch.StartNew()
    let r = f ()
    let wall = sw.Elapsed.TotalSeconds
    printfn "  (%.1f s wall, %.1f s CPU over %d cores)" wall (cpuSeconds () - cpu) Environment.ProcessorCount
    r, wall

let private hours (s: float) = s / 3600.0

/// <c>covered</c>: the fraction of training users a training kernel weights (t &gt; 0). AMusic at
/// LOCA-VAE's h_train = 0.8: almost every user; at LOCA-EASE's 0.6 with random anchors, most.
let runWith (covered: float) (epochs: int) =
    TorchRuntime.EnsureLoaded Environment.ProcessorCount
    let q = 300
    let data, build = seconds (fun () -> VaeBench.synthetic VaeBench.trainUsers VaeBench.items VaeBench.meanPerUser 98765)
    printfn "data: %d users x %d items, %d nonzeros, built in %.1f s; training kernel weights %.0f%% of users (t in (0, 0.75])"
        data.Rows data.Columns data.NonZeros build (100.0 * covered)
    let rnd = Random 7
    let t = Array.init data.Rows (fun _ -> if rnd.NextDouble() < covered then float32 (0.75 * (1.0 - rnd.NextDouble())) else 0.0f)

    // ---------------------------------------------------------------- LOCA-EASE
    printfn "LOCA-EASE: one local EASE (lambda 1000) on G = X^T diag(t I / sum t) X + lambda I, float32 Cholesky above the float64 limit"
    let peakBefore = Machine.peakMb ()
    let (model, items), easeSeconds =
        seconds (fun () ->
            let mutable items = [||]
            let m = LocaEase.FitLocal(data, ReadOnlySpan t, 1000.0, &items)
            m, items)
    printfn "  %d items touched; %.1f s per local model; process peak %.0f MB (before: %.0f MB); load average %s"
        items.Length easeSeconds (Machine.peakMb ()) peakBefore (Machine.loadAverage ())
    printfn "  q = %d: %.1f h of local fits (one pass, each local model fitted once and dropped)" q (hours (float q * easeSeconds))
    model.Dispose()
    GC.Collect()

    // ---------------------------------------------------------------- combination
    let users, width = 10_000, data.Columns
    printfn "combination: one local model's scores added into the accumulator of %d test users x %d items (%.1f GB), then normalised" users width (float users * float width * 4.0 / 1e9)
    let accumulator = Array.zeroCreate<float32> (users * width)
    let trainEmb = Array.init (4 * 8) (fun _ -> float32 (rnd.NextDouble() - 0.5))
    let scoredEmb = Array.init (users * 8) (fun _ -> float32 (rnd.NextDouble() - 0.5))
    let constant = LocaLocalScorer(fun _ _ scores -> Array.fill scores 0 scores.Length 1.0f; true)
    let glob = LocaGlobalScorer(fun _ scores -> Array.fill scores 0 scores.Length 0.0f)
    let combined, combineSeconds =
        seconds (fun () -> LocaCombination.Combine([| 0; 1; 2; 3 |], trainEmb, scoredEmb, 8, width, 2.5, Span accumulator, constant, glob))
    let perModel = combineSeconds / float combined.LocalModels
    printfn "  %.2f s per local model (%d local models over %d users, filling their scores included); q = %d: %.1f min; peak %.0f MB"
        perModel combined.LocalModels combined.Rows q (float q * perModel / 60.0) (Machine.peakMb ())

    // ---------------------------------------------------------------- LOCA-VAE
    let hyper = LocaVaeHyper(LocalEpochs = 1)
    printfn "LOCA-VAE: one local Mult-VAE [I-200-I] epoch (batch 512, weighted likelihood, beta 0, eps std 0.01)"
    let vae, epochSeconds = seconds (fun () -> LocaVae.TrainLocal(data, ReadOnlySpan t, hyper, 1UL))
    vae.Dispose()
    printfn "  %.1f s per local model-epoch over %.0f%% of users; load average %s" epochSeconds (100.0 * covered) (Machine.loadAverage ())
    printfn "  q = %d at %d epochs: %.1f h (300 x %d x %.1f s); scoring 10,000 users through %d local models: about %.1f min"
        q epochs (hours (float q * float epochs * epochSeconds)) epochs epochSeconds q (float q * perModel / 60.0)
    printfn "peak memory of the process: %.0f MB" (Machine.peakMb ())

let run () = runWith 0.3 60
