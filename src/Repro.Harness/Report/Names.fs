/// What the report calls the ids that run folders record: datasets as the paper names them, a
/// table's protocol in words, and each experiment's title and place in the document. Headings follow
/// the paper, never folder names. An experiment not listed here is reported under "Beyond the paper"
/// with its id as its title, so a new experiment needs one line here to get a human title.
module Repro.Harness.Report.Names

open System

/// A dataset id (run.json's "dataset") as the paper or its source names it.
let dataset (id: string) =
    match id with
    | "ml-20m" -> "ML-20M"
    | "netflix" -> "Netflix"
    | "msd" -> "MSD"
    | "ml-100k" -> "MovieLens-100K"
    | "citeulike-a" -> "CiteULike-a"
    | "gowalla" -> "Gowalla"
    | "amusic" -> "AMusic"
    | "synthetic-tiny" -> "synthetic-tiny (generated data, not a result)"
    | other -> other

/// Datasets whose weak-generalisation split is a published fixed split, named after its source.
let private fixedSplits = [ "gowalla", "LightGCN's split" ]

/// run.json's protocol in words: "strong generalisation", "LightGCN's split (weak generalisation)".
let protocol (dataset: string) (protocol: string) =
    if protocol.StartsWith("strong", StringComparison.Ordinal) then "strong generalisation"
    elif protocol.StartsWith("weak", StringComparison.Ordinal) then
        match fixedSplits |> List.tryFind (fun (d, _) -> d = dataset) with
        | Some(_, split) -> sprintf "%s (weak generalisation)" split
        | None -> "weak generalisation"
    elif protocol.StartsWith("cdl-", StringComparison.Ordinal) then
        sprintf "CDL's split, P = %s training item(s) per user" (protocol.Substring(4).Split(' ').[0])
    elif protocol = "" then "protocol not recorded"
    else protocol.Split(',').[0]

/// A table's heading: "MovieLens-100K, strong generalisation".
let table (datasetId: string) (protocolText: string) = sprintf "%s, %s" (dataset datasetId) (protocol datasetId protocolText)

/// Where an experiment's tables go: a section of the paper, or beyond it.
type Place =
    | Table2
    | Table4
    | Figure1
    | Figure3
    | BeyondThePaper

type ExperimentName = { Id: string; Title: string; Place: Place }

/// Every experiment the report knows by name, in the order its sections appear; under "Beyond the
/// paper", experiments not listed follow in ordinal order of their ids.
let experiments =
    [ { Id = "paper"; Title = "Table 2: Mult-VAE^PR, Mult-DAE and the baselines on ML-20M, Netflix and MSD"; Place = Table2 }
      { Id = "likelihoods"; Title = "Table 4: multinomial, Gaussian and logistic likelihoods"; Place = Table4 }
      { Id = "annealing"; Title = "Figure 1: KL annealing"; Place = Figure1 }
      { Id = "activity"; Title = "Figure 3: NDCG@100 by user activity"; Place = Figure3 }
      { Id = "local"; Title = "Every model on MovieLens-100K, CiteULike-a and Gowalla"; Place = BeyondThePaper }
      { Id = "gowalla-lightgcn"; Title = "Mult-VAE^PR on Gowalla, LightGCN's split"; Place = BeyondThePaper }
      { Id = "ml-100k-seeds"; Title = "Mult-VAE^PR and Mult-DAE over five seeds on MovieLens-100K"; Place = BeyondThePaper }
      { Id = "baseline-tuning"; Title = "Baseline tuning on MovieLens-100K and Gowalla"; Place = BeyondThePaper }
      { Id = "taxonomy"; Title = "Autoencoder taxonomy and mixture priors on MovieLens-100K, CiteULike-a, Gowalla and AMusic"; Place = BeyondThePaper }
      { Id = "prior-kl"; Title = "The GMM prior's KL estimate: Monte Carlo at L = 1 and L = 5, and closed form"; Place = BeyondThePaper }
      { Id = "bpr-mf"; Title = "BPR-MF on MovieLens-100K, CiteULike-a and Gowalla"; Place = BeyondThePaper }
      { Id = "precision"; Title = "Mult-VAE^PR with fp32 and bf16 matrix products"; Place = BeyondThePaper }
      { Id = "beyond"; Title = "EASE, RecVAE and mixture-prior Mult-VAE^PR on ML-20M, Netflix and MSD"; Place = BeyondThePaper }
      { Id = "loca"; Title = "LOCA (Choi et al. 2021) on AMusic, LOCA's leave-5-by-time split"; Place = BeyondThePaper }
      { Id = "loca-strong"; Title = "LOCA-VAE and LOCA-EASE against their base models, strong generalisation"; Place = BeyondThePaper }
      { Id = "loca-q"; Title = "LOCA-EASE and LOCA-VAE against the number of local models q, strong generalisation"; Place = BeyondThePaper }
      { Id = "cdl-p1"; Title = "CDL's CiteULike-a split, one training item per user (sparse)"; Place = BeyondThePaper }
      { Id = "cdl-p10"; Title = "CDL's CiteULike-a split, ten training items per user (dense)"; Place = BeyondThePaper }
      { Id = "smoke"; Title = "CI smoke run on MovieLens-100K"; Place = BeyondThePaper }
      { Id = "synthetic"; Title = "Synthetic data (generated, not a result)"; Place = BeyondThePaper } ]

/// The experiment's entry, or one titled by its id under "Beyond the paper".
let experiment (id: string) =
    experiments |> List.tryFind (fun e -> e.Id = id) |> Option.defaultValue { Id = id; Title = sprintf "Experiment %s" id; Place = BeyondThePaper }

/// Datasets in the order the report lists them within an experiment: the paper's, then the local ones.
let datasetOrder = [ "ml-20m"; "netflix"; "msd"; "ml-100k"; "citeulike-a"; "gowalla" ]

/// Compares dataset ids by <see cref="datasetOrder"/>, others after them in ordinal order.
let compareDatasets (a: string) (b: string) =
    let rank d = match List.tryFindIndex ((=) d) datasetOrder with Some i -> i | None -> datasetOrder.Length
    match compare (rank a) (rank b) with
    | 0 -> String.CompareOrdinal(a, b)
    | c -> c

/// A commit as tables show it: 7 hex digits, keeping a "-dirty" mark; anything else as recorded.
let shortCommit (commit: string) =
    let hex, rest =
        match commit.IndexOf '-' with
        | -1 -> commit, ""
        | i -> commit.Substring(0, i), commit.Substring i
    if hex.Length > 7 && hex |> Seq.forall Uri.IsHexDigit then hex.Substring(0, 7) + rest else commit
