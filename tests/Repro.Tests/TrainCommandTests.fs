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
                Expect.equal code 1 "exit code"
                Expect.stringContains err "--epochs applies to trained models" "says why"
                Expect.isFalse (Directory.Exists out) "nothing written")

        testCase "a cancelled fit leaves no metrics.json, so the folder never looks finished" <| fun () ->
            withFolder (fun dir ->
                let out = Path.Combine(dir, "run")
                use cancel = new Threading.CancellationTokenSource()
                cancel.Cancel()
                let request : Repro.Harness.Train.RunRequest =
                    { Dataset = "synthetic-tiny"; Split = None; Protocol = "strong"; Heldout = None
                      Model = Repro.Harness.ModelSpec.Wmf(Repro.Core.Models.Wmf.WmfHyper(Factors = 4, Iterations = 2)); Seed = 1UL; Threads = 1; Command = "test" }
                let progress = { new IProgress<Repro.Core.Training.TrainingProgress> with member _.Report _ = () }
                Environment.SetEnvironmentVariable("REPRO_CACHE_DIR", Path.Combine(dir, "cache"))
                let result =
                    try Repro.Harness.Train.execute dir out request ignore progress cancel.Token
                    finally Environment.SetEnvironmentVariable("REPRO_CACHE_DIR", null)
                match result with
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

        testCase "recommend names items the model does not know" <| fun () ->
            withFolder (fun dir ->
                let out = Path.Combine(dir, "run")
                train dir out [] |> ignore
                let code, _, err = repro dir [ "recommend"; "--run"; out; "--items"; "no-such-item" ]
                Expect.equal code 1 "exit code"
                Expect.stringContains err "no-such-item" "names the item")

        testCase "an unknown hyperparameter is refused before training, listing the known ones" <| fun () ->
            withFolder (fun dir ->
                let out = Path.Combine(dir, "run")
                let code, _, err = train dir out [ "--set"; "anneal-kap=0.1" ]
                Expect.equal code 1 "exit code"
                Expect.stringContains err "unknown setting 'anneal-kap'" "names it"
                Expect.stringContains err "anneal-cap" "lists the known settings"
                Expect.isFalse (Directory.Exists out) "nothing written")

        testCase "the weak protocol needs a dataset with a fixed split" <| fun () ->
            withFolder (fun dir ->
                let code, _, err = train dir (Path.Combine(dir, "run")) [ "--protocol"; "weak" ]
                Expect.equal code 1 "exit code"
                Expect.stringContains err "no fixed train/test split" "says why")
    ]
