/// Popularity: every user gets the training-user count of each item.
module Repro.Tests.PopularityTests

open System
open System.IO
open Expecto
open Repro.Core.Sparse
open Repro.Core.Metrics
open Repro.Core.Models
open Repro.Tests.LinearModelFixtures
open Repro.Core.Models.Popularity


[<Tests>]
let tests =
    testSequenced <| testList "Models.Popularity" [
        testCase "scores every user with the training-user count of each item" <| fun () ->
            let train = csrOf 4 [ [ 0; 1 ]; [ 1; 2 ]; [ 1 ] ]
            use model = Popularity.Fit train
            let scores = scoreAll model (csrOf 4 [ [ 3 ]; [] ])
            Expect.equal scores [| 1f; 3f; 1f; 0f; 1f; 3f; 1f; 0f |] "counts 1, 3, 1, 0 for both users"
    ]
