module Repro.Tests.CliTests

open System
open System.IO
open Expecto
open Repro.Tests.TempFiles

open Repro.Tests.CliRunner

[<Tests>]
let tests =
    testSequenced <| testList "Cli" [
        testCase "an unknown argument prints the usage and exits 2" <| fun () ->
            let code, _, err = repro [ "data"; "stats"; "--dataset"; "ml-100k"; "--bogus" ]
            Expect.equal code 2 "exit code"
            Expect.stringContains err "unrecognized argument: '--bogus'" "names the argument"
            Expect.stringContains err "USAGE: repro data stats" "usage text"

        testCase "a bad value prints the usage and exits 2" <| fun () ->
            let code, _, err = repro [ "data"; "stats"; "--dataset"; "ml-100k"; "--heldout"; "many" ]
            Expect.equal code 2 "exit code"
            Expect.stringContains err "--heldout" "names the option"

        testCase "no command prints the usage and exits 2" <| fun () ->
            let code, _, err = repro [ "--data-dir"; "x" ]
            Expect.equal code 2 "exit code"
            Expect.stringContains err "SUBCOMMANDS" "usage text"

        testCase "an unknown dataset is a usage error: exit 2, listing the known ones" <| fun () ->
            withFolder (fun dir ->
                let code, _, err = repro [ "--data-dir"; dir; "data"; "stats"; "--dataset"; "ml-21m" ]
                Expect.equal code 2 "exit code"
                Expect.stringContains err "unknown dataset 'ml-21m'" "names it"
                Expect.stringContains err "ml-20m" "lists the known names")

        testCase "a data folder that does not exist is named in the error" <| fun () ->
            let missing = Path.Combine(Path.GetTempPath(), "repro-no-such-folder-" + Guid.NewGuid().ToString "N")
            let code, _, err = repro [ "--data-dir"; missing; "data"; "stats"; "--dataset"; "ml-100k" ]
            Expect.equal code 1 "exit code"
            Expect.stringContains err missing "names the folder"

        testCase "fetching Netflix explains where to obtain the files and where to put them" <| fun () ->
            withFolder (fun dir ->
                let code, _, err = repro [ "--data-dir"; dir; "data"; "fetch"; "--dataset"; "netflix" ]
                Expect.equal code 1 "nothing was fetched"
                Expect.stringContains err "Kaggle" "where to obtain it"
                Expect.stringContains err (Path.Combine(dir, "netflix")) "where to put it")

        SharedData.testWithData "citeulike-a" "CDL's one-item split: every user trains on one item, validation is empty (null, not NaN) and AP@500 is tested" <| fun dir ->
            withFolder (fun out ->
                let run = Path.Combine(out, "pop")
                let code, stdout, err = repro [ "--data-dir"; Path.GetDirectoryName dir; "train"; "--dataset"; "citeulike-a"; "--protocol"; "cdl-1"; "--model"; "popularity"; "--out"; run ]
                Expect.equal code 0 (sprintf "exit code (%s)" err)
                Expect.stringContains stdout "5551 training users" "every user trains"
                let metrics = Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "metrics.json"))).RootElement
                let validation = metrics.GetProperty("validation").GetProperty("AveragePrecision@500")
                Expect.equal (validation.GetProperty("users").GetInt32()) 0 "no user has 5 training items to carve from"
                Expect.equal (validation.GetProperty("mean").ValueKind) Text.Json.JsonValueKind.Null "an undefined mean is null"
                let test = metrics.GetProperty("test").GetProperty("AveragePrecision@500")
                Expect.equal (test.GetProperty("users").GetInt32()) 5551 "every user has test items"
                Expect.isGreaterThan (test.GetProperty("mean").GetDouble()) 0.0 "popularity finds some"
                // and the finished folder reads back (a second run skips it)
                let again, stdout2, _ = repro [ "--data-dir"; Path.GetDirectoryName dir; "train"; "--dataset"; "citeulike-a"; "--protocol"; "cdl-1"; "--model"; "popularity"; "--out"; run ]
                Expect.equal again 0 "a finished run is not an error"
                Expect.stringContains stdout2 "is finished" "skipped")

        SharedData.testWithData "citeulike-a" "CDL's split refuses trained models and datasets other than citeulike-a, saying why" <| fun dir ->
            withFolder (fun out ->
                let dataDir = Path.GetDirectoryName dir
                let code, _, err = repro [ "--data-dir"; dataDir; "train"; "--dataset"; "citeulike-a"; "--protocol"; "cdl-10"; "--model"; "mult-vae"; "--out"; Path.Combine(out, "vae") ]
                Expect.notEqual code 0 "refused"
                Expect.stringContains err "runs fitted models at fixed settings" "why"
                let code, _, err = repro [ "--data-dir"; dataDir; "train"; "--dataset"; "ml-100k"; "--protocol"; "cdl-10"; "--model"; "popularity"; "--out"; Path.Combine(out, "ml") ]
                Expect.notEqual code 0 "refused"
                Expect.stringContains err "is CDL's split of citeulike-a; ml-100k has none" "why")

        SharedData.testWithData "ml-100k" "a LOCA run records per part how many users it scored and how many fell back to the global model" <| fun mlDir ->
            withFolder (fun out ->
                let run = Path.Combine(out, "loca")
                let code, _, err =
                    repro [ "--data-dir"; Path.GetDirectoryName mlDir; "train"; "--dataset"; "ml-100k"; "--model"; "loca-ease"; "--out"; run
                            "--set"; "anchors=3"; "--set"; "embedding-latent=8"; "--set"; "embedding-epochs=3"; "--threads"; "1" ]
                Expect.equal code 0 (sprintf "exit code (%s)" err)
                let metrics = Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "metrics.json"))).RootElement
                for part in [ "validation"; "test" ] do
                    let p = metrics.GetProperty part
                    let users = p.GetProperty("Ndcg@100").GetProperty("users").GetInt32() + p.GetProperty("Ndcg@100").GetProperty("excluded").GetInt32()
                    // Counted afresh for each part: the test part does not carry the validation users.
                    Expect.equal (p.GetProperty("scoredUsers").GetDouble()) (float users) (sprintf "%s: every user of the part scored once" part)
                    let fallbacks = p.GetProperty("fallbackUsers").GetDouble()
                    Expect.isTrue (fallbacks >= 0.0 && fallbacks <= float users) (sprintf "%s: fallbacks %g within 0..%d" part fallbacks users)
                    Expect.isGreaterThanOrEqual (p.GetProperty("localModelsFitted").GetDouble()) 1.0 (sprintf "%s: local models fitted" part))

        SharedData.testWithData "ml-100k" "data prepare --export-pro-sg writes the reference split byte for byte" <| fun mlDir ->
            withFolder (fun out ->
                let dataDir = Path.GetDirectoryName mlDir
                Environment.SetEnvironmentVariable("REPRO_CACHE_DIR", Path.Combine(out, "cache"))
                try
                    let export = Path.Combine(out, "pro_sg")
                    let code, stdout, _ = repro [ "--data-dir"; dataDir; "data"; "prepare"; "--dataset"; "ml-100k"; "--export-pro-sg"; export ]
                    Expect.equal code 0 "exit code"
                    Expect.stringContains stdout "55,361" "events after preprocessing"
                    for name in [ "unique_sid.txt"; "train.csv"; "validation_tr.csv"; "validation_te.csv"; "test_tr.csv"; "test_te.csv" ] do
                        let expected = File.ReadAllBytes(Path.Combine(mlDir, "reference-split", name))
                        Expect.equal (File.ReadAllBytes(Path.Combine(export, name))) expected name
                finally
                    Environment.SetEnvironmentVariable("REPRO_CACHE_DIR", null))
    
        SharedData.testWithData "ml-100k" "a custom delimited file with a column mapping splits like the built-in reader" <| fun mlDir ->
            withFolder (fun dir ->
                let uData = Path.Combine(mlDir, "u.data")
                let builtIn = repro [ "--data-dir"; Path.GetDirectoryName mlDir; "data"; "stats"; "--dataset"; "ml-100k" ]
                let custom = repro [ "--data-dir"; dir; "data"; "stats"; "--dataset"; "custom"; "--file"; uData; "--columns"; "0,1,2"; "--delimiter"; "tab"; "--heldout"; "100" ]
                let code, stdout, _ = custom
                Expect.equal code 0 "exit code"
                let counts (_, (text: string), _) = text.Split('\n') |> Array.filter (fun l -> l.TrimStart().StartsWith "users" || l.Contains "events  ") |> Array.map (fun l -> l.Trim())
                Expect.equal (counts custom) (counts builtIn) "same users and events"
                Expect.stringContains stdout "55,361" "events after the rating > 3.5 filter")

        SharedData.testWithData "ml-100k" "the preprocessing knobs change what is kept" <| fun mlDir ->
            withFolder (fun dir ->
                Environment.SetEnvironmentVariable("REPRO_CACHE_DIR", dir)
                try
                    let code, stdout, _ = repro [ "--data-dir"; Path.GetDirectoryName mlDir; "data"; "stats"; "--dataset"; "ml-100k"; "--min-rating"; "none"; "--min-items-per-user"; "20" ]
                    Expect.equal code 0 "exit code"
                    // Every rating counts, and every MovieLens-100K user has at least 20 ratings.
                    Expect.stringContains stdout "100,000" "all events kept"
                    Expect.stringContains stdout "preprocessing: users >= 20 items" "the settings in force are printed"
                finally
                    Environment.SetEnvironmentVariable("REPRO_CACHE_DIR", null))

        testCase "custom-only options are refused for a named dataset" <| fun () ->
            withFolder (fun dir ->
                let code, _, err = repro [ "--data-dir"; dir; "data"; "stats"; "--dataset"; "ml-100k"; "--columns"; "0,1" ]
                Expect.equal code 1 "exit code"
                Expect.stringContains err "--columns is for --dataset custom only" "says why")

        testCase "a custom dataset without --heldout says what is missing" <| fun () ->
            withFolder (fun dir ->
                let file = writeText dir "events.csv" "1,2\n"
                let code, _, err = repro [ "--data-dir"; dir; "data"; "stats"; "--dataset"; "custom"; "--file"; file; "--columns"; "0,1" ]
                Expect.equal code 1 "exit code"
                Expect.stringContains err "--heldout" "names the option")
    ]
