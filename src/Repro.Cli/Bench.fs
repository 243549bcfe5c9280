/// `repro bench SUITE`: benchmarks that print figures (never timed tests).
module Repro.Cli.Bench

open System.IO
open Repro.Harness.Benchmarks

let run (suite: string) (dataDir: string) : int =
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
    | other ->
        eprintfn "unknown benchmark '%s'; known: data, eval, vae, baselines, cdae, slim-full, slim-msd" other
        2
