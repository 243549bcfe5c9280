module Repro.Tests.DatasetStatisticsTests

open System.IO
open Expecto
open Repro.Core.Protocols
open Repro.Tests.ProtocolTestData
open Repro.Tests.StrongGeneralizationTests

[<Tests>]
let tests =
    testList "Protocols.DatasetStatistics" [
        testCase "hand-checked counts of the ten-user split" <| fun () ->
            let log = handCheckedLog ()
            let s = DatasetStatistics.Compute(log, StrongGeneralization.Split(log, HeldOutUsers 2))
            // 1 + 30 + 7 + 7 + 23 + 10 + 4 = 82 events over 32 items (100..129, 150, 999).
            Expect.equal (s.Users, s.Items, s.Events) (10, 32, 82L) "log"
            Expect.floatClose Accuracy.veryHigh s.Density (82.0 / (10.0 * 32.0)) "density over all items"
            Expect.floatClose Accuracy.veryHigh s.DensityOverVocabulary (82.0 / (10.0 * 30.0)) "density over the vocabulary"
            Expect.equal (s.TrainingUsers, s.VocabularyItems, s.TrainingEvents) (6, 30, 37L) "training"
            Expect.equal s.Validation (HeldOutStatistics(2, 2, 0, 25L, 5L)) "validation: 19 + 6 fold-in, 4 + 1 targets"
            Expect.equal s.Test (HeldOutStatistics(2, 1, 1, 11L, 2L)) "test: 8 + 3 fold-in, 2 targets"
            Expect.equal s.HeldOutEventsDropped 2L "items 150 and 999"

        SharedData.testWithData "ml-100k" "ML-100K statistics match the reference split's line counts" <| fun dir ->
            let log = Preprocessing.ExplicitRatings.Filter(readUData (Path.Combine(dir, "u.data")))
            let s = DatasetStatistics.Compute(log, StrongGeneralization.Split(log, HeldOutUsers 100))
            Expect.equal (s.Users, s.Items, s.Events, s.TrainingUsers, s.VocabularyItems) (938, 1447, 55361L, 738, 1415) "counts"
            // Reference files minus their header line: train 43,606; validation 4,839 + 1,161; test 4,612 + 1,105.
            Expect.equal s.TrainingEvents 43606L "train.csv"
            Expect.equal s.Validation (HeldOutStatistics(100, 100, 0, 4839L, 1161L)) "validation"
            Expect.equal s.Test (HeldOutStatistics(100, 100, 0, 4612L, 1105L)) "test"
            Expect.equal s.HeldOutEventsDropped 38L "held-out events on items no training user has"

        testCase "a split from another log is refused" <| fun () ->
            let log = handCheckedLog ()
            let other = randomLog 1 40 10
            Expect.throwsT<System.ArgumentException> (fun () -> DatasetStatistics.Compute(other, StrongGeneralization.Split(log, HeldOutUsers 2)) |> ignore) "user counts differ"
    ]
