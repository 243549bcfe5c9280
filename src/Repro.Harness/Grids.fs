/// Hyperparameter grids as list comprehensions over the models' hyper records (spec 2.3). `repro
/// tune` runs every point, selects by validation NDCG@100 and reports the chosen point's test metrics.
module Repro.Harness.Grids

open Repro.Core.Models.Cdae
open Repro.Core.Models.Ease
open Repro.Core.Models.Slim
open Repro.Core.Models.Wmf
open Repro.Harness.ModelSpec

/// A copy of a C# hyper record with some settings changed (F#'s `with` works on F# records only);
/// the record's Validate() runs, so a grid cannot hold an invalid point.
let private tweak (record: 'T) (settings: (string * obj) list) : 'T =
    let text (v: obj) =
        match v with
        | :? System.IFormattable as f -> f.ToString(null, System.Globalization.CultureInfo.InvariantCulture)
        | v -> string v
    match Settings.apply record [ for n, v in settings -> n + "=" + text v ] with
    | Ok r -> r
    | Error why -> invalidArg "settings" why

/// The paper's grid around <paramref name="spec"/>: the grid's settings vary, every other setting
/// keeps the value it has in <paramref name="spec"/> (so `--set` fixes settings on top of the grid).
let paper (spec: ModelSpec) : ModelSpec list =
    match spec with
    | Popularity -> [ Popularity ]
    // Steck's tuning range for lambda (EaseHyper.LambdaGrid).
    | Ease h -> [ for lambda in EaseHyper.LambdaGrid -> Ease(tweak h [ "lambda", box lambda ]) ]
    // Spec 2.3: K in {100, 200} x weight on 1's c in {2, 5, 10, 30, 50, 100}: 12 points.
    | Wmf h ->
        [ for k in WmfHyper.FactorsGrid do
            for c in WmfHyper.ConfidenceGrid -> Wmf(tweak h [ "factors", box k; "confidence", box c ]) ]
    // Spec 2.3: l1 and l2 each in {0.1, 0.5, 1, 5}: 16 points.
    | Slim h ->
        [ for l1 in SlimHyper.PenaltyGrid do
            for l2 in SlimHyper.PenaltyGrid -> Slim(tweak h [ "l1", box l1; "l2", box l2 ]) ]
    // The paper anneals beta to 1 once and records the beta at the validation peak (section 2.2.2);
    // rerunning with that cap is what anneal-cap does, so searching the cap over {0.1, 0.2, 0.3, 0.5}
    // (0.2 is the notebook's value) stands in for that recording.
    | MultVae h -> [ for cap in [ 0.1; 0.2; 0.3; 0.5 ] -> MultVae(tweak h [ "anneal-cap", box cap ]) ]
    // The paper gives Mult-DAE one setting (dropout 0.5, weight decay 0.01 on ML-20M; spec 2.3).
    | MultDae _ -> [ spec ]
    // Spec 2.3: CDAE's weight decay over {0.01, 0.1, 1, 10, 100}, "crucial to control overfitting".
    | Cdae h -> [ for wd in CdaeHyper.WeightDecayGrid -> Cdae(tweak h [ "weight-decay", box wd ]) ]
    // RecVAE: its authors' defaults, one point (spec 4 compares with their published numbers).
    | RecVae _ -> [ spec ]

/// The grids `--grid NAME` knows.
let names = [ "paper" ]

/// The grid called <paramref name="name"/> around <paramref name="spec"/>.
let named (name: string) (spec: ModelSpec) : Result<ModelSpec list, string> =
    match name.ToLowerInvariant() with
    | "paper" -> Ok(paper spec)
    | other -> Error(sprintf "unknown grid '%s'; grids: %s" other (String.concat ", " names))

/// Every combination of "name=v1,v2,..." assignments, as lists of single "name=value" assignments.
let private combinations (assignments: string list) : string list list =
    let expand (assignment: string) =
        match assignment.Split('=', 2) with
        | [| name; values |] when values.Contains ',' ->
            [ for v in values.Split(',', System.StringSplitOptions.RemoveEmptyEntries ||| System.StringSplitOptions.TrimEntries) -> name + "=" + v ]
        | _ -> [ assignment ]
    List.foldBack (fun a rest -> [ for v in expand a do for r in rest -> v :: r ]) assignments [ [] ]

/// The grid called <paramref name="name"/> around <paramref name="spec"/>, with the "name=value"
/// assignments fixed on top of every point: a grid setting fixed this way stops varying (e.g.
/// `--set factors=100` leaves WMF's six values of c), and "name=v1,v2" keeps only those values (a
/// reduced grid, e.g. `--set confidence=10,50`). Equal points are kept once, in grid order.
let withFixed (name: string) (spec: ModelSpec) (assignments: string list) : Result<ModelSpec list, string> =
    named name spec
    |> Result.bind (fun points ->
        let fixedPoints = [ for p in points do for c in combinations assignments -> applyOnTop p c ]
        match fixedPoints |> List.tryPick (function Error why -> Some why | Ok _ -> None) with
        | Some why -> Error why
        | None -> Ok(fixedPoints |> List.choose Result.toOption |> List.distinctBy (fun p -> p.Settings)))
