/// Adam as TensorFlow runs it (the notebook's optimiser).
module Repro.Tests.TfAdamTests

open System
open Expecto
open Repro.Core
open Repro.Core.Training

[<Tests>]
let tfAdam =
    testList "Training.TfAdam" [
        testCase "Adam follows TF's update: lr_t = lr sqrt(1 - b2^t) / (1 - b1^t), eps added to sqrt(v)" <| fun () ->
            TorchRuntime.EnsureLoaded 2
            use p = new FlatParameters([| ("w", 1, 3, true); ("b", 1, 2, false) |])
            use g = p.SameLayout()
            // Segments sit on 64-byte boundaries inside Data, so values go in through their spans.
            let setAll (f: FlatParameters) (w: float32[]) (b: float32[]) =
                w.AsSpan().CopyTo(f.Span "w")
                b.AsSpan().CopyTo(f.Span "b")
            let values (f: FlatParameters) = Array.append ((f.Span "w").ToArray()) ((f.Span "b").ToArray())
            setAll p [| 1.0f; -2.0f; 0.5f |] [| 3.0f; 0.0f |]
            setAll g [| 0.1f; 0.2f; -0.3f |] [| 1.0f; 0.0f |]
            let adam = TfAdam(p, g, 0.01)
            let start = values p
            let grads = values g
            adam.Step(0.5) |> ignore
            adam.Step(0.5) |> ignore
            let after = values p
            // reference in doubles, parameter by parameter
            for i in 0 .. 4 do
                let mutable w, m, v = float start.[i], 0.0, 0.0
                for t in 1 .. 2 do
                    let gi = float grads.[i] + (if i < 3 then 2.0 * 0.5 * w else 0.0)
                    m <- 0.9 * m + 0.1 * gi
                    v <- 0.999 * v + 0.001 * gi * gi
                    let lrT = 0.01 * sqrt (1.0 - 0.999 ** float t) / (1.0 - 0.9 ** float t)
                    w <- w - lrT * m / (sqrt v + 1e-8)
                Expect.floatClose { absolute = 1e-6; relative = 1e-5 } (float after.[i]) w (sprintf "parameter %d" i)
    ]
