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

/// What a table's section says: the table, how to read it, the runs behind it and its figures.
let private tableBlocks (options: Options) (table: Table) : Block list * Figures.Figure list =
    let bars = Figures.mainBars table
    let curves, curveProblems = Figures.validationCurves table
    let activity, activityProblems = Figures.activity table
    let figures = [ yield bars; yield! Option.toList curves; yield! activity |> Option.map fst |> Option.toList ]
    let runs = table.Rows |> List.collect (fun r -> r.GridPoints |> List.collect _.Runs)
    let commits = runs |> List.map _.Commit |> List.distinct |> List.sort
    let blocks =
        [ Heading(2, sprintf "%s — %s" table.Experiment table.Dataset)
          Paragraph(sprintf "Protocol: %s. Metrics are test metrics of each row's chosen grid point." (if table.Protocol = "" then "not recorded" else table.Protocol))
          Table(cells table)
          Paragraph(
              "Each metric cell is mean ± standard error. **s.e. over users** (one run): the run's standard error over test users, "
              + "population std / √users, as the paper. **s.e. over seeds** (several runs): the mean over seeds of each run's test "
              + "mean, and the sample std of those means / √seeds. Published: the number the source reports for the same model "
              + "and dataset; Δ = ours − published; *within 2 s.e.*: |Δ| ≤ 2 × our standard error. "
              + (match Published.standardErrorNote table.Dataset with Some note -> note + " " | None -> "")
              + sprintf "Paired t-test: per-user NDCG@100 (each user's mean over the row's seeds) against %s's on the same test users, paired by row of the test fold-in matrix; Δ = row − %s, two-sided p." referenceGroup referenceGroup)
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
                        sprintf "`%s`: %s, settings hash %s, seed %d, commit `%s`%s" (relative options r.Folder) r.Group r.SettingsHash r.Seed r.Commit
                            (if r.IsRefit then "; a refit (`--protocol weak-refit`): its `selection/` run chose the epoch count on the carve, then it was retrained on the whole training rows; selected by the selection run's validation NDCG@100, its validation curve is the selection run's" else "") ]
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

/// The awaiting-data section for the paper's datasets without runs.
let private awaiting (datasets: string list) : Block list =
    [ for dataset in datasets do
        let rows = Published.rowsFor dataset
        Heading(2, sprintf "%s — published numbers, awaiting a run" dataset)
        Paragraph(sprintf "No run of %s is in the results yet: these are the published numbers, which await a run on a machine that has the data (`repro data fetch --dataset %s`, then the experiment)." dataset dataset)
        Table(
            [ "Model"; yield! Published.paperMetrics |> List.map metricTitle; "source" ],
            [ for model, values in rows ->
                [ model
                  yield! Published.paperMetrics |> List.map (fun m -> values |> List.tryFind (fun v -> v.Metric = m) |> Option.map (fun v -> v.Value.ToString("0.000##", inv)) |> Option.defaultValue "—")
                  values |> List.map _.Source |> List.distinct |> String.concat "; " ] ])
        match Published.standardErrorNote dataset with
        | Some note -> Paragraph note
        | None -> () ]

/// Every file of the report as (path, contents), without writing anything.
let generate (options: Options) : Outcome =
    let index = load options.Results
    let runs =
        match options.Experiment with
        | Some id -> index.Runs |> List.filter (fun r -> r.Experiment = id)
        | None -> index.Runs
    let tables = build runs
    let sections = tables |> List.map (tableBlocks options)
    let figures = sections |> List.collect snd
    let withRuns = runs |> List.map _.Dataset |> Set.ofList
    let waiting = Published.paperDatasets |> List.filter (fun d -> not (withRuns.Contains d))
    let figureLink name = relative options (Path.Combine(options.Figures, name))
    let blocks =
        [ Heading(1, "Paper tables")
          Paragraph(sprintf "Generated by `%s` from the run folders under `%s`; nothing here is typed by hand, and running the command again on the same results gives the same file. The interactive version is [%s](%s)." options.Command (relative options options.Results) (Path.GetFileName options.Html) (relative options options.Html))
          if tables.IsEmpty then Paragraph "No finished runs were found."
          for blocks, _ in sections do yield! blocks
          yield! awaiting waiting
          if not index.Skipped.IsEmpty then
              Heading(2, "Skipped run folders")
              Paragraph "Folders under the results that hold run files but could not be used, and why:"
              Bullets(index.Skipped |> List.map (fun s -> sprintf "`%s`: %s" (relative options s.Folder) s.Reason)) ]
    let header = sprintf "<!-- Generated by `%s`; do not edit by hand. -->\n" options.Command
    let markdown = header + Document.markdown figureLink blocks
    let html = HtmlReport.render "Paper tables" blocks
    { Files = [ options.Output, markdown; options.Html, html; yield! figures |> List.map (fun f -> Path.Combine(options.Figures, f.FileName), Svg.render f.Chart) ]
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
