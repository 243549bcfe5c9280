/// Top-N items for a new user from a finished run folder (a trained model's best weights or a fitted
/// model's file), scored from the user's items alone, the way held-out users are scored.
module Repro.Harness.Recommend

open System
open System.IO
open System.Text.Json
open Repro.Core.Metrics
open Repro.Core.Sparse

/// What a run folder's run.json says was run: the dataset's label and the model with its settings.
type RunRecord = { Dataset: string; Model: ModelSpec }

/// Reads run.json in <paramref name="folder"/>; Error names the file and the problem.
let readRunRecord (folder: string) : Result<RunRecord, string> =
    let path = Path.Combine(folder, "run.json")
    if not (File.Exists path) then Error(sprintf "%s is not a run folder: %s is missing" folder path)
    else
        try
            use doc = JsonDocument.Parse(File.ReadAllText path)
            let root = doc.RootElement
            let text (name: string) =
                match root.TryGetProperty name with
                | true, v when v.ValueKind = JsonValueKind.String -> Ok(v.GetString())
                | _ -> Error(sprintf "%s: no \"%s\" text" path name)
            match text "dataset", text "model", root.TryGetProperty "settings" with
            | Ok dataset, Ok model, (true, settings) when settings.ValueKind = JsonValueKind.Object ->
                let pairs = [ for p in settings.EnumerateObject() -> p.Name, p.Value.GetString() ]
                ModelSpec.ofSettings model pairs
                |> Result.map (fun spec -> { Dataset = dataset; Model = spec })
                |> Result.mapError (fun why -> sprintf "%s: %s" path why)
            | Error why, _, _ | _, Error why, _ -> Error why
            | _ -> Error(sprintf "%s: no \"settings\" object" path)
        with :? JsonException as e -> Error(sprintf "%s is not valid JSON: %s" path e.Message)

/// One recommended item.
type Recommended = { Item: string; Score: float32; Title: string option }

/// The answer: the user's items (with titles) and the top items, best first.
type Answer = { Dataset: string; Given: (string * string option) list; Top: Recommended list }

/// The <paramref name="count"/> best items for a user who has <paramref name="items"/> (original ids),
/// from the finished run in <paramref name="folder"/>; titles where the dataset in
/// <paramref name="dataDir"/> has them.
let recommend (dataDir: string) (folder: string) (items: string list) (count: int) : Result<Answer, string> =
    let itemsFile = Path.Combine(folder, "items.txt")
    match readRunRecord folder with
    | Error why -> Error why
    | Ok _ when not (RunFolder.isFinished folder) ->
        // An interrupted run's best weights are those of an unfinished training: never served as its result.
        Error(sprintf "%s is not a finished run (metrics.json has no test part): run the same 'repro train' command again to finish it" folder)
    | Ok _ when not (File.Exists itemsFile) -> Error(sprintf "%s is not a finished run: %s is missing" folder itemsFile)
    | Ok record ->
    let itemIds = File.ReadAllLines itemsFile
    let column = itemIds |> Array.mapi (fun i id -> id, i) |> dict
    let unknown = items |> List.filter (column.ContainsKey >> not)
    if items.IsEmpty then Error "--items lists no item"
    elif not unknown.IsEmpty then
        Error(sprintf "item(s) %s are not in the model's vocabulary (%d items trained on, listed in %s)" (String.Join(", ", unknown)) itemIds.Length itemsFile)
    else
    match Execution.loadSaved record.Model folder itemIds.Length with
    | Error why -> Error why
    | Ok model ->
        use _ = model
        let columns = items |> List.map (fun id -> column.[id]) |> List.distinct |> Array.ofList
        let foldIn = CsrMatrix.FromPairs(1, itemIds.Length, ReadOnlySpan(Array.zeroCreate columns.Length), ReadOnlySpan columns)
        let scores = Array.zeroCreate<float32> itemIds.Length
        model.Score(foldIn, ReadOnlySpan [| 0 |], Span scores)
        let top = Array.zeroCreate<int> (min count (itemIds.Length - columns.Length))
        let found = TopK.Select(ReadOnlySpan scores, ReadOnlySpan(Array.sort columns), Span top)
        let titles = Datasets.titles dataDir record.Dataset
        let title (id: string) =
            titles |> Option.bind (fun t -> match t.TryGetValue id with | true, name -> Some name | _ -> None)
        Ok { Dataset = record.Dataset
             Given = [ for id in items -> id, title id ]
             Top = [ for rank in 0 .. found - 1 -> let id = itemIds.[top.[rank]] in { Item = id; Score = scores.[top.[rank]]; Title = title id } ] }
