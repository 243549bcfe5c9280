/// The contract every model in the catalogue passes, trained or fitted, with no per-model code: a
/// model added to `Models.all` is tested here as it lands. What is particular to one model (its
/// gradients, closed forms, fold-in solver) stays in its own test file under Models/.
module Repro.Tests.ModelContractTests

open System
open System.IO
open System.Threading
open Expecto
open Repro.Core
open Repro.Core.Metrics
open Repro.Core.Models
open Repro.Core.Protocols
open Repro.Core.Sparse
open Repro.Core.Training
open Repro.Harness
open Repro.Tests.StructuredData
open Repro.Tests.TempFiles

let private quiet = { new IProgress<TrainingProgress> with member _.Report _ = () }

/// Trains (the shared driver, best weights restored and left in dir) or fits (saved to dir's
/// model.bin) <paramref name="spec"/> on <paramref name="train"/>, one thread, this seed.
let private buildWith (content: int -> Result<CsrMatrix, string>) (spec: ModelSpec) (train: CsrMatrix) (validation: HeldOutSet) (dir: string) (seed: uint64) : IRecommender =
    TorchRuntime.EnsureLoaded 1
    Directory.CreateDirectory dir |> ignore
    match spec.Entry.Making with
    | Trained create ->
        let model = create train.Columns spec.Hyper seed
        let outcome = TrainingDriver.Run(model, train, validation, TrainingOptions(RunDirectory = dir, Seed = seed, Threads = 1), quiet, CancellationToken.None)
        Expect.equal outcome.Status TrainingStatus.Completed (sprintf "%s trains to the end: %s" spec.Name outcome.Message)
        TrainingDriver.LoadBest(model, dir)
        model :> IRecommender
    | Fitted(fit, _) ->
        let model = fit { Train = train; Seed = seed; Threads = 1; Say = ignore; Progress = quiet; Cancel = CancellationToken.None; ItemContent = content; Validation = Some validation; CacheDir = None } spec.Hyper
        model.Save(Path.Combine(dir, Execution.FittedModelFileName))
        model

/// <see cref="buildWith"/> on the structured fixture, whose items have content (StructuredData.content).
let private build spec train validation dir seed = buildWith (StructuredData.content >> Ok) spec train validation dir seed

/// Every row's scores, rows x items.
let private scores (model: IRecommender) (foldIn: CsrMatrix) =
    let out = Array.zeroCreate<float32> (foldIn.Rows * model.Items)
    model.Score(foldIn, ReadOnlySpan [| 0 .. foldIn.Rows - 1 |], Span out)
    out

let private ndcg100 (model: IRecommender) (foldIn: CsrMatrix) (target: CsrMatrix) =
    let result = Evaluator.Evaluate(model.AsBatchScorer(), foldIn, target, [| MetricSpec.Ndcg 100 |], maxDegreeOfParallelism = 1)
    result.[MetricSpec.Ndcg 100].Summary.Mean

let private bitIdentical (a: float32[]) (b: float32[]) = a.Length = b.Length && Array.forall2 (fun (x: float32) y -> x.Equals y) a b

let private tiny (e: ModelEntry) : ModelSpec = { Entry = e; Hyper = e.Tiny }

let private popularityNdcg (train: CsrMatrix) (held: HeldOutSet) =
    use popularity = Popularity.Popularity.Fit train
    ndcg100 popularity held.FoldIn held.Target

/// The ML-100K reference split (100 + 100 held-out users), as the notebook wrote it.
let private referenceSplit (dir: string) = ProSgFormat.Import(Path.Combine(dir, "reference-split"))

let private contract (e: ModelEntry) =
    testList e.Name [
        if e.Name <> Models.popularity.Entry.Name then
            testCase "trains or fits on a small structured fixture and beats popularity there" <| fun () ->
                withFolder (fun dir ->
                    use model = build (tiny e) train validation dir 3UL
                    let mine, pop = ndcg100 model validation.FoldIn validation.Target, popularityNdcg train validation
                    Expect.isGreaterThan mine (pop + 0.05) (sprintf "%s NDCG@100 %.4f vs popularity %.4f" e.Name mine pop))

        if not e.IsFitted then
            testCase "its training loss falls under the shared driver" <| fun () ->
                withFolder (fun dir ->
                    TorchRuntime.EnsureLoaded 1
                    match e.Making with
                    | Trained create ->
                        use model = create items e.Tiny 3UL
                        let outcome = TrainingDriver.Run(model, train, validation, TrainingOptions(RunDirectory = dir, Seed = 3UL, Threads = 1), quiet, CancellationToken.None)
                        let first, last = outcome.Epochs.[0], outcome.Epochs.[outcome.Epochs.Count - 1]
                        Expect.isLessThan last.MeanLoss first.MeanLoss "mean loss of the last epoch below the first's"
                    | Fitted _ -> failtest "trained")

        testCase "saved and reloaded the way `repro recommend` loads it, it gives bit-identical scores" <| fun () ->
            withFolder (fun dir ->
                use model = build (tiny e) train validation dir 5UL
                let before = scores model validation.FoldIn
                match Execution.loadSaved (tiny e) dir items with
                | Error why -> failtestf "reload failed: %s" why
                | Ok reloaded ->
                    use reloaded = reloaded
                    Expect.equal reloaded.Items model.Items "same item count"
                    Expect.isTrue (bitIdentical before (scores reloaded validation.FoldIn)) "bit-identical scores")

        testCase "fold-in items are never recommended, and no score is NaN" <| fun () ->
            withFolder (fun dir ->
                use model = build (tiny e) train validation dir 7UL
                // Targets = the fold-in items themselves: any hit in the full ranking would be a leak.
                let result = Evaluator.Evaluate(model.AsBatchScorer(), validation.FoldIn, validation.FoldIn, [| MetricSpec.Recall items |], maxDegreeOfParallelism = 1)
                Expect.isGreaterThan result.IncludedRows.Length 0 "some users evaluated"
                Expect.isTrue (result.[MetricSpec.Recall items].Values |> Array.forall (fun v -> v = 0.0)) "no fold-in item ranked"
                Expect.isFalse (scores model validation.FoldIn |> Array.exists Single.IsNaN) "no NaN score")

        testCase "the same seed and thread count give bit-identical scores" <| fun () ->
            withFolder (fun dir ->
                use a = build (tiny e) train validation (Path.Combine(dir, "a")) 11UL
                use b = build (tiny e) train validation (Path.Combine(dir, "b")) 11UL
                Expect.isTrue (bitIdentical (scores a validation.FoldIn) (scores b validation.FoldIn)) "two runs, one seed")

        testCase "an unknown setting is refused, naming the settings it has" <| fun () ->
            match ModelSpec.parse e.Name [ "no-such-setting=1" ] with
            | Ok _ -> failtest "accepted"
            | Error why ->
                match Settings.describe e.Paper with
                | [] -> Expect.stringContains why "has no settings" "says it has none"
                | settings -> for name, _ in settings do Expect.stringContains why name "lists every setting"

        match Settings.describe e.Paper with
        | [] -> ()
        | (first, _) :: _ ->
            testCase "a value of the wrong kind is refused, naming the setting and what it takes" <| fun () ->
                match ModelSpec.parse e.Name [ first + "=not-a-value" ] with
                | Ok _ -> failtest "accepted"
                | Error why ->
                    Expect.stringContains why first "names the setting"
                    Expect.stringContains why "takes" "says what it takes"

        testCase "its name and aliases find it, and run.json's settings rebuild it" <| fun () ->
            for name in e.Name :: e.Aliases do
                Expect.isTrue (match Models.tryFind (name.ToUpperInvariant()) with Some found -> obj.ReferenceEquals(found, e) | None -> false) (sprintf "'%s' finds it" name)
            let spec = tiny e
            Expect.equal (ModelSpec.ofSettings e.Name spec.Settings) (Ok spec) "settings round-trip"
            Expect.isOk (ModelSpec.validate { Entry = e; Hyper = e.Paper }) "Paper validates"

        SharedData.testWithData "ml-100k" "beats popularity on NDCG@100 on the ML-100K reference split (paper settings, at most 50 epochs)" (fun dir ->
            let split = referenceSplit dir
            let paper = { Entry = e; Hyper = e.Paper }
            let spec = if e.IsFitted then paper else ModelSpec.withEpochs (min 50 (Settings.describe e.Paper |> List.find (fst >> (=) "epochs") |> snd |> int)) paper |> Result.defaultWith failwith
            withFolder (fun run ->
                // ML-100K has no item content: a model that needs it (CDL) must refuse, saying so.
                match (try Ok(buildWith (fun _ -> Datasets.noContent "ml-100k") spec split.Train split.Validation run 98765UL)
                       with :? InvalidOperationException as ex when ex.Message.Contains "item content" -> Error ex.Message) with
                | Error why -> Expect.stringContains why "ml-100k has no item content" (sprintf "%s says which dataset lacks content" e.Name)
                | Ok model ->
                use model = model
                let mine = ndcg100 model split.TestFoldIn split.TestTarget
                let pop = popularityNdcg split.Train split.Test
                if e.Name = Models.popularity.Entry.Name then Expect.floatClose Accuracy.veryHigh mine pop "popularity is the reference"
                else Expect.isGreaterThan mine pop (sprintf "%s NDCG@100 %.4f vs popularity %.4f" e.Name mine pop)))
    ]

[<Tests>]
let tests =
    // Sequenced: libtorch's thread count is process-wide, and the same-seed test compares runs bit for bit.
    testSequenced <| testList "Models.Contract" [ for e in Models.all -> contract e ]
