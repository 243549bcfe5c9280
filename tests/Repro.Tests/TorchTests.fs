module Repro.Tests.TorchTests

open Expecto
open TorchSharp
open Repro.Core

[<Tests>]
let tests =
    testSequenced <| testList "TorchRuntime" [
        testCase "libtorch loads and autograd gives the derivative of x^3 + 2x" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            use x = torch.tensor([| 1.0f; 2.0f; 3.0f |], requires_grad = true)
            use y = (x * x * x + x * 2.0f).sum()
            y.backward()
            let g = x.grad.data<float32>().ToArray()
            // d/dx (x^3 + 2x) = 3x^2 + 2
            Expect.floatClose Accuracy.high (float g.[0]) 5.0 "at x = 1"
            Expect.floatClose Accuracy.high (float g.[1]) 14.0 "at x = 2"
            Expect.floatClose Accuracy.high (float g.[2]) 29.0 "at x = 3"
    ]
