/// Estimated cost of runs: the datasets' shapes here, each model's measured speed and how it scales
/// in its catalogue entry (`Models.fs`, from `repro bench` on the development machine: 2 cores,
/// 23 GB). `repro experiments` and the runner's ETA use them. Estimates, not promises: within a
/// factor of two.
module Repro.Harness.Cost

open System

/// Training users and items (`Shape`) after preprocessing and the split, per dataset (Table 1 for the paper's
/// datasets, spec 1.3; `repro data stats` with the held-out counts of the experiments for ml-100k,
/// citeulike-a, gowalla, lastfm-2k and ml-latest-small; rounded figures for the other MovieLens sets).
let private shapes =
    dict [ "ml-20m", { TrainUsers = 116_677; Items = 20_108 }
           "netflix", { TrainUsers = 383_435; Items = 17_769 }
           "msd", { TrainUsers = 471_355; Items = 41_140 }
           "ml-25m", { TrainUsers = 142_000; Items = 24_000 }
           "ml-10m", { TrainUsers = 55_000; Items = 9_700 }
           "ml-1m", { TrainUsers = 4_840; Items = 3_500 }
           "ml-100k", { TrainUsers = 738; Items = 1_415 }
           "ml-latest-small", { TrainUsers = 503; Items = 5_697 }
           "gowalla", { TrainUsers = 23_858; Items = 40_981 }
           "citeulike-a", { TrainUsers = 4_551; Items = 16_940 }
           "lastfm-2k", { TrainUsers = 1_477; Items = 15_270 }
           // Leave-5-by-time: every user trains (spec seed-models 1.3; recounted).
           "amusic", { TrainUsers = 4_964; Items = 11_797 }
           "synthetic-tiny", { TrainUsers = 140; Items = 80 }
           "synthetic-ml20m", { TrainUsers = 116_677; Items = 20_108 } ]

/// Datasets whose strong-generalisation split (held-out users given) has another shape than their
/// own protocol's: AMusic under the paper's filter (users with at least 5 events) and 500 + 500
/// held-out users (`repro run` prints it: 12,256 training users, 11,747 items).
let private strongShapes = dict [ "amusic", ({ TrainUsers = 12_256; Items = 11_747 }, 500) ]

/// The dataset's shape with <paramref name="heldout"/> users per held-out set, when known.
let shape (dataset: string) (heldout: int option) =
    match strongShapes.TryGetValue dataset, heldout with
    | (true, (s, own)), Some h -> Some { s with TrainUsers = max 1 (s.TrainUsers + 2 * (own - h)) }
    | _ ->
    match shapes.TryGetValue dataset with
    | true, s ->
        // The table's training users assume the dataset's own held-out count; adjust for another.
        let own = Datasets.find dataset |> Result.map (fun d -> d.HeldOut) |> Result.defaultValue 0
        let users = match heldout with Some h -> max 1 (s.TrainUsers + 2 * (own - h)) | None -> s.TrainUsers
        Some { s with TrainUsers = users }
    | _ -> None

/// The ML-20M shape, where every model's speed was measured (2 threads).
let ml20m = shapes.["ml-20m"]

/// The thread count the models' speeds were measured with (2 cores, idle).
let measuredThreads = 2

/// An estimate made at <see cref="measuredThreads"/> for a run given <paramref name="threads"/>: fewer
/// threads take proportionally longer (the products are compute-bound; `repro bench estimates` checks
/// it against recorded runs); more are not assumed to be faster, since that was not measured.
let forThreads (threads: int) (seconds: float) =
    if threads >= 1 && threads < measuredThreads then seconds * float measuredThreads / float threads else seconds

/// Training users x items relative to ML-20M's: what a per-epoch or per-sweep time scales with.
let scale (s: Shape) = float s.TrainUsers * float s.Items / (float ml20m.TrainUsers * float ml20m.Items)

/// Items relative to ML-20M's.
let itemRatio (s: Shape) = float s.Items / float ml20m.Items

/// Loading a cached split, evaluating and writing the run folder: a floor under every run.
let overheadSeconds = 3.0

/// Estimated seconds for one run of <paramref name="model"/> on a dataset of this shape: its
/// catalogue entry's cost model plus the overhead.
let seconds (s: Shape) (model: ModelSpec) = overheadSeconds + model.Entry.Cost s model.Hyper

/// "3 h 20 min", "12 min", "40 s".
let format (seconds: float) =
    let t = TimeSpan.FromSeconds seconds
    if t.TotalDays >= 2.0 then sprintf "%.0f days" t.TotalDays
    elif t.TotalHours >= 1.0 then sprintf "%d h %02d min" (int t.TotalHours) t.Minutes
    elif t.TotalMinutes >= 1.0 then sprintf "%d min" (int (Math.Round t.TotalMinutes))
    else sprintf "%.0f s" seconds
