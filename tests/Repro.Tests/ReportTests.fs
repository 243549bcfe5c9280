module Repro.Tests.ReportTests

open System
open System.IO
open System.Globalization
open System.Xml.Linq
open Expecto
open Repro.Harness.Report
open Repro.Tests.TempFiles

let private inv = CultureInfo.InvariantCulture
let private num (x: float) = x.ToString("R", inv)

/// What a hand-made run folder holds.
type private Fixture =
    { Experiment: string option
      Dataset: string
      Model: string
      Group: string
      Hash: string
      Seed: int
      Protocol: string
      /// (metric, mean, standard error) of the test part.
      Test: (string * float * float) list
      /// Validation NDCG@100 mean, written as a "validation" part.
      Validation: float option
      /// test.bestValidationNdcg@100 (older runs' selection number).
      BestValidation: float option
      /// (row, foldInItems, NDCG@100; None for a user without targets).
      Users: (int * int * float option) list
      Epochs: float list
      Commit: string }

let private fixture =
    { Experiment = Some "exp"; Dataset = "ml-100k"; Model = "mult-vae"; Group = "Mult-VAE^PR"; Hash = "aaaaaaaa"; Seed = 1
      Protocol = "strong generalisation, 4 validation + 4 test users"
      Test = []; Validation = None; BestValidation = None; Users = []; Epochs = []; Commit = "c0ffee" }

/// Writes the run folder results/<experiment>/<dataset>/<model>-<hash>-s<seed>/ as the runner would.
let private write (results: string) (f: Fixture) =
    let folder = Path.Combine(results, defaultArg f.Experiment "legacy", f.Dataset, sprintf "%s-%s-s%d" f.Model f.Hash f.Seed)
    Directory.CreateDirectory folder |> ignore
    File.WriteAllText(Path.Combine(folder, "run.json"),
        sprintf """{"dataset":"%s","model":"%s","settings":{"epochs":"3"},"seed":%d,"protocol":"%s","command":"repro train","commit":"%s","started":"2026-11-23T10:00:00+00:00"}""" f.Dataset f.Model f.Seed f.Protocol f.Commit)
    match f.Experiment with
    | Some id ->
        File.WriteAllText(Path.Combine(folder, "experiment.json"),
            sprintf """{"experiment":"%s","dataset":"%s","model":"%s","group":"%s","settingsHash":"%s","seed":%d}""" id f.Dataset f.Model f.Group f.Hash f.Seed)
    | None -> ()
    let metric (name, mean, se) = sprintf "\"%s\":{\"mean\":%s,\"standardError\":%s,\"users\":4,\"excluded\":0}" name (num mean) (num se)
    let test = String.Join(",", [ yield! f.Test |> List.map metric
                                  match f.BestValidation with Some v -> yield sprintf "\"bestEpoch\":2,\"bestValidationNdcg@100\":%s" (num v) | None -> () ])
    let validation = match f.Validation with Some v -> sprintf ",\"validation\":{%s}" (metric ("Ndcg@100", v, 0.01)) | None -> ""
    File.WriteAllText(Path.Combine(folder, "metrics.json"), sprintf "{\"test\":{%s}%s}" test validation)
    if not f.Users.IsEmpty then
        let lines = [ yield "row\tfoldInItems\tNdcg@100"; for row, items, v in f.Users -> sprintf "%d\t%d\t%s" row items (match v with Some x -> num x | None -> "") ]
        File.WriteAllText(Path.Combine(folder, "test-users.tsv"), String.Join("\n", lines) + "\n")
    if not f.Epochs.IsEmpty then
        let lines = [ yield "epoch\tloss\tneg_ll\tkl\tbeta\tupdates\tvalidation_ndcg_at_100\tseconds"
                      for i, v in List.indexed f.Epochs -> sprintf "%d\t1\t1\t0\t0\t%d\t%s\t0.1" (i + 1) (i + 1) (num v) ]
        File.WriteAllText(Path.Combine(folder, "epochs.tsv"), String.Join("\n", lines) + "\n")
    folder

let private ndcg mean se = [ "Recall@20", mean, se; "Recall@50", mean, se; "Ndcg@100", mean, se ]

/// Makes the run in <paramref name="folder"/> a refit whose selection run had <paramref name="selection"/>.
let private markRefit (folder: string) (selection: float) =
    let metrics = Path.Combine(folder, "metrics.json")
    File.WriteAllText(metrics, File.ReadAllText(metrics).Replace("{\"test\":{", sprintf "{\"test\":{\"selectedEpoch\":2,\"selectionValidationNdcg@100\":%s," (num selection)))

let private tablesOf results = (RunIndex.load results).Runs |> Tables.build

let private row (table: Tables.Table) group = table.Rows |> List.find (fun r -> r.Group = group)

/// The Mult-VAE^PR row of a table with a weak run (hash, validation NDCG@100) and a refit (hash, its
/// selection run's NDCG@100) whose own validation part, 0.95, scores items it trained on.
let private rowWithRefit dir (otherHash, otherValidation) (refitHash, refitSelection) =
    write dir { fixture with Hash = otherHash; Test = ndcg 0.30 0.01; Validation = Some otherValidation } |> ignore
    markRefit (write dir { fixture with Hash = refitHash; Test = ndcg 0.32 0.01; Validation = Some 0.95 }) refitSelection
    row (tablesOf dir |> List.exactlyOne) "Mult-VAE^PR"

let private cell (table: Tables.Table) group metric =
    (row table group).Cells |> List.find (fun (m, _) -> m = metric) |> snd |> Option.get

let private optionsFor (dir: string) : Reporter.Options =
    { Results = Path.Combine(dir, "results"); Output = Path.Combine(dir, "out", "paper-tables.md")
      Figures = Path.Combine(dir, "out", "figures"); Html = Path.Combine(dir, "out", "report.html")
      Experiment = None; Command = "repro report --results results" }

let private svgElements (svg: string) (name: string) (cls: string) =
    XDocument.Parse(svg).Descendants(XName.Get(name, "http://www.w3.org/2000/svg"))
    |> Seq.filter (fun e -> e.Attribute(XName.Get "class") <> null && e.Attribute(XName.Get "class").Value = cls)
    |> Seq.length

/// A test against <paramref name="against"/> whose differences are (0.1, 0, 0.2, 0.1): mean 0.1,
/// t = 2.4494897 (the paired test's hand case, mirrored).
let private expectMirroredHandCase (versus: Tables.Comparison) (against: string) =
    match versus with
    | Tables.TestedAgainst(b, t) when b = against ->
        Expect.floatClose Accuracy.veryHigh t.MeanDifference 0.1 "mean difference"
        Expect.floatClose Accuracy.high t.T 2.449489742783178 "t"
    | other -> failtestf "expected a test against %s, got %A" against other

[<Tests>]
let tests =
    testList "Report" [
        testList "Published" [
            testCase "the paper's three datasets carry Table 2's numbers with their source tags" <| fun () ->
                let value d m metric = (Published.find d m metric |> Option.get).Value
                Expect.equal (value "ml-20m" "Mult-VAE^PR" "Ndcg@100") 0.426 "ML-20M Mult-VAE^PR NDCG@100"
                Expect.equal (value "ml-20m" "Mult-DAE" "Recall@20") 0.387 "ML-20M Mult-DAE Recall@20"
                Expect.equal (value "netflix" "Mult-VAE^PR" "Recall@20") 0.351 "Netflix Mult-VAE^PR Recall@20"
                Expect.equal (value "msd" "Mult-VAE^PR" "Recall@50") 0.364 "MSD Mult-VAE^PR Recall@50"
                Expect.equal (value "msd" "WMF" "Ndcg@100") 0.257 "MSD WMF NDCG@100"
                Expect.equal (value "gowalla" "Mult-VAE^PR" "RecallLightGcn@20") 0.1641 "LightGCN's Mult-VAE row"
                Expect.equal (value "ml-20m" "EASE" "Ndcg@100") 0.420 "EASE^R from spec §4"
                Expect.isNone (Published.find "msd" "SLIM" "Recall@20") "SLIM did not finish on MSD"
                for d in Published.paperDatasets do
                    for m in Published.paperMetrics do
                        let v = Published.find d "Mult-VAE^PR" m |> Option.get
                        Expect.stringContains v.Source "spec §3.2" (sprintf "%s %s cites the spec" d m)
                        Expect.stringContains v.Source "[V" (sprintf "%s %s carries a tag" d m)
        ]

        testList "Tables" [
            testCase "several seeds: mean over seeds and the across-seed standard error, said in the row" <| fun () ->
                withFolder (fun dir ->
                    // 0.40 and 0.44: mean 0.42, sample std 0.028284, / sqrt 2 = 0.0200.
                    write dir { fixture with Seed = 1; Test = ndcg 0.40 0.01; Validation = Some 0.5 } |> ignore
                    write dir { fixture with Seed = 2; Test = ndcg 0.44 0.02; Validation = Some 0.5 } |> ignore
                    let table = tablesOf dir |> List.exactlyOne
                    let c = cell table "Mult-VAE^PR" "Ndcg@100"
                    Expect.floatClose Accuracy.veryHigh c.Mean 0.42 "mean over seeds"
                    Expect.floatClose Accuracy.veryHigh c.StandardError (sqrt 0.0008 / sqrt 2.0) "sample std / sqrt seeds"
                    let _, rows = Tables.cells table
                    Expect.equal rows.Head.[0 .. 3] [ "Mult-VAE^PR"; "1, 2"; "seeds (2 runs)"; "0.4200 ± 0.0200" ] "the row's text")

            testCase "one run: its own standard error over test users" <| fun () ->
                withFolder (fun dir ->
                    write dir { fixture with Test = ndcg 0.40 0.0123; Validation = Some 0.5 } |> ignore
                    let table = tablesOf dir |> List.exactlyOne
                    let _, rows = Tables.cells table
                    Expect.equal rows.Head.[1 .. 3] [ "1"; "users (1 run)"; "0.4000 ± 0.0123" ] "the row's text")

            testCase "a group's grid point is chosen by validation NDCG@100, never by test metrics" <| fun () ->
                withFolder (fun dir ->
                    // Best test, worse validation: not chosen.
                    write dir { fixture with Hash = "aaaaaaaa"; Test = ndcg 0.90 0.01; Validation = Some 0.30 } |> ignore
                    write dir { fixture with Hash = "bbbbbbbb"; Test = ndcg 0.10 0.01; Validation = Some 0.35 } |> ignore
                    let table = tablesOf dir |> List.exactlyOne
                    let r = row table "Mult-VAE^PR"
                    Expect.equal r.Chosen.SettingsHash "bbbbbbbb" "best validation"
                    Expect.equal r.GridPoints.Length 2 "both points listed"
                    Expect.floatClose Accuracy.veryHigh (cell table "Mult-VAE^PR" "Ndcg@100").Mean 0.10 "its test metrics")

            testCase "without a validation part the run's best validation NDCG@100 selects; a validation part wins over it" <| fun () ->
                withFolder (fun dir ->
                    // Older run: only test.bestValidationNdcg@100 = 0.5.
                    write dir { fixture with Hash = "cccccccc"; Test = ndcg 0.20 0.01; BestValidation = Some 0.5 } |> ignore
                    // Newer run: validation 0.45 counts, its bestValidationNdcg@100 of 0.99 does not.
                    write dir { fixture with Hash = "dddddddd"; Test = ndcg 0.90 0.01; Validation = Some 0.45; BestValidation = Some 0.99 } |> ignore
                    let r = row (tablesOf dir |> List.exactlyOne) "Mult-VAE^PR"
                    Expect.equal r.Chosen.SettingsHash "cccccccc" "0.5 beats 0.45"
                    Expect.equal (r.GridPoints |> List.map _.Selection) [ Some 0.5; Some 0.45 ] "selection numbers")

            testCase "a refit is selected by its selection run's validation NDCG@100, not by its own validation part" <| fun () ->
                withFolder (fun dir ->
                    // The refit trained on its validation targets (0.95); its selection run had 0.35.
                    let r = rowWithRefit dir ("eeeeeeee", 0.40) ("ffffffff", 0.35)
                    Expect.equal (r.GridPoints |> List.map _.Selection) [ Some 0.40; Some 0.35 ] "selection numbers"
                    Expect.equal r.Chosen.SettingsHash "eeeeeeee" "0.40 beats the refit's 0.35")

            testCase "a refit wins the tie with its own selection run, which carries the same validation number" <| fun () ->
                withFolder (fun dir ->
                    // The refit's hash sorts after the selection's, so "first hash" alone would pick the selection.
                    let r = rowWithRefit dir ("11111111", 0.35) ("99999999", 0.35)
                    Expect.equal (r.GridPoints |> List.map _.Selection) [ Some 0.35; Some 0.35 ] "the same selection number"
                    Expect.equal r.Chosen.SettingsHash "99999999-refit" "the refit")

            testCase "a refit whose selected epoch count equals its selection run's is a grid point of its own, not a second seed" <| fun () ->
                withFolder (fun dir ->
                    // Same settings (folders differ by seed here): before, they were averaged as two seeds of one point.
                    write dir { fixture with Hash = "77777777"; Seed = 1; Test = ndcg 0.30 0.01; Validation = Some 0.35 } |> ignore
                    markRefit (write dir { fixture with Hash = "77777777"; Seed = 2; Test = ndcg 0.32 0.01; Validation = Some 0.95 }) 0.35
                    let r = row (tablesOf dir |> List.exactlyOne) "Mult-VAE^PR"
                    Expect.equal (r.GridPoints |> List.map (fun p -> p.SettingsHash, p.Runs.Length)) [ "77777777", 1; "77777777-refit", 1 ] "two points of one run each"
                    Expect.equal r.Chosen.SettingsHash "77777777-refit" "the refit")

            testCase "a weak-refit run's selection folder without experiment.json is filed with the run" <| fun () ->
                withFolder (fun dir ->
                    let refit = write dir { fixture with Experiment = None; Hash = "aaaaaaaa"; Test = ndcg 0.32 0.01; Protocol = "weak generalisation, refit" }
                    let other = write (Path.Combine(dir, "elsewhere")) { fixture with Experiment = None; Hash = "bbbbbbbb"; Test = ndcg 0.30 0.01; Protocol = "weak generalisation" }
                    Directory.Move(other, Path.Combine(refit, "selection"))
                    Directory.Delete(Path.Combine(dir, "elsewhere"), true)
                    let runs = (RunIndex.load dir).Runs
                    Expect.equal (runs |> List.map (fun r -> r.Unfiled) |> List.distinct) [ Some(Path.Combine(dir, "legacy", "ml-100k")) ] "both under the refit's parent folder"
                    Expect.equal runs.Length 2 "both indexed")

            testCase "a refit joins its selection run's table, and its validation curve is the selection run's" <| fun () ->
                withFolder (fun dir ->
                    // The refit's own epochs (0.9: items it trained on) must not be drawn; the selection's (0.2, 0.3) are.
                    let refit = write dir { fixture with Experiment = None; Hash = "aaaaaaaa"; Test = ndcg 0.32 0.01; Validation = Some 0.9; Epochs = [ 0.8; 0.9 ]
                                                         Protocol = "weak generalisation, refit: trained on the whole training rows for the 2 epochs" }
                    markRefit refit 0.3
                    // A refit records the epoch count chosen, so its settings (and hash) differ from its selection run's.
                    let runJson = Path.Combine(refit, "run.json")
                    File.WriteAllText(runJson, File.ReadAllText(runJson).Replace("\"epochs\":\"3\"", "\"epochs\":\"2\""))
                    let other = write (Path.Combine(dir, "elsewhere")) { fixture with Experiment = None; Hash = "bbbbbbbb"; Test = ndcg 0.30 0.01; Validation = Some 0.3
                                                                                      Epochs = [ 0.2; 0.3 ]; Protocol = "weak generalisation (fixed train/test split)" }
                    Directory.Move(other, Path.Combine(refit, "selection"))
                    let table = tablesOf dir |> List.exactlyOne
                    Expect.equal table.Protocol "weak generalisation (fixed train/test split)" "the selection run's protocol"
                    let r = row table "Mult-VAE^PR"
                    Expect.equal (r.Chosen.Runs |> List.map _.IsRefit) [ true ] "the refit wins the tie"
                    match Figures.validationCurves table with
                    | Some f, [] ->
                        match f.Chart with
                        | Charts.Lines l -> Expect.equal (l.Series |> List.collect (fun s -> s.Points |> List.map _.Y)) [ 0.2; 0.3 ] "the selection run's curve"
                        | _ -> failtest "a line chart"
                    | _, problems -> failtestf "no curve: %A" problems)

            testCase "an experiment's refit of a fitted model files its selection run in the same table, and the refit wins the tie" <| fun () ->
                withFolder (fun dir ->
                    // The runner writes experiment.json into the refit's folder only; selection/ has none.
                    let refit = write dir { fixture with Model = "ease"; Group = "EASE"; Test = ndcg 0.32 0.01; Validation = Some 0.9 }
                    let metrics = Path.Combine(refit, "metrics.json")
                    File.WriteAllText(metrics, File.ReadAllText(metrics).Replace("{\"test\":{", "{\"test\":{\"selectionValidationNdcg@100\":0.3,"))
                    let selection = write (Path.Combine(dir, "elsewhere")) { fixture with Experiment = None; Model = "ease"; Test = ndcg 0.30 0.01; Validation = Some 0.3 }
                    Directory.Move(selection, Path.Combine(refit, "selection"))
                    Directory.Delete(Path.Combine(dir, "elsewhere"), true)
                    let runs = (RunIndex.load dir).Runs
                    Expect.equal (runs |> List.map (fun r -> r.Experiment, r.Unfiled, r.Group) |> List.distinct) [ "exp", None, "EASE" ] "both filed under the refit's experiment and group"
                    Expect.equal (runs |> List.filter _.IsRefit |> List.map _.Folder) [ refit ] "a fitted refit (no selectedEpoch) is a refit"
                    let r = row (tablesOf dir |> List.exactlyOne) "EASE"
                    Expect.equal (r.GridPoints |> List.map _.SettingsHash |> List.sort) [ "aaaaaaaa"; "aaaaaaaa-refit" ] "the selection run and the refit are two points of one row"
                    Expect.equal (r.Chosen.Runs |> List.map _.Folder) [ refit ] "the refit wins the tie at the selection's 0.3, not its own 0.9")

            testCase "the published number, the difference and whether it lies within 2 standard errors" <| fun () ->
                withFolder (fun dir ->
                    let test = [ "Recall@20", 0.400, 0.002; "Recall@50", 0.537, 0.002; "Ndcg@100", 0.429, 0.002 ]
                    write dir { fixture with Dataset = "ml-20m"; Test = test; Validation = Some 0.4 } |> ignore
                    let table = tablesOf dir |> List.exactlyOne
                    let _, rows = Tables.cells table
                    // Recall@20: Δ = +0.005 > 2 × 0.002; NDCG@100: Δ = +0.003 ≤ 0.004.
                    Expect.equal rows.Head.[4] "0.395 (+0.0050, no)" "Recall@20"
                    Expect.equal rows.Head.[8] "0.426 (+0.0030, yes)" "NDCG@100"
                    Expect.equal (cell table "Mult-VAE^PR" "Recall@20").Within2Se (Some false) "flag"
                    Expect.equal (cell table "Mult-VAE^PR" "Ndcg@100").Within2Se (Some true) "flag")

            testCase "paired t-test against Mult-VAE^PR on per-user NDCG@100 matches a hand computation" <| fun () ->
                withFolder (fun dir ->
                    let users values = values |> List.mapi (fun i v -> i, 3 + i, Some v)
                    write dir { fixture with Test = ndcg 0.65 0.01; Validation = Some 0.5; Users = users [ 0.5; 0.6; 0.7; 0.8 ] } |> ignore
                    write dir { fixture with Model = "mult-dae"; Group = "Mult-DAE"; Test = ndcg 0.55 0.01; Validation = Some 0.5; Users = users [ 0.4; 0.6; 0.5; 0.7 ] } |> ignore
                    let table = tablesOf dir |> List.exactlyOne
                    match (row table "Mult-DAE").Versus with
                    | Tables.Tested t ->
                        // d = DAE − VAE = (−0.1, 0, −0.2, −0.1): mean −0.1, sample std sqrt(0.02 / 3), t = −0.1 / (std / 2) = −2.4494897;
                        // df 3: p = 2 (1 − F(|t|)) with F(x) = 1/2 + (x/√3 / (1 + x²/3) + atan(x/√3)) / π, = 0.0917211.
                        Expect.equal t.Pairs 4 "pairs"
                        Expect.floatClose Accuracy.veryHigh t.MeanDifference -0.1 "mean difference"
                        Expect.floatClose Accuracy.high t.T -2.449489742783178 "t"
                        Expect.floatClose Accuracy.high t.PValue 0.09172111331157184 "p"
                    | other -> failtestf "expected a test, got %A" other
                    Expect.equal (row table "Mult-VAE^PR").Versus Tables.IsReference "the reference row"
                    let _, rows = Tables.cells table
                    Expect.equal (List.last rows.[1]) "Δ −0.1000, t = −2.45, p = 0.092 (4 users)" "the cell")

            testCase "a LOCA row is tested against its base model's row, not against Mult-VAE^PR" <| fun () ->
                withFolder (fun dir ->
                    let users values = values |> List.mapi (fun i v -> i, 3 + i, Some v)
                    write dir { fixture with Test = ndcg 0.65 0.01; Validation = Some 0.5; Users = users [ 0.5; 0.6; 0.7; 0.8 ] } |> ignore
                    write dir { fixture with Model = "ease"; Group = "EASE"; Test = ndcg 0.6 0.01; Validation = Some 0.5; Users = users [ 0.1; 0.2; 0.3; 0.4 ] } |> ignore
                    write dir { fixture with Model = "loca-ease"; Group = "LOCA-EASE"; Test = ndcg 0.55 0.01; Validation = Some 0.5; Users = users [ 0.2; 0.2; 0.5; 0.5 ] } |> ignore
                    write dir { fixture with Model = "loca-vae"; Group = "LOCA-VAE"; Test = ndcg 0.55 0.01; Validation = Some 0.5; Users = users [ 0.6; 0.7; 0.8; 0.9 ] } |> ignore
                    let table = tablesOf dir |> List.exactlyOne
                    expectMirroredHandCase (row table "LOCA-EASE").Versus "EASE"
                    match (row table "LOCA-VAE").Versus with
                    | Tables.TestedAgainst("Mult-VAE^PR", t) -> Expect.floatClose Accuracy.veryHigh t.MeanDifference 0.1 "every user +0.1"
                    | other -> failtestf "expected a test against Mult-VAE^PR, got %A" other
                    let _, rows = Tables.cells table
                    let cellOf group = rows |> List.find (fun r -> r.Head = group) |> List.last
                    Expect.stringStarts (cellOf "LOCA-EASE") "vs EASE: Δ +0.1000, t = 2.45" "the cell names the base model")

            testCase "in a table without Mult-VAE^PR every row is tested against popularity, and without either not at all" <| fun () ->
                withFolder (fun dir ->
                    let users values = values |> List.mapi (fun i v -> i, 3 + i, Some v)
                    write dir { fixture with Model = "bpr-mf"; Group = "BPR-MF"; Test = ndcg 0.55 0.01; Validation = Some 0.5; Users = users [ 0.2; 0.2; 0.5; 0.5 ] } |> ignore
                    write dir { fixture with Model = "popularity"; Group = "Popularity"; Test = ndcg 0.25 0.01; Validation = Some 0.5; Users = users [ 0.1; 0.2; 0.3; 0.4 ] } |> ignore
                    let table = tablesOf dir |> List.exactlyOne
                    expectMirroredHandCase (row table "BPR-MF").Versus "Popularity"
                    Expect.equal (row table "Popularity").Versus Tables.IsReference "popularity is the table's reference"
                    let _, rows = Tables.cells table
                    Expect.stringStarts (rows |> List.find (fun r -> r.Head = "BPR-MF") |> List.last) "vs Popularity: Δ +0.1000" "the cell names popularity")
                withFolder (fun dir ->
                    write dir { fixture with Model = "bpr-mf"; Group = "BPR-MF"; Test = ndcg 0.55 0.01; Validation = Some 0.5 } |> ignore
                    match (row (tablesOf dir |> List.exactlyOne) "BPR-MF").Versus with
                    | Tables.NotTested why -> Expect.stringContains why "no Mult-VAE^PR or Popularity row" "the reason"
                    | other -> failtestf "expected no test, got %A" other)

            testCase "in LOCA's metrics (NdcgLightGcn@100, no Ndcg@100) the paired test uses that NDCG@100" <| fun () ->
                withFolder (fun dir ->
                    let users values = values |> List.mapi (fun i v -> i, 3 + i, Some v)
                    let lightGcn (folder: string) =
                        let path = Path.Combine(folder, "test-users.tsv")
                        File.WriteAllText(path, File.ReadAllText(path).Replace("\tNdcg@100", "\tNdcgLightGcn@100"))
                    lightGcn (write dir { fixture with Model = "mult-vae"; Group = "Mult-VAE [I-200-I]"; Test = [ "NdcgLightGcn@100", 0.65, 0.01 ]; Validation = Some 0.5; Users = users [ 0.5; 0.6; 0.7; 0.8 ] })
                    lightGcn (write dir { fixture with Model = "loca-vae"; Group = "LOCA-VAE"; Test = [ "NdcgLightGcn@100", 0.55, 0.01 ]; Validation = Some 0.5; Users = users [ 0.4; 0.6; 0.5; 0.7 ] })
                    match (row (tablesOf dir |> List.exactlyOne) "LOCA-VAE").Versus with
                    | Tables.TestedAgainst("Mult-VAE [I-200-I]", t) -> Expect.floatClose Accuracy.veryHigh t.MeanDifference -0.1 "mean difference"
                    | other -> failtestf "expected a test against Mult-VAE [I-200-I], got %A" other)

            testCase "no paired test when the runs have different test users" <| fun () ->
                withFolder (fun dir ->
                    write dir { fixture with Test = ndcg 0.65 0.01; Validation = Some 0.5; Users = [ 0, 3, Some 0.5; 1, 3, Some 0.6; 2, 3, Some 0.7 ] } |> ignore
                    write dir { fixture with Model = "mult-dae"; Group = "Mult-DAE"; Test = ndcg 0.55 0.01; Validation = Some 0.5; Users = [ 0, 3, Some 0.5; 1, 3, Some 0.6; 5, 3, Some 0.7 ] } |> ignore
                    match (row (tablesOf dir |> List.exactlyOne) "Mult-DAE").Versus with
                    | Tables.NotTested why -> Expect.stringContains why "different test users" "the reason"
                    | other -> failtestf "expected no test, got %A" other)

            testCase "runs without experiment.json get no experiment from their folder's place: they are grouped by parent folder, then run.json's dataset and model" <| fun () ->
                withFolder (fun dir ->
                    for seed in 1 .. 3 do
                        write dir { fixture with Experiment = None; Seed = seed; Test = ndcg (0.4 + float seed * 0.01) 0.01; BestValidation = Some 0.5 } |> ignore
                    let table = tablesOf dir |> List.exactlyOne
                    Expect.equal (table.Experiment, table.Unfiled, table.Dataset) ("", Some(Path.Combine(dir, "legacy", "ml-100k")), "ml-100k") "unfiled under the parent folder, dataset from run.json"
                    let r = row table "Mult-VAE^PR"
                    Expect.equal r.Chosen.Runs.Length 3 "one grid point of three seeds"
                    Expect.equal r.Kind (Tables.OverSeeds 3) "across seeds")
        ]

        testList "Svg" [
            testCase "a bar chart is well-formed XML with one group per series and one bar per value" <| fun () ->
                let bar v = Some { Charts.Bar.Value = v; Charts.Bar.Error = Some 0.01; Charts.Bar.Reference = None }
                let chart =
                    Charts.Bars { Title = "t <&> \"q\""; XLabel = "x"; YLabel = "y"; Categories = [ "a"; "b c"; "d" ]; ReferenceLabel = "published"
                                  Series = [ { Name = "one"; Bars = [ bar 0.1; bar 0.2; None ] }
                                             { Name = "two"; Bars = [ bar 0.3; Some { Value = 0.4; Error = None; Reference = Some 0.5 }; bar 0.2 ] } ] }
                let svg = Svg.render chart
                Expect.equal (svgElements svg "g" "series") 2 "series"
                Expect.equal (svgElements svg "rect" "bar") 5 "bars"
                Expect.equal (svgElements svg "g" "error-bar") 4 "error bars"
                Expect.equal (svgElements svg "line" "reference") 1 "reference marks"
                Expect.equal (svgElements svg "g" "legend-entry") 3 "legend: two series and the published mark"
                Expect.stringContains svg "t &lt;&amp;&gt; &quot;q&quot;" "escaped title"

            testCase "a line chart draws one polyline per series through its points" <| fun () ->
                let series name ys = { Charts.LineSeries.Name = name; Charts.LineSeries.Points = ys |> List.mapi (fun i y -> { Charts.Point.X = float (i + 1); Charts.Point.Y = y; Charts.Point.Error = None }) }
                let svg = Svg.render (Charts.Lines { Charts.LineChart.Title = "t"; XLabel = "epoch"; YLabel = "v"; Series = [ series "a" [ 0.1; 0.2 ]; series "b" [ 0.3; 0.1 ]; series "c" [ 0.2; 0.2 ] ] })
                Expect.equal (svgElements svg "polyline" "line") 3 "lines"
                Expect.equal (svgElements svg "circle" "point") 0 "no marks on curves without error bars"
                let marked = Svg.render (Charts.Lines { Charts.LineChart.Title = "t"; XLabel = "q"; YLabel = "v"
                                                        Series = [ { Charts.LineSeries.Name = "one point"; Points = [ { Charts.Point.X = 1.0; Y = 0.1; Error = None } ] }
                                                                   { Charts.LineSeries.Name = "measured"; Points = [ for x in 1.0 .. 3.0 -> { Charts.Point.X = x; Y = 0.2; Error = Some 0.01 } ] } ] })
                Expect.equal (svgElements marked "circle" "point") 4 "a series' only point and every point with an error bar are marked"
                let points = XDocument.Parse(svg).Descendants(XName.Get("polyline", "http://www.w3.org/2000/svg")) |> Seq.head
                Expect.equal (points.Attribute(XName.Get "points").Value.Split(' ').Length) 2 "two points"

            testCase "ticks are round numbers covering the range" <| fun () ->
                Expect.equal (Svg.ticks 0.0 0.43) [ 0.0; 0.1; 0.2; 0.3; 0.4; 0.5 ] "0 .. 0.43"
                Expect.equal (Svg.ticks 1.0 200.0) [ 0.0; 50.0; 100.0; 150.0; 200.0 ] "epochs"
        ]

        testList "Figures" [
            testCase "the annealing experiment's three curves are drawn together, one per group" <| fun () ->
                withFolder (fun dir ->
                    for model, group, hash in [ "mult-vae", "Mult-VAE^PR", "a1a1a1a1"; "mult-vae", "Mult-VAE (beta = 1)", "b2b2b2b2"; "mult-vae", "Mult-VAE, anneal to 1", "c3c3c3c3" ] do
                        write dir { fixture with Experiment = Some "annealing"; Model = model; Group = group; Hash = hash; Test = ndcg 0.4 0.01; Validation = Some 0.4; Epochs = [ 0.1; 0.3; 0.2 ] } |> ignore
                    let table = tablesOf dir |> List.exactlyOne
                    match Figures.validationCurves table with
                    | Some f, [] ->
                        Expect.equal (svgElements (Svg.render f.Chart) "polyline" "line") 3 "three curves"
                        match f.Chart with
                        | Charts.Lines l -> Expect.equal (l.Series.Head.Points |> List.map (fun p -> p.X, p.Y)) [ 1.0, 0.1; 2.0, 0.3; 3.0, 0.2 ] "epochs.tsv values"
                        | _ -> failtest "a line chart"
                    | _, problems -> failtestf "no figure: %A" problems)

            testCase "accuracy against q: one line per model over its (q = N) rows in q order with s.e. bars, base models flat across the q range" <| fun () ->
                withFolder (fun dir ->
                    for group, hash, value in [ "LOCA-EASE (q = 50)", "c3c3c3c3", 0.45; "LOCA-EASE (q = 1)", "a1a1a1a1", 0.40; "LOCA-EASE (q = 10)", "b2b2b2b2", 0.43 ] do
                        write dir { fixture with Experiment = Some "loca-q"; Model = "loca-ease"; Group = group; Hash = hash; Test = ndcg value 0.02; Validation = Some value
                                                 Users = [ for r in 0 .. 3 -> r, r + 1, Some(value + 0.01 * float r) ] } |> ignore
                    write dir { fixture with Experiment = Some "loca-q"; Model = "ease"; Group = "EASE"; Hash = "d4d4d4d4"; Test = ndcg 0.44 0.02; Validation = Some 0.44
                                             Users = [ for r in 0 .. 3 -> r, r + 1, Some(0.44 + 0.02 * float (r % 2)) ] } |> ignore
                    let table = tablesOf dir |> List.exactlyOne
                    Expect.equal (table.Rows |> List.map _.Group) [ "EASE"; "LOCA-EASE (q = 1)"; "LOCA-EASE (q = 10)"; "LOCA-EASE (q = 50)" ] "rows of one model in q order, not text order"
                    match Figures.anchorCurve table with
                    | Some { Chart = Charts.Lines l } ->
                        let series name = l.Series |> List.find (fun s -> s.Name = name)
                        Expect.equal ((series "LOCA-EASE").Points |> List.map (fun p -> p.X, p.Y, p.Error)) [ 1.0, 0.40, Some 0.02; 10.0, 0.43, Some 0.02; 50.0, 0.45, Some 0.02 ] "q in order, NDCG@100 and s.e."
                        Expect.equal ((series "EASE (no local models)").Points |> List.map (fun p -> p.X, p.Y)) [ 1.0, 0.44; 50.0, 0.44 ] "EASE flat from q = 1 to 50"
                        Expect.equal l.Series.Length 2 "nothing else"
                    | _ -> failtest "a line chart"
                    Expect.equal (Tables.localModelsOf "LOCA-VAE (q = 300)") (Some("LOCA-VAE", 300)) "parses the row label"
                    Expect.equal (Tables.localModelsOf "LOCA-VAE") None "a row without q"
                    let one = tablesOf dir |> List.exactlyOne
                    Expect.equal (Figures.anchorCurve { one with Rows = one.Rows |> List.filter (fun r -> r.Group <> "LOCA-EASE (q = 10)" && r.Group <> "LOCA-EASE (q = 50)") }) None "no figure from one q"
                    let t = row table "LOCA-EASE (q = 10)"
                    match t.Versus with
                    | Tables.TestedAgainst("EASE", _) -> ()
                    | other -> failtestf "a (q = N) row of LOCA-EASE is compared with EASE, got %A" other)

            testCase "local gain by dataset size: each LOCA row's paired Δ against its base model, its fallback share, and the slope on log10 training users" <| fun () ->
                withFolder (fun dir ->
                    let users values = values |> List.mapi (fun i v -> i, i + 1, Some v)
                    // ml-100k: LOCA-EASE below EASE by 0.1 on every user but one; citeulike-a: above by 0.1 but one.
                    for dataset, gain in [ "ml-100k", -0.1; "citeulike-a", 0.1 ] do
                        let protocol = "strong generalisation, 100 validation + 100 test users"
                        write dir { fixture with Experiment = Some "loca-strong"; Dataset = dataset; Protocol = protocol; Model = "ease"; Group = "EASE"; Hash = "e1e1e1e1"
                                                 Test = ndcg 0.4 0.01; Validation = Some 0.4; Users = users [ 0.4; 0.5; 0.3; 0.4 ] } |> ignore
                        let loca = write dir { fixture with Experiment = Some "loca-strong"; Dataset = dataset; Protocol = protocol; Model = "loca-ease"; Group = "LOCA-EASE"; Hash = "f1f1f1f1"
                                                            Test = ndcg (0.4 + gain) 0.01; Validation = Some 0.4; Users = users [ 0.4 + gain; 0.5 + gain; 0.3 + gain; 0.4 + 2.0 * gain ] }
                        let metrics = Path.Combine(loca, "metrics.json")
                        File.WriteAllText(metrics, File.ReadAllText(metrics).Replace("{\"test\":{", "{\"test\":{\"scoredUsers\":4,\"fallbackUsers\":1,"))
                    let gains = LocalGain.gains (tablesOf dir)
                    Expect.equal (gains |> List.map (fun g -> g.Dataset, g.Model, g.Base)) [ "ml-100k", "LOCA-EASE", "EASE"; "citeulike-a", "LOCA-EASE", "EASE" ] "one gain per dataset"
                    let small, large = gains.[0], gains.[1]
                    Expect.floatClose Accuracy.veryHigh small.Test.MeanDifference -0.125 "paired mean of −0.1, −0.1, −0.1, −0.2"
                    Expect.floatClose Accuracy.veryHigh large.Test.MeanDifference 0.125 "and its mirror"
                    Expect.equal small.Fallback (Some 0.25) "1 of 4 test users fell back"
                    Expect.equal (small.TrainingUsers, large.TrainingUsers) (Some 738, Some(4551 + 2 * (500 - 100))) "the shapes' training users at 100 held-out users per set"
                    match LocalGain.trend "LOCA-EASE" gains with
                    | Some t ->
                        let dx = log10 (float large.TrainingUsers.Value) - log10 738.0
                        Expect.floatClose Accuracy.high t.Slope (0.25 / dx) "two points: the slope through them"
                        Expect.isLessThan t.PValue 0.05 "a gain that grows by 0.25 with s.e. 0.025 is a trend"
                    | None -> failtest "two sizes give a slope"
                    Expect.equal (LocalGain.trend "LOCA-EASE" [ small ]) None "one size: no slope"
                    Expect.isFalse ((LocalGain.trendLines gains).Head.Contains "fall back") "a quarter falling back is not most"
                    let mostly = [ small; { large with Fallback = Some 0.9 } ]
                    Expect.equal (LocalGain.trend "LOCA-EASE" mostly) None "a row where most users fall back is left out of the slope: one size left"
                    Expect.stringContains (LocalGain.trendLines mostly).Head "left out, as most test users fall back to the global model there: CiteULike-a (90%)" "and the sentence says which and why"
                    match LocalGain.figure "loca-strong" "t" gains with
                    | Some { Chart = Charts.Lines l } -> Expect.equal (l.Series |> List.map _.Name) [ "LOCA-EASE − EASE"; "no gain" ] "one line per LOCA model and zero"
                    | _ -> failtest "a line chart")

            testCase "NDCG@100 by activity quintile: Core's quintiles of fold-in counts, mean and standard error per model" <| fun () ->
                withFolder (fun dir ->
                    // Users 0..9 with 1..10 fold-in items: quintiles {0,1} {2,3} ... {8,9}.
                    let users f = [ for r in 0 .. 9 -> r, r + 1, Some(f r) ]
                    write dir { fixture with Test = ndcg 0.5 0.01; Validation = Some 0.5; Users = users (fun r -> float r / 10.0) } |> ignore
                    write dir { fixture with Model = "mult-dae"; Group = "Mult-DAE"; Test = ndcg 0.5 0.01; Validation = Some 0.5; Users = users (fun r -> if r % 2 = 0 then 0.5 else 0.3) } |> ignore
                    let table = tablesOf dir |> List.exactlyOne
                    match Figures.activity table with
                    | Some(figure, quintiles), [] ->
                        Expect.equal (quintiles |> List.map (fun q -> q.MinFoldIn, q.MaxFoldIn, q.Users)) [ 1, 2, 2; 3, 4, 2; 5, 6, 2; 7, 8, 2; 9, 10, 2 ] "quintiles"
                        let last = quintiles |> List.last
                        let vae = last.Summaries |> List.find (fun (g, _) -> g = "Mult-VAE^PR") |> snd
                        Expect.floatClose Accuracy.veryHigh vae.Mean 0.85 "rows 8 and 9"
                        Expect.floatClose Accuracy.veryHigh vae.StandardError (0.05 / sqrt 2.0) "population std / sqrt users"
                        let dae = last.Summaries |> List.find (fun (g, _) -> g = "Mult-DAE") |> snd
                        Expect.floatClose Accuracy.veryHigh dae.Mean 0.4 "0.5 and 0.3"
                        Expect.equal (svgElements (Svg.render figure.Chart) "rect" "bar") 10 "5 quintiles × 2 models"
                        Expect.equal (svgElements (Svg.render figure.Chart) "g" "error-bar") 10 "one-s.e. bars"
                    | _, problems -> failtestf "no figure: %A" problems)

            testCase "no activity figure for runs whose test-users.tsv predates the foldInItems column, and the reason is given" <| fun () ->
                withFolder (fun dir ->
                    let a = write dir { fixture with Test = ndcg 0.5 0.01; Validation = Some 0.5 }
                    let b = write dir { fixture with Model = "mult-dae"; Group = "Mult-DAE"; Test = ndcg 0.5 0.01; Validation = Some 0.5 }
                    for folder in [ a; b ] do File.WriteAllText(Path.Combine(folder, "test-users.tsv"), "row\tNdcg@100\n0\t0.1\n1\t0.2\n2\t0.3\n3\t0.4\n4\t0.5\n")
                    match Figures.activity (tablesOf dir |> List.exactlyOne) with
                    | None, [ why ] -> Expect.stringContains why "foldInItems" "the reason"
                    | other -> failtestf "expected no figure and a reason, got %A" other)
        ]

        testList "Reporter" [
            testCase "the report is a function of the results: two runs give the same bytes" <| fun () ->
                withFolder (fun dir ->
                    let results = Path.Combine(dir, "results")
                    let users values = values |> List.mapi (fun i v -> i, 3 + i, Some v)
                    write results { fixture with Test = ndcg 0.6 0.01; Validation = Some 0.5; Users = users [ 0.5; 0.6; 0.7; 0.8; 0.9 ]; Epochs = [ 0.2; 0.3 ] } |> ignore
                    write results { fixture with Model = "mult-dae"; Group = "Mult-DAE"; Test = ndcg 0.5 0.01; Validation = Some 0.5; Users = users [ 0.4; 0.6; 0.5; 0.7; 0.1 ]; Epochs = [ 0.1; 0.2 ] } |> ignore
                    let options = optionsFor dir
                    let first = Reporter.write options
                    let bytes = first.Files |> List.map (fun (p, _) -> p, File.ReadAllBytes p)
                    let second = Reporter.write options
                    Expect.equal (second.Files |> List.map fst) (first.Files |> List.map fst) "same files"
                    for path, before in bytes do Expect.equal (File.ReadAllBytes path) before (sprintf "%s unchanged" path)
                    Expect.equal (first.Files |> List.filter (fun (p, _) -> p.EndsWith ".svg") |> List.length) 3 "table, validation and activity figures"
                    let markdown = File.ReadAllText options.Output
                    Expect.stringContains markdown "<!-- Generated by `repro report --results results`; do not edit by hand. -->" "generated header"
                    Expect.stringContains markdown "Regenerate with: `repro report --results results`" "the command under the table"
                    Expect.stringContains markdown "](figures/exp-ml-100k-table.svg)" "figure linked relative to the markdown"
                    Expect.stringContains markdown "`../results/exp/ml-100k/mult-vae-aaaaaaaa-s1`" "the run folder"
                    Expect.stringContains markdown "commit `c0ffee`" "the commit"
                    Expect.isFalse (markdown.Contains(DateTime.UtcNow.ToString("yyyy-MM-dd"))) "no date from the clock")

            testCase "the HTML report loads no script from outside the file and draws every figure" <| fun () ->
                withFolder (fun dir ->
                    write (Path.Combine(dir, "results")) { fixture with Test = ndcg 0.6 0.01; Validation = Some 0.5; Epochs = [ 0.2; 0.3 ] } |> ignore
                    let options = optionsFor dir
                    Reporter.write options |> ignore
                    let html = File.ReadAllText options.Html
                    Expect.isEmpty (HtmlReport.externalScripts html) "no script src"
                    Expect.stringContains html "plotly.js v" "plotly.js inlined"
                    Expect.equal (html.Split("Plotly.newPlot(\"figure-").Length - 1) 2 "two figures drawn"
                    Expect.equal (HtmlReport.externalScripts "<script type=\"text/javascript\" src=\"https://cdn.plot.ly/plotly.js\"></script>") [ "https://cdn.plot.ly/plotly.js" ] "the check finds one")

            testCase "a corrupt or missing metrics.json is named with its path; the report goes on and lists it" <| fun () ->
                withFolder (fun dir ->
                    let results = Path.Combine(dir, "results")
                    write results { fixture with Test = ndcg 0.6 0.01; Validation = Some 0.5 } |> ignore
                    let corrupt = write results { fixture with Seed = 2; Test = ndcg 0.6 0.01 }
                    File.WriteAllText(Path.Combine(corrupt, "metrics.json"), "{ \"test\": { oops")
                    let missing = write results { fixture with Seed = 3; Test = ndcg 0.6 0.01 }
                    File.Delete(Path.Combine(missing, "metrics.json"))
                    let options = optionsFor dir
                    let outcome = Reporter.write options
                    Expect.equal (outcome.Skipped |> List.map _.Folder) [ corrupt; missing ] "both skipped"
                    Expect.stringContains outcome.Skipped.[0].Reason (Path.Combine(corrupt, "metrics.json")) "corrupt file named"
                    Expect.stringContains outcome.Skipped.[0].Reason "not valid JSON" "what is wrong"
                    Expect.stringContains outcome.Skipped.[1].Reason (Path.Combine(missing, "metrics.json")) "missing file named"
                    Expect.equal ((outcome.Tables |> List.exactlyOne).Rows.Head.Chosen.Runs.Length) 1 "the good run is reported"
                    let markdown = File.ReadAllText options.Output
                    Expect.stringContains markdown "## Skipped run folders" "listed"
                    Expect.stringContains markdown "`../results/exp/ml-100k/mult-vae-aaaaaaaa-s2`" "the skipped folder")

            testCase "a damaged test-users.tsv is reported as damage to its run, which is skipped" <| fun () ->
                withFolder (fun dir ->
                    let results = Path.Combine(dir, "results")
                    let users3 = [ 0, 4, Some 0.5; 1, 6, Some 0.7; 2, 5, None ]
                    write results { fixture with Test = ndcg 0.6 0.01; Validation = Some 0.5; Users = users3 } |> ignore
                    let damaged = write results { fixture with Seed = 2; Test = ndcg 0.6 0.01; Validation = Some 0.5; Users = users3 }
                    let users = Path.Combine(damaged, "test-users.tsv")
                    Expect.isTrue (File.Exists users) "the fixture writes per-user values"
                    File.AppendAllText(users, "not-a-row\t1\n")
                    let outcome = Reporter.write (optionsFor dir)
                    Expect.equal (outcome.Skipped |> List.map _.Folder) [ damaged ] "the damaged run is skipped"
                    Expect.stringContains outcome.Skipped.Head.Reason "damaged per-user file" "says it is damage"
                    Expect.stringContains outcome.Skipped.Head.Reason users "names the file"
                    Expect.equal ((outcome.Tables |> List.exactlyOne).Rows.Head.Chosen.Runs.Length) 1 "the good run is reported")

            testCase "a failed run is skipped with its error.txt; a finished run with a stale error.txt is reported" <| fun () ->
                withFolder (fun dir ->
                    let results = Path.Combine(dir, "results")
                    let failed = write results { fixture with Seed = 1; Test = ndcg 0.6 0.01 }
                    File.Delete(Path.Combine(failed, "metrics.json"))
                    File.WriteAllText(Path.Combine(failed, "error.txt"), "out of memory\n")
                    let retried = write results { fixture with Seed = 2; Test = ndcg 0.6 0.01; Validation = Some 0.5 }
                    File.WriteAllText(Path.Combine(retried, "error.txt"), "interrupted\n")
                    let index = RunIndex.load results
                    Expect.equal (index.Runs |> List.map _.Folder) [ retried ] "the finished run"
                    Expect.equal (index.Skipped |> List.map _.Folder) [ failed ] "the failed run"
                    Expect.stringContains index.Skipped.Head.Reason "out of memory" "its error")

            testCase "the paper's datasets without runs show their published numbers, awaiting a run" <| fun () ->
                withFolder (fun dir ->
                    write (Path.Combine(dir, "results")) { fixture with Experiment = Some "paper"; Dataset = "ml-20m"; Test = ndcg 0.4 0.002; Validation = Some 0.5 } |> ignore
                    // A run of another experiment on a paper dataset is not Table 2's.
                    write (Path.Combine(dir, "results")) { fixture with Experiment = Some "likelihoods"; Dataset = "netflix"; Test = ndcg 0.4 0.002; Validation = Some 0.5 } |> ignore
                    let outcome = Reporter.generate (optionsFor dir)
                    let markdown = snd outcome.Files.Head
                    Expect.isFalse (markdown.Contains "### ML-20M: published numbers, awaiting a run") "ml-20m has a run"
                    Expect.stringContains markdown "### ML-20M, strong generalisation" "ml-20m's table"
                    Expect.stringContains markdown "### Netflix: published numbers, awaiting a run" "netflix waits for the paper experiment"
                    Expect.stringContains markdown "### MSD: published numbers, awaiting a run" "msd waits"
                    Expect.stringContains markdown "| Mult-VAE^PR | 0.351 | 0.444 | 0.386 |" "Netflix Table 2 row"
                    Expect.stringContains markdown "await a run on a machine that has the data" "the note")

            testCase "--experiment keeps only that experiment's runs" <| fun () ->
                withFolder (fun dir ->
                    let results = Path.Combine(dir, "results")
                    write results { fixture with Experiment = Some "one"; Test = ndcg 0.4 0.01; Validation = Some 0.5 } |> ignore
                    write results { fixture with Experiment = Some "two"; Test = ndcg 0.4 0.01; Validation = Some 0.5 } |> ignore
                    let outcome = Reporter.generate { optionsFor dir with Experiment = Some "two" }
                    Expect.equal (outcome.Tables |> List.map _.Experiment) [ "two" ] "one table")
        ]

        testList "Layout" [
            testCase "the paper's sections come first, in the paper's order, and every other experiment after them under Beyond the paper" <| fun () ->
                withFolder (fun dir ->
                    let results = Path.Combine(dir, "results")
                    // Written in an order unlike the document's, with ids that sort unlike it.
                    write results { fixture with Experiment = Some "zzz-later"; Test = ndcg 0.4 0.01; Validation = Some 0.5 } |> ignore
                    write results { fixture with Experiment = Some "local"; Test = ndcg 0.4 0.01; Validation = Some 0.5 } |> ignore
                    write results { fixture with Experiment = Some "annealing"; Dataset = "ml-20m"; Test = ndcg 0.4 0.01; Validation = Some 0.5 } |> ignore
                    write results { fixture with Experiment = Some "paper"; Dataset = "msd"; Test = ndcg 0.3 0.01; Validation = Some 0.5 } |> ignore
                    write results { fixture with Experiment = Some "baseline-tuning"; Test = ndcg 0.4 0.01; Validation = Some 0.5 } |> ignore
                    let markdown = snd (Reporter.generate (optionsFor dir)).Files.Head
                    let headings = markdown.Split('\n') |> Array.filter (fun l -> l.StartsWith "#") |> List.ofArray
                    Expect.equal headings
                        [ "# Paper tables"
                          "## Table 1: dataset statistics"
                          "## Table 2: ML-20M, Netflix and MSD"
                          "### ML-20M: published numbers, awaiting a run"
                          "### Netflix: published numbers, awaiting a run"
                          "### MSD, strong generalisation"
                          "## Table 4: multinomial, Gaussian and logistic likelihoods"
                          "## Figure 1: KL annealing"
                          "### ML-20M, strong generalisation"
                          "## Figure 3: NDCG@100 by user activity"
                          "## Beyond the paper"
                          "### Every model on MovieLens-100K, CiteULike-a and Gowalla"
                          "#### MovieLens-100K, strong generalisation"
                          "### Baseline tuning on MovieLens-100K and Gowalla"
                          "#### MovieLens-100K, strong generalisation"
                          "### Experiment zzz-later"
                          "#### MovieLens-100K, strong generalisation" ]
                        "headings in the paper's order, then beyond it")

            testCase "headings name the dataset and protocol in words, never a folder or experiment id" <| fun () ->
                withFolder (fun dir ->
                    let results = Path.Combine(dir, "results")
                    write results { fixture with Experiment = Some "gowalla-lightgcn"; Dataset = "gowalla"; Test = ndcg 0.4 0.01; Validation = Some 0.5
                                                 Protocol = "weak generalisation (fixed train/test split; validation carved from 10% of training rows)" } |> ignore
                    write results { fixture with Experiment = Some "ml-100k-seeds"; Test = ndcg 0.4 0.01; Validation = Some 0.5 } |> ignore
                    let outcome = Reporter.generate (optionsFor dir)
                    let markdown = snd outcome.Files.Head
                    let headings = markdown.Split('\n') |> Array.filter (fun l -> l.StartsWith "#")
                    Expect.contains headings "#### Gowalla, LightGCN's split (weak generalisation)" "the Gowalla split in words"
                    Expect.contains headings "### Mult-VAE^PR on Gowalla, LightGCN's split" "the experiment's title"
                    Expect.contains headings "#### MovieLens-100K, strong generalisation" "ML-100K in words"
                    for h in headings do
                        for id in [ "gowalla-lightgcn"; "ml-100k-seeds"; "ml-100k"; " — " ] do
                            Expect.isFalse (h.Contains id) (sprintf "heading '%s' does not contain '%s'" h id)
                    let svgs = outcome.Files |> List.map fst |> List.filter (fun p -> p.EndsWith ".svg") |> List.map Path.GetFileName
                    Expect.containsAll svgs [ "gowalla-lightgcn-table.svg"; "ml-100k-seeds-table.svg" ] "figure names say what they hold, without repeating the dataset")

            testCase "commits are shown as 7 hex digits, keeping a -dirty mark" <| fun () ->
                Expect.equal (Names.shortCommit "b366b08fefeb20c5cfd50a5419e7507275812eb4") "b366b08" "a full hash"
                Expect.equal (Names.shortCommit "b366b08fefeb20c5cfd50a5419e7507275812eb4-dirty") "b366b08-dirty" "a dirty checkout"
                Expect.equal (Names.shortCommit "unknown") "unknown" "outside git"
                withFolder (fun dir ->
                    let full = "095b7e7b88b1e90ca8a73ad13338a4db655b1ed6"
                    write (Path.Combine(dir, "results")) { fixture with Commit = full; Test = ndcg 0.4 0.01; Validation = Some 0.5 } |> ignore
                    let markdown = snd (Reporter.generate (optionsFor dir)).Files.Head
                    Expect.stringContains markdown "commit `095b7e7`" "the run's commit, short"
                    Expect.stringContains markdown "(commit `095b7e7`)" "the table's commits, short"
                    Expect.isFalse (markdown.Contains full) "never the full hash")

            testCase "a run folder is grouped by its experiment.json, wherever the folder lies" <| fun () ->
                withFolder (fun dir ->
                    let results = Path.Combine(dir, "results")
                    // A run moved under a folder of another name and depth still belongs to its experiment.
                    let moved = write results { fixture with Experiment = Some "ml-100k-seeds"; Seed = 1; Test = ndcg 0.40 0.01; Validation = Some 0.5 }
                    let elsewhere = Path.Combine(results, "archive", "2026", "ml-100k", "mult-vae-seed1")
                    Directory.CreateDirectory(Path.GetDirectoryName elsewhere) |> ignore
                    Directory.Move(moved, elsewhere)
                    write results { fixture with Experiment = Some "ml-100k-seeds"; Seed = 2; Test = ndcg 0.44 0.01; Validation = Some 0.5 } |> ignore
                    let outcome = Reporter.generate (optionsFor dir)
                    let table = outcome.Tables |> List.exactlyOne
                    Expect.equal (table.Experiment, table.Unfiled) ("ml-100k-seeds", None) "its experiment"
                    Expect.equal ((row table "Mult-VAE^PR").Chosen.Runs |> List.map _.Seed) [ 1UL; 2UL ] "both seeds in one grid point"
                    let markdown = snd outcome.Files.Head
                    Expect.stringContains markdown "### Mult-VAE^PR and Mult-DAE over five seeds on MovieLens-100K" "under the experiment's title"
                    Expect.isFalse (markdown.Contains "Unfiled runs") "nothing unfiled")

            testCase "run folders without experiment.json are reported under Unfiled runs, one section per parent folder" <| fun () ->
                withFolder (fun dir ->
                    let results = Path.Combine(dir, "results")
                    write results { fixture with Experiment = Some "local"; Test = ndcg 0.4 0.01; Validation = Some 0.5 } |> ignore
                    write results { fixture with Experiment = None; Test = ndcg 0.4 0.01; Validation = Some 0.5 } |> ignore
                    write (Path.Combine(results, "scratch")) { fixture with Experiment = None; Test = ndcg 0.4 0.01; Validation = Some 0.5 } |> ignore
                    let outcome = Reporter.generate (optionsFor dir)
                    Expect.equal (outcome.Tables |> List.map (fun t -> t.Experiment, t.Unfiled))
                        [ "", Some(Path.Combine(results, "legacy", "ml-100k")); "", Some(Path.Combine(results, "scratch", "legacy", "ml-100k")); "local", None ]
                        "two unfiled tables by parent folder, one filed"
                    let markdown = snd outcome.Files.Head
                    let at (text: string) =
                        let i = markdown.IndexOf text
                        Expect.isGreaterThanOrEqual i 0 (sprintf "'%s' present" text)
                        i
                    Expect.isLessThan (at "## Beyond the paper") (at "## Unfiled runs") "the fallback comes after the experiments"
                    Expect.isLessThan (at "## Unfiled runs") (at "### Runs in `../results/legacy/ml-100k`") "first parent folder"
                    Expect.isLessThan (at "### Runs in `../results/legacy/ml-100k`") (at "### Runs in `../results/scratch/legacy/ml-100k`") "second parent folder"
                    let svgs = outcome.Files |> List.map fst |> List.filter (fun p -> p.EndsWith ".svg") |> List.map Path.GetFileName
                    Expect.equal (svgs |> List.distinct).Length svgs.Length "figure names are unique")

            testCase "a figure name has the protocol only when an experiment has the dataset under several protocols" <| fun () ->
                withFolder (fun dir ->
                    write dir { fixture with Experiment = Some "study"; Hash = "aaaaaaaa"; Test = ndcg 0.4 0.01 } |> ignore
                    write dir { fixture with Experiment = Some "study"; Hash = "bbbbbbbb"; Test = ndcg 0.4 0.01; Protocol = "weak generalisation" } |> ignore
                    write dir { fixture with Experiment = Some "other"; Test = ndcg 0.4 0.01 } |> ignore
                    Expect.equal (tablesOf dir |> List.map _.FileStem) [ "other-ml-100k"; "study-ml-100k-strong"; "study-ml-100k-weak" ] "stems")
        ]
    ]

/// The command line, in-process (it redirects the console, so it runs on its own).
[<Tests>]
let cliTests =
    testSequenced <| testList "Report.Cli" [
        testCase "repro report writes the markdown, its figures and report.html next to --output" <| fun () ->
            withFolder (fun dir ->
                write (Path.Combine(dir, "results")) { fixture with Test = ndcg 0.4 0.01; Validation = Some 0.5; Epochs = [ 0.1 ] } |> ignore
                let out = new StringWriter()
                let saved = Console.Out
                Console.SetOut out
                let code =
                    try Repro.Cli.Program.main [| "report"; "--results"; Path.Combine(dir, "results"); "--output"; Path.Combine(dir, "site", "tables.md") |]
                    finally Console.SetOut saved
                Expect.equal code 0 "exit code"
                Expect.isTrue (File.Exists(Path.Combine(dir, "site", "tables.md"))) "markdown"
                Expect.isTrue (File.Exists(Path.Combine(dir, "site", "report.html"))) "html next to it"
                Expect.isTrue (File.Exists(Path.Combine(dir, "site", "figures", "exp-ml-100k-table.svg"))) "figures next to it"
                Expect.stringContains (File.ReadAllText(Path.Combine(dir, "site", "tables.md"))) (sprintf "`repro report --results %s --output %s`" (Path.Combine(dir, "results")) (Path.Combine(dir, "site", "tables.md"))) "the command")
    ]
