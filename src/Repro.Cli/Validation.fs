/// The CLI's two kinds of failure and the checks every command makes before it writes anything
/// (docs/reliability.md, "Exit codes"): a usage error is anything wrong in the command line itself
/// (an unknown option, model or setting, a value out of range) and exits 2 with a one-line message
/// and a hint to --help; a refusal is a failure of the data or the environment (a file in the way,
/// a folder in use, damaged input) and exits 1. Program.main turns both, and every other
/// exception, into a message: no stack trace reaches the user.
module Repro.Cli.Validation

open System
open System.IO
open Argu
open Repro.Cli.Arguments

/// Something wrong in the command line itself: exit 2.
exception UsageError of message: string
/// The data or the environment cannot serve the command: exit 1.
exception Refused of message: string

let usage (message: string) : 'a = raise (UsageError message)
let refuse (message: string) : 'a = raise (Refused message)

/// A count option that must be at least 1 when given.
let atLeastOne (flag: string) (value: int option) =
    match value with
    | Some v when v < 1 -> usage (sprintf "%s must be at least 1; got %d" flag v)
    | _ -> ()

/// A folder the command will write into: refused when it names an existing file or lies under one.
let writableFolder (flag: string) (path: string) =
    let full = Path.GetFullPath path
    if File.Exists full then refuse (sprintf "%s %s is an existing file; it must name a folder" flag full)
    let rec fileAbove (dir: string) =
        if String.IsNullOrEmpty dir || Directory.Exists dir then None
        elif File.Exists dir then Some dir
        else fileAbove (Path.GetDirectoryName dir)
    match fileAbove (Path.GetDirectoryName full) with
    | Some file -> refuse (sprintf "%s %s lies under %s, which is a file, not a folder" flag full file)
    | None -> ()

/// A file the command will write: refused when it names a folder or lies under a file.
let writableFile (flag: string) (path: string) =
    let full = Path.GetFullPath path
    if Directory.Exists full then refuse (sprintf "%s %s is a folder; it must name a file" flag full)
    writableFolder flag (Path.GetDirectoryName full)

/// A dataset name the registry does not know is a usage error (a known but absent one is not).
let knownDataset (name: string) =
    match Repro.Harness.Datasets.find name with
    | Error why -> usage why
    | Ok _ -> ()

/// `repro train` and `repro tune`: every argument checked before anything is written.
let modelRun (args: ParseResults<ModelArgs>) =
    if not (args.Contains ModelArgs.Split) then knownDataset (args.GetResult ModelArgs.Dataset)
    atLeastOne "--threads" (args.TryGetResult ModelArgs.Threads)
    atLeastOne "--heldout" (args.TryGetResult ModelArgs.Heldout)
    atLeastOne "--epochs" (args.TryGetResult ModelArgs.Epochs)
    args.TryGetResult ModelArgs.Protocol |> Option.iter (fun p -> match Repro.Harness.Protocol.parse p with Error why -> usage why | Ok _ -> ())
    match args.TryGetResult ModelArgs.Split with
    | Some s when not (s.StartsWith "pro-sg:") -> usage (sprintf "--split takes pro-sg:DIR; got '%s'" s)
    | _ -> ()
    writableFolder "--out" (args.GetResult ModelArgs.Out)

/// `repro recommend`: a positive count.
let recommend (args: ParseResults<RecommendArgs>) =
    atLeastOne "-n" (args.TryGetResult RecommendArgs.Count)
    // Ids, not titles: say so before the model is loaded, with where the ids are listed.
    let itemsFile = Path.Combine(args.GetResult RecommendArgs.Run, "items.txt")
    if File.Exists itemsFile then
        let known = File.ReadLines itemsFile |> Set.ofSeq
        let given = (args.GetResult RecommendArgs.Items).Split(',', StringSplitOptions.RemoveEmptyEntries ||| StringSplitOptions.TrimEntries)
        let unknown = given |> Array.filter (known.Contains >> not)
        if unknown.Length > 0 then
            let looksLikeTitle = unknown |> Array.exists (fun s -> s |> Seq.exists (fun c -> Char.IsWhiteSpace c || c = '(') || (s |> Seq.exists Char.IsLetter && known |> Set.forall (Seq.forall Char.IsDigit)))
            usage (sprintf "--items takes the dataset's original item ids, one per entry separated by commas%s; not ids of this run: %s. The run's ids are listed in %s, one per line (titles and ids side by side: the dataset's title file, e.g. u.item or movies.csv)."
                    (if looksLikeTitle then " (titles are not accepted)" else "")
                    (String.Join(", ", unknown |> Array.truncate 5 |> Array.map (sprintf "'%s'"))) itemsFile)

/// `repro run` and `repro plan`: positive thread and seed counts, a results path that is a folder.
let runOrPlan (threads: int option) (seeds: int option) (results: string option) =
    atLeastOne "--threads" threads
    atLeastOne "--seeds" seeds
    results |> Option.iter (writableFolder "--results")

/// `data stats` and `data prepare`: positive counts, an export folder that can be a folder.
let split (args: ParseResults<SplitArgs>) =
    if args.GetResult SplitArgs.Dataset <> "custom" then knownDataset (args.GetResult SplitArgs.Dataset)
    atLeastOne "--heldout" (args.TryGetResult SplitArgs.Heldout)
    args.TryGetResult SplitArgs.Export_Pro_Sg |> Option.iter (writableFolder "--export-pro-sg")
