/// The refit protocols (weak-refit, leave-5-by-time-refit): a run under the selection protocol
/// (Protocol.SelectedUnder) goes into folder/selection; then the same model and seed train again
/// into folder on the training rows plus the validation targets (the test input rows), for the
/// epoch count the selection run chose (a trained model; its last epoch is tested) or at its fixed
/// settings (a fitted model). Selection never sees test items; the refit gets back the items
/// validation held out.
module Repro.Harness.Refit

open System.IO
open Repro.Core.Training

/// The folder inside a refit run that holds its selection run.
let [<Literal>] SelectionFolderName = "selection"

/// The refit's data: the test input rows (training rows plus validation targets); the validation
/// users stay only as a logged fit signal, since their targets are now training items.
let data (protocol: Protocol) (selectionData: RunData) (selected: Execution.Selected) =
    let trainedHow =
        match protocol, selected.Epoch with
        | WeakRefit, Some epochs -> sprintf "weak generalisation, refit: trained on the whole training rows for the %d epochs selected on the carve (%s/); last epoch's weights tested" epochs SelectionFolderName
        | WeakRefit, None -> sprintf "weak generalisation, refit: fitted on the whole training rows at the settings of its run on the carve (%s/)" SelectionFolderName
        | _, Some epochs -> sprintf "%s, refit: trained on the training rows plus the validation events for the %d epochs selected on them (%s/); last epoch's weights tested" protocol.Name epochs SelectionFolderName
        | _, None -> sprintf "%s, refit: fitted on the training rows plus the validation events at the settings of its run that held them out (%s/)" protocol.Name SelectionFolderName
    { selectionData with
        Train = selectionData.TestFoldIn
        Protocol = trainedHow + "; its validation numbers score items it trains on" }

/// What a finished selection run chose: from the training driver's outcome when it ran in this
/// call, else from its metrics.json (a selection finished by an earlier call). A fitted model's
/// selection run chooses no epoch count: its validation NDCG@100 is what it is selected by.
let selected (selectionFolder: string) (isFitted: bool) (result: Execution.RunResult) : Result<Execution.Selected, string> =
    let metricsPath = Path.Combine(selectionFolder, "metrics.json")
    match result.Training with
    | Some outcome when outcome.Status = TrainingStatus.Completed ->
        Ok { Epoch = Some outcome.BestEpoch; ValidationNdcg = outcome.BestValidationNdcg }
    | _ when isFitted ->
        match RunFolder.validationNdcg selectionFolder with
        | Some ndcg -> Ok { Epoch = None; ValidationNdcg = ndcg }
        | None -> Error(sprintf "%s has no validation NDCG@100: it is not a finished run of a fitted model" metricsPath)
    | _ ->
        let extras = RunFolder.readPart selectionFolder "test" |> Option.map snd |> Option.defaultValue []
        match List.tryFind (fst >> (=) "bestEpoch") extras, List.tryFind (fst >> (=) "bestValidationNdcg@100") extras with
        | Some(_, epoch), Some(_, ndcg) when epoch >= 1.0 && epoch = floor epoch -> Ok { Epoch = Some(int epoch); ValidationNdcg = ndcg }
        | _ -> Error(sprintf "%s has no whole bestEpoch in its test part: it is not a finished run of a trained model" metricsPath)
