/// 64-byte-aligned arrays and the flat parameter buffers laid out on them (reruns repeat bit for bit).
module Repro.Tests.AlignedArraysTests

open System
open Expecto
open Repro.Core
open Repro.Core.Training

[<Tests>]
let alignedArrays =
    testList "Training.AlignedArrays" [
        testProperty "arrays start on a 64-byte boundary, zeroed, of the asked length" <| fun (size: uint16) ->
            let length = int size + 1
            let a = AlignedArrays.Allocate(int64 length)
            a.Length = length && AlignedArrays.IsAligned a && Array.forall ((=) 0.0f) a

        testCase "a very large array costs a few copies, not 65 (the pinned heap places it at a fixed offset)" <| fun () ->
            // 25M floats (100 MB), Mult-VAE's parameter size on ML-20M. Before the fix every such
            // array took 65 attempts, all held until the last: 6.5 GB allocated here.
            let length = 25_000_000
            let before = GC.GetAllocatedBytesForCurrentThread()
            let a = AlignedArrays.Allocate(int64 length)
            let allocated = GC.GetAllocatedBytesForCurrentThread() - before
            Expect.equal a.Length length "length"
            Expect.isLessThanOrEqual allocated (int64 (AlignedArrays.SameMissesToStop + 1) * int64 length * 4L + 1_000_000L)
                (sprintf "allocated %d bytes for a %d-byte array" allocated (int64 length * 4L))

        testCase "parameter segments start on 64-byte boundaries and count only parameters" <| fun () ->
            TorchRuntime.EnsureLoaded 2
            use p = new FlatParameters([| ("w", 3, 7, true); ("b", 1, 5, false); ("w2", 5, 3, true) |])
            for s in p.Segments do
                Expect.equal (s.Offset % int64 AlignedArrays.AlignmentFloats) 0L (sprintf "%s starts on a block" s.Name)
            Expect.isTrue (AlignedArrays.IsAligned p.Data) "the array itself is aligned"
            Expect.equal p.Count (21L + 5L + 15L) "gaps are not parameters"
    ]
