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

[<Tests>]
let weakValidationTests =
    testList "Protocols.WeakValidation" [
        testProperty "carving splits each training row into disjoint fit and validation parts that make it up" <| fun (seed: int) ->
            let rnd = System.Random seed
            let users, items = 30, 50
            let rows = [| for u in 0 .. users - 1 do for i in 0 .. items - 1 do if rnd.NextDouble() < 0.3 then yield u, i |]
            let train = Repro.Core.Sparse.CsrMatrix.FromPairs(users, items, System.ReadOnlySpan(Array.map fst rows), System.ReadOnlySpan(Array.map snd rows))
            let carved = Repro.Core.Protocols.WeakValidation.Carve(train, 0.2)
            for u in 0 .. users - 1 do
                let whole = train.Row(u).ToArray() |> Set.ofArray
                let fit = carved.Fit.Row(u).ToArray() |> Set.ofArray
                let target = carved.Validation.Target.Row(u).ToArray() |> Set.ofArray
                Expect.isEmpty (Set.intersect fit target) "disjoint"
                Expect.equal (Set.union fit target) whole "together the training row"
                let n = whole.Count
                Expect.equal target.Count (if n >= 5 then int (0.2 * float n) else 0) "int(0.2 n) carved"
                Expect.equal (carved.Validation.FoldIn.Row(u).ToArray() |> Set.ofArray) fit "validation input is the fit row"
    ]
