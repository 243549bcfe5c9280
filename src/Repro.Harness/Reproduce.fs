/// What `repro reproduce` runs, given what this machine has: the `paper` experiment on the paper
/// datasets that could be prepared; else `local` on the shipped datasets present; else the labelled
/// `synthetic` experiment, so the pipeline runs end to end on a machine with no data at all.
module Repro.Harness.Reproduce

open Repro.Harness.Experiment

/// The experiment to run, the datasets it is restricted to (None: all of them), and why, in words.
type Choice = { Experiment: Experiment; Only: string option; Why: string }

/// Chooses among <paramref name="experiments"/> (which must hold `paper`, `local` and `synthetic`)
/// from the paper datasets <paramref name="prepared"/> here and the datasets present in <paramref name="dataDir"/>.
let choose (dataDir: string) (experiments: Experiment list) (prepared: string list) : Result<Choice, string> =
    let find id =
        match experiments |> List.tryFind (fun e -> e.Id = id) with
        | Some e -> Ok e
        | None -> Error(sprintf "no experiment '%s' to reproduce with" id)
    if not prepared.IsEmpty then
        find "paper"
        |> Result.map (fun paper ->
            { Experiment = paper; Only = Some(String.concat "," prepared)
              Why = sprintf "Running the paper experiment on %s (finished runs are kept; an interrupted run resumes)." (String.concat ", " prepared) })
    else
        find "local"
        |> Result.bind (fun local ->
            let present = local.Datasets |> List.filter (fun s -> (Runner.missingDataset dataDir s.Dataset).IsNone) |> List.map (fun s -> s.Dataset)
            if not present.IsEmpty then
                Ok { Experiment = local; Only = None
                     Why = sprintf "Running the 'local' experiment instead, on the shipped datasets present: %s." (String.concat ", " present) }
            else
                find "synthetic"
                |> Result.map (fun synthetic ->
                    { Experiment = synthetic; Only = None
                      Why = sprintf "No dataset at all is present in %s: running the SYNTHETIC experiment (generated data; its numbers are not results) so the pipeline runs end to end." dataDir }))
