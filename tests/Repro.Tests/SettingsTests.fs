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
    ]
