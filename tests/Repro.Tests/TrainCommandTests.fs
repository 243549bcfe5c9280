module Repro.Tests.TrainCommandTests

open System
open System.IO
open System.Text.Json
open Expecto
open Repro.Tests.TempFiles

open Repro.Tests.CliRunner
let private repro cache args = reproWithCache cache args

/// A small Mult-VAE on the synthetic tiny dataset: seconds, not minutes.
let private small = [ "--set"; "hidden=16"; "--set"; "latent=8"; "--set"; "batch-size=32"; "--epochs"; "3"; "--threads"; "1" ]

let private train (dir: string) (out: string) (extra: string list) =
    repro (Path.Combine(dir, "cache")) ([ "--data-dir"; dir; "train"; "--dataset"; "synthetic-tiny"; "--model"; "mult-vae"; "--seed"; "7"; "--out"; out ] @ small @ extra)

/// A fitted model on the synthetic tiny dataset, small settings where the model has any.
let private fitted (dir: string) (out: string) (model: string) (extra: string list) =
    let small =
        match model with
        | "wmf" -> [ "--set"; "factors=8"; "--set"; "iterations=2" ]
        | "ease" -> [ "--set"; "lambda=20" ]
        | _ -> []
    repro (Path.Combine(dir, "cache")) ([ "--data-dir"; dir; "train"; "--dataset"; "synthetic-tiny"; "--model"; model; "--threads"; "1"; "--out"; out ] @ small @ extra)

/// Runs <paramref name="work"/> with the split cache under dir/cache (REPRO_CACHE_DIR), for in-process calls.
let private withSplitCache (dir: string) (work: unit -> 'a) =
    Environment.SetEnvironmentVariable("REPRO_CACHE_DIR", Path.Combine(dir, "cache"))
    try work ()
    finally Environment.SetEnvironmentVariable("REPRO_CACHE_DIR", null)

/// A progress sink that ignores every report.
let private quiet = { new IProgress<Repro.Core.Training.TrainingProgress> with member _.Report _ = () }

/// An in-process request for a tiny Mult-VAE (hidden 16, latent 8, seed 7) on dataset with protocol.
let private tinyMultVae (dataset: string) (protocol: Repro.Harness.Protocol) (batchSize: int) (epochs: int) : Repro.Harness.RunRequest =
    let model =
        Repro.Harness.ModelSpec.parse "mult-vae" [ "hidden=16"; "latent=8"; sprintf "batch-size=%d" batchSize; sprintf "epochs=%d" epochs ]
        |> Result.defaultWith failwith
    { Dataset = dataset; Split = None; Protocol = protocol; Heldout = None; Model = model; Seed = 7UL; Threads = 1; Command = "test" }

/// Train.execute in process with a token cancelled before the call, the split cache under dir/cache.
let private executeCancelled (dir: string) (out: string) (request: Repro.Harness.RunRequest) =
    use cancel = new Threading.CancellationTokenSource()
    cancel.Cancel()
    withSplitCache dir (fun () -> Repro.Harness.Train.execute dir out request ignore quiet cancel.Token)

/// A LightGCN-format split (train.txt, test.txt) of 60 users in two taste groups over 24 items:
/// each user has 10 training and 2 test items from their group, so the weak protocol has something
/// to learn and every training row is long enough for the carve.
let private writeTinyLightGcnSplit (folder: string) =
    Directory.CreateDirectory folder |> ignore
    let rng = Random 5
    let rows =
        [ for u in 0 .. 59 ->
            let group = if u % 2 = 0 then [ 0 .. 11 ] else [ 12 .. 23 ]
            let items = group |> List.sortBy (fun _ -> rng.Next()) |> List.take 12
            u, List.take 10 items, List.skip 10 items ]
    let line u items = String.Join(" ", string u :: List.map string items)
    File.WriteAllLines(Path.Combine(folder, "train.txt"), [ for u, tr, _ in rows -> line u tr ])
    File.WriteAllLines(Path.Combine(folder, "test.txt"), [ for u, _, te in rows -> line u te ])

let private parts (folder: string) =
    use doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "metrics.json")))
    [ for p in doc.RootElement.EnumerateObject() -> p.Name ]

[<Tests>]
let fittedTests =
    testSequenced <| testList "Cli.Train.Fitted" [
        for model in [ "popularity"; "ease"; "wmf"; "slim" ] do
            testCase (sprintf "train fits %s into a finished folder with validation and test parts and the model file" model) <| fun () ->
                withFolder (fun dir ->
                    let out = Path.Combine(dir, "run")
                    let code, stdout, err = fitted dir out model []
                    Expect.equal code 0 (sprintf "exit code; stderr: %s" err)
                    for file in [ "run.json"; "metrics.json"; "test-users.tsv"; "validation-users.tsv"; "model.bin"; "items.txt" ] do
                        Expect.isTrue (File.Exists(Path.Combine(out, file))) file
                    Expect.equal (parts out) [ "validation"; "test" ] "both parts"
                    Expect.stringContains stdout "Ndcg@100" "metrics printed"
                    use run = JsonDocument.Parse(File.ReadAllText(Path.Combine(out, "run.json")))
                    Expect.equal (run.RootElement.GetProperty("model").GetString()) model "model recorded")

        testCase "the same command on a finished fitted run does not fit again" <| fun () ->
            withFolder (fun dir ->
                let out = Path.Combine(dir, "run")
                let _, first, _ = fitted dir out "wmf" []
                let stamp = File.GetLastWriteTimeUtc(Path.Combine(out, "model.bin"))
                let metrics = File.ReadAllText(Path.Combine(out, "metrics.json"))
                let code, second, _ = fitted dir out "wmf" []
                Expect.equal code 0 "exit code"
                Expect.stringContains second "not run again" "says so"
                Expect.isFalse (second.Contains "WMF sweep") "no sweep"
                Expect.equal (File.GetLastWriteTimeUtc(Path.Combine(out, "model.bin"))) stamp "model file untouched"
                Expect.equal (File.ReadAllText(Path.Combine(out, "metrics.json"))) metrics "metrics untouched"
                let metricLines (text: string) = text.Split('\n') |> Array.filter (fun l -> l.Contains "±")
                Expect.equal (metricLines second) (metricLines first) "same metrics printed")

        testCase "recommend serves a fitted run" <| fun () ->
            withFolder (fun dir ->
                let out = Path.Combine(dir, "run")
                fitted dir out "ease" [] |> ignore
                let items = File.ReadAllLines(Path.Combine(out, "items.txt"))
                let given = [ items.[0]; items.[1] ]
                let code, stdout, err = repro dir [ "--data-dir"; dir; "recommend"; "--run"; out; "--items"; String.Join(",", given); "-n"; "4" ]
                Expect.equal code 0 (sprintf "exit code; stderr: %s" err)
                let ranked = stdout.Split('\n') |> Array.filter (fun l -> l.Length > 4 && l.[3] = '.') |> Array.map (fun l -> l.Substring(5).Trim().Split(' ').[0])
                Expect.equal ranked.Length 4 "four recommendations"
                for g in given do Expect.isFalse (Array.contains g ranked) "the user's own items are not recommended")

        testCase "--epochs is refused for a fitted model, saying why" <| fun () ->
            withFolder (fun dir ->
                let out = Path.Combine(dir, "run")
                let code, _, err = fitted dir out "slim" [ "--epochs"; "5" ]
                Expect.equal code 2 "a usage error"
                Expect.stringContains err "--epochs applies to trained models" "says why"
                Expect.isFalse (Directory.Exists out) "nothing written")

        testCase "a fit made again in a folder of an unfinished attempt records its own commit and start, not the attempt's" <| fun () ->
            withFolder (fun dir ->
                let out = Path.Combine(dir, "run")
                let code, _, err = fitted dir out "popularity" []
                Expect.equal code 0 (sprintf "first fit; stderr: %s" err)
                // Make it an unfinished earlier attempt: no metrics, a run.json from another commit and time.
                File.Delete(Path.Combine(out, "metrics.json"))
                let runJson = Path.Combine(out, "run.json")
                let node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText runJson)
                node.["commit"] <- System.Text.Json.Nodes.JsonValue.Create "0000000000000000000000000000000000000000"
                node.["started"] <- System.Text.Json.Nodes.JsonValue.Create "2000-01-01T00:00:00+00:00"
                File.WriteAllText(runJson, node.ToJsonString())
                let code, _, err = fitted dir out "popularity" []
                Expect.equal code 0 (sprintf "second fit; stderr: %s" err)
                use run = JsonDocument.Parse(File.ReadAllText runJson)
                Expect.notEqual (run.RootElement.GetProperty("commit").GetString()) "0000000000000000000000000000000000000000" "this attempt's commit"
                Expect.isFalse (run.RootElement.GetProperty("started").GetString().StartsWith "2000") "this attempt's start"
                Expect.isTrue (Repro.Harness.RunFolder.isFinished out) "finished")

        testCase "a cancelled fit leaves no metrics.json, so the folder never looks finished" <| fun () ->
            withFolder (fun dir ->
                let out = Path.Combine(dir, "run")
                let request : Repro.Harness.RunRequest =
                    { Dataset = "synthetic-tiny"; Split = None; Protocol = Repro.Harness.Strong; Heldout = None
                      Model = Repro.Harness.Models.wmf.With(Repro.Core.Models.Wmf.WmfHyper(Factors = 4, Iterations = 2)); Seed = 1UL; Threads = 1; Command = "test" }
                match executeCancelled dir out request with
                | Ok r -> Expect.equal r.Status Repro.Core.Training.TrainingStatus.Interrupted "interrupted"
                | Error why -> failtestf "unexpected error %s" why
                Expect.isFalse (File.Exists(Path.Combine(out, "metrics.json"))) "no metrics.json"
                Expect.isFalse (Repro.Harness.RunFolder.isFinished out) "not finished")
    ]

[<Tests>]
let tests =
    testSequenced <| testList "Cli.Train" [
        testCase "train writes a complete run folder and prints test metrics with standard errors" <| fun () ->
            withFolder (fun dir ->
                let out = Path.Combine(dir, "run")
                let code, stdout, err = train dir out []
                Expect.equal code 0 (sprintf "exit code; stderr: %s" err)
                for metric in [ "Recall@20"; "Recall@50"; "Ndcg@100" ] do Expect.stringContains stdout metric "printed"
                Expect.stringContains stdout "±" "with a standard error"
                for file in [ "run.json"; "epochs.tsv"; "metrics.json"; "test-users.tsv"; "best.weights"; "items.txt" ] do
                    Expect.isTrue (File.Exists(Path.Combine(out, file))) file
                use run = JsonDocument.Parse(File.ReadAllText(Path.Combine(out, "run.json")))
                let root = run.RootElement
                Expect.equal (root.GetProperty("seed").GetUInt64()) 7UL "seed recorded"
                Expect.equal (root.GetProperty("settings").GetProperty("hidden").GetString()) "16" "settings recorded"
                Expect.equal (root.GetProperty("settings").GetProperty("anneal-cap").GetString()) "0.2" "defaults recorded too"
                Expect.isTrue (root.GetProperty("commit").GetString().Length > 0) "commit recorded"
                Expect.equal (File.ReadAllLines(Path.Combine(out, "epochs.tsv")).Length) 4 "header and three epochs"
                use metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(out, "metrics.json")))
                let ndcg = metrics.RootElement.GetProperty("test").GetProperty("Ndcg@100")
                Expect.isTrue (ndcg.GetProperty("mean").GetDouble() > 0.0) "a real value"
                Expect.isTrue (ndcg.GetProperty("standardError").GetDouble() > 0.0) "a standard error"
                let validation = metrics.RootElement.GetProperty("validation").GetProperty("Ndcg@100").GetProperty("mean").GetDouble()
                Expect.isTrue (validation > 0.0) "a validation part from the best weights"
                let users = File.ReadAllLines(Path.Combine(out, "test-users.tsv"))
                Expect.stringStarts users.[0] "row\tfoldInItems\t" "per-user rows carry the fold-in count (Figure 3's activity)"
                let foldIn = users.[1].Split('\t').[1] |> int
                Expect.isTrue (foldIn > 0) "a held-out user's fold-in count")

        testCase "the same command on a finished run does not train again and reports the same metrics" <| fun () ->
            withFolder (fun dir ->
                let out = Path.Combine(dir, "run")
                let _, first, _ = train dir out []
                let epochs = File.ReadAllText(Path.Combine(out, "epochs.tsv"))
                let code, second, _ = train dir out []
                Expect.equal code 0 "exit code"
                let metricLines (text: string) = text.Split('\n') |> Array.filter (fun l -> l.Contains "±")
                Expect.equal (metricLines second) (metricLines first) "same test metrics"
                Expect.equal (File.ReadAllText(Path.Combine(out, "epochs.tsv"))) epochs "no epoch added")

        testCase "a stopped run says it resumes, with the epochs already done, and then finishes" <| fun () ->
            withFolder (fun dir ->
                let out = Path.Combine(dir, "run")
                let request = tinyMultVae "synthetic-tiny" Repro.Harness.Strong 32 3
                use cancel = new Threading.CancellationTokenSource()
                // Stop at the first batch of epoch 2: epoch 1 is done and logged.
                let stopInEpoch2 =
                    { new IProgress<Repro.Core.Training.TrainingProgress> with
                        member _.Report p = if p.Epoch = 2 then cancel.Cancel() }
                withSplitCache dir (fun () ->
                    let said = Collections.Generic.List<string>()
                    match Repro.Harness.Train.execute dir out request said.Add stopInEpoch2 cancel.Token with
                    | Ok r -> Expect.equal r.Status Repro.Core.Training.TrainingStatus.Interrupted "stopped"
                    | Error why -> failtestf "unexpected error %s" why
                    Expect.isFalse (said |> Seq.exists (fun l -> l.Contains "resuming")) "a fresh run does not claim to resume"
                    said.Clear()
                    match Repro.Harness.Train.execute dir out request said.Add quiet Threading.CancellationToken.None with
                    | Ok r -> Expect.equal r.Status Repro.Core.Training.TrainingStatus.Completed "finished"
                    | Error why -> failtestf "unexpected error %s" why
                    let note = said |> Seq.tryFind (fun l -> l.Contains "resuming")
                    Expect.isSome note (sprintf "says it resumes; it said %A" (List.ofSeq said))
                    Expect.stringContains note.Value "1 epoch(s) done" "with the epochs done"
                    Expect.stringContains note.Value out "and the folder"
                    Expect.equal (File.ReadAllLines(Path.Combine(out, "epochs.tsv")).Length) 4 "header and three epochs"))

        testCase "a run stopped after its last epoch, before its evaluation, says only the evaluation is left and writes the same metrics" <| fun () ->
            withFolder (fun dir ->
                let out = Path.Combine(dir, "run")
                let request = tinyMultVae "synthetic-tiny" Repro.Harness.Strong 32 2
                withSplitCache dir (fun () ->
                    let finish () =
                        let said = Collections.Generic.List<string>()
                        match Repro.Harness.Train.execute dir out request said.Add quiet Threading.CancellationToken.None with
                        | Ok r -> Expect.equal r.Status Repro.Core.Training.TrainingStatus.Completed "finished"
                        | Error why -> failtestf "unexpected error %s" why
                        List.ofSeq said
                    finish () |> ignore
                    let metrics = Path.Combine(out, "metrics.json")
                    let first = File.ReadAllText metrics
                    // A crash during evaluation leaves a completed state.bin and no metrics.json.
                    File.Delete metrics
                    let said = finish ()
                    let note = said |> List.tryFind (fun l -> l.Contains "resuming")
                    Expect.isSome note (sprintf "says it resumes; it said %A" said)
                    Expect.stringContains note.Value "all 2 epochs are done" "with all epochs done"
                    Expect.isFalse (note.Value.Contains "training goes on") "does not claim to train on"
                    Expect.equal (File.ReadAllLines(Path.Combine(out, "epochs.tsv")).Length) 3 "no epoch trained again"
                    Expect.equal (File.ReadAllText metrics) first "the same metrics"))

        testCase "recommend lists top-N items without the user's own, from a finished run" <| fun () ->
            withFolder (fun dir ->
                let out = Path.Combine(dir, "run")
                train dir out [] |> ignore
                let items = File.ReadAllLines(Path.Combine(out, "items.txt"))
                let given = [ items.[0]; items.[1]; items.[2] ]
                let code, stdout, err = repro dir [ "--data-dir"; dir; "recommend"; "--run"; out; "--items"; String.Join(",", given); "-n"; "5" ]
                Expect.equal code 0 (sprintf "exit code; stderr: %s" err)
                let ranked =
                    stdout.Split('\n')
                    |> Array.filter (fun l -> l.Length > 4 && l.[3] = '.')
                    |> Array.map (fun l -> l.Substring(5).Trim().Split(' ').[0])
                Expect.equal ranked.Length 5 "five recommendations"
                for g in given do Expect.isFalse (Array.contains g ranked) "the user's own items are not recommended")

        testCase "recommend refuses an unfinished run, saying how to finish it" <| fun () ->
            withFolder (fun dir ->
                let out = Path.Combine(dir, "run")
                train dir out [] |> ignore
                // A run killed during its evaluation: weights and items.txt are there, the test part is not.
                File.Delete(Path.Combine(out, "metrics.json"))
                let items = File.ReadAllLines(Path.Combine(out, "items.txt"))
                let code, stdout, err = repro dir [ "--data-dir"; dir; "recommend"; "--run"; out; "--items"; items.[0] ]
                Expect.equal code 1 "refused"
                Expect.stringContains err "is not a finished run" "says why"
                Expect.stringContains err "repro train" "says how to finish it"
                Expect.isFalse (stdout.Contains "Top") "no list served")

        testCase "recommend names items the model does not know" <| fun () ->
            withFolder (fun dir ->
                let out = Path.Combine(dir, "run")
                train dir out [] |> ignore
                let code, _, err = repro dir [ "recommend"; "--run"; out; "--items"; "no-such-item" ]
                Expect.equal code 2 "a usage error"
                Expect.stringContains err "no-such-item" "names the item")

        testCase "an unknown hyperparameter is refused before training, listing the known ones" <| fun () ->
            withFolder (fun dir ->
                let out = Path.Combine(dir, "run")
                let code, _, err = train dir out [ "--set"; "anneal-kap=0.1" ]
                Expect.equal code 2 "a usage error"
                Expect.stringContains err "unknown setting 'anneal-kap'" "names it"
                Expect.stringContains err "anneal-cap" "lists the known settings"
                Expect.isFalse (Directory.Exists out) "nothing written")

        testCase "weak-refit selects the epoch count on the carve, then retrains on the whole rows for that many epochs and tests the last" <| fun () ->
            withFolder (fun dir ->
                writeTinyLightGcnSplit (Path.Combine(dir, "gowalla"))
                let out = Path.Combine(dir, "run")
                let command () =
                    repro (Path.Combine(dir, "cache"))
                        ([ "--data-dir"; dir; "train"; "--dataset"; "gowalla"; "--protocol"; "weak-refit"; "--model"; "mult-vae"; "--seed"; "7"; "--out"; out ]
                         @ [ "--set"; "hidden=16"; "--set"; "latent=8"; "--set"; "batch-size=16"; "--epochs"; "6"; "--threads"; "1" ])
                let code, stdout, err = command ()
                Expect.equal code 0 (sprintf "exit code; stderr: %s" err)
                let selection = Path.Combine(out, "selection")
                let extra folder (name: string) =
                    use doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "metrics.json")))
                    doc.RootElement.GetProperty("test").GetProperty(name).GetDouble()
                let best = int (extra selection "bestEpoch")
                Expect.equal (File.ReadAllLines(Path.Combine(selection, "epochs.tsv")).Length) 7 "selection ran all 6 epochs"
                Expect.equal (extra out "selectedEpoch") (float best) "the refit records the selected epoch"
                Expect.equal (extra out "selectionValidationNdcg@100") (extra selection "bestValidationNdcg@100") "and the selection's NDCG"
                Expect.equal (File.ReadAllLines(Path.Combine(out, "epochs.tsv")).Length) (best + 1) "the refit trains exactly that many epochs"
                use run = JsonDocument.Parse(File.ReadAllText(Path.Combine(out, "run.json")))
                Expect.equal (run.RootElement.GetProperty("settings").GetProperty("epochs").GetString()) (string best) "run.json has the refit's epochs"
                Expect.stringContains (run.RootElement.GetProperty("protocol").GetString()) "refit" "and says it is a refit"
                Expect.stringContains stdout (sprintf "for the %d epochs selected" best) "the command says what it did"
                let code2, stdout2, _ = command ()
                Expect.equal code2 0 "rerun exit code"
                Expect.stringContains stdout2 "not run again" "a finished refit is not redone"
                // A stop that arrives while the selection run finishes must not start the refit.
                for f in Directory.GetFiles out do File.Delete f
                let request = tinyMultVae "gowalla" Repro.Harness.WeakRefit 16 6
                match executeCancelled dir out request with
                | Ok r -> Expect.equal r.Status Repro.Core.Training.TrainingStatus.Interrupted "interrupted between the steps"
                | Error why -> failtestf "unexpected error %s" why
                Expect.isFalse (File.Exists(Path.Combine(out, "run.json"))) "the refit did not start")

        testCase "a fitted model under weak-refit is fitted on the carve, then again on the whole training rows; tune refuses the refit protocols" <| fun () ->
            withFolder (fun dir ->
                writeTinyLightGcnSplit (Path.Combine(dir, "gowalla"))
                let out = Path.Combine(dir, "run")
                let code, stdout, err = repro (Path.Combine(dir, "cache")) [ "--data-dir"; dir; "train"; "--dataset"; "gowalla"; "--protocol"; "weak-refit"; "--model"; "ease"; "--set"; "lambda=20"; "--threads"; "1"; "--out"; out ]
                Expect.equal code 0 (sprintf "train exit code; stderr: %s" err)
                let selection = Path.Combine(out, "selection")
                let part folder name = Repro.Harness.RunFolder.readPart folder name |> Option.get
                let metric folder name part' = fst (part folder part') |> List.find (fun m -> m.Name = name)
                Expect.isGreaterThan (metric selection "Ndcg@100" "validation").Users 0 "the selection run is validated on the carve"
                let extras = snd (part out "test")
                Expect.equal (List.tryFind (fst >> (=) "selectionValidationNdcg@100") extras |> Option.map snd)
                    (Some (metric selection "Ndcg@100" "validation").Mean) "the refit records its selection run's validation NDCG@100"
                Expect.isFalse (extras |> List.exists (fst >> (=) "selectedEpoch")) "and no epoch count: a fitted model has none"
                let weights folder = File.ReadAllBytes(Path.Combine(folder, "model.bin"))
                Expect.isFalse (weights out = weights selection) "the refit saw the carve's items, so its item-item weights differ"
                use run = JsonDocument.Parse(File.ReadAllText(Path.Combine(out, "run.json")))
                Expect.stringContains (run.RootElement.GetProperty("protocol").GetString()) "fitted on the whole training rows" "run.json says how it was fitted"
                Expect.stringContains stdout "step 2 of 2: fitted again" "the command says what it did"
                for protocol, under in [ "weak-refit", "weak"; "leave-5-by-time-refit", "leave-5-by-time" ] do
                    let code, _, err = repro (Path.Combine(dir, "cache")) [ "--data-dir"; dir; "tune"; "--dataset"; "gowalla"; "--protocol"; protocol; "--model"; "mult-vae"; "--out"; Path.Combine(dir, "tune") ]
                    Expect.equal code 2 (sprintf "tune under %s: a usage error" protocol)
                    Expect.stringContains err (sprintf "tune with --protocol %s, then refit the chosen point with 'repro train --protocol %s'" under protocol) "says what to do instead")

        testCase "leave-5-by-time-refit selects the epoch count on the validation events, then trains that many epochs with them" <| fun () ->
            withFolder (fun dir ->
                Repro.Tests.ProtocolTestData.writeTimedAmusic dir
                let out = Path.Combine(dir, "run")
                let code, stdout, err =
                    repro (Path.Combine(dir, "cache"))
                        [ "--data-dir"; dir; "train"; "--dataset"; "amusic"; "--protocol"; "leave-5-by-time-refit"; "--model"; "mult-vae"; "--seed"; "7"; "--out"; out
                          "--set"; "hidden=0"; "--set"; "latent=8"; "--set"; "batch-size=8"; "--epochs"; "5"; "--threads"; "1" ]
                Expect.equal code 0 (sprintf "exit code; stderr: %s" err)
                let selection = Path.Combine(out, "selection")
                let best = Repro.Harness.RunFolder.readPart selection "test" |> Option.get |> snd |> List.find (fst >> (=) "bestEpoch") |> snd |> int
                Expect.equal (File.ReadAllLines(Path.Combine(out, "epochs.tsv")).Length) (best + 1) "the refit trains exactly the selected epoch count"
                use run = JsonDocument.Parse(File.ReadAllText(Path.Combine(out, "run.json")))
                Expect.stringContains (run.RootElement.GetProperty("protocol").GetString()) (sprintf "trained on the training rows plus the validation events for the %d epochs selected" best) "run.json says how"
                use sel = JsonDocument.Parse(File.ReadAllText(Path.Combine(selection, "run.json")))
                Expect.stringStarts (sel.RootElement.GetProperty("protocol").GetString()) "leave-5-by-time (LOCA's split" "the selection run holds the validation events out"
                Expect.stringContains stdout "Test (last epoch's weights)" "the command says which weights it tested")

        testCase "LOCA-VAE's local early stopping under a refit protocol is refused before anything runs, saying what to do" <| fun () ->
            withFolder (fun dir ->
                let out = Path.Combine(dir, "run")
                let code, _, err =
                    repro (Path.Combine(dir, "cache"))
                        [ "--data-dir"; dir; "train"; "--dataset"; "amusic"; "--protocol"; "leave-5-by-time-refit"; "--model"; "loca-vae"
                          "--set"; "local-early-stopping=true"; "--out"; out ]
                Expect.equal code 1 (sprintf "exit code; stderr: %s" err)
                Expect.stringContains err "set local-early-stopping=false, or use --protocol leave-5-by-time" "says what to do"
                Expect.isFalse (Directory.Exists(Path.Combine(out, "selection"))) "no selection run was started")

        testCase "the weak protocol needs a dataset with a fixed split" <| fun () ->
            withFolder (fun dir ->
                let code, _, err = train dir (Path.Combine(dir, "run")) [ "--protocol"; "weak" ]
                Expect.equal code 1 "exit code"
                Expect.stringContains err "no fixed train/test split" "says why")
    ]
