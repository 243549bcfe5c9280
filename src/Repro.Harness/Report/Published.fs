/// Every published number the report compares against, transcribed from the specification
/// (../shared/spec/paper.md §3.2, §4 and §5.1) with the status tag the specification gives it.
/// Keyed by dataset as the registry spells it (ml-20m, netflix, msd, gowalla), model as the report's
/// row labels spell it (ModelSpec.Label, experiment.json "group") and metric as MetricSpec names it.
module Repro.Harness.Report.Published

/// One published number.
type PublishedValue =
    { Dataset: string
      /// The row label our runs use for the same model (ModelSpec.Label or an experiment's group).
      Model: string
      Metric: string
      Value: float
      /// Where it comes from and how far to trust it: paper, table and the specification's tag.
      Source: string }

/// A block of numbers from one source: dataset, source, and rows of (model, values in metric order, tag).
let private block dataset (metrics: string list) source (rows: (string * float list * string) list) =
    [ for model, values, tag in rows do
        if values.Length <> metrics.Length then failwithf "Published: %s %s has %d values for %d metrics" dataset model values.Length metrics.Length
        for metric, value in List.zip metrics values do
            { Dataset = dataset; Model = model; Metric = metric; Value = value; Source = sprintf "%s %s" source tag } ]

/// The paper's three metrics, in Table 2's column order.
let paperMetrics = [ "Recall@20"; "Recall@50"; "Ndcg@100" ]

/// LightGCN's metrics (recall = hits / targets, binary ndcg), spec §5.1.
let lightGcnMetrics = [ "RecallLightGcn@20"; "NdcgLightGcn@20" ]

/// The paper's three datasets (Table 2).
let paperDatasets = [ "ml-20m"; "netflix"; "msd" ]

let private table2 = "Liang et al. 2018, Table 2 (spec §3.2)"
let private later paper = sprintf "%s (spec §4)" paper
let private notebook = "reference notebook run, cells 75 and 92 (spec §3.2) [V: NB]"

let values : PublishedValue list =
    [ yield! block "ml-20m" paperMetrics table2
        [ "Mult-VAE^PR", [ 0.395; 0.537; 0.426 ], "[V2: VALDOC, VASP; NB run rounds to these]"
          "Mult-DAE", [ 0.387; 0.524; 0.419 ], "[V2: hyper.ai, VALDOC, VASP; NB run rounds to these]"
          "WMF", [ 0.360; 0.498; 0.386 ], "[M]"
          "SLIM", [ 0.370; 0.495; 0.401 ], "[M]"
          "CDAE", [ 0.391; 0.523; 0.418 ], "[M]" ]
      yield! block "netflix" paperMetrics table2
        [ "Mult-VAE^PR", [ 0.351; 0.444; 0.386 ], "[V2: VALDOC, VASP]"
          "Mult-DAE", [ 0.344; 0.438; 0.380 ], "[V2: PWC, VALDOC, VASP]"
          "WMF", [ 0.316; 0.404; 0.351 ], "[M]"
          "SLIM", [ 0.347; 0.428; 0.379 ], "[M]"
          "CDAE", [ 0.343; 0.428; 0.376 ], "[M]" ]
      // SLIM did not finish on MSD (spec §3.2): no row.
      yield! block "msd" paperMetrics table2
        [ "Mult-VAE^PR", [ 0.266; 0.364; 0.316 ], "[V2: PWC/hyper.ai, NOTES, VALDOC]"
          "Mult-DAE", [ 0.266; 0.363; 0.313 ], "[V2: PWC, NOTES, VALDOC]"
          "WMF", [ 0.211; 0.312; 0.257 ], "[V: NOTES]"
          "CDAE", [ 0.188; 0.283; 0.237 ], "[V: NOTES]" ]
      yield! block "ml-20m" paperMetrics notebook
        [ "Mult-VAE^PR (notebook run)", [ 0.39535; 0.53540; 0.42592 ], ""
          "Mult-DAE (notebook run)", [ 0.38768; 0.52426; 0.41997 ], "" ]
      yield! block "ml-20m" paperMetrics (later "EASE^R, Steck WWW 2019, Table 1") [ "EASE", [ 0.391; 0.521; 0.420 ], "[V: VALDOC, VASP]" ]
      yield! block "netflix" paperMetrics (later "EASE^R, Steck WWW 2019, Table 1") [ "EASE", [ 0.362; 0.445; 0.393 ], "[V: VALDOC, VASP]" ]
      yield! block "msd" paperMetrics (later "EASE^R, Steck WWW 2019, Table 1") [ "EASE", [ 0.333; 0.428; 0.389 ], "[V: VALDOC]" ]
      yield! block "ml-20m" paperMetrics (later "RaCT, Lobel et al. ICLR 2020") [ "RaCT", [ 0.403; 0.543; 0.434 ], "[V: PWC]" ]
      yield! block "netflix" paperMetrics (later "RaCT, Lobel et al. ICLR 2020") [ "RaCT", [ 0.357; 0.450; 0.392 ], "[M]" ]
      yield! block "msd" paperMetrics (later "RaCT, Lobel et al. ICLR 2020") [ "RaCT", [ 0.268; 0.364; 0.319 ], "[V: PWC]" ]
      yield! block "ml-20m" paperMetrics (later "H+Vamp (Gated), Kim & Suh RecSys 2019") [ "H+Vamp (Gated)", [ 0.41308; 0.55109; 0.44522 ], "[V: PWC, VASP]" ]
      yield! block "netflix" paperMetrics (later "H+Vamp (Gated), Kim & Suh RecSys 2019") [ "H+Vamp (Gated)", [ 0.37678; 0.46252; 0.40861 ], "[V: PWC, VASP]" ]
      yield! block "ml-20m" paperMetrics (later "RecVAE, Shenbin et al. WSDM 2020") [ "RecVAE", [ 0.414; 0.553; 0.442 ], "[V: VASP]" ]
      yield! block "netflix" paperMetrics (later "RecVAE, Shenbin et al. WSDM 2020") [ "RecVAE", [ 0.361; 0.452; 0.394 ], "[V: VASP]" ]
      yield! block "msd" [ "Recall@20"; "Recall@50" ] (later "RecVAE, Shenbin et al. WSDM 2020") [ "RecVAE", [ 0.276; 0.374 ], "[M]" ]
      yield! block "msd" [ "Ndcg@100" ] (later "RecVAE, Shenbin et al. WSDM 2020") [ "RecVAE", [ 0.326 ], "[V: blog quoting RecVAE Table 1]" ]
      yield! block "ml-20m" paperMetrics (later "VASP, Vančura & Kordík 2021, Table III") [ "VASP", [ 0.414; 0.552; 0.448 ], "[V: VASP, PWC]" ]
      yield! block "netflix" paperMetrics (later "VASP, Vančura & Kordík 2021, Table III") [ "VASP", [ 0.372; 0.457; 0.406 ], "[V: VASP, PWC]" ]
      // LightGCN's own protocol and metrics; its "Mult-VAE" row is the same model as our Mult-VAE^PR.
      yield! block "gowalla" lightGcnMetrics "LightGCN, He et al. SIGIR 2020, Table 4 (spec §5.1) [V: LGCN-T]"
        [ "NGCF", [ 0.1570; 0.1327 ], ""
          "Mult-VAE^PR", [ 0.1641; 0.1335 ], "(row 'Mult-VAE')"
          "GRMF", [ 0.1477; 0.1205 ], ""
          "GRMF-norm", [ 0.1557; 0.1261 ], ""
          "LightGCN", [ 0.1830; 0.1554 ], "" ]
      // LOCA's main table (slides p.21 = poster; spec seed-models 1.4), AMusic row. The recall column
      // is Recall@20 (hits / targets): the authors' code gives EASE's 0.0717 at k = 20, not 100.
      // Their protocol selects on the test set (spec 1.3); ours selects on a validation part. Their
      // evaluator counts a repeated test item each time (RecallLoca, NdcgLoca); runs without those
      // metrics are set beside the same values on hits / distinct targets.
      let locaRow =
        [ "CDAE", [ 0.0588; 0.0712 ], "(NDCG printed 0.712; read as 0.0712)"
          "Mult-VAE [I-200-I]", [ 0.0681; 0.0822 ], "(row 'MultVAE')"
          "EASE", [ 0.0717; 0.0821 ], "(row 'EASE^R')"
          "RecVAE", [ 0.0582; 0.0810 ], ""
          "LOCA-VAE", [ 0.0748; 0.0893 ], ""
          "LOCA-EASE", [ 0.0717; 0.0826 ], "" ]
      let locaSource = "LOCA, Choi et al. WSDM 2021, main table (spec seed-models 1.4) [V: LOCA-SLIDES, poster]"
      yield! block "amusic" [ "RecallLoca@20"; "NdcgLoca@100" ] locaSource locaRow
      yield! block "amusic" [ "RecallLightGcn@20"; "NdcgLightGcn@100" ] locaSource locaRow
      // NGCF's MF baseline is BPR-MF (no biases, BPR loss); its protocol is LightGCN's split.
      yield! block "gowalla" lightGcnMetrics "NGCF, Wang et al. SIGIR 2019, Table 2 (spec §2)"
        [ "BPR-MF", [ 0.1291; 0.1109 ], "[M] (row 'MF')" ] ]
    |> List.map (fun v -> { v with Source = v.Source.TrimEnd() })

/// What the paper says of its standard errors, per dataset (spec §3.2).
let standardErrorNote (dataset: string) =
    match dataset with
    | "ml-20m" -> Some "Table 2's standard errors are around 0.002 for ML-20M."
    | "netflix" | "msd" -> Some "Table 2's standard errors are around 0.001 for Netflix and MSD."
    | _ -> None

/// The metrics a dataset's table shows: those with published numbers first, then the paper's.
let metricsFor (dataset: string) =
    let published = values |> List.filter (fun v -> v.Dataset = dataset) |> List.map _.Metric |> List.distinct
    published @ (paperMetrics |> List.filter (fun m -> not (List.contains m published)))

// Row labels that name the same model in our runs and in a source.
let private sameModel (group: string) (model: string) =
    let canonical (s: string) =
        match s with
        | "EASE^R" -> "EASE"
        | s -> s
    canonical group = canonical model

/// The published value for a row of ours: the first source listed above for that model.
let find (dataset: string) (group: string) (metric: string) : PublishedValue option =
    values |> List.tryFind (fun v -> v.Dataset = dataset && v.Metric = metric && sameModel group v.Model)

/// Every published row for a dataset, in the order above: (model, values by metric, sources).
let rowsFor (dataset: string) =
    values
    |> List.filter (fun v -> v.Dataset = dataset)
    |> List.groupBy _.Model
    |> List.map (fun (model, vs) -> model, vs)

/// A published rating-prediction number: RMSE or MAE of a model at a training fraction.
type PublishedRating =
    { Dataset: string
      /// Fraction of the ratings used for training (0.9 for AutoRec's 90/10).
      TrainFraction: float
      /// The row label of the `ratings` experiment's group for the same model.
      Model: string
      Metric: string
      Value: float
      Source: string }

/// Rating-prediction numbers (spec §4.2 and §6.2, both [V]): AutoRec's Table 2 on ML-1M (only the
/// ordering transfers to MovieLens-100K and ml-latest-small, spec §4.3) and mDA-CF's Table 3
/// (RMSE) and Table 5 (MAE, 5-fold cross-validation = 80% training, d = 20) on MovieLens-100K.
let ratingValues : PublishedRating list =
    let autoRec = "Sedhain et al. 2015 (AutoRec), Table 2, ML-1M 90/10 (spec §4.2) [V]"
    let table3 = "Li, Kawale, Fu 2015 (mDA-CF), Table 3, ML-100K (spec §6.2) [V]"
    let table5 = "Li, Kawale, Fu 2015 (mDA-CF), Table 5, ML-100K 5-fold CV, d = 20 (spec §6.2) [V]"
    [ for model, value in [ "I-AutoRec", 0.831; "U-AutoRec", 0.874; "Biased MF", 0.845 ] ->
        { Dataset = "ml-1m"; TrainFraction = 0.9; Model = model; Metric = "RMSE"; Value = value; Source = autoRec }
      for model, values in
          [ "PMF", [ 0.9184; 0.9164; 0.9223; 0.9190; 0.9524; 0.9506 ]
            "Biased MF", [ 0.8953; 0.8923; 0.9135; 0.9087; 0.9388; 0.9337 ]
            "mDA-CF", [ 0.8874; 0.8861; 0.9043; 0.9040; 0.9312; 0.9311 ]
            "mSDA-CF", [ 0.8852; 0.8849; 0.9035; 0.9024; 0.9309; 0.9308 ] ] do
          for (fraction, d), value in List.zip [ 0.99, 10; 0.99, 20; 0.8, 10; 0.8, 20; 0.5, 10; 0.5, 20 ] values ->
              { Dataset = "ml-100k"; TrainFraction = fraction; Model = sprintf "%s d=%d" model d; Metric = "RMSE"; Value = value; Source = table3 }
      for model, value in [ "PMF d=20", 0.793; "mDA-CF d=20", 0.683; "mSDA-CF d=20", 0.680 ] ->
          { Dataset = "ml-100k"; TrainFraction = 0.8; Model = model; Metric = "MAE"; Value = value; Source = table5 } ]
