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

/// The settings that --likelihood and --epochs stand for, then --set's; Error when the model does
/// not have them.
let assignments (entry: ModelEntry) (args: ParseResults<ModelArgs>) : Result<string list, string> =
    let has name = Settings.describe entry.Paper |> List.exists (fst >> (=) name)
    match args.TryGetResult Epochs, args.TryGetResult Likelihood with
    | Some _, _ when not (has "epochs") ->
        Error(sprintf "--epochs applies to trained models; %s is fitted in one call (its settings: 'repro models')" entry.Name)
    | _, Some _ when not (has "likelihood") -> Error(sprintf "--likelihood applies to models with a likelihood setting, not to %s" entry.Name)
    | epochs, likelihood ->
        Ok [ match likelihood with Some l -> yield "likelihood=" + l | None -> ()
             match epochs with Some e -> yield sprintf "epochs=%d" e | None -> ()
             yield! args.GetResults Set ]

/// The request `train` and `tune` share: dataset, split, protocol, held-out count, seed, threads and
/// the model with its settings (tune's "name=v1,v2" lists are checked through their first value).
let request (args: ParseResults<ModelArgs>) (commandLine: string) : Result<RunRequest, string> =
    let firstValues (sets: string list) = sets |> List.map (fun a -> match a.Split('=', 2) with [| n; v |] -> n + "=" + v.Split(',').[0] | _ -> a)
    Models.find (args.GetResult ModelArgs.Model)
    |> Result.bind (fun entry -> assignments entry args |> Result.bind (fun sets -> ModelSpec.parse entry.Name (firstValues sets)))
    |> Result.bind (fun model ->
        Protocol.parse (args.GetResult(ModelArgs.Protocol, defaultValue = "strong"))
        |> Result.map (fun protocol ->
            { Dataset = args.GetResult Dataset
              Split = args.TryGetResult Split
              Protocol = protocol
              Heldout = args.TryGetResult Heldout
              Model = model
              Seed = args.GetResult(Seed, defaultValue = 98765UL)
              Threads = args.GetResult(Threads, defaultValue = Environment.ProcessorCount)
              Command = commandLine }))

let run (dataDir: string) (args: ParseResults<ModelArgs>) (commandLine: string) : int =
    match request args commandLine with
    | Error why -> Validation.usage why
    | Ok _ when args.Contains Grid -> Validation.usage "--grid belongs to 'repro tune'; 'repro train' trains one point"
    | Ok request ->
    let model = request.Model
    let folder = Path.GetFullPath(args.GetResult Out)
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
                    (int (extra "selectedEpoch")) Refit.SelectionFolderName (extra "selectionValidationNdcg@100")
            | _ -> ()
            if (RunFolder.readPart folder "validation").IsSome then
                printfn "Validation:"
                printPart folder "validation"
            printfn "Test%s:" (if model.IsFitted then "" elif request.Protocol.SelectedUnder.IsSome then " (last epoch's weights)" else " (best-validation weights)")
            printPart folder "test"
            printfn "Recorded in %s (run.json, metrics.json, test-users.tsv, %s)." folder
                (if model.IsFitted then Execution.FittedModelFileName else "epochs.tsv, best.weights")
            0
        | TrainingStatus.Interrupted when model.IsFitted ->
            eprintfn "Stopped during the fit; no metrics were written. Run the same command again to fit from the start."
            130
        | TrainingStatus.Interrupted ->
            eprintfn "Stopped. The state is saved in %s; run the same command again to resume." folder
            130
        | _ ->
            eprintfn "error: training stopped: %s" (defaultArg result.Message "")
            1
