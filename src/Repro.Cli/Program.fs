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
    | Train t -> TrainCommand.run (fst dataDir) t ("repro " + String.Join(" ", argv))
    | Tune t -> TuneCommand.run (fst dataDir) t ("repro " + String.Join(" ", argv))
    | Recommend r -> RecommendCommand.run (fst dataDir) r
    | Summarize s ->
        let folders = s.GetResult Runs |> List.sort
        match Summary.markdown folders ("repro summarize " + String.Join(" ", argv |> Array.skip 1)) with
        | Error why ->
            eprintfn "error: %s" why
            1
        | Ok text ->
            match s.TryGetResult Output with
            | Some file ->
                IO.File.WriteAllText(file, text)
                printfn "Wrote %s" file
            | None -> printf "%s" text
            0
    | Bench b -> Bench.run (b.GetResult Suite) (fst dataDir)
    | Report r -> ReportCommand.run r ("repro " + String.Join(" ", argv))
    | Reproduce r ->
        ReproduceCommand.run dataDir (r.GetResult(Datasets, defaultValue = Repro.Harness.Datasets.paperDatasets))
            (r.GetResult(ReproduceArgs.Results, defaultValue = "results")) Environment.ProcessorCount
    | Experiments -> ExperimentCommands.list (fst dataDir)
    | Models -> ModelsCommand.list ()
    | Run_Experiment r -> ExperimentCommands.run (fst dataDir) r
    | Plan p -> ExperimentCommands.plan (fst dataDir) p
    | Check c -> ExperimentCommands.check c
    | Data_Dir _ -> args.Raise("a command is required", showUsage = true)

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
