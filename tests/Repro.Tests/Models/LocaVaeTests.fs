module Repro.Tests.Models.LocaVaeTests

open System
open Expecto
open Repro.Core.Models.Loca
open Repro.Core.Networks
open Repro.Core.Training
open Repro.Tests.StructuredData

let private close tol (a: float) (b: float) msg = Expect.floatClose { absolute = tol; relative = tol } a b msg

let private net seed =
    new SparseAutoencoder([| 7; 3 |], [| 3; 7 |], true, Likelihood.Multinomial, GaussianConfidence.Default, 1e-3, 0.0, seed, 4)

let private data = csr 7 [ [ 0; 1; 2 ]; [ 2; 3; 5; 6 ] ]

/// One pass of forward and backward; the flat gradient and the batch's likelihood term.
let private gradients (n: SparseAutoencoder) (rows: int[]) (weights: float32[]) =
    let loss = n.ComputeGradients(data, ReadOnlySpan rows, 1.0, 0.0, true, ReadOnlySpan weights)
    n.Gradients.Data |> Array.copy, loss.NegLogLikelihood

[<Tests>]
let tests =
    testSequenced <| testList "Models.LocaVae" [
        testCase "a row weight of 2 counts that row's likelihood twice: rows (a, b) weighted (2, 1) give 3/2 the gradient and loss of rows (a, a, b)" <| fun () ->
            Repro.Core.TorchRuntime.EnsureLoaded 1
            use n = net 3UL
            n.NoiseStd <- 0.0 // z = mu: no draw differs between the two batches
            let weighted, nllW = gradients n [| 0; 1 |] [| 2.0f; 1.0f |]
            let repeated, nllR = gradients n [| 0; 0; 1 |] [||]
            close 1e-5 nllW (1.5 * nllR) "likelihood"
            Expect.isGreaterThan (repeated |> Array.sumBy abs) 1e-3f "the gradient is not zero"
            for k in 0 .. weighted.Length - 1 do close 1e-5 (float weighted.[k]) (1.5 * float repeated.[k]) (sprintf "gradient %d" k)

        testCase "weights of 1 give exactly the unweighted gradient" <| fun () ->
            Repro.Core.TorchRuntime.EnsureLoaded 1
            use a = net 5UL
            use b = net 5UL
            let g1, l1 = gradients a [| 0; 1 |] [| 1.0f; 1.0f |]
            let g0, l0 = gradients b [| 0; 1 |] [||]
            Expect.sequenceEqual g1 g0 "gradients"
            Expect.equal l1 l0 "likelihood"

        testCase "a zero, negative or missing row weight is refused, naming the problem" <| fun () ->
            Repro.Core.TorchRuntime.EnsureLoaded 1
            use n = net 3UL
            let zero = Expect.throwsT<ArgumentOutOfRangeException> (fun () -> n.TrainStep(data, ReadOnlySpan [| 0; 1 |], 1.0, 0.0, ReadOnlySpan [| 1.0f; 0.0f |]) |> ignore) "zero"
            ignore zero
            Expect.throwsT<ArgumentOutOfRangeException> (fun () -> n.TrainStep(data, ReadOnlySpan [| 0; 1 |], 1.0, 0.0, ReadOnlySpan [| -1.0f; 1.0f |]) |> ignore) "negative"
            Expect.throwsT<ArgumentException> (fun () -> n.TrainStep(data, ReadOnlySpan [| 0; 1 |], 1.0, 0.0, ReadOnlySpan [| 1.0f |]) |> ignore) "one weight for two rows"

        testCase "the code's noise (spec 1.8 item 5): with std 0.01 eps is exactly 0.01 times the N(0, 1) draw of the same seed" <| fun () ->
            Repro.Core.TorchRuntime.EnsureLoaded 1
            use a = net 9UL
            use b = net 9UL
            b.NoiseStd <- 0.01
            a.ComputeGradients(data, ReadOnlySpan [| 0; 1 |], 1.0, 0.0) |> ignore
            b.ComputeGradients(data, ReadOnlySpan [| 0; 1 |], 1.0, 0.0) |> ignore
            let ea, eb = a.LastNoise.ToArray(), b.LastNoise.ToArray()
            Expect.isGreaterThan (ea |> Array.sumBy abs) 0.1f "a real draw"
            for k in 0 .. ea.Length - 1 do close 1e-7 (float eb.[k]) (float32 (float ea.[k] * 0.01) |> float) (sprintf "eps %d" k)

        testCase "combination on a hand case: kernel-weighted mean of local scores, a repeated anchor counts twice, an uncovered row gets the global scores" <| fun () ->
            // Anchors: training rows 0 = (1, 0) and 1 = (0, 1). h_test = 1.
            let trainEmb = [| 1.0f; 0.0f; 0.0f; 1.0f |]
            // Scored rows: (1, 1) is 0.5 from both (K = 0.5625 each); (1, 0) is 0 from anchor 0 and 1 from anchor 1 (K = 0);
            // (-1, -1) is 1.5 from both: no anchor covers it.
            let scored = [| 1.0f; 1.0f; 1.0f; 0.0f; -1.0f; -1.0f |]
            let items = 2
            let constant (value: int -> float32) =
                LocaLocalScorer(fun anchor positions scores -> (for k in 0 .. scores.Length - 1 do scores.[k] <- value anchor); true)
            let glob = LocaGlobalScorer(fun _ scores -> Array.fill scores 0 scores.Length 7.0f)
            let run anchors =
                let out = Array.zeroCreate<float32> (3 * items)
                let c = LocaCombination.Combine(anchors, trainEmb, scored, 2, items, 1.0, Span out, constant (fun a -> if a = 0 then 1.0f else 3.0f), glob)
                out, c
            let out, c = run [| 0; 1 |]
            Expect.equal (c.Rows, c.Fallbacks, c.LocalModels) (3, 1, 2) "3 rows, 1 fallback, 2 local models"
            close 1e-6 (float out.[0]) 2.0 "(1, 1): (1 + 3) / 2"
            close 1e-6 (float out.[2]) 1.0 "(1, 0): anchor 0 only"
            close 1e-6 (float out.[4]) 7.0 "(-1, -1): global"
            let twice, c2 = run [| 0; 0; 1 |]
            Expect.equal c2.LocalModels 2 "a repeated anchor is one local model"
            close 1e-6 (float twice.[1]) (5.0 / 3.0) "(1, 1): (2 x 1 + 3) / 3"

        testCase "golden (spec 1.9): local models that score as the global model give the global model's scores" <| fun () ->
            let rnd = Random 4
            let latent, items, n = 3, 5, 40
            let trainEmb = Array.init (n * latent) (fun _ -> float32 (rnd.NextDouble() - 0.5))
            let scored = Array.init (10 * latent) (fun _ -> float32 (rnd.NextDouble() - 0.5))
            let globalScores = Array.init (10 * items) (fun _ -> float32 (rnd.NextDouble()))
            let globalOf (positions: int[]) (scores: float32[]) =
                positions |> Array.iteri (fun p r -> Array.blit globalScores (r * items) scores (p * items) items)
            let out = Array.zeroCreate<float32> (10 * items)
            LocaCombination.Combine([| 3; 17; 3; 25 |], trainEmb, scored, latent, items, 0.9, Span out,
                LocaLocalScorer(fun _ positions scores -> globalOf positions scores; true), LocaGlobalScorer globalOf) |> ignore
            for k in 0 .. out.Length - 1 do close 1e-5 (float out.[k]) (float globalScores.[k]) (sprintf "score %d" k)

        testCase "golden (spec 1.9): q = 1 and h_test > 2 cover everyone, and the score is that local Mult-VAE's" <| fun () ->
            Repro.Core.TorchRuntime.EnsureLoaded 1
            let hyper = LocaVaeHyper(Anchors = 1, Latent = 4, GlobalEpochs = 3, LocalEpochs = 2, BatchSize = 32, LearningRate = 1e-2, TestBandwidth = 2.5, TrainBandwidth = 1.0)
            use model = LocaVae.Fit(train, hyper, 7UL)
            let rows = [| 0 .. validation.FoldIn.Rows - 1 |]
            let out = Array.zeroCreate<float32> (rows.Length * items)
            model.Score(validation.FoldIn, ReadOnlySpan rows, Span out)
            Expect.equal model.FallbackUsers 0L "nobody falls back"
            let emb = model.TrainEmbeddings.ToArray()
            let a = model.Anchors.[0]
            let t = LocaKernel.Weights(ReadOnlySpan(emb, a * 4, 4), ReadOnlySpan emb, 4, 1.0)
            Expect.isTrue (t |> Array.exists (fun w -> w = 0.0f)) "h_train = 1 leaves some users out of the local fit"
            use local = LocaVae.TrainLocal(train, ReadOnlySpan t, hyper, LocaVae.LocalSeed(7UL, a))
            let expected = Array.zeroCreate<float32> (rows.Length * items)
            local.Score(validation.FoldIn, ReadOnlySpan rows, Span expected)
            for k in 0 .. out.Length - 1 do
                if Single.IsNegativeInfinity expected.[k] then Expect.isTrue (Single.IsNegativeInfinity out.[k]) (sprintf "fold-in item %d" k)
                else close 1e-5 (float out.[k]) (float expected.[k]) (sprintf "score %d" k)

        testCase "users with t = 0 are left out of a local fit: it equals the fit on the weighted users alone" <| fun () ->
            Repro.Core.TorchRuntime.EnsureLoaded 1
            let hyper = LocaVaeHyper(Anchors = 1, Latent = 4, LocalEpochs = 1, BatchSize = 1000, LearningRate = 1e-2)
            let t = Array.init train.Rows (fun u -> if u % 3 = 0 then 0.5f else 0.0f)
            // A local model trained on every third user with weight 0.5 equals one trained with the same
            // seed on a matrix holding only those users with weight 0.5 (zero-weight users skipped).
            use a = LocaVae.TrainLocal(train, ReadOnlySpan t, hyper, 11UL)
            let kept = [| for u in 0 .. train.Rows - 1 do if u % 3 = 0 then u |]
            let sub = csr train.Columns [ for u in kept -> List.ofArray (train.Row(u).ToArray()) ]
            use b = LocaVae.TrainLocal(sub, ReadOnlySpan(Array.create kept.Length 0.5f), hyper, 11UL)
            let sa, sb = Array.zeroCreate<float32> (3 * items), Array.zeroCreate<float32> (3 * items)
            a.Score(validation.FoldIn, ReadOnlySpan [| 0; 1; 2 |], Span sa)
            b.Score(validation.FoldIn, ReadOnlySpan [| 0; 1; 2 |], Span sb)
            // Equal up to float rounding: the two fits sum their terms in different orders.
            for k in 0 .. sa.Length - 1 do
                if Single.IsNegativeInfinity sa.[k] then Expect.isTrue (Single.IsNegativeInfinity sb.[k]) (sprintf "fold-in item %d" k)
                else close 1e-4 (float sa.[k]) (float sb.[k]) (sprintf "score %d" k)
    
        testCase "local early stopping keeps the local model at its best epoch on the validation users it covers, exactly as a fit stopped there" <| fun () ->
            Repro.Core.TorchRuntime.EnsureLoaded 1
            // q = 1 and h_test > 2: the one local model covers every validation user and scores everyone.
            let hyper = LocaVaeHyper(Anchors = 1, Latent = 4, GlobalEpochs = 3, LocalEpochs = 40, BatchSize = 32, LearningRate = 1e-1,
                                     TestBandwidth = 2.5, TrainBandwidth = 1.0, LocalEarlyStopping = true)
            use model = LocaVae.Fit(train, hyper, 7UL, validation = validation)
            let a = model.Anchors.[0]
            let kept = model.KeptEpochs.[a]
            Expect.isLessThan kept 40 "the fixture overfits before the last epoch (else this test proves little)"
            let rows = [| 0 .. validation.FoldIn.Rows - 1 |]
            let out = Array.zeroCreate<float32> (rows.Length * items)
            model.Score(validation.FoldIn, ReadOnlySpan rows, Span out)
            let emb = model.TrainEmbeddings.ToArray()
            let t = LocaKernel.Weights(ReadOnlySpan(emb, a * 4, 4), ReadOnlySpan emb, 4, 1.0)
            let stoppedAt epochs =
                let h = LocaVaeHyper(Anchors = 1, Latent = 4, GlobalEpochs = 3, LocalEpochs = epochs, BatchSize = 32, LearningRate = 1e-1, TestBandwidth = 2.5, TrainBandwidth = 1.0)
                LocaVae.TrainLocal(train, ReadOnlySpan t, h, LocaVae.LocalSeed(7UL, a))
            use atKept = stoppedAt kept
            let expected = Array.zeroCreate<float32> (rows.Length * items)
            atKept.Score(validation.FoldIn, ReadOnlySpan rows, Span expected)
            for k in 0 .. out.Length - 1 do
                if Single.IsNegativeInfinity expected.[k] then Expect.isTrue (Single.IsNegativeInfinity out.[k]) (sprintf "fold-in item %d" k)
                else close 1e-5 (float out.[k]) (float expected.[k]) (sprintf "score %d" k)
            use atLast = stoppedAt 40
            let users = HeldOutRows(validation.FoldIn, validation.Target)
            Expect.isGreaterThan (LocaLocalValidation.Ndcg(atKept, users)) (LocaLocalValidation.Ndcg(atLast, users)) "the kept epoch beats the last on validation"

        testCase "local early stopping without validation users (a refit) is refused, saying why" <| fun () ->
            Repro.Core.TorchRuntime.EnsureLoaded 1
            let hyper = LocaVaeHyper(Anchors = 1, Latent = 4, GlobalEpochs = 1, LocalEpochs = 1, BatchSize = 32, LocalEarlyStopping = true)
            let e = Repro.Tests.Helpers.raises<ArgumentException> (fun () -> LocaVae.Fit(train, hyper, 7UL) |> ignore)
            Expect.stringContains e.Message "local-early-stopping" "names the setting"
            Expect.stringContains e.Message "a refit trains on them" "says why there are none"

        testCase "the local models' progress line says the time left at the mean time of the models trained so far" <| fun () ->
            Expect.equal (LocaVae.TimeLeft(20.0, 4, 6)) "; about 30 s left" "5 s each, 6 left"
            Expect.equal (LocaVae.TimeLeft(600.0, 10, 290)) "; about 290 min left" "60 s each, 290 left"
            Expect.equal (LocaVae.TimeLeft(600.0, 10, 0)) "" "none left"
            Expect.equal (LocaVae.TimeLeft(0.0, 0, 5)) "" "nothing to go on yet"
    ]
