module Repro.Tests.RecVaeTests

open System
open System.IO
open System.Threading
open Expecto
open TorchSharp
open Repro.Core
open Repro.Core.Sparse
open Repro.Core.Data.Cache
open Repro.Core.Metrics
open Repro.Core.Models
open Repro.Core.Protocols
open Repro.Core.Training
open Repro.Core.Models.RecVae
open Repro.Tests.TempFiles

// ------------------------------------------------------------------ data (StructuredData)

open Repro.Tests.StructuredData

let private hyper epochs = RecVaeHyper(Hidden = 16, Latent = 8, BatchSize = 32, Epochs = epochs, LearningRate = 1e-2)
let private newModel epochs seed = new RecVae(items, hyper epochs, seed)

let private options dir = TrainingOptions(RunDirectory = dir, Seed = 42UL, Threads = 1)
let private run (model: ITrainableRecommender) dir = TrainingDriver.Run(model, train, validation, options dir, null, CancellationToken.None)

let private scores (model: IRecommender) =
    let out = Array.zeroCreate<float32> (validation.Users * items)
    model.Score(validation.FoldIn, ReadOnlySpan [| 0 .. validation.Users - 1 |], Span out)
    out

let private onProgress (f: TrainingProgress -> unit) = { new IProgress<TrainingProgress> with member _.Report p = f p }

let private expectSameRecords (a: EpochRecord seq) (b: EpochRecord seq) what =
    let a, b = Array.ofSeq a, Array.ofSeq b
    Expect.equal a.Length b.Length $"{what}: epoch count"
    for x, y in Array.zip a b do
        Expect.isTrue (x.SameResultsAs y) $"{what}: epoch {x.Epoch} differs: %A{x} vs %A{y}"

let private logNormal x mu logVar = -0.5 * (logVar + log (2.0 * Math.PI) + (x - mu) ** 2.0 / exp logVar)

[<Tests>]
let tests =
    testSequenced <| testList "Models.RecVae" [
        testCase "the composite prior's log-density is log(3/20 N(z; 0, 1) + 3/4 N(z; mu_old, e^lv_old) + 1/10 N(z; 0, e^10)) per element" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            use scope = torch.NewDisposeScope()
            let zs = [| 0.0; 0.5; -1.0; 3.0; -20.0 |]
            let mus = [| 0.0; 0.2; -0.3; 1.0; 0.0 |]
            let lvs = [| 0.0; -1.0; 0.5; -2.0; 0.0 |]
            let tensor (xs: float[]) = torch.tensor(xs |> Array.map float32, ReadOnlySpan [| 1L; int64 xs.Length |])
            let prior = CompositePrior RecVaeHyper.Paper
            let got = prior.LogDensity(tensor zs, tensor mus, tensor lvs).data<float32>().ToArray()
            for k in 0 .. zs.Length - 1 do
                let z, m, lv = zs.[k], mus.[k], lvs.[k]
                let expected = log (0.15 * exp (logNormal z 0.0 0.0) + 0.75 * exp (logNormal z m lv) + 0.1 * exp (logNormal z 0.0 10.0))
                Expect.floatClose { absolute = 1e-5; relative = 1e-5 } (float got.[k]) expected $"element {k} (z = {z})"
            // Hand-checked: at z = 0 with mu_old = 0, lv_old = 0 the first two components are both N(0; 0, 1) = 1/sqrt(2 pi),
            // the wide one is e^-5 / sqrt(2 pi): log p = log((0.9 + 0.1 e^-5) / sqrt(2 pi)) = -1.0235507
            Expect.floatClose { absolute = 1e-5; relative = 0.0 } (float got.[0]) -1.0235507 "z = 0 by hand"
            // Far out (z = -20) only the wide component is left: log(0.1) + log N(-20; 0, e^10).
            Expect.floatClose { absolute = 1e-4; relative = 0.0 } (float got.[4]) (log 0.1 + logNormal -20.0 0.0 10.0) "the wide component carries the tail"

        testCase "the KL weight is gamma times the user's number of items, and it scales the KL part of the loss" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            let data = csr items [ [ 1 ]; [ 2; 3; 4 ]; [ 0 .. 2 .. 20 ] ]
            use model = newModel 1 5UL
            let weights = Array.zeroCreate<float32> 3
            model.KlWeights(data, ReadOnlySpan [| 0; 1; 2 |], Span weights)
            Expect.sequenceEqual (weights |> Array.map (fun w -> Math.Round(float w, 6))) [ 0.005; 0.015; 0.055 ] "0.005 x 1, 3 and 11 items"
            let valued = CsrMatrix(1, items, [| 0; 2 |], [| 3; 9 |], [| 2.0f; 0.5f |])
            model.KlWeights(valued, ReadOnlySpan [| 0 |], Span weights)
            Expect.floatClose Accuracy.high (float weights.[0]) 0.0125 "with values: gamma x the row's sum (model.py user_ratings.sum(-1))"
            // Same weights, noise and dropout, gamma doubled: Loss - NLL (the weighted KL) doubles, the KL estimate does not change.
            let firstStep gamma =
                use m = new RecVae(items, RecVaeHyper(Hidden = 16, Latent = 8, BatchSize = 32, Epochs = 1, LearningRate = 1e-2, Gamma = gamma), 5UL)
                (m :> IMultiPassEpoch).BeginPass 0
                m.Reseed 9UL
                m.TrainStep(data, ReadOnlySpan [| 0; 1; 2 |], 0.0)
            let a, b = firstStep 0.005, firstStep 0.01
            Expect.floatClose { absolute = 1e-6; relative = 1e-4 } b.Kl a.Kl "same KL estimate"
            Expect.floatClose { absolute = 1e-6; relative = 1e-4 } (b.Loss - b.NegLogLikelihood) (2.0 * (a.Loss - a.NegLogLikelihood)) "weighted KL doubles"
            Expect.isTrue (abs (a.Loss - a.NegLogLikelihood) > 1e-6) "the KL part is not zero"

        testCase "gradients of both passes match central finite differences of the batch loss" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            let data = csr 12 [ [ 0; 3; 5 ]; [ 1; 2; 3; 7; 11 ]; [ 4; 8 ]; [ 0; 6; 9; 10 ] ]
            let rows = [| 0; 1; 2; 3 |]
            use model = new RecVae(12, RecVaeHyper(Hidden = 5, Latent = 3, BatchSize = 4, Gamma = 0.05), 21UL)
            let passes = model :> IMultiPassEpoch
            // A few training steps first, so the old encoder differs from the encoder and nothing sits at its initial value.
            for pass in [ 0; 3; 0 ] do
                passes.BeginPass pass
                for _ in 1 .. 3 do model.TrainStep(data, ReadOnlySpan rows, 0.0) |> ignore
            let check pass (parameters: FlatParameters) (gradients: FlatParameters) =
                passes.BeginPass pass
                let loss () = model.Reseed 77UL; model.ComputeGradients(data, ReadOnlySpan rows).Loss
                loss () |> ignore
                let analytic = Array.copy gradients.Data
                let mutable checkedCount = 0
                for seg in parameters.Segments do
                    // fc1.W: entries in rows of items in the batch; elsewhere the first, middle and last entries.
                    let n = int seg.Length
                    let picks = if seg.Name = "fc1.W" then [ 3 * 5; 3 * 5 + 2; 11 * 5 + 4 ] else List.distinct [ 0; 1 % n; 2 % n; n / 2; n - 1 ]
                    for k in picks do
                        let i = int seg.Offset + k
                        let p0 = parameters.Data.[i]
                        let h = 1e-2f
                        parameters.Data.[i] <- p0 + h
                        let up = loss ()
                        parameters.Data.[i] <- p0 - h
                        let down = loss ()
                        parameters.Data.[i] <- p0
                        let numeric = (up - down) / (2.0 * float h)
                        let g = float analytic.[i]
                        Expect.floatClose { absolute = 2e-3; relative = 2e-2 } g numeric $"pass {pass}: d loss / d {seg.Name}[{k}]"
                        checkedCount <- checkedCount + 1
                Expect.isGreaterThan checkedCount 9 "entries checked"
            check 0 model.EncoderParameters model.EncoderGradients
            check 3 model.DecoderParameters model.DecoderGradients

        testCase "an epoch is three encoder passes then one decoder pass, and a step of either changes the scores" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            use model = newModel 1 3UL
            let passes = model :> IMultiPassEpoch
            Expect.equal passes.PassesPerEpoch 4 "3 + 1 passes"
            let rows = [| 0 .. 31 |]
            let before = scores model
            passes.BeginPass 0
            Expect.isTrue model.InEncoderPass "pass 0 trains the encoder"
            model.TrainStep(train, ReadOnlySpan rows, 0.0) |> ignore
            let afterEncoder = scores model
            Expect.isFalse (Seq.forall2 (=) before afterEncoder) "an encoder step changes scores"
            passes.BeginPass 3
            Expect.isFalse model.InEncoderPass "pass 3 trains the decoder"
            model.TrainStep(train, ReadOnlySpan rows, 0.0) |> ignore
            Expect.isFalse (Seq.forall2 (=) afterEncoder (scores model)) "a decoder step changes scores"
            Expect.throwsT<ArgumentOutOfRangeException> (fun () -> passes.BeginPass 4) "pass 4 does not exist"

        testCase "weights load into a model of the same shape with another seed; another shape is refused" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            withFolder (fun dir ->
                use model = newModel 2 11UL
                run model (Path.Combine(dir, "run")) |> ignore
                let path = Path.Combine(dir, "model.bin")
                model.Save path
                use other = newModel 2 12UL
                Expect.isFalse (Seq.forall2 (=) (scores model) (scores other)) "another seed scores differently"
                other.LoadWeights path
                Expect.sequenceEqual (scores other) (scores model) "reloaded scores are identical"
                use wider = new RecVae(items, RecVaeHyper(Hidden = 24, Latent = 8, BatchSize = 32, Epochs = 2, LearningRate = 1e-2), 1UL)
                Expect.throwsT<StaleCacheException> (fun () -> wider.LoadWeights path) "other layout refused")

        testCase "an interrupted and resumed run (mid encoder pass, at the encoder/decoder boundary, mid decoder pass) equals an uninterrupted one" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            withFolder (fun root ->
                use whole = newModel 4 7UL
                let expected = run whole (Path.Combine(root, "whole"))
                Expect.equal expected.Status TrainingStatus.Completed "uninterrupted run completes"
                let dir = Path.Combine(root, "parts")
                // 28 batches per epoch: 3 (encoder pass 1), 21 (last encoder pass done, before the old encoder's refresh), 25 (decoder pass).
                for epoch, batch in [ 1, 3; 2, 21; 3, 25 ] do
                    use cts = new CancellationTokenSource()
                    use part = newModel 4 7UL
                    let cancelAt = onProgress (fun p -> if p.Phase = TrainingPhase.Training && p.Epoch = epoch && p.Batch = batch then cts.Cancel())
                    let outcome = TrainingDriver.Run(part, train, validation, options dir, cancelAt, cts.Token)
                    Expect.equal outcome.Status TrainingStatus.Interrupted $"cancelled in epoch {epoch} after batch {batch}"
                use resumed = newModel 4 7UL
                let outcome = run resumed dir
                Expect.equal outcome.Status TrainingStatus.Completed "resumed run completes"
                expectSameRecords outcome.Epochs expected.Epochs "resumed vs uninterrupted"
                Expect.equal outcome.BestEpoch expected.BestEpoch "same best epoch"
                Expect.sequenceEqual (scores resumed) (scores whole) "final (best-epoch) scores are bit-identical")

        testCase "bad hyperparameters are rejected with the setting named" <| fun () ->
            let bad (h: RecVaeHyper) (name: string) =
                let e = Expect.throwsC (fun () -> h.Validate()) id
                Expect.stringContains e.Message name $"message names {name}"
            bad (RecVaeHyper(Gamma = -0.005)) "Gamma"
            bad (RecVaeHyper(Gamma = 0.0)) "Gamma"
            bad (RecVaeHyper(EncoderPasses = 0)) "EncoderPasses"
            bad (RecVaeHyper(DecoderPasses = -1)) "DecoderPasses"
            bad (RecVaeHyper(KeepProbability = 0.0)) "KeepProbability"
            bad (RecVaeHyper(Latent = 0)) "Latent"
            bad (RecVaeHyper(LearningRate = Double.NaN)) "LearningRate"
            bad (RecVaeHyper(WidePriorWeight = 0.2)) "sum to 1"
            Expect.throwsT<ArgumentOutOfRangeException> (fun () -> new RecVae(items, RecVaeHyper(Hidden = 0), 1UL) |> ignore) "constructor validates"

        testCase "the paper defaults are the authors' run.py and model.py values" <| fun () ->
            let p = RecVaeHyper.Paper
            Expect.equal (p.Hidden, p.Latent, p.BatchSize, p.Epochs, p.EncoderPasses, p.DecoderPasses) (600, 200, 500, 50, 3, 1) "sizes and passes"
            Expect.equal (p.Gamma, p.LearningRate, p.KeepProbability, p.WidePriorLogVariance) (0.005, 5e-4, 0.5, 10.0) "gamma, lr, dropout, wide prior"
            Expect.equal (p.StandardPriorWeight, p.PosteriorPriorWeight, p.WidePriorWeight) (3.0 / 20.0, 3.0 / 4.0, 1.0 / 10.0) "mixture weights"
    ]
