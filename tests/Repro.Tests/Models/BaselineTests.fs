/// The linear baselines: Popularity, EASE^R, WMF (ALS) and SLIM. Exact values on small hand-checked
/// cases and solver properties (objective falls, constraints hold); the contract every model passes is in
/// ModelContractTests.
module Repro.Tests.BaselineTests

open System
open System.IO
open Expecto
open Repro.Core.Sparse
open Repro.Core.Metrics
open Repro.Core.Models
open Repro.Core.Models.Popularity
open Repro.Core.Models.Ease
open Repro.Core.Models.Wmf
open Repro.Core.Models.Slim
open Repro.Core.Data.Synthetic
open Repro.Core.Protocols

let private allRows (m: CsrMatrix) = [| 0 .. m.Rows - 1 |]

/// A binary CSR matrix from rows of item lists.
let private csrOf (items: int) (rows: int list list) =
    let pairs = [| for u, row in List.indexed rows do for i in row -> u, i |]
    CsrMatrix.FromPairs(rows.Length, items, ReadOnlySpan(Array.map fst pairs), ReadOnlySpan(Array.map snd pairs))

/// A dense 0/1 copy, users x items.
let private dense (m: CsrMatrix) =
    let x = Array2D.zeroCreate<float> m.Rows m.Columns
    for u in 0 .. m.Rows - 1 do
        for i in m.Row(u).ToArray() do x.[u, i] <- 1.0
    x

/// A random binary matrix: each entry present with probability p, every row non-empty.
let private randomCsr (seed: int) (users: int) (items: int) (p: float) =
    let rnd = Random seed
    csrOf items [ for _ in 1 .. users -> match [ for i in 0 .. items - 1 do if rnd.NextDouble() < p then i ] with [] -> [ rnd.Next items ] | r -> r ]

/// Gauss-Jordan with partial pivoting: the inverse of a small dense matrix (independent of every library).
let private invert (a: float[,]) =
    let n = Array2D.length1 a
    let m = Array2D.init n (2 * n) (fun i j -> if j < n then a.[i, j] elif j - n = i then 1.0 else 0.0)
    for c in 0 .. n - 1 do
        let p = [ c .. n - 1 ] |> List.maxBy (fun r -> abs m.[r, c])
        for j in 0 .. 2 * n - 1 do
            let t = m.[c, j] in m.[c, j] <- m.[p, j]; m.[p, j] <- t
        let d = m.[c, c]
        for j in 0 .. 2 * n - 1 do m.[c, j] <- m.[c, j] / d
        for r in 0 .. n - 1 do
            if r <> c then
                let f = m.[r, c]
                for j in 0 .. 2 * n - 1 do m.[r, j] <- m.[r, j] - f * m.[c, j]
    Array2D.init n n (fun i j -> m.[i, j + n])

let private scoreAll (model: IRecommender) (foldIn: CsrMatrix) =
    let out = Array.zeroCreate<float32> (foldIn.Rows * model.Items)
    model.Score(foldIn, ReadOnlySpan(allRows foldIn), Span out)
    out

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

let private tinyEase = EaseHyper(Lambda = 20.0)
let private tinyWmf = WmfHyper(Factors = 16, Confidence = 10.0, Lambda = 0.1, Iterations = 10)
let private tinySlim = SlimHyper(L1 = 0.5, L2 = 1.0)

[<Tests>]
let tests =
    testSequenced <| testList "Models.Baselines" [
        testList "Popularity" [
            testCase "scores every user with the training-user count of each item" <| fun () ->
                let train = csrOf 4 [ [ 0; 1 ]; [ 1; 2 ]; [ 1 ] ]
                use model = Popularity.Fit train
                let scores = scoreAll model (csrOf 4 [ [ 3 ]; [] ])
                Expect.equal scores [| 1f; 3f; 1f; 0f; 1f; 3f; 1f; 0f |] "counts 1, 3, 1, 0 for both users"
        ]

        testList "EASE" [
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
        ]

        testList "WMF" [
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
        ]

        testList "SLIM" [
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
        ]


        testList "Hyperparameters" [
            testCase "Paper defaults validate and out-of-range values are refused" <| fun () ->
                EaseHyper.Paper.Validate()
                WmfHyper.Paper.Validate()
                SlimHyper.Paper.Validate()
                Helpers.raises<ArgumentOutOfRangeException> (fun () -> EaseHyper(Lambda = 0.0).Validate()) |> ignore
                Helpers.raises<ArgumentOutOfRangeException> (fun () -> WmfHyper(Factors = 0).Validate()) |> ignore
                Helpers.raises<ArgumentOutOfRangeException> (fun () -> SlimHyper(L1 = -1.0).Validate()) |> ignore
                Expect.equal EaseHyper.Paper.Lambda 500.0 "Steck's ML-20M lambda"
        ]
    ]
