namespace Repro.Harness

open System.IO
open Repro.Core.Metrics
open Repro.Core.Protocols
open Repro.Core.Sparse

/// One run as a runner or `repro train` asks for it: which data, which model with which settings,
/// which seed. Everything needed to do it again.
type RunRequest =
    { /// A registry name (see `repro data list`); with Split, a label for the imported split.
      Dataset: string
      /// "pro-sg:DIR" trains on a split in the notebook's layout instead of building one.
      Split: string option
      Protocol: Protocol
      /// Held-out users per set for the strong protocol; None: the dataset's own.
      Heldout: int option
      Model: ModelSpec
      Seed: uint64
      Threads: int
      /// The command line that reproduces the run, recorded in run.json.
      Command: string }

/// What a run trains on, selects on and is tested on, whatever the protocol.
type RunData =
    { Train: CsrMatrix
      Validation: HeldOutSet
      TestFoldIn: CsrMatrix
      TestTarget: CsrMatrix
      /// Original id of each item column.
      ItemIds: string[]
      /// The protocol in words, as run.json records it.
      Protocol: string
      TestMetrics: MetricSpec list
      /// The dataset's label for run.json.
      DatasetLabel: string
      /// The dataset's item content over S terms, aligned with ItemIds (FitContext.ItemContent).
      ItemContent: int -> Result<CsrMatrix, string>
      /// The folder fits keep shared state in (FitContext.CacheDir): the data folder's cache.
      CacheDir: string option }

/// The data of each protocol, loaded once per command.
[<RequireQualifiedAccess; CompilationRepresentation(CompilationRepresentationFlags.ModuleSuffix)>]
module RunData =
    /// No item content: what every dataset but those in `Datasets.itemContent` has.
    let noContent (label: string) (_: int) : Result<CsrMatrix, string> = Datasets.noContent label

    /// The paper's protocol: held-out users' fold-in predicts their targets.
    let strong (label: string) (split: StrongGeneralizationSplit) =
        { Train = split.Train; Validation = split.Validation; TestFoldIn = split.TestFoldIn; TestTarget = split.TestTarget
          ItemIds = split.ItemIds
          Protocol = sprintf "strong generalisation, %d validation + %d test users" split.Validation.Users split.Test.Users
          TestMetrics = List.ofSeq MetricSpec.Paper
          DatasetLabel = label
          ItemContent = noContent label
          CacheDir = None }

    /// LightGCN's protocol on a fixed split: every user trains; 10% of each training row is carved out
    /// for model selection, so test items are never looked at before test; test input is the whole
    /// training row. Metrics: LightGCN's recall@20 and ndcg@20, then the paper's.
    let weak (label: string) (split: WeakGeneralizationSplit) (itemIds: string[]) =
        let carved = WeakValidation.Carve(split.Train, 0.1)
        { Train = carved.Fit; Validation = carved.Validation; TestFoldIn = split.Train; TestTarget = split.Test; ItemIds = itemIds
          Protocol = "weak generalisation (fixed train/test split; validation carved from 10% of training rows)"
          TestMetrics = [ MetricSpec.RecallLightGcn 20; MetricSpec.NdcgLightGcn 20 ] @ List.ofSeq MetricSpec.Paper
          DatasetLabel = label
          ItemContent = noContent label
          CacheDir = None }

    /// LOCA's leave-last-by-time split (spec seed-models 1.3) without its test-set selection: every
    /// user trains on the training part and is validated on the 5 events before the last 5 (input:
    /// the training row); at test the input is the training row plus the validation items, as weak's
    /// test input is the whole training row. Metrics, k in 10, 20, 50, 100: hits / distinct targets
    /// and NDCG@k (LightGCN's), and LOCA's own, which count a repeated test item each time it occurs.
    let leaveLastByTime (label: string) (split: LeaveLastByTimeSplit) =
        let rows = split.Users
        { Train = split.Train
          Validation = HeldOutSet(split.Train, split.ValidationTarget, 0, Array.init rows id, split.UserIds)
          TestFoldIn = split.TestFoldIn; TestTarget = split.TestTarget; ItemIds = split.ItemIds
          Protocol = sprintf "leave-5-by-time (LOCA's split; users >= 10 events; last 5 by time test; the 5 before validation), %d users, %d items, %d events" split.Users split.Items split.Events
          TestMetrics =
            [ for k in [ 10; 20; 50; 100 ] -> MetricSpec.RecallLightGcn k ] @ [ for k in [ 10; 20; 50; 100 ] -> MetricSpec.NdcgLightGcn k ]
            @ [ for k in [ 10; 20; 50; 100 ] -> MetricSpec.RecallLoca k ] @ [ for k in [ 10; 20; 50; 100 ] -> MetricSpec.NdcgLoca k ]
          DatasetLabel = label
          ItemContent = noContent label
          CacheDir = None }

    /// CDL's protocol on its own split (Wang, Wang, Yeung 2015, section 5.1): P training items per user,
    /// the rest test, every user trains on all P and is tested with them as input; recall@M = hits /
    /// test items for M = 50..300 and AP@500 (CDL's mAP). CDL chose its settings by cross-validation on
    /// the training items; here the validation targets are carved from 10% of the training rows of users
    /// with at least 5 items, as weak's, but the model trains on those rows too, so this validation is
    /// reported and never used to select (only fitted models at fixed settings run under it).
    let cdl (label: string) (trainingItems: int) (logs: Repro.Core.Data.Readers.TrainTestLogs) =
        let train, test = logs.Train, logs.Test
        let split = WeakGeneralizationSplit.FromPairs(train.UserCount, train.ItemCount, train.Users, train.Items, test.Users, test.Items)
        let carved = WeakValidation.Carve(split.Train, 0.1)
        { Train = split.Train; Validation = carved.Validation; TestFoldIn = split.Train; TestTarget = split.Test; ItemIds = train.ItemIds
          Protocol = sprintf "%s (CDL's split: %d training item(s) per user, the rest test; every user trains; validation carved from the training rows, not used to select)" (CdlSplit trainingItems).Name trainingItems
          TestMetrics = [ for m in 50 .. 50 .. 300 -> MetricSpec.RecallLightGcn m ] @ [ MetricSpec.AveragePrecision 500 ]
          DatasetLabel = label
          ItemContent = noContent label
          CacheDir = None }

    /// The data for the request's protocol, from a pro_sg folder or the dataset registry.
    /// <paramref name="say"/> gets progress messages.
    let load (dataDir: string) (request: RunRequest) (say: string -> unit) : Result<RunData, string> =
        match request.Split with
        | Some spec when spec.StartsWith "pro-sg:" ->
            let dir = spec.Substring "pro-sg:".Length
            try Ok(strong (sprintf "pro_sg split from %s" (Path.GetFullPath dir)) (ProSgFormat.Import dir))
            with
            | :? Repro.Core.Data.DataFormatException as e -> Error e.Message
            | :? IOException as e -> Error e.Message
        | Some spec -> Error(sprintf "--split takes pro-sg:DIR; got '%s'" spec)
        | None ->
            Datasets.find request.Dataset
            |> Result.bind (fun d ->
                // What the data folder gives every protocol's data: the item content and the cache.
                let fromDataFolder (data: RunData) =
                    { data with ItemContent = Datasets.contentOf dataDir d data.ItemIds; CacheDir = Some(Prepare.cacheDir dataDir) }
                let loaded =
                    match request.Protocol with
                    | Strong ->
                        Prepare.prepare dataDir (Prepare.cacheDir dataDir) d request.Heldout say
                        |> Result.map (fun p -> strong d.Name p.Split)
                    | LeaveLastByTime | LeaveLastByTimeRefit ->
                        match Map.tryFind d.Name Datasets.timed, Datasets.locate dataDir d with
                        | None, _ -> Error(sprintf "%s keeps no timestamps; --protocol %s needs them (amusic has)" d.Name request.Protocol.Name)
                        | _, Error why -> Error why
                        | Some read, Ok _ ->
                            try
                                say (sprintf "%s: leave-5-by-time split" d.Name)
                                Ok(leaveLastByTime d.Name (LeaveLastByTimeSplit.Build(read (Datasets.folderOf dataDir d))))
                            with :? Repro.Core.Data.DataFormatException as e -> Error e.Message
                    | CdlSplit p ->
                        match d.Name, Datasets.locate dataDir d with
                        | "citeulike-a", Ok _ ->
                            let folder = Path.Combine(Datasets.folderOf dataDir d, "cdl-splits")
                            try
                                say (sprintf "%s: CDL's split, %d training item(s) per user (%s)" d.Name p folder)
                                Ok(cdl d.Name p (Repro.Core.Data.Readers.CdlSplitReader.Read(folder, p)))
                            with
                            | :? Repro.Core.Data.DataFormatException as e -> Error e.Message
                            | :? IOException as e -> Error(sprintf "%s (CDL's splits come from js05212/CollaborativeDeepLearning-TensorFlow, data/citeulike-a/; put cf-train-%d-users.dat and cf-test-%d-users.dat in %s)" e.Message p p folder)
                        | "citeulike-a", Error why -> Error why
                        | name, _ -> Error(sprintf "--protocol %s is CDL's split of citeulike-a; %s has none" (CdlSplit p).Name name)
                    | Weak | WeakRefit ->
                        match d.FixedSplit, Datasets.locate dataDir d with
                        | None, _ -> Error(sprintf "%s has no fixed train/test split; --protocol weak needs one (gowalla has)" d.Name)
                        | _, Error why -> Error why
                        | Some read, Ok _ ->
                            let split, itemIds = read (Datasets.folderOf dataDir d)
                            Ok(weak d.Name split itemIds)
                loaded |> Result.map fromDataFolder)
