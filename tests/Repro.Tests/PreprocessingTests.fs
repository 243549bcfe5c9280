module Repro.Tests.PreprocessingTests

open Expecto
open Repro.Core.Data
open Repro.Core.Protocols
open Repro.Tests.ProtocolTestData

/// (original user id, original item id, value) of every event, in order.
let private events (log: InteractionLog) =
    [ for k in 0 .. log.Count - 1 -> (log.UserIds.[log.Users.[k]], log.ItemIds.[log.Items.[k]], float log.Values.[k]) ]

[<Tests>]
let tests =
    testList "Protocols.Preprocessing" [
        testCase "the paper's presets are ML-20M/Netflix (3.5, 5, 0) and MSD (none, 20, 200)" <| fun () ->
            for p in [ Preprocessing.Ml20m; Preprocessing.Netflix; Preprocessing.ExplicitRatings ] do
                Expect.equal (p.MinRatingExclusive, p.MinItemsPerUser, p.MinUsersPerItem) (Some 3.5f |> Option.toNullable, 5, 0) "explicit ratings"
            let msd = Preprocessing.Msd
            Expect.equal (msd.MinRatingExclusive, msd.MinItemsPerUser, msd.MinUsersPerItem) (System.Nullable(), 20, 200) "MSD"
            Expect.isFalse Preprocessing.ImplicitFeedback.MinRatingExclusive.HasValue "implicit data has no threshold"

        testCase "keeps ratings strictly above the threshold: 3.5 drops 3 and keeps 4" <| fun () ->
            let log = logOf [ (1, 10, 4.0); (1, 11, 3.0); (1, 12, 5.0); (1, 13, 3.5) ]
            let filtered = Preprocessing(3.5f, 0, 0).Filter log
            Expect.equal (events filtered) [ ("1", "10", 4.0); ("1", "12", 5.0) ] "kept events"
            Expect.equal filtered.ItemIds [| "10"; "12" |] "unused items dropped"

        testCase "the item filter runs first, then users are counted on what is left (one pass, not a k-core)" <| fun () ->
            // Items: 10 has 3 users, 20 has 2, 30 and 40 one each -> with min 2 users, 30 and 40 go.
            // Users then: 1 keeps (10, 20); 2 keeps only 10; 3 only 10; 4 only 20 -> with min 2 items only user 1 stays.
            // Item 20 ends with one user, below 2: a single pass does not revisit it.
            let log = binaryLogOf [ (1, 10); (2, 10); (4, 20); (2, 30); (3, 10); (1, 20); (4, 40) ]
            let filtered = Preprocessing(System.Nullable(), 2, 2).Filter log
            Expect.equal (events filtered) [ ("1", "10", 1.0); ("1", "20", 1.0) ] "kept events in file order"
            Expect.equal filtered.UserIds [| "1" |] "users"
            Expect.equal filtered.ItemIds [| "10"; "20" |] "items"

        testCase "the rating filter comes before the item and user counts" <| fun () ->
            // User 1 has 5 events but only 4 above 3.5, so it goes with min 5 items.
            let log = logOf ([ for i in 1 .. 5 -> (1, i, (if i = 3 then 2.0 else 5.0)) ] @ [ for i in 1 .. 5 -> (2, i, 4.0) ])
            let filtered = Preprocessing.Ml20m.Filter log
            Expect.equal filtered.UserIds [| "2" |] "only user 2 has 5 ratings above 3.5"
            Expect.equal filtered.Count 5 "events"

        testCase "surviving ids keep original id order and codes stay dense" <| fun () ->
            let log = binaryLogOf [ for u in [ 30; 10; 20 ] do for i in [ 5; 1 ] -> (u, i) ]
            let filtered = Preprocessing(System.Nullable(), 0, 0).Filter log
            Expect.equal filtered.UserIds [| "10"; "20"; "30" |] "ascending ids"
            Expect.equal filtered.Users [| 2; 2; 0; 0; 1; 1 |] "codes follow ids"
            Expect.equal filtered.Items [| 1; 0; 1; 0; 1; 0 |] "items 1 < 5"

        testCase "negative minimums and a NaN threshold are rejected" <| fun () ->
            Expect.throwsT<System.ArgumentOutOfRangeException> (fun () -> Preprocessing(System.Nullable(), -1, 0) |> ignore) "users"
            Expect.throwsT<System.ArgumentOutOfRangeException> (fun () -> Preprocessing(System.Nullable(), 20, 200, MinUsersPerItem = -2) |> ignore) "items via the init setter"
            Expect.throwsT<System.ArgumentException> (fun () -> Preprocessing(System.Nullable nanf, 5, 0) |> ignore) "NaN"

        testProperty "every kept user has at least MinItemsPerUser events and every kept rating passes" <| fun (seed: int) (minItems: byte) ->
            let minItems = int minItems % 12
            let log = randomLog seed 30 25
            let filtered = Preprocessing(3.5f, minItems, 0).Filter log
            let perUser = Array.zeroCreate filtered.UserCount
            for u in filtered.Users do perUser.[u] <- perUser.[u] + 1
            Array.forall (fun c -> c >= max 1 minItems) perUser && Array.forall (fun v -> v > 3.5f) filtered.Values

        testProperty "without an item filter, filtering twice changes nothing" <| fun (seed: int) ->
            let log = randomLog seed 30 25
            let once = Preprocessing.Ml20m.Filter log
            let twice = Preprocessing.Ml20m.Filter once
            events once = events twice
    ]
