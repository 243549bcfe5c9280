/// EASE^R: the closed form against a hand-computed inverse, the users' side, cancellation.
module Repro.Tests.EaseTests

open System
open System.IO
open Expecto
open Repro.Core.Sparse
open Repro.Core.Metrics
open Repro.Core.Models
open Repro.Tests.LinearModelFixtures
open Repro.Core.Models.Ease

let private tinyEase = EaseHyper(Lambda = 20.0)

[<Tests>]
let tests =
    testSequenced <| testList "Models.Ease" [
        testCase "matches B = I - P diagMat(1 / diag P) computed by hand on a 4-item example, with an exactly zero diagonal" <| fun () ->
            let train = csrOf 4 [ [ 0; 1 ]; [ 1; 2; 3 ]; [ 0; 2 ]; [ 3 ]; [ 0; 1; 3 ] ]
            let lambda = 2.0
            use model = Ease.Fit(train, EaseHyper(Lambda = lambda))
            let x = dense train
            let g = Array2D.init 4 4 (fun i j -> (Seq.sum (seq { for u in 0 .. 4 -> x.[u, i] * x.[u, j] })) + (if i = j then lambda else 0.0))
            let p = invert g
            let weights = model.Weights.ToArray()
            for i in 0 .. 3 do
                for j in 0 .. 3 do
                    let expected = if i = j then 0.0 else -p.[i, j] / p.[j, j]
                    Expect.floatClose { absolute = 1e-6; relative = 1e-5 } (float weights.[i * 4 + j]) expected (sprintf "B[%d,%d]" i j)
                Expect.equal weights.[i * 4 + i] 0f "diagonal exactly zero"
            // Scores are x_u B.
            let scores = scoreAll model (csrOf 4 [ [ 0; 3 ] ])
            for j in 0 .. 3 do
                Expect.floatClose Accuracy.high (float scores.[j]) (float (weights.[0 * 4 + j] + weights.[3 * 4 + j])) "x_u B"
        testCase "through the users' side (more items than users) gives the item-side B" <| fun () ->
            let train = randomCsr 11 12 30 0.2
            use items = Ease.Fit(train, EaseHyper(Lambda = 3.0))
            use users = Ease.FitThroughUsers(train, EaseHyper(Lambda = 3.0))
            let a, b = items.Weights.ToArray(), users.Weights.ToArray()
            for k in 0 .. a.Length - 1 do
                Expect.floatClose { absolute = 1e-5; relative = 1e-4 } (float b.[k]) (float a.[k]) (sprintf "B[%d,%d]" (k / 30) (k % 30))
            for i in 0 .. 29 do Expect.equal b.[i * 30 + i] 0f "diagonal exactly zero"
        testCase "a cancelled token stops the fit" <| fun () ->
            use cancelled = new Threading.CancellationTokenSource()
            cancelled.Cancel()
            Expect.throwsT<OperationCanceledException> (fun () -> Ease.Fit(randomCsr 1 10 8 0.3, tinyEase, cancelled.Token) |> ignore) "cancelled"

        testCase "Paper validates, holds Steck's ML-20M lambda, and a non-positive lambda is refused" <| fun () ->
            EaseHyper.Paper.Validate()
            Expect.equal EaseHyper.Paper.Lambda 500.0 "Steck's ML-20M lambda"
            Helpers.raises<ArgumentOutOfRangeException> (fun () -> EaseHyper(Lambda = 0.0).Validate()) |> ignore
    ]
