/// Speed of Mult-VAE^PR and Mult-DAE training steps and scoring on data of ML-20M's shape, against
/// the notebook's literal formulation (dense batch, torch dropout, dense log_softmax * x, autograd,
/// PyTorch Adam) in the same process. Prints figures; asserts nothing (timings are noisy here).
/// Set GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736 before the
/// process starts (../shared/notes/platform.md).
module Repro.Harness.Benchmarks.VaeBench

open System
open System.Diagnostics
open Repro.Core
open Repro.Core.Sparse
open Repro.Core.Networks
open Repro.Core.Training
open Repro.Core.Models.MultVae
open Repro.Core.Models.MultDae

/// ML-20M after the notebook's preprocessing: training users, items, mean items per user (spec 1.3, 6).
let trainUsers, items, meanPerUser = 116_677, 20_108, 73.0

/// Random binary users-by-items data: per-user counts 5 + lognormal (mean about meanPerUser), items
/// drawn from a power-law popularity (weight 1 / (rank + 10)^0.9), no repeats within a user.
let synthetic (users: int) (items: int) (meanPerUser: float) (seed: int) : CsrMatrix =
    let rnd = Random(seed)
    let cumulative = Array.zeroCreate<float> items
    let mutable total = 0.0
    for i in 0 .. items - 1 do
        total <- total + 1.0 / Math.Pow(float i + 10.0, 0.9)
        cumulative.[i] <- total
    let normal () =
        let u1, u2 = 1.0 - rnd.NextDouble(), rnd.NextDouble()
        sqrt (-2.0 * log u1) * cos (2.0 * Math.PI * u2)
    let sigma = 1.0
    let mu = log (meanPerUser - 5.0) - sigma * sigma / 2.0
    let rowStart = Array.zeroCreate (users + 1)
    let columns = ResizeArray<int>(int (float users * meanPerUser * 1.1))
    let stamp = Array.create items -1
    for u in 0 .. users - 1 do
        let n = min (items / 4) (5 + int (exp (mu + sigma * normal ())))
        let mutable got = 0
        while got < n do
            let i = Array.BinarySearch(cumulative, rnd.NextDouble() * total)
            let i = if i < 0 then min (items - 1) (~~~i) else i
            if stamp.[i] <> u then
                stamp.[i] <- u
                columns.Add i
                got <- got + 1
        rowStart.[u + 1] <- columns.Count
    CsrMatrix(users, items, rowStart, columns.ToArray())

let private median (xs: float seq) =
    let a = Seq.toArray xs |> Array.sort
    if a.Length = 0 then nan else a.[a.Length / 2]

let private time (f: unit -> unit) =
    let sw = Stopwatch.StartNew()
    f ()
    sw.Elapsed.TotalMilliseconds

let private peakRssMb = Machine.peakMb

/// Training FLOPs of one batch with the sparse first layer (spec 6): 6 MACs-worth per dense-layer MAC
/// (forward, weight gradient, input gradient) plus 4 per first-layer MAC at the kept nonzeros.
let private stepFlops (denseMacsPerUser: float) (firstWidth: int) (batch: int) (inputNonZeros: int) =
    6.0 * denseMacsPerUser * float batch + 4.0 * float firstWidth * float inputNonZeros

/// The three products of batch x hidden x items that dominate a Mult-VAE step (forward logits,
/// output weight gradient, hidden gradient), alone, on preallocated tensors: the floor a step cannot
/// beat on this machine at this moment. Timed between steps so that both see the same load.
type private GemmFloor(batch: int, hidden: int, items: int) =
    let mk (r: int) (c: int) = TorchSharp.torch.empty(int64 r, int64 c).uniform_(-0.1, 0.1)
    // the output weight stored [items, hidden], as the model stores it
    let h, w, g = mk batch hidden, mk items hidden, mk batch items
    let dw, dh = mk items hidden, mk batch hidden
    member _.Flops = 3.0 * 2.0 * float batch * float hidden * float items
    member this.Run() = this.RunEach() |> ignore
    /// The three products, each timed: (forward logits, output weight gradient, hidden gradient) in ms,
    /// so that each phase of a step can be set against the products it contains.
    member _.RunEach() =
        let t0 = Stopwatch.GetTimestamp()
        g.addmm_(h, w.t(), 0.0f, 1.0f) |> ignore
        let t1 = Stopwatch.GetTimestamp()
        dw.addmm_(g.t(), h, 0.0f, 1.0f) |> ignore
        let t2 = Stopwatch.GetTimestamp()
        dh.addmm_(g, w, 0.0f, 1.0f) |> ignore
        let t3 = Stopwatch.GetTimestamp()
        let ms (a: int64) (b: int64) = float (b - a) * 1000.0 / float Stopwatch.Frequency
        ms t0 t1, ms t1 t2, ms t2 t3
    interface IDisposable with
        member _.Dispose() = for t in [ h; w; g; dw; dh ] do t.Dispose()

/// The same three products on bf16 operands (the weight and the hidden layer converted once, the
/// logits' gradient converted per run as the bf16 step does), results converted back to fp32: what
/// the bf16 step's products cost alone.
type private Bf16GemmFloor(batch: int, hidden: int, items: int) =
    let bf = TorchSharp.torch.ScalarType.BFloat16
    let mk (r: int) (c: int) = TorchSharp.torch.empty(int64 r, int64 c).uniform_(-0.1, 0.1)
    let mk16 (r: int) (c: int) = TorchSharp.torch.empty(int64 r, int64 c, dtype = bf)
    let h, w, g, dw, dh = mk batch hidden, mk items hidden, mk batch items, mk items hidden, mk batch hidden
    let h16, w16, g16, dw16, dh16 = mk16 batch hidden, mk16 items hidden, mk16 batch items, mk16 items hidden, mk16 batch hidden
    member _.Flops = 3.0 * 2.0 * float batch * float hidden * float items
    member _.Run() =
        w16.copy_(w) |> ignore
        h16.copy_(h) |> ignore
        g16.addmm_(h16, w16.t(), 0.0f, 1.0f) |> ignore
        g.copy_(g16) |> ignore
        g16.copy_(g) |> ignore
        dw16.addmm_(g16.t(), h16, 0.0f, 1.0f) |> ignore
        dw.copy_(dw16) |> ignore
        dh16.addmm_(g16, w16, 0.0f, 1.0f) |> ignore
        dh.copy_(dh16) |> ignore
    interface IDisposable with
        member _.Dispose() = for t in [ h; w; g; dw; dh; h16; w16; g16; dw16; dh16 ] do t.Dispose()

/// Mult-VAE^PR with fp32 and with bf16 products, one step of each in turn so that both see the same
/// load, each followed by its products alone: per-batch medians, the bf16 / fp32 ratio (median of
/// per-pair ratios), each step's ratio to its products and the epochs they imply. Then Mult-VAE^PR
/// with the standard prior, the gmm prior (10 components) and the VampPrior (1000 pseudo-inputs,
/// encoded every step) in turn, at the precision given.
let private precisionAndPriors (data: CsrMatrix) (rowsOf: int -> int[]) (batch: int) (stepsPerEpoch: int) (steps: int) =
    let warmup = 3
    let epoch (ms: float) = ms * float stepsPerEpoch / 1000.0
    let bf16 = Repro.Core.Networks.Bf16Support.Available
    printfn "Mult-VAE^PR, fp32 against bf16 products (precision=bf16), batch %d, steps in turn, median of %d each" batch steps
    if not bf16 then printfn "  this processor lacks avx512_bf16: bf16 is refused here, fp32 alone is timed"
    use fp32 = new MultVae(items, MultVaeHyper.Paper, 1UL)
    use half = if bf16 then new MultVae(items, MultVaeHyper(Precision = Repro.Core.Networks.ProductPrecision.Bf16), 1UL) else null
    for k in 0 .. warmup - 1 do
        fp32.TrainStep(data, ReadOnlySpan(rowsOf k), 0.2) |> ignore
        if bf16 then half.TrainStep(data, ReadOnlySpan(rowsOf k), 0.2) |> ignore
    use floor32 = new GemmFloor(batch, 600, items)
    use floor16 = new Bf16GemmFloor(batch, 600, items)
    floor32.Run()
    if bf16 then floor16.Run()
    let eachProduct = ResizeArray<float * float * float>()
    let runs =
        [| for k in warmup .. warmup + steps - 1 ->
            let t32 = time (fun () -> fp32.TrainStep(data, ReadOnlySpan(rowsOf k), 0.2) |> ignore)
            let p32 = fp32.LastStepProfile
            let each = floor32.RunEach()
            eachProduct.Add each
            let f32 = let a, b, c = each in a + b + c
            let t16, p16, f16 =
                if bf16 then
                    let t = time (fun () -> half.TrainStep(data, ReadOnlySpan(rowsOf k), 0.2) |> ignore)
                    t, half.LastStepProfile, time floor16.Run
                else nan, p32, nan
            t32, p32, f32, t16, p16, f16 |]
    let col f = runs |> Array.map f
    let show name (t: float[]) (p: StepProfile[]) (f: float[]) =
        let m = median t
        printfn "  %-5s step %7.1f ms/batch -> %5.1f s/epoch (x%d); products alone %6.1f ms (%5.1f GFLOP/s); step / products %.2f (median per step)"
            name m (epoch m) stepsPerEpoch (median f) (floor32.Flops / median f / 1e6) (median (Array.map2 (/) t f))
        let ph g = median (Array.map g p)
        printfn "        phases (median ms): batch %.1f, forward %.1f, likelihood %.1f, backward %.1f, Adam %.1f"
            (ph _.Batch) (ph _.Forward) (ph _.Likelihood) (ph _.Backward) (ph _.Optimizer)
    show "fp32" (col (fun (t, _, _, _, _, _) -> t)) (col (fun (_, p, _, _, _, _) -> p)) (col (fun (_, _, f, _, _, _) -> f))
    // Each phase against the products it holds (forward: the logits; backward: the weight and hidden
    // gradients), per step then the median: what is left is the step's work outside the big products.
    let products = eachProduct.ToArray()
    let forwardProduct, weightProduct, hiddenProduct =
        median (products |> Array.map (fun (a, _, _) -> a)), median (products |> Array.map (fun (_, b, _) -> b)), median (products |> Array.map (fun (_, _, c) -> c))
    let fp32Profiles = col (fun (_, p, _, _, _, _) -> p)
    let forwardRest = median (Array.map2 (fun (p: StepProfile) (a, _, _) -> p.Forward - a) fp32Profiles products)
    let backwardRest = median (Array.map2 (fun (p: StepProfile) (_, b, c) -> p.Backward - b - c) fp32Profiles products)
    printfn "        products alone (median ms): forward logits %.1f, output weight gradient %.1f, hidden gradient %.1f"
        forwardProduct weightProduct hiddenProduct
    printfn "        outside the products (median ms): forward %.1f, likelihood %.1f, backward %.1f, Adam %.1f, batch %.1f"
        forwardRest (median (Array.map (fun (p: StepProfile) -> p.Likelihood) fp32Profiles)) backwardRest
        (median (Array.map (fun (p: StepProfile) -> p.Optimizer) fp32Profiles)) (median (Array.map (fun (p: StepProfile) -> p.Batch) fp32Profiles))
    if bf16 then
        show "bf16" (col (fun (_, _, _, t, _, _) -> t)) (col (fun (_, _, _, _, p, _) -> p)) (col (fun (_, _, _, _, _, f) -> f))
        printfn "  bf16 / fp32: step %.2f, products alone %.2f (medians of per-pair ratios)"
            (median (col (fun (t32, _, _, t16, _, _) -> t16 / t32))) (median (col (fun (_, _, f32, _, _, f16) -> f16 / f32)))
    printfn "  peak RSS so far: %.0f MB" (peakRssMb ())

    let priorSteps = max 3 (steps / 3)
    printfn "Mult-VAE^PR priors: standard, gmm (10 components), VampPrior (1000 pseudo-inputs), fp32, steps in turn, median of %d each" priorSteps
    use gmm = new Repro.Core.Models.MixturePriorVae.MixturePriorVae(items, Repro.Core.Models.MixturePriorVae.MixturePriorVaeHyper.Paper, 1UL)
    use vamp = new Repro.Core.Models.MixturePriorVae.MixturePriorVae(items, Repro.Core.Models.MixturePriorVae.MixturePriorVaeHyper.PaperVamp, 1UL)
    for k in 0 .. 1 do
        gmm.TrainStep(data, ReadOnlySpan(rowsOf k), 0.2) |> ignore
        vamp.TrainStep(data, ReadOnlySpan(rowsOf k), 0.2) |> ignore
    let priorRuns =
        [| for k in 100 .. 100 + priorSteps - 1 ->
            let s = time (fun () -> fp32.TrainStep(data, ReadOnlySpan(rowsOf k), 0.2) |> ignore)
            let g = time (fun () -> gmm.TrainStep(data, ReadOnlySpan(rowsOf k), 0.2) |> ignore)
            let v = time (fun () -> vamp.TrainStep(data, ReadOnlySpan(rowsOf k), 0.2) |> ignore)
            s, g, v |]
    let s, g, v = Array.map (fun (s, _, _) -> s) priorRuns, Array.map (fun (_, g, _) -> g) priorRuns, Array.map (fun (_, _, v) -> v) priorRuns
    printfn "  standard %7.1f ms/batch -> %5.1f s/epoch" (median s) (epoch (median s))
    printfn "  gmm      %7.1f ms/batch -> %5.1f s/epoch; %.2f times the standard prior (median per-step ratio)" (median g) (epoch (median g)) (median (Array.map2 (/) g s))
    printfn "  vamp     %7.1f ms/batch -> %5.1f s/epoch; %.2f times the standard prior (median per-step ratio)" (median v) (epoch (median v)) (median (Array.map2 (/) v s))
    printfn "  peak RSS so far: %.0f MB" (peakRssMb ())

/// Runs <c>steps</c> timed fast steps and <c>baselineSteps</c> notebook-literal steps per model.
let runWith (steps: int) (baselineSteps: int) =
    TorchRuntime.EnsureLoaded Environment.ProcessorCount
    printfn "VaeBench: %s, %d cores, GLIBC_TUNABLES %s" (TorchRuntime.Describe()) Environment.ProcessorCount
        (match Environment.GetEnvironmentVariable "GLIBC_TUNABLES" with null | "" -> "NOT set" | v -> "= " + v)
    let sw = Stopwatch.StartNew()
    let data = synthetic trainUsers items meanPerUser 98765
    printfn "data: %d users x %d items, %d nonzeros (%.1f per user), built in %.1f s"
        data.Rows data.Columns data.NonZeros (float data.NonZeros / float data.Rows) sw.Elapsed.TotalSeconds
    let batch = 500
    let stepsPerEpoch = (trainUsers + batch - 1) / batch
    let order = Array.init trainUsers id
    Random(1).Shuffle order
    let rowsOf k = let s = (k * batch) % (trainUsers - batch) in order.[s .. s + batch - 1]
    let warmup = 3

    let report name (times: float[]) (flops: float[]) =
        let m = median times
        printfn "  %-34s %8.1f ms/batch (median of %d)  -> %6.1f s/epoch (x%d)  %6.1f GFLOP/s"
            name m times.Length (m * float stepsPerEpoch / 1000.0) stepsPerEpoch (median flops / m / 1e6)
        m

    // ---------------------------------------------------------------- Mult-VAE^PR
    printfn "Mult-VAE^PR [I-600-200-600-I], batch %d, keep 0.5, beta 0.2" batch
    let vaeRest = float (600 * 400 + 200 * 600 + 600 * items)
    use vae = new MultVae(items, MultVaeHyper.Paper, 1UL)
    printfn "  parameters: %d" vae.ParameterCount
    for k in 0 .. warmup - 1 do vae.TrainStep(data, ReadOnlySpan(rowsOf k), 0.2) |> ignore
    use floor = new GemmFloor(batch, 600, items)
    floor.Run()
    let floorTimes = ResizeArray()
    let vaeRuns =
        [| for k in warmup .. warmup + steps - 1 ->
            let t = time (fun () -> vae.TrainStep(data, ReadOnlySpan(rowsOf k), 0.2) |> ignore)
            let r = t, vae.LastStepProfile, stepFlops vaeRest 600 batch vae.LastInputNonZeros
            floorTimes.Add(time floor.Run)
            r |]
    report "fast (sparse input, fused)" (vaeRuns |> Array.map (fun (t, _, _) -> t)) (vaeRuns |> Array.map (fun (_, _, f) -> f)) |> ignore
    let phase f = median (vaeRuns |> Array.map (fun (_, p, _) -> f p))
    printfn "    phases (median ms): batch %.1f, forward %.1f, likelihood %.1f, backward %.1f, Adam %.1f"
        (phase _.Batch) (phase _.Forward) (phase _.Likelihood) (phase _.Backward) (phase _.Optimizer)
    let floorMs = median floorTimes
    let ratios = Array.map2 (fun (t, _, _) f -> t / f) vaeRuns (floorTimes.ToArray())
    printfn "    GEMM floor now (3 products of 500x600x%d alone, between steps): %.1f ms = %.1f GFLOP/s" items floorMs (floor.Flops / floorMs / 1e6)
    printfn "    step / floor: %.2f (median of per-step ratios)  -> at a quiet machine's 150 GFLOP/s floor: %.1f s/epoch"
        (median ratios) (median ratios * floor.Flops / 150e9 * float stepsPerEpoch)
    let minStep = vaeRuns |> Array.map (fun (t, _, _) -> t) |> Array.min
    let minFloor = Seq.min floorTimes
    printfn "    least-contended: fastest step %.1f ms (%.1f s/epoch), fastest floor %.1f ms (%.1f GFLOP/s), ratio %.2f"
        minStep (minStep * float stepsPerEpoch / 1000.0) minFloor (floor.Flops / minFloor / 1e6) (minStep / minFloor)
    let rows10k = order.[0 .. 9_999]
    let chunk = 2000
    let scores = Array.zeroCreate<float32> (chunk * items)
    vae.Score(data, ReadOnlySpan(rows10k, 0, chunk), Span scores) // warm
    let scoreMs =
        time (fun () ->
            for c in 0 .. chunk .. 9_999 do vae.Score(data, ReadOnlySpan(rows10k, c, chunk), Span scores))
    let scoreFlops = 2.0 * (vaeRest + 600.0 * float (rows10k |> Array.sumBy data.RowLength) / 10_000.0) * 10_000.0
    printfn "  scoring 10,000 users (chunks of %d): %.2f s, %.0f users/s, %.1f GFLOP/s" chunk (scoreMs / 1000.0) (10_000.0 / scoreMs * 1000.0) (scoreFlops / scoreMs / 1e6)
    printfn "  peak RSS so far: %.0f MB" (peakRssMb ())

    precisionAndPriors data rowsOf batch stepsPerEpoch steps

    // ---------------------------------------------------------------- Mult-DAE
    printfn "Mult-DAE [I-200-I], batch %d, keep 0.5, lam 2e-5" batch
    let daeRest = float (200 * items)
    use dae = new MultDae(items, MultDaeHyper.Paper, 1UL)
    for k in 0 .. warmup - 1 do dae.TrainStep(data, ReadOnlySpan(rowsOf k)) |> ignore
    let daeRuns =
        [| for k in warmup .. warmup + steps - 1 ->
            let t = time (fun () -> dae.TrainStep(data, ReadOnlySpan(rowsOf k)) |> ignore)
            t, stepFlops daeRest 200 batch dae.LastInputNonZeros |]
    report "fast (sparse input, fused)" (Array.map fst daeRuns) (Array.map snd daeRuns) |> ignore
    printfn "  peak RSS so far: %.0f MB" (peakRssMb ())

    // ---------------------------------------------------------------- notebook-literal baselines
    printfn "Notebook-literal baselines (dense X.toarray(), torch dropout, dense log_softmax * x, autograd, PyTorch Adam)"
    /// Alternates a fast step and a notebook step so both see the same load; ratios are per pair.
    let baseline name (net: NotebookAutoencoder) rest firstWidth (fastStep: int -> unit) (fastAdam: unit -> float) beta =
        net.TrainStep(data, ReadOnlySpan(rowsOf 0), 0.5, beta) |> ignore
        // the dense first layer: forward and weight gradient over all I inputs (no input gradient)
        let flops = 6.0 * rest * float batch + 4.0 * float (items * firstWidth) * float batch
        let pairs =
            [| for k in 1 .. baselineSteps ->
                let tf = time (fun () -> fastStep k)
                let fa = fastAdam ()
                let tn = time (fun () -> net.TrainStep(data, ReadOnlySpan(rowsOf k), 0.5, beta) |> ignore)
                let na = time net.AdamStep
                tf, tn, fa, na |]
        let pick f = pairs |> Array.map f
        report (name + " notebook-literal") (pick (fun (_, tn, _, _) -> tn)) [| flops |] |> ignore
        printfn "    same pairs, fast: %.1f ms/batch; notebook / fast: %.1fx (median of %d per-pair ratios)"
            (median (pick (fun (tf, _, _, _) -> tf))) (median (pick (fun (tf, tn, _, _) -> tn / tf))) pairs.Length
        printfn "    optimiser alone: PyTorch Adam %.1f ms, fused TF Adam (in the fast step) %.1f ms; ratio %.1fx"
            (median (pick (fun (_, _, _, na) -> na))) (median (pick (fun (_, _, fa, _) -> fa))) (median (pick (fun (_, _, fa, na) -> na / fa)))
    use vaeRef = new NotebookAutoencoder([| items; 600; 200 |], [| 200; 600; items |], true, Likelihood.Multinomial, GaussianConfidence.Default, 1e-3, 0.0)
    baseline "Mult-VAE^PR" vaeRef vaeRest 600 (fun k -> vae.TrainStep(data, ReadOnlySpan(rowsOf (k + 100)), 0.2) |> ignore)
        (fun () -> vae.LastStepProfile.Optimizer) 0.2
    let denseScores = Array.zeroCreate<float32> (chunk * items)
    vaeRef.Score(data, ReadOnlySpan(rows10k, 0, chunk), Span denseScores)
    let scorePairs =
        [| for c in 0 .. chunk .. 9_999 ->
            let tf = time (fun () -> vae.Score(data, ReadOnlySpan(rows10k, c, chunk), Span scores))
            let tn = time (fun () -> vaeRef.Score(data, ReadOnlySpan(rows10k, c, chunk), Span denseScores))
            tf, tn |]
    printfn "  scoring 10,000 users, alternating chunks: fast %.2f s, notebook-literal %.2f s; notebook / fast %.1fx (median per chunk)"
        (Array.sumBy fst scorePairs / 1000.0) (Array.sumBy snd scorePairs / 1000.0) (median (scorePairs |> Array.map (fun (f, n) -> n / f)))
    vaeRef.Dispose()
    use daeRef = new NotebookAutoencoder([| items; 200 |], [| 200; items |], false, Likelihood.Multinomial, GaussianConfidence.Default, 1e-3, 2e-5)
    baseline "Mult-DAE" daeRef daeRest 200 (fun k -> dae.TrainStep(data, ReadOnlySpan(rowsOf (k + 100))) |> ignore)
        (fun () -> dae.LastStepProfile.Optimizer) 0.0
    printfn "peak RSS (whole run): %.0f MB" (peakRssMb ())

let run () = runWith 30 5

/// Only the fp32 against bf16 and priors part of <see cref="run"/> (`bench vae-precision`): a few
/// minutes instead of the whole suite's quarter of an hour.
let runPrecision (steps: int) =
    TorchRuntime.EnsureLoaded Environment.ProcessorCount
    printfn "VaeBench: %s" (TorchRuntime.Describe())
    let data = synthetic trainUsers items meanPerUser 98765
    let batch = 500
    let order = Array.init trainUsers id
    Random(1).Shuffle order
    let rowsOf k = let s = (k * batch) % (trainUsers - batch) in order.[s .. s + batch - 1]
    precisionAndPriors data rowsOf batch ((trainUsers + batch - 1) / batch) steps

/// RecVAE training speed on the same synthetic data of ML-20M's shape, paper settings (batch 500,
/// hidden 600, latent 200): <c>batchesPerPhase</c> timed batches of an encoder pass (dropout, old
/// encoder, encoder update) and of a decoder pass (decoder update), after two warm-up batches each,
/// and the seconds per epoch they imply (EncoderPasses + DecoderPasses passes of 234 batches; the
/// epoch's validation is not included). Independent of <see cref="run"/>.
let runRecVae (batchesPerPhase: int) =
    TorchRuntime.EnsureLoaded Environment.ProcessorCount
    printfn "VaeBench RecVAE: %s, %d cores, GLIBC_TUNABLES %s" (TorchRuntime.Describe()) Environment.ProcessorCount
        (match Environment.GetEnvironmentVariable "GLIBC_TUNABLES" with null | "" -> "NOT set" | v -> "= " + v)
    let data = synthetic trainUsers items meanPerUser 98765
    let hyper = Repro.Core.Models.RecVae.RecVaeHyper.Paper
    let batch = hyper.BatchSize
    let stepsPerPass = (trainUsers + batch - 1) / batch
    let order = Array.init trainUsers id
    Random(1).Shuffle order
    let rowsOf k = let s = (k * batch) % (trainUsers - batch) in order.[s .. s + batch - 1]
    use model = new Repro.Core.Models.RecVae.RecVae(items, hyper, 1UL)
    printfn "RecVAE [I-600x5 (dense skips, LayerNorm)-200; 200-I], batch %d, %d parameters (old encoder not counted)" batch model.ParameterCount
    let passes = model :> IMultiPassEpoch
    // The baseline in the same process, on the same batches: a Mult-VAE^PR step after each RecVAE
    // batch, so that each pair sees the same load and the ratio holds on a busy machine.
    use vae = new MultVae(items, MultVaeHyper.Paper, 1UL)
    for k in 0 .. 1 do vae.TrainStep(data, ReadOnlySpan(rowsOf k), 0.2) |> ignore
    let phase name pass offset =
        passes.BeginPass pass
        for k in 0 .. 1 do model.TrainStep(data, ReadOnlySpan(rowsOf (offset + k)), 0.0) |> ignore
        let pairs =
            [| for k in 2 .. batchesPerPhase + 1 ->
                let r = time (fun () -> model.TrainStep(data, ReadOnlySpan(rowsOf (offset + k)), 0.0) |> ignore)
                let p = model.LastStepProfile
                let v = time (fun () -> vae.TrainStep(data, ReadOnlySpan(rowsOf (offset + k)), 0.2) |> ignore)
                r, v, p |]
        let times = pairs |> Array.map (fun (r, _, _) -> r)
        let m = median times
        printfn "  %-16s %8.1f ms/batch (median of %d, min %.1f)  -> %6.1f s/pass (x%d); %.2f Mult-VAE^PR steps (median per pair)"
            name m times.Length (Array.min times) (m * float stepsPerPass / 1000.0) stepsPerPass (median (pairs |> Array.map (fun (r, v, _) -> r / v)))
        let ph f = median (pairs |> Array.map (fun (_, _, p) -> f p))
        printfn "    phases (median ms): encoder %.1f, old encoder %.1f, prior and KL %.1f, decoder and likelihood %.1f, backward %.1f, Adam %.1f"
            (ph _.Encoder) (ph _.OldEncoder) (ph _.Prior) (ph _.Decoder) (ph _.Backward) (ph _.Optimizer)
        m, pairs |> Array.map (fun (r, v, _) -> r, v)
    let encoderMs, encoderPairs = phase "encoder pass" 0 0
    let decoderMs, decoderPairs = phase "decoder pass" hyper.EncoderPasses 100
    let epochSeconds = float stepsPerPass * (float hyper.EncoderPasses * encoderMs + float hyper.DecoderPasses * decoderMs) / 1000.0
    printfn "  epoch (%d encoder + %d decoder passes, no validation): %.0f s; %d epochs: %.1f h" hyper.EncoderPasses hyper.DecoderPasses epochSeconds hyper.Epochs (epochSeconds * float hyper.Epochs / 3600.0)
    let vaeMs = median (Array.append encoderPairs decoderPairs |> Array.map snd)
    let vaeEpoch = vaeMs * float stepsPerPass / 1000.0
    let pairRatio pairs = median (pairs |> Array.map (fun (r, v) -> r / v))
    let epochRatio = float hyper.EncoderPasses * pairRatio encoderPairs + float hyper.DecoderPasses * pairRatio decoderPairs
    printfn "  Mult-VAE^PR in the same run, a step after each RecVAE batch: %.1f ms/batch -> %.0f s/epoch" vaeMs vaeEpoch
    printfn "  a RecVAE epoch is %.2f Mult-VAE^PR epochs (%d x encoder-pair ratio + %d x decoder-pair ratio; medians of per-pair ratios); from the medians alone %.2f"
        epochRatio hyper.EncoderPasses hyper.DecoderPasses (epochSeconds / vaeEpoch)
    let rows10k = order.[0 .. 9_999]
    let chunk = 2000
    let scores = Array.zeroCreate<float32> (chunk * items)
    model.Score(data, ReadOnlySpan(rows10k, 0, chunk), Span scores)
    let scoreMs = time (fun () -> for c in 0 .. chunk .. 9_999 do model.Score(data, ReadOnlySpan(rows10k, c, chunk), Span scores))
    printfn "  scoring 10,000 users (chunks of %d): %.2f s" chunk (scoreMs / 1000.0)
    printfn "  peak RSS: %.0f MB" (peakRssMb ())
