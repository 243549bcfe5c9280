/// `repro tune`: every point of a model's grid into its own run folder, selection by validation
/// NDCG@100, a table of the points and the chosen point's test metrics (tune.md, tune.json).
module Repro.Cli.TuneCommand

open System
open System.IO
open System.Threading
open Argu
open Repro.Harness
open Repro.Cli.Arguments

let run (dataDir: string) (args: ParseResults<TuneArgs>) (commandLine: string) : int =
    let modelName = args.GetResult Model
    let gridName = args.GetResult(Grid, defaultValue = "paper")
    match TrainCommand.modelAssignments modelName None (args.TryGetResult Epochs) (args.GetResults Set)
          |> Result.bind (fun sets ->
              // The base point validates every name; a "v1,v2" list is checked through its first value.
              ModelSpec.parse modelName (sets |> List.map (fun a -> match a.Split('=', 2) with [| n; v |] -> n + "=" + v.Split(',').[0] | _ -> a))
              |> Result.bind (fun spec -> Grids.withFixed gridName spec sets |> Result.map (fun grid -> spec, grid))) with
    | Error why -> TrainCommand.fail why
    | Ok _ when args.TryGetResult Protocol = Some "weak-refit" ->
        // A refit's validation numbers score items it trains on, so they cannot choose a grid point.
        TrainCommand.fail "tune selects on validation, which a refit no longer holds out: tune with --protocol weak, then refit the chosen point with 'repro train --protocol weak-refit'"
    | Ok(spec, grid) ->
    let request : Train.RunRequest =
        { Dataset = args.GetResult Dataset
          Split = args.TryGetResult Split
          Protocol = args.GetResult(Protocol, defaultValue = "strong")
          Heldout = args.TryGetResult Heldout
          Model = spec
          Seed = args.GetResult(Seed, defaultValue = 98765UL)
          Threads = args.GetResult(Threads, defaultValue = Environment.ProcessorCount)
          Command = commandLine }
    let out = Path.GetFullPath(args.GetResult Out)
    use stop = StopRequests.listen "Stopping after the current batch; the same command resumes the grid."
    printfn "Tuning %s on %s over the %s grid: %d points into %s" spec.Name request.Dataset gridName grid.Length out
    let points = TrainCommand.withProgress (fun progress -> Tune.run dataDir out request grid (fun m -> printfn "%s" m) progress stop.Token)
    Tune.write out request.Dataset spec.Name gridName commandLine points
    printfn ""
    printf "%s" (Tune.table points)
    match Tune.select points with
    | Some chosen ->
        printfn ""
        printfn "Chosen by validation NDCG@100: %s. Test, mean ± standard error:" (Path.GetFileName chosen.Folder)
        for line in Tune.testLines chosen do printfn "  %s" line
        printfn "Wrote %s and %s." (Path.Combine(out, "tune.md")) (Path.Combine(out, "tune.json"))
        let failed = points |> List.filter (fun p -> match p.Status with Tune.Failed _ -> true | _ -> false)
        if stop.Token.IsCancellationRequested then 130 elif failed.IsEmpty then 0 else 1
    | None ->
        eprintfn "error: no point finished"
        if stop.Token.IsCancellationRequested then 130 else 1
