/// Runs the `repro` command line in-process, capturing what it prints, for the CLI tests.
module Repro.Tests.CliRunner

open System
open System.IO

let private run (cache: string option) (args: string list) =
    let out = new StringWriter()
    let err = new StringWriter()
    let savedOut, savedErr = Console.Out, Console.Error
    Console.SetOut out
    Console.SetError err
    cache |> Option.iter (fun c -> Environment.SetEnvironmentVariable("REPRO_CACHE_DIR", c))
    let code =
        try Repro.Cli.Program.main (Array.ofList args)
        finally
            Console.SetOut savedOut
            Console.SetError savedErr
            if cache.IsSome then Environment.SetEnvironmentVariable("REPRO_CACHE_DIR", null)
    code, out.ToString(), err.ToString()

/// Exit code, standard output and standard error of `repro ARGS`.
let repro (args: string list) = run None args

/// The same with split caches in <paramref name="cache"/> (REPRO_CACHE_DIR) for the call.
let reproWithCache (cache: string) (args: string list) = run (Some cache) args
