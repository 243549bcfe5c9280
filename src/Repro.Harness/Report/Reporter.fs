/// `repro report`: paper-tables.md, its SVG figures and report.html, made from run folders alone.
/// The output is a function of the results: the same folders give the same bytes (no clock, no
/// random ids; every date or commit shown comes from a run.json).
module Repro.Harness.Report.Reporter

open System
open System.IO
open System.Text
open Repro.Harness.Report.Document
open Repro.Harness.Report.RunIndex
open Repro.Harness.Report.Tables

type Options =
    { Results: string
      /// The markdown file (paper-tables.md).
      Output: string
      /// Where the SVG figures go (default: figures/ next to the output).
      Figures: string
      /// The HTML report (default: report.html next to the output).
      Html: string
      /// Only this experiment's runs.
      Experiment: string option
      /// The command line that regenerates the files, written into them.
      Command: string }

type Outcome =
    { /// (path, contents) of every file written, markdown first.
      Files: (string * string) list
      Tables: Table list
      Skipped: Skipped list }

let private slash (p: string) = p.Replace('\\', '/')

/// A path as seen from the output file's folder, with '/' separators.
let private relative (options: Options) (path: string) =
    let from = Path.GetDirectoryName(Path.GetFullPath options.Output)
    slash (Path.GetRelativePath(from, Path.GetFullPath path))

let private inv = Globalization.CultureInfo.InvariantCulture

/// What a refit run's line in the run list says about how it was made.
let private refitNote (r: RunIndex.Run) =
    if not r.IsRefit then "" else
    let weak = r.Protocol.StartsWith "weak"
    let protocol, rows = if weak then "weak-refit", "the whole training rows" else "leave-5-by-time-refit", "the training rows plus the validation events"
    if r.TestExtras |> List.exists (fst >> (=) "selectedEpoch") then
        sprintf "; a refit (`--protocol %s`): its `selection/` run chose the epoch count %s, then it was retrained on %s; selected by the selection run's validation NDCG@100, its validation curve is the selection run's"
            protocol (if weak then "on the carve" else "on the validation events") rows
    else
        sprintf "; a refit (`--protocol %s`) of a fitted model: its `selection/` run was fitted without the validation targets, then it was fitted again on %s; selected by the selection run's validation NDCG@100"
            protocol rows

/// What a table's section says: the table, how to read it, the runs behind it and its figures.
let private tableBlocks (options: Options) (level: int) (table: Table) : Block list * Figures.Figure list =
    let bars = Figures.mainBars table
    let curves, curveProblems = Figures.validationCurves table
    let activity, activityProblems = Figures.activity table
    let anchors = Figures.anchorCurve table
    let figures = [ yield bars; yield! Option.toList curves; yield! activity |> Option.map fst |> Option.toList; yield! Option.toList anchors ]
    let runs = table.Rows |> List.collect (fun r -> r.GridPoints |> List.collect _.Runs)
    let commits = runs |> List.map (fun r -> Names.shortCommit r.Commit) |> List.distinct |> List.sort
    let blocks =
        [ Heading(level, table.Title)
          Paragraph(sprintf "Protocol: %s. Metrics are test metrics of each row's chosen grid point." (if table.Protocol = "" then "not recorded" else table.Protocol))
          Table(cells table)
          Paragraph(
              "Each metric cell is mean ± standard error. **s.e. over users** (one run): the run's standard error over test users, "
              + "population std / √users, as the paper. **s.e. over seeds** (several runs): the mean over seeds of each run's test "
              + "mean, and the sample std of those means / √seeds. Published: the number the source reports for the same model "
              + "and dataset; Δ = ours − published; *within 2 s.e.*: |Δ| ≤ 2 × our standard error. "
              + (match Published.standardErrorNote table.Dataset with Some note -> note + " " | None -> "")
              + sprintf "Paired t-test: per-user NDCG@100 (each user's mean over the row's seeds) against %s's on the same test users, paired by row of the test fold-in matrix; Δ = row − %s, two-sided p. A LOCA row is tested against its base model, and in a table without %s every row against %s." referenceGroup referenceGroup referenceGroup (Tables.floorGroup.ToLowerInvariant()))
          let sources =
              table.Rows |> List.collect (fun r -> r.Cells |> List.choose (fun (_, c) -> c |> Option.bind _.Published))
              |> List.map (fun p -> sprintf "%s: %s" p.Model p.Source) |> List.distinct
          if not sources.IsEmpty then
              Paragraph "Sources of the published numbers (tags from the specification: [V] verified, [V2] two secondary sources, [M] unverified):"
              Bullets sources
          Paragraph "Grid points (runs of a row with different settings; the point with the best mean validation NDCG@100 is chosen, test metrics are never used to choose):"
          Table(
              [ "Model"; "settings hash"; "seeds"; "mean validation NDCG@100"; "chosen" ],
              [ for row in table.Rows do
                  for p in row.GridPoints ->
                      [ row.Group
                        p.SettingsHash + (if p.Runs |> List.forall _.FromExperiment then "" else " (from run.json)")
                        (p.Runs |> List.map (fun r -> string r.Seed) |> String.concat ", ")
                        (match p.Selection with Some v -> v.ToString("0.0000", inv) | None -> "not recorded")
                        (if p.SettingsHash = row.Chosen.SettingsHash then "yes" else "") ] ])
          Paragraph(sprintf "Runs (commit%s %s):" (if commits.Length > 1 then "s" else "") (commits |> List.map (sprintf "`%s`") |> String.concat ", "))
          Bullets [ for r in runs ->
                        sprintf "`%s`: %s, settings hash %s, seed %d, commit `%s`%s" (relative options r.Folder) r.Group r.SettingsHash r.Seed (Names.shortCommit r.Commit)
                            (refitNote r) ]
          Paragraph(sprintf "Regenerate with: `%s`" options.Command)
          for f in figures do Figure f
          match activity with
          | Some(_, quintiles) ->
              Paragraph "NDCG@100 by activity quintile (mean ± standard error over the quintile's users; paired t-test on the same users, Δ = first − second model):"
              Table(Figures.quintileCells quintiles)
          | None -> ()
          let problems = curveProblems @ activityProblems
          if not problems.IsEmpty then
              Paragraph "Figures not drawn for this table:"
              Bullets problems ]
    blocks, figures

/// A paper dataset's Table 2 numbers while no run of the `paper` experiment has it.
let private awaiting (level: int) (dataset: string) : Block list =
    let rows = Published.rowsFor dataset
    [ Heading(level, sprintf "%s: published numbers, awaiting a run" (Names.dataset dataset))
      Paragraph(sprintf "No run of %s is in the results yet: these are the published numbers, which await a run on a machine that has the data (`repro data fetch --dataset %s`, then `repro run --experiment paper`)." (Names.dataset dataset) dataset)
      Table(
          [ "Model"; yield! Published.paperMetrics |> List.map metricTitle; "source" ],
          [ for model, values in rows ->
              [ model
                yield! Published.paperMetrics |> List.map (fun m -> values |> List.tryFind (fun v -> v.Metric = m) |> Option.map (fun v -> v.Value.ToString("0.000##", inv)) |> Option.defaultValue "—")
                values |> List.map _.Source |> List.distinct |> String.concat "; " ] ])
      match Published.standardErrorNote dataset with
      | Some note -> Paragraph note
      | None -> () ]

/// The paper's Table 1 (PaperTable1), and of ours what the run folders record: the test users of
/// each paper dataset's runs (metrics.json). The other counts are not in run folders.
let private table1 (runs: Run list) : Block list =
    let n (x: float) = x.ToString("#,0", inv)
    let number (x: Repro.Harness.PaperTable1.Number) = sprintf "%s [%s]" (n x.Value) x.Provenance.Label
    let testUsers (dataset: string) =
        runs
        |> List.filter (fun r -> r.Dataset = dataset)
        |> List.choose (fun r -> r.Test |> List.tryHead |> Option.map (fun (_, m) -> m.Users + m.Excluded))
        |> List.distinct |> List.sort
    let measured = Repro.Harness.PaperTable1.rows |> List.filter (fun r -> not (testUsers r.Dataset).IsEmpty)
    [ Heading(2, "Table 1: dataset statistics")
      Paragraph "The paper's Table 1, after its preprocessing (tags: [V] verified from a primary source, [C] computed from verified numbers, [M] not confirmed). Density is interactions / (users × items)."
      Table(
          [ "Dataset"; "users"; "items"; "interactions"; "density"; "held-out users (validation, test each)"; "ours: test users in the runs" ],
          [ for r in Repro.Harness.PaperTable1.rows ->
              let d = Repro.Harness.PaperTable1.density r
              [ Names.dataset r.Dataset; number r.Users; number r.Items; number r.Events
                sprintf "%s%% [%s]" ((100.0 * d.Value).ToString("0.000", inv)) d.Provenance.Label
                number r.HeldOut
                (match testUsers r.Dataset with
                 | [] -> "no run yet"
                 | counts -> counts |> List.map (float >> n) |> String.concat ", ") ] ])
      Paragraph(
          "Run folders record the test users they were evaluated on (metrics.json), not the other counts. "
          + (if measured.IsEmpty then "No run of ML-20M, Netflix or MSD is in the results yet. " else "")
          + "`repro data stats --dataset ID` prints all of ours beside the paper's, on a machine that has the data.") ]

/// Every file of the report as (path, contents), without writing anything.
let generate (options: Options) : Outcome =
    let index = load options.Results
    let runs =
        match options.Experiment with
        | Some id -> index.Runs |> List.filter (fun r -> r.Experiment = id)
        | None -> index.Runs
    let tables = build runs
    let figureLink name = relative options (Path.Combine(options.Figures, name))
    let figures = Collections.Generic.List<Figures.Figure>()
    // The blocks of the given tables, their headings at the given level; their figures are collected in document order.
    let section level (ts: Table list) =
        [ for t in ts do
            let blocks, fs = tableBlocks options level t
            figures.AddRange fs
            yield! blocks ]
    let filed = tables |> List.filter (fun t -> t.Unfiled.IsNone)
    let ofExperiment id = filed |> List.filter (fun t -> t.Experiment = id)
    let ofPlace place = filed |> List.filter (fun t -> (Names.experiment t.Experiment).Place = place)
    // A section of the paper: its tables, or what it awaits.
    let paperSection (place: Names.Place) (heading: string) (id: string) (what: string) =
        [ Heading(2, heading)
          match ofPlace place with
          | [] -> Paragraph(sprintf "No run of the `%s` experiment is in the results yet (%s; `repro run --experiment %s` on a machine that has the data)." id what id)
          | ts -> yield! section 3 ts ]
    let table2 =
        let ours = ofPlace Names.Table2
        [ Heading(2, "Table 2: ML-20M, Netflix and MSD")
          Paragraph "The paper's main comparison under strong generalisation: ours where the `paper` experiment has run, else the published numbers."
          for dataset in Published.paperDatasets do
              match ours |> List.filter (fun t -> t.Dataset = dataset) with
              | [] -> yield! awaiting 3 dataset
              | ts -> yield! section 3 ts
          // Tables of the paper experiment on other datasets (none today) still belong here.
          yield! section 3 (ours |> List.filter (fun t -> not (List.contains t.Dataset Published.paperDatasets))) ]
    let table4 = paperSection Names.Table4 "Table 4: multinomial, Gaussian and logistic likelihoods" "likelihoods" "Mult-VAE^PR and Mult-DAE with each likelihood on ML-20M"
    let figure1 = paperSection Names.Figure1 "Figure 1: KL annealing" "annealing" "Mult-VAE on ML-20M with β = 1, annealed to 1, and capped at 0.2"
    let figure3 = paperSection Names.Figure3 "Figure 3: NDCG@100 by user activity" "activity" "Mult-VAE^PR and Mult-DAE on ML-20M and MSD, by quintile of test users' activity"
    // The seed's claim that local models gain more on larger datasets, across an experiment's datasets.
    let localGain (id: string) (ts: Table list) =
        let gains = LocalGain.gains ts
        if (gains |> List.map _.Dataset |> List.distinct).Length < 2 then []
        else
            let figure = LocalGain.figure id (Names.experiment id).Title gains
            Option.iter figures.Add figure
            [ Heading(4, "Do local models gain more on larger datasets?")
              Paragraph(
                  "Each LOCA row against its base model on the same test users (the paired t-test of the tables above), "
                  + "datasets from smallest to largest by training users. The slope is a weighted least-squares fit of Δ on "
                  + "log10 training users (weights 1 / s.e.², the gains' standard errors taken as known; p from the normal distribution). "
                  + "Test users falling back: those no anchor covers, scored by the global model alone.")
              Table(LocalGain.cells gains)
              Bullets(LocalGain.trendLines gains)
              match figure with
              | Some f -> Figure f
              | None -> () ]
    let beyond =
        let known = Names.experiments |> List.filter (fun e -> e.Place = Names.BeyondThePaper) |> List.map _.Id
        let others = ofPlace Names.BeyondThePaper |> List.map _.Experiment |> List.distinct |> List.filter (fun id -> not (List.contains id known)) |> List.sortWith (fun a b -> String.CompareOrdinal(a, b))
        [ for id in known @ others do
            match ofExperiment id with
            | [] -> ()
            | ts ->
                Heading(3, (Names.experiment id).Title)
                let folder = Path.Combine(options.Results, id)
                Paragraph(if Directory.Exists folder then sprintf "Experiment `%s`, run folders under `%s/`." id (relative options folder) else sprintf "Experiment `%s`." id)
                yield! section 4 ts
                yield! localGain id ts ]
    let unfiled =
        tables
        |> List.filter (fun t -> t.Unfiled.IsSome)
        |> List.groupBy (fun t -> t.Unfiled.Value)
        |> List.collect (fun (folder, ts) ->
            [ Heading(3, sprintf "Runs in `%s`" (relative options folder))
              yield! section 4 ts ])
    let blocks =
        [ Heading(1, "Paper tables")
          Paragraph(sprintf "Generated by `%s` from the run folders under `%s`; nothing here is typed by hand, and running the command again on the same results gives the same file. The interactive version is [%s](%s). Sections follow the paper (Tables 1, 2 and 4, Figures 1 and 3); then come the experiments beyond it." options.Command (relative options options.Results) (Path.GetFileName options.Html) (relative options options.Html))
          if tables.IsEmpty then Paragraph "No finished runs were found."
          yield! table1 runs
          yield! table2
          yield! table4
          yield! figure1
          yield! figure3
          if not beyond.IsEmpty then
              Heading(2, "Beyond the paper")
              Paragraph "Experiments the paper does not have: other datasets, splits, seeds and tuning."
              yield! beyond
          yield! RatingTables.section options.Results options.Experiment (relative options)
          if not unfiled.IsEmpty then
              Heading(2, "Unfiled runs")
              Paragraph "Run folders without `experiment.json` (for example written by `repro train --out`): the report does not guess their experiment, so each is listed under its parent folder, grouped by run.json's dataset, protocol and model. Adding an `experiment.json` files them in an experiment."
              yield! unfiled
          if not index.Skipped.IsEmpty then
              Heading(2, "Skipped run folders")
              Paragraph "Folders under the results that hold run files but could not be used, and why:"
              Bullets(index.Skipped |> List.map (fun s -> sprintf "`%s`: %s" (relative options s.Folder) s.Reason)) ]
    let header = sprintf "<!-- Generated by `%s`; do not edit by hand. -->\n" options.Command
    let markdown = header + Document.markdown figureLink blocks
    let html = HtmlReport.render "Paper tables" blocks
    { Files = [ options.Output, markdown; options.Html, html; yield! figures |> Seq.map (fun f -> Path.Combine(options.Figures, f.FileName), Svg.render f.Chart) ]
      Tables = tables
      Skipped = index.Skipped }

/// Writes every file of the report (write-then-rename) and returns what was written.
let write (options: Options) : Outcome =
    let outcome = generate options
    for path, text in outcome.Files do
        let folder = Path.GetDirectoryName(Path.GetFullPath path)
        Directory.CreateDirectory folder |> ignore
        let temp = path + ".tmp"
        File.WriteAllText(temp, text, UTF8Encoding false)
        File.Move(temp, path, true)
    outcome
