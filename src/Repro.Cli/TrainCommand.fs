/// `repro train`: trains one model on one dataset into a run folder, with a progress bar; Ctrl-C
/// stops after the current batch and leaves a state that the same command resumes.
module Repro.Cli.TrainCommand

open System
open System.IO
open System.Threading
open Argu
open Spectre.Console
open Repro.Core.Training
open Repro.Harness
open Repro.Cli.Arguments

let fail (message: string) =
    eprintfn "error: %s" message
    1

/// Draws the driver's progress: a bar on a terminal, a line per epoch otherwise.
let withProgress (work: IProgress<TrainingProgress> -> 'a) : 'a =
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

/// Prints a part of metrics.json ("validation" or "test") as "name  mean ± s.e." lines.
let printPart (folder: string) (part: string) =
    match RunFolder.readPart folder part with
    | None -> ()
    | Some(metrics, _) ->
        for m in metrics do
            printfn "  %-18s %.4f ± %.4f  (%d users%s)" m.Name m.Mean m.StandardError m.Users
                (if m.Excluded > 0 then sprintf ", %d without targets excluded" m.Excluded else "")

/// The settings that --likelihood and --epochs stand for; Error when the model has no epochs.
let modelAssignments (modelName: string) (likelihood: string option) (epochs: int option) (sets: string list) : Result<string list, string> =
    let fitted = match ModelSpec.parse modelName [] with Ok spec -> ModelSpec.isFitted spec | Error _ -> false
    match fitted, epochs, likelihood with
    | true, Some _, _ -> Error(sprintf "--epochs applies to trained models (mult-vae, mult-dae); %s is fitted in one call (wmf's sweeps: --set iterations=N; slim's: --set max-sweeps=N)" modelName)
    | true, _, Some _ -> Error(sprintf "--likelihood applies to mult-vae and mult-dae, not to %s" modelName)
    | _ ->
        Ok [ match likelihood with Some l -> yield "likelihood=" + l | None -> ()
             match epochs with Some e -> yield sprintf "epochs=%d" e | None -> ()
             yield! sets ]

let run (dataDir: string) (args: ParseResults<TrainArgs>) (commandLine: string) : int =
    match modelAssignments (args.GetResult TrainArgs.Model) (args.TryGetResult TrainArgs.Likelihood) (args.TryGetResult TrainArgs.Epochs) (args.GetResults TrainArgs.Set)
          |> Result.bind (ModelSpec.parse (args.GetResult TrainArgs.Model)) with
    | Error why -> Validation.usage why
    | Ok model ->
    let request : Train.RunRequest =
        { Dataset = args.GetResult TrainArgs.Dataset
          Split = args.TryGetResult TrainArgs.Split
          Protocol = args.GetResult(TrainArgs.Protocol, defaultValue = "strong")
          Heldout = args.TryGetResult TrainArgs.Heldout
          Model = model
          Seed = args.GetResult(TrainArgs.Seed, defaultValue = 98765UL)
          Threads = args.GetResult(TrainArgs.Threads, defaultValue = Environment.ProcessorCount)
          Command = commandLine }
    let folder = Path.GetFullPath(args.GetResult TrainArgs.Out)
    use stop = StopRequests.listen "Stopping after the current batch; the state is saved and the same command resumes."
    let result =
        try RunLock.exclusive folder (fun () -> withProgress (fun progress -> Train.execute dataDir folder request (fun m -> printfn "%s" m) progress stop.Token))
        with :? Runtime.InteropServices.ExternalException as e ->
            // libtorch's message first line names the failing kernel; the native stack adds nothing for a user.
            Error(sprintf "libtorch failed in %s: %s" folder (e.Message.Split('\n').[0]))
    match result with
    | Error why -> fail why
    | Ok result ->
        match result.Status with
        | TrainingStatus.Completed ->
            match RunFolder.readPart folder "test" with
            | Some(_, extras) when extras |> List.exists (fst >> (=) "bestEpoch") ->
                let extra name = extras |> List.find (fst >> (=) name) |> snd
                printfn "Best validation NDCG@100 %.4f at epoch %d." (extra "bestValidationNdcg@100") (int (extra "bestEpoch"))
            | Some(_, extras) when extras |> List.exists (fst >> (=) "selectedEpoch") ->
                let extra name = extras |> List.find (fst >> (=) name) |> snd
                printfn "Refit on the whole training rows for the %d epochs selected in %s (validation NDCG@100 %.4f there); the last epoch is tested."
                    (int (extra "selectedEpoch")) Train.SelectionFolderName (extra "selectionValidationNdcg@100")
            | _ -> ()
            if (RunFolder.readPart folder "validation").IsSome then
                printfn "Validation:"
                printPart folder "validation"
            printfn "Test%s:" (if ModelSpec.isFitted model then "" elif request.Protocol = "weak-refit" then " (last epoch's weights)" else " (best-validation weights)")
            printPart folder "test"
            printfn "Recorded in %s (run.json, metrics.json, test-users.tsv, %s)." folder
                (if ModelSpec.isFitted model then Train.FittedModelFileName else "epochs.tsv, best.weights")
            0
        | TrainingStatus.Interrupted when ModelSpec.isFitted model ->
            eprintfn "Stopped during the fit; no metrics were written. Run the same command again to fit from the start."
            130
        | TrainingStatus.Interrupted ->
            eprintfn "Stopped. The state is saved in %s; run the same command again to resume." folder
            130
        | _ ->
            eprintfn "error: training stopped: %s" (defaultArg result.Message "")
            1
