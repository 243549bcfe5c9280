/// Mult-VAE^PR and Mult-DAE: both run the shared sparse autoencoder (Networks/SparseAutoencoder.cs),
/// checked against closed forms written with plain arrays and against the notebook formulation.
module Repro.Tests.MultVaeTests

open System
open System.IO
open Expecto
open TorchSharp
open Repro.Core
open Repro.Core.Sparse
open Repro.Core.Networks
open Repro.Core.Training
open Repro.Core.Models.MultVae
open Repro.Core.Models.MultDae

// ------------------------------------------------------------------ helpers

let private csr (items: int) (rows: int list list) =
    let rowOf = [| for (u, r) in List.indexed rows do for _ in r -> u |]
    let colOf = [| for r in rows do yield! r |]
    CsrMatrix.FromPairs(List.length rows, items, ReadOnlySpan rowOf, ReadOnlySpan colOf)

let private allRows (m: CsrMatrix) = [| 0 .. m.Rows - 1 |]

let private getParam (net: SparseAutoencoder) (name: string) = net.Parameters.Span(name).ToArray()

let private setParam (net: SparseAutoencoder) (name: string) (values: float32[]) =
    values.AsSpan().CopyTo(net.Parameters.Span(name))

/// A weight's values laid out [in, out] whatever its storage (the output layer is stored [out, in]).
let private asInByOut (net: SparseAutoencoder) (name: string) (values: float32[]) =
    if net.IsStoredOutByIn name then
        let s = net.Parameters.Segment name
        let outs, ins = s.Rows, s.Columns
        Array.init values.Length (fun k -> let i, j = k / outs, k % outs in values.[j * ins + i])
    else values

/// A random matrix whose users come from a few taste groups, each preferring a block of items.
let private structured (users: int) (items: int) (seed: int) =
    let rnd = Random(seed)
    let groups = 4
    let rows =
        [ for u in 0 .. users - 1 ->
            let g = u % groups
            let block = [ g * items / groups .. (g + 1) * items / groups - 1 ]
            let n = 3 + rnd.Next 6
            [ for i in block do if rnd.NextDouble() < float n / float (List.length block) then i ]
            @ [ for _ in 1 .. 1 -> rnd.Next items ]
            |> List.distinct ]
    csr items rows

let private maxAbsDiff (a: float32[]) (b: float32[]) =
    Array.fold2 (fun m (x: float32) (y: float32) -> max m (abs (float x - float y))) 0.0 a b

let private maxAbs (a: float32[]) = a |> Array.fold (fun m x -> max m (abs (float x))) 0.0

/// The network written out in F# with plain arrays: z = mu, no dropout.
let private closedFormLoss (net: SparseAutoencoder) (x: float[][]) (beta: float) =
    let p name = getParam net name |> Array.map float
    let layer (input: float[]) (wName: string) (bName: string) (width: int) (tanh: bool) =
        let w = getParam net wName |> asInByOut net wName |> Array.map float
        let b = p bName
        Array.init width (fun j ->
            let s = b.[j] + Array.sum (Array.mapi (fun i xi -> xi * w.[i * width + j]) input)
            if tanh then Math.Tanh s else s)
    let enc, dec = net.EncoderDims, net.DecoderDims
    let items = enc.[0]
    let perUser (xu: float[]) =
        let norm = sqrt (max (Array.sumBy (fun v -> v * v) xu) 1e-12)
        let mutable h = xu |> Array.map (fun v -> v / norm)
        let mutable kl = 0.0
        for j in 0 .. enc.Length - 2 do
            let last = j = enc.Length - 2
            if last && net.Variational then
                let k = enc.[j + 1]
                let o = layer h (sprintf "q.W%d" j) (sprintf "q.b%d" j) (2 * k) false
                let mu, lv = o.[.. k - 1], o.[k ..]
                kl <- Array.sum (Array.map2 (fun m l -> 0.5 * (-l + exp l + m * m - 1.0)) mu lv)
                h <- mu
            else h <- layer h (sprintf "q.W%d" j) (sprintf "q.b%d" j) enc.[j + 1] true
        for j in 0 .. dec.Length - 2 do
            h <- layer h (sprintf "p.W%d" j) (sprintf "p.b%d" j) dec.[j + 1] (j < dec.Length - 2)
        let f = h
        let nll =
            match net.Likelihood with
            | Likelihood.Multinomial ->
                let m = Array.max f
                let lse = m + log (Array.sumBy (fun v -> exp (v - m)) f)
                -(Array.sum (Array.map2 (fun xi fi -> xi * (fi - lse)) xu f))
            | Likelihood.Gaussian ->
                let c = net.GaussianConfidence
                Array.sum (Array.map2 (fun xi fi -> 0.5 * (if xi > 0.0 then c.Positive else c.Negative) * (xi - fi) ** 2.0) xu f)
            | _ ->
                let softplus v = max v 0.0 + log (1.0 + exp (-(abs v)))
                Array.sum (Array.map2 (fun xi fi -> softplus fi - xi * fi) xu f)
        nll, kl
    ignore items
    let results = x |> Array.map perUser
    let nll = results |> Array.averageBy fst
    let kl = results |> Array.averageBy snd
    let penalty =
        net.WeightDecay * (net.Parameters.Segments |> Seq.filter (fun s -> s.IsWeight) |> Seq.sumBy (fun s -> p s.Name |> Array.sumBy (fun v -> v * v)))
    nll + beta * kl + penalty, nll, kl

let private denseOf (m: CsrMatrix) =
    [| for u in 0 .. m.Rows - 1 ->
        let row = Array.zeroCreate m.Columns
        for c in m.Row(u).ToArray() do row.[c] <- 1.0
        row |]

let private tinyVae likelihood seed =
    new SparseAutoencoder([| 7; 5; 3 |], [| 3; 5; 7 |], true, likelihood, GaussianConfidence.Default, 1e-3, 0.0, seed, 4)

let private tinyDae seed =
    new SparseAutoencoder([| 7; 4 |], [| 4; 7 |], false, Likelihood.Multinomial, GaussianConfidence.Default, 1e-3, 0.01, seed, 4)

/// Every parameter's gradient from the hand-written backward against the notebook formulation's autograd.
let private checkGradients (net: SparseAutoencoder) (data: CsrMatrix) (beta: float) =
    let reference =
        new NotebookAutoencoder(net.EncoderDims, net.DecoderDims, net.Variational, net.Likelihood, net.GaussianConfidence, 1e-3, net.WeightDecay)
    reference.CopyFrom net
    let rows = allRows data
    let fast = net.ComputeGradients(data, ReadOnlySpan rows, 1.0, beta)
    use scope = torch.NewDisposeScope()
    let x = reference.Dense(data, ReadOnlySpan rows)
    let noise =
        if net.Variational then Some(torch.tensor(net.LastNoise.ToArray(), ReadOnlySpan [| int64 rows.Length; int64 net.EncoderDims.[net.EncoderDims.Length - 1] |]))
        else None
    let refLoss = reference.Backward(x, true, 1.0, beta, Option.toObj noise)
    Expect.floatClose { absolute = 1e-5; relative = 1e-4 } fast.Loss refLoss "the two formulations give the same loss"
    for s in net.Parameters.Segments do
        let weights = getParam net s.Name
        let mine =
            if s.IsWeight && net.WeightDecay > 0.0 then
                // the penalty's gradient 2 lam W is added inside the Adam pass, so add it here
                Array.map2 (fun g w -> g + float32 (2.0 * net.WeightDecay) * w) (net.Gradients.Span(s.Name).ToArray()) weights
            else net.Gradients.Span(s.Name).ToArray()
        let mine = if s.IsWeight then asInByOut net s.Name mine else mine
        let theirs = reference.Gradient s.Name
        let scale = max 1e-3 (maxAbs theirs)
        Expect.isLessThan (maxAbsDiff mine theirs / scale) 1e-4 (sprintf "gradient of %s agrees (max |g| = %g)" s.Name scale)

// ------------------------------------------------------------------ tests
[<Tests>]
let hyper =
    testList "Models.Hyperparameters" [
        testCase "the Paper records hold the notebook's values" <| fun () ->
            let v = MultVaeHyper.Paper
            Expect.equal (v.Hidden, v.Latent, v.BatchSize, v.Epochs, v.TotalAnnealSteps) (600, 200, 500, 200, 200_000L) "VAE sizes"
            Expect.equal (v.KeepProbability, v.AnnealCap, v.LearningRate, v.WeightDecay) (0.5, 0.2, 1e-3, 0.0) "VAE rates"
            let d = MultDaeHyper.Paper
            Expect.equal (d.Hidden, d.KeepProbability, d.LearningRate, d.BatchSize, d.Epochs) (200, 0.5, 1e-3, 500, 200) "DAE"
            Expect.floatClose Accuracy.veryHigh d.WeightDecay 2e-5 "DAE lam = 0.01 / 500"

        testCase "a Gaussian confidence with another likelihood is an error, not silently ignored" <| fun () ->
            Expect.throws (fun () -> MultVaeHyper(GaussianConfidence = GaussianConfidence(5.0, 1.0)).Validate()) "unused setting"
            MultVaeHyper(Likelihood = Likelihood.Gaussian, GaussianConfidence = GaussianConfidence(5.0, 1.0)).Validate()
    ]

[<Tests>]
let models =
    testSequencedGroup "libtorch threads" <| testList "Models.MultVae" [
        testCase "the ML-20M networks have the spec's parameter counts (24,511,308 and 8,063,508)" <| fun () ->
            TorchRuntime.EnsureLoaded 2
            use vae = new MultVae(20108, MultVaeHyper.Paper, 1UL)
            Expect.equal vae.ParameterCount 24_511_308L "Mult-VAE"
            use dae = new MultDae(20108, MultDaeHyper.Paper, 1UL)
            Expect.equal dae.ParameterCount 8_063_508L "Mult-DAE"

        testCase "initial weights are Glorot-uniform and biases truncated N(0, 0.001^2)" <| fun () ->
            TorchRuntime.EnsureLoaded 2
            use net = new SparseAutoencoder([| 400; 300; 100 |], [| 100; 300; 400 |], true, Likelihood.Multinomial, GaussianConfidence.Default, 1e-3, 0.0, 3UL, 8)
            let w = getParam net "q.W0"
            let r = sqrt (6.0 / 700.0)
            Expect.isLessThanOrEqual (maxAbs w) r "within the Glorot bound"
            let var = w |> Array.averageBy (fun v -> float v * float v)
            Expect.floatClose { absolute = 0.0; relative = 0.05 } var (r * r / 3.0) "variance of U(-r, r)"
            let b = getParam net "p.b1"
            Expect.isLessThanOrEqual (maxAbs b) 0.002 "truncated at two standard deviations"
            Expect.isGreaterThan (maxAbs b) 0.0005 "but not zero"

        testCase "the loss on a tiny batch equals the closed form computed with plain arrays (VAE, z = mu)" <| fun () ->
            TorchRuntime.EnsureLoaded 2
            for likelihood in [ Likelihood.Multinomial; Likelihood.Gaussian; Likelihood.Logistic ] do
                use net = tinyVae likelihood 11UL
                let data = csr 7 [ [ 0; 3 ]; [ 1; 2; 6 ]; [ 5 ] ]
                let got = net.Evaluate(data, ReadOnlySpan(allRows data), 0.3)
                let loss, nll, kl = closedFormLoss net (denseOf data) 0.3
                Expect.floatClose { absolute = 1e-5; relative = 1e-5 } got.NegLogLikelihood nll (sprintf "%A neg log-likelihood" likelihood)
                Expect.floatClose { absolute = 1e-6; relative = 1e-5 } got.Kl kl "KL"
                Expect.floatClose { absolute = 1e-5; relative = 1e-5 } got.Loss loss "loss"

        testCase "KL of mu = 0 and logvar = 0 is exactly 0" <| fun () ->
            TorchRuntime.EnsureLoaded 2
            use net = tinyVae Likelihood.Multinomial 2UL
            setParam net "q.W1" (Array.zeroCreate (5 * 6))
            setParam net "q.b1" (Array.zeroCreate 6)
            let data = csr 7 [ [ 0; 3 ]; [ 1; 2; 6 ] ]
            let got = net.Evaluate(data, ReadOnlySpan(allRows data), 1.0)
            Expect.equal got.Kl 0.0 "KL"

        testCase "the sparse first layer's gradients equal the dense notebook formulation's autograd gradients" <| fun () ->
            TorchRuntime.EnsureLoaded 2
            let data = structured 9 30 4
            for likelihood in [ Likelihood.Multinomial; Likelihood.Gaussian; Likelihood.Logistic ] do
                use net = new SparseAutoencoder([| 30; 8; 4 |], [| 4; 8; 30 |], true, likelihood, GaussianConfidence.Default, 1e-3, 0.0, 7UL, 4)
                checkGradients net data 0.37
            use dae = new SparseAutoencoder([| 30; 6 |], [| 6; 30 |], false, Likelihood.Multinomial, GaussianConfidence.Default, 1e-3, 0.01, 8UL, 16)
            checkGradients dae data 0.0
            use shallow = new SparseAutoencoder([| 30; 5 |], [| 5; 30 |], true, Likelihood.Multinomial, GaussianConfidence.Default, 1e-3, 0.0, 9UL, 16)
            checkGradients shallow (csr 30 [ [ 1; 2 ]; []; [ 29 ] ]) 0.5

        testCase "scoring uses z = mu and no dropout: twice the same scores, equal to the notebook formulation's, fold-in items excluded" <| fun () ->
            TorchRuntime.EnsureLoaded 2
            let data = structured 50 40 2
            let rows = allRows data
            use vae = new MultVae(40, MultVaeHyper(Hidden = 16, Latent = 4, BatchSize = 20), 3UL)
            for _ in 1 .. 5 do vae.TrainStep(data, ReadOnlySpan rows.[0..19], 0.1) |> ignore
            let first = Array.zeroCreate (50 * 40)
            let second = Array.zeroCreate (50 * 40)
            vae.Score(data, Span first)
            vae.Score(data, Span second)
            Expect.equal first second "deterministic"
            use reference = new NotebookAutoencoder([| 40; 16; 4 |], [| 4; 16; 40 |], true, Likelihood.Multinomial, GaussianConfidence.Default, 1e-3, 0.0)
            reference.CopyFrom vae.Network
            let dense = Array.zeroCreate (50 * 40)
            reference.Score(data, ReadOnlySpan rows, Span dense)
            for u in 0 .. 49 do
                let seen = set (data.Row(u).ToArray())
                for i in 0 .. 39 do
                    let s = first.[u * 40 + i]
                    if seen.Contains i then Expect.equal s Single.NegativeInfinity "fold-in item excluded"
                    else Expect.floatClose { absolute = 1e-5; relative = 1e-5 } (float s) (float dense.[u * 40 + i]) "same logits as the dense formulation"

        testCase "save then load gives identical scores, and a saved optimiser state resumes the same run" <| fun () ->
            TorchRuntime.EnsureLoaded 2
            let data = structured 60 30 3
            let rows = allRows data
            let hyper = MultVaeHyper(Hidden = 12, Latent = 4, BatchSize = 30)
            use vae = new MultVae(30, hyper, 21UL)
            for _ in 1 .. 4 do vae.TrainStep(data, ReadOnlySpan rows.[0..29], 0.1) |> ignore
            let path = Path.Combine(Path.GetTempPath(), sprintf "repro-vae-%d.bin" Environment.ProcessId)
            try
                vae.Save(path, true)
                use other = new MultVae(30, hyper, 99UL)
                other.Load path
                let a = Array.zeroCreate (60 * 30)
                let b = Array.zeroCreate (60 * 30)
                vae.Score(data, Span a)
                other.Score(data, Span b)
                Expect.equal a b "identical scores"
                vae.Reseed 5UL
                other.Reseed 5UL
                let next1 = vae.TrainStep(data, ReadOnlySpan rows.[30..59], 0.1)
                let next2 = other.TrainStep(data, ReadOnlySpan rows.[30..59], 0.1)
                let after1 = vae.TrainStep(data, ReadOnlySpan rows.[0..29], 0.1)
                let after2 = other.TrainStep(data, ReadOnlySpan rows.[0..29], 0.1)
                Expect.equal next2 next1 "same loss on the next step"
                Expect.equal after2 after1 "same Adam state: same loss after the update"
                use dae = new MultDae(30, MultDaeHyper(Hidden = 8), 1UL)
                Expect.throws (fun () -> dae.Load path) "a file for another network is refused"
            finally
                File.Delete path

        testCase "a model built inside a caller's dispose scope outlives the scope" <| fun () ->
            TorchRuntime.EnsureLoaded 2
            let built =
                use _scope = torch.NewDisposeScope()
                new MultVae(20, MultVaeHyper(Hidden = 8, Latent = 2, BatchSize = 10), 1UL)
            use vae = built
            let data = structured 10 20 1
            let loss = vae.TrainStep(data, 0.1)
            Expect.isTrue (Double.IsFinite loss.Loss) "trains"
            let scores = Array.zeroCreate (10 * 20)
            vae.Score(data, Span scores)
            Expect.isTrue (scores |> Array.exists Single.IsFinite) "scores"

    ]

[<Tests>]
let daeModel =
    testSequencedGroup "libtorch threads" <| testList "Models.MultDae" [
        testCase "the DAE loss equals the closed form, penalty lam sum ||W||^2 on weights only" <| fun () ->
            TorchRuntime.EnsureLoaded 2
            use net = tinyDae 5UL
            let data = csr 7 [ [ 0; 3 ]; [ 1; 2; 6 ]; [] ]
            let got = net.Evaluate(data, ReadOnlySpan(allRows data), 0.0)
            let loss, nll, _ = closedFormLoss net (denseOf data) 0.0
            Expect.floatClose { absolute = 1e-5; relative = 1e-5 } got.NegLogLikelihood nll "neg log-likelihood (an empty user contributes 0, not NaN)"
            Expect.floatClose { absolute = 1e-5; relative = 1e-5 } got.Loss loss "loss with penalty"
            let expectedPenalty = 0.01 * (Array.sumBy (fun v -> float v * float v) (getParam net "q.W0") + Array.sumBy (fun v -> float v * float v) (getParam net "p.W0"))
            Expect.floatClose { absolute = 1e-7; relative = 1e-5 } got.Penalty expectedPenalty "biases are not penalised"
    ]
