/// `repro train`: trains one model on one dataset into a run folder, with a progress bar; Ctrl-C
/// stops after the current batch and leaves a state that the same command resumes.
module Repro.Cli.TrainCommand

open System
open System.IO
open System.Threading
open Argu
open Spectre.Console
open Repro.Core.Metrics
open Repro.Core.Protocols
open Repro.Core.Training
open Repro.Harness
open Repro.Cli.Arguments

let private fail (message: string) =
    eprintfn "error: %s" message
    1

/// Draws the driver's progress: a bar on a terminal, a line per epoch otherwise.
let private withProgress (work: IProgress<TrainingProgress> -> 'a) : 'a =
    if AnsiConsole.Profile.Capabilities.Interactive then
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(TaskDescriptionColumn(), ProgressBarColumn(), PercentageColumn(), ElapsedTimeColumn(), RemainingTimeColumn())
            .Start(fun ctx ->
                let task = ctx.AddTask("training", maxValue = 1.0)
                let report (p: TrainingProgress) =
                    task.MaxValue <- float (p.Epochs * p.BatchesPerEpoch)
                    task.Value <- float ((p.Epoch - 1) * p.BatchesPerEpoch + p.Batch)
                    task.Description <-
                        match p.Phase with
                        | TrainingPhase.Validating -> sprintf "epoch %d/%d validating" p.Epoch p.Epochs
                        | _ -> sprintf "epoch %d/%d loss %.2f %.1f batch/s" p.Epoch p.Epochs p.MeanLoss p.BatchesPerSecond
                work { new IProgress<TrainingProgress> with member _.Report p = report p })
    else
        let report (p: TrainingProgress) =
            if p.Phase = TrainingPhase.Validating then
                eprintfn "epoch %d/%d: loss %.3f, %.1f batches/s, about %s left" p.Epoch p.Epochs p.MeanLoss p.BatchesPerSecond
                    (let r = p.Remaining in if r.HasValue then r.Value.ToString(@"hh\:mm\:ss") else "?")
        work { new IProgress<TrainingProgress> with member _.Report p = report p }

let private printTest (test: EvaluationResult) =
    for m in test.Metrics do
        printfn "  %-18s %.4f ± %.4f  (%d users%s)" m.Metric.Name m.Summary.Mean m.Summary.StandardError m.Summary.UsersUsed
            (if m.Summary.UsersExcluded > 0 then sprintf ", %d without targets excluded" m.Summary.UsersExcluded else "")

let run (dataDir: string) (args: ParseResults<TrainArgs>) (commandLine: string) : int =
    let assignments =
        [ match args.TryGetResult Likelihood with Some l -> yield "likelihood=" + l | None -> ()
          match args.TryGetResult Epochs with Some e -> yield sprintf "epochs=%d" e | None -> ()
          yield! args.GetResults Set ]
    match ModelSpec.parse (args.GetResult Model) assignments with
    | Error why -> fail why
    | Ok model ->
    let request : Train.RunRequest =
        { Dataset = args.GetResult Dataset
          Split = args.TryGetResult Split
          Protocol = args.GetResult(Protocol, defaultValue = "strong")
          Heldout = args.TryGetResult Heldout
          Model = model
          Seed = args.GetResult(Seed, defaultValue = 98765UL)
          Threads = args.GetResult(Threads, defaultValue = Environment.ProcessorCount)
          Command = commandLine }
    let folder = Path.GetFullPath(args.GetResult Out)
    use cancel = new CancellationTokenSource()
    let onCancel = ConsoleCancelEventHandler(fun _ e -> e.Cancel <- true; cancel.Cancel())
    Console.CancelKeyPress.AddHandler onCancel
    try
        let result = withProgress (fun progress -> Train.execute dataDir folder request (fun m -> printfn "%s" m) progress cancel.Token)
        match result with
        | Error why -> fail why
        | Ok result ->
            match result.Outcome.Status, result.Test with
            | TrainingStatus.Completed, Some test ->
                printfn "Best validation NDCG@100 %.4f at epoch %d. Test (best-validation weights):" result.Outcome.BestValidationNdcg result.Outcome.BestEpoch
                printTest test
                printfn "Recorded in %s (run.json, epochs.tsv, metrics.json, test-users.tsv, best.weights)." folder
                0
            | TrainingStatus.Interrupted, _ ->
                eprintfn "Stopped. The state is saved in %s; run the same command again to resume." folder
                130
            | _ ->
                eprintfn "error: training stopped: %s" result.Outcome.Message
                1
    finally
        Console.CancelKeyPress.RemoveHandler onCancel
