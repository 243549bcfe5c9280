/// Protocol weak-refit: the weak protocol's run on the carve selects the epoch count (into
/// folder/selection), then the same model and seed train for that many epochs on the whole training
/// rows into folder, and the last epoch is tested. Selection never sees test items; the refit gets
/// back the 10% of training items the carve held out.
module Repro.Harness.Refit

open System.IO
open Repro.Core.Training

/// The folder inside a weak-refit run that holds its selection run.
let [<Literal>] SelectionFolderName = "selection"

/// The refit's data: the whole training rows (carve included); the carve's validation users stay
/// only as a logged fit signal, since their targets are now training items.
let data (carved: RunData) (selected: Execution.Selected) =
    { carved with
        Train = carved.TestFoldIn
        Protocol =
            sprintf "weak generalisation, refit: trained on the whole training rows for the %d epochs selected on the carve (%s/); last epoch's weights tested; its validation numbers score items it trains on"
                selected.Epoch SelectionFolderName }

/// What a finished selection run chose: from the training driver's outcome when it ran in this
/// call, else from its metrics.json (a selection finished by an earlier call).
let selected (selectionFolder: string) (result: Execution.RunResult) : Result<Execution.Selected, string> =
    match result.Training with
    | Some outcome when outcome.Status = TrainingStatus.Completed ->
        Ok { Epoch = outcome.BestEpoch; ValidationNdcg = outcome.BestValidationNdcg }
    | _ ->
        let extras = RunFolder.readPart selectionFolder "test" |> Option.map snd |> Option.defaultValue []
        match List.tryFind (fst >> (=) "bestEpoch") extras, List.tryFind (fst >> (=) "bestValidationNdcg@100") extras with
        | Some(_, epoch), Some(_, ndcg) when epoch >= 1.0 && epoch = floor epoch -> Ok { Epoch = int epoch; ValidationNdcg = ndcg }
        | _ -> Error(sprintf "%s has no whole bestEpoch in its test part: it is not a finished run of a trained model" (Path.Combine(selectionFolder, "metrics.json")))
