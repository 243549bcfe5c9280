/// The report's figures, as chart values made from its tables and the run folders behind them:
/// validation NDCG@100 per epoch (the paper's Figure 1 for the annealing experiment), NDCG@100 by
/// user-activity quintile for Mult-VAE^PR and Mult-DAE (Figure 3) and a bar chart of each table.
module Repro.Harness.Report.Figures

open System
open System.Globalization
open Repro.Core.Metrics
open Repro.Harness.Report.Charts
open Repro.Harness.Report.Tables

type Figure =
    { /// File name without folder, e.g. "table2-ml-20m-strong-validation.svg".
      FileName: string
      Caption: string
      Chart: Chart }

let private inv = CultureInfo.InvariantCulture

/// A file-name stem for a table (Table.FileStem): what it holds, never a folder's accidental name.
let stem (table: Table) = table.FileStem

/// The table's title with its experiment's, for captions: "Gowalla, LightGCN's split (weak
/// generalisation) — Mult-VAE^PR on Gowalla, LightGCN's split". Chart titles carry the table's alone,
/// to fit the chart's width.
let private titleOf (table: Table) =
    match table.Unfiled with
    | Some _ -> table.Title
    | None -> sprintf "%s — %s" table.Title (Names.experiment table.Experiment).Title

/// Validation NDCG@100 per epoch of each row's chosen grid point (mean over its seeds at the epochs
/// every seed reached). Rows without epochs.tsv (fitted models) are left out; problems are returned.
let validationCurves (table: Table) : Figure option * string list =
    let series, problems =
        table.Rows
        |> List.map (fun row ->
            // A refit's own validation numbers score items it trained on: draw its selection run's curve.
            let epochsFolder (r: RunIndex.Run) = if r.IsRefit then IO.Path.Combine(r.Folder, Repro.Harness.Train.SelectionFolderName) else r.Folder
            let curves = row.Chosen.Runs |> List.map (fun r -> let f = epochsFolder r in f, RunIndex.readEpochs f)
            match curves |> List.tryPick (function _, Error e -> Some e | _ -> None) with
            | Some _ when curves |> List.forall (fun (f, _) -> not (IO.File.Exists(IO.Path.Combine(f, "epochs.tsv")))) -> None, None
            | Some e -> None, Some e
            | None ->
                let curves = curves |> List.map (function _, Ok c -> Map.ofList c | _, Error _ -> Map.empty)
                let epochs = curves |> List.map (fun c -> c |> Map.keys |> Set.ofSeq) |> Set.intersectMany |> Set.toList
                if epochs.IsEmpty then None, None
                else Some { Name = row.Group; Points = [ for e in epochs -> { X = float e; Y = curves |> List.averageBy (fun c -> c.[e]); Error = None } ] }, None)
        |> List.unzip
    let series = series |> List.choose id
    let problems = problems |> List.choose id
    if series.IsEmpty then None, problems
    else
        Some { FileName = stem table + "-validation.svg"
               Caption = sprintf "Validation NDCG@100 per epoch, %s (mean over each row's seeds)" (titleOf table)
               Chart = Lines { Title = sprintf "Validation NDCG@100 per epoch — %s" table.Title
                               XLabel = "epoch"; YLabel = "validation NDCG@100"; Series = series } }, problems

/// One quintile's line in the activity table.
type Quintile =
    { Index: int
      MinFoldIn: int
      MaxFoldIn: int
      Users: int
      Summaries: (string * MetricSummary) list
      Test: PairedTTestResult option }

let private activityModels = [ referenceGroup; "Mult-DAE" ]

/// NDCG@100 by quintile of test users' fold-in counts (Core's ActivityBreakdown) for Mult-VAE^PR and
/// Mult-DAE, each user's value averaged over the row's seeds, with one-standard-error bars and a
/// paired t-test per quintile. None when either row or the fold-in counts are missing.
let activity (table: Table) : (Figure * Quintile list) option * string list =
    let rows = activityModels |> List.map (fun g -> table.Rows |> List.tryFind (fun r -> r.Group = g))
    if rows |> List.exists Option.isNone then None, []
    else
    let means = rows |> List.map (fun r -> r.Value.Group, userMeans r.Value.Chosen.Runs "Ndcg@100")
    match means |> List.tryPick (function _, Error e -> Some e | _ -> None) with
    | Some e -> None, [ e ]
    | None ->
    let means = means |> List.map (function g, Ok m -> g, m | _, Error _ -> failwith "unreachable")
    let first = snd means.Head
    match first.FoldInItems with
    | None -> None, [ sprintf "no activity figure for %s: test-users.tsv has no foldInItems column (runs older than that column)" table.Title ]
    | Some counts ->
    if first.Rows <> Array.init first.Rows.Length id then None, [ "no activity figure: test-users.tsv rows are not 0 .. n-1" ]
    elif means |> List.exists (fun (_, m) -> m.Rows <> first.Rows || m.FoldInItems <> first.FoldInItems) then None, [ "no activity figure: the two rows' runs have different test users" ]
    elif counts.Length < ActivityBreakdown.PaperGroupCount then None, [ "no activity figure: fewer than 5 test users" ]
    else
    let values =
        means |> List.map (fun (g, m) ->
            let present = m.Values |> Array.mapi (fun i v -> i, v) |> Array.choose (fun (i, v) -> v |> Option.map (fun x -> m.Rows.[i], x))
            g, UserMetricValues(MetricSpec.Ndcg 100, Array.map fst present, Array.map snd present, m.Values.Length - present.Length))
    let groups = ActivityBreakdown.SplitByFoldInCount(counts, ActivityBreakdown.PaperGroupCount)
    let summaries = values |> List.map (fun (g, v) -> g, ActivityBreakdown.Summarise(counts, v, ActivityBreakdown.PaperGroupCount))
    let quintiles =
        [ for group in groups ->
            let a = ActivityBreakdown.ValuesIn(group, snd values.[0])
            let b = ActivityBreakdown.ValuesIn(group, snd values.[1])
            { Index = group.Index
              MinFoldIn = group.MinFoldInItems
              MaxFoldIn = group.MaxFoldInItems
              Users = group.Rows.Length
              Summaries = summaries |> List.map (fun (g, s) -> g, s.[group.Index].Summary)
              Test = if a.Length = b.Length && a.Length >= 2 then Some(PairedTTest.Run(ReadOnlySpan a, ReadOnlySpan b)) else None } ]
    let chart =
        Bars { Title = sprintf "NDCG@100 by user activity — %s" table.Title
               XLabel = "quintile of test users by fold-in items (least active first)"
               YLabel = "test NDCG@100"
               Categories = quintiles |> List.map (fun q -> sprintf "%d–%d items" q.MinFoldIn q.MaxFoldIn)
               Series =
                   [ for g, _ in summaries ->
                       { Name = g
                         Bars = quintiles |> List.map (fun q ->
                             let s = q.Summaries |> List.find (fun (n, _) -> n = g) |> snd
                             if Double.IsNaN s.Mean then None else Some { Value = s.Mean; Error = Some s.StandardError; Reference = None }) } ]
               ReferenceLabel = "" }
    Some({ FileName = stem table + "-activity.svg"
           Caption = sprintf "NDCG@100 by quintile of test users' fold-in items, %s vs Mult-DAE, %s; error bars: one standard error over the quintile's users" referenceGroup (titleOf table)
           Chart = chart }, quintiles), []

/// The table as grouped bars: one group per metric, one bar per row with its standard error, and the
/// published number as a dashed mark.
let mainBars (table: Table) : Figure =
    { FileName = stem table + "-table.svg"
      Caption = sprintf "Test metrics, %s: bars are ours (± the row's standard error), marks the published numbers" (titleOf table)
      Chart =
        Bars { Title = sprintf "Test metrics — %s" table.Title
               XLabel = "metric"; YLabel = "test value"
               Categories = table.Metrics |> List.map metricTitle
               Series =
                   [ for row in table.Rows ->
                       { Name = row.Group
                         Bars = row.Cells |> List.map (fun (_, cell) ->
                             cell |> Option.map (fun c ->
                                 { Value = c.Mean
                                   Error = (if Double.IsNaN c.StandardError then None else Some c.StandardError)
                                   Reference = c.Published |> Option.map _.Value })) } ]
               ReferenceLabel = "published" } }

/// Test NDCG@100 against the number of local models q, as the LOCA slides plot it: one line per model
/// over its "MODEL (q = N)" rows with one-standard-error bars (over test users), and each row
/// without q (the base models) as a flat line across the q range. None unless a model has two q.
let anchorCurve (table: Table) : Figure option =
    let ndcg (row: Row) = row.Cells |> List.tryPick (fun (m, c) -> if m = "Ndcg@100" then c else None)
    let withQ = table.Rows |> List.choose (fun row -> localModelsOf row.Group |> Option.map (fun (model, q) -> model, q, row))
    let models = withQ |> List.groupBy (fun (model, _, _) -> model)
    if models |> List.forall (fun (_, rows) -> rows.Length < 2) then None
    else
    let qs = withQ |> List.map (fun (_, q, _) -> float q)
    let lo, hi = List.min qs, List.max qs
    let curves =
        [ for model, rows in models ->
            { Name = model
              Points =
                rows |> List.sortBy (fun (_, q, _) -> q) |> List.choose (fun (_, q, row) ->
                    ndcg row |> Option.map (fun c -> { X = float q; Y = c.Mean; Error = (if Double.IsNaN c.StandardError then None else Some c.StandardError) })) } ]
    let flats =
        [ for row in table.Rows do
            if (localModelsOf row.Group).IsNone then
                match ndcg row with
                | Some c -> yield { Name = row.Group + " (no local models)"; Points = [ { X = lo; Y = c.Mean; Error = None }; { X = hi; Y = c.Mean; Error = None } ] }
                | None -> () ]
    Some { FileName = stem table + "-q.svg"
           Caption = sprintf "Test NDCG@100 against the number of local models q, %s: one line per model (± one standard error over test users), the base models as flat lines" (titleOf table)
           Chart = Lines { Title = sprintf "Test NDCG@100 against q — %s" table.Title
                           XLabel = "local models q (anchors picked)"; YLabel = "test NDCG@100"; Series = curves @ flats } }

/// The quintile table under the activity figure.
let quintileCells (quintiles: Quintile list) : string list * string list list =
    let groups = quintiles.Head.Summaries |> List.map fst
    let f4 (x: float) = x.ToString("0.0000", inv)
    [ "quintile"; "fold-in items"; "users"; yield! groups |> List.map (fun g -> g + " NDCG@100"); sprintf "paired t-test %s vs %s" groups.[0] groups.[1] ],
    [ for q in quintiles ->
        [ string (q.Index + 1)
          sprintf "%d–%d" q.MinFoldIn q.MaxFoldIn
          string q.Users
          yield! q.Summaries |> List.map (fun (_, s) -> sprintf "%s ± %s" (f4 s.Mean) (f4 s.StandardError))
          (match q.Test with
           | Some t -> sprintf "Δ %s, p = %s" (t.MeanDifference.ToString("+0.0000;−0.0000", inv)) (pValue t.PValue)
           | None -> "—") ] ]
