module Repro.Tests.MetricsTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open Repro.Core.Metrics
open Repro.Core.Sparse

// ---------------------------------------------------------------------------------------------
// Helpers and plain F# references (full sorts and textbook formulas) the fast code is checked by.

let private ro (a: 'T[]) = ReadOnlySpan<'T>(a)

let private csr (rows: int) (columns: int) (rowItems: int[][]) =
    let rowOf = [| for r in 0 .. rows - 1 do for _ in rowItems.[r] -> r |]
    let columnOf = Array.concat rowItems
    CsrMatrix.FromPairs(rows, columns, ro rowOf, ro columnOf)

let private topK (scores: float32[]) (excluded: int[]) (k: int) =
    let top = Array.zeroCreate k
    let found = TopK.Select(ro scores, ro excluded, Span<int>(top))
    top.[.. found - 1]

/// Descending score, NaN as -infinity, ties to the lower index, excluded items removed: by a full sort.
let private referenceTopK (scores: float32[]) (excluded: int[]) (k: int) =
    let excludedSet = set excluded
    let score i = if Single.IsNaN scores.[i] then Single.NegativeInfinity else scores.[i]
    [| 0 .. scores.Length - 1 |]
    |> Array.filter (fun i -> not (excludedSet.Contains i))
    |> Array.sortWith (fun a b -> if score a <> score b then compare (score b) (score a) else compare a b)
    |> Array.truncate k

let private relevance (ranked: int[]) (targets: int[]) =
    let t = set targets
    ranked |> Array.map t.Contains

let private referenceRecall (rel: bool[]) targets k =
    let hits = rel |> Array.truncate k |> Array.filter id |> Array.length
    float hits / float (min k targets)

let private referenceNdcg (rel: bool[]) targets k =
    let dcg = rel |> Array.truncate k |> Array.mapi (fun r hit -> if hit then 1.0 / Math.Log2(float r + 2.0) else 0.0) |> Array.sum
    let idcg = [ 0 .. min targets k - 1 ] |> List.sumBy (fun r -> 1.0 / Math.Log2(float r + 2.0))
    dcg / idcg

let private tolerance = 1e-12

// ---------------------------------------------------------------------------------------------
// Generators

type TopKCase = { Scores: float32[]; Excluded: int[]; K: int }

/// Scores with many ties, some NaN and infinities, and some continuous values.
let private scoreGen =
    Gen.frequency [
        5, Gen.choose (-3, 3) |> Gen.map float32
        1, Gen.elements [ Single.NaN; Single.NegativeInfinity; Single.PositiveInfinity ]
        4, Gen.choose (-1_000_000, 1_000_000) |> Gen.map (fun i -> float32 i / 1000.0f) ]

let private topKCaseGen maxItems =
    gen {
        let! n = Gen.choose (1, maxItems)
        let! scores = Gen.arrayOfLength n scoreGen
        let! excluded = Gen.subListOf [ 0 .. n - 1 ]
        let! repeated = Gen.subListOf excluded // duplicates in the exclusion list are allowed
        let! excludedShuffled = Gen.shuffle (List.toArray (excluded @ repeated))
        let! k = Gen.choose (1, n + 3)
        return { Scores = scores; Excluded = excludedShuffled; K = k }
    }

/// Long rows with only a few distinct scores, so ties at the selection threshold are common.
let private manyTiesCaseGen : Gen<TopKCase> =
    gen {
        let! n = Gen.choose (50, 2000)
        let! distinct = Gen.choose (1, 6)
        let! scores = Gen.arrayOfLength n (Gen.choose (0, distinct - 1) |> Gen.map float32)
        let! excludedCount = Gen.choose (0, 40)
        let! excluded = Gen.arrayOfLength excludedCount (Gen.choose (0, n - 1))
        let! k = Gen.choose (1, 120)
        return { Scores = scores; Excluded = excluded; K = k }
    }

/// One user: a score row over items, fold-in items and (disjoint) target items.
type UserCase = { Items: int; FoldIn: int[]; Targets: int[]; Scores: float32[] }

let private userRowGen (items: int) (allowNoTargets: bool) : Gen<UserCase> =
    gen {
        let! order = Gen.shuffle [| 0 .. items - 1 |]
        let! foldInCount = Gen.choose (0, items - 1)
        let! targetCount = Gen.choose ((if allowNoTargets then 0 else 1), items - foldInCount)
        let! scores = Gen.arrayOfLength items scoreGen
        return { Items = items; FoldIn = order.[.. foldInCount - 1]; Targets = order.[foldInCount .. foldInCount + targetCount - 1]; Scores = scores }
    }

let private userGen (maxItems: int) (allowNoTargets: bool) : Gen<UserCase> =
    gen {
        let! items = Gen.choose (2, maxItems)
        return! userRowGen items allowNoTargets
    }

type DatasetCase = { Items: int; FoldIn: int[][]; Targets: int[][]; Scores: float32[][]; BatchSize: int }

let private datasetGen : Gen<DatasetCase> =
    gen {
        let! items = Gen.choose (2, 40)
        let! users = Gen.choose (1, 25)
        let! rows = Gen.arrayOfLength users (userRowGen items true)
        let! batch = Gen.choose (1, 8)
        return { Items = items; FoldIn = rows |> Array.map _.FoldIn; Targets = rows |> Array.map _.Targets
                 Scores = rows |> Array.map _.Scores; BatchSize = batch }
    }

let private relevanceCaseGen : Gen<bool[] * int * int> =
    gen {
        let! rel = Gen.arrayOf (Gen.elements [ true; false ])
        let! extra = Gen.choose (1, 30)
        let! k = Gen.choose (1, 40)
        return rel, extra, k
    }

let private config = { FsCheckConfig.defaultConfig with maxTest = 300 }

/// A scorer that copies a fixed dense score matrix, as a model would fill the evaluator's buffer.
let private scorerOf (scores: float32[][]) =
    BatchScorer(fun batch firstRow buffer ->
        for r in 0 .. batch.Rows - 1 do
            ReadOnlySpan<float32>(scores.[firstRow + r]).CopyTo(buffer.Slice(r * batch.Columns, batch.Columns)))

// ---------------------------------------------------------------------------------------------

[<Tests>]
let tests =
    testList "Metrics" [
        testList "TopK" [
            testCase "returns the best items in descending score order" <| fun () ->
                let scores = [| 0.8f; 0.7f; 0.2f; 0.9f; 0.1f |]
                Expect.equal (topK scores [||] 3) [| 3; 0; 1 |] "ranking [3, 0, 1]"

            testCase "breaks ties by the lower item index" <| fun () ->
                let scores = [| 1.0f; 2.0f; 1.0f; 2.0f; 1.0f |]
                Expect.equal (topK scores [||] 4) [| 1; 3; 0; 2 |] "equal scores rank by index"

            testCase "never ranks a NaN score ahead of a real score" <| fun () ->
                let scores = [| Single.NaN; -1e30f; Single.NaN; Single.NegativeInfinity; 0.5f |]
                // NaN counts as -infinity: after every finite score, tied with -infinity by index.
                Expect.equal (topK scores [||] 5) [| 4; 1; 0; 2; 3 |] "NaN treated as -infinity"
                Expect.equal (topK scores [||] 2) [| 4; 1 |] "NaN not selected while real scores remain"

            testCase "never returns an excluded item even when fewer than k others exist" <| fun () ->
                let scores = [| 9.0f; Single.NegativeInfinity; 8.0f; Single.NaN |]
                Expect.equal (topK scores [| 0; 2 |] 4) [| 1; 3 |] "only the two items not excluded"

            testCase "rejects an excluded item outside the score row" <| fun () ->
                Expect.throwsT<ArgumentOutOfRangeException> (fun () -> topK [| 1.0f; 2.0f |] [| 2 |] 1 |> ignore) "item 2 of 2"

            testCase "matches a full sort on a 20,108-item row with ties and exclusions" <| fun () ->
                let rng = Random 20108
                let scores = Array.init 20108 (fun _ -> float32 (rng.Next 500) / 7.0f)
                let excluded = Array.init 300 (fun _ -> rng.Next 20108)
                Expect.equal (topK scores excluded 100) (referenceTopK scores excluded 100) "top 100"

            testPropertyWithConfig config "equals a full-sort reference for any scores, exclusions and k" <|
                Prop.forAll (Arb.fromGen (topKCaseGen 300)) (fun c ->
                    topK c.Scores c.Excluded c.K = referenceTopK c.Scores c.Excluded c.K)

            testPropertyWithConfig config "equals a full-sort reference on long rows of few distinct scores" <|
                Prop.forAll (Arb.fromGen manyTiesCaseGen) (fun c ->
                    topK c.Scores c.Excluded c.K = referenceTopK c.Scores c.Excluded c.K)

            testPropertyWithConfig config "never returns a fold-in item" <|
                Prop.forAll (Arb.fromGen (topKCaseGen 100)) (fun c ->
                    let excluded = set c.Excluded
                    topK c.Scores c.Excluded c.K |> Array.forall (fun i -> not (excluded.Contains i)))
        ]

        testList "Recall" [
            testCase "targets {1, 3} and ranking [3, 0, 1, ...] give 1/2 at K = 2 and 1 at K = 3" <| fun () ->
                let rel = relevance [| 3; 0; 1; 2; 4 |] [| 1; 3 |]
                // K = 2: one hit (item 3) over min(2, 2); K = 3: two hits over min(3, 2).
                Expect.floatClose Accuracy.veryHigh (RankingMetrics.Recall(ro rel, 2, 2)) 0.5 "Recall@2"
                Expect.floatClose Accuracy.veryHigh (RankingMetrics.Recall(ro rel, 2, 3)) 1.0 "Recall@3"

            testCase "divides by min(K, targets), unlike LightGCN's hits / targets" <| fun () ->
                // 5 targets {0, 2, 5, 7, 9}, ranking [2, 1, 9]: 2 hits in the top 3.
                let rel = relevance [| 2; 1; 9 |] [| 0; 2; 5; 7; 9 |]
                Expect.floatClose Accuracy.veryHigh (RankingMetrics.Recall(ro rel, 5, 3)) (2.0 / 3.0) "notebook: 2 / min(3, 5)"
                Expect.floatClose Accuracy.veryHigh (RankingMetrics.RecallLightGcn(ro rel, 5, 3)) (2.0 / 5.0) "LightGCN: 2 / 5"

            testCase "counts ranks missing from a short list as misses" <| fun () ->
                Expect.floatClose Accuracy.veryHigh (RankingMetrics.Recall(ro [| true |], 3, 20)) (1.0 / 3.0) "one hit of min(20, 3)"

            testCase "refuses a user without targets instead of returning NaN" <| fun () ->
                Expect.throwsT<ArgumentOutOfRangeException> (fun () -> RankingMetrics.Recall(ro [| false |], 0, 20) |> ignore) "0 targets"
        ]

        testList "AveragePrecision" [
            testCase "hits at ranks 1 and 3 of 5 targets: (1/1 + 2/3) / min(5, K)" <| fun () ->
                let rel = relevance [| 2; 1; 9; 4 |] [| 0; 2; 5; 7; 9 |]
                Expect.floatClose Accuracy.veryHigh (RankingMetrics.AveragePrecision(ro rel, 5, 3)) ((1.0 + 2.0 / 3.0) / 3.0) "AP@3: at most 3 hits fit"
                Expect.floatClose Accuracy.veryHigh (RankingMetrics.AveragePrecision(ro rel, 5, 500)) ((1.0 + 2.0 / 3.0) / 5.0) "AP@500: 5 targets"
                Expect.floatClose Accuracy.veryHigh (RankingMetrics.AveragePrecision(ro rel, 5, 1)) 1.0 "AP@1: the first is a hit"

            testCase "a later hit is worth less than an earlier one" <| fun () ->
                let early = relevance [| 0; 1; 2 |] [| 0 |]
                let late = relevance [| 1; 2; 0 |] [| 0 |]
                Expect.floatClose Accuracy.veryHigh (RankingMetrics.AveragePrecision(ro early, 1, 3)) 1.0 "rank 1"
                Expect.floatClose Accuracy.veryHigh (RankingMetrics.AveragePrecision(ro late, 1, 3)) (1.0 / 3.0) "rank 3"
                Expect.equal (MetricSpec.AveragePrecision 500).Name "AveragePrecision@500" "its name in records"
        ]

        testList "Ndcg" [
            testCase "targets {1, 3} and ranking [3, 0, 1, ...] match the hand-computed values" <| fun () ->
                let rel = relevance [| 3; 0; 1; 2; 4 |] [| 1; 3 |]
                // K = 2: DCG = 1/log2(2) = 1, IDCG = 1 + 1/log2(3) = 1.6309298 -> 0.6131472.
                Expect.floatClose Accuracy.veryHigh (RankingMetrics.Ndcg(ro rel, 2, 2)) 0.6131471927654584 "NDCG@2"
                // K = 3: DCG = 1 + 1/log2(4) = 1.5, same IDCG (2 targets) -> 0.9197208.
                Expect.floatClose Accuracy.veryHigh (RankingMetrics.Ndcg(ro rel, 2, 3)) 0.9197207891481876 "NDCG@3"

            testCase "truncates IDCG at min(targets, K) positions" <| fun () ->
                // 5 targets, K = 3, hits at ranks 1 and 3: (1 + 1/2) / (1 + 1/log2(3) + 1/2).
                let rel = relevance [| 2; 1; 9 |] [| 0; 2; 5; 7; 9 |]
                Expect.floatClose Accuracy.veryHigh (RankingMetrics.Ndcg(ro rel, 5, 3)) 0.7039180890341347 "NDCG@3"

            testCase "LightGCN's NDCGatK_r gives the notebook's value" <| fun () ->
                let rel = relevance [| 2; 1; 9; 4; 0 |] [| 0; 2; 5; 7; 9 |]
                for k in 1 .. 6 do
                    Expect.floatClose Accuracy.veryHigh (RankingMetrics.NdcgLightGcn(ro rel, 5, k)) (RankingMetrics.Ndcg(ro rel, 5, k)) $"K = {k}"

            testPropertyWithConfig config "a perfect ranking scores exactly 1 for every metric" <|
                Prop.forAll (Arb.fromGen (Gen.zip (userGen 60 false) (Gen.choose (1, 70)))) (fun (u, k) ->
                    let scores = Array.init u.Items (fun i -> if Array.contains i u.Targets then 10.0f + float32 i else float32 (-i))
                    let rel = relevance (topK scores u.FoldIn k) u.Targets
                    let n = u.Targets.Length
                    abs (RankingMetrics.Recall(ro rel, n, k) - 1.0) < tolerance
                    && abs (RankingMetrics.Ndcg(ro rel, n, k) - 1.0) < tolerance
                    && abs (RankingMetrics.NdcgLightGcn(ro rel, n, k) - 1.0) < tolerance
                    && abs (RankingMetrics.AveragePrecision(ro rel, n, k) - 1.0) < tolerance
                    && (k < n || abs (RankingMetrics.RecallLightGcn(ro rel, n, k) - 1.0) < tolerance))

            testPropertyWithConfig config "every metric lies in [0, 1] for any scores and targets" <|
                Prop.forAll (Arb.fromGen (Gen.zip (userGen 80 false) (Gen.choose (1, 100)))) (fun (u, k) ->
                    let rel = relevance (topK u.Scores u.FoldIn k) u.Targets
                    let n = u.Targets.Length
                    [ RankingMetrics.Recall(ro rel, n, k); RankingMetrics.Ndcg(ro rel, n, k)
                      RankingMetrics.RecallLightGcn(ro rel, n, k); RankingMetrics.NdcgLightGcn(ro rel, n, k)
                      RankingMetrics.AveragePrecision(ro rel, n, k) ]
                    |> List.forall (fun v -> v >= 0.0 && v <= 1.0 + tolerance))

            testPropertyWithConfig config "agrees with the textbook formulas on any relevance vector" <|
                Prop.forAll (Arb.fromGen relevanceCaseGen) (fun (rel, extra, k) ->
                    let n = (rel |> Array.filter id |> Array.length) + extra - 1 |> max 1
                    abs (RankingMetrics.Recall(ro rel, n, k) - referenceRecall rel n k) < tolerance
                    && abs (RankingMetrics.Ndcg(ro rel, n, k) - referenceNdcg rel n k) < tolerance)
        ]

        testList "MetricSummary" [
            testCase "the standard error of a constant vector is 0" <| fun () ->
                let s = MetricSummary.Of(ro (Array.create 1000 0.1))
                Expect.equal s.StandardError 0.0 "SE"
                Expect.equal s.Mean 0.1 "mean"

            testCase "uses the population std (ddof = 0) over sqrt(n)" <| fun () ->
                // values 1, 2, 3, 4: mean 2.5, population variance 1.25, SE = sqrt(1.25) / 2.
                let s = MetricSummary.Of(ro [| 1.0; 2.0; 3.0; 4.0 |], 3)
                Expect.floatClose Accuracy.veryHigh s.Mean 2.5 "mean"
                Expect.floatClose Accuracy.veryHigh s.StandardError (sqrt 1.25 / 2.0) "SE"
                Expect.equal (s.UsersUsed, s.UsersExcluded) (4, 3) "counts"

            testCase "an empty vector has NaN mean and counts only its excluded users" <| fun () ->
                let s = MetricSummary.Of(ReadOnlySpan<float>.Empty, 2)
                Expect.isTrue (Double.IsNaN s.Mean) "mean"
                Expect.equal (s.UsersUsed, s.UsersExcluded) (0, 2) "counts"
        ]

        testList "Evaluator" [
            testCase "excludes and counts users without targets, storing no NaN" <| fun () ->
                let foldIn = csr 4 6 [| [| 0 |]; [| 1 |]; [| 2 |]; [| 3 |] |]
                let targets = csr 4 6 [| [| 4 |]; [||]; [| 5 |]; [||] |]
                let scores = Array.init 4 (fun _ -> [| 0.0f; 0.0f; 0.0f; 0.0f; 2.0f; 1.0f |])
                let result = Evaluator.Evaluate(scorerOf scores, foldIn, targets, [| MetricSpec.Recall 1; MetricSpec.Ndcg 2 |], 3)
                Expect.equal result.IncludedRows [| 0; 2 |] "included"
                Expect.equal result.ExcludedRows [| 1; 3 |] "excluded"
                let recall = result.[MetricSpec.Recall 1]
                Expect.equal recall.Values [| 1.0; 0.0 |] "user 0 hits item 4 at rank 1; user 2's item 5 is at rank 2"
                Expect.equal (recall.Summary.UsersUsed, recall.Summary.UsersExcluded) (2, 2) "counts"
                Expect.isFalse (result.Metrics |> Seq.exists (fun m -> m.Values |> Array.exists Double.IsNaN)) "no NaN"

            testCase "LOCA's metrics count a repeated target item each time; the others count it once" <| fun () ->
                // Targets: item 2 twice (value 2), items 3, 4 and 5 once: 4 distinct items, 5 events.
                let foldIn = csr 1 8 [| [| 0 |] |]
                let targets = CsrMatrix(1, 8, [| 0; 4 |], [| 2; 3; 4; 5 |], [| 2.0f; 1.0f; 1.0f; 1.0f |])
                // Ranking 2, 6, 3, 7, 1, 4, 5: hits at ranks 1 and 3 within the top 3, all four by rank 7.
                let scores = [| [| 0.0f; 3.0f; 9.0f; 7.0f; 2.0f; 1.0f; 8.0f; 6.0f |] |]
                let metrics = [| MetricSpec.RecallLoca 3; MetricSpec.RecallLightGcn 3; MetricSpec.NdcgLoca 10; MetricSpec.NdcgLightGcn 10 |]
                let result = Evaluator.Evaluate(scorerOf scores, foldIn, targets, metrics)
                let value m = result.[m].Values.[0]
                Expect.floatClose Accuracy.veryHigh (value (MetricSpec.RecallLoca 3)) (2.0 / 5.0) "LOCA: 2 hits / 5 events"
                Expect.floatClose Accuracy.veryHigh (value (MetricSpec.RecallLightGcn 3)) (2.0 / 4.0) "LightGCN: 2 hits / 4 items"
                let d r = 1.0 / Math.Log2(float r + 1.0)
                let dcg = d 1 + d 3 + d 6 + d 7
                Expect.floatClose Accuracy.veryHigh (value (MetricSpec.NdcgLoca 10)) (dcg / (d 1 + d 2 + d 3 + d 4 + d 5)) "LOCA: IDCG of 5 positions, so 4 distinct hits cannot reach 1"
                Expect.floatClose Accuracy.veryHigh (value (MetricSpec.NdcgLightGcn 10)) (dcg / (d 1 + d 2 + d 3 + d 4)) "LightGCN: IDCG of 4"
                let binary = Evaluator.Evaluate(scorerOf scores, foldIn, csr 1 8 [| [| 2; 3; 4; 5 |] |], metrics)
                Expect.equal binary.[MetricSpec.RecallLoca 3].Values binary.[MetricSpec.RecallLightGcn 3].Values "without counts the two recalls agree"

            testCase "never ranks fold-in items, even when the model scores them highest" <| fun () ->
                let foldIn = csr 1 5 [| [| 0; 1 |] |]
                let targets = csr 1 5 [| [| 2; 3 |] |]
                let scores = [| [| Single.PositiveInfinity; 100.0f; 2.0f; 1.0f; 0.0f |] |]
                let result = Evaluator.Evaluate(scorerOf scores, foldIn, targets, [| MetricSpec.Recall 2; MetricSpec.Ndcg 2 |])
                Expect.floatClose Accuracy.veryHigh result.Metrics.[0].Values.[0] 1.0 "Recall@2"
                Expect.floatClose Accuracy.veryHigh result.Metrics.[1].Values.[0] 1.0 "NDCG@2"

            testCase "gives the scorer consecutive batches and their first rows" <| fun () ->
                let rowsSeen = Collections.Generic.List<int * int>()
                let foldIn = csr 5 3 (Array.create 5 [||])
                let targets = csr 5 3 (Array.create 5 [| 1 |])
                let scorer = BatchScorer(fun batch first buffer ->
                    rowsSeen.Add((first, batch.Rows))
                    Expect.equal buffer.Length (batch.Rows * 3) "buffer is rows x items"
                    buffer.Fill 0.0f)
                Evaluator.Evaluate(scorer, foldIn, targets, [| MetricSpec.Recall 1 |], 2) |> ignore
                Expect.sequenceEqual rowsSeen [ (0, 2); (2, 2); (4, 1) ] "batches of 2"

            testCase "reuses a caller's score buffer across calls and refuses one too small" <| fun () ->
                let foldIn = csr 3 4 [| [| 0 |]; [||]; [| 3 |] |]
                let targets = csr 3 4 [| [| 1 |]; [| 2 |]; [| 0 |] |]
                let scores = [| [| 0.0f; 1.0f; 2.0f; 3.0f |]; [| 3.0f; 2.0f; 1.0f; 0.0f |]; [| 1.0f; 0.0f; 0.0f; 2.0f |] |]
                let metrics = [| MetricSpec.Ndcg 2 |]
                Expect.equal (Evaluator.ScoreBufferLength(3, 4, 2)) 8L "2 users x 4 items"
                let buffer = Array.zeroCreate<float32> 8
                let first = Evaluator.Evaluate(scorerOf scores, foldIn, targets, metrics, 2, scoreBuffer = buffer)
                let again = Evaluator.Evaluate(scorerOf scores, foldIn, targets, metrics, 2, scoreBuffer = buffer)
                let fresh = Evaluator.Evaluate(scorerOf scores, foldIn, targets, metrics, 2)
                Expect.equal again.Metrics.[0].Values first.Metrics.[0].Values "same buffer, same values"
                Expect.equal fresh.Metrics.[0].Values first.Metrics.[0].Values "own buffer, same values"
                Expect.throwsT<ArgumentException> (fun () ->
                    Evaluator.Evaluate(scorerOf scores, foldIn, targets, metrics, 2, scoreBuffer = Array.zeroCreate 7) |> ignore) "7 < 8"

            testPropertyWithConfig config "equals a per-user full-sort reference for any data and batch size" <|
                Prop.forAll (Arb.fromGen datasetGen) (fun d ->
                    let users = d.Scores.Length
                    let metrics = [| MetricSpec.Recall 3; MetricSpec.Ndcg 5; MetricSpec.RecallLightGcn 3; MetricSpec.NdcgLightGcn 50 |]
                    let result = Evaluator.Evaluate(scorerOf d.Scores, csr users d.Items d.FoldIn, csr users d.Items d.Targets, metrics, d.BatchSize)
                    let included = [| for u in 0 .. users - 1 do if d.Targets.[u].Length > 0 then u |]
                    let expected (m: MetricSpec) u =
                        let rel = relevance (referenceTopK d.Scores.[u] d.FoldIn.[u] m.K) d.Targets.[u]
                        let n = d.Targets.[u].Length
                        match m.Kind with
                        | MetricKind.Recall -> referenceRecall rel n m.K
                        | MetricKind.RecallLightGcn -> float (rel |> Array.filter id |> Array.length) / float n
                        | _ -> referenceNdcg rel n m.K
                    result.IncludedRows = included
                    && result.ExcludedRows.Length = users - included.Length
                    && metrics |> Array.forall (fun m ->
                        let values = result.[m]
                        values.Summary.UsersExcluded = users - included.Length
                        && Array.forall2 (fun u v -> abs (v - expected m u) < tolerance) included values.Values))
        ]

        testList "ActivityBreakdown" [
            testCase "cuts users sorted by (fold-in count, row) into equal-count quintiles" <| fun () ->
                // 11 users with fold-in counts 3,1,1,2,5,0,1,2,4,6,1 (row order).
                let counts = [| 3; 1; 1; 2; 5; 0; 1; 2; 4; 6; 1 |]
                let foldIn = csr 11 10 (counts |> Array.map (fun c -> [| 0 .. c - 1 |]))
                let groups = ActivityBreakdown.SplitByFoldInCount foldIn
                // Sorted: 5(0) 1(1) 2(1) 6(1) 10(1) 3(2) 7(2) 0(3) 8(4) 4(5) 9(6); cuts at 0,2,4,6,8,11.
                Expect.equal (groups |> Array.map _.Rows) [| [| 1; 5 |]; [| 2; 6 |]; [| 3; 10 |]; [| 0; 7 |]; [| 4; 8; 9 |] |] "rows"
                Expect.equal (groups |> Array.map (fun g -> g.MinFoldInItems, g.MaxFoldInItems)) [| (0, 1); (1, 1); (1, 2); (2, 3); (4, 6) |] "count ranges"

            testPropertyWithConfig config "quintiles cover every user exactly once, ordered by activity" <|
                Prop.forAll (Arb.fromGen (Gen.arrayOf (Gen.choose (0, 8)) |> Gen.where (fun a -> a.Length >= 5))) (fun counts ->
                    let foldIn = csr counts.Length 10 (counts |> Array.map (fun c -> [| 0 .. c - 1 |]))
                    let groups = ActivityBreakdown.SplitByFoldInCount foldIn
                    let sizes = groups |> Array.map _.Rows.Length
                    (groups |> Array.collect _.Rows |> Array.sort) = [| 0 .. counts.Length - 1 |]
                    && Array.max sizes - Array.min sizes <= 1
                    && groups |> Array.pairwise |> Array.forall (fun (a, b) -> a.MaxFoldInItems <= b.MinFoldInItems))

            testCase "summarises each quintile and counts its users without targets" <| fun () ->
                let counts = [| 1; 2; 3; 4; 5; 6; 7; 8; 9; 10 |]
                let foldIn = csr 10 20 (counts |> Array.map (fun c -> [| 0 .. c - 1 |]))
                // Row 1 has no target, so no value.
                let rows = [| 0; 2; 3; 4; 5; 6; 7; 8; 9 |]
                let values = UserMetricValues(MetricSpec.Ndcg 100, rows, rows |> Array.map (fun r -> float r / 10.0), 1)
                let summaries = ActivityBreakdown.Summarise(foldIn, values)
                Expect.equal (summaries |> Array.map (fun s -> s.Summary.UsersUsed, s.Summary.UsersExcluded)) [| (1, 1); (2, 0); (2, 0); (2, 0); (2, 0) |] "counts"
                Expect.floatClose Accuracy.veryHigh summaries.[4].Summary.Mean 0.85 "rows 8 and 9"
                Expect.floatClose Accuracy.veryHigh summaries.[4].Summary.StandardError (0.05 / sqrt 2.0) "population std 0.05 over sqrt 2"
        ]

        testList "PairedTTest" [
            testCase "the two-sided p of t = 2 with 10 degrees of freedom is 0.07338803" <| fun () ->
                Expect.floatClose Accuracy.veryHigh (StudentT.TwoSidedPValue(2.0, 10.0)) 0.073388034770740366 "t table"

            testCase "matches t-table critical values at 10 degrees of freedom" <| fun () ->
                Expect.floatClose { absolute = 1e-9; relative = 1e-8 } (StudentT.TwoSidedPValue(2.228138852, 10.0)) 0.05 "t(0.975, 10)"
                Expect.floatClose { absolute = 1e-9; relative = 1e-8 } (StudentT.TwoSidedPValue(3.169272672, 10.0)) 0.01 "t(0.995, 10)"

            testCase "matches closed forms for 1 and 2 degrees of freedom" <| fun () ->
                // df = 1 is Cauchy: p = 1 - 2 atan(t) / pi, so p(1) = 1/2. df = 2: p = 1 - t / sqrt(2 + t^2).
                Expect.floatClose Accuracy.veryHigh (StudentT.TwoSidedPValue(1.0, 1.0)) 0.5 "df 1"
                Expect.floatClose Accuracy.veryHigh (StudentT.TwoSidedPValue(2.0, 2.0)) (1.0 - 2.0 / sqrt 6.0) "df 2"
                Expect.floatClose Accuracy.veryHigh (StudentT.TwoSidedPValue(-2.0, 2.0)) (1.0 - 2.0 / sqrt 6.0) "symmetric in t"

            testCase "matches high-precision values for small and large degrees of freedom" <| fun () ->
                // Reference: mpmath betainc(df/2, 1/2, 0, df/(df+t^2), regularized=True) at 30 digits.
                for t, df, p in [ 0.5, 3.0, 0.65144796484815099; 4.0, 30.0, 0.00038184563608375684; 10.0, 5.0, 0.00017094757574296359
                                  1.96, 1000.0, 0.050273184955748718; 2.0, 9999.0, 0.045527263361510106; 0.1, 100000.0, 0.92034452590672622 ] do
                    Expect.floatClose { absolute = 1e-12; relative = 1e-9 } (StudentT.TwoSidedPValue(t, df)) p $"t = {t}, df = {df}"

            testCase "computes t, df and p of a hand-worked pair of vectors" <| fun () ->
                // d = a - b = [-0.5, 0.3, -0.9, -0.1, -0.6]: mean -0.36, sample variance 0.872 / 4 = 0.218,
                // t = -0.36 / sqrt(0.218 / 5) = -1.7240873; p (mpmath, df 4) = 0.15978395.
                let r = PairedTTest.Run(ro [| 1.0; 2.0; 3.0; 4.0; 5.0 |], ro [| 1.5; 1.7; 3.9; 4.1; 5.6 |])
                Expect.floatClose Accuracy.veryHigh r.MeanDifference -0.36 "mean difference"
                Expect.floatClose Accuracy.high r.T -1.7240873133980717 "t"
                Expect.equal r.DegreesOfFreedom 4 "df"
                Expect.floatClose Accuracy.high r.PValue 0.15978395349101031 "p"

            testCase "identical vectors give NaN t and p, as scipy" <| fun () ->
                let r = PairedTTest.Run(ro [| 0.1; 0.2; 0.3 |], ro [| 0.1; 0.2; 0.3 |])
                Expect.isTrue (Double.IsNaN r.T && Double.IsNaN r.PValue) "0 / 0"

            testCase "refuses values over different users" <| fun () ->
                let a = UserMetricValues(MetricSpec.Ndcg 100, [| 0; 1 |], [| 0.1; 0.2 |], 0)
                let b = UserMetricValues(MetricSpec.Ndcg 100, [| 0; 2 |], [| 0.1; 0.2 |], 0)
                Expect.throwsT<ArgumentException> (fun () -> PairedTTest.Run(a, b) |> ignore) "rows differ"
        ]
    ]

[<Tests>]
let seedAndCountTests =
    testList "Metrics" [
        testList "SeedSummary" [
            testCase "two seeds 0.40 and 0.44: mean 0.42, sample std / sqrt 2 = 0.02" <| fun () ->
                let s = SeedSummary.Of(ro [| 0.40; 0.44 |])
                Expect.floatClose Accuracy.veryHigh s.Mean 0.42 "mean"
                Expect.floatClose Accuracy.veryHigh s.StandardError 0.02 "sqrt(0.0008) / sqrt 2"
                Expect.equal s.Runs 2 "runs"

            testCase "one seed has no across-seed standard error; none is an error" <| fun () ->
                Expect.isTrue (Double.IsNaN (SeedSummary.Of(ro [| 0.3 |])).StandardError) "NaN"
                Expect.throwsT<ArgumentException> (fun () -> SeedSummary.Of(ReadOnlySpan<float>.Empty) |> ignore) "empty"
        ]

        testList "ActivityBreakdown.counts" [
            testPropertyWithConfig config "groups from fold-in counts equal groups from the fold-in matrix" <|
                Prop.forAll (Arb.fromGen (Gen.arrayOf (Gen.choose (0, 8)) |> Gen.where (fun a -> a.Length >= 5))) (fun counts ->
                    let foldIn = csr counts.Length 10 (counts |> Array.map (fun c -> [| 0 .. c - 1 |]))
                    let fromMatrix = ActivityBreakdown.SplitByFoldInCount foldIn
                    let fromCounts = ActivityBreakdown.SplitByFoldInCount(counts, ActivityBreakdown.PaperGroupCount)
                    (fromMatrix, fromCounts) ||> Array.forall2 (fun a b -> a.Rows = b.Rows && a.MinFoldInItems = b.MinFoldInItems && a.MaxFoldInItems = b.MaxFoldInItems))
        ]
    ]
