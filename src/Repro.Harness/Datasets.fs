/// The datasets the harness knows: where their files go under the data folder, how to read them,
/// the paper's preprocessing and held-out counts for each, and how a user obtains them.
module Repro.Harness.Datasets

open System
open System.IO
open Repro.Core.Data
open Repro.Core.Data.Readers
open Repro.Core.Data.Download
open Repro.Core.Data.Synthetic
open Repro.Core.Protocols

/// How a user gets a dataset's files onto the machine.
type Source =
    /// In the download catalog: `repro data fetch --dataset NAME` downloads it, or (Netflix) explains
    /// where to obtain it and where to put it.
    | Catalog of DatasetEntry
    /// Not in the catalog: the text says where to obtain the files and where to put them.
    | ByHand of instructions: string
    /// Made in memory by the synthetic generator: nothing to obtain.
    | Generated

type Dataset =
    { Name: string
      Description: string
      /// Folder under the data folder.
      Folder: string
      /// Files the reader needs, relative to the folder (presence check and cache key).
      Files: string list
      /// Reads every event from the folder (already resolved under the data folder).
      Read: string -> InteractionLog
      Preprocessing: Preprocessing
      /// Validation users, and again test users.
      HeldOut: int
      Source: Source
      /// How the reader was configured, where that can vary (a custom file's layout); part of the
      /// split cache's key.
      ReaderSettings: string
      /// A published fixed train/test split (weak generalisation, as LightGCN evaluates), when the
      /// dataset has one: reads it from the folder, with the original id of each item column.
      FixedSplit: (string -> WeakGeneralizationSplit * string[]) option }

let private file (name: string) (read: string -> InteractionLog) =
    fun (folder: string) -> read (Path.Combine(folder, name))

let private movieLensCsv (entry: DatasetEntry) description heldOut =
    { Name = entry.Name; Description = description; Folder = entry.Folder; Files = [ "ratings.csv" ]
      Read = file "ratings.csv" MovieLensCsvReader.Read; Preprocessing = Preprocessing.ExplicitRatings
      HeldOut = heldOut; Source = Catalog entry; ReaderSettings = ""; FixedSplit = None }

/// LightGCN's train.txt / test.txt as a weak-generalisation split over their shared id space.
let private lightGcnSplit (folder: string) =
    let logs = LightGcnSplitReader.Read folder
    let train, test = logs.Train, logs.Test
    WeakGeneralizationSplit.FromPairs(train.UserCount, train.ItemCount, train.Users, train.Items, test.Users, test.Items), train.ItemIds

let private synthetic (shape: SyntheticShape) heldOut =
    { Name = "synthetic-" + shape.Name
      Description = sprintf "synthetic data of the %s shape (%d users, %d items; generated, seed %d)" shape.Name shape.Users shape.Items SyntheticGenerator.DefaultSeed
      Folder = ""; Files = []; Read = fun _ -> (SyntheticGenerator.Generate shape).Log
      Preprocessing = Preprocessing.ExplicitRatings; HeldOut = heldOut; Source = Generated; ReaderSettings = ""; FixedSplit = None }

/// Every known dataset, paper datasets first.
let all : Dataset list =
    [ { movieLensCsv DatasetCatalog.Ml20m "MovieLens-20M: the paper's first dataset (ratings > 3.5, users >= 5)" 10000 with
          Preprocessing = Preprocessing.Ml20m }
      { Name = "netflix"; Description = "Netflix Prize: the paper's second dataset (ratings > 3.5, users >= 5)"
        Folder = "netflix"; Files = []; Read = NetflixPrizeReader.Read; Preprocessing = Preprocessing.Netflix
        HeldOut = 40000; Source = Catalog DatasetCatalog.Netflix; ReaderSettings = ""; FixedSplit = None }
      { Name = "msd"; Description = "Million Song Dataset taste profile: the paper's third dataset (users >= 20 songs, songs >= 200 users)"
        Folder = "msd"; Files = [ "train_triplets.txt" ]; Read = file "train_triplets.txt" MsdTasteProfileReader.Read
        Preprocessing = Preprocessing.Msd; HeldOut = 50000; Source = Catalog DatasetCatalog.Msd; ReaderSettings = ""; FixedSplit = None }
      movieLensCsv DatasetCatalog.Ml25m "MovieLens-25M" 10000
      { Name = "ml-10m"; Description = "MovieLens-10M (ratings.dat)"; Folder = "ml-10M100K"; Files = [ "ratings.dat" ]
        Read = file "ratings.dat" MovieLensDatReader.Read; Preprocessing = Preprocessing.ExplicitRatings; HeldOut = 7000
        Source = ByHand "Download ml-10m.zip from GroupLens (grouplens.org/datasets/movielens/10m/) and unzip it into <data-dir>, giving <data-dir>/ml-10M100K/ratings.dat."; ReaderSettings = ""; FixedSplit = None }
      { Name = "ml-1m"; Description = "MovieLens-1M (ratings.dat)"; Folder = "ml-1m"; Files = [ "ratings.dat" ]
        Read = file "ratings.dat" MovieLensDatReader.Read; Preprocessing = Preprocessing.ExplicitRatings; HeldOut = 600
        Source = Catalog DatasetCatalog.Ml1m; ReaderSettings = ""; FixedSplit = None }
      { Name = "ml-100k"; Description = "MovieLens-100K (u.data); 100 + 100 held-out users give the reference split"
        Folder = "ml-100k"; Files = [ "u.data" ]; Read = file "u.data" MovieLens100KReader.Read
        Preprocessing = Preprocessing.ExplicitRatings; HeldOut = 100; Source = Catalog DatasetCatalog.Ml100k; ReaderSettings = ""; FixedSplit = None }
      movieLensCsv DatasetCatalog.MlLatestSmall "MovieLens latest-small (development set, 610 users)" 50
      { Name = "gowalla"; Description = "Gowalla check-ins, LightGCN's split merged into one log for strong generalisation"
        Folder = "gowalla"; Files = [ "train.txt"; "test.txt" ]
        Read = fun folder -> let logs = LightGcnSplitReader.Read folder in InteractionLogs.Concat(logs.Train, logs.Test)
        Preprocessing = Preprocessing.ImplicitFeedback; HeldOut = 3000
        Source = ByHand "Gowalla's LightGCN split (train.txt, test.txt) comes with the LightGCN and NGCF repositories (Data/gowalla/); put both files in <data-dir>/gowalla/."; ReaderSettings = ""; FixedSplit = Some lightGcnSplit }
      { Name = "citeulike-a"; Description = "CiteULike-a user libraries (users.dat)"; Folder = "citeulike-a"; Files = [ "users.dat" ]
        Read = file "users.dat" CiteULikeReader.Read; Preprocessing = Preprocessing.ImplicitFeedback; HeldOut = 500
        Source = ByHand "CiteULike-a's users.dat is in Hao Wang's citeulike-a repository; put it in <data-dir>/citeulike-a/users.dat."; ReaderSettings = ""; FixedSplit = None }
      { Name = "lastfm-2k"; Description = "HetRec 2011 Last.fm 2K (user_artists.dat, play counts)"; Folder = "lastfm-2k"
        Files = [ "user_artists.dat" ]; Read = file "user_artists.dat" LastFmUserArtistsReader.Read
        Preprocessing = Preprocessing.ImplicitFeedback; HeldOut = 200
        Source = ByHand "Download hetrec2011-lastfm-2k.zip from GroupLens (grouplens.org/datasets/hetrec-2011/) and put user_artists.dat in <data-dir>/lastfm-2k/."; ReaderSettings = ""; FixedSplit = None }
      { Name = "amusic"; Description = "Amazon Digital Music as LOCA preprocessed it (amusic.rating; every rating a positive, users >= 10)"
        Folder = "amusic"; Files = [ "amusic.rating" ]
        Read = file "amusic.rating" (fun path -> (LocaRatingReader.Read path).ToLog())
        Preprocessing = Preprocessing.ImplicitFeedback; HeldOut = 500
        Source = ByHand "amusic.rating is in the LOCA repository (jin530/LOCA, data/recsys_data/amusic/); put it in <data-dir>/amusic/amusic.rating."; ReaderSettings = ""; FixedSplit = None }
      synthetic SyntheticShape.Tiny 30
      synthetic SyntheticShape.Ml20m 10000 ]

/// Datasets whose events keep their timestamps, by name: what the leave-5-by-time protocol splits.
let timed : Map<string, string -> TimedEvents> =
    Map [ "amusic", fun folder -> LocaRatingReader.Read(Path.Combine(folder, "amusic.rating")) ]

/// A delimited file of events with a column mapping given by the user: explicit ratings when a
/// value column is given (the ML-20M rule), implicit feedback otherwise; the held-out count must be
/// chosen, as nothing else fixes it.
let custom (path: string) (format: DelimitedFormat) (heldOut: int) : Dataset =
    let full = Path.GetFullPath path
    { Name = "custom-" + Path.GetFileNameWithoutExtension full
      Description = sprintf "events from %s (%A)" full format
      Folder = Path.GetDirectoryName full
      Files = [ Path.GetFileName full ]
      Read = fun folder -> DelimitedReader.Read(Path.Combine(folder, Path.GetFileName full), format)
      Preprocessing = if format.Value.HasValue then Preprocessing.ExplicitRatings else Preprocessing.ImplicitFeedback
      HeldOut = heldOut
      Source = ByHand(sprintf "%s is your own file; check the path." full)
      ReaderSettings = sprintf "%A" format; FixedSplit = None }

/// The three datasets of the paper's Table 2.
let paperDatasets = [ "ml-20m"; "netflix"; "msd" ]

let names = all |> List.map (fun d -> d.Name)

/// The dataset called <paramref name="name"/>, or an error that lists the known names.
let find (name: string) : Result<Dataset, string> =
    match all |> List.tryFind (fun d -> String.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase)) with
    | Some d -> Ok d
    | None -> Error(sprintf "unknown dataset '%s'; known datasets: %s" name (String.Join(", ", names)))

/// The dataset's folder under the data folder.
let folderOf (dataDir: string) (d: Dataset) = Path.Combine(dataDir, d.Folder)

/// The source files the dataset reads, or the reason it cannot be read yet.
let locate (dataDir: string) (d: Dataset) : Result<string list, string> =
    let folder = folderOf dataDir d
    if (match d.Source with Generated -> true | _ -> false) then Ok []
    elif not (Directory.Exists folder) then Error(sprintf "%s is not present: folder %s does not exist" d.Name folder)
    elif d.Name = "netflix" then
        try Ok(List.ofSeq (snd (NetflixPrizeReader.FindFiles folder)))
        with e -> Error e.Message
    else
        let missing = d.Files |> List.filter (fun f -> not (File.Exists(Path.Combine(folder, f))))
        if missing.IsEmpty then Ok(d.Files |> List.map (fun f -> Path.Combine(folder, f)))
        else Error(sprintf "%s is not complete: %s missing in %s" d.Name (String.Join(", ", missing)) folder)

/// Item titles of a dataset, where it ships them (MovieLens movies, Last.fm artists), keyed by
/// original item id; None when the dataset has none or its title file is absent.
let titles (dataDir: string) (name: string) : Collections.Generic.IReadOnlyDictionary<string, string> option =
    match find name with
    | Error _ -> None
    | Ok d ->
        let folder = folderOf dataDir d
        let from (file: string) (read: string -> Collections.Generic.IReadOnlyDictionary<string, string>) =
            let path = Path.Combine(folder, file)
            if File.Exists path then Some(read path) else None
        match d.Name with
        | "ml-100k" -> from "u.item" ItemTitles.ReadMovieLens100K
        | "ml-20m" | "ml-25m" | "ml-latest-small" -> from "movies.csv" ItemTitles.ReadMovieLensCsv
        | "ml-1m" | "ml-10m" -> from "movies.dat" ItemTitles.ReadMovieLensDat
        | "lastfm-2k" -> from "artists.dat" ItemTitles.ReadLastFmArtists
        | _ -> None

/// How a user gets the dataset's files: the fetch command, or where to obtain them and where to put
/// them; empty for generated data.
let howToGet (dataDir: string) (d: Dataset) =
    match d.Source with
    | Catalog entry when entry.IsDownloadable -> sprintf "get it with: repro data fetch --dataset %s" d.Name
    | Catalog entry -> entry.ByHandInstructions dataDir
    | ByHand text -> text.Replace("<data-dir>", dataDir)
    | Generated -> ""

/// Datasets with item content, by name: the reader of the side files in the dataset's folder.
/// CiteULike-a's articles' words (mult.dat) are not in the shared data; its tags stand in for them
/// (item-tag.dat, tags.dat; docs/models/cdl.md).
let itemContent : Map<string, string -> ItemTags> =
    Map [ "citeulike-a", fun folder -> ItemTagReader.Read folder ]

/// Why a dataset has no item content.
let noContent (name: string) : Result<Repro.Core.Sparse.CsrMatrix, string> =
    Error(sprintf "%s has no item content (datasets with content: %s)" name (String.concat ", " (Map.keys itemContent)))

/// The item content of <paramref name="d"/> over a vocabulary of S terms, one row per entry of
/// <paramref name="itemIds"/>, read from the data dir when a model first asks; Error says why there is none.
let contentOf (dataDir: string) (d: Dataset) (itemIds: string[]) : int -> Result<Repro.Core.Sparse.CsrMatrix, string> =
    match Map.tryFind d.Name itemContent with
    | None -> fun _ -> noContent d.Name
    | Some read ->
        let tags = lazy (read (folderOf dataDir d))
        fun vocabulary ->
            try Ok(tags.Force().Content(itemIds, vocabulary))
            with
            | :? Repro.Core.Data.DataFormatException as e -> Error e.Message
            | :? IOException as e -> Error e.Message
            | :? ArgumentException as e -> Error e.Message
