/// `repro tune`: every point of a model's grid into its own run folder, selection by validation
/// NDCG@100, a table of the points and the chosen point's test metrics (tune.md, tune.json).
module Repro.Cli.TuneCommand

open System
open System.IO
open System.Threading
open Argu
open Repro.Harness
open Repro.Cli.Arguments

let run (dataDir: string) (args: ParseResults<ModelArgs>) (commandLine: string) : int =
    let gridName = args.GetResult(Grid, defaultValue = "paper")
    match TrainCommand.request args commandLine
          |> Result.bind (fun request ->
              TrainCommand.assignments request.Model.Entry args
              |> Result.bind (Grids.withFixed gridName request.Model)
              |> Result.map (fun grid -> request, grid)) with
    | Error why -> Validation.usage why
    | Ok(request, _) when request.Protocol.SelectedUnder.IsSome ->
        // A refit's validation numbers score items it trains on, so they cannot choose a grid point.
        let under = request.Protocol.SelectedUnder.Value.Name
        Validation.usage (sprintf "tune selects on validation, which a refit no longer holds out: tune with --protocol %s, then refit the chosen point with 'repro train --protocol %s'" under request.Protocol.Name)
    | Ok(request, grid) ->
    let spec = request.Model
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
