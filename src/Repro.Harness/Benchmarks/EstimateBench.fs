/// `repro bench estimates`: how the cost model's estimates compare with the time recorded runs took.
/// It reads run folders, never runs anything: the training seconds in each finished run's epochs.tsv
/// (its selection run's too under a refit protocol) against the estimate for the run's model, dataset
/// and recorded thread count. Fitted models (EASE, SLIM, WMF's closed form, LOCA's local models) keep
/// no per-epoch times and are left out, as are runs recorded without their thread count.
module Repro.Harness.Benchmarks.EstimateBench

open System
open System.IO
open System.Text.Json
open Repro.Harness

/// One finished run: its model, recorded threads and load at start, training seconds and estimate.
type Measured =
    { Model: string
      Dataset: string
      Threads: int
      Load: float option
      Seconds: float
      Estimate: float }
    member m.Ratio = m.Seconds / m.Estimate

/// The summed `seconds` column of an epochs.tsv, or None when the file or the column is absent.
let private trainingSeconds (path: string) =
    if not (File.Exists path) then None else
    match File.ReadAllLines path |> List.ofArray with
    | header :: rows ->
        match Array.tryFindIndex ((=) "seconds") (header.Split '\t') with
        | Some column ->
            Some(rows |> List.filter (fun l -> l.Trim() <> "") |> List.sumBy (fun l -> float ((l.Split '\t').[column])))
        | None -> None
    | [] -> None

/// The runs of <paramref name="experiments"/> finished under <paramref name="results"/> that recorded
/// their training time and thread count.
let measure (results: string) (experiments: Experiment.Experiment list) =
    [ for e in experiments do
        for r in Experiment.runs None e do
            let folder = r.Folder results
            let runJson = Path.Combine(folder, "run.json")
            if File.Exists runJson && RunFolder.isFinished folder then
                match trainingSeconds (Path.Combine(folder, "epochs.tsv")) with
                | None -> ()
                | Some own ->
                    let selection = trainingSeconds (Path.Combine(folder, Train.SelectionFolderName, "epochs.tsv")) |> Option.defaultValue 0.0
                    use d = JsonDocument.Parse(File.ReadAllText runJson)
                    let root = d.RootElement
                    match root.TryGetProperty "threads" with
                    | true, t when t.ValueKind = JsonValueKind.Number ->
                        let threads = t.GetInt32()
                        let load = match root.TryGetProperty "loadAverage" with | true, l when l.ValueKind = JsonValueKind.Number -> Some(l.GetDouble()) | _ -> None
                        match Experiment.estimatedSeconds threads r with
                        | Some estimate -> yield { Model = r.Model.Name; Dataset = r.Setup.Dataset; Threads = threads; Load = load; Seconds = own + selection; Estimate = estimate }
                        | None -> ()
                    | _ -> () ]

/// The lines of the comparison: per model, dataset and thread count, then per thread count.
let lines (measured: Measured list) =
    let row (name: string) (ms: Measured list) =
        let ratios = ms |> List.map _.Ratio
        let within = ratios |> List.filter (fun x -> x >= 0.5 && x <= 2.0) |> List.length
        let loads = ms |> List.choose _.Load
        sprintf "%-36s %7d %6d %8.2f %7.2f %7.2f %10s %12s" name ms.Head.Threads ms.Length (Machine.median ratios) (List.min ratios) (List.max ratios)
            (sprintf "%d/%d" within ms.Length) (if loads.IsEmpty then "n/a" else sprintf "%.1f" (Machine.median loads))
    [ yield "Recorded training time against the estimate (measured / estimated; the estimate is for an idle machine):"
      yield sprintf "%-36s %7s %6s %8s %7s %7s %10s %12s" "model" "threads" "runs" "median" "min" "max" "within 2x" "median load"
      for (model, dataset, _), ms in measured |> List.groupBy (fun m -> m.Model, m.Dataset, m.Threads) |> List.sortBy fst do
          yield row (sprintf "%s on %s" model dataset) ms
      yield ""
      for threads, ms in measured |> List.groupBy _.Threads |> List.sortBy fst do
          yield row "all models" ms ]

/// Prints the comparison for the run folders under <paramref name="results"/>.
let run (results: string) (experiments: Experiment.Experiment list) =
    let measured = measure results experiments
    if measured.IsEmpty then printfn "No finished run under %s recorded its training time and threads." results
    else lines measured |> List.iter (printfn "%s")
