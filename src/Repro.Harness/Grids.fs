/// Hyperparameter grids as list comprehensions over the models' hyper records (spec 2.3). `repro
/// tune` runs every point, selects by validation NDCG@100 and reports the chosen point's test metrics.
module Repro.Harness.Grids

/// The paper's grid around <paramref name="spec"/> (each catalogue entry's `Grid`): the grid's
/// settings vary, every other setting keeps the value it has in <paramref name="spec"/> (so `--set`
/// fixes settings on top of the grid).
let paper (spec: ModelSpec) : ModelSpec list = ModelSpec.paperGrid spec

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
        let fixedPoints = [ for p in points do for c in combinations assignments -> ModelSpec.applyOnTop p c ]
        match fixedPoints |> List.tryPick (function Error why -> Some why | Ok _ -> None) with
        | Some why -> Error why
        | None -> Ok(fixedPoints |> List.choose Result.toOption |> List.distinctBy (fun p -> p.Settings)))
