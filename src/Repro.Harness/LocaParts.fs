/// A LOCA run split into parts (docs/models/loca.md, "A run in parts"). The local models are
/// independent, so `repro run --part` does a run in three kinds of step, each its own process:
/// `global` fits the global model, the training users' embeddings and the anchors once into
/// parts/global.bin; `K/N` fits the local models of the K-th of N ranges of anchor groups and writes
/// their weighted score sums over the validation and test users to parts/part-K-of-N.bin (parts run
/// in any order, at the same time); `combine` adds the N parts' sums, divides by the weights, gives
/// users no anchor covers the global model's scores (LocaCombination) and writes the run's metrics as
/// a one-process run does. A finished step is not done again.
module Repro.Harness.LocaParts

open System
open System.IO
open System.Security.Cryptography
open System.Collections.Generic
open System.Text.RegularExpressions
open Repro.Core.Metrics
open Repro.Core.Models
open Repro.Core.Models.Loca
open Repro.Harness.Experiment

/// One step of a run split into parts.
type Step =
    /// The global model, the embeddings and the anchors into parts/global.bin.
    | Global
    /// Part K of N (1-based): the local models of the K-th range of anchor groups and their sums.
    | Part of part: int * parts: int
    /// The parts' sums combined into the run's metrics.
    | Combine

    /// The step as `--part` takes it.
    override s.ToString() =
        match s with
        | Global -> "global"
        | Part(k, n) -> sprintf "%d/%d" k n
        | Combine -> "combine"

/// `--part`'s value: global, K/N with 1 <= K <= N, or combine.
let parse (text: string) : Result<Step, string> =
    let bad () = Error(sprintf "--part takes global, K/N (part K of N, 1 <= K <= N) or combine; got '%s'" text)
    match text.Trim().ToLowerInvariant() with
    | "global" -> Ok Global
    | "combine" -> Ok Combine
    | t ->
        match t.Split '/' with
        | [| k; n |] ->
            match Int32.TryParse k, Int32.TryParse n with
            | (true, k), (true, n) when n >= 1 && k >= 1 && k <= n -> Ok(Part(k, n))
            | _ -> bad ()
        | _ -> bad ()

/// The folder inside a run folder that holds the steps' files (gitignored: *.bin).
let [<Literal>] FolderName = "parts"

let globalFile (folder: string) = Path.Combine(folder, FolderName, "global.bin")
let partFile (folder: string) (part: int) (parts: int) = Path.Combine(folder, FolderName, sprintf "part-%d-of-%d.bin" part parts)

/// The part files in a run folder: (K, N, path), in order.
let present (folder: string) =
    let dir = Path.Combine(folder, FolderName)
    if not (Directory.Exists dir) then []
    else
        [ for path in Directory.GetFiles(dir, "part-*-of-*.bin") do
            let m = Regex.Match(Path.GetFileName path, @"^part-(\d+)-of-(\d+)\.bin$")
            if m.Success then yield int m.Groups.[1].Value, int m.Groups.[2].Value, path ]
        |> List.sort

/// Whether the model's runs can be split (LOCA-EASE and LOCA-VAE); else why not.
let splittable (spec: ModelSpec) =
    match spec.Hyper with
    | :? LocaEaseHyper | :? LocaVaeHyper -> Ok()
    | _ -> Error(sprintf "%s has no local models to split into parts: --part applies to runs of loca-ease and loca-vae" spec.Name)

/// The fitted global state: LOCA-EASE's whole fit (its local models are fitted while scoring),
/// LOCA-VAE's global Mult-VAE, embeddings and anchors without local models.
let private fitGlobal (spec: ModelSpec) (data: RunData) (seed: uint64) (say: string -> unit) cancel : IRecommender =
    match spec.Hyper with
    | :? LocaEaseHyper as h -> LocaEase.Fit(data.Train, h, seed, Action<string> say, cancel, Option.toObj data.CacheDir)
    | :? LocaVaeHyper as h -> LocaVae.FitGlobal(data.Train, h, seed, Action<string> say, cancel, Option.toObj data.CacheDir)
    | _ -> invalidArg "spec" (sprintf "%s cannot be split into parts" spec.Name)

/// The global state saved by the global step, through the catalogue's loader.
let private loadGlobal (spec: ModelSpec) (folder: string) : ILocaLocalModels =
    match spec.Entry.Making with
    | Fitted(_, load) ->
        match load (globalFile folder) with
        | :? ILocaLocalModels as m -> m
        | other ->
            other.Dispose()
            invalidOp (sprintf "%s does not hold a LOCA model" (globalFile folder))
    | Trained _ -> invalidOp (sprintf "%s is trained, not fitted: it has no parts" spec.Name)

/// 16 hex digits of the global file's SHA-256: the part files name the state they were computed from.
let private fingerprint (folder: string) =
    use stream = File.OpenRead(globalFile folder)
    Convert.ToHexString(SHA256.HashData stream).Substring(0, 16)

let private description (request: RunRequest) (data: RunData) : RunFolder.RunDescription =
    { Dataset = data.DatasetLabel; Model = request.Model.Name; Settings = request.Model.Settings; Seed = request.Seed; Protocol = data.Protocol; Command = request.Command }

/// The run a step works on. Under a refit protocol a run in parts is two runs in turn, each done in
/// the same steps: the selection run (folder/selection, the validation events held out) until it is
/// combined, then the refit (folder) on the training rows plus the validation events, as
/// `repro train` does them in one process (Train, Refit). So the same commands, given twice in
/// order, do both.
type private Stage =
    { Folder: string
      /// The request as the stage runs it: the selection protocol in the selection run.
      Request: RunRequest
      /// The refit's record of its selection run; None in a run that is not a refit.
      Refit: Execution.Selected option
      /// The stage's data from the run's.
      Data: RunData -> RunData }

let private stageOf (folder: string) (request: RunRequest) (say: string -> unit) : Result<Stage, string> =
    match request.Protocol.SelectedUnder with
    | None -> Ok { Folder = folder; Request = request; Refit = None; Data = id }
    | Some under ->
        let selection = Path.Combine(folder, Refit.SelectionFolderName)
        if not (RunFolder.isFinished selection) then
            say (sprintf "%s, stage 1 of 2: the selection run under %s in %s (the same steps then do the refit)" request.Protocol.Name under.Name selection)
            Ok { Folder = selection; Request = { request with Protocol = under }; Refit = None; Data = id }
        else
            Refit.selected selection true Execution.skipped
            |> Result.map (fun chosen ->
                say (sprintf "%s, stage 2 of 2: the refit in %s, on what the selection run held out too (selection run finished, validation NDCG@100 %.4f)" request.Protocol.Name folder chosen.ValidationNdcg)
                { Folder = folder; Request = request; Refit = Some chosen; Data = fun data -> Refit.data request.Protocol data chosen })

let private globalStep (stage: Stage) (load: unit -> Result<RunData, string>) (say: string -> unit) cancel =
    let folder = stage.Folder
    if File.Exists(globalFile folder) then
        say (sprintf "%s exists: the global step is done" (globalFile folder))
        Ok()
    else
    RunLock.exclusive folder (fun () ->
        load ()
        |> Result.map (fun data ->
            Execution.begin' folder (description stage.Request data) data false // the global step starts the run
            let clock = Diagnostics.Stopwatch.StartNew()
            use model = fitGlobal stage.Request.Model data (Execution.modelSeed stage.Request.Seed) say cancel
            model.Save(globalFile folder)
            say (sprintf "global step of %s in %.1f s: %s" stage.Request.Model.Name clock.Elapsed.TotalSeconds (globalFile folder))))

/// A part's checkpoint: its sums over its first groups (part-K-of-N.partial) and how many groups
/// they hold (part-K-of-N.next). The sums are saved under the global file's fingerprint and that
/// count, so a checkpoint whose count file lags behind it (a stop between the two writes) is not read
/// and the part starts over rather than adding a group twice.
let private checkpointFiles (folder: string) (part: int) (parts: int) =
    let stem = Path.Combine(folder, FolderName, sprintf "part-%d-of-%d" part parts)
    stem + ".partial", stem + ".next"

let private checkpointKey (fingerprint: string) (next: int) = sprintf "%s/next=%d" fingerprint next

/// The sums and the next group (offset in the part's range) of a checkpoint, if one can be read.
let private resume (folder: string) (part: int) (parts: int) (key: string) =
    let sums, next = checkpointFiles folder part parts
    if not (File.Exists sums && File.Exists next) then None
    else
        match Int32.TryParse(File.ReadAllText(next).Trim()) with
        | true, n when n > 0 ->
            try
                let sets = LocaPartial.Load(sums, checkpointKey key n, part, parts) |> Seq.map (fun struct (name, s) -> name, s) |> Map.ofSeq
                Some(n, sets.["validation"], sets.["test"])
            with :? Repro.Core.Data.Cache.StaleCacheException | :? KeyNotFoundException -> None
        | _ -> None

let private partStep (stage: Stage) (load: unit -> Result<RunData, string>) (part: int) (parts: int) (say: string -> unit) (cancel: Threading.CancellationToken) =
    let folder = stage.Folder
    let path = partFile folder part parts
    if File.Exists path then
        say (sprintf "%s exists: part %d of %d is done" path part parts)
        Ok()
    elif not (File.Exists(globalFile folder)) then
        Error(sprintf "%s is missing: the global step comes first (--part global)" (globalFile folder))
    else
    // One process per part; the run folder itself stays free for the other parts.
    RunLock.exclusive (Path.Combine(folder, FolderName, sprintf "part-%d-of-%d" part parts)) (fun () ->
        load ()
        |> Result.map (fun data ->
            let clock = Diagnostics.Stopwatch.StartNew()
            let key = fingerprint folder
            use model = loadGlobal stage.Request.Model folder
            let struct (first, count) = LocaCombination.PartRange(model.Groups.Count, part, parts)
            let checkpoint, nextFile = checkpointFiles folder part parts
            let start, validation, test =
                match resume folder part parts key with
                | Some(n, v, t) ->
                    say (sprintf "part %d of %d: anchor groups %d to %d of %d, resumed after %d from %s" part parts (first + 1) (first + count) model.Groups.Count n checkpoint)
                    n, v, t
                | None ->
                    say (sprintf "part %d of %d: anchor groups %d to %d of %d" part parts (first + 1) (first + count) model.Groups.Count)
                    0, LocaPartial(data.Validation.FoldIn.Rows, model.Items), LocaPartial(data.TestFoldIn.Rows, model.Items)
            // A refit trains on the validation events: it has no validation users to stop on.
            let stopOn = if stage.Refit.IsSome then null else data.Validation
            // One group at a time, each added to the sums and checkpointed: a stopped part loses at
            // most the group it was fitting, and the sums are the floats of one pass over the range.
            let sums () = [| struct ("validation", validation); struct ("test", test) |]
            for offset in start .. count - 1 do
                cancel.ThrowIfCancellationRequested()
                let group = first + offset
                model.PrepareLocal(data.Train, group, 1, Execution.modelSeed stage.Request.Seed, Action<string> say, cancel, stopOn)
                validation.Add(model, data.Validation.FoldIn, group, 1)
                test.Add(model, data.TestFoldIn, group, 1)
                if offset + 1 < count then
                    LocaPartial.Save(checkpoint, checkpointKey key (offset + 1), part, parts, sums ())
                    File.WriteAllText(nextFile, string (offset + 1))
                    say (sprintf "part %d of %d: %d of %d groups done, checkpoint %s" part parts (offset + 1) count checkpoint)
            LocaPartial.Save(path, key, part, parts, sums ())
            for f in [ nextFile; checkpoint ] do if File.Exists f then File.Delete f
            say (sprintf "part %d of %d in %.1f s (%d local model(s) used scoring validation and test): %s" part parts clock.Elapsed.TotalSeconds (validation.LocalModels + test.LocalModels) path)))

/// The scores of one set from the parts' sums, and the rows that fell back to the global model.
let private finished (model: ILocaLocalModels) (sets: (string * LocaPartial) list list) (name: string) (foldIn: Repro.Core.Sparse.CsrMatrix) =
    let sums = LocaPartial.Sum [| for part in sets -> part |> List.find (fun (n, _) -> n = name) |> snd |]
    let fallbacks = sums.Finish(model, foldIn)
    sums, fallbacks

let private combineStep (stage: Stage) (load: unit -> Result<RunData, string>) (threads: int) (say: string -> unit) =
    let folder = stage.Folder
    RunLock.exclusive folder (fun () ->
        match present folder |> List.map (fun (_, n, _) -> n) |> List.distinct with
        | [] -> Error(sprintf "no part files in %s: run the parts first (--part K/N)" (Path.Combine(folder, FolderName)))
        | _ :: _ :: _ as counts ->
            Error(sprintf "%s holds parts of splits into %s parts: remove the files of the split you do not want" (Path.Combine(folder, FolderName)) (counts |> List.map string |> String.concat " and "))
        | [ parts ] ->
        let have = present folder |> List.map (fun (k, _, _) -> k) |> Set.ofList
        match [ 1 .. parts ] |> List.filter (fun k -> not (have.Contains k)) with
        | _ :: _ as missing ->
            Error(sprintf "part(s) %s of %d are missing in %s: run --part K/%d for each" (missing |> List.map string |> String.concat ", ") parts (Path.Combine(folder, FolderName)) parts)
        | [] ->
        if not (File.Exists(globalFile folder)) then Error(sprintf "%s is missing: the global step's file is needed to combine" (globalFile folder))
        else
        match load () with
        | Error why -> Error why
        | Ok data ->
        try
            let key = fingerprint folder
            use model = loadGlobal stage.Request.Model folder
            let sets = [ for k in 1 .. parts -> LocaPartial.Load(partFile folder k parts, key, k, parts) |> Seq.map (fun struct (n, s) -> n, s) |> Seq.toList ]
            let validation, _ = finished model sets "validation" data.Validation.FoldIn
            let test, fallbacks = finished model sets "test" data.TestFoldIn
            let evaluate (sums: LocaPartial) foldIn target =
                Evaluator.Evaluate(sums.AsBatchScorer(), foldIn, target, Array.ofList data.TestMetrics, maxDegreeOfParallelism = threads)
            RunFolder.writeMetrics folder "validation" (evaluate validation data.Validation.FoldIn data.Validation.Target) data.Validation.FoldIn []
            RunFolder.writeMetrics folder "test" (evaluate test data.TestFoldIn data.TestTarget) data.TestFoldIn
                ([ "parts", float parts; "localModelsUsed", float test.LocalModels; "fallbackUsers", float fallbacks ]
                 @ (stage.Refit |> Option.map Execution.refitExtras |> Option.defaultValue []))
            say (sprintf "combined %d parts: %d of %d test users fell back to the global model; metrics in %s" parts fallbacks data.TestFoldIn.Rows folder)
            Ok()
        with :? Repro.Core.Data.Cache.StaleCacheException as e ->
            Error(sprintf "%s (a part of another global step: run that part again after removing its file)" e.Message))

/// Does <paramref name="step"/> of <paramref name="request"/>'s run into <paramref name="folder"/>
/// (under a refit protocol, of its selection run until that is finished, then of the refit).
let execute (dataDir: string) (folder: string) (request: RunRequest) (step: Step) (say: string -> unit) (cancel: Threading.CancellationToken) =
    match splittable request.Model, Train.refusedUnderRefit request with
    | Error why, _ | _, Some why -> Error why
    | Ok(), None ->
    if RunFolder.isFinished folder then
        say (sprintf "%s is finished (metrics.json has a test part): no step is left" folder)
        Ok()
    else
    match stageOf folder request say with
    | Error why -> Error why
    | Ok stage ->
    Repro.Core.TorchRuntime.EnsureLoaded request.Threads
    let load () = RunData.load dataDir request say |> Result.map stage.Data
    try
        match step with
        | Global -> globalStep stage load say cancel
        | Part(k, n) -> partStep stage load k n say cancel
        | Combine -> combineStep stage load request.Threads say
    with
    | :? OperationCanceledException -> Error "stopped; the same command does the step again (a part goes on from its last checkpoint)"
    | :? ArgumentException as e -> Error e.Message

/// The command that does <paramref name="step"/> of run <paramref name="r"/>.
let command (r: Run) (step: Step) = sprintf "%s --part %O" (Runner.command r) step

/// Does <paramref name="step"/> of an experiment's run (experiment.json first, so the report files it).
let run (options: Runner.Options) (r: Run) (step: Step) (say: string -> unit) (cancel: Threading.CancellationToken) =
    match Runner.missingDataset options.DataDir r.Setup.Dataset with
    | Some why -> Error why
    | None ->
    let folder = r.Folder options.Results
    match step with
    | Global | Combine -> Runner.writeExperimentJson folder r
    | Part _ -> ()
    let request : RunRequest =
        { Dataset = r.Setup.Dataset; Split = None; Protocol = r.Setup.Protocol; Heldout = r.Setup.Heldout
          Model = r.Model; Seed = r.Seed; Threads = options.Threads
          Command = sprintf "%s (split into parts: --part global, then --part K/N for K = 1 to N, then --part combine)" (Runner.command r) }
    execute options.DataDir folder request step say cancel

/// The rounds of steps a run in parts still needs, each named: a refit whose selection run is not
/// finished does the same steps twice (the selection run, then the refit: Stage), another unfinished
/// run once (named ""), a finished run none.
let rounds (folder: string) (protocol: Protocol) =
    if RunFolder.isFinished folder then []
    else
    match protocol.SelectedUnder with
    | Some under when not (RunFolder.isFinished (Path.Combine(folder, Refit.SelectionFolderName))) ->
        [ sprintf "stage 1 of 2, the selection run under %s" under.Name; "stage 2 of 2, the refit (the same steps again)" ]
    | _ -> [ "" ]

/// Does run <paramref name="r"/> split into <paramref name="parts"/> parts on this machine: the global
/// step here, then the parts, at most <paramref name="workers"/> at once, each through
/// <paramref name="runPart"/> (the CLI starts `repro run ... --part K/N` as a child process), then the
/// combine step here; each of its <see cref="rounds"/> in turn. A failed part is named and stops the
/// run before its combine; finished parts stay, so the same call goes on where it stopped.
let runHere (options: Runner.Options) (r: Run) (parts: int) (workers: int) (runPart: int -> Result<unit, string>)
            (say: string -> unit) (cancel: Threading.CancellationToken) : Result<unit, string> =
    let round (name: string) =
        if name <> "" then say name
        match run options r Global say cancel with
        | Error why -> Error why
        | Ok() ->
        let next = ref 0
        let failures = Collections.Concurrent.ConcurrentBag<int * string>()
        let worker () =
            let mutable k = Threading.Interlocked.Increment &next.contents
            while k <= parts && not cancel.IsCancellationRequested do
                match runPart k with
                | Ok() -> ()
                | Error why -> failures.Add((k, why))
                k <- Threading.Interlocked.Increment &next.contents
        let threads = [ for _ in 1 .. max 1 (min workers parts) -> Threading.Thread(worker) ]
        for t in threads do t.Start()
        for t in threads do t.Join()
        if cancel.IsCancellationRequested then Error "stopped; the same command goes on (finished parts are kept, a stopped part goes on from its checkpoint)"
        elif not failures.IsEmpty then
            Error(failures |> Seq.sortBy fst |> Seq.map (fun (k, why) -> sprintf "part %d of %d: %s" k parts why) |> String.concat "; ")
        else run options r Combine say cancel
    match splittable r.Model with
    | Error why -> Error why
    | Ok() -> rounds (r.Folder options.Results) r.Setup.Protocol |> List.fold (fun done' name -> done' |> Result.bind (fun () -> round name)) (Ok())
