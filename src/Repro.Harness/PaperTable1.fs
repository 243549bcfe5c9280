/// The paper's Table 1 (dataset statistics after preprocessing), as the specification records it
/// (../shared/spec/paper.md sections 1.3 and 3.1), with how sure each number is.
module Repro.Harness.PaperTable1

/// [V] verified from a primary source, [C] computed from verified inputs, [M] not confirmed.
type Provenance =
    | Verified
    | Computed
    | Unconfirmed
    member p.Label =
        match p with
        | Verified -> "V"
        | Computed -> "C"
        | Unconfirmed -> "M"

type Number = { Value: float; Provenance: Provenance }

type Row =
    { Dataset: string
      /// Users after preprocessing (all users, before the split).
      Users: Number
      /// Items in the training vocabulary (the model's input and output width).
      Items: Number
      /// Interactions after preprocessing.
      Events: Number
      /// Held-out users in each of validation and test.
      HeldOut: Number }

let private v x = { Value = x; Provenance = Verified }
let private c x = { Value = x; Provenance = Computed }
let private m x = { Value = x; Provenance = Unconfirmed }

let rows =
    [ { Dataset = "ml-20m"; Users = v 136677.; Items = v 20108.; Events = v 9990682.; HeldOut = v 10000. }
      { Dataset = "netflix"; Users = v 463435.; Items = m 17769.; Events = v 56880037.; HeldOut = v 40000. }
      { Dataset = "msd"; Users = m 571355.; Items = m 41140.; Events = m 33.6e6; HeldOut = v 50000. } ]

let tryFind (dataset: string) = rows |> List.tryFind (fun r -> r.Dataset = dataset)

/// Density as the paper's Table 1 defines it: events / (users x vocabulary items).
let density (r: Row) = { Value = r.Events.Value / (r.Users.Value * r.Items.Value); Provenance = Computed }

/// Whether a measured count matches the paper's: exact for verified integers; within 0.5% for
/// unconfirmed or rounded numbers (33.6M).
let matches (paper: Number) (measured: float) =
    match paper.Provenance with
    | Verified -> paper.Value = measured
    | Computed | Unconfirmed -> abs (measured - paper.Value) <= 0.005 * paper.Value
