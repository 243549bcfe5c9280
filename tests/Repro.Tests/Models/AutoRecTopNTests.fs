/// AutoRec for top-N on 0/1 data (spec seed-models 4.4): the all-observed loss, I-AutoRec's ridge
/// fold-in of a held-out user's output row, and U-AutoRec's inductive scoring.
module Repro.Tests.AutoRecTopNTests

open System
open Expecto
open Repro.Core
open Repro.Core.Models.AutoRec
open TorchSharp
open Repro.Tests.LinearModelFixtures

let private tight = { absolute = 1e-9; relative = 1e-9 }
let private codesOf (rows: float list list) = [| for r in rows do for v in r -> float32 v |]

/// (w, b) minimising sum_i (x_i - w . h_i - b)^2 + (lambda / 2)|w|^2 over all items, from its own
/// normal equations (one system per user, built from the objective term by term).
let private directRidge (codes: float32[]) (k: int) (lambda: float) (x: float[]) =
    let items = x.Length
    let z i j = if j < k then float codes.[i * k + j] else 1.0
    let a = Array2D.init (k + 1) (k + 1) (fun r s -> Seq.sum (seq { for i in 0 .. items - 1 -> z i r * z i s }) + (if r = s && r < k then lambda / 2.0 else 0.0))
    let rhs = Array.init (k + 1) (fun r -> Seq.sum (seq { for i in 0 .. items - 1 -> z i r * x.[i] }))
    let inv = invert a
    Array.init (k + 1) (fun r -> Seq.sum (seq { for s in 0 .. k -> inv.[r, s] * rhs.[s] }))

let private tiny = AutoRecTopNHyper(Hidden = 4, Lambda = 0.5, Iterations = 30, StepSize = 0.01)

[<Tests>]
let tests =
    testSequenced <| testList "Models.AutoRecTopN" [
        testCase "I-AutoRec's fold-in on a hand-checked case: codes 1, 2, 3, lambda 2, fold-in {2} give w = 1/3, b = -1/3" <| fun () ->
            // Normal equations: [14 + 1, 6; 6, 3] (w, b) = (3, 1), so w = 1/3, b = -1/3; and for fold-in
            // {0, 2}: right side (4, 2), so w = 0, b = 2/3.
            let codes = codesOf [ [ 1.0 ]; [ 2.0 ]; [ 3.0 ] ]
            let foldIn = csrOf 3 [ [ 2 ]; [ 0; 2 ] ]
            let got = AutoRecTopN.FoldInOutputRows(ReadOnlySpan codes, 1, 2.0, foldIn, ReadOnlySpan(allRows foldIn))
            Expect.floatClose tight got.[0] (1.0 / 3.0) "w of fold-in {2}"
            Expect.floatClose tight got.[1] (-1.0 / 3.0) "b of fold-in {2} (not decayed)"
            Expect.floatClose tight got.[2] 0.0 "w of fold-in {0, 2}"
            Expect.floatClose tight got.[3] (2.0 / 3.0) "b of fold-in {0, 2}"

        testCase "I-AutoRec's shared ridge solve equals a direct solve of each user's regression over all items" <| fun () ->
            let rnd = Random 5
            let items, k, lambda = 12, 4, 0.7
            let codes = Array.init (items * k) (fun _ -> float32 (rnd.NextDouble()))
            let foldIn = csrOf items [ [ 1; 4; 7 ]; [ 0 ]; []; [ 2; 3; 5; 8; 11 ] ]
            let got = AutoRecTopN.FoldInOutputRows(ReadOnlySpan codes, k, lambda, foldIn, ReadOnlySpan(allRows foldIn))
            for u in 0 .. foldIn.Rows - 1 do
                let x = Array.init items (fun i -> if Array.contains i (foldIn.Row(u).ToArray()) then 1.0 else 0.0)
                let expected = directRidge codes k lambda x
                for r in 0 .. k do
                    Expect.floatClose { absolute = 1e-9; relative = 1e-7 } got.[u * (k + 1) + r] expected.[r] (sprintf "user %d coefficient %d" u r)

        testCase "a singular fold-in system (lambda 0, fewer items than codes) is refused, naming lambda" <| fun () ->
            let codes = codesOf [ [ 1.0; 0.5; 0.2 ]; [ 0.3; 0.1; 0.9 ] ]
            let foldIn = csrOf 2 [ [ 0 ] ]
            let e = Expect.throwsC (fun () -> AutoRecTopN.FoldInOutputRows(ReadOnlySpan codes, 3, 0.0, foldIn, ReadOnlySpan(allRows foldIn)) |> ignore) id
            Expect.stringContains e.Message "lambda" "names lambda"
            Expect.stringContains e.Message "singular" "says what is wrong"

        testCase "a fitted I-AutoRec scores a held-out user as its ridge output row on the item codes fitted from training users" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            let train = randomCsr 3 40 12 0.3
            use model = AutoRecTopN.Fit(train, AutoRecKind.ItemBased, tiny, 7UL)
            Expect.equal model.Codes.Length (12 * tiny.Hidden) "one code per item"
            let foldIn = csrOf 12 [ [ 1; 4; 7 ]; [ 0; 9 ] ]
            let codes = model.Codes.ToArray()
            let rows = AutoRecTopN.FoldInOutputRows(ReadOnlySpan codes, tiny.Hidden, tiny.Lambda, foldIn, ReadOnlySpan(allRows foldIn))
            let scores = scoreAll model foldIn
            let k = tiny.Hidden
            for u in 0 .. 1 do
                let x = Array.init 12 (fun i -> if Array.contains i (foldIn.Row(u).ToArray()) then 1.0 else 0.0)
                let direct = directRidge codes k tiny.Lambda x
                for i in 0 .. 11 do
                    let expected = Seq.sum (seq { for r in 0 .. k - 1 -> rows.[u * (k + 1) + r] * float codes.[i * k + r] }) + rows.[u * (k + 1) + k]
                    Expect.floatClose { absolute = 1e-5; relative = 1e-4 } (float scores.[u * 12 + i]) expected (sprintf "user %d item %d" u i)
                    let fromDirect = Seq.sum (seq { for r in 0 .. k - 1 -> direct.[r] * float codes.[i * k + r] }) + direct.[k]
                    Expect.floatClose { absolute = 1e-5; relative = 1e-4 } (float scores.[u * 12 + i]) fromDirect (sprintf "user %d item %d, direct solve" u i)

        testCase "U-AutoRec is inductive: a held-out user's scores depend only on its fold-in row" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            let train = randomCsr 4 40 12 0.3
            use model = AutoRecTopN.Fit(train, AutoRecKind.UserBased, tiny, 9UL)
            let mine = [ 1; 4; 7 ]
            let alone = scoreAll model (csrOf 12 [ mine ])
            let first = scoreAll model (csrOf 12 [ mine; [ 0; 2 ]; [ 3; 5; 6; 8; 11 ] ])
            let last = scoreAll model (csrOf 12 [ [ 9 ]; []; mine ])
            for i in 0 .. 11 do
                Expect.floatClose { absolute = 1e-6; relative = 1e-5 } (float first.[i]) (float alone.[i]) (sprintf "item %d, first of three" i)
                Expect.floatClose { absolute = 1e-6; relative = 1e-5 } (float last.[24 + i]) (float alone.[i]) (sprintf "item %d, last of three" i)
            let other = scoreAll model (csrOf 12 [ [ 1; 4 ] ])
            Expect.isTrue (Array.exists2 (fun (a: float32) b -> abs (a - b) > 1e-4f) alone other) "another fold-in row scores differently"

        testCase "the all-observed loss counts every zero: it is the masked loss with a mask of ones, and larger than the observed-only loss" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            use net = new AutoRecNetwork(AutoRecHyper(Hidden = 3, Lambda = 0.5), 4, 7UL)
            let x = torch.tensor([| 1f; 0f; 1f; 0f; 0f; 1f; 1f; 0f |]).reshape(2L, 4L)
            use _ = torch.no_grad()
            let all = net.Loss(x).item<float32>()
            Expect.floatClose { absolute = 1e-6; relative = 1e-6 } (float all) (float (net.Loss(x, torch.ones_like x).item<float32>())) "mask of ones"
            let residual = net.Forward(x).sub(x: torch.Tensor)
            let decay = net.Weights |> Seq.sumBy (fun w -> float (w.square().sum().item<float32>()))
            Expect.floatClose { absolute = 1e-5; relative = 1e-5 } (float all) (float (residual.square().sum().item<float32>()) + 0.25 * decay) "sum of squares over all entries + (lambda / 2) |W|^2"
            Expect.isGreaterThan all (net.Loss(x, x).item<float32>()) "the zeros add to the observed-only loss"

        testCase "the loss falls over the RProp iterations, for both kinds" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            let train = randomCsr 6 40 12 0.3
            for kind in [ AutoRecKind.ItemBased; AutoRecKind.UserBased ] do
                let losses = Collections.Generic.List<float>()
                use _model = AutoRecTopN.Fit(train, kind, tiny, 3UL, Action<int, float>(fun _ l -> losses.Add l))
                Expect.equal losses.Count tiny.Iterations "one loss per iteration"
                Expect.isLessThan losses.[losses.Count - 1] (0.5 * losses.[0]) (sprintf "%A: last below half the first" kind)
    ]
