/// The report's tables: per experiment, dataset and protocol, one row per group; each group's grid
/// point chosen by validation NDCG@100 alone; test metrics with the standard error that fits the
/// number of seeds; the published number beside each; and a paired t-test against Mult-VAE^PR.
module Repro.Harness.Report.Tables

open System
open Repro.Core.Metrics
open Repro.Harness.Report.RunIndex

/// The row label every other row is tested against (the paper's model).
let referenceGroup = "Mult-VAE^PR"

/// The row tested against in a table without the reference: popularity, the floor a model must clear.
let floorGroup = "Popularity"

/// Which standard error a row shows.
type StandardErrorKind =
    /// One run: the run's standard error over test users (population std / √users, as the paper).
    | OverUsers
    /// Several seeds: sample std of the per-seed means / √seeds.
    | OverSeeds of seeds: int

type Cell =
    { Mean: float
      StandardError: float
      Published: Published.PublishedValue option }
    member c.Difference = c.Published |> Option.map (fun p -> c.Mean - p.Value)
    /// |ours − published| ≤ 2 × our standard error.
    member c.Within2Se = c.Difference |> Option.map (fun d -> abs d <= 2.0 * c.StandardError)

/// Runs of one group with the same settings (one per seed).
type GridPoint =
    { SettingsHash: string
      Runs: Run list
      /// Mean over its seeds of each run's validation NDCG@100; None when a run lacks it.
      Selection: float option }

type Comparison =
    | IsReference
    | Tested of PairedTTestResult
    /// Tested against another row than the reference: a local model against its base model.
    | TestedAgainst of baseGroup: string * PairedTTestResult
    | NotTested of why: string

/// The row a LOCA row is tested against instead of the reference (spec seed-models 1: the claim is
/// LOCA-VAE over its Mult-VAE and LOCA-EASE over its EASE), among the table's groups.
let baseGroup (group: string) (groups: string list) =
    let wanted =
        match group with
        | "LOCA-VAE" -> [ "Mult-VAE [I-200-I]"; referenceGroup ]
        | "LOCA-EASE" -> [ "EASE" ]
        // A row of one number of local models (experiment loca-q) is tested as its model's row.
        | g when g.StartsWith "LOCA-VAE (q = " -> [ "Mult-VAE [I-200-I]"; referenceGroup ]
        | g when g.StartsWith "LOCA-EASE (q = " -> [ "EASE" ]
        | _ -> []
    wanted |> List.tryFind (fun g -> List.contains g groups)

type Row =
    { Group: string
      Chosen: GridPoint
      GridPoints: GridPoint list
      Kind: StandardErrorKind
      Cells: (string * Cell option) list
      Versus: Comparison }

type Table =
    { /// experiment.json's id; "" for unfiled runs.
      Experiment: string
      /// The parent folder of runs without experiment.json (RunIndex.Run.Unfiled).
      Unfiled: string option
      Dataset: string
      Protocol: string
      /// The heading: dataset and protocol in words ("Gowalla, LightGCN's split (weak generalisation)").
      Title: string
      /// Figure file names start with it: the experiment, then the dataset unless the experiment's id
      /// names it, then the protocol's first word only when the experiment has the dataset under
      /// several protocols ("gowalla-lightgcn", "local-ml-100k"); unique among the tables.
      FileStem: string
      Metrics: string list
      Rows: Row list }

let private ordinal (a: string) (b: string) = String.CompareOrdinal(a, b)

/// A row of one number of local models: "LOCA-EASE (q = 50)" is ("LOCA-EASE", 50) (experiment loca-q).
let localModelsOf (group: string) =
    let m = Text.RegularExpressions.Regex.Match(group, @"^(.+) \(q = (\d+)\)$")
    if m.Success then Some(m.Groups.[1].Value, int m.Groups.[2].Value) else None

/// Row labels in table order: ordinal, except that rows of one model at several q go by q (10 before 50 before 100).
let compareGroups (a: string) (b: string) =
    match localModelsOf a, localModelsOf b with
    | Some(ma, qa), Some(mb, qb) when ma = mb -> compare qa qb
    | _ -> ordinal a b

/// Runs of one group split by settings hash, in hash order.
let gridPoints (runs: Run list) : GridPoint list =
    runs
    |> List.groupBy _.SettingsHash
    |> List.sortWith (fun (a, _) (b, _) -> ordinal a b)
    |> List.map (fun (hash, rs) ->
        let rs = rs |> List.sortBy _.Seed
        let selection =
            if rs |> List.forall (fun r -> r.SelectionNdcg.IsSome) then Some(rs |> List.averageBy (fun r -> r.SelectionNdcg.Value)) else None
        { SettingsHash = hash; Runs = rs; Selection = selection })

let private isRefit (p: GridPoint) = p.Runs |> List.forall _.IsRefit

/// The grid point with the best mean validation NDCG@100; test metrics are never looked at. A refit
/// carries its selection run's number, so on a tie the refit wins (it is that selection, retrained on
/// the whole rows); other ties: the first hash. Points without a validation number compete only when
/// none has one.
let select (points: GridPoint list) : GridPoint =
    let better (p: GridPoint) (best: GridPoint) =
        p.Selection.Value > best.Selection.Value
        || (p.Selection.Value = best.Selection.Value && isRefit p && not (isRefit best))
    match points |> List.filter (fun p -> p.Selection.IsSome) with
    | [] -> List.head points
    | scored -> scored |> List.fold (fun best p -> if better p best then p else best) scored.Head

/// A metric's test value over a grid point's runs: one run, its own mean and standard error over
/// users; several, the mean over seeds and the across-seed standard error (Core's SeedSummary).
let summarise (runs: Run list) (metric: string) : (float * float) option =
    let values = runs |> List.choose (fun r -> r.Test |> List.tryFind (fun (n, _) -> n = metric) |> Option.map snd)
    match values with
    | [] -> None
    | _ when values.Length < runs.Length -> None
    | [ one ] -> Some(one.Mean, one.StandardError)
    | many ->
        let s = SeedSummary.Of(ReadOnlySpan(many |> List.map _.Mean |> Array.ofList))
        Some(s.Mean, s.StandardError)

/// Per-user values of a metric averaged over a grid point's seeds: the rows of the test fold-in
/// matrix, their fold-in counts when recorded, and each user's mean (None when a seed has no value).
type UserMeans = { Rows: int[]; FoldInItems: int[] option; Values: float option[] }

let userMeans (runs: Run list) (metric: string) : Result<UserMeans, string> =
    let tables = runs |> List.map (fun r -> readUsers r.Folder)
    match tables |> List.tryPick (function Error e -> Some e | _ -> None) with
    | Some e -> Error e
    | None ->
    let tables = tables |> List.map (function Ok t -> t | Error _ -> failwith "unreachable")
    let first = tables.Head
    match tables |> List.tryFind (fun t -> t.Rows <> first.Rows) with
    | Some t -> Error(sprintf "%s and %s list different test users" first.Path t.Path)
    | None ->
    match tables |> List.tryFind (fun t -> not (t.Metrics |> List.exists (fun (n, _) -> n = metric))) with
    | Some t -> Error(sprintf "%s has no %s column" t.Path metric)
    | None ->
    let columns = tables |> List.map (fun t -> t.Metrics |> List.find (fun (n, _) -> n = metric) |> snd)
    let values =
        Array.init first.Rows.Length (fun i ->
            let vs = columns |> List.map (fun c -> c.[i])
            if vs |> List.forall Option.isSome then Some(vs |> List.averageBy Option.get) else None)
    Ok { Rows = first.Rows; FoldInItems = first.FoldInItems; Values = values }

/// Paired t-test of a row against the reference on per-user NDCG@100, pairing users by row; only
/// when both list the same test users (and, where recorded, the same fold-in counts).
/// Tables in LOCA's protocol (`leave-5-by-time`) test on LOCA's NDCG@100 where every run records it,
/// else on LightGCN's.
let pairedTest (reference: Run list) (runs: Run list) : Comparison =
    let has metric = (reference @ runs) |> List.forall (fun r -> r.Test |> List.exists (fun (n, _) -> n = metric))
    let metric = [ "Ndcg@100"; "NdcgLoca@100"; "NdcgLightGcn@100" ] |> List.tryFind has |> Option.defaultValue "Ndcg@100"
    match userMeans reference metric, userMeans runs metric with
    | Error e, _ | _, Error e -> NotTested e
    | Ok a, Ok b when a.Rows <> b.Rows -> NotTested "the runs have different test users"
    | Ok a, Ok b when (match a.FoldInItems, b.FoldInItems with Some x, Some y -> x <> y | _ -> false) -> NotTested "the runs' test users have different fold-in counts (different splits)"
    | Ok a, Ok b ->
        let pairs = Array.zip a.Values b.Values |> Array.choose (function Some x, Some y -> Some(x, y) | _ -> None)
        if pairs.Length < 2 then NotTested "fewer than 2 users have values in both"
        // Δ = row − reference, as the table prints it.
        else Tested(PairedTTest.Run(ReadOnlySpan(Array.map snd pairs), ReadOnlySpan(Array.map fst pairs)))

let private clean (s: string) =
    String(s.ToLowerInvariant() |> Seq.map (fun c -> if Char.IsLetterOrDigit c || c = '-' || c = '.' then c else '-') |> Array.ofSeq).Trim('-')

/// File-name stems for tables keyed by (experiment, unfiled folder, dataset, protocol); see Table.FileStem.
let private fileStems (keys: (string * string option * string * string) list) =
    let stems =
        keys |> List.map (fun (experiment, unfiled, dataset, protocol) ->
            let owner =
                match unfiled with
                | Some folder -> [ "unfiled"; IO.Path.GetFileName(folder.TrimEnd('/', '\\')) ]
                | None -> [ experiment ]
            let protocols = keys |> List.filter (fun (e, u, d, _) -> e = experiment && u = unfiled && d = dataset) |> List.length
            let word = protocol.Split([| ' '; ','; '(' |], StringSplitOptions.RemoveEmptyEntries) |> Array.tryHead |> Option.defaultValue ""
            [ yield! owner
              if unfiled.IsSome || not (experiment.Contains dataset) then dataset
              if protocols > 1 then word ]
            |> List.map clean |> List.filter (fun s -> s <> "") |> String.concat "-")
    // Two tables whose protocols share their first word would share a stem: number the later ones.
    stems |> List.mapi (fun i stem ->
        match stems |> List.take i |> List.filter ((=) stem) |> List.length with
        | 0 -> stem
        | n -> sprintf "%s-%d" stem (n + 1))

/// One table per (experiment or unfiled folder, dataset, protocol), ordered by experiment id, unfiled
/// folder, dataset (Names.datasetOrder) and protocol; rows: the reference first, then by label.
let build (runs: Run list) : Table list =
    let groups =
        runs
        |> List.groupBy (fun r -> r.Experiment, r.Unfiled, r.Dataset, r.Protocol)
        |> List.sortWith (fun ((e1, u1, d1, p1), _) ((e2, u2, d2, p2), _) ->
            match ordinal e1 e2 with
            | 0 ->
                match ordinal (defaultArg u1 "") (defaultArg u2 "") with
                | 0 -> (match Names.compareDatasets d1 d2 with 0 -> ordinal p1 p2 | c -> c)
                | c -> c
            | c -> c)
    let stems = fileStems (groups |> List.map fst)
    List.zip groups stems
    |> List.map (fun (((experiment, unfiled, dataset, protocol), runs), stem) ->
        let present = runs |> List.collect (fun r -> r.Test |> List.map fst) |> Set.ofList
        let metrics =
            match Published.metricsFor dataset |> List.filter present.Contains with
            // A protocol with metrics of its own (CDL's split): as its runs record them.
            | [] -> runs |> List.collect (fun r -> r.Test |> List.map fst) |> List.distinct
            | shown -> shown
        let groups =
            runs
            |> List.groupBy _.Group
            |> List.sortWith (fun (a, _) (b, _) ->
                match a = referenceGroup, b = referenceGroup with
                | true, false -> -1
                | false, true -> 1
                | _ -> compareGroups a b)
            |> List.map (fun (group, runs) -> let points = gridPoints runs in group, points, select points)
        let reference = groups |> List.tryFind (fun (g, _, _) -> g = referenceGroup) |> Option.map (fun (_, _, c) -> c)
        let rows =
            [ for group, points, chosen in groups ->
                let cells =
                    [ for m in metrics ->
                        m, summarise chosen.Runs m |> Option.map (fun (mean, se) -> { Mean = mean; StandardError = se; Published = Published.find dataset group m }) ]
                let versus =
                    match baseGroup group (groups |> List.map (fun (g, _, _) -> g)), reference with
                    | Some b, _ ->
                        let _, _, chosenBase = groups |> List.find (fun (g, _, _) -> g = b)
                        match pairedTest chosenBase.Runs chosen.Runs with
                        | Tested t -> TestedAgainst(b, t)
                        | other -> other
                    | None, _ when group = referenceGroup -> IsReference
                    | None, Some r -> pairedTest r.Runs chosen.Runs
                    | None, None ->
                        match groups |> List.tryFind (fun (g, _, _) -> g = floorGroup) with
                        | Some _ when group = floorGroup -> IsReference
                        | Some(_, _, floor) ->
                            match pairedTest floor.Runs chosen.Runs with
                            | Tested t -> TestedAgainst(floorGroup, t)
                            | other -> other
                        | None -> NotTested(sprintf "no %s or %s row in this table" referenceGroup floorGroup)
                { Group = group; Chosen = chosen; GridPoints = points
                  Kind = (if chosen.Runs.Length = 1 then OverUsers else OverSeeds chosen.Runs.Length)
                  Cells = cells; Versus = versus } ]
        { Experiment = experiment; Unfiled = unfiled; Dataset = dataset; Protocol = protocol
          Title = Names.table dataset protocol; FileStem = stem; Metrics = metrics; Rows = rows })

/// A number as the tables print it: 4 decimals, "n/a" for NaN.
let f4 (x: float) = if Double.IsNaN x then "n/a" else x.ToString("0.0000", Globalization.CultureInfo.InvariantCulture)
/// A difference as the tables print it: 4 decimals with its sign ("+0.0082", "−0.0466").
let signed (x: float) = (if x >= 0.0 then "+" else "−") + f4 (abs x)

/// How a p-value is printed: 3 decimals, or 3 significant digits below 0.001.
let pValue (p: float) =
    let inv = Globalization.CultureInfo.InvariantCulture
    if Double.IsNaN p then "n/a"
    elif p = 0.0 then "0 (below double precision)"
    elif p >= 0.001 then p.ToString("0.000", inv)
    else p.ToString("0.00e+0", inv)

/// Metric names as the paper prints them.
let metricTitle (metric: string) =
    metric.Replace("AveragePrecision@", "AP@").Replace("NdcgLoca@", "LOCA NDCG@").Replace("RecallLoca@", "LOCA recall@").Replace("NdcgLightGcn@", "LightGCN ndcg@").Replace("RecallLightGcn@", "LightGCN recall@").Replace("Ndcg@", "NDCG@")

/// The table as header and rows of text cells (shared by the markdown and HTML renderings).
let cells (table: Table) : string list * string list list =
    let header =
        [ "Model"; "seeds"; "s.e. over"
          for m in table.Metrics do
              metricTitle m
              "published (Δ, within 2 s.e.)"
          sprintf "paired t-test vs %s (LOCA: vs its base model; without %s: vs %s), NDCG@100" referenceGroup referenceGroup (floorGroup.ToLowerInvariant()) ]
    let rows =
        [ for row in table.Rows ->
            [ row.Group
              (row.Chosen.Runs |> List.map (fun r -> string r.Seed) |> String.concat ", ")
              (match row.Kind with OverUsers -> "users (1 run)" | OverSeeds n -> sprintf "seeds (%d runs)" n)
              for _, cell in row.Cells do
                  match cell with
                  | None -> "—"; "—"
                  | Some c ->
                      sprintf "%s ± %s" (f4 c.Mean) (f4 c.StandardError)
                      match c.Published, c.Difference, c.Within2Se with
                      | Some p, Some d, Some within -> sprintf "%s (%s, %s)" (p.Value.ToString("0.000##", Globalization.CultureInfo.InvariantCulture)) (signed d) (if within then "yes" else "no")
                      | _ -> "—"
              match row.Versus with
              | IsReference -> "reference"
              | Tested t -> sprintf "Δ %s, t = %s, p = %s (%d users)" (signed t.MeanDifference) (t.T.ToString("0.00;−0.00", Globalization.CultureInfo.InvariantCulture)) (pValue t.PValue) t.Pairs
              | TestedAgainst(b, t) -> sprintf "vs %s: Δ %s, t = %s, p = %s (%d users)" b (signed t.MeanDifference) (t.T.ToString("0.00;−0.00", Globalization.CultureInfo.InvariantCulture)) (pValue t.PValue) t.Pairs
              | NotTested why -> sprintf "not tested: %s" why ] ]
    header, rows

/// A markdown table from header and rows (pipes in cells escaped).
let markdownTable (header: string list, rows: string list list) =
    let line (cells: string list) = "| " + String.Join(" | ", cells |> List.map (fun c -> c.Replace("|", "\\|"))) + " |"
    String.Join("\n", [ line header; "|" + String.replicate header.Length "---|"; yield! rows |> List.map line ]) + "\n"
