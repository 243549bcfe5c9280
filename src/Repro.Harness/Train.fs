/// `repro train`'s and the runner's one entry: a request into a run folder. A finished folder is left
/// alone; otherwise the data is loaded once and the model trained or fitted (Execution), or, under
/// a refit protocol, selected and then refitted (Refit).
module Repro.Harness.Train

open System
open System.IO
open Repro.Core.Training

/// The folder inside a refit run that holds its selection run (Refit.SelectionFolderName).
let [<Literal>] SelectionFolderName = Refit.SelectionFolderName

let private refit (folder: string) (request: RunRequest) (selectedUnder: Protocol) (data: RunData) say progress (cancel: Threading.CancellationToken) =
    let name = request.Protocol.Name
    let selectionFolder = Path.Combine(folder, Refit.SelectionFolderName)
    say (sprintf "%s, step 1 of 2: selection under %s in %s" name selectedUnder.Name selectionFolder)
    let selection =
        if RunFolder.isFinished selectionFolder then
            say (sprintf "%s is finished (metrics.json has a test part); not run again" selectionFolder)
            Ok Execution.skipped
        else Execution.once selectionFolder { request with Protocol = selectedUnder } data None say progress cancel
    match selection with
    | Error why -> Error why
    | Ok result when result.Status <> TrainingStatus.Completed -> Ok result
    | Ok _ when cancel.IsCancellationRequested ->
        // The stop came while the selection run finished: it is complete; the refit starts on the next call.
        Ok { Execution.skipped with Status = TrainingStatus.Interrupted; Message = Some "stopped after the selection run; the same command runs the refit"; Skipped = false }
    | Ok result ->
    match Refit.selected selectionFolder request.Model.IsFitted result with
    | Error why -> Error why
    | Ok selected ->
    match selected.Epoch |> Option.map (fun e -> ModelSpec.withEpochs e request.Model) |> Option.defaultValue (Ok request.Model) with
    | Error why -> Error why
    | Ok model ->
        let rows = match request.Protocol with WeakRefit -> "the whole training rows" | _ -> "the training rows plus the validation events"
        match selected.Epoch with
        | Some epochs -> say (sprintf "%s, step 2 of 2: %d epochs (best validation NDCG@100 %.4f) on %s in %s" name epochs selected.ValidationNdcg rows folder)
        | None -> say (sprintf "%s, step 2 of 2: fitted again (validation NDCG@100 %.4f) on %s in %s" name selected.ValidationNdcg rows folder)
        Execution.once folder { request with Model = model } (Refit.data request.Protocol data selected) (Some selected) say progress cancel

/// A fit that selects on validation users inside itself (LOCA-VAE's local early stopping) has none in
/// a refit, whose training rows hold them: refused before the selection run rather than after it.
let private selectsInsideFit (spec: ModelSpec) =
    match spec.Hyper with
    | :? Repro.Core.Models.Loca.LocaVaeHyper as h -> h.LocalEarlyStopping
    | _ -> false

/// Why <paramref name="request"/> cannot run under its refit protocol, if it cannot (selectsInsideFit).
let refusedUnderRefit (request: RunRequest) =
    match request.Protocol.SelectedUnder with
    | Some under when selectsInsideFit request.Model ->
        Some(sprintf "%s with local-early-stopping=true stops each local model on validation users, and --protocol %s trains its final model on them: set local-early-stopping=false, or use --protocol %s"
                 request.Model.Name request.Protocol.Name under.Name)
    | _ -> None

/// Does <paramref name="request"/> into <paramref name="folder"/>: a finished folder (metrics.json
/// with "test") is left alone when it was made by the same request, and refused otherwise; otherwise loads its data once, then trains (resuming a run found
/// there) or fits, and evaluates on validation and test. Errors in the request come back as Error.
let execute (dataDir: string) (folder: string) (request: RunRequest) (say: string -> unit)
            (progress: IProgress<TrainingProgress>) (cancel: Threading.CancellationToken) : Result<Execution.RunResult, string> =
    Repro.Core.TorchRuntime.EnsureLoaded request.Threads // before run.json records the thread count
    if RunFolder.isFinished folder then
        // A finished folder answers only for the command that made it.
        match RunFolder.answersFor folder { Dataset = request.Dataset; Split = request.Split; Protocol = request.Protocol.Name; Heldout = request.Heldout
                                            Model = request.Model.Name; Settings = request.Model.Settings; Seed = request.Seed } with
        | Error why -> Error why
        | Ok () ->
        say (sprintf "%s is finished (metrics.json has a test part); not run again" folder)
        Ok Execution.skipped
    else
        match refusedUnderRefit request with
        | Some why -> Error why
        | None ->
        match RunData.load dataDir request say with
        | Error why -> Error why
        | Ok data ->
            match request.Protocol, request.Protocol.SelectedUnder with
            | _, Some selectedUnder -> refit folder request selectedUnder data say progress cancel
            // CDL's split leaves nothing to select on that the model does not train on: fixed settings only.
            | CdlSplit _, _ when not request.Model.IsFitted ->
                Error(sprintf "--protocol %s runs fitted models at fixed settings (its validation items are training items, so an epoch cannot be selected on them); %s is trained" request.Protocol.Name request.Model.Name)
            | _, None -> Execution.once folder request data None say progress cancel
