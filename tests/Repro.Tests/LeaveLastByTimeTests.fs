module Repro.Tests.LeaveLastByTimeTests

open System.IO
open Expecto
open Repro.Core.Data
open Repro.Core.Data.Readers
open Repro.Core.Protocols
open Repro.Core.Metrics
open Repro.Core.Models
open Repro.Tests.StrongGeneralizationTests

/// Lines "user,item,rating,time" written to a temporary amusic.rating and read.
let private read (lines: string list) =
    TempFiles.withFile "amusic.rating" (String.concat "\n" lines + "\n") LocaRatingReader.Read

/// One user (id 7) with the given (item, time) events, in file order.
let private user7 (events: (int * int) list) = [ for item, time in events -> sprintf "7,%d,5,%d" item time ]

[<Tests>]
let tests =
    testList "Protocols.LeaveLastByTimeSplit" [
        testCase "the last 5 by time are test, the 5 before validation, the rest training; the test input is training plus validation" <| fun () ->
            // Items 100..111 at times in reverse file order: time order is items 111, 110, ..., 100.
            let events = read (user7 [ for i in 0 .. 11 -> 100 + i, 1000 - i ])
            let split = LeaveLastByTimeSplit.Build events
            let item (code: int) = int events.ItemIds.[code]
            let rowItems (m: Repro.Core.Sparse.CsrMatrix) = rowsOf m |> List.head |> List.map item |> List.sort
            Expect.equal (rowItems split.TestTarget) [ 100 .. 104 ] "test: the 5 latest"
            Expect.equal (rowItems split.ValidationTarget) [ 105 .. 109 ] "validation: the 5 before"
            Expect.equal (rowItems split.Train) [ 110; 111 ] "training: the rest"
            Expect.equal (rowItems split.TestFoldIn) [ 105 .. 111 ] "test input: training and validation"

        testCase "leave-5-by-time-refit trains again on the training rows plus the validation targets, never the test ones" <| fun () ->
            let events = read (user7 [ for i in 0 .. 11 -> 100 + i, 1000 - i ])
            let data = Repro.Harness.RunData.leaveLastByTime "amusic" (LeaveLastByTimeSplit.Build events)
            let item (code: int) = int events.ItemIds.[code]
            let rowItems (m: Repro.Core.Sparse.CsrMatrix) = rowsOf m |> List.head |> List.map item |> List.sort
            let trained = Repro.Harness.Refit.data Repro.Harness.LeaveLastByTimeRefit data { Epoch = Some 3; ValidationNdcg = 0.5 }
            Expect.equal (rowItems data.Train) [ 110; 111 ] "the selection run trains on the training rows"
            Expect.equal (rowItems trained.Train) [ 105 .. 111 ] "the refit on those plus the validation targets"
            Expect.equal (rowItems trained.TestFoldIn) [ 105 .. 111 ] "its test input is unchanged"
            Expect.equal (rowItems trained.TestTarget) [ 100 .. 104 ] "and so are its test targets"
            Expect.stringContains trained.Protocol "leave-5-by-time-refit, refit: trained on the training rows plus the validation events for the 3 epochs selected" "run.json says how it trained"
            let fitted = Repro.Harness.Refit.data Repro.Harness.LeaveLastByTimeRefit data { Epoch = None; ValidationNdcg = 0.5 }
            Expect.equal (rowItems fitted.Train) [ 105 .. 111 ] "a fitted model's refit too"
            Expect.stringContains fitted.Protocol "fitted on the training rows plus the validation events at the settings" "without an epoch count"

        testCase "ties in time keep file order (a stable sort), so the later line is later" <| fun () ->
            // All 10 events at one time: file order decides; the last 5 lines are test.
            let split = LeaveLastByTimeSplit.Build(read (user7 [ for i in 0 .. 9 -> 200 + i, 5 ]))
            let items = rowsOf split.TestTarget |> List.head |> List.sort
            Expect.equal items [ 5 .. 9 ] "codes 5..9 are items 205..209, the last five lines"
            Expect.equal split.UsersWithTieAtTestCut 1 "the cut falls inside a tie"

        testCase "users with fewer than 10 events are dropped; the item space keeps every item of the file" <| fun () ->
            let lines = user7 [ for i in 0 .. 9 -> i, i ] @ [ for i in 0 .. 8 -> sprintf "8,%d,1,%d" (50 + i) i ]
            let split = LeaveLastByTimeSplit.Build(read lines)
            Expect.equal (split.Users, split.Items, split.Events) (1, 19, 10) "user 8 has 9 events; its 9 items stay as columns"
            Expect.equal split.UserIds [| "7" |] "user 7 kept"
            Expect.equal split.Train.NonZeros 0 "10 events: all in validation and test, none left for training"

        testCase "a repeated item counts for the cut and appears once in a matrix; in both test and input it is counted" <| fun () ->
            // Item 1 at times 1 and 11 (the latter in test); 12 events.
            let split = LeaveLastByTimeSplit.Build(read (user7 ([ for i in 1 .. 11 -> i, i ] @ [ 1, 12 ])))
            Expect.equal split.Events 12 "every line counts"
            Expect.equal split.TestTarget.NonZeros 5 "items 8, 9, 10, 11, 1"
            Expect.equal split.TestEventsInFoldIn 1 "item 1 is also in the training row"
            let repeated = LeaveLastByTimeSplit.Build(read (user7 ([ for i in 1 .. 10 -> i, i ] @ [ 10, 11; 12, 12 ])))
            Expect.equal (repeated.TestTarget.RowLength 0) 4 "the last five events are items 8, 9, 10, 10 and 12: 4 distinct items"
            Expect.equal (repeated.TestTarget.RowValues(0).ToArray() |> Array.sum) 5.0f "valued by events: 5, as LOCA's test list"

        testCase "a malformed line names the file and the line" <| fun () ->
            let e = Expect.throwsC (fun () -> read [ "1,2,5,100"; "1,x,5,100" ] |> ignore) id
            Expect.stringContains e.Message "amusic.rating:2:" "file:line"
            Expect.stringContains e.Message "integer item id" "what was expected"
            let e = Expect.throwsC (fun () -> read [ "1,2,5" ] |> ignore) id
            Expect.stringContains e.Message ":1: expected 4 comma-separated fields" "field count"
            let e = Expect.throwsC (fun () -> read [ "1,2,5,1.5" ] |> ignore) id
            Expect.stringContains e.Message "integer timestamp" "timestamp"

        SharedData.testWithData "amusic" "AMusic: LOCA's counts after the filter (4,964 users, 11,797 items, 97,439 events) and the cut's artefacts (spec 1.8 item 7)" <| fun dir ->
            let events = LocaRatingReader.Read(Path.Combine(dir, "amusic.rating"))
            Expect.equal events.Count 169_781 "lines"
            let split = LeaveLastByTimeSplit.Build events
            Expect.equal (split.Users, split.Items, split.Events) (4_964, 11_797, 97_439) "LOCA README's figures"
            Expect.equal split.UsersWithTieAtTestCut 3_574 "users whose cut falls in a timestamp tie"
            Expect.equal split.TestEventsInFoldIn 1_193 "test entries whose item is already in the input"
            for r in 0 .. split.Users - 1 do
                if split.TestTarget.RowLength r < 1 || split.ValidationTarget.RowLength r < 1 then failtestf "row %d lacks targets" r

        SharedData.testWithData "amusic" "AMusic: EASE (lambda 100) on everything before the test events gives the authors' code's numbers under LOCA's metrics (spec 1.4)" <| fun dir ->
            // The authors' code, run unchanged, gives NDCG@100 0.0821, Recall@20 0.0720, Recall@100 0.1507.
            let split = LeaveLastByTimeSplit.Build(LocaRatingReader.Read(Path.Combine(dir, "amusic.rating")))
            use model = Repro.Core.Models.Ease.Ease.FitThroughUsers(split.TestFoldIn, Repro.Core.Models.Ease.EaseHyper(Lambda = 100.0))
            let metrics = [| MetricSpec.NdcgLoca 100; MetricSpec.RecallLoca 20; MetricSpec.RecallLoca 100 |]
            let result = Evaluator.Evaluate(model.AsBatchScorer(), split.TestFoldIn, split.TestTarget, metrics)
            let rounded (m: MetricSpec) = System.Math.Round(result.[m].Summary.Mean, 4)
            Expect.equal (metrics |> Array.map rounded) [| 0.0821; 0.0720; 0.1507 |] "NDCG@100, Recall@20, Recall@100 to the 4 decimals the authors' code prints"
    ]
