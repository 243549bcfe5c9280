module Repro.Cli.Program

open System
open Argu
open Repro.Harness
open Repro.Cli.Arguments

let private parser = ArgumentParser.Create<CliArgs>(programName = "repro")

let private dispatch (argv: string[]) (args: ParseResults<CliArgs>) : int =
    let dataDir = DataDir.resolve (args.TryGetResult Data_Dir)
    match args.GetSubCommand() with
    | Data data ->
        match data.GetSubCommand() with
        | DataArgs.List -> DataCommands.list dataDir
        | Fetch f -> FetchCommand.run (fst dataDir) (f.GetResult DataFetchArgs.Dataset)
        | Stats s -> DataCommands.stats dataDir s
        | Prepare p -> DataCommands.prepare dataDir p
    | Train t ->
        Validation.modelRun t
        TrainCommand.run (fst dataDir) t ("repro " + String.Join(" ", argv))
    | Tune t ->
        Validation.modelRun t
        TuneCommand.run (fst dataDir) t ("repro " + String.Join(" ", argv))
    | Recommend r ->
        Validation.recommend r
        RecommendCommand.run (fst dataDir) r
    | Summarize s ->
        let folders = s.GetResult Runs |> List.sort
        match Summary.markdown folders ("repro summarize " + String.Join(" ", argv |> Array.skip 1)) with
        | Error why ->
            eprintfn "error: %s" why
            1
        | Ok text ->
            match s.TryGetResult Output with
            | Some file ->
                Validation.writableFile "--output" file
                IO.File.WriteAllText(file + ".tmp", text)
                IO.File.Move(file + ".tmp", file, true)
                printfn "Wrote %s" file
            | None -> printf "%s" text
            0
    | Bench b -> Bench.run (b.GetResult Suite) (fst dataDir)
    | Report r ->
        r.TryGetResult Report_Output |> Option.iter (Validation.writableFile "--output")
        ReportCommand.run r ("repro " + String.Join(" ", argv))
    | Reproduce r ->
        ReproduceCommand.run dataDir (r.GetResult(Datasets, defaultValue = Repro.Harness.Datasets.paperDatasets))
            (r.GetResult(ReproduceArgs.Results, defaultValue = "results")) Environment.ProcessorCount
    | Experiments -> ExperimentCommands.list (fst dataDir)
    | Models -> ModelsCommand.list ()
    | Run_Experiment r -> ExperimentCommands.run (fst dataDir) r
    | Plan p -> ExperimentCommands.plan (fst dataDir) p
    | Check c -> ExperimentCommands.check c
    | Data_Dir _ -> args.Raise("a command is required", showUsage = true)

/// "repro train --help" for a command line that starts a train command, and so on.
let private helpHint (argv: string[]) =
    let commands = set [ "data"; "train"; "tune"; "recommend"; "summarize"; "bench"; "report"; "reproduce"; "experiments"; "run"; "plan"; "check" ]
    let words = argv |> Array.filter (fun a -> commands.Contains a) |> Array.truncate 1
    let sub = if words = [| "data" |] then argv |> Array.skipWhile ((<>) "data") |> Array.truncate 2 else words
    sprintf "Run 'repro %s--help' for usage." (sub |> Array.map (fun w -> w + " ") |> String.concat "")

/// The message for an exception that escaped a command: the command failed on its data or
/// environment (exit 1). REPRO_TRACE=1 adds the stack trace, for bug reports.
let private describeFailure (e: exn) =
    let e = match e with :? AggregateException as a when a.InnerExceptions.Count = 1 -> a.InnerException | e -> e
    match e with
    | Validation.Refused message -> message
    | RunFolder.DamagedRunFolder message -> message
    | :? UnauthorizedAccessException as e -> sprintf "permission denied: %s" e.Message
    | :? IO.PathTooLongException as e -> e.Message
    | :? IO.IOException as e -> e.Message
    | :? Repro.Core.Data.DataFormatException as e -> e.Message
    | :? Repro.Core.Data.Cache.StaleCacheException as e -> e.Message
    | :? Text.Json.JsonException as e -> sprintf "malformed JSON: %s" e.Message
    | :? PlatformNotSupportedException as e -> e.Message
    | :? OutOfMemoryException -> "out of memory: the data or the model is too large for this machine"
    | :? Runtime.InteropServices.ExternalException as e -> sprintf "libtorch failed: %s" (e.Message.Split('\n').[0])
    | e -> sprintf "%s (%s); this is a bug in repro: please report it with the command line (REPRO_TRACE=1 prints where it happened)" e.Message (e.GetType().Name)

[<EntryPoint>]
let main argv =
    try
        let args = parser.ParseCommandLine(argv, raiseOnUsage = true)
        dispatch argv args
    with
    | :? ArguParseException as e ->
        // Argu's message is the usage text with the problem on its first line; --help is not an error.
        let isHelp = argv |> Array.exists (fun a -> a = "--help" || a = "-h" || a = "/?")
        if isHelp then
            printfn "%s" e.Message
            0
        else
            eprintfn "%s" e.Message
            2
    | Validation.UsageError message ->
        eprintfn "error: %s" message
        eprintfn "%s" (helpHint argv)
        2
    | e ->
        eprintfn "error: %s" (describeFailure e)
        if Environment.GetEnvironmentVariable "REPRO_TRACE" = "1" then eprintfn "%O" e
        1
