module Repro.Cli.Program

open System
open Argu
open Repro.Cli.Arguments

let private parser = ArgumentParser.Create<CliArgs>(programName = "repro")

let private dispatch (args: ParseResults<CliArgs>) : int =
    let dataDir = args.TryGetResult Data_Dir
    match args.GetSubCommand() with
    | Data _ | Bench _ | Reproduce _ ->
        eprintfn "not implemented yet"
        1
    | Data_Dir _ -> args.Raise("a command is required", showUsage = true)

[<EntryPoint>]
let main argv =
    try
        let args = parser.ParseCommandLine(argv, raiseOnUsage = true)
        dispatch args
    with
    | :? ArguParseException as e ->
        // Argu's message is the usage text, with the problem on its first line; --help is not an error.
        let isHelp = argv |> Array.exists (fun a -> a = "--help" || a = "-h" || a = "/?")
        if isHelp then
            printfn "%s" e.Message
            0
        else
            eprintfn "%s" e.Message
            2
