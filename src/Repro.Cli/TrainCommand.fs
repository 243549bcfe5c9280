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

/// The data for the requested protocol, from a pro_sg folder or the dataset registry.
let private runData (dataDir: string) (args: ParseResults<TrainArgs>) : Result<Train.RunData * string, string> =
    match args.TryGetResult Split with
    | Some spec when spec.StartsWith "pro-sg:" ->
        let dir = spec.Substring "pro-sg:".Length
        try Ok(Train.strong (ProSgFormat.Import dir), sprintf "pro_sg split from %s" (Path.GetFullPath dir))
        with
        | :? Repro.Core.Data.DataFormatException as e -> Error e.Message
        | :? IOException as e -> Error e.Message
    | Some spec -> Error(sprintf "--split takes pro-sg:DIR; got '%s'" spec)
    | None ->
        Datasets.find (args.GetResult Dataset)
        |> Result.bind (fun d ->
            match args.GetResult(Protocol, defaultValue = "strong") with
            | "strong" ->
                Prepare.prepare dataDir (Prepare.cacheDir dataDir) d (args.TryGetResult Heldout) (eprintfn "%s")
                |> Result.map (fun p -> Train.strong p.Split, d.Name)
            | "weak" ->
                match d.FixedSplit, Datasets.locate dataDir d with
                | None, _ -> Error(sprintf "%s has no fixed train/test split; --protocol weak needs one (gowalla has)" d.Name)
                | _, Error why -> Error why
                | Some read, Ok _ ->
                    let split, itemIds = read (Datasets.folderOf dataDir d)
                    Ok(Train.weak split itemIds, d.Name)
            | other -> Error(sprintf "--protocol takes strong or weak; got '%s'" other))

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
    match Train.ModelKind.Parse(args.GetResult Model), runData dataDir args with
    | Error why, _ | _, Error why -> fail why
    | Ok kind, Ok(data, datasetLabel) ->
        let seed = args.GetResult(Seed, defaultValue = 98765UL)
        let assignments =
            [ match args.TryGetResult Likelihood with Some l -> yield "likelihood=" + l | None -> ()
              match args.TryGetResult Epochs with Some e -> yield sprintf "epochs=%d" e | None -> ()
              yield! args.GetResults Set ]
        match Train.createModel kind data.ItemIds.Length assignments (TrainingDriver.DeriveSeed(seed, ReadOnlySpan [| 1UL |])) with
        | Error why -> fail why
        | Ok(model, settings) ->
            use _ = model
            let threads = args.GetResult(Threads, defaultValue = Environment.ProcessorCount)
            let folder = Path.GetFullPath(args.GetResult Out)
            let description : RunFolder.RunDescription =
                { Dataset = datasetLabel; Model = kind.Name; Settings = settings; Seed = seed; Protocol = data.Protocol; Command = commandLine }
            printfn "%s on %s (%s): %d training users, %d items; run folder %s" kind.Name datasetLabel data.Protocol data.Train.Rows data.ItemIds.Length folder
            use cancel = new CancellationTokenSource()
            let onCancel = ConsoleCancelEventHandler(fun _ e -> e.Cancel <- true; cancel.Cancel())
            Console.CancelKeyPress.AddHandler onCancel
            try
                try
                    let result = withProgress (fun progress -> Train.run folder description data model threads progress cancel.Token)
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
                with
                | :? InvalidOperationException as e -> fail e.Message
                | :? ArgumentException as e -> fail e.Message
            finally
                Console.CancelKeyPress.RemoveHandler onCancel
