/// Estimated cost of runs, from speeds measured on the development machine (2 cores, 23 GB; `repro
/// bench vae` and `repro bench baselines`, README "Baseline models"), scaled from the ML-20M shape by
/// training users x items (EASE: cubic in items). The one place these figures live; `repro
/// experiments` and the runner's ETA use them. Estimates, not promises: within a factor of two.
module Repro.Harness.Cost

open System

/// Training users and items after preprocessing and the split, per dataset (Table 1 for the paper's
/// datasets, spec 1.3; `repro data stats` with the held-out counts of the experiments for ml-100k,
/// citeulike-a, gowalla, lastfm-2k and ml-latest-small; rounded figures for the other MovieLens sets).
type Shape = { TrainUsers: int; Items: int }

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
           "synthetic-tiny", { TrainUsers = 140; Items = 80 }
           "synthetic-ml20m", { TrainUsers = 116_677; Items = 20_108 } ]

/// The dataset's shape with <paramref name="heldout"/> users per held-out set, when known.
let shape (dataset: string) (heldout: int option) =
    match shapes.TryGetValue dataset with
    | true, s ->
        // The table's training users assume the dataset's own held-out count; adjust for another.
        let own = Datasets.find dataset |> Result.map (fun d -> d.HeldOut) |> Result.defaultValue 0
        let users = match heldout with Some h -> max 1 (s.TrainUsers + 2 * (own - h)) | None -> s.TrainUsers
        Some { s with TrainUsers = users }
    | _ -> None

let private ml20m = shapes.["ml-20m"]

// Measured at the ML-20M shape on this machine (2 threads).
let private multVaeSecondsPerEpoch = 67.0 // hidden 600, latent 200, batch 500
let private multDaeSecondsPerEpoch = 25.0 // hidden 200
let private easeSecondsPerFit = 87.0 // at 20k items; cubic in items
let private wmfSecondsPerIteration = 34.0 // K = 200; linear in K
// Measured full fit at the ML-20M shape (bench slim-full, 183 s at l1 = l2 = 1). Scaled by items^1.3 x
// training users^1.05, the exponents fitted to two more points at l1 = l2 = 1: MSD's shape (bench
// slim-msd, 2,014 s extrapolated from 1,024 columns) and Gowalla (the local experiment, 89 s). Lower
// l1 costs more (Gowalla at l1 = l2 = 0.1: 677 s).
let private slimSecondsPerFit = 183.0
let private cdaeSecondsPerEpoch = 56.0 // bottleneck 200: ~38 s of steps + ~18 s of validation fold-in (bench cdae, idle estimate)
// 3 encoder passes + 1 decoder pass: measured 43 s per epoch on Gowalla (23,858 users x 40,981 items,
// the local experiment's run), scaled to ML-20M's users x items (0.417 of it).
let private recVaeSecondsPerEpoch = 103.0
/// Loading a cached split, evaluating and writing the run folder: a floor under every run.
let private overheadSeconds = 3.0

/// Estimated seconds for one run of <paramref name="model"/> on a dataset of this shape.
let seconds (s: Shape) (model: ModelSpec.ModelSpec) =
    let scale = float s.TrainUsers * float s.Items / (float ml20m.TrainUsers * float ml20m.Items)
    let items = float s.Items / float ml20m.Items
    overheadSeconds
    + match model with
      | ModelSpec.MultVae h -> multVaeSecondsPerEpoch * scale * float h.Epochs * (float (max h.Hidden h.Latent) / 600.0)
      | ModelSpec.MultDae h -> multDaeSecondsPerEpoch * scale * float h.Epochs * (float (max h.Hidden 1) / 200.0)
      | ModelSpec.Popularity -> 0.0
      | ModelSpec.Ease _ -> easeSecondsPerFit * items * items * items
      | ModelSpec.Wmf h -> wmfSecondsPerIteration * scale * float h.Iterations * float h.Factors / 200.0
      | ModelSpec.Slim _ -> slimSecondsPerFit * Math.Pow(items, 1.3) * Math.Pow(float s.TrainUsers / float ml20m.TrainUsers, 1.05)
      | ModelSpec.Cdae h -> cdaeSecondsPerEpoch * scale * float h.Epochs * (float (max h.Hidden 1) / 200.0)
      | ModelSpec.RecVae h -> recVaeSecondsPerEpoch * scale * float h.Epochs

/// Estimated seconds for a run, or None when the dataset's shape is unknown.
let ofRun (r: Experiment.Run) =
    shape r.Setup.Dataset r.Setup.Heldout |> Option.map (fun s -> seconds s r.Model)

/// "3 h 20 min", "12 min", "40 s".
let format (seconds: float) =
    let t = TimeSpan.FromSeconds seconds
    if t.TotalDays >= 2.0 then sprintf "%.0f days" t.TotalDays
    elif t.TotalHours >= 1.0 then sprintf "%d h %02d min" (int t.TotalHours) t.Minutes
    elif t.TotalMinutes >= 1.0 then sprintf "%d min" (int (Math.Round t.TotalMinutes))
    else sprintf "%.0f s" seconds
