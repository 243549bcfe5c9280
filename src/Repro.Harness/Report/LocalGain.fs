/// Do local models gain more on larger datasets? The seed's claim about LOCA (spec seed-models 1),
/// tested across one experiment's tables: each LOCA row's paired difference from its base model
/// (Tables.Row.Versus) beside the dataset's size, the slope of the gain on log10 training users, and a
/// figure of the gains against size.
module Repro.Harness.Report.LocalGain

open System
open System.Globalization
open Repro.Core.Metrics
open Repro.Harness.Report.Charts
open Repro.Harness.Report.Tables

/// One LOCA row of one dataset against its base model.
type Gain =
    { Dataset: string
      /// The LOCA row's label ("LOCA-VAE") and its base model's ("Mult-VAE^PR").
      Model: string
      Base: string
      /// Training users and items of the split (Cost's shapes, with the table's held-out count).
      TrainingUsers: int option
      Items: int option
      /// The chosen run's number of local models q (its "anchors" setting), when recorded.
      LocalModels: string option
      /// Test NDCG@100 of the LOCA row minus its base model's, paired over test users.
      Test: PairedTTestResult
      /// Share of test users no anchor covers (metrics.json's test fallbackUsers / scoredUsers), when recorded.
      Fallback: float option }

    /// Standard error of the paired difference (Δ / t).
    member g.StandardError = if g.Test.T = 0.0 then nan else abs (g.Test.MeanDifference / g.Test.T)

/// Held-out users per set from a protocol text such as "strong generalisation, 500 validation + 500 test users".
let heldOutOf (protocol: string) =
    let m = Text.RegularExpressions.Regex.Match(protocol, @"(\d+) validation \+ (\d+) test users")
    if m.Success then Some(int m.Groups.[2].Value) else None

/// Every LOCA row of the tables tested against its base model (rows of one q, experiment loca-q, are not).
let gains (tables: Table list) : Gain list =
    [ for t in tables do
        let shape = Repro.Harness.Cost.shape t.Dataset (heldOutOf t.Protocol)
        for row in t.Rows do
            match row.Versus with
            | TestedAgainst(baseRow, test) when (localModelsOf row.Group).IsNone ->
                let runs = row.Chosen.Runs
                let extra name = runs |> List.map (fun r -> r.TestExtras |> List.tryFind (fun (n, _) -> n = name) |> Option.map snd)
                let total (values: float option list) = if values |> List.forall Option.isSome then Some(values |> List.sumBy Option.get) else None
                let fallback =
                    match total (extra "fallbackUsers"), total (extra "scoredUsers") with
                    | Some f, Some s when s > 0.0 -> Some(f / s)
                    | _ -> None
                yield { Dataset = t.Dataset; Model = row.Group; Base = baseRow
                        TrainingUsers = shape |> Option.map _.TrainUsers
                        Items = shape |> Option.map _.Items
                        LocalModels = runs.Head.Settings |> List.tryFind (fun (n, _) -> n = "anchors") |> Option.map snd
                        Test = test; Fallback = fallback }
            | _ -> () ]

/// Weighted least-squares slope of the gain on log10 training users (weights 1 / s.e.²), its standard
/// error with the gains' standard errors taken as known, and the two-sided p of slope / s.e. from the
/// normal distribution, over the rows whose local models score most of their test users. None with
/// fewer than two sizes.
type Trend = { Model: string; Datasets: int; Slope: float; StandardError: float; PValue: float }

/// Where more than half the test users fall back, a LOCA row scores them with its global model: its Δ
/// measures that model against the base row, not locality. Such a row is also nearly the base row
/// when the global model is the base model (LOCA-EASE), so its tiny s.e. would pin a weighted fit.
let private mostlyGlobal (g: Gain) = g.Fallback |> Option.exists (fun f -> f > 0.5)

let trend (model: string) (gains: Gain list) : Trend option =
    let points =
        gains |> List.filter (fun g -> g.Model = model && not (mostlyGlobal g) && g.TrainingUsers.IsSome && g.StandardError > 0.0)
        |> List.map (fun g -> log10 (float g.TrainingUsers.Value), g.Test.MeanDifference, 1.0 / (g.StandardError * g.StandardError))
    if (points |> List.map (fun (x, _, _) -> x) |> List.distinct).Length < 2 then None
    else
        let sw = points |> List.sumBy (fun (_, _, w) -> w)
        let mx = (points |> List.sumBy (fun (x, _, w) -> w * x)) / sw
        let my = (points |> List.sumBy (fun (_, y, w) -> w * y)) / sw
        let sxx = points |> List.sumBy (fun (x, _, w) -> w * (x - mx) * (x - mx))
        let sxy = points |> List.sumBy (fun (x, y, w) -> w * (x - mx) * (y - my))
        let slope, se = sxy / sxx, 1.0 / sqrt sxx
        // A normal distribution: Student's t with degrees of freedom far beyond any sample here.
        Some { Model = model; Datasets = points.Length; Slope = slope; StandardError = se; PValue = StudentT.TwoSidedPValue(slope / se, 1_000_000) }

let private inv = CultureInfo.InvariantCulture
let private count (x: int) = x.ToString("#,0", inv)

/// The table: one line per dataset and LOCA model, datasets from smallest to largest.
let cells (gains: Gain list) : string list * string list list =
    [ "Dataset"; "training users"; "items"; "model"; "q"; "base model"; "Δ NDCG@100 (± s.e., paired)"; "p"; "test users"; "test users falling back" ],
    [ for g in gains |> List.sortBy (fun g -> defaultArg g.TrainingUsers Int32.MaxValue, g.Model) ->
        [ Names.dataset g.Dataset
          g.TrainingUsers |> Option.map count |> Option.defaultValue "—"
          g.Items |> Option.map count |> Option.defaultValue "—"
          g.Model
          defaultArg g.LocalModels "—"
          g.Base
          sprintf "%s ± %s" (signed g.Test.MeanDifference) (f4 g.StandardError)
          pValue g.Test.PValue
          count g.Test.Pairs
          (match g.Fallback with Some f -> (100.0 * f).ToString("0.0", inv) + "%" | None -> "not recorded") ] ]

/// The sentence under the table for each LOCA model: the slope over the datasets where its local
/// models score most test users, or why there is none, and which rows were left out of it and why.
let trendLines (gains: Gain list) =
    [ for model in gains |> List.map _.Model |> List.distinct |> List.sort ->
        let slope =
            match trend model gains with
            | Some t ->
                sprintf "%s: slope of Δ on log10 training users %s ± %s over %d datasets where its local models score most test users (p = %s): %s" model (signed t.Slope) (f4 t.StandardError) t.Datasets (pValue t.PValue)
                    (if t.Slope > 2.0 * t.StandardError then "the gain grows with size, by more than 2 s.e."
                     elif t.Slope < -2.0 * t.StandardError then "the gain shrinks with size, by more than 2 s.e."
                     else "no trend within 2 s.e.")
            | None -> sprintf "%s: fewer than two dataset sizes where its local models score most test users, no slope" model
        let leftOut =
            gains |> List.filter (fun g -> g.Model = model && mostlyGlobal g)
            |> List.map (fun g -> sprintf "%s (%s%%)" (Names.dataset g.Dataset) ((100.0 * g.Fallback.Value).ToString("0", inv)))
        if leftOut.IsEmpty then slope
        else
            slope + sprintf "; left out, as most test users fall back to the global model there: %s, where the Δ is mostly the global model's against %s, not the local models'"
                        (String.Join(", ", leftOut)) (gains |> List.find (fun g -> g.Model = model)).Base ]

/// Δ NDCG@100 against log10 training users, one line per LOCA model with ± one s.e. bars, and zero.
let figure (fileStem: string) (title: string) (gains: Gain list) : Figures.Figure option =
    let sized = gains |> List.filter (fun g -> g.TrainingUsers.IsSome)
    if (sized |> List.map _.Dataset |> List.distinct).Length < 2 then None
    else
    let x (g: Gain) = log10 (float g.TrainingUsers.Value)
    let series =
        [ for model, gs in sized |> List.groupBy _.Model ->
            { Name = sprintf "%s − %s" model (gs.Head.Base)
              Points = gs |> List.sortBy x |> List.map (fun g -> { X = x g; Y = g.Test.MeanDifference; Error = (if Double.IsNaN g.StandardError then None else Some g.StandardError) }) } ]
    let xs = sized |> List.map x
    let zero = { Name = "no gain"; Points = [ { X = List.min xs; Y = 0.0; Error = None }; { X = List.max xs; Y = 0.0; Error = None } ] }
    Some { FileName = fileStem + "-gain-by-size.svg"
           Caption = sprintf "Test NDCG@100 of each LOCA model minus its base model's (± one standard error of the paired difference) against the dataset's training users, %s" title
           Chart = Lines { Title = sprintf "Local gain against dataset size — %s" title
                           XLabel = "training users (log10)"; YLabel = "Δ test NDCG@100"; Series = series @ [ zero ] } }
