/// `repro recommend --run DIR --items ID,ID,...`: top-N items for a new user from a finished run
/// (trained: best.weights; fitted: model.bin),
/// scored from those items alone (the way held-out users are scored), with titles where the
/// dataset has them.
module Repro.Cli.RecommendCommand

open System
open Argu
open Repro.Harness
open Repro.Cli.Arguments

let run (dataDir: string) (args: ParseResults<RecommendArgs>) : int =
    let items = (args.GetResult Items).Split(',', StringSplitOptions.RemoveEmptyEntries ||| StringSplitOptions.TrimEntries) |> List.ofArray
    match Recommend.recommend dataDir (args.GetResult Run) items (args.GetResult(Count, defaultValue = 10)) with
    | Error why ->
        eprintfn "error: %s" why
        1
    | Ok answer ->
        let titled (id: string, title: string option) = id + (match title with Some t -> "  " + t | None -> "")
        printfn "Top %d for a user of %s who has %s:" answer.Top.Length answer.Dataset (String.Join(", ", answer.Given |> List.map titled))
        answer.Top |> List.iteri (fun rank r ->
            printfn "%3d. %-10s %8.3f%s" (rank + 1) r.Item r.Score (match r.Title with Some t -> "  " + t | None -> ""))
        0
