module Repro.Tests.SettingsTests

open Expecto
open Repro.Core.Models.MultVae
open Repro.Core.Training
open Repro.Harness

let private expectError (result: Result<'a, string>) (part: string) =
    match result with
    | Ok _ -> failtestf "accepted; expected an error containing '%s'" part
    | Error why -> Expect.stringContains why part "the message says what is wrong"

[<Tests>]
let tests =
    testList "Harness.Settings" [
        testCase "a setting is found by kebab, snake or Pascal name and leaves the original untouched" <| fun () ->
            for name in [ "anneal-cap"; "anneal_cap"; "AnnealCap" ] do
                match Settings.apply MultVaeHyper.Paper [ name + "=0.3" ] with
                | Ok h -> Expect.floatClose Accuracy.veryHigh h.AnnealCap 0.3 name
                | Error e -> failtest e
            Expect.floatClose Accuracy.veryHigh MultVaeHyper.Paper.AnnealCap 0.2 "Paper stays as it was"

        testCase "integers, longs with underscores and enums parse" <| fun () ->
            match Settings.apply MultVaeHyper.Paper [ "epochs=3"; "total-anneal-steps=1_000"; "likelihood=logistic" ] with
            | Ok h ->
                Expect.equal h.Epochs 3 "epochs"
                Expect.equal h.TotalAnnealSteps 1000L "steps"
                Expect.equal h.Likelihood Likelihood.Logistic "likelihood"
            | Error e -> failtest e

        testCase "an unknown name is an error that lists the known settings" <| fun () ->
            expectError (Settings.apply MultVaeHyper.Paper [ "anneal-kap=0.3" ]) "known settings: hidden, latent"

        testCase "a value of the wrong kind says what is expected" <| fun () ->
            expectError (Settings.apply MultVaeHyper.Paper [ "epochs=many" ]) "takes an integer"
            expectError (Settings.apply MultVaeHyper.Paper [ "likelihood=poisson" ]) "one of multinomial, gaussian, logistic"

        testCase "a value the record's own validation rejects is an error" <| fun () ->
            expectError (Settings.apply MultVaeHyper.Paper [ "keep-probability=1.5" ]) "keep probability"

        testCase "text that is not name=value is an error" <| fun () ->
            expectError (Settings.apply MultVaeHyper.Paper [ "epochs" ]) "not name=value"

        testCase "describe lists every setting with its value" <| fun () ->
            let d = Settings.describe MultVaeHyper.Paper |> Map.ofList
            Expect.equal d.["anneal-cap"] "0.2" "cap"
            Expect.equal d.["total-anneal-steps"] "200000" "steps"
            Expect.equal d.["gaussian-confidence"] "none" "unset"

        testCase "settings are written in declaration order, the shared Mult-VAE^PR settings first, as run records and saved training states keep them" <| fun () ->
            let names record = Settings.describe record |> List.map fst
            let shared = [ "hidden"; "latent"; "keep-probability"; "anneal-cap"; "total-anneal-steps"; "learning-rate"; "batch-size"; "epochs"; "weight-decay"; "likelihood" ]
            Expect.equal (names MultVaeHyper.Paper) (shared @ [ "gaussian-confidence" ]) "Mult-VAE^PR"
            Expect.equal (names Repro.Core.Models.MixturePriorVae.MixturePriorVaeHyper.Paper) (shared @ [ "prior"; "components"; "samples"; "log-variance-floor"; "learn-weights" ]) "the mixture prior's"
            Expect.equal (Repro.Core.Models.SettingsText.Of MultVaeHyper.Paper)
                "hidden=600\nlatent=200\nkeep-probability=0.5\nanneal-cap=0.2\ntotal-anneal-steps=200000\nlearning-rate=0.001\nbatch-size=500\nepochs=200\nweight-decay=0\nlikelihood=Multinomial\ngaussian-confidence=none"
                "the text a saved training state names its settings with"

        testCase "the user-row autoencoders refuse the same out-of-range optimiser settings in the same words" <| fun () ->
            for name in [ "mult-vae"; "mult-vae-gmm"; "mult-dae"; "ae"; "stacked-dae" ] do
                let spec = match Models.find name with Ok e -> { Entry = e; Hyper = e.Paper } | Error e -> failtest e
                for assignment, words in [ "learning-rate=0", "learning rate must be > 0, got 0"; "batch-size=0", "batch size must be > 0, got 0"
                                           "epochs=0", "epochs must be > 0, got 0"; "weight-decay=-1", "weight decay must be >= 0, got -1" ] do
                    expectError (ModelSpec.applyOnTop spec [ assignment ]) words

        testCase "a shared setting is set and checked on the mixture-prior record as on Mult-VAE^PR's" <| fun () ->
            let gmm = Repro.Core.Models.MixturePriorVae.MixturePriorVaeHyper.Paper
            match Settings.apply gmm [ "anneal-cap=0.3"; "components=4" ] with
            | Ok h -> Expect.equal (h.AnnealCap, h.Components, h.Prior) (0.3, 4, gmm.Prior) "set, the rest kept"
            | Error e -> failtest e
            expectError (Settings.apply gmm [ "keep-probability=1.5" ]) "keep probability"
    ]

/// The settings hashes of the catalogue's paper settings, as the run folders recorded in results/ are
/// named (e.g. results/taxonomy/ml-100k/mult-vae-922ac72f-s1). A setting added to a model without
/// [OmittedAtDefault] moves its hash, and every recorded run of it would be trained again.
let private recordedHashes =
    [ "mult-vae", "922ac72f"; "mult-dae", "9814f884"; "recvae", "c4b07ce9"; "cdae", "4f9a5f77"; "bpr-mf", "273f169c"
      "popularity", "e3b0c442"; "ease", "77a36ae4"; "wmf", "b781aba7"; "slim", "c9576432"; "ae", "2d1da2dd"
      "sparse-ae", "146d97a4"; "contractive-ae", "f91f3565"; "gaussian-dae", "d10f74d2"; "stacked-dae", "eb222a55"
      "mult-vae-gmm", "02f46614"; "mult-vae-vamp", "380d48fc"; "loca-ease", "acc5dcd5" ]

[<Tests>]
let hashes =
    testList "Harness.SettingsHash" [
        testCase "the catalogue's paper settings keep the hashes that name their recorded run folders" <| fun () ->
            for name, expected in recordedHashes do
                match Models.find name with
                | Ok entry -> Expect.equal (ModelSpec.settingsHash { Entry = entry; Hyper = entry.Paper }) expected (sprintf "%s's paper settings hash" name)
                | Error e -> failtest e

        testCase "a setting added later is left out of run records at its old behaviour, and written and hashed at any other" <| fun () ->
            let paper = Models.multVaeGmm.Spec
            Expect.isFalse (paper.Settings |> List.exists (fun (n, _) -> n = "kl-estimator")) "not recorded at monte-carlo"
            match ModelSpec.applyOnTop paper [ "kl-estimator=discrete" ] with
            | Ok discrete ->
                Expect.contains discrete.Settings ("kl-estimator", "Discrete") "recorded when set"
                Expect.notEqual (ModelSpec.settingsHash discrete) (ModelSpec.settingsHash paper) "another estimator, another run"
                match ModelSpec.ofSettings "mult-vae-gmm" discrete.Settings with
                | Ok back -> Expect.equal back discrete "read back from run.json's settings"
                | Error e -> failtest e
            | Error e -> failtest e
    ]
