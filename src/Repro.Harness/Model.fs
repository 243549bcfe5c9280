namespace Repro.Harness

open System
open System.Threading
open Repro.Core.Models
open Repro.Core.Protocols
open Repro.Core.Sparse
open Repro.Core.Training

/// Training users and items of a dataset after preprocessing and the split: what costs scale with.
type Shape = { TrainUsers: int; Items: int }

/// What a fitted model's fit gets besides its settings.
type FitContext =
    { Train: CsrMatrix
      Seed: uint64
      Threads: int
      /// Progress messages for the user.
      Say: string -> unit
      /// Steps of a long fit (WMF's sweeps, SLIM's columns), for progress bars.
      Progress: IProgress<TrainingProgress>
      /// Fires when the user stops the run; a long fit stops at its next step boundary.
      Cancel: CancellationToken
      /// The dataset's item content for a vocabulary of S terms (one row per item column of Train;
      /// CiteULike-a's tags), for the models that read it (CDL); Error says why there is none.
      ItemContent: int -> Result<CsrMatrix, string>
      /// The validation users, for a fit that selects on them inside (LOCA-VAE's local early stopping);
      /// None in a refit, whose training rows hold the validation events.
      Validation: HeldOutSet option
      /// A folder for what fits with the same inputs share (LOCA's embedding Mult-VAE), keyed by
      /// content; None: nothing is kept.
      CacheDir: string option }

/// How a model comes to be. Hyper records travel as obj here; `Models.fs` wraps each model's typed
/// functions.
type Making =
    /// Trained by the shared training driver: built from the item count, its settings and a seed.
    | Trained of create: (int -> obj -> uint64 -> ITrainableRecommender)
    /// Fitted in one call on the training matrix, and loaded from the file it was saved to.
    | Fitted of fit: (FitContext -> obj -> IRecommender) * load: (string -> IRecommender)

/// One model of the catalogue (`Models.all`): everything the harness and the command line know of it.
[<ReferenceEquality>]
type ModelEntry =
    { /// The command-line name, also used in run folder names.
      Name: string
      /// Other names the command line accepts.
      Aliases: string list
      /// The name tables use.
      Label: string
      /// One line for `repro models` and help texts.
      Description: string
      /// The hyper record's type and its Paper value.
      HyperType: Type
      Paper: obj
      /// Settings that train or fit in seconds on a few hundred users and 64 items: what the
      /// contract tests every model passes use.
      Tiny: obj
      Making: Making
      /// The paper's grid around a point: the grid's settings vary, every other setting keeps the point's value.
      Grid: obj -> obj list
      /// Estimated seconds for one run on a dataset of this shape on the 2-core machine, without the
      /// per-run overhead (`Cost.seconds` adds it).
      Cost: Shape -> obj -> float }

    member e.IsFitted =
        match e.Making with
        | Fitted _ -> true
        | Trained _ -> false

/// A model with every one of its settings: what an experiment lists, a run records and `repro
/// train --model NAME --set name=value` builds. Two specs are equal when they name the same model
/// with the same settings.
[<CustomEquality; NoComparison>]
type ModelSpec =
    { Entry: ModelEntry
      /// The model's hyper record (a C# record of the entry's HyperType).
      Hyper: obj }

    /// The command-line name, also used in run folder names.
    member m.Name = m.Entry.Name
    /// The name tables use.
    member m.Label = m.Entry.Label
    /// Every setting as (kebab-name, text), as run.json records them.
    member m.Settings : (string * string) list = Settings.describe m.Hyper
    /// True for models fitted in one call (no epochs, no training driver).
    member m.IsFitted = m.Entry.IsFitted

    override m.Equals(other: obj) =
        match other with
        | :? ModelSpec as o -> o.Name = m.Name && o.Settings = m.Settings
        | _ -> false

    override m.GetHashCode() = hash (m.Name, m.Settings)
    override m.ToString() = sprintf "%s %A" m.Name m.Settings
