module Repro.Tests.RunnerTests

open System
open System.IO
open System.Text.Json
open System.Threading
open Expecto
open Repro.Core.Training
open Repro.Harness
open Repro.Harness.Experiment
open Repro.Harness.Models
open Repro.Tests.TempFiles

/// A Mult-VAE small enough for seconds on synthetic-tiny.
let private tinyVae = Models.multVae.With(MultVaeHyper(Hidden = 16, Latent = 8, BatchSize = 32, Epochs = 3))
let private tinyDae = Models.multDae.With(MultDaeHyper(Hidden = 16, BatchSize = 32, Epochs = 3))
/// Refused by MultVaeHyper.Validate (latent dimension 0): a run that fails.
let private broken = Models.multVae.With(MultVaeHyper(Hidden = 16, Latent = 0, BatchSize = 32, Epochs = 3))

let private tinyExperiment (models: ModelSpec list) =
    { Id = "tiny"; Title = "test"
      Datasets = [ { Dataset = "synthetic-tiny"; Protocol = Strong; Heldout = None; Epochs = 3 } ]
      Models = fun _ -> models |> List.map arm
      Metrics = paperMetrics; Seeds = 1 }

let private options (dir: string) : Runner.Options =
    { Results = Path.Combine(dir, "results"); DataDir = Path.Combine(dir, "data"); Only = None; Seeds = None; Threads = 1 }

/// Runs the experiment, returning the summary and the ids of the runs that started.
let private execute (o: Runner.Options) (e: Experiment) (cancel: CancellationToken) =
    let started = ResizeArray()
    let events = ResizeArray()
    let summary =
        Runner.execute o e (fun ev ->
            events.Add ev
            match ev with Runner.RunStarting(_, _, r, _) -> started.Add r.Id | _ -> ()) cancel
    summary, List.ofSeq started, List.ofSeq events

let private testMetrics (folder: string) =
    use doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "metrics.json")))
    doc.RootElement.GetProperty("test").GetRawText()

open Repro.Tests.CliRunner

/// Writes a run folder as the runner and Train.execute leave it, without training.
let private fakeRun (folder: string) (dataset: string) (group: string) (ndcg: float) (se: float) =
    Directory.CreateDirectory folder |> ignore
    File.WriteAllText(Path.Combine(folder, "experiment.json"),
        sprintf """{"experiment":"smoke","dataset":"%s","model":"mult-vae","group":"%s","settingsHash":"00000000","seed":1}""" dataset group)
    File.WriteAllText(Path.Combine(folder, "metrics.json"),
        sprintf """{"test":{"Ndcg@100":{"mean":%g,"standardError":%g,"users":100,"excluded":0},"bestEpoch":3}}""" ndcg se)

[<Tests>]
let experimentTests =
    testList "Harness.Experiment" [
        testCase "the settings hash is the first 8 hex digits of SHA-256 of the sorted name=value lines" <| fun () ->
            // sha256("") = e3b0c442...; sha256("lambda=500") = 77a36ae4... (computed independently)
            Expect.equal (settingsHash Models.popularity.Spec) "e3b0c442" "no settings"
            Expect.equal (settingsHash (Models.ease.With(EaseHyper(Lambda = 500.0)))) "77a36ae4" "EASE lambda 500"

        testCase "a run's folder is <experiment>/<dataset>/<model>-<hash8>-s<seed> and its id drops the experiment" <| fun () ->
            let r = runs None (tinyExperiment [ Models.popularity.Spec ]) |> List.exactlyOne
            Expect.equal r.Id "synthetic-tiny/popularity-e3b0c442-s1" "id"
            Expect.equal (r.Folder "res") (Path.Combine("res", "tiny", "synthetic-tiny", "popularity-e3b0c442-s1")) "folder"

        testCase "grid points differ in hash, different settings never share a folder" <| fun () ->
            let grid = [ for c in [ 2.; 5. ] -> Models.wmf.With(WmfHyper(Confidence = c)) ]
            let ids = runs None (tinyExperiment grid) |> List.map (fun r -> r.Id)
            Expect.equal (List.distinct ids).Length 2 "two folders"

        testCase "run seeds are derived: stable, different per seed index and dataset, shared by grid points" <| fun () ->
            let e = { tinyExperiment [ Models.wmf.With(WmfHyper(Confidence = 2.0)); Models.wmf.With(WmfHyper(Confidence = 5.0)) ] with Seeds = 2 }
            let rs = runs None e
            Expect.equal rs.Length 4 "2 grid points x 2 seeds"
            let seedOf c s = (rs |> List.find (fun r -> r.SeedIndex = s && (match Models.wmf.HyperOf r.Model with Some h -> h.Confidence = c | None -> false))).Seed
            Expect.equal (seedOf 2.0 1) (seedOf 5.0 1) "grid points share the seed"
            Expect.notEqual (seedOf 2.0 1) (seedOf 2.0 2) "seed indexes differ"
            Expect.equal (seedOf 2.0 1) (runSeed "tiny" "synthetic-tiny" "wmf" 1) "derived from (experiment, dataset, model, index)"
            Expect.notEqual (runSeed "tiny" "synthetic-tiny" "wmf" 1) (runSeed "tiny" "ml-100k" "wmf" 1) "datasets differ"
            Expect.notEqual (runSeed "tiny" "synthetic-tiny" "wmf" 1) (runSeed "other" "synthetic-tiny" "wmf" 1) "experiments differ"

        testCase "--only selects by dataset, dataset/model prefix, exact id or glob" <| fun () ->
            let id = "ml-100k/mult-vae-5b1dd09a-s1"
            Expect.isTrue (selects "ml-100k" id) "dataset"
            Expect.isTrue (selects "ml-100k/mult-vae" id) "dataset/model"
            Expect.isTrue (selects id id) "exact"
            Expect.isFalse (selects id "ml-100k/mult-vae-5b1dd09a-s10") "an exact id does not pick seed 10"
            Expect.isFalse (selects "ml-1" id) "no partial dataset names"
            Expect.isTrue (selects "*/mult-vae-*" id) "glob"
            Expect.isTrue (selects "gowalla,ml-100k" id) "comma-separated"
            Expect.isFalse (selects "gowalla" id) "other dataset"
    ]

[<Tests>]
let catalogTests =
    let all = Repro.Experiments.Experiments.all
    testSequenced <| testList "Experiments" [
        for e in all do
            testCase (sprintf "%s is well formed: runs, unique ids, known datasets, valid settings" e.Id) <| fun () ->
                let rs = runs None e
                Expect.isNonEmpty rs "has runs"
                Expect.equal (rs |> List.map (fun r -> r.Id) |> List.distinct).Length rs.Length "unique run ids"
                for d in e.Datasets do
                    Expect.isOk (Datasets.find d.Dataset) (sprintf "%s is a registry dataset" d.Dataset)
                    Expect.isNonEmpty (e.Models d) (sprintf "models on %s" d.Dataset)
                for r in rs do Expect.isOk (ModelSpec.validate r.Model) (sprintf "%s has valid settings" r.Id)
                Expect.isNonEmpty e.Metrics "metrics"

        testCase "paper has Table 2's datasets, epochs and grids (WMF 2 x 6, SLIM 4 x 4 except on MSD)" <| fun () ->
            let paper = Repro.Experiments.Experiments.paper
            Expect.equal (paper.Datasets |> List.map (fun d -> d.Dataset, d.Epochs)) [ "ml-20m", 200; "netflix", 100; "msd", 100 ] "spec 2.1"
            for d in paper.Datasets do
                let count group = paper.Models d |> List.filter (fun a -> a.Group = group) |> List.length
                Expect.equal (count "WMF") 12 "WMF grid"
                Expect.equal (count "SLIM") (if d.Dataset = "msd" then 0 else 16) "SLIM grid"
                Expect.equal (count "Mult-VAE^PR") 1 "one Mult-VAE^PR"
                Expect.equal (count "Mult-DAE") 1 "one Mult-DAE"
                for a in paper.Models d do
                    match Models.multVae.HyperOf a.Model, Models.multDae.HyperOf a.Model with
                    | Some h, _ -> Expect.equal h.Epochs d.Epochs "epochs follow the dataset"
                    | _, Some h -> Expect.equal h.Epochs d.Epochs "epochs follow the dataset"
                    | _ -> ()
            let wmf = paper.Models paper.Datasets.Head |> List.choose (fun a -> Models.wmf.HyperOf a.Model |> Option.map (fun h -> h.Factors, h.Confidence))
            Expect.equal (wmf |> List.map fst |> List.distinct) [ 100; 200 ] "K"
            Expect.equal (wmf |> List.map snd |> List.distinct) [ 2.; 5.; 10.; 30.; 50.; 100. ] "c"
            let slim = paper.Models paper.Datasets.Head |> List.choose (fun a -> Models.slim.HyperOf a.Model |> Option.map (fun h -> h.L1, h.L2))
            Expect.equal (slim |> List.map fst |> List.distinct) [ 0.1; 0.5; 1.; 5. ] "l1"
            Expect.equal (slim |> List.map snd |> List.distinct) [ 0.1; 0.5; 1.; 5. ] "l2"

        testCase "likelihoods has three likelihoods for each of Mult-VAE^PR and Mult-DAE" <| fun () ->
            let e = Repro.Experiments.Experiments.likelihoods
            let arms = e.Models e.Datasets.Head
            Expect.equal arms.Length 6 "2 x 3"
            Expect.equal (arms |> List.map (fun a -> a.Group) |> List.distinct).Length 6 "one row each"

        testCase "cost estimates scale from the measured ML-20M figures (EASE cubic in items, SLIM items^1.3 x users^1.05, the rest by users x items)" <| fun () ->
            let ml20m = (Cost.shape "ml-20m" None).Value
            Expect.equal ml20m { TrainUsers = 116_677; Items = 20_108 } "ML-20M's training users and items"
            Expect.floatClose Accuracy.veryHigh (Cost.seconds ml20m (Models.ease.With(EaseHyper()))) (3.0 + 87.0) "87 s a fit plus overhead"
            let doubleItems = { ml20m with Items = 2 * ml20m.Items }
            Expect.floatClose Accuracy.veryHigh (Cost.seconds doubleItems (Models.ease.With(EaseHyper()))) (3.0 + 87.0 * 8.0) "cubic"
            Expect.floatClose Accuracy.veryHigh (Cost.seconds doubleItems (Models.multDae.With(MultDaeHyper(Epochs = 10)))) (3.0 + 25.0 * 2.0 * 10.0) "per epoch, linear"
            // SLIM: 183 s measured at ML-20M's shape, 2,014 s extrapolated at MSD's (bench slim-full, slim-msd), 89 s on Gowalla.
            Expect.floatClose Accuracy.veryHigh (Cost.seconds ml20m (Models.slim.With(SlimHyper()))) (3.0 + 183.0) "SLIM's measured full fit"
            // RecVAE: 43 s per epoch measured on Gowalla, 103 s scaled to ML-20M.
            Expect.floatClose Accuracy.veryHigh (Cost.seconds ml20m (Models.recVae.With(RecVaeHyper(Epochs = 2)))) (3.0 + 2.0 * 103.0) "RecVAE per epoch"
            let msd = (Cost.shape "msd" None).Value
            Expect.floatClose { absolute = 0.0; relative = 0.01 } (Cost.seconds msd (Models.slim.With(SlimHyper()))) 2014.0 "MSD's extrapolation, within 1%"
            let gowalla = (Cost.shape "gowalla" None).Value
            Expect.floatClose { absolute = 0.0; relative = 0.1 } (Cost.seconds gowalla (Models.slim.With(SlimHyper()))) 89.0 "Gowalla's measured fit, within 10%"
            Expect.equal (Cost.shape "ml-20m" (Some 5000)).Value.TrainUsers (116_677 + 10_000) "fewer held-out users train more"
            Expect.isNone (Cost.shape "custom-x" None) "unknown shape"

        testCase "repro experiments lists every experiment with its runs and cost" <| fun () ->
            withFolder (fun dir ->
                let code, out, _ = repro [ "--data-dir"; dir; "experiments" ]
                Expect.equal code 0 "exit code"
                for e in all do
                    Expect.stringContains out (sprintf "%-12s %d runs" e.Id (runs None e).Length) (sprintf "%s with its run count" e.Id)
                Expect.stringContains out "absent here" "says which datasets are absent")

        testCase "experiment ids are unique" <| fun () ->
            Expect.equal (all |> List.map (fun e -> e.Id) |> List.distinct).Length all.Length "unique"
    ]

[<Tests>]
let runnerTests =
    testSequenced <| testList "Harness.Runner" [
        testCase "every run completes once; deleting one folder and rerunning redoes only that run" <| fun () ->
            withFolder (fun dir ->
                let o = options dir
                let e = tinyExperiment [ tinyVae; tinyDae ]
                let first, started, _ = execute o e CancellationToken.None
                Expect.equal first.Completed 2 "both ran"
                Expect.equal started.Length 2 "both started"
                let rs = runs None e
                for r in rs do
                    let folder = r.Folder o.Results
                    Expect.isTrue (Runner.isFinished folder) "finished"
                    use doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "experiment.json")))
                    Expect.equal (doc.RootElement.GetProperty("settingsHash").GetString()) r.SettingsHash "experiment.json"
                    Expect.equal (doc.RootElement.GetProperty("group").GetString()) r.Group "group"
                    use run = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "run.json")))
                    Expect.equal (run.RootElement.GetProperty("seed").GetUInt64()) r.Seed "the derived seed is recorded"
                let kept = rs.[1].Folder o.Results
                let keptTime = File.GetLastWriteTimeUtc(Path.Combine(kept, "metrics.json"))
                Directory.Delete(rs.[0].Folder o.Results, true)
                let second, again, _ = execute o e CancellationToken.None
                Expect.equal again [ rs.[0].Id ] "only the deleted run starts"
                Expect.equal second.AlreadyFinished 1 "the other is kept"
                Expect.equal (File.GetLastWriteTimeUtc(Path.Combine(kept, "metrics.json"))) keptTime "never rewritten"
                let third, none, _ = execute o e CancellationToken.None
                Expect.isEmpty none "nothing left to do"
                Expect.equal third.AlreadyFinished 2 "both finished")

        testCase "a run interrupted by the cancel token resumes to the same metrics as an uninterrupted one" <| fun () ->
            withFolder (fun dir ->
                let e = tinyExperiment [ tinyVae ]
                let straight = { options dir with Results = Path.Combine(dir, "straight") }
                execute straight e CancellationToken.None |> ignore
                let o = options dir
                use cancel = new CancellationTokenSource()
                let summary =
                    Runner.execute o e (fun ev ->
                        match ev with
                        | Runner.TrainingProgressed p when p.Epoch = 2 && p.Batch = 1 -> cancel.Cancel()
                        | _ -> ()) cancel.Token
                Expect.isTrue summary.Interrupted "stopped"
                let r = runs None e |> List.exactlyOne
                Expect.isFalse (Runner.isFinished (r.Folder o.Results)) "not finished"
                Expect.equal (Runner.state (r.Folder o.Results)) Runner.Started "started, not failed"
                let resumed, _, _ = execute o e CancellationToken.None
                Expect.equal resumed.Completed 1 "resumed to the end"
                Expect.equal (testMetrics (r.Folder o.Results)) (testMetrics (r.Folder straight.Results)) "same test metrics")

        testCase "a failing run writes error.txt, the others complete, and a later run retries it" <| fun () ->
            withFolder (fun dir ->
                let o = options dir
                let e = tinyExperiment [ broken; tinyDae ]
                let summary, _, _ = execute o e CancellationToken.None
                Expect.equal summary.Failed 1 "one failed"
                Expect.equal summary.Completed 1 "the other completed"
                let failed = (runs None e).[0].Folder o.Results
                let error = File.ReadAllText(Path.Combine(failed, "error.txt"))
                Expect.stringContains error "latent" "the error names the problem"
                match Runner.state failed with
                | Runner.Failed _ -> ()
                | other -> failtestf "expected Failed, got %A" other
                let again, started, _ = execute o e CancellationToken.None
                Expect.equal started [ (runs None e).[0].Id ] "the failed run is retried"
                Expect.equal again.Failed 1 "and fails again")

        testCase "runs on a missing dataset are skipped with the way to obtain it, without failing" <| fun () ->
            withFolder (fun dir ->
                let o = options dir
                let e = { tinyExperiment [ tinyVae; tinyDae ] with Datasets = [ strong "ml-100k" 3 ] }
                let summary, started, events = execute o e CancellationToken.None
                Expect.isEmpty started "nothing runs"
                Expect.equal summary.Skipped 2 "both skipped"
                Expect.equal summary.Failed 0 "not failed"
                let reasons = events |> List.choose (function Runner.DatasetMissing(d, why, n) -> Some(d, why, n) | _ -> None)
                match reasons with
                | [ "ml-100k", why, 2 ] -> Expect.stringContains why "repro data fetch --dataset ml-100k" "says how to get it"
                | other -> failtestf "expected one missing dataset, got %A" other
                Expect.isFalse (Directory.Exists o.Results) "no folder written")

        testCase "run --dry-run lists the runs with their state and runs nothing" <| fun () ->
            withFolder (fun dir ->
                let results = Path.Combine(dir, "results")
                let code, out, err = repro [ "--data-dir"; Path.Combine(dir, "data"); "run"; "--experiment"; "smoke"; "--dry-run"; "--results"; results ]
                Expect.equal code 0 (sprintf "exit code; stderr %s" err)
                for r in runs None Repro.Experiments.Experiments.smoke do Expect.stringContains out r.Id "lists each run"
                Expect.stringContains out "dataset absent" "says the data is absent here"
                Expect.isFalse (Directory.Exists results) "nothing written")
    ]

[<Tests>]
let planTests =
    testSequenced <| testList "Harness.Plan" [
        testCase "plans list exactly the pending runs: finished ones are left out" <| fun () ->
            withFolder (fun dir ->
                let e = { tinyExperiment [ tinyVae; tinyDae; Models.popularity.Spec ] with Datasets = [ strong "ml-100k" 3 ] }
                let o = options dir
                let rs = runs None e
                fakeRun (rs.[1].Folder o.Results) "ml-100k" "Mult-DAE" 0.4 0.01
                let p : Plan.PlanOptions = { Experiment = e; Runner = o; Repro = "repro"; Threads = 2 }
                let pendingIds = [ rs.[0].Id; rs.[2].Id ]
                Expect.equal (Plan.pending p |> List.map (fun r -> r.Id)) pendingIds "pending"
                let shell = (Plan.shell p).Split('\n') |> Array.filter (fun l -> l.StartsWith "repro ")
                Expect.equal shell.Length 2 "one command per pending run"
                for id, line in Seq.zip pendingIds shell do
                    Expect.stringContains line (sprintf "--only '%s'" id) "exact selector"
                    Expect.stringContains line "run --experiment tiny" "the experiment"
                let slurm = Plan.slurm p
                Expect.stringContains slurm "#SBATCH --array=0-1" "one array task per pending run"
                let listed = slurm.Split('\n') |> Array.filter (fun l -> l.StartsWith "  '") |> Array.map (fun l -> l.Trim().Trim('\''))
                Expect.equal (List.ofArray listed) pendingIds "the array's runs"
                Expect.stringContains slurm "${RUNS[$SLURM_ARRAY_TASK_ID]}" "task i does run i"
                Expect.isFalse (slurm.Contains rs.[1].Id) "the finished run is not planned")

        testCase "plan --format shell writes the file; an unknown format is refused" <| fun () ->
            withFolder (fun dir ->
                let file = Path.Combine(dir, "plan.txt")
                let code, _, err = repro [ "--data-dir"; dir; "plan"; "--experiment"; "smoke"; "--format"; "shell"; "--results"; Path.Combine(dir, "r"); "--output"; file ]
                Expect.equal code 0 err
                let lines = File.ReadAllLines file |> Array.filter (fun l -> not (l.StartsWith "#"))
                Expect.equal lines.Length (runs None Repro.Experiments.Experiments.smoke).Length "every smoke run is pending"
                let code, _, err = repro [ "plan"; "--experiment"; "smoke"; "--format"; "pbs" ]
                Expect.equal code 2 "refused as a usage error"
                Expect.stringContains err "slurm or shell" "says what is allowed")
    ]

[<Tests>]
let checkTests =
    testSequenced <| testList "Harness.Check" [
        testCase "check passes at the recorded floors and fails when a floor is raised above the value" <| fun () ->
            withFolder (fun dir ->
                let results = Path.Combine(dir, "results")
                fakeRun (Path.Combine(results, "smoke", "ml-100k", "a")) "ml-100k" "Mult-VAE^PR" 0.45 0.02
                fakeRun (Path.Combine(results, "smoke", "ml-100k", "b")) "ml-100k" "Mult-DAE" 0.40 0.02
                let measured = Check.measured results "smoke"
                let floorsText = Check.record measured "smoke" "test"
                let floorsFile = writeText dir "floors.json" floorsText
                let floors = match Check.readFloors floorsFile with Ok(_, f) -> f | Error e -> failtest e
                let vae = floors |> List.find (fun f -> f.Group = "Mult-VAE^PR")
                Expect.floatClose Accuracy.veryHigh vae.Floor (0.45 - 2.0 * 0.02) "floor = value - 2 s.e."
                Expect.isTrue (Check.passed (Check.compare floors measured)) "passes at its own floors"
                let code, out, _ = repro [ "check"; "--results"; results; "--floors"; floorsFile ]
                Expect.equal code 0 "exit 0"
                Expect.stringContains out "ok" "verdict"
                let raised = floors |> List.map (fun f -> if f.Group = "Mult-DAE" then { f with Floor = 0.41 } else f)
                let rows = Check.compare raised measured
                Expect.isFalse (Check.passed rows) "fails"
                Expect.exists rows (fun r -> r.Group = "Mult-DAE" && r.Verdict = Check.Regression) "names the regression"
                File.WriteAllText(floorsFile, floorsText.Replace("\"floor\": 0.36", "\"floor\": 0.41"))
                let code, out, _ = repro [ "check"; "--results"; results; "--floors"; floorsFile ]
                Expect.equal code 1 "exit 1"
                Expect.stringContains out "REGRESSION" "printed")

        testCase "a floor whose run is absent fails as missing" <| fun () ->
            let floor : Check.Floor = { Dataset = "ml-100k"; Group = "EASE"; Metric = "Ndcg@100"; Value = 0.4; StandardError = 0.02; Floor = 0.36 }
            let rows = Check.compare [ floor ] []
            Expect.isFalse (Check.passed rows) "fails"
            match rows with
            | [ { Verdict = Check.Missing _ } ] -> ()
            | other -> failtestf "expected a missing row, got %A" other
    ]

[<Tests>]
let reproduceTests =
    testList "Harness.Reproduce" [
        testCase "the paper experiment on the paper datasets prepared; else local on the datasets present; else synthetic" <| fun () ->
            let all = Repro.Experiments.Experiments.all
            withFolder (fun empty ->
                match Reproduce.choose empty all [ "ml-20m"; "msd" ] with
                | Ok c ->
                    Expect.equal c.Experiment.Id "paper" "paper"
                    Expect.equal c.Only (Some "ml-20m,msd") "only the prepared datasets"
                | Error why -> failtest why
                match Reproduce.choose empty all [] with
                | Ok c -> Expect.equal (c.Experiment.Id, c.Only) ("synthetic", None) "no data at all"
                | Error why -> failtest why
                let ml100k = Path.Combine(empty, "ml-100k")
                Directory.CreateDirectory ml100k |> ignore
                File.WriteAllText(Path.Combine(ml100k, "u.data"), "1\t1\t5\t0\n")
                match Reproduce.choose empty all [] with
                | Ok c ->
                    Expect.equal c.Experiment.Id "local" "a shipped dataset present"
                    Expect.stringContains c.Why "ml-100k" "names what is present"
                | Error why -> failtest why)
            Expect.isError (Reproduce.choose "." [] []) "an experiment list without them is an error, not a crash"
    ]

[<Tests>]
let clockTests =
    testList "Harness.RunClock" [
        testCase "the ETA is the runs' estimates, scaled by how the finished runs compared with theirs" <| fun () ->
            let e = { tinyExperiment [ Models.popularity.Spec; Models.ease.With(EaseHyper(Lambda = 1.0)); Models.ease.With(EaseHyper(Lambda = 2.0)) ] with Datasets = [ strong "ml-100k" 3 ] }
            let rs = runs None e
            let estimate r = (Experiment.estimatedSeconds 2 r).Value
            let clock = RunClock(rs, 2)
            Expect.floatClose Accuracy.high (clock.Eta(0, TimeSpan.Zero, None)) (rs |> List.sumBy estimate) "nothing done: the sum of the estimates"
            clock.Finish(rs.[0], TimeSpan.FromSeconds(2.0 * estimate rs.[0]))
            Expect.equal (clock.Done, clock.Left) (1, 2) "one done, two left"
            // Run 2 (1-based) just started: it and run 3 are left, each now expected to take twice its estimate.
            Expect.floatClose Accuracy.high (clock.Eta(2, TimeSpan.Zero, None)) (2.0 * (estimate rs.[1] + estimate rs.[2])) "twice as slow as estimated: the rest takes twice its estimate"
            Expect.floatClose Accuracy.high (clock.Eta(2, TimeSpan.Zero, Some(TimeSpan.FromSeconds 1.0))) (1.0 + 2.0 * estimate rs.[2]) "the current run's own time left replaces its estimate"
    ]

[<Tests>]
let estimateTests =
    testList "Harness.Estimates" [
        testCase "an estimate made at 2 threads doubles at 1 and is not cut for more threads than were measured" <| fun () ->
            Expect.equal Cost.measuredThreads 2 "the speeds were measured at 2 threads"
            Expect.equal (Cost.forThreads 1 100.0) 200.0 "1 thread: twice as long"
            Expect.equal (Cost.forThreads 2 100.0) 100.0 "2 threads: as measured"
            Expect.equal (Cost.forThreads 8 100.0) 100.0 "8 threads: no speed-up assumed"
            let e = { tinyExperiment [ Models.multVae.Spec ] with Datasets = [ strong "ml-100k" 3 ] }
            let r = (runs None e).Head
            Expect.equal (Experiment.estimatedSeconds 1 r) (Experiment.estimatedSeconds 2 r |> Option.map ((*) 2.0)) "a run's estimate at 1 thread"

        testCase "bench estimates reads a finished run's training seconds, its selection run's too, and its recorded threads" <| fun () ->
            withFolder (fun dir ->
                let refit = { tinyExperiment [ Models.multVae.Spec ] with Datasets = [ { Dataset = "amusic"; Protocol = LeaveLastByTimeRefit; Heldout = None; Epochs = 3 } ] }
                let strongRun = { tinyExperiment [ Models.multDae.Spec ] with Id = "tiny2"; Datasets = [ strong "ml-100k" 3 ] }
                let write (folder: string) (threads: int) (seconds: float list) =
                    Directory.CreateDirectory folder |> ignore
                    File.WriteAllText(Path.Combine(folder, "run.json"), sprintf """{"threads": %d, "loadAverage": 1.5}""" threads)
                    File.WriteAllText(Path.Combine(folder, "metrics.json"), """{"test": {}}""")
                    File.WriteAllLines(Path.Combine(folder, "epochs.tsv"), "epoch\tloss\tseconds" :: (seconds |> List.mapi (fun i s -> sprintf "%d\t1.0\t%g" (i + 1) s)))
                let results = Path.Combine(dir, "results")
                let rRefit, rStrong = (runs None refit).Head, (runs None strongRun).Head
                write (rRefit.Folder results) 1 [ 1.0; 2.0; 3.0 ]
                write (Path.Combine(rRefit.Folder results, Train.SelectionFolderName)) 1 [ 4.0 ]
                write (rStrong.Folder results) 2 [ 0.5; 0.5 ]
                // A run not finished (no test part) is left out.
                let unfinished = { strongRun with Id = "tiny3" }
                write ((runs None unfinished).Head.Folder results) 2 [ 9.0 ]
                File.WriteAllText(Path.Combine((runs None unfinished).Head.Folder results, "metrics.json"), """{"validation": {}}""")
                let measured = Benchmarks.EstimateBench.measure results [ refit; strongRun; unfinished ]
                Expect.equal measured.Length 2 "the two finished runs"
                let m1 = measured |> List.find (fun m -> m.Model = "mult-vae")
                Expect.equal (m1.Seconds, m1.Threads, m1.Load) (10.0, 1, Some 1.5) "the refit's 6 s plus its selection run's 4 s, 1 thread, load 1.5"
                Expect.equal (Some m1.Estimate) (Experiment.estimatedSeconds 1 rRefit) "its estimate at 1 thread"
                let m2 = measured |> List.find (fun m -> m.Model = "mult-dae")
                Expect.equal (m2.Seconds, m2.Threads) (1.0, 2) "the strong run's 1 s at 2 threads"
                let text = Benchmarks.EstimateBench.lines measured |> String.concat "\n"
                Expect.stringContains text "mult-vae on amusic" "a row per model and dataset")
    ]

/// Runs git in dir (the test's own repository), failing the test on a non-zero exit.
let private git (dir: string) (args: string list) =
    let psi = Diagnostics.ProcessStartInfo("git", RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = dir)
    for a in [ "-c"; "user.email=test@example.org"; "-c"; "user.name=test" ] @ args do psi.ArgumentList.Add a
    use p = Diagnostics.Process.Start psi
    let out = p.StandardOutput.ReadToEnd().Trim()
    let err = p.StandardError.ReadToEnd()
    p.WaitForExit()
    if p.ExitCode <> 0 then failtestf "git %s failed: %s" (String.Join(" ", args)) err
    out

[<Tests>]
let runRecordCommitTests =
    testList "Harness.RunFolder.commit" [
        testCase "a run record's commit is dirty for changed code, not for deleted or rewritten run folders" <| fun () ->
            withFolder (fun dir ->
                git dir [ "init"; "-q" ] |> ignore
                writeText dir "src/Model.cs" "class Model {}\n" |> ignore
                writeText dir "results/local/ml-100k/ease-1/metrics.json" "{}\n" |> ignore
                git dir [ "add"; "-A" ] |> ignore
                git dir [ "commit"; "-q"; "-m"; "first" ] |> ignore
                let head = git dir [ "rev-parse"; "HEAD" ]
                Expect.equal (RunFolder.commitOf dir) head "a clean checkout"
                File.Delete(Path.Combine(dir, "results/local/ml-100k/ease-1/metrics.json"))
                Expect.equal (RunFolder.commitOf dir) head "a run folder deleted to be made again changes no code"
                writeText dir "results/local/ml-100k/ease-1/metrics.json" "{\"ndcg\": 1}\n" |> ignore
                Expect.equal (RunFolder.commitOf (Path.Combine(dir, "src"))) head "a rewritten run folder, seen from a subfolder"
                writeText dir "src/Model.cs" "class Model { int x; }\n" |> ignore
                Expect.equal (RunFolder.commitOf dir) (head + "-dirty") "changed code marks the commit dirty")
        testCase "outside a git checkout the commit is unknown" <| fun () ->
            withFolder (fun dir -> Expect.equal (RunFolder.commitOf dir) "unknown" "no repository")
    ]
