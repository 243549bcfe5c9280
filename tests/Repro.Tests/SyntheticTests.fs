module Repro.Tests.SyntheticTests

open System
open System.IO
open System.Security.Cryptography
open Expecto
open FsCheck
open Repro.Core.Data.Synthetic
open Repro.Tests.Helpers
open Repro.Tests.TempFiles

let tiny seed = SyntheticGenerator.Generate(SyntheticShape.Tiny, seed)

/// Each user's positive (rating > 3.5) items, in log order.
let positivesByUser (d: SyntheticDataset) =
    let log = d.Log
    let byUser = Array.init log.UserCount (fun _ -> ResizeArray<int>())
    for k in 0 .. log.Count - 1 do
        if log.Values.[k] > 3.5f then byUser.[log.Users.[k]].Add log.Items.[k]
    byUser |> Array.map Seq.toArray

/// Hits at 10 on held-out positives (every 5th of each user's positives) for a popularity ranking and
/// for an item-item co-occurrence ranking (sum over the user's training items of cosine-normalised
/// co-occurrence counts), both learnt from the training positives only.
let popularityVersusCooccurrence (d: SyntheticDataset) =
    let nItems = d.Log.ItemCount
    let positives = positivesByUser d
    let train = positives |> Array.map (Array.indexed >> Array.filter (fun (j, _) -> j % 5 <> 2) >> Array.map snd)
    let test = positives |> Array.map (Array.indexed >> Array.filter (fun (j, _) -> j % 5 = 2) >> Array.map snd)
    let popularity = Array.zeroCreate<float> nItems
    let together = Array2D.zeroCreate<float> nItems nItems
    for items in train do
        for i in items do
            popularity.[i] <- popularity.[i] + 1.
            for j in items do
                if i <> j then together.[i, j] <- together.[i, j] + 1.
    let hitsAt10 (score: int[] -> float[]) =
        Array.map2 (fun (seen: int[]) (held: int[]) ->
            let s = score seen
            let top =
                [| 0 .. nItems - 1 |]
                |> Array.filter (fun i -> not (Array.contains i seen))
                |> Array.sortBy (fun i -> -s.[i], i)
                |> Array.truncate 10
            held |> Array.filter (fun i -> Array.contains i top) |> Array.length) train test
        |> Array.sum
    let byPopularity = hitsAt10 (fun _ -> popularity)
    let byCooccurrence =
        hitsAt10 (fun seen ->
            Array.init nItems (fun i -> seen |> Array.sumBy (fun j -> together.[j, i] / sqrt (popularity.[i] * popularity.[j] + 1.))))
    byPopularity, byCooccurrence, test |> Array.sumBy Array.length

[<Tests>]
let rngTests =
    testList "Data.Synthetic.Random" [
        testCase "xoshiro256** reproduces the published outputs from the state (1, 2, 3, 4)" <| fun () ->
            let rng = Xoshiro256StarStar(1UL, 2UL, 3UL, 4UL)
            let got = List.init 10 (fun _ -> rng.NextUInt64())
            Expect.equal got [ 11520UL; 0UL; 1509978240UL; 1215971899390074240UL; 1216172134540287360UL
                               607988272756665600UL; 16172922978634559625UL; 8476171486693032832UL
                               10595114339597558777UL; 2904607092377533576UL ] "reference vector"

        testCase "SplitMix64 from state 0 gives the reference outputs" <| fun () ->
            let mutable state = 0UL
            let got = List.init 4 (fun _ -> SplitMix64.Next(&state))
            Expect.equal got [ 0xE220A8397B1DCDAFUL; 0x6E789E6AA1B965F4UL; 0x06C45D188009454FUL; 0xF88BB8A8724C81ECUL ] "reference vector"

        testProperty "NextInt(n) lies in [0, n) and NextDouble in [0, 1) for any seed" <| fun (seed: uint64) (n: PositiveInt) ->
            let rng = Xoshiro256StarStar(seed)
            List.init 100 (fun _ -> rng.NextInt n.Get) |> List.forall (fun x -> x >= 0 && x < n.Get)
            && List.init 100 (fun _ -> rng.NextDouble()) |> List.forall (fun x -> x >= 0. && x < 1.)

        testCase "NextInt covers small ranges evenly" <| fun () ->
            let rng = Xoshiro256StarStar(7UL)
            let counts = Array.zeroCreate 6
            for _ in 1 .. 60_000 do
                let face = rng.NextInt 6
                counts.[face] <- counts.[face] + 1
            for c in counts do Expect.isTrue (abs (c - 10_000) < 500) $"each face near 10,000 (got {c})"
    ]

[<Tests>]
let generatorTests =
    testList "Data.Synthetic.SyntheticGenerator" [
        testCase "the same seed gives identical data and another seed different data" <| fun () ->
            let a, b, c = tiny 1L, tiny 1L, tiny 2L
            Expect.sequenceEqual b.Log.Users a.Log.Users "users"
            Expect.sequenceEqual b.Log.Items a.Log.Items "items"
            Expect.sequenceEqual b.Log.Values a.Log.Values "ratings"
            Expect.sequenceEqual b.Timestamps a.Timestamps "timestamps"
            Expect.isFalse (c.Log.Items = a.Log.Items) "seed 2 differs"

        testCase "tiny seed 1's ratings.csv has a pinned sha256, so any change of output on any runtime shows" <| fun () ->
            withFolder <| fun dir ->
                let path = Path.Combine(dir, "ratings.csv")
                (tiny 1L).WriteRatingsCsv path
                let digest = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes path))
                Expect.equal digest "fdeb7c543ab27798c3cd31bd3a9a894073c46f45a0c55e722d8a200b1bc83e80" "sha256 of the tiny seed-1 ratings.csv"

        testCase "tiny has the shape's users, events and positives, with every user within the bounds" <| fun () ->
            let d = tiny 1L
            let shape = SyntheticShape.Tiny
            let log = d.Log
            Expect.equal log.UserCount shape.Users "users"
            Expect.equal log.Count shape.Events "events"
            Expect.isTrue (log.ItemCount <= shape.Items && log.ItemCount >= shape.Items * 9 / 10) $"nearly all items occur ({log.ItemCount})"
            Expect.equal (log.Values |> Array.filter (fun v -> v > 3.5f) |> Array.length) shape.PositiveEvents "rows kept by the rating > 3.5 filter"
            let perUser = log.Users |> Array.countBy id |> Array.map snd
            Expect.isGreaterThanOrEqual (Array.min perUser) shape.MinEventsPerUser "fewest ratings per user"
            Expect.isLessThanOrEqual (Array.max perUser) shape.MaxEventsPerUser "most ratings per user"
            Expect.isGreaterThanOrEqual (positivesByUser d |> Array.map Array.length |> Array.min) shape.MinPositivesPerUser "every user survives the paper's ≥ 5 filter"
            Expect.isGreaterThan (Array.max perUser) (3 * (Array.sort perUser).[perUser.Length / 2]) "user activity is heavy-tailed (max > 3 x median)"
            for v in log.Values do
                Expect.isTrue (v >= 0.5f && v <= 5.0f && v * 2.0f = floor (v * 2.0f)) $"half-star rating ({v})"
            for t in d.Timestamps do
                Expect.isTrue (t >= 789_652_009 && t <= 1_427_784_002) "timestamp within ML-20M's span"

        testCase "events are grouped by user ascending, items ascending within a user, with no repeated pair" <| fun () ->
            let log = (tiny 3L).Log
            for k in 1 .. log.Count - 1 do
                let u0, u1 = log.Users.[k - 1], log.Users.[k]
                Expect.isTrue (u1 > u0 || (u1 = u0 && log.Items.[k] > log.Items.[k - 1])) $"row {k} follows row {k - 1}"
            Expect.sequenceEqual log.UserIds (Array.init log.UserCount (fun u -> string (u + 1))) "user ids are 1..n"
            Expect.isTrue (log.ItemIds |> Array.map int |> Array.pairwise |> Array.forall (fun (a, b) -> a < b)) "item codes follow id order"

        testCase "item popularity is power-law-ish: the top 10% of items hold over a quarter of the events" <| fun () ->
            for seed in [ 1L; 2L; 3L ] do
                let log = (tiny seed).Log
                let counts = log.Items |> Array.countBy id |> Array.map snd |> Array.sortDescending
                let top = counts |> Array.truncate (log.ItemCount / 10) |> Array.sum
                let share = float top / float log.Count
                Expect.isGreaterThan share 0.25 $"seed {seed}: top-10%% share {share:F3} (uniform popularity would give 0.10)"

        testCase "an item co-occurrence recommender beats popularity on held-out positives, so there is structure to learn" <| fun () ->
            for seed in [ 1L; 2L; 3L ] do
                let byPopularity, byCooccurrence, heldOut = popularityVersusCooccurrence (tiny seed)
                Expect.isGreaterThan heldOut 500 "enough held-out events to compare"
                Expect.isGreaterThan (float byCooccurrence) (1.5 * float byPopularity)
                    $"seed {seed}: co-occurrence hits@10 {byCooccurrence} vs popularity {byPopularity} of {heldOut}"

        testCase "the ml-20m shape carries the paper's counts and is consistent" <| fun () ->
            let s = SyntheticShape.Named "ml-20m"
            Expect.equal (s.Users, s.Items, s.PositiveEvents, s.Events) (136_677, 20_108, 9_990_682, 20_000_263) "spec §1.3 and ML-20M's row count"
            s.Validate()
            Expect.floatClose Accuracy.low (float s.PositiveEvents / float s.Users) 73.1 "mean items per user after the filter"

        testCase "the msd shape carries the paper's MSD counts, keeps every event positive and is consistent" <| fun () ->
            let s = SyntheticShape.Named "msd"
            Expect.equal (s.Users, s.Items) (571_355, 41_140) "spec §1.3 (Table 1's MSD column)"
            Expect.equal s.PositiveEvents s.Events "play counts binarise: every row is an event"
            Expect.isGreaterThanOrEqual s.MinPositivesPerUser 20 "MSD's user filter keeps users with at least 20 songs"
            s.Validate()

        testCase "an inconsistent shape is rejected naming the setting" <| fun () ->
            let bad = SyntheticShape("bad", 10, 5, 100, 50, 8, 20, 5, 2, 0.8, 1.0, 2.0)
            let e = raises<ArgumentException> (fun () -> SyntheticGenerator.Generate bad |> ignore)
            Expect.stringContains e.Message "MaxEventsPerUser" "names the setting"

        testCase "an unknown shape name lists the known ones" <| fun () ->
            let e = raises<ArgumentException> (fun () -> SyntheticShape.Named "huge" |> ignore)
            Expect.stringContains e.Message "tiny" "lists names"

        testCase "allocation hits the exact total, respects the bounds and follows the weights" <| fun () ->
            let counts = SyntheticGenerator.Allocate(100L, [| 1.; 2.; 3.; 0.; 100. |], [| 1; 1; 1; 1; 1 |], [| 50; 50; 50; 50; 30 |])
            Expect.equal (Array.sum counts) 100 "total"
            Expect.equal counts.[4] 30 "capped at its maximum"
            Expect.equal counts.[3] 1 "a zero weight gets its minimum"
            Expect.isTrue (counts.[0] <= counts.[1] && counts.[1] <= counts.[2]) $"ordered by weight {counts}"
    ]

[<Tests>]
let writerTests =
    testList "Data.Synthetic.MovieLensCsvWriter" [
        testCase "ratings.csv has ML-20M's header and row format, one row per event, written atomically" <| fun () ->
            withFolder <| fun dir ->
                let d = tiny 1L
                let path = Path.Combine(dir, "ml", "ratings.csv")
                d.WriteRatingsCsv path
                let lines = File.ReadAllLines path
                Expect.equal lines.[0] "userId,movieId,rating,timestamp" "header"
                Expect.equal (lines.Length - 1) d.Log.Count "one row per event"
                for k in [ 0; 1; 2999; d.Log.Count - 1 ] do
                    let log = d.Log
                    let expected = sprintf "%s,%s,%s,%d" log.UserIds.[log.Users.[k]] log.ItemIds.[log.Items.[k]] (log.Values.[k].ToString("0.0", Globalization.CultureInfo.InvariantCulture)) d.Timestamps.[k]
                    Expect.equal lines.[k + 1] expected $"row {k + 1}"
                Expect.isTrue (lines |> Array.exists (fun l -> l.Contains ",4.0,")) "whole stars carry one decimal, as in ML-20M"
                let kept = lines |> Array.skip 1 |> Array.filter (fun l -> float (l.Split(',').[2]) > 3.5) |> Array.length
                Expect.equal kept SyntheticShape.Tiny.PositiveEvents "the paper's rating filter keeps the positives"
                Expect.isEmpty (Directory.GetFiles(Path.Combine(dir, "ml"), "*.partial")) "no temporary file left"

        testCase "writing again replaces the file whole" <| fun () ->
            withFolder <| fun dir ->
                let path = Path.Combine(dir, "ratings.csv")
                File.WriteAllText(path, "old content that is longer than nothing\n")
                (tiny 2L).WriteRatingsCsv path
                Expect.equal (File.ReadAllLines path).[0] "userId,movieId,rating,timestamp" "new header"
                Expect.equal (File.ReadAllLines path).Length (SyntheticShape.Tiny.Events + 1) "new rows only"
    ]
