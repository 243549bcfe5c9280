/// An experiment as a value (STYLE.md "An experiment is a value"): datasets, each with its protocol,
/// x the models listed for that dataset (grids are list comprehensions over ModelSpec values)
/// x seeds. `runs` expands it into the runs the runner does, each with its folder, its settings hash
/// and its derived seed.
module Repro.Harness.Experiment

open System
open System.Security.Cryptography
open System.Text
open Repro.Core.Training

/// One dataset of an experiment and how it is evaluated.
type DatasetSetup =
    { /// A registry name (Datasets.all).
      Dataset: string
      Protocol: Protocol
      /// Held-out users per set under the strong protocol; None: the dataset's own (Datasets.fs).
      Heldout: int option
      /// Training epochs for trained models on this dataset (spec 2.1: 200 ML-20M, 100 Netflix/MSD).
      Epochs: int }

/// One model of an experiment: the row of the report it belongs to and the model with its settings.
/// Several arms with the same group and different settings are grid points of that row.
type Arm = { Group: string; Model: ModelSpec }

type Experiment =
    { Id: string
      /// One line: what the experiment reproduces (paper table or figure).
      Title: string
      Datasets: DatasetSetup list
      /// The arms run on one dataset (a function of the setup so epochs and grids can follow it).
      Models: DatasetSetup -> Arm list
      /// Metric names the report shows (Repro.Core.Metrics.MetricSpec names); Train computes the
      /// protocol's metrics, of which these are a subset.
      Metrics: string list
      /// Seeds per (dataset, arm); run seeds are derived from the seed index (`runSeed`).
      Seeds: int }

/// The paper's metrics (spec 1.4).
let paperMetrics = [ "Recall@20"; "Recall@50"; "Ndcg@100" ]

/// The strong protocol with the dataset's own held-out counts.
let strong dataset epochs = { Dataset = dataset; Protocol = Strong; Heldout = None; Epochs = epochs }

/// An arm whose group is the model's label.
let arm (model: ModelSpec) = { Group = model.Label; Model = model }

/// The settings hash that names run folders (ModelSpec.settingsHash: 8 hex digits of SHA-256).
let settingsHash (model: ModelSpec) = ModelSpec.settingsHash model

/// A stable 64-bit label for a name (first 8 bytes of its SHA-256), for seed derivation.
let private label (text: string) =
    BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes text), 0)

/// The root every run seed is derived from: the notebook's seed (NB cell 17, spec 1.2).
let rootSeed = 98765UL

/// A run's seed, derived from (experiment, dataset, model name, seed index) (STYLE.md "Seeds are
/// derived"). Grid points of one model share it, so they differ only by their settings.
let runSeed (experiment: string) (dataset: string) (model: string) (seedIndex: int) =
    TrainingDriver.DeriveSeed(rootSeed, ReadOnlySpan [| label experiment; label dataset; label model; uint64 seedIndex |])

/// One run of an experiment: what to train and where its folder goes.
type Run =
    { Experiment: string
      Setup: DatasetSetup
      Group: string
      Model: ModelSpec
      SettingsHash: string
      /// 1-based seed index (the folder's s<N>).
      SeedIndex: int
      /// The derived seed the run trains with.
      Seed: uint64 }

    /// "<dataset>/<model>-<hash8>-s<seed>": the folder under results/<experiment>/, and the id that
    /// `repro run --only` selects.
    member r.Id = sprintf "%s/%s-%s-s%d" r.Setup.Dataset r.Model.Name r.SettingsHash r.SeedIndex

    /// results/<experiment>/<dataset>/<model>-<hash8>-s<seed>/ under <paramref name="results"/>.
    member r.Folder(results: string) =
        IO.Path.Combine(results, r.Experiment, r.Setup.Dataset, sprintf "%s-%s-s%d" r.Model.Name r.SettingsHash r.SeedIndex)

/// Every run of the experiment, datasets in order, then arms, then seeds; <paramref name="seeds"/>
/// overrides the experiment's seed count. Identical arms (same group and settings) are one run.
let runs (seeds: int option) (e: Experiment) : Run list =
    let count = defaultArg seeds e.Seeds
    [ for setup in e.Datasets do
        let arms = e.Models setup |> List.distinctBy (fun a -> a.Group, a.Model.Name, settingsHash a.Model)
        for a in arms do
            for s in 1 .. count ->
                { Experiment = e.Id; Setup = setup; Group = a.Group; Model = a.Model; SettingsHash = settingsHash a.Model
                  SeedIndex = s; Seed = runSeed e.Id setup.Dataset a.Model.Name s } ]

/// Whether <paramref name="selector"/> picks the run id: a pattern with '*' is a glob over the whole
/// id; otherwise the id equals it or starts with it followed by '/' or '-' ("ml-100k",
/// "ml-100k/mult-vae", or an exact id). Several selectors may be given, separated by commas.
let selects (selector: string) (id: string) =
    let one (p: string) =
        if p.Contains '*' then
            let regex = "^" + (p.Split('*') |> Array.map RegularExpressions.Regex.Escape |> String.concat ".*") + "$"
            RegularExpressions.Regex.IsMatch(id, regex)
        else id = p || id.StartsWith(p + "/") || id.StartsWith(p + "-")
    selector.Split(',', StringSplitOptions.RemoveEmptyEntries ||| StringSplitOptions.TrimEntries) |> Array.exists one

/// Estimated seconds for a run at <paramref name="threads"/> threads on an otherwise idle machine
/// (`Cost.seconds`, `Cost.forThreads`), or None when the dataset's shape is unknown. A refit protocol
/// runs the model twice (its selection run, then the refit, at most as long).
let estimatedSeconds (threads: int) (r: Run) =
    let runs = if r.Setup.Protocol.SelectedUnder.IsSome then 2.0 else 1.0
    Cost.shape r.Setup.Dataset r.Setup.Heldout |> Option.map (fun s -> Cost.forThreads threads (runs * Cost.seconds s r.Model))
