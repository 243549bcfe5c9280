/// Grids, settings hashes and `repro tune`: the paper's grids as values, selection by validation
/// NDCG@100 read back from the run folders, finished points skipped, bad requests refused.
module Repro.Tests.TuneTests

open System
open System.IO
open System.Text.Json
open Expecto
open Repro.Core.Models.Ease
open Repro.Core.Models.MultDae
open Repro.Core.Models.MultVae
open Repro.Core.Models.Slim
open Repro.Core.Models.Wmf
open Repro.Harness
open Repro.Tests.TempFiles

open Repro.Tests.CliRunner
let private repro cache args = reproWithCache cache args

let private tune (dir: string) (out: string) (model: string) (extra: string list) =
    repro (Path.Combine(dir, "cache"))
        ([ "--data-dir"; dir; "tune"; "--dataset"; "synthetic-tiny"; "--model"; model; "--threads"; "1"; "--out"; out ] @ extra)

let private setting (spec: ModelSpec) (name: string) = spec.Settings |> List.find (fst >> (=) name) |> snd

let private validationNdcg (folder: string) =
    use doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "metrics.json")))
    doc.RootElement.GetProperty("validation").GetProperty("Ndcg@100").GetProperty("mean").GetDouble()

[<Tests>]
let gridTests =
    testList "Harness.Grids" [
        testCase "the paper's grids have the paper's sizes and values (spec 2.3)" <| fun () ->
            let wmf = Grids.paper Models.wmf.Spec
            Expect.equal wmf.Length 12 "WMF: 2 x 6 points"
            Expect.equal (wmf |> List.map (fun p -> setting p "factors", setting p "confidence") |> set)
                (set [ for k in [ "100"; "200" ] do for c in [ "2"; "5"; "10"; "30"; "50"; "100" ] -> k, c ]) "K x c"
            let slim = Grids.paper Models.slim.Spec
            Expect.equal slim.Length 16 "SLIM: 4 x 4 points"
            Expect.equal (slim |> List.map (fun p -> setting p "l1", setting p "l2") |> set)
                (set [ for a in [ "0.1"; "0.5"; "1"; "5" ] do for b in [ "0.1"; "0.5"; "1"; "5" ] -> a, b ]) "l1 x l2"
            Expect.equal (Grids.paper Models.ease.Spec |> List.map (fun p -> setting p "lambda"))
                [ "50"; "100"; "200"; "500"; "1000"; "2000" ] "EASE: EaseHyper.LambdaGrid"
            Expect.equal (Grids.paper Models.popularity.Spec) [ Models.popularity.Spec ] "popularity: one point"
            Expect.equal (Grids.paper Models.multVae.Spec |> List.map (fun p -> setting p "anneal-cap"))
                [ "0.1"; "0.2"; "0.3"; "0.5" ] "Mult-VAE: anneal cap"
            Expect.equal (Grids.paper Models.multDae.Spec) [ Models.multDae.Spec ] "Mult-DAE: the paper's one point"

        testCase "a grid keeps the settings it does not vary" <| fun () ->
            for p in Grids.paper (Models.wmf.With(WmfHyper(Iterations = 3))) do Expect.equal (setting p "iterations") "3" "iterations kept"

        testCase "settings fixed on top stop varying, and a value list reduces the grid" <| fun () ->
            let fixedK = Grids.withFixed "paper" Models.wmf.Spec [ "factors=100" ] |> Result.defaultWith failwith
            Expect.equal fixedK.Length 6 "six values of c"
            for p in fixedK do Expect.equal (setting p "factors") "100" "K fixed"
            let reduced = Grids.withFixed "paper" Models.wmf.Spec [ "factors=100"; "confidence=10,50" ] |> Result.defaultWith failwith
            Expect.equal (reduced |> List.map (fun p -> setting p "confidence")) [ "10"; "50" ] "only the listed values"
            match Grids.withFixed "paper" Models.wmf.Spec [ "no-such=1" ] with
            | Error why -> Expect.stringContains why "unknown setting 'no-such'" "names it"
            | Ok _ -> failtest "an unknown setting must be refused"

        testCase "an unknown grid is refused, naming the known ones" <| fun () ->
            match Grids.named "huge" Models.popularity.Spec with
            | Error why -> Expect.stringContains why "paper" "lists the grids"
            | Ok _ -> failtest "refused"

        testCase "settingsHash is 8 hex digits of SHA-256 over the sorted settings, distinct across a grid" <| fun () ->
            // SHA-256 of the empty text starts e3b0c442.
            Expect.equal (ModelSpec.settingsHash Models.popularity.Spec) "e3b0c442" "no settings"
            let hashes = Grids.paper Models.wmf.Spec |> List.map ModelSpec.settingsHash
            for h in hashes do Expect.isMatch h "^[0-9a-f]{8}$" "8 lowercase hex digits"
            Expect.equal (List.distinct hashes).Length 12 "one hash per point"
            let lambda500 = Models.ease.With(EaseHyper(Lambda = 500.0))
            let expected =
                Security.Cryptography.SHA256.HashData(Text.Encoding.UTF8.GetBytes "lambda=500")
                |> Convert.ToHexString |> fun h -> h.Substring(0, 8).ToLowerInvariant()
            Expect.equal (ModelSpec.settingsHash lambda500) expected "the text is name=value"
    ]

[<Tests>]
let tuneTests =
    testSequenced <| testList "Cli.Tune" [
        testCase "tune runs every point, selects the best validation NDCG@100 and reports its test metrics" <| fun () ->
            withFolder (fun dir ->
                let out = Path.Combine(dir, "tune")
                let code, stdout, err = tune dir out "ease" []
                Expect.equal code 0 (sprintf "exit code; stderr: %s" err)
                let folders = Grids.paper Models.ease.Spec |> List.map (fun p -> Path.Combine(out, Tune.folderName p))
                for f in folders do Expect.isTrue (File.Exists(Path.Combine(f, "metrics.json"))) (f + " finished")
                let best = folders |> List.maxBy validationNdcg
                use json = JsonDocument.Parse(File.ReadAllText(Path.Combine(out, "tune.json")))
                Expect.equal (json.RootElement.GetProperty("chosen").GetString()) (Path.GetFileName best) "the best validation point"
                let chosenLine = stdout.Split('\n') |> Array.find (fun l -> l.Contains "**chosen**")
                Expect.stringContains chosenLine (Path.GetFileName best) "marked in the table"
                use metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(best, "metrics.json")))
                let testNdcg = metrics.RootElement.GetProperty("test").GetProperty("Ndcg@100").GetProperty("mean").GetDouble()
                Expect.floatClose Accuracy.veryHigh (json.RootElement.GetProperty("test").GetProperty("Ndcg@100").GetProperty("mean").GetDouble()) testNdcg "its test metrics"
                Expect.stringContains stdout (testNdcg.ToString("0.0000", Globalization.CultureInfo.InvariantCulture)) "printed"
                let md = File.ReadAllText(Path.Combine(out, "tune.md"))
                Expect.stringContains md "repro --data-dir" "the command"
                Expect.stringContains md "**chosen**" "the table"

                // Again: every point is finished, so nothing is fitted and no file changes.
                let before = folders |> List.map (fun f -> File.ReadAllText(Path.Combine(f, "metrics.json")), File.GetLastWriteTimeUtc(Path.Combine(f, "model.bin")))
                let code2, stdout2, _ = tune dir out "ease" []
                Expect.equal code2 0 "exit code"
                Expect.equal (stdout2.Split("not run again").Length - 1) 6 "six points skipped"
                let after = folders |> List.map (fun f -> File.ReadAllText(Path.Combine(f, "metrics.json")), File.GetLastWriteTimeUtc(Path.Combine(f, "model.bin")))
                Expect.equal after before "nothing refitted or rewritten")

        testCase "a point whose folder another process holds is refused, naming the holder; the other points run" <| fun () ->
            withFolder (fun dir ->
                let out = Path.Combine(dir, "tune")
                let points = Grids.paper Models.ease.Spec
                let held = Path.Combine(out, Tune.folderName points.Head)
                match RunLock.tryAcquire held with
                | Error _ -> failtest "could not take the point's lock"
                | Ok claim ->
                    use _ = claim
                    let code, stdout, _ = tune dir out "ease" []
                    Expect.equal code 1 "a point failed"
                    Expect.stringContains stdout "is in use by" "names the holder"
                    Expect.isFalse (File.Exists(Path.Combine(held, "metrics.json"))) "the held point was not run"
                    for p in points.Tail do
                        Expect.isTrue (File.Exists(Path.Combine(out, Tune.folderName p, "metrics.json"))) (Tune.folderName p + " ran"))

        testCase "an unknown model, setting or grid is a usage error (exit 2) with a message, and nothing is written" <| fun () ->
            withFolder (fun dir ->
                let out = Path.Combine(dir, "tune")
                let code, _, err = tune dir out "svd" []
                Expect.equal code 2 "unknown model: a usage error"
                Expect.stringContains err "unknown model 'svd'" "names it"
                let code, _, err = tune dir out "wmf" [ "--set"; "factorz=10" ]
                Expect.equal code 2 "unknown setting: a usage error"
                Expect.stringContains err "unknown setting 'factorz'" "names it"
                let code, _, err = tune dir out "wmf" [ "--grid"; "huge" ]
                Expect.equal code 2 "unknown grid: a usage error"
                Expect.stringContains err "unknown grid 'huge'" "names it"
                let code, _, err = tune dir out "ease" [ "--epochs"; "3" ]
                Expect.equal code 2 "epochs for a fitted model: a usage error"
                Expect.stringContains err "--epochs applies to trained models" "says why"
                Expect.isFalse (Directory.Exists out) "nothing written")
    ]
