/// `repro data list | stats | prepare`: thin handlers over Repro.Harness.
module Repro.Cli.DataCommands

open System
open System.IO
open Argu
open Repro.Core.Data.Readers
open Repro.Core.Protocols
open Repro.Harness
open Repro.Cli.Arguments

let private say (text: string) = Console.Error.WriteLine text

let private delimiterOf (args: ParseResults<SplitArgs>) =
    match args.GetResult(Delimiter, defaultValue = ",") with
    | "tab" | "\\t" -> "\t"
    | d -> d

let private idsOf (args: ParseResults<SplitArgs>) = if args.Contains Text_Ids then IdKind.Text else IdKind.Integer

/// Exit codes: 0 done, 1 the work failed (message printed), 2 bad command line.
let private failWith (message: string) =
    eprintfn "error: %s" message
    1

let private requireDataDir (dataDir: string) (chosenBy: string) =
    if Directory.Exists dataDir then Ok()
    else Error(sprintf "the data folder %s (chosen by %s) does not exist; create it, or pass --data-dir DIR or set REPRO_DATA_DIR" dataDir chosenBy)

/// A column given as a 0-based index or a header name.
let private column (text: string) : ColumnRef =
    match Int32.TryParse text with
    | true, index -> ColumnRef.At index
    | _ -> ColumnRef.Named text

/// The dataset the options name, with any preprocessing knob the user set.
let private datasetOf (args: ParseResults<SplitArgs>) : Result<Datasets.Dataset, string> =
    let name = args.GetResult SplitArgs.Dataset
    let customOnly = [ args.Contains File, "--file"; args.Contains Columns, "--columns"; args.Contains Delimiter, "--delimiter"; args.Contains Header, "--header"; args.Contains Text_Ids, "--text-ids" ]
    let baseDataset =
        if name = "custom" then
            match args.TryGetResult File, args.TryGetResult Columns, args.TryGetResult SplitArgs.Heldout with
            | None, _, _ -> Error "--dataset custom needs --file PATH"
            | _, None, _ -> Error "--dataset custom needs --columns user,item[,value]"
            | _, _, None -> Error "--dataset custom needs --heldout N (validation and test users each)"
            | Some path, Some columns, Some heldOut ->
                match columns.Split ',' |> Array.map (fun c -> c.Trim()) with
                | [| u; i |] | [| u; i; "" |] ->
                    Ok(Datasets.custom path (DelimitedFormat(delimiterOf args, args.Contains Header, column u, column i, Ids = idsOf args)) heldOut)
                | [| u; i; v |] ->
                    Ok(Datasets.custom path (DelimitedFormat(delimiterOf args, args.Contains Header, column u, column i, Nullable(column v), Ids = idsOf args)) heldOut)
                | _ -> Error(sprintf "--columns takes user,item or user,item,value; got '%s'" columns)
        else
            match customOnly |> List.filter fst with
            | (_, flag) :: _ -> Error(sprintf "%s is for --dataset custom only" flag)
            | [] -> Datasets.find name
    baseDataset
    |> Result.bind (fun d ->
        let p = d.Preprocessing
        let rating =
            match args.TryGetResult Min_Rating with
            | None -> Ok p.MinRatingExclusive
            | Some "none" -> Ok(Nullable())
            | Some text ->
                match Single.TryParse(text, Globalization.NumberStyles.Float, Globalization.CultureInfo.InvariantCulture) with
                | true, r when Single.IsFinite r -> Ok(Nullable r)
                | _ -> Error(sprintf "--min-rating takes a number or 'none'; got '%s'" text)
        rating
        |> Result.bind (fun rating ->
            try
                Ok { d with
                        Preprocessing =
                            Preprocessing(rating, args.GetResult(Min_Items_Per_User, defaultValue = p.MinItemsPerUser),
                                          args.GetResult(Min_Users_Per_Item, defaultValue = p.MinUsersPerItem)) }
            with :? ArgumentException as e -> Error e.Message))

let private withPrepared (dataDir: string, chosenBy: string) (args: ParseResults<SplitArgs>) (onPrepared: Prepare.Prepared -> int) =
    Validation.split args
    match datasetOf args with
    | Error why -> failWith why
    | Ok d ->
        let isCustom = args.GetResult SplitArgs.Dataset = "custom"
        match (if isCustom then Ok() else requireDataDir dataDir chosenBy) with
        | Error why -> failWith why
        | Ok() ->
            match Prepare.prepare dataDir (Prepare.cacheDir dataDir) d (args.TryGetResult SplitArgs.Heldout) say with
            | Error why ->
                // How to obtain the dataset helps only when it is absent, not when its files are present but unusable.
                let absent = match Datasets.locate dataDir d with Ok _ -> false | Error _ -> true
                failWith (match Datasets.howToGet dataDir d with "" -> why | how when absent -> why + "\n  " + how | _ -> why)
            | Ok p ->
                if p.FromCache then say (sprintf "Loaded the cached split %s in %.2f s." p.CachePath p.Seconds)
                else say (sprintf "Cached the split in %s." p.CachePath)
                onPrepared p

let private printStatistics (p: Prepare.Prepared) =
    printfn "%s: %s" p.Dataset.Name p.Dataset.Description
    printfn "  preprocessing: %s; held-out users: %d + %d; seed %d"
        (let q = p.Dataset.Preprocessing
         let rating = match Option.ofNullable q.MinRatingExclusive with Some t -> sprintf "rating > %g, " t | None -> ""
         sprintf "%susers >= %d items, items >= %d users" rating q.MinItemsPerUser q.MinUsersPerItem)
        p.HeldOut.Count p.HeldOut.Count p.HeldOut.Seed
    let lines, warnings = StatisticsReport.lines p.Dataset.Name p.Statistics
    lines |> List.iter (printfn "%s")
    warnings |> List.iter (fun w -> eprintfn "%s" w)

let list (dataDir: string, _chosenBy: string) =
    printfn "Data folder: %s" dataDir
    printfn "%-16s %-9s %s" "dataset" "present" "how to get it"
    for d in Datasets.all do
        let present = match Datasets.locate dataDir d with Ok _ -> "yes" | Error _ -> "no"
        let how =
            match d.Source with
            | Datasets.Catalog entry when entry.IsDownloadable -> sprintf "repro data fetch --dataset %s" d.Name
            | Datasets.Catalog _
            | Datasets.ByHand _ -> sprintf "by hand into %s/ (see 'repro data fetch --dataset %s')" d.Folder d.Name
            | Datasets.Generated -> "generated in memory"
        printfn "%-16s %-9s %s" d.Name present how
    0

let stats dataDir (args: ParseResults<SplitArgs>) =
    if args.Contains Export_Pro_Sg then args.Raise("--export-pro-sg belongs to 'data prepare'", showUsage = true)
    withPrepared dataDir args (fun p ->
        printStatistics p
        0)

let prepare dataDir (args: ParseResults<SplitArgs>) =
    withPrepared dataDir args (fun p ->
        printStatistics p
        match args.TryGetResult Export_Pro_Sg with
        | Some dir ->
            ProSgFormat.Export(p.Split, dir)
            printfn "Wrote the split in the notebook's pro_sg layout to %s" (Path.GetFullPath dir)
        | None -> ()
        0)
