module Repro.Tests.StrongGeneralizationTests

open System
open System.IO
open Expecto
open Repro.Core.Data
open Repro.Core.Sparse
open Repro.Core.Protocols
open Repro.Tests.ProtocolTestData

let rowsOf (m: CsrMatrix) = [ for r in 0 .. m.Rows - 1 -> List.ofArray (m.Row(r).ToArray()) ]

/// Ten users with ids 10..19 (codes 0..9). numpy's permutation(10) for seed 98765 is
/// [8 7 1 2 0 6 9 4 3 5] (numpy-legacy-rng-vectors.json), so with H = 2 the training users are codes
/// 8 7 1 2 0 6 (uids 0..5), validation codes 9 4 (uids 6, 7) and test codes 3 5 (uids 8, 9).
/// Held-out users are split in ascending id: validation draws choice(7, 1) = [2] for user 14 and then
/// choice(23, 4) = [12 13 1 3] for user 19 (the JSON's seed98765_choice_then_choice); test re-seeds and
/// draws choice(10, 2) = permutation(10)[:2] = [8 7] for user 13; user 15 keeps 3 events, so no draw.
let handCheckedLog () =
    binaryLogOf (
        [ (19, 150) ]                                   // a held-out user's item no training user has
        @ [ for i in 100 .. 129 -> (18, i) ]            // uid 0 defines the vocabulary: item 100 + v is column v
        @ [ (11, 105); (17, 101); (11, 100); (12, 102); (10, 103); (16, 104); (17, 129) ]
        @ [ for i in 110 .. 116 -> (14, i) ]
        @ [ for i in 100 .. 122 -> (19, i) ]
        @ [ for i in 120 .. 129 -> (13, i) ]
        @ [ (15, 101); (15, 999); (15, 102); (15, 103) ])

let handCheckedSplit () = StrongGeneralization.Split(handCheckedLog (), HeldOutUsers 2)

/// Each user's kept events as vocabulary columns in file order, by original user id.
let keptEventsByUser (log: InteractionLog) (split: StrongGeneralizationSplit) =
    let column = Collections.Generic.Dictionary<string, int>()
    split.ItemIds |> Array.iteri (fun c id -> column.[id] <- c)
    let byUser = Collections.Generic.Dictionary<string, ResizeArray<int>>()
    for k in 0 .. log.Count - 1 do
        let user = log.UserIds.[log.Users.[k]]
        if not (byUser.ContainsKey user) then byUser.[user] <- ResizeArray()
        match column.TryGetValue log.ItemIds.[log.Items.[k]] with
        | true, c -> byUser.[user].Add c
        | _ -> ()
    byUser

/// Is `part` an in-order subsequence of `whole`?
let rec isSubsequence part whole =
    match part, whole with
    | [], _ -> true
    | _, [] -> false
    | p :: ps, w :: ws -> if p = w then isSubsequence ps ws else isSubsequence part ws

/// A preprocessed random log and a held-out count that leaves training users, from one seed.
let randomCase (seed: int) =
    let rnd = Random seed
    let settings = if rnd.Next 2 = 0 then Preprocessing.Ml20m else Preprocessing(Nullable(), 1, 0)
    let log = settings.Filter(randomLog seed (3 + rnd.Next 60) (1 + rnd.Next 50))
    let users = log.UserCount
    if users < 3 then None
    else Some (log, HeldOutUsers(1 + rnd.Next((users - 1) / 2)))

let private forEachHeldOutRow (split: StrongGeneralizationSplit) f =
    [ for part in [ split.Validation; split.Test ] do
        for r in 0 .. part.Users - 1 -> f part r ]
    |> List.forall id

[<Tests>]
let tests =
    testList "Protocols.StrongGeneralization" [
        testCase "hand-checked: users are shuffled by numpy's permutation and numbered train, validation, test" <| fun () ->
            let split = handCheckedSplit ()
            Expect.equal split.TrainUserIds [| "18"; "17"; "11"; "12"; "10"; "16" |] "training uids 0..5"
            Expect.equal split.Validation.UserIds [| "19"; "14" |] "validation uids 6, 7"
            Expect.equal split.Test.UserIds [| "13"; "15" |] "test uids 8, 9"
            Expect.equal (split.Validation.FirstUid, split.Test.FirstUid) (6, 8) "first uids"

        testCase "hand-checked: the vocabulary is the training users' items in order of first appearance" <| fun () ->
            let split = handCheckedSplit ()
            Expect.equal split.ItemIds [| for i in 100 .. 129 -> string i |] "items 150 and 999 belong to held-out users only"

        testCase "hand-checked: training rows keep file order and train.csv order is the file's event order" <| fun () ->
            let split = handCheckedSplit ()
            Expect.equal (rowsOf split.Train) [ [ 0 .. 29 ]; [ 1; 29 ]; [ 5; 0 ]; [ 2 ]; [ 3 ]; [ 4 ] ] "rows"
            let rowOf e = Array.findIndex (fun r -> split.Train.RowStart.[r] <= e && e < split.Train.RowStart.[r + 1]) [| 0 .. 5 |]
            let lines = [ for e in split.TrainFileOrder -> (rowOf e, split.Train.ColumnIndex.[e]) ]
            Expect.equal lines ([ for v in 0 .. 29 -> (0, v) ] @ [ (2, 5); (1, 1); (2, 0); (3, 2); (4, 3); (5, 4); (1, 29) ]) "file order"

        testCase "hand-checked: validation targets are numpy's choices in ascending user id" <| fun () ->
            let v = (handCheckedSplit ()).Validation
            // Row 0 = user 19 (23 kept events, columns 0..22): positions 12 13 1 3. Row 1 = user 14 (columns 10..16): position 2.
            Expect.equal (rowsOf v.Target) [ [ 1; 3; 12; 13 ]; [ 12 ] ] "targets in file order"
            Expect.equal (rowsOf v.FoldIn) [ [ 0; 2 ] @ [ 4 .. 11 ] @ [ 14 .. 22 ]; [ 10; 11; 13; 14; 15; 16 ] ] "fold-in"
            Expect.equal v.FileUserOrder [| 1; 0 |] "files list user 14 before user 19"

        testCase "hand-checked: the test split re-seeds, and a user with fewer than 5 events gets no target" <| fun () ->
            let t = (handCheckedSplit ()).Test
            Expect.equal (rowsOf t.Target) [ [ 27; 28 ]; [] ] "user 13: positions 8 7 of columns 20..29"
            Expect.equal (rowsOf t.FoldIn) [ [ 20 .. 26 ] @ [ 29 ]; [ 1; 2; 3 ] ] "user 15 keeps all 3 kept events as fold-in; item 999 dropped"
            Expect.equal (t.UsersWithTargets, t.UsersWithoutTargets) (1, 1) "counted"

        testCase "rejects a held-out count that leaves no training users, naming the largest possible" <| fun () ->
            let log = handCheckedLog ()
            let e = Expect.throwsC (fun () -> StrongGeneralization.Split(log, HeldOutUsers 5) |> ignore) id
            Expect.stringContains e.Message "no training users" "message"
            Expect.stringContains e.Message "at most 4" "the largest H that works"
            Expect.equal (StrongGeneralization.Split(log, HeldOutUsers 4)).Train.Rows 2 "H = 4 leaves 2"
            Expect.throwsT<ArgumentOutOfRangeException> (fun () -> HeldOutUsers 0 |> ignore) "H = 0"

        testCase "the paper's held-out counts are 10,000, 40,000 and 50,000 with seed 98765" <| fun () ->
            Expect.equal [ HeldOutUsers.Ml20m.Count; HeldOutUsers.Netflix.Count; HeldOutUsers.Msd.Count ] [ 10000; 40000; 50000 ] "H"
            Expect.equal HeldOutUsers.Ml20m.Seed 98765u "seed"
            Expect.equal [ for n in [ 4; 5; 9; 10; 14; 15 ] -> HeldOutUsers.Ml20m.TargetsFor n ] [ 0; 1; 1; 2; 2; 3 ] "int(0.2 n) from 5 events"

        SharedData.testWithData "ml-100k" "ML-100K (rating > 3.5, users >= 5, H = 100) has the reference split's counts" <| fun dir ->
            let log = Preprocessing.ExplicitRatings.Filter(readUData (Path.Combine(dir, "u.data")))
            Expect.equal (log.Count, log.UserCount, log.ItemCount) (55361, 938, 1447) "after filtering"
            let split = StrongGeneralization.Split(log, HeldOutUsers 100)
            Expect.equal (split.Train.Rows, split.ItemCount) (738, 1415) "training users, vocabulary"
            Expect.equal (split.Validation.Users, split.Test.Users) (100, 100) "held-out users"

        testProperty "sizes add up: users, and kept plus dropped events" <| fun (seed: int) ->
            match randomCase seed with
            | None -> true
            | Some (log, h) ->
                let split = StrongGeneralization.Split(log, h)
                let kept = keptEventsByUser log split
                let heldOutKept = [ for part in [ split.Validation; split.Test ] do for id in part.UserIds -> kept.[id].Count ] |> List.sum
                let stored = split.Validation.FoldIn.NonZeros + split.Validation.Target.NonZeros + split.Test.FoldIn.NonZeros + split.Test.Target.NonZeros
                let heldOut = set (Array.append split.Validation.UserIds split.Test.UserIds)
                let dropped = kept.Keys |> Seq.filter heldOut.Contains |> Seq.sumBy (fun id ->
                                (log.Users |> Array.filter (fun u -> log.UserIds.[u] = id) |> Array.length) - kept.[id].Count)
                split.Train.Rows + 2 * h.Count = log.UserCount
                && split.Validation.Users = h.Count && split.Test.Users = h.Count
                && stored = heldOutKept
                && split.Train.NonZeros + heldOutKept + dropped = log.Count

        testProperty "no training user is held out, and every user is somewhere" <| fun (seed: int) ->
            match randomCase seed with
            | None -> true
            | Some (log, h) ->
                let split = StrongGeneralization.Split(log, h)
                let parts = [ set split.TrainUserIds; set split.Validation.UserIds; set split.Test.UserIds ]
                Set.intersectMany [ parts.[0]; parts.[1] ] |> Set.isEmpty
                && Set.intersect parts.[0] parts.[2] |> Set.isEmpty
                && Set.intersect parts.[1] parts.[2] |> Set.isEmpty
                && Set.unionMany parts = set log.UserIds

        testProperty "fold-in and target are disjoint, in file order, and together are the user's kept events" <| fun (seed: int) ->
            match randomCase seed with
            | None -> true
            | Some (log, h) ->
                let split = StrongGeneralization.Split(log, h)
                let kept = keptEventsByUser log split
                forEachHeldOutRow split (fun part r ->
                    let events = List.ofSeq kept.[part.UserIds.[r]]
                    let foldIn = List.ofArray (part.FoldIn.Row(r).ToArray())
                    let target = List.ofArray (part.Target.Row(r).ToArray())
                    Set.intersect (set foldIn) (set target) |> Set.isEmpty
                    && List.sort (foldIn @ target) = List.sort events
                    && isSubsequence foldIn events && isSubsequence target events)

        testProperty "a held-out user with n >= 5 kept events gets exactly floor(0.2 n) targets, otherwise none" <| fun (seed: int) ->
            match randomCase seed with
            | None -> true
            | Some (log, h) ->
                let split = StrongGeneralization.Split(log, h)
                forEachHeldOutRow split (fun part r ->
                    let n = part.FoldIn.RowLength r + part.Target.RowLength r
                    part.Target.RowLength r = (if n >= 5 then n / 5 else 0))

        testProperty "training rows hold each training user's events in file order over the first-appearance vocabulary" <| fun (seed: int) ->
            match randomCase seed with
            | None -> true
            | Some (log, h) ->
                let split = StrongGeneralization.Split(log, h)
                let training = set split.TrainUserIds
                let vocabulary = [ for k in 0 .. log.Count - 1 do if training.Contains log.UserIds.[log.Users.[k]] then log.ItemIds.[log.Items.[k]] ] |> List.distinct
                let kept = keptEventsByUser log split
                List.ofArray split.ItemIds = vocabulary
                && List.forall (fun r -> List.ofArray (split.Train.Row(r).ToArray()) = List.ofSeq kept.[split.TrainUserIds.[r]]) [ 0 .. split.Train.Rows - 1 ]

        testProperty "the same log and settings give the same split" <| fun (seed: int) ->
            match randomCase seed with
            | None -> true
            | Some (log, h) ->
                let a = StrongGeneralization.Split(log, h)
                let b = StrongGeneralization.Split(log, h)
                let parts (s: StrongGeneralizationSplit) =
                    [ s.Train; s.ValidationFoldIn; s.ValidationTarget; s.TestFoldIn; s.TestTarget ]
                    |> List.map (fun m -> m.RowStart, m.ColumnIndex)
                parts a = parts b && a.ItemIds = b.ItemIds && a.TrainFileOrder = b.TrainFileOrder
                && a.Validation.FileUserOrder = b.Validation.FileUserOrder && a.Test.UserIds = b.Test.UserIds
    ]
