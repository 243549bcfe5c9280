/// SLIM: weights against brute-force coordinate descent, the solver paths that must agree, progress and cancellation.
module Repro.Tests.SlimTests

open System
open System.IO
open Expecto
open Repro.Core.Sparse
open Repro.Core.Metrics
open Repro.Core.Models
open Repro.Tests.LinearModelFixtures
open Repro.Core.Models.Slim

let private tinySlim = SlimHyper(L1 = 0.5, L2 = 1.0)

/// SLIM's objective summed over columns, on dense X: 1/2 ||x_j - X w_j||^2 + L2/2 ||w_j||^2 + L1 |w_j|_1.
let private slimObjective (x: float[,]) (w: float[,]) (h: SlimHyper) =
    let users, items = Array2D.length1 x, Array2D.length2 x
    let mutable total = 0.0
    for j in 0 .. items - 1 do
        for u in 0 .. users - 1 do
            let pred = Seq.sum (seq { for k in 0 .. items - 1 -> x.[u, k] * w.[k, j] })
            total <- total + 0.5 * (x.[u, j] - pred) ** 2.0
        for k in 0 .. items - 1 do total <- total + 0.5 * h.L2 * w.[k, j] ** 2.0 + h.L1 * abs w.[k, j]
    total

let private denseWeights (s: Slim) =
    let w = Array2D.zeroCreate<float> s.Items s.Items
    for i in 0 .. s.Items - 1 do
        let cols, vals = s.Weights.Row(i).ToArray(), s.Weights.RowValues(i).ToArray()
        for a in 0 .. cols.Length - 1 do w.[i, cols.[a]] <- float vals.[a]
    w

/// Plain coordinate descent on the residual with dense X, many sweeps: the reference SLIM solution.
let private slimReference (x: float[,]) (h: SlimHyper) =
    let users, items = Array2D.length1 x, Array2D.length2 x
    let w = Array2D.zeroCreate<float> items items
    for j in 0 .. items - 1 do
        let residual = Array.init users (fun u -> x.[u, j])
        for _ in 1 .. 2000 do
            for k in 0 .. items - 1 do
                if k <> j then
                    let norm = Seq.sum (seq { for u in 0 .. users - 1 -> x.[u, k] * x.[u, k] })
                    let rho = Seq.sum (seq { for u in 0 .. users - 1 -> x.[u, k] * (residual.[u] + x.[u, k] * w.[k, j]) })
                    let fresh = max 0.0 (rho - h.L1) / (norm + h.L2)
                    let delta = fresh - w.[k, j]
                    for u in 0 .. users - 1 do residual.[u] <- residual.[u] - delta * x.[u, k]
                    w.[k, j] <- fresh
    w

[<Tests>]
let tests =
    testSequenced <| testList "Models.Slim" [
        testCase "weights are non-negative with a zero diagonal and match brute-force coordinate descent" <| fun () ->
            let train = randomCsr 9 30 8 0.35
            let hyper = SlimHyper(L1 = 0.5, L2 = 1.0, Tolerance = 1e-7, MaxSweeps = 10000)
            use model = Slim.Fit(train, hyper)
            let w = denseWeights model
            for i in 0 .. 7 do
                Expect.equal w.[i, i] 0.0 "zero diagonal"
                for j in 0 .. 7 do Expect.isGreaterThanOrEqual w.[i, j] 0.0 "non-negative"
            let reference = slimReference (dense train) hyper
            Expect.isTrue (Seq.exists (fun v -> v > 0.0) (Seq.cast<float> reference)) "the reference has non-zeros"
            for i in 0 .. 7 do
                for j in 0 .. 7 do
                    Expect.floatClose { absolute = 1e-4; relative = 1e-3 } w.[i, j] reference.[i, j] (sprintf "W[%d,%d]" i j)
        testCase "the objective falls from zero weights to one sweep to convergence" <| fun () ->
            let train = randomCsr 4 50 15 0.3
            let x = dense train
            let hyper = SlimHyper(L1 = 0.1, L2 = 0.5)
            use oneSweep = Slim.Fit(train, SlimHyper(L1 = hyper.L1, L2 = hyper.L2, MaxSweeps = 1))
            use converged = Slim.Fit(train, hyper)
            let zero = slimObjective x (Array2D.zeroCreate 15 15) hyper
            let one = slimObjective x (denseWeights oneSweep) hyper
            let full = slimObjective x (denseWeights converged) hyper
            Expect.isLessThan one zero (sprintf "one sweep %g < zero weights %g" one zero)
            Expect.isLessThan full one (sprintf "converged %g < one sweep %g" full one)
        testCase "updating r through a row's non-zeros gives the same weights, bit for bit, as the dense update" <| fun () ->
            // Sparse data: rows of G range from a few non-zeros to most of the 60 items.
            let train = randomCsr 7 200 60 0.05
            let fit limit = Slim.Fit(train, tinySlim, null, 2, null, Threading.CancellationToken.None, limit, Slim.CompactLimit)
            use dense = fit 0
            use sparse = fit 60
            use mixed = fit 12
            Expect.isGreaterThan dense.Weights.NonZeros 60 "the fit has non-zero weights"
            for other, name in [ sparse, "every row sparse"; mixed, "rows of at most 12 non-zeros sparse" ] do
                Expect.sequenceEqual other.Weights.RowStart dense.Weights.RowStart name
                Expect.sequenceEqual other.Weights.ColumnIndex dense.Weights.ColumnIndex name
                Expect.sequenceEqual other.Weights.Values dense.Weights.Values name
        testCase "sweeps on G restricted to the non-zeros give the weights of sweeps that keep the whole residual" <| fun () ->
            let train = randomCsr 8 120 40 0.1
            let hyper = SlimHyper(L1 = 0.1, L2 = 0.1, Tolerance = 1e-7, MaxSweeps = 10000)
            let fit compact = Slim.Fit(train, hyper, null, 2, null, Threading.CancellationToken.None, 40, compact)
            use whole = fit 0
            use restricted = fit 40
            let a, b = denseWeights whole, denseWeights restricted
            Expect.isGreaterThan whole.Weights.NonZeros 40 "the fit has non-zero weights"
            for i in 0 .. 39 do
                for j in 0 .. 39 do
                    Expect.floatClose { absolute = 1e-5; relative = 1e-4 } b.[i, j] a.[i, j] (sprintf "W[%d,%d]" i j)
        testCase "fitting a subset of columns leaves the other columns empty" <| fun () ->
            let train = randomCsr 4 50 15 0.3
            use all = Slim.Fit(train, tinySlim)
            use some = Slim.Fit(train, tinySlim, [| 2; 9 |])
            let wa, ws = denseWeights all, denseWeights some
            for i in 0 .. 14 do
                for j in 0 .. 14 do
                    Expect.equal ws.[i, j] (if j = 2 || j = 9 then wa.[i, j] else 0.0) (sprintf "W[%d,%d]" i j)
        testCase "reports columns done, ending at the number of columns" <| fun () ->
            let train = randomCsr 5 40 600 0.02
            let reports = Collections.Concurrent.ConcurrentBag<int>()
            use _ = Slim.Fit(train, tinySlim, null, 2, Action<int>(fun d -> reports.Add d))
            let seen = reports.ToArray() |> Array.sort
            Expect.equal (Array.last seen) 600 "the last report counts every column"
            Expect.sequenceEqual seen [| Slim.ProgressBlock; 2 * Slim.ProgressBlock; 600 |] "one report per block of columns and one at the end"
        testCase "a cancelled token stops the fit between columns" <| fun () ->
            use cancelled = new Threading.CancellationTokenSource()
            cancelled.Cancel()
            Expect.throwsT<OperationCanceledException> (fun () -> Slim.Fit(randomCsr 2 10 8 0.3, tinySlim, null, 1, null, cancelled.Token) |> ignore) "cancelled"

        testCase "Paper validates and a negative l1 is refused" <| fun () ->
            SlimHyper.Paper.Validate()
            Helpers.raises<ArgumentOutOfRangeException> (fun () -> SlimHyper(L1 = -1.0).Validate()) |> ignore
    ]
