/// A minibatch of sparse rows: L2 normalisation and dropout on the nonzeros.
module Repro.Tests.SparseBatchTests

open System
open Expecto
open Repro.Core.Training
open Repro.Tests.StructuredData

[<Tests>]
let sparseBatch =
    testList "Training.SparseBatch" [
        testCase "dropout acts on the nonzeros after normalisation: kept entries are x / (keep ||x||), about keep of them" <| fun () ->
            let batch = SparseBatch()
            let data = csr 10_000 [ [ 0 .. 9_999 ] ]
            batch.Load(data, ReadOnlySpan [| 0 |], 0.5, SeededRandom(1UL))
            let kept = batch.InputCount
            Expect.isLessThan (abs (float kept / 10_000.0 - 0.5)) 0.03 "about half kept"
            for k in 0 .. kept - 1 do
                Expect.floatClose Accuracy.high (float batch.InputValue.[k]) (2.0 / 100.0) "scaled by 1 / keep"
            Expect.equal (batch.TargetStart.[1]) 10_000 "the target stays whole"
    ]
