module Repro.Tests.Models.LocaPartsTests

open System
open System.IO
open System.Text.Json
open System.Threading
open Expecto
open FsCheck
open Repro.Core.Models
open Repro.Core.Models.Loca
open Repro.Harness
open Repro.Harness.Experiment
open Repro.Tests.StructuredData
open Repro.Tests.TempFiles

let private close tol (a: float32) (b: float32) msg =
    if Single.IsNegativeInfinity b then Expect.isTrue (Single.IsNegativeInfinity a) msg
    else Expect.floatClose { absolute = tol; relative = tol } (float a) (float b) msg

/// The one-process scores of every validation user (one batch, as the evaluator scores them).
let private wholeScores (model: IRecommender) =
    let rows = [| 0 .. validation.FoldIn.Rows - 1 |]
    let out = Array.zeroCreate<float32> (rows.Length * model.Items)
    model.Score(validation.FoldIn, ReadOnlySpan rows, Span out)
    out

/// The scores of the same users from <paramref name="models"/>.[k] doing part k + 1 of models.Length
/// (each model a separate copy, as separate processes hold), then summed and finished by <paramref name="combiner"/>.
let private partScores (models: ILocaLocalModels list) (combiner: ILocaLocalModels) =
    let n = models.Length
    let sums =
        models |> List.mapi (fun k m ->
            let struct (first, count) = LocaCombination.PartRange(m.Groups.Count, k + 1, n)
            LocaPartial.Accumulate(m, validation.FoldIn, first, count))
    let total = LocaPartial.Sum(Array.ofList sums)
    total.Finish(combiner, validation.FoldIn) |> ignore
    total.Scores

let private easeHyper = LocaEaseHyper(Anchors = 12, EmbeddingLatent = 4, EmbeddingEpochs = 5, EmbeddingBatchSize = 32, EmbeddingLearningRate = 1e-2,
                                      LocalLambda = 10.0, GlobalLambda = 20.0, TestBandwidth = 0.6, TrainBandwidth = 0.8)
let private vaeHyper = LocaVaeHyper(Anchors = 6, Latent = 4, GlobalEpochs = 3, LocalEpochs = 2, BatchSize = 32, LearningRate = 1e-2, TestBandwidth = 0.6, TrainBandwidth = 0.8)

/// vaeHyper with local early stopping.
let private stoppingHyper =
    LocaVaeHyper(Anchors = 6, Latent = 4, GlobalEpochs = 3, LocalEpochs = 6, BatchSize = 32, LearningRate = 1e-1, TestBandwidth = 0.6, TrainBandwidth = 0.8,
                 LocalEarlyStopping = true)

/// LOCA-VAE fitted whole and in 3 parts (each a copy of the saved global step training its own
/// local models): the parts' combined scores equal the whole fit's within 1e-5.
let private vaeInParts (hyper: LocaVaeHyper) (stopOn: Repro.Core.Protocols.HeldOutSet option) =
    Repro.Core.TorchRuntime.EnsureLoaded 1
    withFolder (fun dir ->
        let validationSet = Option.toObj stopOn
        use whole = LocaVae.Fit(train, hyper, 9UL, validation = validationSet)
        let expected = wholeScores whole
        Expect.isGreaterThan whole.Groups.Count 2 "at least 3 local models"
        let path = Path.Combine(dir, "global.bin")
        do
            use g = LocaVae.FitGlobal(train, hyper, 9UL)
            Expect.equal g.LocalModels 0 "the global step trains no local model"
            g.Save path
        let parts = [ for _ in 1 .. 3 -> LocaVae.Load path ]
        Expect.equal parts.Head.Hyper.LocalEarlyStopping hyper.LocalEarlyStopping "the saved global step keeps local-early-stopping"
        parts |> List.iteri (fun k m ->
            let struct (first, count) = LocaCombination.PartRange(m.Groups.Count, k + 1, 3)
            m.PrepareLocal(train, first, count, 9UL, null, CancellationToken.None, validationSet)
            Expect.equal m.LocalModels count (sprintf "part %d trains its %d local models only" (k + 1) count))
        if hyper.LocalEarlyStopping then
            let kept = parts |> List.collect (fun m -> [ for kv in m.KeptEpochs -> kv.Key, kv.Value ]) |> List.sort
            Expect.equal kept ([ for kv in whole.KeptEpochs -> kv.Key, kv.Value ] |> List.sort) "each local model kept at the same epoch as in the whole fit"
            Expect.exists kept (fun (_, e) -> e < hyper.LocalEpochs) "some local model stops before its last epoch (else this proves little)"
        use combiner = LocaVae.Load path
        let got = partScores (parts |> List.map (fun m -> m :> ILocaLocalModels)) combiner
        for m in parts do m.Dispose()
        for k in 0 .. expected.Length - 1 do close 1e-5 got.[k] expected.[k] (sprintf "score %d" k))

[<Tests>]
let coreTests =
    testSequenced <| testList "Models.LocaParts" [
        testProperty "part ranges are contiguous, cover every group once, and differ in size by at most one" <| fun (PositiveInt groups0) (PositiveInt parts0) ->
            let groups, parts = groups0 % 400, 1 + parts0 % 40
            let ranges = [ for k in 1 .. parts -> let struct (f, c) = LocaCombination.PartRange(groups, k, parts) in f, c ]
            let struct1 = ranges |> List.map (fun (f, c) -> f, c)
            let starts = struct1 |> List.map fst
            let counts = struct1 |> List.map snd
            starts.Head = 0
            && List.forall2 (fun (f, c) f' -> f + c = f') struct1.[.. parts - 2] starts.Tail
            && List.sum counts = groups
            && List.max counts - List.min counts <= 1

        testCase "a part outside 1..N, or no parts, is refused naming the value" <| fun () ->
            let e = Expect.throwsT<ArgumentOutOfRangeException> (fun () -> LocaCombination.PartRange(10, 0, 3) |> ignore) "part 0"
            ignore e
            Expect.throwsT<ArgumentOutOfRangeException> (fun () -> LocaCombination.PartRange(10, 4, 3) |> ignore) "part 4 of 3"
            Expect.throwsT<ArgumentOutOfRangeException> (fun () -> LocaCombination.PartRange(10, 1, 0) |> ignore) "0 parts"

        testCase "LOCA-EASE in 3 parts gives the one-process scores within float rounding (1e-5 relative); in 1 part bit for bit" <| fun () ->
            Repro.Core.TorchRuntime.EnsureLoaded 1
            use model = LocaEase.Fit(train, easeHyper, 5UL)
            Expect.isGreaterThan model.Groups.Count 3 "more local models than parts"
            let whole = wholeScores model
            Expect.isGreaterThan model.LocalModelsFitted 3 "local models took part in the one-process scores"
            Expect.isLessThan model.FallbackUsers (int64 validation.FoldIn.Rows) "some users are covered"
            let three = partScores [ model; model; model ] model
            for k in 0 .. whole.Length - 1 do close 1e-5 three.[k] whole.[k] (sprintf "3 parts, score %d" k)
            let one = partScores [ model ] model
            Expect.sequenceEqual one whole "1 part: the same floats"

        testCase "LOCA-VAE in 3 parts, each training only its own local models on a copy of the global step, gives the one-process scores within 1e-5" <| fun () ->
            vaeInParts vaeHyper None

        testCase "LOCA-VAE with local early stopping in 3 parts: the saved global step keeps the setting, each part stops on validation, scores as one process" <| fun () ->
            vaeInParts stoppingHyper (Some validation)

        testCase "a part file keeps only covered rows, reads back equal, and is refused for another global state or part" <| fun () ->
            withFolder (fun dir ->
                let p = LocaPartial(3, 2)
                p.WeightSum.[0] <- 0.5
                p.WeightSum.[2] <- 1.25
                Array.blit [| 1.0f; -2.0f; 0.0f; 0.0f; Single.NegativeInfinity; 4.0f |] 0 p.Scores 0 6
                let path = Path.Combine(dir, "part-2-of-3.bin")
                LocaPartial.Save(path, "abc", 2, 3, [| struct ("test", p) |])
                let struct (name, back) = (LocaPartial.Load(path, "abc", 2, 3)).[0]
                Expect.equal name "test" "set name"
                Expect.sequenceEqual back.WeightSum p.WeightSum "weights"
                Expect.sequenceEqual back.Scores p.Scores "scores"
                let other = Expect.throwsT<Repro.Core.Data.Cache.StaleCacheException> (fun () -> LocaPartial.Load(path, "xyz", 2, 3) |> ignore) "another key"
                ignore other
                let wrongPart = try LocaPartial.Load(path, "abc", 1, 3) |> ignore; "" with :? Repro.Core.Data.Cache.StaleCacheException as e -> e.Message
                Expect.stringContains wrongPart path "names the file"
                Expect.stringContains wrongPart "part 2 of 3, expected part 1 of 3" "says which part it holds")
    ]

// ---------------------------------------------------------------- the harness's steps and plans

let private tinyEase = Models.locaEase.With(LocaEaseHyper(Anchors = 8, EmbeddingLatent = 4, EmbeddingEpochs = 5, EmbeddingBatchSize = 32, EmbeddingLearningRate = 1e-2, LocalLambda = 10.0, GlobalLambda = 20.0))
let private tinyVae = Models.locaVae.With(LocaVaeHyper(Anchors = 4, Latent = 4, GlobalEpochs = 3, LocalEpochs = 2, BatchSize = 32, LearningRate = 1e-2))

let private experiment (models: ModelSpec list) =
    { Id = "tiny"; Title = "test"
      Datasets = [ { Dataset = "synthetic-tiny"; Protocol = Strong; Heldout = None; Epochs = 3 } ]
      Models = fun _ -> models |> List.map arm
      Metrics = paperMetrics; Seeds = 1 }

let private options (dir: string) (results: string) : Runner.Options =
    { Results = Path.Combine(dir, results); DataDir = Path.Combine(dir, "data"); Only = None; Seeds = None; Threads = 1 }

/// (metric, mean) of metrics.json's test part, and test-users.tsv's lines.
let private outcome (folder: string) =
    use doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "metrics.json")))
    let test = doc.RootElement.GetProperty "test"
    [ for p in test.EnumerateObject() do if p.Value.ValueKind = JsonValueKind.Object then p.Name, p.Value.GetProperty("mean").GetDouble() ],
    File.ReadAllLines(Path.Combine(folder, "test-users.tsv"))

[<Tests>]
let harnessTests =
    testSequenced <| testList "Harness.LocaParts" [
        testCase "--part takes global, K/N and combine, and refuses anything else naming the value" <| fun () ->
            Expect.equal (LocaParts.parse "global") (Ok LocaParts.Global) "global"
            Expect.equal (LocaParts.parse "3/8") (Ok(LocaParts.Part(3, 8))) "3/8"
            Expect.equal (LocaParts.parse "combine") (Ok LocaParts.Combine) "combine"
            for bad in [ "0/8"; "9/8"; "3"; "a/b"; "" ] do
                match LocaParts.parse bad with
                | Ok s -> failtestf "'%s' parsed as %O" bad s
                | Error why -> Expect.stringContains why (sprintf "got '%s'" bad) "names the value"

        for spec in [ tinyEase; tinyVae ] do
            testCase (sprintf "%s in 3 parts (global, 1/3..3/3 in reverse order, combine) writes the one-process run's metrics and per-user values" spec.Name) <| fun () ->
                withFolder (fun dir ->
                    let e = experiment [ spec ]
                    let whole, split = options dir "whole", options dir "split"
                    let summary = Runner.execute whole e ignore CancellationToken.None
                    Expect.equal summary.Completed 1 "the one-process run"
                    let r = (runs None e).Head
                    let step s = LocaParts.run split r s ignore CancellationToken.None
                    match step (LocaParts.Part(1, 3)) with
                    | Ok() -> failtest "a part before the global step"
                    | Error why -> Expect.stringContains why "--part global" "says the global step comes first"
                    Expect.equal (step LocaParts.Global) (Ok()) "global"
                    for k in [ 3; 2 ] do Expect.equal (step (LocaParts.Part(k, 3))) (Ok()) (sprintf "part %d" k)
                    match step LocaParts.Combine with
                    | Ok() -> failtest "combined without part 1"
                    | Error why -> Expect.stringContains why "part(s) 1 of 3 are missing" "names the missing part"
                    Expect.equal (step (LocaParts.Part(1, 3))) (Ok()) "part 1"
                    Expect.equal (step LocaParts.Combine) (Ok()) "combine"
                    Expect.isTrue (Runner.isFinished (r.Folder split.Results)) "the split run is finished"
                    let wholeMetrics, wholeUsers = outcome (r.Folder whole.Results)
                    let splitMetrics, splitUsers = outcome (r.Folder split.Results)
                    Expect.equal (List.map fst splitMetrics) (List.map fst wholeMetrics) "the same metrics"
                    for (m, a), (_, b) in List.zip splitMetrics wholeMetrics do
                        Expect.floatClose { absolute = 1e-9; relative = 1e-9 } a b m
                    Expect.sequenceEqual splitUsers wholeUsers "per-user values"
                    use doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(r.Folder split.Results, "metrics.json")))
                    let test = doc.RootElement.GetProperty "test"
                    Expect.equal (test.GetProperty("parts").GetDouble()) 3.0 "records the parts"
                    Expect.isGreaterThan (test.GetProperty("localModelsUsed").GetDouble()) 1.0 "local models scored test users"
                    Expect.isLessThan (test.GetProperty("fallbackUsers").GetDouble()) (float (splitUsers.Length - 1)) "not every test user fell back")

        for spec in [ tinyEase; tinyVae ] do
            testCase (sprintf "%s in 2 parts under leave-5-by-time-refit: the steps do the selection run, then the same steps the refit, as one process" spec.Name) <| fun () ->
                withFolder (fun dir ->
                    Repro.Tests.ProtocolTestData.writeTimedAmusic (Path.Combine(dir, "data"))
                    let e = { experiment [ spec ] with Datasets = [ { Dataset = "amusic"; Protocol = LeaveLastByTimeRefit; Heldout = None; Epochs = 3 } ] }
                    let whole, split = options dir "whole", options dir "split"
                    Expect.equal (Runner.execute whole e ignore CancellationToken.None).Completed 1 "the one-process run"
                    let r = (runs None e).Head
                    let top = r.Folder split.Results
                    let selection = Path.Combine(top, Refit.SelectionFolderName)
                    let p : Plan.PlanOptions = { Experiment = e; Runner = split; Repro = "repro"; Threads = 1 }
                    let globals (text: string) = text.Split('\n') |> Array.filter (fun l -> l.EndsWith "--part global") |> Array.length
                    Expect.equal (globals (match Plan.shellParts p 2 with Ok t -> t | Error why -> failtest why)) 2 "the plan gives the steps twice"
                    let slurm = (match Plan.slurmParts p 2 with Ok t -> t | Error why -> failtest why).Split('\n') |> Array.filter (fun l -> l.StartsWith "GLOBAL=$(sbatch")
                    Expect.equal slurm.Length 2 "two global jobs"
                    Expect.isFalse (slurm.[0].Contains "--dependency") "the selection run's global job waits for nothing"
                    Expect.stringContains slurm.[1] "--dependency=afterok:$COMBINE" "the refit's global job waits for the selection run's combine"
                    let step s = LocaParts.run split r s ignore CancellationToken.None
                    let round () = for s in [ LocaParts.Global; LocaParts.Part(2, 2); LocaParts.Part(1, 2); LocaParts.Combine ] do Expect.equal (step s) (Ok()) (string s)
                    round ()
                    Expect.isTrue (Runner.isFinished selection) "the first round finishes the selection run"
                    Expect.isFalse (Runner.isFinished top) "and not the refit"
                    Expect.equal (globals (match Plan.shellParts p 2 with Ok t -> t | Error why -> failtest why)) 1 "then the plan gives them once"
                    round ()
                    Expect.isTrue (Runner.isFinished top) "the second round finishes the refit"
                    for folder, wholeFolder in [ selection, Path.Combine(r.Folder whole.Results, Refit.SelectionFolderName); top, r.Folder whole.Results ] do
                        let wholeMetrics, wholeUsers = outcome wholeFolder
                        let splitMetrics, splitUsers = outcome folder
                        Expect.equal (List.map fst splitMetrics) (List.map fst wholeMetrics) "the same metrics"
                        for (m, a), (_, b) in List.zip splitMetrics wholeMetrics do
                            Expect.floatClose { absolute = 1e-6; relative = 1e-6 } a b (sprintf "%s in %s" m folder)
                        Expect.equal splitUsers.Length wholeUsers.Length "per-user rows"
                    let extras = RunFolder.readPart top "test" |> Option.get |> snd
                    Expect.equal (List.tryFind (fst >> (=) "selectionValidationNdcg@100") extras |> Option.map snd) (RunFolder.validationNdcg selection) "the refit records its selection run's validation NDCG@100"
                    use run = JsonDocument.Parse(File.ReadAllText(Path.Combine(top, "run.json")))
                    Expect.stringContains (run.RootElement.GetProperty("protocol").GetString()) "fitted on the training rows plus the validation events" "run.json says how the refit trained"
                    Expect.equal (step LocaParts.Global) (Ok()) "a step of a finished run does nothing")

        testCase "LOCA-VAE's local early stopping in parts under a refit protocol is refused before any step" <| fun () ->
            withFolder (fun dir ->
                let spec = Models.locaVae.With(LocaVaeHyper(Anchors = 4, Latent = 4, GlobalEpochs = 3, LocalEpochs = 2, BatchSize = 32, LocalEarlyStopping = true))
                let e = { experiment [ spec ] with Datasets = [ { Dataset = "amusic"; Protocol = LeaveLastByTimeRefit; Heldout = None; Epochs = 3 } ] }
                Repro.Tests.ProtocolTestData.writeTimedAmusic (Path.Combine(dir, "data"))
                let r = (runs None e).Head
                match LocaParts.run (options dir "r") r LocaParts.Global ignore CancellationToken.None with
                | Ok() -> failtest "started"
                | Error why -> Expect.stringContains why "set local-early-stopping=false" "says what to do"
                Expect.isFalse (Directory.Exists(Path.Combine(r.Folder (options dir "r").Results, Refit.SelectionFolderName, LocaParts.FolderName))) "no step ran")

        for spec in [ tinyEase; tinyVae ] do
            testCase (sprintf "%s: a part stopped after a checkpoint goes on from it and writes the uninterrupted part's file; a lagging count starts it over" spec.Name) <| fun () ->
                withFolder (fun dir ->
                    let e = experiment [ spec ]
                    let r = (runs None e).Head
                    let whole = options dir "whole"
                    Expect.equal (LocaParts.run whole r LocaParts.Global ignore CancellationToken.None) (Ok()) "global"
                    Expect.equal (LocaParts.run whole r (LocaParts.Part(1, 1)) ignore CancellationToken.None) (Ok()) "uninterrupted part"
                    let expected = File.ReadAllBytes(LocaParts.partFile (r.Folder whole.Results) 1 1)
                    for name, tamper in [ "resumed", false; "started over", true ] do
                        let o = options dir name
                        let folder = r.Folder o.Results
                        // The same global state (its fingerprint keys the part files).
                        Directory.CreateDirectory(Path.Combine(folder, LocaParts.FolderName)) |> ignore
                        File.Copy(LocaParts.globalFile (r.Folder whole.Results), LocaParts.globalFile folder)
                        use cts = new CancellationTokenSource()
                        match LocaParts.run o r (LocaParts.Part(1, 1)) (fun m -> if m.Contains "checkpoint" then cts.Cancel()) cts.Token with
                        | Ok() -> failtest "the part was not stopped"
                        | Error why -> Expect.stringContains why "goes on from its last checkpoint" "says what the same command does"
                        let next = Path.Combine(folder, LocaParts.FolderName, "part-1-of-1.next")
                        Expect.equal (File.ReadAllText next) "1" "one group done"
                        if tamper then File.WriteAllText(next, "2") // the count lags behind the sums it names
                        let said = ResizeArray<string>()
                        Expect.equal (LocaParts.run o r (LocaParts.Part(1, 1)) said.Add CancellationToken.None) (Ok()) name
                        Expect.equal (said |> Seq.exists (fun m -> m.Contains "resumed after 1")) (not tamper) (sprintf "%s: whether it went on from the checkpoint" name)
                        Expect.isTrue (File.ReadAllBytes(LocaParts.partFile folder 1 1) = expected) (sprintf "%s: the uninterrupted part's file, byte for byte" name)
                        Expect.isFalse (File.Exists next) "the checkpoint is removed with the part done")

        testCase "a run in parts on this machine (2 at once) gives the one-process metrics; under a refit both runs; a failed part stops it before the combine, named" <| fun () ->
            withFolder (fun dir ->
                Repro.Tests.ProtocolTestData.writeTimedAmusic (Path.Combine(dir, "data"))
                let strong = experiment [ tinyVae ]
                let refit = { experiment [ tinyEase ] with Datasets = [ { Dataset = "amusic"; Protocol = LeaveLastByTimeRefit; Heldout = None; Epochs = 3 } ] }
                for e in [ strong; refit ] do
                    let whole, here = options dir "whole", options dir "here"
                    Expect.equal (Runner.execute whole e ignore CancellationToken.None).Completed 1 "the one-process run"
                    let r = (runs None e).Head
                    let inProcess k = LocaParts.run here r (LocaParts.Part(k, 3)) ignore CancellationToken.None
                    Expect.equal (LocaParts.runHere here r 3 2 inProcess ignore CancellationToken.None) (Ok()) (sprintf "%s in parts" r.Id)
                    Expect.isTrue (Runner.isFinished (r.Folder here.Results)) "finished"
                    let wholeMetrics, _ = outcome (r.Folder whole.Results)
                    let hereMetrics, _ = outcome (r.Folder here.Results)
                    for (m, a), (_, b) in List.zip hereMetrics wholeMetrics do
                        Expect.floatClose { absolute = 1e-6; relative = 1e-6 } a b (sprintf "%s: %s" r.Id m)
                let r = (runs None strong).Head
                let broken = options dir "broken"
                let failing k = if k = 2 then Error "no memory" else LocaParts.run broken r (LocaParts.Part(k, 3)) ignore CancellationToken.None
                match LocaParts.runHere broken r 3 2 failing ignore CancellationToken.None with
                | Ok() -> failtest "a failed part went unnoticed"
                | Error why -> Expect.stringContains why "part 2 of 3: no memory" "names the part and why"
                Expect.isFalse (Runner.isFinished (r.Folder broken.Results)) "no combine without every part"
                Expect.isTrue (File.Exists(LocaParts.partFile (r.Folder broken.Results) 1 3)) "the other parts are kept")

        testCase "a run of another model is refused by --part and by a plan in parts, naming it" <| fun () ->
            withFolder (fun dir ->
                let e = experiment [ Models.popularity.Spec ]
                let r = (runs None e).Head
                match LocaParts.run (options dir "r") r LocaParts.Global ignore CancellationToken.None with
                | Ok() -> failtest "popularity split"
                | Error why -> Expect.stringContains why "popularity has no local models" "names the model"
                let p : Plan.PlanOptions = { Experiment = e; Runner = options dir "r"; Repro = "repro"; Threads = 2 }
                match Plan.slurmParts p 4 with
                | Ok _ -> failtest "planned popularity in parts"
                | Error why -> Expect.stringContains why r.Id "names the run")

        testCase "the Slurm plan in parts submits the global step, an array of N parts after it, and a combine job after the array" <| fun () ->
            withFolder (fun dir ->
                let e = experiment [ tinyEase ]
                let r = (runs None e).Head
                let p : Plan.PlanOptions = { Experiment = e; Runner = options dir "r"; Repro = "repro"; Threads = 2 }
                let text = match Plan.slurmParts p 8 with Ok t -> t | Error why -> failtest why
                let lines = text.Split('\n')
                let find (prefix: string) = lines |> Array.filter (fun l -> l.StartsWith prefix)
                let g, parts, combine = find "GLOBAL=$(sbatch", find "PARTS=$(sbatch", find "COMBINE=$(sbatch"
                Expect.equal (g.Length, parts.Length, combine.Length) (1, 1, 1) "one job of each per run"
                Expect.stringContains g.[0] (sprintf "--only '%s'" r.Id) "the run"
                Expect.stringContains g.[0] "--part global\")" "global step"
                Expect.isFalse (g.[0].Contains "--dependency") "the global step waits for nothing"
                Expect.stringContains parts.[0] "--dependency=afterok:$GLOBAL --array=1-8" "8 tasks after the global step"
                Expect.stringContains parts.[0] "--part \\${SLURM_ARRAY_TASK_ID}/8\")" "task K does part K of 8, expanded when the task runs"
                Expect.stringContains combine.[0] "--dependency=afterok:$PARTS" "after every task"
                Expect.stringContains combine.[0] "--part combine\")" "combine step"
                Expect.stringContains parts.[0] "--cpus-per-task=2" "threads"
                let shell = match Plan.shellParts p 3 with Ok t -> t | Error why -> failtest why
                let commands = shell.Split('\n') |> Array.filter (fun l -> l.StartsWith "repro ") |> Array.map (fun l -> l.Substring(l.LastIndexOf "--part "))
                Expect.equal (List.ofArray commands) [ "--part global"; "--part 1/3"; "--part 2/3"; "--part 3/3"; "--part combine" ] "the steps in order")
    ]

/// Exit code and output lines of the built CLI run as its own process (`dotnet repro.dll ARGS`), as a user runs it.
let private reproProcess (args: string list) =
    let info = Diagnostics.ProcessStartInfo("dotnet", RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false)
    for a in Path.Combine(AppContext.BaseDirectory, "repro.dll") :: args do info.ArgumentList.Add a
    use p = Diagnostics.Process.Start info
    let err = p.StandardError.ReadToEndAsync()
    let out = p.StandardOutput.ReadToEnd()
    p.WaitForExit()
    p.ExitCode, out + err.Result

[<Tests>]
let cliTests =
    testSequenced <| testList "Cli.Parts" [
        Repro.Tests.SharedData.testWithData "ml-100k" "repro run --parts 2 --workers 2 starts each part as a child process of the CLI and writes the one-process run's metrics" <| fun (ml100k: string) ->
            withFolder (fun dir ->
                let data = Path.GetDirectoryName ml100k
                let id = "ml-100k/loca-vae-6bff6d31-s1" // loca-q's LOCA-VAE with 10 local models, about 15 s
                let common results = [ "--data-dir"; data; "run"; "--experiment"; "loca-q"; "--only"; id; "--threads"; "1"; "--results"; Path.Combine(dir, results) ]
                let code, _, err = Repro.Tests.CliRunner.repro (common "whole")
                Expect.equal code 0 (sprintf "the one-process run: %s" err)
                let code, output = reproProcess (common "parts" @ [ "--parts"; "2"; "--workers"; "2" ])
                Expect.equal code 0 (sprintf "the run in parts:\n%s" output)
                for k in 1 .. 2 do Expect.stringContains output (sprintf "[part %d/2]" k) (sprintf "part %d's lines, tagged" k)
                Expect.stringContains output (sprintf "%s: done" id) "says the run is done"
                let folder results = Path.Combine(dir, results, "loca-q", id)
                let wholeMetrics, _ = outcome (folder "whole")
                let partsMetrics, _ = outcome (folder "parts")
                Expect.equal (List.map fst partsMetrics) (List.map fst wholeMetrics) "the same metrics"
                for (m, a), (_, b) in List.zip partsMetrics wholeMetrics do
                    Expect.floatClose { absolute = 1e-6; relative = 1e-6 } a b m)
    ]
