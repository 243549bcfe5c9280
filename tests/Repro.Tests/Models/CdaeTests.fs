/// CDAE (spec 2.3): the loss against a closed form written here, gradients against finite differences,
/// training, fold-in of held-out users' nodes, save/load and resume, and its hyperparameters.
module Repro.Tests.CdaeTests

open System
open System.IO
open System.Threading
open Expecto
open Repro.Core
open Repro.Core.Sparse
open Repro.Core.Data.Cache
open Repro.Core.Metrics
open Repro.Core.Models
open Repro.Core.Models.Cdae
open Repro.Core.Models.Popularity
open Repro.Core.Data.Synthetic
open Repro.Core.Protocols
open Repro.Core.Training
open Repro.Tests.TempFiles

// ------------------------------------------------------------------ data

open Repro.Tests.StructuredData

let private smallHyper epochs =
    CdaeHyper(Hidden = 8, BatchSize = 32, Epochs = epochs, LearningRate = 1e-2, WeightDecay = 0.01, FoldInSteps = 5, FoldInLearningRate = 0.05)

let private allRows (m: CsrMatrix) = [| 0 .. m.Rows - 1 |]

let private scoreAll (model: IRecommender) (foldIn: CsrMatrix) =
    let out = Array.zeroCreate<float32> (foldIn.Rows * model.Items)
    model.Score(foldIn, ReadOnlySpan(allRows foldIn), Span out)
    out

/// A few epochs of plain minibatch steps over the rows in order (no driver).
let private trainFor (model: Cdae) (data: CsrMatrix) (epochs: int) =
    let b = model.Hyper.BatchSize
    for _ in 1 .. epochs do
        for first in 0 .. b .. data.Rows - 1 do
            model.TrainStep(data, ReadOnlySpan([| first .. min data.Rows (first + b) - 1 |])) |> ignore

let private ndcg100 (model: IRecommender) (held: HeldOutSet) =
    let result = Evaluator.Evaluate(model.AsBatchScorer(), held.FoldIn, held.Target, [ MetricSpec.Ndcg 100 ], maxDegreeOfParallelism = 1)
    result.[MetricSpec.Ndcg 100].Summary.Mean

// ------------------------------------------------------------------ the closed form

/// The CDAE loss of spec 2.3 written out with plain F# arrays from the model's own parameters:
/// mean_u [sum_i c_ui / 2 (x_ui - f_ui)^2 + lambda ||V_u||^2] + lambda / BatchSize (||W||^2 + ||W'||^2),
/// f_u = tanh(tanh(x_u W + V_u + b) W'^T + b'), raw binary input, no dropout.
let private closedFormLoss (model: Cdae) (rows: int list list) =
    let k = model.Hyper.Hidden
    let n = model.Items
    let p name = model.Parameters.Span(name).ToArray() |> Array.map float
    let w, b, w2, b2 = p "W", p "b", p "W'", p "b'"
    let h = model.Hyper
    let lossOf (u: int) (row: int list) =
        let v = model.Nodes.Row(u).ToArray() |> Array.map float
        let hidden = Array.init k (fun j -> tanh (b.[j] + v.[j] + List.sumBy (fun i -> w.[i * k + j]) row))
        let f = Array.init n (fun i -> tanh (b2.[i] + Seq.sum (seq { for j in 0 .. k - 1 -> hidden.[j] * w2.[i * k + j] })))
        let squares =
            Seq.sum (seq { for i in 0 .. n - 1 ->
                            let x, c = (if List.contains i row then 1.0, h.PositiveConfidence else 0.0, h.NegativeConfidence)
                            c / 2.0 * (x - f.[i]) ** 2.0 })
        squares + h.WeightDecay * Array.sumBy (fun x -> x * x) v
    let mean = (rows |> List.mapi lossOf |> List.sum) / float rows.Length
    mean + h.WeightDecay / float h.BatchSize * (Array.sumBy (fun x -> x * x) w + Array.sumBy (fun x -> x * x) w2)

let private setParam (model: Cdae) (name: string) (values: float32[]) = values.AsSpan().CopyTo(model.Parameters.Span name)

[<Tests>]
let tests =
    testSequenced <| testList "Models.Cdae" [
        testCase "the loss of a hand-set tiny network equals the closed form written in the test" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            let rows = [ [ 0; 2 ]; [ 1 ]; [ 0; 3; 4 ] ]
            let data = csr 5 rows
            use model = new Cdae(5, CdaeHyper(Hidden = 2, BatchSize = 4, WeightDecay = 0.5, PositiveConfidence = 3.0, NegativeConfidence = 0.5), 1UL, trainingUsers = 3)
            setParam model "W" [| 0.1f; -0.2f; 0.3f; 0.4f; -0.5f; 0.6f; 0.7f; -0.8f; 0.9f; 1.0f |]
            setParam model "b" [| 0.05f; -0.05f |]
            setParam model "W'" [| 0.2f; 0.1f; -0.3f; 0.4f; 0.5f; -0.6f; 0.7f; 0.8f; -0.9f; 0.1f |]
            setParam model "b'" [| 0.0f; 0.1f; -0.1f; 0.2f; -0.2f |]
            [| 0.3f; -0.1f; 0.0f; 0.2f; -0.4f; 0.5f |].AsSpan().CopyTo(model.Nodes.Values.AsSpan())
            let loss = model.Evaluate(data, ReadOnlySpan [| 0; 1; 2 |])
            let expected = closedFormLoss model rows
            Expect.floatClose Accuracy.medium loss.Loss expected "loss = closed form"
            // The penalty by hand from the values set above:
            let penalty = 0.5 / 4.0 * (0.01 + 0.04 + 0.09 + 0.16 + 0.25 + 0.36 + 0.49 + 0.64 + 0.81 + 1.0 + 0.04 + 0.01 + 0.09 + 0.16 + 0.25 + 0.36 + 0.49 + 0.64 + 0.81 + 0.01)
                          + 0.5 * (0.09 + 0.01 + 0.0 + 0.04 + 0.16 + 0.25) / 3.0
            Expect.floatClose Accuracy.medium loss.Penalty penalty "penalty lambda / B (||W||^2 + ||W'||^2) + lambda mean ||V_u||^2"

        testCase "training gradients match finite differences of the loss" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            let data = csr 6 [ [ 0; 2 ]; [ 1; 5 ]; [ 3 ] ]
            let rows = [| 0; 1; 2 |]
            use model = new Cdae(6, CdaeHyper(Hidden = 3, BatchSize = 3, WeightDecay = 0.0), 3UL, trainingUsers = 3)
            model.ComputeGradients(data, ReadOnlySpan rows, 1.0, null) |> ignore
            for name in [ "W"; "b"; "W'"; "b'" ] do
                let analytic = model.Gradients.Span(name).ToArray()
                let p = model.Parameters.Span(name)
                for idx in 0 .. p.Length - 1 do
                    let keep = model.Parameters.Span(name).[idx]
                    let at (x: float32) =
                        model.Parameters.Span(name).[idx] <- x
                        model.Evaluate(data, ReadOnlySpan rows).NegLogLikelihood
                    let eps = 1e-2f
                    let numeric = (at (keep + eps) - at (keep - eps)) / (2.0 * float eps)
                    model.Parameters.Span(name).[idx] <- keep
                    Expect.isLessThan (abs (numeric - float analytic.[idx])) (2e-3 + 2e-2 * abs numeric) $"d loss / d {name}[{idx}]: analytic {analytic.[idx]} vs numeric {numeric}"

        testCase "the training loss falls on a small structured matrix, and each step moves only its users' nodes" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            use model = new Cdae(items, smallHyper 1, 5UL)
            model.TrainStep(train, ReadOnlySpan [| 0 .. 31 |]) |> ignore
            let before = model.Evaluate(train, ReadOnlySpan(allRows train)).Loss
            Expect.isTrue (model.Nodes.Row(0).ToArray() |> Array.exists (fun x -> x <> 0f)) "user 0 was in the batch: its node moved"
            Expect.isTrue (model.Nodes.Row(100).ToArray() |> Array.forall (fun x -> x = 0f)) "user 100 was not: its node is still 0"
            trainFor model train 20
            let after = model.Evaluate(train, ReadOnlySpan(allRows train)).Loss
            Expect.isLessThan after (0.7 * before) $"loss {before} -> {after}"

        testCase "fold-in lowers the held-out users' fold-in objective, from nodes at 0" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            use model = new Cdae(items, smallHyper 1, 5UL)
            trainFor model train 10
            let rows = allRows validation.FoldIn
            let fitted = model.FitUserNodes(validation.FoldIn, ReadOnlySpan rows)
            let zero = Array.zeroCreate<float32> fitted.Length
            let atZero = model.FoldInLoss(validation.FoldIn, ReadOnlySpan rows, ReadOnlySpan zero)
            let atFitted = model.FoldInLoss(validation.FoldIn, ReadOnlySpan rows, ReadOnlySpan fitted)
            Expect.isLessThan atFitted atZero "fitted nodes give a lower fold-in loss than nodes at 0"
            use noFoldIn = new Cdae(items, CdaeHyper(Hidden = 8, BatchSize = 32, Epochs = 1, FoldInSteps = 0), 5UL)
            Expect.isTrue (noFoldIn.FitUserNodes(validation.FoldIn, ReadOnlySpan rows) |> Array.forall (fun x -> x = 0f)) "0 steps leave the nodes at 0"
            Expect.sequenceEqual (model.FitUserNodes(validation.FoldIn, ReadOnlySpan rows)) fitted "fold-in is deterministic"

        testCase "save and reload give identical scores and nodes" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            use model = new Cdae(items, smallHyper 1, 5UL)
            trainFor model train 3
            let before = scoreAll model validation.FoldIn
            withFolder (fun dir ->
                let path = Path.Combine(dir, "cdae.bin")
                (model :> IRecommender).Save path
                use reloaded = new Cdae(items, smallHyper 1, 99UL)
                reloaded.Load path
                Expect.sequenceEqual (scoreAll reloaded validation.FoldIn) before "bit-identical scores"
                Expect.sequenceEqual reloaded.Nodes.Values model.Nodes.Values "training users' nodes restored"
                use other = new Cdae(items, smallHyper 1, 5UL, trainingUsers = 7)
                Expect.throwsT<StaleCacheException> (fun () -> other.Load path) "a model with another node count refuses the file")

        testCase "a run interrupted and resumed by the training driver equals an uninterrupted one" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            withFolder (fun root ->
                let options dir = TrainingOptions(RunDirectory = dir, Seed = 42UL, Threads = 1)
                let scores (m: IRecommender) = scoreAll m validation.FoldIn
                use whole = new Cdae(items, smallHyper 3, 7UL)
                let expected = TrainingDriver.Run(whole, train, validation, options (Path.Combine(root, "whole")))
                Expect.equal expected.Status TrainingStatus.Completed "uninterrupted run completes"
                let dir = Path.Combine(root, "parts")
                use cts = new CancellationTokenSource()
                let cancel =
                    { new IProgress<TrainingProgress> with
                        member _.Report p = if p.Phase = TrainingPhase.Training && p.Epoch = 2 && p.Batch = 3 then cts.Cancel() }
                use part = new Cdae(items, smallHyper 3, 7UL)
                let stopped = TrainingDriver.Run(part, train, validation, options dir, cancel, cts.Token)
                Expect.equal stopped.Status TrainingStatus.Interrupted "cancelled mid-epoch 2"
                use resumed = new Cdae(items, smallHyper 3, 7UL)
                let outcome = TrainingDriver.Run(resumed, train, validation, options dir)
                Expect.equal outcome.Status TrainingStatus.Completed "resumed run completes"
                for x, y in Seq.zip outcome.Epochs expected.Epochs do
                    Expect.isTrue (x.SameResultsAs y) $"epoch {x.Epoch}: %A{x} vs %A{y}"
                Expect.equal outcome.BestEpoch expected.BestEpoch "same best epoch"
                Expect.sequenceEqual (scores resumed) (scores whole) "bit-identical final scores"
                Expect.sequenceEqual resumed.Nodes.Values whole.Nodes.Values "bit-identical training users' nodes")

        testCase "a model trained on one matrix refuses a training matrix with another user count" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            use model = new Cdae(items, smallHyper 1, 5UL)
            model.TrainStep(train, ReadOnlySpan [| 0; 1 |]) |> ignore
            let other = csr items (structuredRows 10 3)
            Expect.throwsT<ArgumentException> (fun () -> model.TrainStep(other, ReadOnlySpan [| 0 |]) |> ignore) "another row count"

        testCase "the weight-decay grid is the paper's {0.01, 0.1, 1, 10, 100}, and Paper is in it" <| fun () ->
            Expect.sequenceEqual CdaeHyper.WeightDecayGrid [ 0.01; 0.1; 1.0; 10.0; 100.0 ] "grid"
            Expect.contains CdaeHyper.WeightDecayGrid CdaeHyper.Paper.WeightDecay "Paper's value is a grid point"
            Expect.equal CdaeHyper.Paper.Hidden 200 "bottleneck 200"
            Expect.equal CdaeHyper.Paper.BatchSize 500 "500 users per batch"
            Expect.equal CdaeHyper.Paper.LearningRate 1e-3 "Adam 1e-3"

        testCase "bad hyperparameters are rejected with messages naming the setting" <| fun () ->
            let bad =
                [ CdaeHyper(Hidden = 0), "hidden"
                  CdaeHyper(KeepProbability = 0.0), "keep probability"
                  CdaeHyper(KeepProbability = 1.5), "keep probability"
                  CdaeHyper(WeightDecay = -1.0), "weight decay"
                  CdaeHyper(NegativeConfidence = 0.0), "negative confidence"
                  CdaeHyper(PositiveConfidence = 0.5), "positive confidence"
                  CdaeHyper(LearningRate = 0.0), "learning rate"
                  CdaeHyper(BatchSize = 0), "batch size"
                  CdaeHyper(Epochs = 0), "epochs"
                  CdaeHyper(FoldInSteps = -1), "fold-in steps"
                  CdaeHyper(FoldInLearningRate = 0.0), "fold-in learning rate" ]
            for hyper, what in bad do
                try
                    hyper.Validate()
                    failtest $"{what}: accepted"
                with :? ArgumentException as e -> Expect.stringContains e.Message what $"{what}: message names it"
            Expect.throws (fun () -> new Cdae(items, CdaeHyper(Hidden = 0), 1UL) |> ignore) "the constructor validates"
    ]
