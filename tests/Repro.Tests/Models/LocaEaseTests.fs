module Repro.Tests.Models.LocaEaseTests

open System
open Expecto
open Repro.Core.Models.Ease
open Repro.Core.Models.Loca
open Repro.Core.Sparse
open Repro.Tests.StructuredData

let private close tol (a: float) (b: float) msg = Expect.floatClose { absolute = tol; relative = tol } a b msg

/// Dense inverse by Gauss-Jordan (small symmetric positive definite matrices).
let private inverse (a: float[,]) =
    let n = Array2D.length1 a
    let m = Array2D.init n (2 * n) (fun i j -> if j < n then a.[i, j] elif j - n = i then 1.0 else 0.0)
    for c in 0 .. n - 1 do
        let p = m.[c, c]
        for j in 0 .. 2 * n - 1 do m.[c, j] <- m.[c, j] / p
        for r in 0 .. n - 1 do
            if r <> c then
                let f = m.[r, c]
                for j in 0 .. 2 * n - 1 do m.[r, j] <- m.[r, j] - f * m.[c, j]
    Array2D.init n n (fun i j -> m.[i, j + n])

/// EASE's B from the dense formula: G = X^T diag(t I / sum t) X + lambda I, P = G^-1, B = -P / diag(P), zero diagonal.
let private denseLocalB (x: int list list) (items: int) (t: float[]) (lambda: float) =
    let sum = Array.sum t
    let g = Array2D.init items items (fun i j ->
        (x |> List.mapi (fun u row -> if List.contains i row && List.contains j row then t.[u] * float items / sum else 0.0) |> List.sum)
        + (if i = j then lambda else 0.0))
    let p = inverse g
    Array2D.init items items (fun i j -> if i = j then 0.0 else -p.[i, j] / p.[j, j])

let private x = [ [ 0; 1; 2 ]; [ 1; 3 ]; [ 0; 2; 3 ]; [ 4 ] ]
let private xm = csr 6 x

[<Tests>]
let tests =
    testList "Models.LocaEase" [
        testCase "kernel values: d(e, e) = 0, orthogonal 1, opposite 2; K_0.4(0) = 0.75, K_0.5(0.25) = 0.5625, K_h(d) = 0 for d >= h" <| fun () ->
            let e = [| 1.0f; 2.0f; -0.5f |]
            close 1e-6 (LocaKernel.Distance(ReadOnlySpan e, ReadOnlySpan e)) 0.0 "d(e, e)"
            close 1e-12 (LocaKernel.Distance(ReadOnlySpan [| 1.0f; 0.0f |], ReadOnlySpan [| 0.0f; 3.0f |])) 1.0 "orthogonal"
            close 1e-12 (LocaKernel.Distance(ReadOnlySpan [| 1.0f; 0.0f |], ReadOnlySpan [| -2.0f; 0.0f |])) 2.0 "opposite"
            close 1e-12 (LocaKernel.Distance(ReadOnlySpan [| 1.0f; 0.0f |], ReadOnlySpan [| 1.0f; 1.0f |])) 0.5 "45 degrees is 0.5"
            close 1e-12 (LocaKernel.Epanechnikov(0.0, 0.4)) 0.75 "K(0)"
            close 1e-12 (LocaKernel.Epanechnikov(0.25, 0.5)) 0.5625 "0.75 (1 - 0.25)"
            Expect.equal (LocaKernel.Epanechnikov(0.5, 0.5)) 0.0 "d = h"
            Expect.equal (LocaKernel.Epanechnikov(1.7, 0.5)) 0.0 "d > h"

        testCase "greedy coverage on a hand case: most new users first, ties to the lowest candidate, then the code's repeats or a stop" <| fun () ->
            let bits (users: int list) = [| users |> List.fold (fun acc u -> acc ||| (1UL <<< u)) 0UL |]
            // 6 users; candidate 1 covers 3, then candidates 0 and 2 add one each (tie: 0 first), then 2; user 5 is never covered.
            let covers = [| bits [ 0; 1 ]; bits [ 1; 2; 3 ]; bits [ 3; 4 ]; bits [ 2; 3 ] |]
            Expect.equal (LocaAnchors.GreedyCoverage(covers, 6, 5, true)) [| 1; 0; 2; 0; 0 |] "faithful: q anchors, candidate 0 once nothing is gained"
            Expect.equal (LocaAnchors.GreedyCoverage(covers, 6, 5, false)) [| 1; 0; 2 |] "otherwise: stops when no candidate adds a user"

        testCase "the local training matrix's Gram is X^T diag(t I / sum t) X over the items its weighted users touch" <| fun () ->
            let t = [| 0.5f; 0.0f; 1.0f; 0.25f |]
            let mutable items = [||]
            let y = LocaEase.LocalTrainingMatrix(xm, ReadOnlySpan t, &items)
            Expect.equal (Array.sort items) [| 0; 1; 2; 3; 4 |] "user 1's items are all touched by others; item 5 by nobody"
            Expect.equal y.Rows 3 "users with t > 0"
            let gram = SparseProducts.Gram y
            let m = items.Length
            let sum = 1.75
            for a in 0 .. m - 1 do
                for b in 0 .. m - 1 do
                    let i, j = items.[a], items.[b]
                    let expected = x |> List.mapi (fun u row -> if List.contains i row && List.contains j row then float t.[u] * 6.0 / sum else 0.0) |> List.sum
                    close 1e-5 (float gram.[a * m + b]) expected (sprintf "G[%d, %d]" i j)

        testCase "a local EASE over its touched items equals the dense weighted formula over all items (other items' B is zero)" <| fun () ->
            Repro.Core.TorchRuntime.EnsureLoaded 1
            let t = [| 0.5f; 0.0f; 1.0f; 0.25f |]
            let mutable items = [||]
            use local = LocaEase.FitLocal(xm, ReadOnlySpan t, 2.0, &items)
            let dense = denseLocalB x 6 (Array.map float t) 2.0
            let m = items.Length
            let w = local.Weights.ToArray()
            for a in 0 .. m - 1 do
                for b in 0 .. m - 1 do
                    close 1e-5 (float w.[a * m + b]) dense.[items.[a], items.[b]] (sprintf "B[%d, %d]" items.[a] items.[b])
            for j in 0 .. 5 do close 1e-12 dense.[5, j] 0.0 "item 5 (untouched) has no weight"

        testCase "golden (spec 1.9): all t equal, the local EASE is the global EASE with lambda_global = lambda_local n / I" <| fun () ->
            Repro.Core.TorchRuntime.EnsureLoaded 1
            let t = Array.create train.Rows 0.3f
            let mutable items = [||]
            use local = LocaEase.FitLocal(train, ReadOnlySpan t, 50.0, &items)
            Expect.equal items.Length train.Columns "every item is touched"
            use glob = Ease.Fit(train, EaseHyper(Lambda = 50.0 * float train.Rows / float train.Columns))
            let lw, gw = local.Weights.ToArray(), glob.Weights.ToArray()
            for a in 0 .. items.Length - 1 do
                for b in 0 .. items.Length - 1 do
                    close 1e-4 (float lw.[a * items.Length + b]) (float gw.[items.[a] * train.Columns + items.[b]]) "B"

        testCase "a user no anchor covers gets the global EASE's scores, and is counted as a fallback" <| fun () ->
            Repro.Core.TorchRuntime.EnsureLoaded 1
            let hyper = LocaEaseHyper(Anchors = 1, EmbeddingLatent = 8, EmbeddingEpochs = 5, EmbeddingBatchSize = 32, TestBandwidth = 1e-9, GlobalLambda = 20.0, Faithful = false)
            use model = LocaEase.Fit(train, hyper, 7UL)
            let anchor = model.Anchors.[0]
            // Validation users' fold-in rows: none has the anchor's exact embedding direction.
            let rows = [| 0 .. validation.FoldIn.Rows - 1 |]
            let out = Array.zeroCreate<float32> (rows.Length * items)
            model.Score(validation.FoldIn, ReadOnlySpan rows, Span out)
            Expect.equal (model.FallbackUsers, model.ScoredUsers) (int64 rows.Length, int64 rows.Length) "every user falls back"
            use glob = Ease.Fit(train, EaseHyper(Lambda = 20.0))
            let expected = Array.zeroCreate<float32> (rows.Length * items)
            glob.Score(validation.FoldIn, ReadOnlySpan rows, Span expected)
            Expect.sequenceEqual out expected "global scores exactly"
            // The anchor's own training row is covered (d = 0 < h): no fallback, a local score.
            let own = Array.zeroCreate<float32> items
            model.Score(train, ReadOnlySpan [| anchor |], Span own)
            Expect.equal model.FallbackUsers (int64 rows.Length) "the anchor's row did not fall back"

        testCase "a run scores a set of more than 2,000 users in one batch: each local model is fitted once per set" <| fun () ->
            Repro.Core.TorchRuntime.EnsureLoaded 1
            Expect.equal (LocaLocalModelsExtensions.ScoringBatchSize(3000, 40981)) 3000 "Gowalla's 3,000 test users at once"
            Expect.equal (LocaLocalModelsExtensions.ScoringBatchSize(100, 1415)) 2000 "never below the evaluator's batch"
            Expect.equal (LocaLocalModelsExtensions.ScoringBatchSize(1_000_000, 40000)) (Array.MaxLength / 40000) "as many rows as one array holds"
            let hyper = LocaEaseHyper(Anchors = 2, EmbeddingLatent = 8, EmbeddingEpochs = 2, EmbeddingBatchSize = 32, TestBandwidth = 2.5, Faithful = false)
            use model = LocaEase.Fit(train, hyper, 7UL)
            // 2,500 users: the training rows over and over, each with a target item it does not have.
            let rows = [ for r in 0 .. 2499 -> train.Row(r % train.Rows).ToArray() |> List.ofArray ]
            let foldIn = csr items rows
            let targets = csr items [ for row in rows -> [ [ 0 .. items - 1 ] |> List.find (fun i -> not (List.contains i row)) ] ]
            Repro.Harness.Execution.evaluate model foldIn targets [ Repro.Core.Metrics.MetricSpec.Ndcg 100 ] 1 |> ignore
            Expect.equal model.ScoredUsers 2500L "every user scored"
            Expect.equal model.LocalModelsFitted model.Groups.Count "each local model once (in batches of 2,000: twice)"

        testCase "golden (spec 1.9): q = 1 and h_test > 2 cover everyone, and the score is that local model's" <| fun () ->
            Repro.Core.TorchRuntime.EnsureLoaded 1
            let hyper = LocaEaseHyper(Anchors = 1, EmbeddingLatent = 8, EmbeddingEpochs = 5, EmbeddingBatchSize = 32, TestBandwidth = 2.5, TrainBandwidth = 1.2, LocalLambda = 10.0, Faithful = false)
            use model = LocaEase.Fit(train, hyper, 7UL)
            let rows = [| 0 .. validation.FoldIn.Rows - 1 |]
            let out = Array.zeroCreate<float32> (rows.Length * items)
            model.Score(validation.FoldIn, ReadOnlySpan rows, Span out)
            Expect.equal model.FallbackUsers 0L "nobody falls back"
            // The local model from the same training weights.
            let emb = model.TrainEmbeddings.ToArray()
            let a = model.Anchors.[0]
            let t = Array.init train.Rows (fun u -> float32 (LocaKernel.Epanechnikov(LocaKernel.Distance(ReadOnlySpan(emb, a * 8, 8), ReadOnlySpan(emb, u * 8, 8)), 1.2)))
            let mutable its = [||]
            use local = LocaEase.FitLocal(train, ReadOnlySpan t, 10.0, &its)
            let m = its.Length
            let w = local.Weights.ToArray()
            for r in 0 .. rows.Length - 1 do
                let expected = Array.zeroCreate<float> items
                for i in validation.FoldIn.Row(r).ToArray() do
                    match Array.tryFindIndex ((=) i) its with
                    | Some li -> for c in 0 .. m - 1 do expected.[its.[c]] <- expected.[its.[c]] + float w.[li * m + c]
                    | None -> ()
                for j in 0 .. items - 1 do close 1e-4 (float out.[r * items + j]) expected.[j] (sprintf "user %d item %d" r j)

        testCase "faithful coverage draws candidates from every 10th user by activity and takes q anchors; otherwise anchors are distinct" <| fun () ->
            Repro.Core.TorchRuntime.EnsureLoaded 1
            let h faithful = LocaEaseHyper(Anchors = 30, AnchorSelection = LocaAnchorSelection.Coverage, EmbeddingLatent = 8, EmbeddingEpochs = 3, EmbeddingBatchSize = 32, Faithful = faithful)
            use faithful = LocaEase.Fit(train, h true, 7UL)
            let byActivity = [| 0 .. train.Rows - 1 |] |> Array.sortBy (fun u -> -train.RowLength u, u)
            let candidates = set [ for rank in 0 .. 10 .. train.Rows - 1 -> byActivity.[rank] ]
            Expect.equal faithful.Anchors.Count 30 "q anchors"
            Expect.all faithful.Anchors (fun a -> candidates.Contains a) "every anchor is a candidate"
            use free = LocaEase.Fit(train, h false, 7UL)
            Expect.equal (Seq.distinct free.Anchors |> Seq.length) free.Anchors.Count "no repeats"
    ]
