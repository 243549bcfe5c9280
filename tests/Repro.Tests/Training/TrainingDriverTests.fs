module Repro.Tests.TrainingDriverTests

open System
open System.IO
open System.Threading
open Expecto
open Repro.Core
open Repro.Core.Sparse
open Repro.Core.Metrics
open Repro.Core.Models
open Repro.Core.Protocols
open Repro.Core.Training
open Repro.Core.Models.MultVae
open Repro.Core.Models.MultDae
open Repro.Core.Models.MixturePriorVae
open Repro.Tests.TempFiles

// ------------------------------------------------------------------ data

open Repro.Tests.StructuredData

let private vaeHyper epochs = MultVaeHyper(Hidden = 16, Latent = 8, BatchSize = 32, Epochs = epochs, TotalAnnealSteps = 20L, LearningRate = 1e-2)
let private newVae () = new MultVae(items, vaeHyper 4, 7UL)

let private optionsWith seed dir = TrainingOptions(RunDirectory = dir, Seed = seed, Threads = 1)
let private options dir = optionsWith 42UL dir

let private scores (model: IRecommender) =
    let out = Array.zeroCreate<float32> (validation.Users * items)
    model.Score(validation.FoldIn, ReadOnlySpan [| 0 .. validation.Users - 1 |], Span out)
    out

let private validationNdcg (model: IRecommender) =
    let result =
        Evaluator.Evaluate(model.AsBatchScorer(),
                           validation.FoldIn, validation.Target, [| TrainingDriver.ValidationMetric |], maxDegreeOfParallelism = 1)
    result.[TrainingDriver.ValidationMetric].Summary.Mean

/// Calls back synchronously (Progress<T> would post to the thread pool, too late to cancel exactly).
let private onProgress (f: TrainingProgress -> unit) = { new IProgress<TrainingProgress> with member _.Report p = f p }

/// Cancels after minibatch `batch` (1-based) of epoch `epoch`.
let private cancelAt (cts: CancellationTokenSource) epoch batch =
    onProgress (fun p -> if p.Phase = TrainingPhase.Training && p.Epoch = epoch && p.Batch = batch then cts.Cancel())

let private expectSameRecords (a: EpochRecord seq) (b: EpochRecord seq) what =
    let a, b = Array.ofSeq a, Array.ofSeq b
    Expect.equal a.Length b.Length $"{what}: epoch count"
    for x, y in Array.zip a b do
        Expect.isTrue (x.SameResultsAs y) $"{what}: epoch {x.Epoch} differs: %A{x} vs %A{y}"

let private run model dir = TrainingDriver.Run(model, train, validation, options dir, null, CancellationToken.None)

// ------------------------------------------------------------------ a recording fake model

/// Scores items by a weight vector that a seeded random walk changes at every step, so validation
/// NDCG moves up and down between epochs; records the beta of every step; the loss is 1 / step, or
/// NaN at step `nanAt`.
type private FakeModel(schedule: AnnealingSchedule option, epochs: int, nanAt: int) =
    let weights = Array.init items (fun i -> float32 (items - i) * 0.01f)
    let random = SeededRandom 0UL
    let mutable steps = 0
    member val Betas = ResizeArray<float>()
    /// Milliseconds each Score call sleeps: a validation that costs more than training.
    member val ScoreDelay = 0 with get, set
    member _.Steps = steps
    member _.Weights = Array.copy weights
    member private _.Write(path: string, withSteps: bool) =
        use w = new BinaryWriter(File.Create path)
        for x in weights do w.Write x
        if withSteps then w.Write steps
    member private _.Read(path: string, withSteps: bool) =
        use r = new BinaryReader(File.OpenRead path)
        for i in 0 .. items - 1 do weights.[i] <- r.ReadSingle()
        if withSteps then steps <- r.ReadInt32()
    interface ITrainableRecommender with
        member _.Items = items
        member _.Settings = "fake"
        member _.Epochs = epochs
        member _.BatchSize = 32
        member _.UsesAnnealing = schedule.IsSome
        member _.NewAnnealingSchedule(_updatesPerEpoch) = Option.toObj schedule
        member this.TrainStep(_, rows, beta) =
            this.Betas.Add beta
            steps <- steps + 1
            for i in 0 .. items - 1 do weights.[i] <- weights.[i] + float32 (random.NextNormal() * 0.05)
            let loss = if steps = nanAt then nan else 1.0 / float steps
            BatchLoss(loss, loss, 0.0, 0.0)
        member _.Reseed seed = random.Reseed seed
        member this.SaveState path = this.Write(path, true)
        member this.LoadState path = this.Read(path, true)
        member this.LoadWeights path = this.Read(path, false)
        member this.Save path = this.Write(path, false)
        member this.Score(_, rows, output) =
            if this.ScoreDelay > 0 then Thread.Sleep this.ScoreDelay
            for u in 0 .. rows.Length - 1 do weights.AsSpan().CopyTo(output.Slice(u * items, items))
        member _.Dispose() = ()

// ------------------------------------------------------------------ tests

[<Tests>]
let tests =
    // One group with the lists that set libtorch's thread count (a process-wide setting): a change of
    // thread count between two runs changes float sums, and the rerun test compares runs exactly.
    testSequencedGroup "libtorch threads" <| testList "Training.Driver" [
        testCase "an interrupted and resumed run gives bit-identical epoch records and final scores" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            withFolder (fun root ->
                use whole = newVae ()
                let expected = run whole (Path.Combine(root, "whole"))
                Expect.equal expected.Status TrainingStatus.Completed "uninterrupted run completes"
                // Mid-epoch (epoch 2 after batch 3), at the end of an epoch's batches (epoch 3 batch 7: stops after validating), then to the end.
                let dir = Path.Combine(root, "parts")
                let mutable last = Unchecked.defaultof<TrainingOutcome>
                for epoch, batch in [ 2, 3; 3, 7 ] do
                    use cts = new CancellationTokenSource()
                    use part = newVae ()
                    last <- TrainingDriver.Run(part, train, validation, options dir, cancelAt cts epoch batch, cts.Token)
                    Expect.equal last.Status TrainingStatus.Interrupted $"cancelled in epoch {epoch}"
                    Expect.isTrue (File.Exists(Path.Combine(dir, TrainingDriver.StateFileName))) "state.bin written"
                Expect.equal last.Epochs.Count 3 "three epochs finished before the second interruption"
                use resumed = newVae ()
                let outcome = run resumed dir
                Expect.equal outcome.Status TrainingStatus.Completed "resumed run completes"
                expectSameRecords outcome.Epochs expected.Epochs "resumed vs uninterrupted"
                Expect.equal outcome.BestEpoch expected.BestEpoch "same best epoch"
                Expect.sequenceEqual (scores resumed) (scores whole) "final (best-epoch) scores are bit-identical"
                let logLines = File.ReadAllLines(Path.Combine(dir, TrainingDriver.EpochLogFileName))
                Expect.equal logLines.Length 5 "epochs.tsv: header and one line per epoch, none repeated"
                Expect.equal logLines.[0] EpochRecord.TsvHeader "header"
                Expect.isEmpty (Directory.GetFiles(dir, "state-model.*")) "a completed run keeps no model state")

        testCase "a model's epoch counters are extra columns of epochs.tsv, and a resumed epoch prints what an uninterrupted one does" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            let newGmm () = new MixturePriorVae(items, MixturePriorVaeHyper(Hidden = 16, Latent = 4, BatchSize = 32, Epochs = 3, TotalAnnealSteps = 20L, Components = 3), 7UL)
            withFolder (fun root ->
                use whole = newGmm ()
                let expected = run whole (Path.Combine(root, "whole"))
                let lines = File.ReadAllLines(Path.Combine(root, "whole", TrainingDriver.EpochLogFileName))
                Expect.stringEnds lines.[0] "\tseconds\tcomponents_carrying_users\tlargest_component_share" "header names the model's columns"
                for record in expected.Epochs do
                    match record.ExtraValues with
                    | [| carrying; share |] ->
                        Expect.isTrue (carrying >= 1.0 && carrying <= 3.0) $"epoch {record.Epoch}: 1 to 3 components carry users, got {carrying}"
                        Expect.isTrue (share >= 1.0 / carrying && share <= 1.0) $"epoch {record.Epoch}: the largest share is between 1 / carrying and 1, got {share}"
                    | other -> failtest $"epoch {record.Epoch}: two extra values expected, got %A{other}"
                Expect.equal (lines.[1].Split('\t').Length) 10 "a row has the 8 fixed and 2 extra fields"
                let dir = Path.Combine(root, "parts")
                use cts = new CancellationTokenSource()
                use part = newGmm ()
                TrainingDriver.Run(part, train, validation, options dir, cancelAt cts 2 3, cts.Token).Status |> fun s -> Expect.equal s TrainingStatus.Interrupted "cancelled mid-epoch"
                use resumed = newGmm ()
                let got = (run resumed dir).Epochs
                Expect.equal got.Count expected.Epochs.Count "epoch count"
                for x, y in Seq.zip expected.Epochs got do
                    Expect.equal y.ExtraValues x.ExtraValues $"epoch {x.Epoch}: the counters of a resumed epoch are the uninterrupted one's"
                    // The float64 prior terms resume bit-identically in a fresh process (docs/reliability.md),
                    // but after other models trained in the same process they have differed in the 10th digit.
                    Expect.floatClose { absolute = 0.0; relative = 1e-8 } y.MeanLoss x.MeanLoss $"epoch {x.Epoch}: loss"
                    Expect.equal y.Updates x.Updates $"epoch {x.Epoch}: updates"
                Expect.equal (File.ReadAllLines(Path.Combine(dir, TrainingDriver.EpochLogFileName)).Length) lines.Length "the resumed log has every row once")

        testCase "a finished run is marked complete: running it again trains nothing and loads the best weights" <| fun () ->
            withFolder (fun dir ->
                use first = new FakeModel(None, 3, -1)
                let done1 = run first dir
                Expect.equal done1.Status TrainingStatus.Completed "first run"
                use again = new FakeModel(None, 3, -1)
                let done2 = run again dir
                Expect.equal done2.Status TrainingStatus.Completed "second run"
                Expect.equal done2.BatchesTrained 0 "no batch trained again"
                Expect.equal again.Steps 0 "the model took no step"
                expectSameRecords done2.Epochs done1.Epochs "records come from the state"
                Expect.sequenceEqual again.Weights first.Weights "best weights loaded")

        testCase "the same seed and thread count give identical records and scores on a rerun; another seed does not" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            withFolder (fun root ->
                use a = newVae ()
                use b = newVae ()
                use c = newVae ()
                let ra = run a (Path.Combine(root, "a"))
                let rb = run b (Path.Combine(root, "b"))
                let rc = TrainingDriver.Run(c, train, validation, optionsWith 43UL (Path.Combine(root, "c")))
                expectSameRecords ra.Epochs rb.Epochs "rerun"
                Expect.sequenceEqual (scores a) (scores b) "rerun scores"
                Expect.notEqual rc.Epochs.[0].MeanLoss ra.Epochs.[0].MeanLoss "another seed shuffles and drops out differently")

        testCase "the best epoch is the one with the highest validation NDCG@100, and its weights are restored" <| fun () ->
            withFolder (fun dir ->
                use model = new FakeModel(None, 8, -1)
                let outcome = run model dir
                let ndcgs = outcome.Epochs |> Seq.map (fun r -> r.ValidationNdcg) |> Array.ofSeq
                let best = Array.IndexOf(ndcgs, Array.max ndcgs) + 1
                Expect.equal outcome.BestEpoch best "argmax (first on ties)"
                Expect.notEqual best ndcgs.Length "the walk makes an earlier epoch the best (else this test proves little)"
                Expect.equal outcome.BestValidationNdcg ndcgs.[best - 1] "best value"
                Expect.equal (validationNdcg model) ndcgs.[best - 1] "the model scores as the best epoch did")

        testCase "with KeepLastEpoch the last epoch's weights are kept and restored, not the best-validation ones" <| fun () ->
            withFolder (fun root ->
                use reference = new FakeModel(None, 8, -1)
                let selected = run reference (Path.Combine(root, "best"))
                Expect.notEqual selected.BestEpoch 8 "the walk makes an earlier epoch the best (else this test proves little)"
                use model = new FakeModel(None, 8, -1)
                let outcome = TrainingDriver.Run(model, train, validation, TrainingOptions(RunDirectory = Path.Combine(root, "last"), Seed = 42UL, Threads = 1, KeepLastEpoch = true))
                Expect.equal outcome.BestEpoch 8 "the kept epoch is the last"
                let last = outcome.Epochs.[outcome.Epochs.Count - 1].ValidationNdcg
                Expect.equal outcome.BestValidationNdcg last "its NDCG is the last epoch's"
                Expect.equal (validationNdcg model) last "the model scores as the last epoch did"
                use reloaded = new FakeModel(None, 8, -1)
                TrainingDriver.LoadBest(reloaded, Path.Combine(root, "last"))
                Expect.sequenceEqual reloaded.Weights model.Weights "best.weights holds the last epoch")

        testCase "beta = min(cap, updates / total), with the update count kept across epochs" <| fun () ->
            withFolder (fun dir ->
                use model = new FakeModel(Some(AnnealingSchedule(0.15, 100L)), 3, -1)
                let outcome = run model dir
                let expected = [ for k in 0 .. 20 do min 0.15 (float k / 100.0) ]
                Expect.sequenceEqual model.Betas expected "betas received, 7 batches x 3 epochs"
                Expect.sequenceEqual [ for r in outcome.Epochs -> r.Updates ] [ 7L; 14L; 21L ] "updates at epoch ends"
                Expect.sequenceEqual [ for r in outcome.Epochs -> r.Beta ] [ 6.0 / 100.0; 13.0 / 100.0; 0.15 ] "beta of each epoch's last update")

        testCase "a Mult-VAE with anneal-epochs 2 reaches beta 1 at the end of its second epoch, whatever the epoch's length" <| fun () ->
            withFolder (fun dir ->
                use model = new MultVae(items, MultVaeHyper(Hidden = 16, Latent = 8, BatchSize = 32, Epochs = 3, TotalAnnealSteps = 20L, LearningRate = 1e-2, AnnealEpochs = 2, AnnealCap = 1.0), 7UL)
                let outcome = run model dir
                let u = float outcome.Epochs.[0].Updates
                Expect.isGreaterThan u 1.0 "several batches an epoch (else the ramp proves little)"
                Expect.sequenceEqual [ for r in outcome.Epochs -> r.Beta ] [ (u - 1.0) / (2.0 * u); (2.0 * u - 1.0) / (2.0 * u); 1.0 ]
                    "beta of each epoch's last update on a ramp of 2 epochs' updates, not total-anneal-steps' 20")

        testCase "a model without annealing gets beta 0" <| fun () ->
            withFolder (fun dir ->
                use model = new FakeModel(None, 1, -1)
                run model dir |> ignore
                Expect.all model.Betas (fun b -> b = 0.0) "beta 0")

        testCase "a NaN loss stops the run as diverged, naming epoch and batch, and keeps the last good best.weights" <| fun () ->
            withFolder (fun dir ->
                use model = new FakeModel(None, 4, 7 * 2 + 3) // epoch 3, batch 3
                let outcome = run model dir
                Expect.equal outcome.Status TrainingStatus.Diverged "diverged"
                Expect.stringContains outcome.Message "epoch 3, batch 3 of 7" "message names where"
                Expect.equal outcome.Epochs.Count 2 "two epochs finished"
                Expect.isTrue (File.Exists outcome.BestWeightsPath) "best.weights kept"
                Expect.equal (validationNdcg model) outcome.BestValidationNdcg "the model holds the best good weights"
                use again = new FakeModel(None, 4, -1)
                let second = run again dir
                Expect.equal second.Status TrainingStatus.Diverged "a diverged run stays diverged"
                Expect.equal again.Steps 0 "without training again")

        testCase "a run directory holding another run's state is refused" <| fun () ->
            withFolder (fun dir ->
                use model = new FakeModel(None, 2, -1)
                run model dir |> ignore
                use other = new FakeModel(None, 2, -1)
                Expect.throwsT<InvalidOperationException>
                    (fun () -> TrainingDriver.Run(other, train, validation, optionsWith 1UL dir) |> ignore)
                    "another seed")

        testCase "an interrupted Mult-VAE run is not resumed by a model with other settings" <| fun () ->
            TorchRuntime.EnsureLoaded 1
            withFolder (fun dir ->
                use cts = new CancellationTokenSource()
                use model = newVae ()
                let part = TrainingDriver.Run(model, train, validation, options dir, cancelAt cts 1 2, cts.Token)
                Expect.equal part.Status TrainingStatus.Interrupted "interrupted"
                use other = new MultVae(items, MultVaeHyper(Hidden = 16, Latent = 8, BatchSize = 32, Epochs = 4, TotalAnnealSteps = 20L, LearningRate = 2e-2), 7UL)
                Expect.throwsT<InvalidOperationException> (fun () -> run other dir |> ignore) "another learning rate")

        testCase "progress is reported after every minibatch and before every validation, with a rate and time left that counts validation" <| fun () ->
            withFolder (fun dir ->
                use model = new FakeModel(None, 2, -1)
                model.ScoreDelay <- 20 // validation: at least 20 ms; training: microseconds
                let reports = ResizeArray<TrainingProgress>()
                TrainingDriver.Run(model, train, validation, options dir, onProgress reports.Add, CancellationToken.None) |> ignore
                let training = reports |> Seq.filter (fun p -> p.Phase = TrainingPhase.Training) |> List.ofSeq
                Expect.equal training.Length 14 "7 batches x 2 epochs"
                Expect.equal (reports |> Seq.filter (fun p -> p.Phase = TrainingPhase.Validating) |> Seq.length) 2 "one validation per epoch"
                Expect.sequenceEqual [ for p in training -> p.Epoch, p.Batch ] [ for e in 1 .. 2 do for b in 1 .. 7 -> e, b ] "positions"
                Expect.all training (fun p -> p.BatchesPerEpoch = 7 && p.Epochs = 2) "sizes"
                let lastReport = training |> List.last
                let firstEpoch = training |> List.filter (fun p -> p.Epoch = 1)
                Expect.all firstEpoch (fun p -> p.Remaining.HasValue) "time left from the first batch on"
                // After epoch 1's validation, the one left (epoch 2's) is counted at its measured time.
                Expect.isGreaterThanOrEqual lastReport.Remaining.Value (TimeSpan.FromMilliseconds 20.0) "at the last batch, the last validation is still to come"
                Expect.floatClose Accuracy.veryHigh lastReport.MeanLoss ([ for k in 8 .. 14 -> 1.0 / float k ] |> List.average) "epoch mean so far")
    ]
