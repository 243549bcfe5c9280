module Repro.Tests.WeakGeneralizationTests

open System
open Expecto
open Repro.Core.Protocols
open Repro.Tests.StrongGeneralizationTests

[<Tests>]
let tests =
    testList "Protocols.WeakGeneralizationSplit" [
        testCase "hand-checked: train and test rows keep file order and users without test items stay" <| fun () ->
            // User 0: train 2 0, test 1. User 1: train 1, no test. User 2: train 0, test 2 0 (0 also in train).
            let split = WeakGeneralizationSplit.FromPairs([| 0; 2; 1; 0 |], [| 2; 0; 1; 0 |], [| 2; 0; 2 |], [| 2; 1; 0 |])
            Expect.equal (split.Users, split.Items) (3, 3) "sized by the largest codes"
            Expect.equal (rowsOf split.Train) [ [ 2; 0 ]; [ 1 ]; [ 0 ] ] "train"
            Expect.equal (rowsOf split.Test) [ [ 1 ]; []; [ 2; 0 ] ] "test"
            Expect.equal (split.UsersWithTest, split.UsersWithoutTest) (2, 1) "user 1 has no test items but is kept"
            Expect.equal split.TestPairsAlsoInTrain 1 "(2, 0) is in both"

        testCase "an explicit shape keeps users and items that have no pairs" <| fun () ->
            let split = WeakGeneralizationSplit.FromPairs(5, 7, [| 0 |], [| 1 |], [| 0 |], [| 2 |])
            Expect.equal (split.Train.Rows, split.Test.Columns, split.UsersWithoutTest) (5, 7, 4) "shape"

        testCase "a repeated pair within train is rejected" <| fun () ->
            let e = Expect.throwsC (fun () -> WeakGeneralizationSplit.FromPairs([| 0; 0 |], [| 1; 1 |], [||], [||]) |> ignore) id
            Expect.stringContains e.Message "(user 0, item 1)" "names the pair"

        testCase "train and test must share a shape" <| fun () ->
            let a = Repro.Core.Sparse.CsrMatrix.FromPairs(2, 3, ReadOnlySpan [| 0 |], ReadOnlySpan [| 1 |])
            let b = Repro.Core.Sparse.CsrMatrix.FromPairs(3, 3, ReadOnlySpan [| 0 |], ReadOnlySpan [| 1 |])
            Expect.throwsT<ArgumentException> (fun () -> WeakGeneralizationSplit(a, b) |> ignore) "rows differ"
    ]
