module Repro.Tests.InteractionLogTests

open System
open System.IO
open Expecto
open Repro.Core.Data
open Repro.Core.Data.Readers
open Repro.Tests.ReaderTests

let private build policy capacity (rows: (int64 * int64 * float32) list) =
    let builder = InteractionLogBuilder("rows", policy, capacity)
    for (u, i, v) in rows do builder.Add(u, i, v)
    builder.Build()

/// Ids small enough for the builder's direct table and far beyond it, in one log.
let private mixedIds = [| 0L; 1L; 7L; 8_388_607L; 8_388_608L; 1L <<< 40; 123_456_789_012_345L; 3L |]

[<Tests>]
let builder =
    testList "Data.InteractionLogBuilder" [
        testProperty "codes any ids, small or huge, in numeric order and merges repeats like the reference" <|
            fun (rows: (byte * byte * byte) list) (capacity: byte) ->
                let raw = [ for (u, i, v) in rows -> mixedIds.[int u % mixedIds.Length], mixedIds.[int i % mixedIds.Length], float32 (int v % 5) ]
                let log = build DuplicatePolicy.Sum (int capacity) raw
                expectLike log (reference Numeric DuplicatePolicy.Sum [ for (u, i, v) in raw -> string u, string i, v ])

        testProperty "merges repeats the same way for events sorted by user, sorted by item or unsorted" <|
            fun (rows: (byte * byte * byte) list) (policyChoice: byte) ->
                let policy = [| DuplicatePolicy.KeepMax; DuplicatePolicy.Sum; DuplicatePolicy.KeepFirst |].[int policyChoice % 3]
                let raw = [ for (u, i, v) in rows -> int64 (u % 6uy), int64 (i % 5uy) * 1000L, float32 (int v % 7) ]
                for ordered in [ raw; List.sortBy (fun (u, _, _) -> u) raw; List.sortBy (fun (_, i, _) -> i) raw ] do
                    let log = build policy 0 ordered
                    expectLike log (reference Numeric policy [ for (u, i, v) in ordered -> string u, string i, v ])

        testCase "a capacity below or above the event count gives the same log" <| fun () ->
            let rows = [ 5L, 1L, 1.0f; 3L, 2L, 2.0f; 5L, 1L, 4.0f ]
            for capacity in [ 0; 1; 2; 3; 100 ] do
                expectEvents (build DuplicatePolicy.KeepMax capacity rows) [ "5", "1", 4.0f; "3", "2", 2.0f ]

        testCase "string ids after numeric ones turn every id into text, 7 and \"7\" being one id" <| fun () ->
            let builder = InteractionLogBuilder("mixed", DuplicatePolicy.Sum)
            builder.Add(7L, 10L, 1.0f)
            builder.Add("7", "10", 2.0f)
            builder.Add("x", "10", 1.0f)
            builder.Add(10L, 7L, 1.0f)
            let log = builder.Build()
            expectEvents log [ "7", "10", 3.0f; "x", "10", 1.0f; "10", "7", 1.0f ]
            Expect.sequenceEqual log.UserIds [| "10"; "7"; "x" |] "ordinal order once ids are text"

        testCase "a builder builds one log" <| fun () ->
            let builder = InteractionLogBuilder("once")
            builder.Add(1L, 1L, 1.0f)
            builder.Build() |> ignore
            Expect.throwsT<InvalidOperationException> (fun () -> builder.Build() |> ignore) "second Build"
    ]

[<Tests>]
let concat =
    testList "Data.InteractionLogs" [
        testCase "Concat puts the second part's events after the first's and merges pairs found in both" <| fun () ->
            TempFiles.withFolder (fun dir ->
                TempFiles.writeText dir "train.txt" "0 5 3\n2 7\n" |> ignore
                TempFiles.writeText dir "test.txt" "0 7 5\n" |> ignore
                let split = LightGcnSplitReader.Read dir
                let all = InteractionLogs.Concat(split.Train, split.Test)
                expectEvents all [ "0", "5", 1.0f; "0", "3", 1.0f; "2", "7", 1.0f; "0", "7", 1.0f ]
                Expect.equal all.DuplicatesMerged 1 "(0, 5) is in both parts"
                Expect.isTrue (obj.ReferenceEquals(all.UserIds, split.Train.UserIds)) "same id space")

        testCase "Concat refuses logs with different ids" <| fun () ->
            let a = build DuplicatePolicy.KeepMax 0 [ 1L, 1L, 1.0f ]
            let b = build DuplicatePolicy.KeepMax 0 [ 2L, 1L, 1.0f ]
            Expect.throwsT<ArgumentException> (fun () -> InteractionLogs.Concat(a, b) |> ignore) "different users"

        SharedData.testWithData "gowalla" "Concat of Gowalla's train and test holds all 1,027,370 events with no pair in both" <| fun dir ->
            let split = LightGcnSplitReader.Read dir
            let all = InteractionLogs.Concat(split.Train, split.Test)
            Expect.equal all.Count 1_027_370 "events"
            Expect.equal all.DuplicatesMerged 0 "train and test are disjoint (SOURCE.md)"
    ]
