/// The autoencoder family (spec 5) and the mixture priors (spec 3) on the shared sparse network:
/// every added gradient against central finite differences of the network's own loss, the defaults
/// against Mult-DAE and Mult-VAE, and spec 3.3's golden checks.
module Repro.Tests.AutoencoderFamilyTests

open System
open Expecto
open TorchSharp
open Repro.Core
open Repro.Core.Sparse
open Repro.Core.Networks
open Repro.Core.Training
open Repro.Core.Models.Autoencoder
open Repro.Core.Models.MixturePriorVae
open Repro.Core.Models.MultDae
open Repro.Core.Models.MultVae
open Repro.Harness
open Repro.Tests.StructuredData

let private allRows (m: CsrMatrix) = [| 0 .. m.Rows - 1 |]

let private data = csr 12 [ [ 0; 3; 4 ]; [ 1; 2; 6; 11 ]; [ 5; 7 ]; [ 0; 8; 9; 10 ]; [ 2; 3 ] ]

let private net (encoder: int[]) variational (options: AutoencoderOptions) seed =
    let decoder = Array.rev encoder
    new SparseAutoencoder(encoder, decoder, variational, Likelihood.Multinomial, GaussianConfidence.Default, 1e-3, 0.0, seed, 8, options)

/// The loss of the batch with the same noise every time (reseeded), no masking.
let private lossAt (n: SparseAutoencoder) beta =
    n.Reseed 77UL
    n.ComputeGradients(data, ReadOnlySpan(allRows data), 1.0, beta).Loss

/// Every segment's gradient, at its largest entries and a few others, against (L(t + h) - L(t - h)) / 2h.
let private checkWithStep (h: float32) (n: SparseAutoencoder) (beta: float) =
    lossAt n beta |> ignore
    let analytic = n.Gradients.Data |> Array.copy
    let mutable checkedCount = 0
    for s in n.Parameters.Segments do
        let offset = int s.Offset
        let length = int s.Length
        let largest = [| 0 .. length - 1 |] |> Array.sortByDescending (fun i -> abs analytic.[offset + i]) |> Array.truncate 4
        let spread = [| for i in 0 .. 2 -> (i * 7919 + 13) % length |]
        for i in Array.append largest spread |> Array.distinct do
            let p = n.Parameters.Data
            let original = p.[offset + i]
            p.[offset + i] <- original + h
            let up = lossAt n beta
            p.[offset + i] <- original - h
            let down = lossAt n beta
            p.[offset + i] <- original
            let numeric = (up - down) / (2.0 * float h)
            let g = float analytic.[offset + i]
            checkedCount <- checkedCount + 1
            Expect.isLessThan (abs (numeric - g)) (2e-2 * max (abs numeric) (abs g) + 2e-3)
                (sprintf "d loss / d %s[%d]: hand-written %g, finite differences %g" s.Name i g numeric)
    Expect.isGreaterThan checkedCount 10 "coordinates checked"

let private checkAgainstDifferences n beta = checkWithStep 1e-2f n beta

let private maxAbs (a: float32[]) = a |> Array.fold (fun m x -> max m (abs (float x))) 0.0

[<Tests>]
let penalties =
    testSequencedGroup "libtorch threads" <| testList "Models.AutoencoderFamily" [
        testCase "the L1 sparsity penalty's gradient matches finite differences, and the penalty is lam mean_u sum_k |h_uk|" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            use n = net [| 12; 5 |] false (AutoencoderOptions(Sparsity = 0.5)) 3UL
            use plain = net [| 12; 5 |] false AutoencoderOptions.None 3UL
            let withPenalty = n.Evaluate(data, ReadOnlySpan(allRows data), 0.0)
            let without = plain.Evaluate(data, ReadOnlySpan(allRows data), 0.0)
            Expect.floatClose Accuracy.high withPenalty.NegLogLikelihood without.NegLogLikelihood "same network, same likelihood"
            Expect.isGreaterThan withPenalty.Penalty 0.1 "the penalty is counted"
            // a small step: |h| is not differentiable at 0
            checkWithStep 1e-3f n 0.0

        testCase "the KL-to-rho sparsity penalty (sigmoid units) matches finite differences" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            use n = net [| 12; 5 |] false (AutoencoderOptions(Activation = HiddenActivation.Sigmoid, Sparsity = 0.5, SparsityTarget = Nullable 0.1)) 4UL
            checkAgainstDifferences n 0.0

        testCase "the contractive penalty (tanh) matches finite differences and equals sum_k (1 - h_k^2)^2 ||W_.k||^2 per user" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            use n = net [| 12; 5 |] false (AutoencoderOptions(Contractive = 0.5)) 5UL
            checkAgainstDifferences n 0.0
            // Closed form for one user, with plain arrays.
            let one = csr 12 [ [ 0; 3; 4 ] ]
            let got = n.Evaluate(one, ReadOnlySpan [| 0 |], 0.0)
            let w = n.Parameters.Span("q.W0").ToArray()
            let b = n.Parameters.Span("q.b0").ToArray()
            let x = Array.init 12 (fun i -> if i = 0 || i = 3 || i = 4 then 1.0 / sqrt 3.0 else 0.0)
            let expected =
                [ for k in 0 .. 4 ->
                    let h = tanh (float b.[k] + Seq.sum (seq { for i in 0 .. 11 -> x.[i] * float w.[i * 5 + k] }))
                    let norm = Seq.sum (seq { for i in 0 .. 11 -> float w.[i * 5 + k] ** 2.0 })
                    (1.0 - h * h) ** 2.0 * norm ] |> List.sum
            Expect.floatClose { absolute = 1e-5; relative = 1e-4 } got.Penalty (0.5 * expected) "lam ||J||_F^2"

        testCase "the contractive penalty with sigmoid units and two encoder layers matches finite differences" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            use n = net [| 12; 6; 3 |] false (AutoencoderOptions(Activation = HiddenActivation.Sigmoid, Contractive = 0.5)) 6UL
            checkAgainstDifferences n 0.0

        testCase "Gaussian input noise: gradients (the dense sigma N^T dpre term in W1) match finite differences under the same noise" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            use n = net [| 12; 5 |] false (AutoencoderOptions(InputNoise = 0.3)) 7UL
            use quiet = net [| 12; 5 |] false AutoencoderOptions.None 7UL
            Expect.isGreaterThan (abs (lossAt n 0.0 - lossAt quiet 0.0)) 1e-4 "the noise changes the training loss"
            checkAgainstDifferences n 0.0

        testCase "default settings train bit-identically to Mult-DAE (AutoencoderHyper) and Mult-VAE (standard prior)" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            let rows = allRows train
            use dae = new MultDae(items, MultDaeHyper(Hidden = 16, BatchSize = 50), 9UL)
            use ae = new Autoencoder(items, AutoencoderHyper(Hidden = "16", BatchSize = 50), 9UL)
            for step in 0 .. 5 do
                let batch = rows.[(step % 4) * 50 .. (step % 4) * 50 + 49]
                Expect.equal (ae.TrainStep(train, ReadOnlySpan batch, 0.0)) (dae.TrainStep(train, ReadOnlySpan batch)) "same loss"
            use vae = new MultVae(items, MultVaeHyper(Hidden = 16, Latent = 4, BatchSize = 50), 9UL)
            use standard = new MixturePriorVae(items, MixturePriorVaeHyper(Prior = PriorKind.Standard, Hidden = 16, Latent = 4, BatchSize = 50), 9UL)
            for step in 0 .. 5 do
                let batch = rows.[(step % 4) * 50 .. (step % 4) * 50 + 49]
                Expect.equal (standard.TrainStep(train, ReadOnlySpan batch, 0.1)) (vae.TrainStep(train, ReadOnlySpan batch, 0.1)) "same loss"

        testCase "hidden takes one width or a comma-separated stack, through --set too" <| fun () ->
            Expect.equal (AutoencoderHyper(Hidden = "600, 200").HiddenWidths()) [| 600; 200 |] "two layers"
            match Settings.apply AutoencoderHyper.Paper [ "hidden=600,200" ] with
            | Ok h -> Expect.equal (h.HiddenWidths()) [| 600; 200 |] "set"
            | Error e -> failtest e
            match Settings.apply AutoencoderHyper.Paper [ "hidden=200" ] with
            | Ok h -> Expect.equal (h.HiddenWidths()) [| 200 |] "one width"
            | Error e -> failtest e
            Expect.isError (Settings.apply AutoencoderHyper.Paper [ "hidden=600,x" ]) "a bad width is refused"
            Expect.isError (Settings.apply AutoencoderHyper.Paper [ "sparsity-target=0.1"; "sparsity=0.1" ]) "KL sparsity needs sigmoid units"
            TorchRuntime.EnsureLoaded 1
            use stacked = new Autoencoder(items, AutoencoderHyper(Hidden = "32,16"), 1UL)
            Expect.equal stacked.ParameterCount (int64 (64 * 32 + 32 + 32 * 16 + 16 + 16 * 32 + 32 + 32 * 64 + 64)) "I -> 32 -> 16 -> 32 -> I"
    ]

/// A three-component gmm whose means are spread (so the responsibilities are not uniform): every
/// gradient of the network under <paramref name="estimator"/> against finite differences.
let private checkSpreadGmm (estimator: KlEstimator) =
    TorchRuntime.EnsureLoaded 1
    use n = net [| 12; 6; 3 |] true (AutoencoderOptions(Prior = PriorKind.Gmm, Components = 3, KlEstimator = estimator)) 10UL
    let means = n.Parameters.Span("prior.means")
    for i in 0 .. means.Length - 1 do means.[i] <- means.[i] * 5.0f
    checkAgainstDifferences n 1.0

[<Tests>]
let priors =
    testSequencedGroup "libtorch threads" <| testList "Models.MixturePrior" [
        testCase "K = 1 with a frozen N(0, I) component: the Monte-Carlo KL averages to the analytic KL (1e5 draws, 3 decimals)" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            use scope = torch.NewDisposeScope()
            let mu = [| 0.3; -0.2; 0.1; 0.25 |]
            let lv = [| -0.2; 0.1; -0.3; 0.05 |]
            let d = mu.Length
            let draws = 100_000
            let rnd = SeededRandom(2024UL)
            let eps = Array.init (draws * d) (fun _ -> rnd.NextNormal())
            let z = Array.init (draws * d) (fun i -> mu.[i % d] + eps.[i] * exp (0.5 * lv.[i % d]))
            let logQ = Array.init draws (fun n -> Seq.sum (seq { for j in 0 .. d - 1 -> -0.5 * (log (2.0 * Math.PI) + lv.[j] + eps.[n * d + j] ** 2.0) }))
            let logP = SparseAutoencoder.LogMixtureDensity(
                            torch.tensor(z, ReadOnlySpan [| int64 draws; int64 d |]), torch.zeros(1L, int64 d, dtype = torch.float64),
                            torch.zeros(1L, int64 d, dtype = torch.float64), torch.zeros(1L, dtype = torch.float64)).data<double>().ToArray()
            let mc = Array.map2 (-) logQ logP |> Array.average
            let analytic = Seq.sum (seq { for j in 0 .. d - 1 -> 0.5 * (-lv.[j] + exp lv.[j] + mu.[j] ** 2.0 - 1.0) })
            Expect.floatClose { absolute = 1e-3; relative = 0.0 } mc analytic (sprintf "MC %.5f vs analytic %.5f" mc analytic)

        testCase "the mixture's log-sum-exp is finite and exact for |z| up to 1e3" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            use scope = torch.NewDisposeScope()
            let means = [| 0.0; 0.0; 5.0; -5.0; 1000.0; 990.0 |] // 3 components in 2 dimensions
            let logVars = [| 0.0; 0.0; -1.0; 1.0; 0.5; 0.0 |]
            let logW = [| log 0.2; log 0.3; log 0.5 |]
            for zs in [ [| 1000.0; -1000.0 |]; [| -1000.0; 1000.0 |]; [| 3.0; 2.0 |]; [| 1000.0; 995.0 |] ] do
                let got =
                    SparseAutoencoder.LogMixtureDensity(torch.tensor(zs, ReadOnlySpan [| 1L; 2L |]), torch.tensor(means, ReadOnlySpan [| 3L; 2L |]),
                        torch.tensor(logVars, ReadOnlySpan [| 3L; 2L |]), torch.tensor(logW, ReadOnlySpan [| 3L |])).item<double>()
                let terms =
                    [ for c in 0 .. 2 ->
                        logW.[c] + Seq.sum (seq { for j in 0 .. 1 ->
                                                    let v = logVars.[c * 2 + j]
                                                    -0.5 * (log (2.0 * Math.PI) + v + (zs.[j] - means.[c * 2 + j]) ** 2.0 / exp v) }) ]
                let m = List.max terms
                let expected = m + log (terms |> List.sumBy (fun t -> exp (t - m)))
                Expect.isTrue (Double.IsFinite got) (sprintf "finite at %A" zs)
                Expect.floatClose { absolute = 1e-6; relative = 1e-9 } got expected (sprintf "log p at %A" zs)

        testCase "a K = 1 N(0, I) gmm at z = mu gives KL = 0.5 sum (mu^2 - logvar), the closed form" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            use n = net [| 12; 4 |] true (AutoencoderOptions(Prior = PriorKind.Gmm, Components = 1)) 8UL
            n.Parameters.Span("prior.means").Clear()
            let got = n.Evaluate(data, ReadOnlySpan(allRows data), 1.0)
            use standard = net [| 12; 4 |] true AutoencoderOptions.None 8UL
            // the same encoder weights (same seed): recompute mu, logvar with plain arrays
            let w = standard.Parameters.Span("q.W0").ToArray()
            let b = standard.Parameters.Span("q.b0").ToArray()
            let expected =
                [ for u in 0 .. data.Rows - 1 ->
                    let cols = data.Row(u).ToArray()
                    let x = 1.0 / sqrt (float cols.Length)
                    let o = Array.init 8 (fun k -> float b.[k] + Seq.sum (seq { for i in cols -> x * float w.[i * 8 + k] }))
                    Seq.sum (seq { for j in 0 .. 3 -> 0.5 * (o.[j] ** 2.0 - o.[4 + j]) }) ] |> List.average
            Expect.floatClose { absolute = 1e-5; relative = 1e-5 } got.Kl expected "KL at z = mu"

        testCase "option B (discrete component) with K = 1 and a frozen N(0, I) component is the analytic KL exactly" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            use scope = torch.NewDisposeScope()
            let mu = [| 0.3; -0.2; 0.1; 0.25; 2.0; -1.5; 0.0; 0.7 |] // two users of 4 dimensions
            let lv = [| -0.2; 0.1; -0.3; 0.05; 1.0; -2.0; 0.0; 0.4 |]
            let got =
                SparseAutoencoder.DiscreteKl(torch.tensor(mu, ReadOnlySpan [| 2L; 4L |]), torch.tensor(lv, ReadOnlySpan [| 2L; 4L |]),
                    torch.zeros(1L, 4L, dtype = torch.float64), torch.zeros(1L, 4L, dtype = torch.float64), torch.zeros(1L, dtype = torch.float64)).data<double>().ToArray()
            for u in 0 .. 1 do
                let analytic = Seq.sum (seq { for j in 0 .. 3 -> 0.5 * (-lv.[u * 4 + j] + exp lv.[u * 4 + j] + mu.[u * 4 + j] ** 2.0 - 1.0) })
                Expect.floatClose { absolute = 1e-12; relative = 1e-12 } got.[u] analytic (sprintf "user %d" u)
            // and through the network: the same weights as Mult-VAE's (same seed), the same KL
            use b = net [| 12; 4 |] true (AutoencoderOptions(Prior = PriorKind.Gmm, Components = 1, KlEstimator = KlEstimator.Discrete)) 8UL
            b.Parameters.Span("prior.means").Clear()
            use standard = net [| 12; 4 |] true AutoencoderOptions.None 8UL
            let kl (n: SparseAutoencoder) = n.Evaluate(data, ReadOnlySpan(allRows data), 1.0).Kl
            Expect.floatClose { absolute = 1e-6; relative = 1e-6 } (kl b) (kl standard) "option B = Mult-VAE's analytic KL"

        testCase "option B on three spread components: the responsibilities' term makes it differ from a single component's KL" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            use scope = torch.NewDisposeScope()
            // z = mu sits on component 0 (at 0) far from 1 and 2: r ~ (1, 0, 0), so KL ~ KL_0 - log w_0 = KL_0 + log 3
            let mu = torch.tensor([| 0.1; -0.1 |], ReadOnlySpan [| 1L; 2L |])
            let lv = torch.tensor([| -0.5; 0.2 |], ReadOnlySpan [| 1L; 2L |])
            let means = torch.tensor([| 0.0; 0.0; 40.0; 40.0; -40.0; 40.0 |], ReadOnlySpan [| 3L; 2L |])
            let logVars = torch.zeros(3L, 2L, dtype = torch.float64)
            let logW = torch.full(3L, -log 3.0, dtype = torch.float64)
            let got = SparseAutoencoder.DiscreteKl(mu, lv, means, logVars, logW).item<double>()
            let kl0 = 0.5 * ((0.5 + exp -0.5 + 0.01 - 1.0) + (-0.2 + exp 0.2 + 0.01 - 1.0))
            Expect.floatClose { absolute = 1e-9; relative = 0.0 } got (kl0 + log 3.0) "KL_0 + KL(one-hot || uniform)"

        testCase "option B: every gradient (encoder, decoder, means, log-variances, weights) matches finite differences" <| fun () ->
            checkSpreadGmm KlEstimator.Discrete

        testCase "option B with the VampPrior: gradients (pseudo-inputs and the encoder through them) match finite differences" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            use n = net [| 12; 6; 3 |] true (AutoencoderOptions(Prior = PriorKind.Vamp, Components = 4, LearnWeights = false, KlEstimator = KlEstimator.Discrete)) 12UL
            checkAgainstDifferences n 1.0

        testCase "option B is refused where it would mean nothing: the standard prior, or with samples > 1" <| fun () ->
            Expect.throws (fun () -> AutoencoderOptions(KlEstimator = KlEstimator.Discrete).Validate(true)) "standard prior"
            Expect.throws (fun () -> AutoencoderOptions(Prior = PriorKind.Gmm, Samples = 2, KlEstimator = KlEstimator.Discrete).Validate(true)) "samples"

        testCase "gmm: every gradient (encoder, decoder, means, log-variances, weights) matches finite differences" <| fun () ->
            checkSpreadGmm KlEstimator.MonteCarlo

        testCase "gmm with L = 3 samples: gradients match finite differences under the same draws" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            use n = net [| 12; 3 |] true (AutoencoderOptions(Prior = PriorKind.Gmm, Components = 2, Samples = 3)) 11UL
            checkAgainstDifferences n 0.7

        testCase "vamp: every gradient (encoder through the users and the pseudo-inputs, decoder, pseudo-inputs) matches finite differences" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            use n = net [| 12; 6; 3 |] true (AutoencoderOptions(Prior = PriorKind.Vamp, Components = 4, LearnWeights = false)) 12UL
            checkAgainstDifferences n 1.0

        testCase "the log-variance floor holds: a component's log-variance below it counts as the floor and gets no gradient" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            use n = net [| 12; 3 |] true (AutoencoderOptions(Prior = PriorKind.Gmm, Components = 2, LogVarianceFloor = -2.0)) 13UL
            let lv = n.Parameters.Span("prior.logvars")
            lv.Fill(-5.0f)
            let a = lossAt n 1.0
            lv.Fill(-3.0f)
            let b = lossAt n 1.0
            Expect.equal a b "both below the floor: the same loss"
            Expect.equal (maxAbs (n.Gradients.Span("prior.logvars").ToArray())) 0.0 "no gradient below the floor"

        testCase "component usage counts every training user once" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            use m = new MixturePriorVae(items, MixturePriorVaeHyper(Hidden = 16, Latent = 4, BatchSize = 50, Components = 5), 3UL)
            for _ in 1 .. 3 do m.TrainStep(train, ReadOnlySpan [| 0 .. 49 |], 0.2) |> ignore
            let usage = m.ComponentUsage(train)
            Expect.equal (Array.sum usage) train.Rows "every user in one component"
            let extras = m.Extras(train) |> Seq.map (fun kv -> kv.Key, kv.Value) |> Map.ofSeq
            Expect.equal extras.["components"] 5.0 "K"
            Expect.equal extras.["componentsCarryingUsers"] (float (usage |> Array.filter (fun c -> c > 0) |> Array.length)) "carrying"
    ]
