/// BPR-MF (spec 2): the pairwise loss and its gradients against a hand computation and finite
/// differences, the October 2020 sampler (one negative per positive, never a positive), fold-in with
/// the item factors frozen, and resuming from a saved state.
module Repro.Tests.BprMfTests

open System
open Expecto
open Repro.Core
open Repro.Core.Sparse
open Repro.Core.Models.BprMf
open Repro.Core.Training
open Repro.Tests.StructuredData
open Repro.Tests.TempFiles

let private hyper = BprMfHyper(Factors = 4, PairBatch = 16, BatchSize = 64, Epochs = 1, LearningRate = 0.05, FoldInEpochs = 10, FoldInLearningRate = 0.05)

let private allRows (m: CsrMatrix) = [| 0 .. m.Rows - 1 |]

/// Factors written into a model's buffer (P or Q), row-major.
let private set (buffer: FlatParameters) (name: string) (values: float32[]) = values.AsSpan().CopyTo(buffer.Span name)

let private softplus (x: float) = log (1.0 + exp x)

[<Tests>]
let tests =
    testSequenced <| testList "Models.BprMf" [
        testCase "the loss and gradients of a hand-set two-pair case equal the values worked out by hand" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            let data = csr 3 [ [ 0 ]; [ 1 ] ]
            use model = new BprMf(3, BprMfHyper(Factors = 2, PairBatch = 8), 1UL)
            model.TrainStep(data, ReadOnlySpan [| 0; 1 |]) |> ignore // creates P for two users
            set model.P "P" [| 1.0f; 0.0f; 0.5f; -1.0f |]
            set model.Q "Q" [| 1.0f; 2.0f; 0.0f; -1.0f; 2.0f; 0.0f |]
            // Pairs (u, i, j): (0, 0, 2) and (1, 1, 0).
            // x0 = p0 . (q0 - q2) = (1, 0) . (-1, 2) = -1;  x1 = p1 . (q1 - q0) = (0.5, -1) . (-1, -3) = 2.5.
            let loss = model.PairBatchGradients(ReadOnlySpan [| 0; 1 |], ReadOnlySpan [| 0; 1 |], ReadOnlySpan [| 2; 0 |])
            Expect.floatClose Accuracy.high loss (softplus 1.0 + softplus -2.5) "loss = softplus(-x0) + softplus(-x1), summed"
            let s0, s1 = 1.0 / (1.0 + exp -1.0), 1.0 / (1.0 + exp 2.5) // sigmoid(-x): the weight of each pair's gradient
            let gp = model.PGradient.Span("P").ToArray() |> Array.map float
            let gq = model.QGradient.Span("Q").ToArray() |> Array.map float
            let close (actual: float[]) (expected: float list) what =
                List.iteri (fun k e -> Expect.floatClose Accuracy.medium actual.[k] e (sprintf "%s[%d]" what k)) expected
            close gp [ -s0 * -1.0; -s0 * 2.0; -s1 * -1.0; -s1 * -3.0 ] "dP = -sigmoid(-x) (q_i - q_j)"
            // q0: positive of pair 0 (-s0 p0), negative of pair 1 (+s1 p1); q1: positive of pair 1; q2: negative of pair 0.
            close gq [ -s0 * 1.0 + s1 * 0.5; -s0 * 0.0 + s1 * -1.0; -s1 * 0.5; -s1 * -1.0; s0 * 1.0; s0 * 0.0 ] "dQ"

        for decay in [ 0.0; 0.3 ] do
          testCase (sprintf "gradients of a random batch match finite differences of its loss (weight decay %g: plus decay/2 |P|^2 + |Q|^2)" decay) <| fun () ->
            TorchRuntime.EnsureLoaded 1
            use model = new BprMf(items, BprMfHyper(Factors = 3, PairBatch = 4096, WeightDecay = decay), 3UL)
            model.TrainStep(train, ReadOnlySpan(allRows train)) |> ignore
            // Scale the N(0, 1) start down so that the sigmoids are not saturated.
            for buffer, name in [ model.P, "P"; model.Q, "Q" ] do
                let s = buffer.Span name
                for k in 0 .. s.Length - 1 do s.[k] <- s.[k] * 0.3f
            let users, positives, negatives = [| 0; 1; 1; 7 |], [| train.Row(0).[0]; train.Row(1).[0]; train.Row(1).[1]; train.Row(7).[0] |], [| 40; 41; 41; 2 |]
            let squares (name: string) (buffer: FlatParameters) = buffer.Span(name).ToArray() |> Array.sumBy (fun x -> float x * float x)
            let lossAt () =
                let loss = model.PairBatchGradients(ReadOnlySpan users, ReadOnlySpan positives, ReadOnlySpan negatives)
                model.AddWeightDecay()
                loss + decay / 2.0 * (squares "P" model.P + squares "Q" model.Q)
            lossAt () |> ignore
            let analytic = dict [ "P", model.PGradient.Span("P").ToArray(); "Q", model.QGradient.Span("Q").ToArray() ]
            let checkedRows = dict [ "P", [ 0; 1; 7; 3 ]; "Q", [ yield! positives; 40; 41; 2; 60 ] ]
            for buffer, name in [ model.P, "P"; model.Q, "Q" ] do
                for row in checkedRows.[name] do
                    for k in 0 .. 2 do
                        let idx = row * 3 + k
                        let keep = buffer.Span(name).[idx]
                        let at (x: float32) =
                            buffer.Span(name).[idx] <- x
                            lossAt ()
                        let eps = 1e-2f
                        let numeric = (at (keep + eps) - at (keep - eps)) / (2.0 * float eps)
                        buffer.Span(name).[idx] <- keep
                        let a = float analytic.[name].[idx]
                        Expect.isLessThan (abs (numeric - a)) (1e-3 + 1e-2 * abs numeric) $"d loss / d {name}[{row},{k}]: analytic {a} vs numeric {numeric}"

        testCase "weight decay moves a row the batch does not touch by PyTorch Adam's first step, lr * sign(theta); without it the row stays" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            // User 0 has no positives: its p_0 gets no BPR gradient, only decay * p_0.
            let data = csr 3 [ []; [ 0 ] ]
            for decay in [ 0.0; 0.1 ] do
                use model = new BprMf(3, BprMfHyper(Factors = 2, PairBatch = 8, LearningRate = 0.05, WeightDecay = decay), 1UL)
                model.TrainStep(data, ReadOnlySpan [| 0 |]) |> ignore // creates P; no pair, no update
                Expect.equal model.Updates 0L "no update yet"
                set model.P "P" [| 2.0f; -0.5f; 0.0f; 0.0f |]
                model.TrainStep(data, ReadOnlySpan [| 1 |]) |> ignore
                Expect.equal model.Updates 1L "one update"
                let p0 = model.P.Span("P").Slice(0, 2).ToArray()
                // First Adam step: m_hat = g, v_hat = g^2, so theta moves by lr * g / (|g| + 1e-8).
                let expected = if decay = 0.0 then [| 2.0f; -0.5f |] else [| 2.0f - 0.05f; -0.5f + 0.05f |]
                Expect.floatClose Accuracy.medium (float p0.[0]) (float expected.[0]) (sprintf "p_0[0] at decay %g" decay)
                Expect.floatClose Accuracy.medium (float p0.[1]) (float expected.[1]) (sprintf "p_0[1] at decay %g" decay)

        testCase "weight decay shrinks a held-out user's fitted p_v" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            // Untrained models from one seed share Q; only the fold-in's decay differs.
            use plain = new BprMf(items, hyper, 5UL)
            use decayed = new BprMf(items, BprMfHyper(Factors = 4, PairBatch = 16, BatchSize = 64, Epochs = 1, LearningRate = 0.05, FoldInEpochs = 10, FoldInLearningRate = 0.05, WeightDecay = 1.0), 5UL)
            Expect.sequenceEqual decayed.Q.Data plain.Q.Data "the same Q"
            for r in 0 .. 4 do
                let positives = validation.FoldIn.Row(r).ToArray()
                let fit (m: BprMf) =
                    let v = Array.zeroCreate<float32> 4
                    m.FitUser(ReadOnlySpan positives, Span v)
                    v |> Array.sumBy (fun x -> float x * float x) |> sqrt
                Expect.isLessThan (fit decayed) (fit plain) (sprintf "row %d: |p_v| with decay below without" r)

        testCase "the sampler never draws a positive, draws one negative per positive, and reaches every non-positive about equally" <| fun () ->
            let positives = [| 0; 3; 4; 9 |]
            let random = SeededRandom 17UL
            let mark = Array.zeroCreate<bool> 10
            let counts = Array.zeroCreate<int> 10
            let negatives = Array.create 6 -1
            for _ in 1 .. 6000 do
                BprMf.SampleNegatives(ReadOnlySpan positives, 10, random, mark, Span(negatives, 0, 4))
                for j in negatives.[0 .. 3] do counts.[j] <- counts.[j] + 1
                Expect.sequenceEqual negatives.[4 ..] [ -1; -1 ] "nothing written past the positives' count"
            Expect.isTrue (Array.forall not mark) "the marks are left clear"
            for i in positives do Expect.equal counts.[i] 0 (sprintf "positive %d never drawn" i)
            // 24,000 draws over 6 non-positives: 4,000 each, standard deviation about 58.
            for j in [ 1; 2; 5; 6; 7; 8 ] do Expect.isLessThan (abs (counts.[j] - 4000)) 300 (sprintf "item %d drawn %d times" j counts.[j])
            Expect.throws (fun () -> BprMf.SampleNegatives(ReadOnlySpan [| 0 .. 9 |], 10, random, mark, Span(Array.zeroCreate 10))) "a row with every item has no negative"

        testCase "a training step forms one pair per positive of its users: with one pair per update it takes exactly that many updates" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            // User 2 has every item (no negative exists) and user 3 none: neither forms pairs.
            let data = csr 6 [ [ 0; 2 ]; [ 1; 3; 5 ]; [ 0 .. 5 ]; []; [ 4 ] ]
            use model = new BprMf(6, BprMfHyper(Factors = 2, PairBatch = 1), 2UL)
            model.TrainStep(data, ReadOnlySpan [| 0; 1; 2; 3; 4 |]) |> ignore
            Expect.equal model.Updates 6L "2 + 3 + 1 positives, one negative each"
            use batched = new BprMf(6, BprMfHyper(Factors = 2, PairBatch = 4), 2UL)
            batched.TrainStep(data, ReadOnlySpan [| 0; 1; 2; 3; 4 |]) |> ignore
            Expect.equal batched.Updates 2L "6 pairs in batches of 4: two updates, the last short"

        testCase "fold-in leaves the item and user factors unchanged, and a row's fitted p_v does not depend on the rows scored with it" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            use model = new BprMf(items, hyper, 5UL)
            for _ in 1 .. 5 do model.TrainStep(train, ReadOnlySpan(allRows train)) |> ignore
            let q, p = model.Q.Data.Clone() :?> float32[], model.P.Data.Clone() :?> float32[]
            let all = Array.zeroCreate<float32> (validation.FoldIn.Rows * items)
            model.Score(validation.FoldIn, ReadOnlySpan(allRows validation.FoldIn), Span all)
            Expect.sequenceEqual model.Q.Data q "Q unchanged by fold-in"
            Expect.sequenceEqual model.P.Data p "P unchanged by fold-in"
            let one = Array.zeroCreate<float32> items
            model.Score(validation.FoldIn, ReadOnlySpan [| 7 |], Span one)
            // p_v is the same bit for bit; the product with Q may round differently for 1 row and 60 (MKL's kernels).
            let inBatch = all.[7 * items .. 8 * items - 1]
            for i in 0 .. items - 1 do
                if Single.IsNegativeInfinity inBatch.[i] then Expect.equal one.[i] inBatch.[i] "the same items at -inf"
                else Expect.floatClose Accuracy.medium (float one.[i]) (float inBatch.[i]) (sprintf "row 7's score of item %d alone and among all rows" i)
            for i in validation.FoldIn.Row(7).ToArray() do Expect.equal one.[i] Single.NegativeInfinity "fold-in items get -inf"

        testCase "fold-in lowers the held-out user's BPR loss from p_v = 0, and 0 fold-in epochs leave p_v at 0" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            use model = new BprMf(items, hyper, 5UL)
            for _ in 1 .. 5 do model.TrainStep(train, ReadOnlySpan(allRows train)) |> ignore
            let random = SeededRandom 3UL
            for r in 0 .. 9 do
                let positives = validation.FoldIn.Row(r).ToArray()
                let negatives = Array.zeroCreate<int> positives.Length
                BprMf.SampleNegatives(ReadOnlySpan positives, items, random, Array.zeroCreate items, Span negatives)
                let fitted = Array.zeroCreate<float32> 4
                model.FitUser(ReadOnlySpan positives, Span fitted)
                let atZero = model.PairLoss(ReadOnlySpan(Array.zeroCreate<float32> 4), ReadOnlySpan positives, ReadOnlySpan negatives)
                Expect.floatClose Accuracy.high atZero (float positives.Length * log 2.0) "p_v = 0: log 2 per pair"
                Expect.isLessThan (model.PairLoss(ReadOnlySpan fitted, ReadOnlySpan positives, ReadOnlySpan negatives)) atZero (sprintf "row %d: fitted below p_v = 0" r)
            use none = new BprMf(items, BprMfHyper(Factors = 4, FoldInEpochs = 0), 5UL)
            let v = Array.create 4 1.0f
            none.FitUser(validation.FoldIn.Row(0), Span v)
            Expect.sequenceEqual v [ 0.0f; 0.0f; 0.0f; 0.0f ] "0 epochs: p_v = 0"

        testCase "a training state saved and loaded continues bit-identically" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            withFolder (fun dir ->
                let path = IO.Path.Combine(dir, "state.bin")
                let stepAll (m: BprMf) (seed: uint64) = m.Reseed seed; m.TrainStep(train, ReadOnlySpan(allRows train)) |> ignore
                use a = new BprMf(items, hyper, 9UL)
                stepAll a 1UL
                stepAll a 2UL
                a.SaveState path
                stepAll a 3UL
                use b = new BprMf(items, hyper, 0UL)
                b.LoadState path
                stepAll b 3UL
                Expect.sequenceEqual b.Q.Data a.Q.Data "Q after the third step"
                Expect.sequenceEqual b.P.Data a.P.Data "P after the third step"
                Expect.equal b.Updates a.Updates "Adam's step count")

        testCase "its settings are validated" <| fun () ->
            Expect.throws (fun () -> BprMfHyper(PairBatch = 0).Validate()) "pair batch 0"
            Expect.throws (fun () -> BprMfHyper(FoldInEpochs = -1).Validate()) "negative fold-in epochs"
            Expect.throws (fun () -> BprMfHyper(LearningRate = 0.0).Validate()) "learning rate 0"
            Expect.throws (fun () -> BprMfHyper(WeightDecay = -1e-3).Validate()) "negative weight decay"
            BprMfHyper.Paper.Validate()
            Expect.equal (BprMfHyper.Paper.Factors, BprMfHyper.Paper.LearningRate, BprMfHyper.Paper.PairBatch, BprMfHyper.Paper.Epochs) (64, 0.01, 4096, 300) "spec 2's conf/bprmf.json"
    ]
