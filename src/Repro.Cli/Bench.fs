/// `repro bench SUITE`: benchmarks that print figures (never timed tests).
module Repro.Cli.Bench

open System.IO
open Repro.Harness.Benchmarks

let private suites = [ "data"; "eval"; "vae"; "vae-precision"; "recvae"; "baselines"; "cdae"; "slim-full"; "slim-msd"; "loca"; "estimates" ]

let run (suite: string) (dataDir: string) : int =
    if List.contains suite suites then Machine.header () |> List.iter (printfn "%s")
    match suite with
    | "data" ->
        DataBench.run (Path.Combine(dataDir, "bench"))
        0
    | "eval" ->
        EvaluationBench.run ()
        0
    | "vae" ->
        VaeBench.run ()
        0
    | "vae-precision" ->
        VaeBench.runPrecision 15
        0
    | "recvae" ->
        VaeBench.runRecVae 10
        0
    | "baselines" ->
        BaselineBench.run ()
        0
    | "cdae" ->
        BaselineBench.runCdae ()
        0
    | "slim-full" ->
        BaselineBench.runSlimFull ()
        0
    | "slim-msd" ->
        BaselineBench.runSlimMsd ()
        0
    | "loca" ->
        LocaBench.run ()
        0
    | "estimates" ->
        EstimateBench.run "results" Repro.Experiments.Experiments.all
        0
    | other ->
        eprintfn "unknown benchmark '%s'; known: %s" other (String.concat ", " suites)
        2
