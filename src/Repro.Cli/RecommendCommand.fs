/// `repro recommend --run DIR --items ID,ID,...`: top-N items for a new user from a finished run
/// (trained: best.weights; fitted: model.bin),
/// scored from those items alone (the way held-out users are scored), with titles where the
/// dataset has them.
module Repro.Cli.RecommendCommand

open System
open System.IO
open System.Text.Json
open Argu
open Repro.Core.Metrics
open Repro.Core.Models
open Repro.Core.Sparse
open Repro.Core.Training
open Repro.Harness
open Repro.Cli.Arguments

let private fail (message: string) =
    eprintfn "error: %s" message
    1

let run (dataDir: string) (args: ParseResults<RecommendArgs>) : int =
    let folder = args.GetResult Run
    let runJson = Path.Combine(folder, "run.json")
    let itemsFile = Path.Combine(folder, "items.txt")
    match [ runJson; itemsFile ] |> List.tryFind (File.Exists >> not) with
    | Some missing -> fail (sprintf "%s is not a finished run: %s is missing" folder missing)
    | None ->
        use doc = JsonDocument.Parse(File.ReadAllText runJson)
        let root = doc.RootElement
        // A trained model's best weights, or a fitted model's file.
        let load (spec: ModelSpec.ModelSpec) (items: int) : Result<IRecommender, string> =
            let file = Path.Combine(folder, if ModelSpec.isFitted spec then Train.FittedModelFileName else TrainingDriver.BestWeightsFileName)
            if not (File.Exists file) then Error(sprintf "%s is not a finished run: %s is missing" folder file)
            elif ModelSpec.isFitted spec then Train.loadFitted spec file
            else
                Train.createModel spec items 0UL
                |> Result.map (fun model ->
                    model.LoadWeights file
                    model :> IRecommender)
        let dataset = root.GetProperty("dataset").GetString()
        let settings = [ for p in root.GetProperty("settings").EnumerateObject() -> p.Name, p.Value.GetString() ]
        let itemIds = File.ReadAllLines itemsFile
        let column = itemIds |> Array.mapi (fun i id -> id, i) |> dict
        let requested = (args.GetResult Items).Split(',', StringSplitOptions.RemoveEmptyEntries ||| StringSplitOptions.TrimEntries)
        let unknown = requested |> Array.filter (column.ContainsKey >> not)
        if requested.Length = 0 then fail "--items lists no item"
        elif unknown.Length > 0 then
            fail (sprintf "item(s) %s are not in the model's vocabulary (%d items trained on, listed in %s)" (String.Join(", ", unknown)) itemIds.Length itemsFile)
        else
            match ModelSpec.ofSettings (root.GetProperty("model").GetString()) settings
                  |> Result.bind (fun spec -> load spec itemIds.Length) with
            | Error why -> fail why
            | Ok model ->
                use _ = model
                let columns = requested |> Array.map (fun id -> column.[id]) |> Array.distinct
                let foldIn = CsrMatrix.FromPairs(1, itemIds.Length, ReadOnlySpan(Array.zeroCreate columns.Length), ReadOnlySpan columns)
                let scores = Array.zeroCreate<float32> itemIds.Length
                model.Score(foldIn, ReadOnlySpan [| 0 |], Span scores)
                let top = Array.zeroCreate<int> (min (args.GetResult(Count, defaultValue = 10)) (itemIds.Length - columns.Length))
                let found = TopK.Select(ReadOnlySpan scores, ReadOnlySpan(Array.sort columns), Span top)
                let titles = Datasets.titles dataDir dataset
                let title (id: string) =
                    match titles with
                    | Some t -> match t.TryGetValue id with | true, name -> "  " + name | _ -> ""
                    | None -> ""
                printfn "Top %d for a user of %s who has %s:" found dataset (String.Join(", ", requested |> Array.map (fun id -> id + title id)))
                for rank in 0 .. found - 1 do
                    let id = itemIds.[top.[rank]]
                    printfn "%3d. %-10s %8.3f%s" (rank + 1) id scores.[top.[rank]] (title id)
                0
