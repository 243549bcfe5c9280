/// WMF by ALS: the fold-in solve, the objective over sweeps, cancellation.
module Repro.Tests.WmfTests

open System
open System.IO
open Expecto
open Repro.Core.Sparse
open Repro.Core.Metrics
open Repro.Core.Models
open Repro.Tests.LinearModelFixtures
open Repro.Core.Models.Wmf
open Repro.Core.Protocols

let private tinyWmf = WmfHyper(Factors = 16, Confidence = 10.0, Lambda = 0.1, Iterations = 10)

[<Tests>]
let tests =
    testSequenced <| testList "Models.Wmf" [
        testCase "a held-out user's factors solve (Y^T C_u Y + lambda I) x = Y^T C_u p_u exactly" <| fun () ->
            let train = randomCsr 3 40 12 0.3
            let hyper = WmfHyper(Factors = 4, Confidence = 5.0, Lambda = 0.3, Iterations = 3)
            use model = Wmf.Fit(train, hyper, 7UL)
            let foldIn = csrOf 12 [ [ 1; 4; 7 ]; [ 0 ]; []; [ 2; 3; 5; 8; 11 ] ]
            let got = model.UserFactors(foldIn, ReadOnlySpan(allRows foldIn))
            let k = hyper.Factors
            let y = model.ItemFactors.ToArray() |> Array.map float
            for u in 0 .. foldIn.Rows - 1 do
                let observed = set (foldIn.Row(u).ToArray())
                let c i = if observed.Contains i then 1.0 + hyper.Confidence else 1.0
                let p i = if observed.Contains i then 1.0 else 0.0
                let a = Array2D.init k k (fun r s -> Seq.sum (seq { for i in 0 .. 11 -> y.[i * k + r] * c i * y.[i * k + s] }) + (if r = s then hyper.Lambda else 0.0))
                let b = Array.init k (fun r -> Seq.sum (seq { for i in 0 .. 11 -> y.[i * k + r] * c i * p i }))
                let inv = invert a
                for r in 0 .. k - 1 do
                    let expected = Seq.sum (seq { for s in 0 .. k - 1 -> inv.[r, s] * b.[s] })
                    Expect.floatClose { absolute = 1e-9; relative = 1e-7 } got.[u * k + r] expected (sprintf "user %d factor %d" u r)
            // Scores are x_u . y_i.
            let scores = scoreAll model foldIn
            let expected = Seq.sum (seq { for r in 0 .. k - 1 -> got.[r] * y.[5 * k + r] })
            Expect.floatClose { absolute = 1e-5; relative = 1e-4 } (float scores.[5]) expected "score of item 5 for user 0"
        testCase "a token cancelled during a sweep stops the fit before the next half-sweep" <| fun () ->
            use cancel = new Threading.CancellationTokenSource()
            let mutable sweeps = 0
            let stop (it: WmfIteration) =
                sweeps <- it.Iteration
                cancel.Cancel()
            Expect.throwsT<OperationCanceledException>
                (fun () -> Wmf.Fit(randomCsr 3 20 15 0.3, WmfHyper(Factors = 3, Iterations = 5), 1UL, Action<WmfIteration> stop, cancel.Token) |> ignore) "cancelled"
            Expect.equal sweeps 1 "no sweep after the cancelling one"
        testCase "the training objective never increases over ALS sweeps (to float32 rounding) and falls overall" <| fun () ->
            let train = randomCsr 5 60 20 0.25
            let objectives = ResizeArray()
            use _model = Wmf.Fit(train, WmfHyper(Factors = 5, Confidence = 10.0, Lambda = 0.1, Iterations = 8), 11UL,
                                 fun it -> objectives.Add(it.Objective.Invoke()))
            Expect.equal objectives.Count 8 "one objective per sweep"
            for a in 1 .. objectives.Count - 1 do
                Expect.isLessThanOrEqual objectives.[a] (objectives.[a - 1] * (1.0 + 1e-6)) (sprintf "sweep %d: %g then %g" a objectives.[a - 1] objectives.[a])
            Expect.isLessThan objectives.[objectives.Count - 1] (objectives.[0] * 0.999) "falls overall"
        Repro.Tests.SharedData.testWithData "ml-100k" "K = 200 on MovieLens-100K fits with 2 threads as with 1 (batched LU solves failed there with 2)" <| fun dir ->
            let split = ProSgFormat.Import(Path.Combine(dir, "reference-split"))
            let hyper = WmfHyper(Factors = 200, Confidence = 2.0, Iterations = 1)
            let fitWith threads =
                Repro.Core.TorchRuntime.EnsureLoaded threads
                TorchSharp.torch.set_num_threads threads
                use model = Wmf.Fit(split.Train, hyper, 3UL)
                model.ItemFactors.ToArray()
            let two = fitWith 2
            let one = fitWith 1
            Repro.Core.TorchRuntime.EnsureLoaded 2
            TorchSharp.torch.set_num_threads 2
            Expect.isTrue (two |> Array.forall Single.IsFinite) "finite factors"
            Expect.equal two.Length one.Length "same shape"
            let gap = Array.map2 (fun (a: float32) b -> abs (float a - float b)) two one |> Array.max
            Expect.isLessThan gap 1e-3 "the same fit up to float rounding"

        testCase "Paper validates and zero factors are refused" <| fun () ->
            WmfHyper.Paper.Validate()
            Helpers.raises<ArgumentOutOfRangeException> (fun () -> WmfHyper(Factors = 0).Validate()) |> ignore
    ]
