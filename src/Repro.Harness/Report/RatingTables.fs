/// The rating-prediction part of the report: tables made from the rating-run.json files under the
/// results (Repro.Harness.Ratings), with the published numbers beside (Published.ratingValues).
/// Each row's grid point is the one with the lowest mean validation RMSE; test numbers never choose.
module Repro.Harness.Report.RatingTables

open System
open System.IO
open System.Text.Json
open Repro.Harness.Report.Document

/// One finished rating run, as its rating-run.json records it.
type RatingRunRecord =
    { Folder: string
      Experiment: string
      Dataset: string
      TrainFraction: float
      Group: string
      Model: string
      SettingsHash: string
      Settings: (string * string) list
      Commit: string
      TestRmse: float * float
      TestMae: float * float
      ValidationRmse: float option
      /// Per repeat: (repeat, test RMSE), for paired differences between rows.
      RepeatRmse: (int * float) list
      Splits: int }

let private inv = Globalization.CultureInfo.InvariantCulture

/// One rating-run.json, or why it cannot be read.
let read (path: string) : Result<RatingRunRecord, string> =
    try
        use doc = JsonDocument.Parse(File.ReadAllText path)
        let root = doc.RootElement
        let s (n: string) = root.GetProperty(n).GetString()
        let summary (part: string) (metric: string) =
            let m = root.GetProperty(part).GetProperty(metric)
            m.GetProperty("mean").GetDouble(), m.GetProperty("standardError").GetDouble()
        let mutable validation = Unchecked.defaultof<JsonElement>
        Ok { Folder = Path.GetDirectoryName path
             Experiment = s "experiment"; Dataset = s "dataset"; TrainFraction = root.GetProperty("trainFraction").GetDouble()
             Group = s "group"; Model = s "model"; SettingsHash = s "settingsHash"
             Settings = [ for p in root.GetProperty("settings").EnumerateObject() -> p.Name, p.Value.GetString() ]
             Commit = s "commit"
             TestRmse = summary "test" "RMSE"; TestMae = summary "test" "MAE"
             ValidationRmse = (if root.TryGetProperty("validation", &validation) then Some(fst (summary "validation" "RMSE")) else None)
             RepeatRmse = [ for r in root.GetProperty("repeats").EnumerateArray() -> r.GetProperty("repeat").GetInt32(), r.GetProperty("testRmse").GetDouble() ]
             Splits = root.GetProperty("repeats").GetArrayLength() }
    with e -> Error(sprintf "%s: %s" path e.Message)

/// Every rating-run.json under <paramref name="results"/>, in ordinal path order, with the unreadable ones.
let load (results: string) : RatingRunRecord list * (string * string) list =
    if not (Directory.Exists results) then [], []
    else
    let files =
        Directory.EnumerateFiles(results, Repro.Harness.Ratings.runFile, SearchOption.AllDirectories)
        |> Seq.sortWith (fun a b -> String.CompareOrdinal(a, b)) |> List.ofSeq
    let read = files |> List.map (fun f -> f, read f)
    (read |> List.choose (function _, Ok r -> Some r | _ -> None)), (read |> List.choose (function f, Error e -> Some(f, e) | _ -> None))

/// A row: the group's grid points and the chosen one (lowest mean validation RMSE).
type RatingRow = { Group: string; Points: RatingRunRecord list; Chosen: RatingRunRecord }

let private rank (group: string) =
    let order = [ "Global mean"; "PMF"; "Biased MF"; "I-AutoRec"; "U-AutoRec"; "mDA-CF"; "mSDA-CF" ]
    order |> List.tryFindIndex (fun o -> group.StartsWith o) |> Option.defaultValue order.Length

let rows (runs: RatingRunRecord list) : RatingRow list =
    runs
    |> List.groupBy _.Group
    |> List.map (fun (group, points) ->
        let chosen = points |> List.minBy (fun p -> defaultArg p.ValidationRmse infinity, p.SettingsHash)
        { Group = group; Points = points |> List.sortBy _.SettingsHash; Chosen = chosen })
    |> List.sortWith (fun a b -> compare (rank a.Group, a.Group) (rank b.Group, b.Group))

let private f4 (x: float) = x.ToString("0.0000", inv)
let private pm (m: float, se: float) = sprintf "%s ± %s" (f4 m) (f4 se)

/// Paired difference of two rows' test RMSE over the splits they share: mean ± s.e., splits.
let pairedDifference (a: RatingRunRecord) (b: RatingRunRecord) =
    let bs = Map.ofList b.RepeatRmse
    let d = a.RepeatRmse |> List.choose (fun (k, v) -> bs |> Map.tryFind k |> Option.map (fun w -> v - w))
    if d.IsEmpty then None else Some(Repro.Harness.Ratings.meanAndError d, d.Length)

let private datasetName (d: string) =
    match d with
    | "ml-100k" -> "MovieLens-100K"
    | "ml-latest-small" -> "ml-latest-small"
    | "ml-1m" -> "ML-1M"
    | other -> other

let private pct (f: float) = (f * 100.0).ToString("0.##", inv)

/// The blocks of one (experiment, dataset, fraction) table.
let tableBlocks (level: int) (relative: string -> string) (experiment: string, dataset: string, fraction: float) (runs: RatingRunRecord list) : Block list =
    let rs = rows runs
    let published metric group =
        Published.ratingValues |> List.tryFind (fun p -> p.Dataset = dataset && abs (p.TrainFraction - fraction) < 1e-9 && p.Model = group && p.Metric = metric)
    let elsewhere group =
        Published.ratingValues |> List.tryFind (fun p -> p.Dataset <> dataset && abs (p.TrainFraction - fraction) < 1e-9 && p.Model = group && p.Metric = "RMSE")
    let splits = runs |> List.map _.Splits |> List.distinct |> List.sort
    let publishedOnly =
        Published.ratingValues
        |> List.filter (fun p -> p.Dataset = dataset && abs (p.TrainFraction - fraction) < 1e-9 && p.Metric = "RMSE" && not (rs |> List.exists (fun r -> r.Group = p.Model)))
    let settingsText (r: RatingRunRecord) =
        let keep = set [ "factors"; "learning-rate"; "regularization"; "lambda"; "hidden"; "deep"; "beta"; "corruption"; "layers" ]
        r.Settings |> List.filter (fun (k, _) -> keep.Contains k) |> List.map (fun (k, v) -> k + "=" + v) |> String.concat ", "
    let commits = runs |> List.map (fun r -> if r.Commit.Length > 7 then r.Commit.Substring(0, 7) + (if r.Commit.EndsWith "-dirty" then "-dirty" else "") else r.Commit) |> List.distinct |> List.sort
    [ Heading(level, sprintf "%s, %s%% training, %s%% test" (datasetName dataset) (pct fraction) (pct (1.0 - fraction)))
      Paragraph(sprintf "Experiment `%s`: random splits of the rating events (%s split(s) per row, the same splits for every row), %s of the training events carved out for validation; models fit on the rest. A test pair whose user or item has no rating in the fitted part gets the default rating 3; predictions are clipped to the rating scale."
                    experiment (splits |> List.map string |> String.concat ", ") "10%")
      Table(
          [ "Model"; "test RMSE"; "test MAE"; "validation RMSE"; "published RMSE"; "Δ RMSE"; "within 2 s.e."; "published MAE"; "chosen settings"; "grid points" ],
          [ for r in rs ->
              let c = r.Chosen
              let pub = published "RMSE" r.Group
              let other = elsewhere r.Group
              let pubMae = published "MAE" r.Group
              let delta = pub |> Option.map (fun p -> fst c.TestRmse - p.Value)
              [ r.Group; pm c.TestRmse; pm c.TestMae
                (match c.ValidationRmse with Some v -> f4 v | None -> "—")
                (match pub, other with
                 | Some p, _ -> f4 p.Value
                 | None, Some o -> sprintf "%s (%s, ordering only)" (o.Value.ToString("0.000", inv)) (datasetName o.Dataset)
                 | None, None -> "—")
                (match delta with Some d -> (if d >= 0.0 then "+" else "−") + f4 (abs d) | None -> "")
                (match delta with Some d -> (if abs d <= 2.0 * snd c.TestRmse then "yes" else "no") | None -> "")
                (match pubMae with Some p -> sprintf "%s (ours %s)" (p.Value.ToString("0.000", inv)) (f4 (fst c.TestMae)) | None -> "")
                settingsText c
                string r.Points.Length ]
            for p in publishedOnly ->
                [ p.Model; "not run"; ""; ""; f4 p.Value; ""; ""
                  (match published "MAE" p.Model with Some m -> m.Value.ToString("0.000", inv) | None -> "")
                  "no run at this training fraction"; "" ] ])
      Paragraph "Each cell is mean ± standard error over the random splits (sample std / √splits). Published: the source's number for the same model and training fraction; Δ = ours − published; *within 2 s.e.*: |Δ| ≤ 2 × our standard error. A published number from another dataset (ML-1M) is shown for its ordering only and gets no Δ."
      let sources =
          rs |> List.collect (fun r -> [ published "RMSE" r.Group; published "MAE" r.Group; elsewhere r.Group ] |> List.choose id)
          |> List.append publishedOnly
          |> List.map (fun p -> p.Source) |> List.distinct
      if not sources.IsEmpty then
          Paragraph "Sources of the published numbers:"
          Bullets sources
      // The published claim of AutoRec (spec §4.3): I-AutoRec < biased MF < U-AutoRec, checked with paired differences over the shared splits.
      let find g = rs |> List.tryFind (fun r -> r.Group = g)
      match find "I-AutoRec", find "Biased MF", find "U-AutoRec" with
      | Some i, Some b, Some u ->
          let describe (a: RatingRow) (b: RatingRow) =
              match pairedDifference a.Chosen b.Chosen with
              | Some((m, se), n) -> sprintf "%s − %s = %s ± %s (paired over %d splits; %s)" a.Group b.Group (f4 m) (f4 se) n (if m + 2.0 * se < 0.0 then "lower by more than 2 s.e." elif m < 0.0 then "lower, within 2 s.e." else "not lower")
              | None -> sprintf "%s and %s share no split" a.Group b.Group
          Paragraph(sprintf "AutoRec's ordering I-AutoRec < Biased MF < U-AutoRec (ML-1M gaps 0.014 and 0.029): %s; %s." (describe i b) (describe b u))
      | _ -> ()
      Paragraph "Grid points (the row's point with the lowest mean validation RMSE is chosen):"
      Table(
          [ "Model"; "settings hash"; "settings"; "validation RMSE"; "test RMSE"; "chosen" ],
          [ for r in rs do
              for p in r.Points ->
                  [ r.Group; p.SettingsHash; settingsText p; (match p.ValidationRmse with Some v -> f4 v | None -> "—"); pm p.TestRmse
                    (if p.SettingsHash = r.Chosen.SettingsHash then "yes" else "") ] ])
      Paragraph(sprintf "Run folders (commit%s %s): %s" (if commits.Length > 1 then "s" else "") (commits |> List.map (sprintf "`%s`") |> String.concat ", ")
                    (runs |> List.map (fun r -> relative r.Folder) |> List.map Path.GetDirectoryName |> List.distinct |> List.map (fun f -> sprintf "`%s/`" (f.Replace('\\', '/'))) |> String.concat ", ")) ]

/// The report's rating section: one table per (experiment, dataset, training fraction), then the
/// unreadable rating folders; nothing when there are no rating runs. <paramref name="experiment"/>
/// keeps one experiment's runs.
let section (results: string) (experiment: string option) (relative: string -> string) : Block list =
    let runs, broken = load results
    let runs = match experiment with Some id -> runs |> List.filter (fun r -> r.Experiment = id) | None -> runs
    if runs.IsEmpty && broken.IsEmpty then []
    else
    [ Heading(2, "Rating prediction")
      Paragraph "The second task: predicting held-out explicit ratings (RMSE, MAE) on random splits of the rating events, as AutoRec (Sedhain et al. 2015) and mDA-CF (Li, Kawale, Fu 2015) evaluate. Made from the `rating-run.json` files under the results (`repro run --experiment ratings`)."
      for key, group in runs |> List.groupBy (fun r -> r.Experiment, r.Dataset, r.TrainFraction) |> List.sortBy (fun ((e, d, f), _) -> e, d, -f) do
          yield! tableBlocks 3 relative key group
      if not broken.IsEmpty then
          Paragraph "Rating run files that could not be read:"
          Bullets [ for f, why in broken -> sprintf "`%s`: %s" (relative f) why ] ]
