/// `repro experiments`, `repro run`, `repro plan` and `repro check`: thin commands over the harness's
/// Experiment, Runner, Plan and Check, with the runner's live display.
module Repro.Cli.ExperimentCommands

open System
open System.IO
open System.Threading
open Argu
open Spectre.Console
open Repro.Core.Training
open Repro.Harness
open Repro.Harness.Experiment
open Repro.Cli.Arguments

let private fail (message: string) =
    eprintfn "error: %s" message
    1

/// `repro experiments`: each experiment with its runs and estimated cost per dataset.
let list (dataDir: string) =
    printfn "Experiments (estimated cost on an idle 2-core machine at 2 threads a run, from measured speeds; see src/Repro.Harness/Cost.fs):"
    for e in Repro.Experiments.Experiments.all do
        let runs = Experiment.runs None e
        printfn ""
        printfn "%-12s %d runs, %d seed(s), about %s" e.Id runs.Length e.Seeds (RunClock.estimate Cost.measuredThreads runs)
        printfn "  %s" e.Title
        for setup in e.Datasets do
            let these = runs |> List.filter (fun r -> r.Setup = setup)
            let presence = match Runner.missingDataset dataDir setup.Dataset with None -> "present" | Some _ -> "absent here"
            printfn "  %-14s %4d run(s) %14s  (%s)" setup.Dataset these.Length (RunClock.estimate Cost.measuredThreads these) presence
    for e in Repro.Experiments.Experiments.ratingExperiments do
        let runs = Ratings.runs None e
        printfn ""
        printfn "%-12s %d runs (rating prediction), %d random split(s) each" e.Id runs.Length e.Repeats
        printfn "  %s" e.Title
        for setup in e.Setups do
            let these = runs |> List.filter (fun r -> r.Setup = setup)
            let presence = match Runner.missingDataset dataDir setup.Dataset with None -> "present" | Some _ -> "absent here"
            printfn "  %-14s %-9s %4d run(s)  (%s)" setup.Dataset setup.Tag these.Length presence
    0

/// `repro run` for a rating experiment (Ratings): its runs with plain progress lines.
let private runRatings (dataDir: string) (args: ParseResults<RunArgs>) (e: Ratings.RatingExperiment) =
    let o : Ratings.RatingOptions =
        { Results = Path.GetFullPath(args.GetResult(RunArgs.Results, defaultValue = "results")); DataDir = dataDir
          Only = args.TryGetResult RunArgs.Only; Repeats = args.TryGetResult RunArgs.Seeds
          Threads = args.GetResult(RunArgs.Threads, defaultValue = Environment.ProcessorCount) }
    let chosen = Ratings.selected o e
    if chosen.IsEmpty then fail (sprintf "no run of '%s' matches --only %s" e.Id (defaultArg o.Only ""))
    elif args.Contains RunArgs.Dry_Run then
        printfn "Experiment %s: %d run(s) selected (nothing is run: --dry-run)" e.Id chosen.Length
        for r in chosen do
            let state =
                match Runner.missingDataset o.DataDir r.Setup.Dataset with
                | Some _ -> "skip: dataset absent"
                | None -> if Ratings.isFinished (r.Folder o.Results) then "finished" else "pending"
            printfn "  %-48s %-16s %s" r.Id r.Group state
        0
    else
    printfn "Experiment %s: %d run(s) selected, results in %s" e.Id chosen.Length (Path.Combine(o.Results, e.Id))
    use stop = StopRequests.listen "Stopping after the current repeat (Ctrl-C again to kill)..."
    let watch = Diagnostics.Stopwatch.StartNew()
    let s = Ratings.execute o e (printfn "%s") stop.Token
    printfn "%d completed, %d already finished, %d failed, %d skipped (dataset absent); elapsed %s"
        s.Completed s.AlreadyFinished s.Failed s.Skipped (watch.Elapsed.ToString(@"hh\:mm\:ss"))
    if s.Interrupted then
        eprintfn "Stopped. Run the same command again to resume (an unfinished run restarts from its first split)."
        130
    elif s.Failed > 0 then 1
    else 0

let private options dataDir (results: string option) only seeds threads : Runner.Options =
    { Results = Path.GetFullPath(defaultArg results "results"); DataDir = dataDir; Only = only; Seeds = seeds
      Threads = defaultArg threads Environment.ProcessorCount }

/// The test NDCG@100 a finished run recorded, for the line that says it is done.
let private testNdcg (folder: string) =
    try
        let root = Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "metrics.json")))
        sprintf "test Ndcg@100 %.4f" (root.["test"].["Ndcg@100"].["mean"].GetValue<float>())
    with _ -> ""

let private describe (outcome: Runner.Outcome) (elapsed: TimeSpan) (folder: string) =
    let time = Cost.format elapsed.TotalSeconds
    match outcome with
    | Runner.Completed -> match testNdcg folder with "" -> sprintf "done in %s" time | ndcg -> sprintf "done in %s, %s" time ndcg
    | Runner.AlreadyFinished -> "already finished"
    | Runner.RunFailed message -> sprintf "FAILED after %s (error.txt): %s" time (message.Split('\n').[0])
    | Runner.Interrupted -> sprintf "stopped after %s; the next 'repro run' resumes it" time
    | Runner.HeldElsewhere who -> sprintf "left to %s, which is doing it" who

let private printDryRun (o: Runner.Options) (e: Experiment) =
    let chosen = Runner.selected o e
    printfn "Experiment %s: %d run(s) selected, about %s at %d thread(s) on an idle machine (nothing is run: --dry-run)" e.Id chosen.Length (RunClock.estimate o.Threads chosen) o.Threads
    for r in chosen do
        let state =
            match Runner.missingDataset o.DataDir r.Setup.Dataset with
            | Some _ -> "skip: dataset absent"
            | None ->
                match Runner.state (r.Folder o.Results) with
                | Runner.Finished -> "finished"
                | Runner.Failed _ -> "failed, will retry"
                | Runner.Started -> "started, will resume"
                | Runner.Pending -> "pending"
        let cost = Experiment.estimatedSeconds o.Threads r |> Option.map Cost.format |> Option.defaultValue "?"
        printfn "  %-44s %-22s %-24s %10s" r.Id r.Group state cost

/// Does the runs <paramref name="o"/> selects with the live display; 0, 1 (a run failed) or 130 (stopped).
let runWith (o: Runner.Options) (e: Experiment) =
    let dataDir = o.DataDir
    let chosen = Runner.selected o e
    if chosen.IsEmpty then fail (sprintf "no run of '%s' matches --only %s" e.Id (defaultArg o.Only ""))
    else
    let todo =
        chosen |> List.filter (fun r -> Runner.missingDataset dataDir r.Setup.Dataset |> Option.isNone && not (Runner.isFinished (r.Folder o.Results)))
    printfn "Experiment %s: %d run(s) selected, %d to do (about %s), results in %s" e.Id chosen.Length todo.Length (RunClock.estimate o.Threads todo) (Path.Combine(o.Results, e.Id))
    // The first Ctrl-C or SIGTERM stops after the current batch (state saved); a second Ctrl-C ends the process.
    use stop = StopRequests.listen "Stopping after the current batch (Ctrl-C again to kill)..."
    let clock = RunClock(todo, o.Threads)
    let mutable current = 0
    let mutable runWatch = Diagnostics.Stopwatch()
    let summary =
        if AnsiConsole.Profile.Capabilities.Interactive then
            AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(TaskDescriptionColumn(), ProgressBarColumn(), PercentageColumn(), ElapsedTimeColumn(), RemainingTimeColumn())
                .Start(fun ctx ->
                    let overall = ctx.AddTask(clock.Status(1, TimeSpan.Zero, None), maxValue = float (max 1 todo.Length))
                    let mutable bar : ProgressTask option = None
                    let notify event =
                        match event with
                        | Runner.DatasetMissing(d, why, n) -> AnsiConsole.MarkupLineInterpolated($"[yellow]skipped {n} run(s) on {d}[/]: {why}")
                        | Runner.RunStarting(i, total, r, _) ->
                            current <- i
                            runWatch <- Diagnostics.Stopwatch.StartNew()
                            bar |> Option.iter (fun b -> b.StopTask())
                            bar <- Some(ctx.AddTask(Markup.Escape(sprintf "[%d/%d] %s" i total r.Id), maxValue = 1.0))
                        | Runner.Said m -> AnsiConsole.MarkupLineInterpolated($"[grey]{m}[/]")
                        | Runner.TrainingProgressed p ->
                            bar |> Option.iter (fun b ->
                                b.MaxValue <- float (p.Epochs * p.BatchesPerEpoch)
                                b.Value <- float ((p.Epoch - 1) * p.BatchesPerEpoch + p.Batch))
                            overall.Description <- Markup.Escape(clock.Status(current, runWatch.Elapsed, Option.ofNullable p.Remaining))
                        | Runner.RunEnded(r, outcome, elapsed) ->
                            bar |> Option.iter (fun b -> b.Value <- b.MaxValue; b.StopTask())
                            if outcome <> Runner.Interrupted then
                                clock.Finish(r, elapsed)
                                overall.Increment 1.0
                            overall.Description <- Markup.Escape(clock.Status(current + 1, TimeSpan.Zero, None))
                            AnsiConsole.MarkupLineInterpolated($"{r.Id} ({r.Group}): {describe outcome elapsed (r.Folder o.Results)}")
                    Runner.execute o e notify stop.Token)
        else
            let notify event =
                match event with
                | Runner.DatasetMissing(d, why, n) -> printfn "skipped %d run(s) on %s: %s" n d why
                | Runner.RunStarting(i, total, r, folder) ->
                    current <- i
                    runWatch <- Diagnostics.Stopwatch.StartNew()
                    printfn "[%d/%d] %s (%s), about %s -> %s" i total r.Id r.Group
                        (Experiment.estimatedSeconds o.Threads r |> Option.map Cost.format |> Option.defaultValue "?") folder
                | Runner.Said m -> printfn "  %s" m
                | Runner.TrainingProgressed p ->
                    if p.Phase = TrainingPhase.Validating && (p.Epoch % 10 = 0 || p.Epoch = p.Epochs) then
                        printfn "  epoch %d/%d: loss %.3f; %s" p.Epoch p.Epochs p.MeanLoss (clock.Status(current, runWatch.Elapsed, Option.ofNullable p.Remaining))
                | Runner.RunEnded(r, outcome, elapsed) ->
                    if outcome <> Runner.Interrupted then clock.Finish(r, elapsed)
                    printfn "  %s: %s" r.Id (describe outcome elapsed (r.Folder o.Results))
            Runner.execute o e notify stop.Token
    printfn "%d completed, %d already finished, %d failed, %d skipped (dataset absent)%s%s; elapsed %s"
        summary.Completed summary.AlreadyFinished summary.Failed summary.Skipped
        (if summary.HeldElsewhere > 0 then sprintf ", %d being done by another process" summary.HeldElsewhere else "")
        (if summary.Interrupted then sprintf ", %d not started" summary.NotStarted else "")
        (clock.Elapsed.ToString(@"hh\:mm\:ss"))
    if summary.Interrupted then
        eprintfn "Stopped. Run the same command again to resume."
        130
    elif summary.Failed > 0 then
        eprintfn "%d run(s) failed; each folder holds error.txt, and the next 'repro run' retries them." summary.Failed
        1
    else 0

/// One part of a run in parts as a child process of this CLI (`repro run ... --part K/N`), its
/// output lines prefixed with the part.
let private partProcess (o: Runner.Options) (e: Experiment) (r: Run) (parts: int) (cancel: CancellationToken) (k: int) : Result<unit, string> =
    let host = Environment.ProcessPath
    // Under `dotnet repro.dll` the host is dotnet and the CLI its first argument; an apphost is the CLI.
    let cli = if Path.GetFileNameWithoutExtension(host) = "dotnet" then [ Reflection.Assembly.GetEntryAssembly().Location ] else []
    let info = Diagnostics.ProcessStartInfo(host, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false)
    for a in cli @ [ "--data-dir"; o.DataDir; "run"; "--experiment"; e.Id; "--only"; r.Id; "--threads"; string o.Threads
                     "--results"; o.Results; "--part"; sprintf "%d/%d" k parts ] do
        info.ArgumentList.Add a
    use child = new Diagnostics.Process(StartInfo = info)
    let tag = sprintf "[part %d/%d]" k parts
    child.OutputDataReceived.Add(fun l -> if not (isNull l.Data) then printfn "%s %s" tag l.Data)
    child.ErrorDataReceived.Add(fun l -> if not (isNull l.Data) then eprintfn "%s %s" tag l.Data)
    child.Start() |> ignore
    child.BeginOutputReadLine()
    child.BeginErrorReadLine()
    // A stop ends the child: its finished groups are in its checkpoint.
    use _ = cancel.Register(fun () -> try child.Kill() with _ -> ())
    child.WaitForExit()
    if child.ExitCode = 0 then Ok() else Error(sprintf "exited with code %d (its lines above, marked %s)" child.ExitCode tag)

/// <paramref name="act"/> on each selected run, after a line that <paramref name="heading"/> gives it,
/// with Ctrl-C as a stop request; exit 1 when any failed (each named), 0 otherwise.
let private forEachSelected (o: Runner.Options) (e: Experiment) (stopping: string) (heading: Run -> string)
                            (act: Run -> CancellationToken -> Result<unit, string>) =
    match Runner.selected o e with
    | [] -> fail (sprintf "no run of '%s' matches --only %s" e.Id (defaultArg o.Only ""))
    | chosen ->
        use stop = StopRequests.listen stopping
        let failures =
            [ for r in chosen do
                printfn "%s" (heading r)
                match act r stop.Token with
                | Ok() -> ()
                | Error why ->
                    eprintfn "error: %s: %s" r.Id why
                    yield r.Id ]
        if failures.IsEmpty then 0 else 1

/// `repro run --parts N [--workers W]`: each selected LOCA run in N parts on this machine.
let private runInParts (o: Runner.Options) (e: Experiment) (parts: int) (workers: int) =
    Validation.atLeastOne "--parts" (Some parts)
    Validation.atLeastOne "--workers" (Some workers)
    forEachSelected o e "Stopping the parts (Ctrl-C again to kill)..."
        (fun r -> sprintf "%s (%s) in %d parts, %d at once -> %s" r.Id r.Group parts workers (r.Folder o.Results))
        (fun r stop ->
            LocaParts.runHere o r parts workers (partProcess o e r parts stop) (printfn "  %s") stop
            |> Result.map (fun () -> printfn "%s: done" r.Id))

/// `repro run`: does the selected runs with a live display (plain lines when not interactive);
/// Ctrl-C stops after the current batch.
let run (dataDir: string) (args: ParseResults<RunArgs>) =
    match Repro.Experiments.Experiments.tryFindRating (args.GetResult RunArgs.Experiment_Id) with
    | Some e -> runRatings dataDir args e
    | None ->
    match Repro.Experiments.Experiments.find (args.GetResult RunArgs.Experiment_Id) with
    | Error why -> Validation.usage why
    | Ok e ->
    Validation.runOrPlan (args.TryGetResult RunArgs.Threads) (args.TryGetResult RunArgs.Seeds) (args.TryGetResult RunArgs.Results)
    let o = options dataDir (args.TryGetResult RunArgs.Results) (args.TryGetResult RunArgs.Only) (args.TryGetResult RunArgs.Seeds) (args.TryGetResult RunArgs.Threads)
    if args.Contains RunArgs.Dry_Run then
        printDryRun o e
        0
    else
    match args.TryGetResult RunArgs.Part, args.TryGetResult RunArgs.Parts with
    | Some _, Some _ -> Validation.usage "--part does one step of a run in parts and --parts all of them: give one"
    | None, Some parts -> runInParts o e parts (args.GetResult(RunArgs.Workers, defaultValue = 1))
    | None, None when args.Contains RunArgs.Workers -> Validation.usage "--workers goes with --parts"
    | None, None -> runWith o e
    | Some text, None ->
    match LocaParts.parse text with
    | Error why -> Validation.usage why
    | Ok step ->
    forEachSelected o e "Stopping the step (Ctrl-C again to kill)..."
        (fun r -> sprintf "%s (%s), step %O -> %s" r.Id r.Group step (r.Folder o.Results))
        (fun r stop -> LocaParts.run o r step (printfn "  %s") stop)


/// `repro plan`: the pending runs as a Slurm job array or a command list.
let plan (dataDir: string) (args: ParseResults<PlanArgs>) =
    match Repro.Experiments.Experiments.find (args.GetResult PlanArgs.Experiment_Id) with
    | Error why -> Validation.usage why
    | Ok e ->
    Validation.runOrPlan (args.TryGetResult PlanArgs.Threads) (args.TryGetResult PlanArgs.Seeds) (args.TryGetResult PlanArgs.Results)
    let threads = args.GetResult(PlanArgs.Threads, defaultValue = 4)
    let p : Plan.PlanOptions =
        { Experiment = e
          Runner = options dataDir (args.TryGetResult PlanArgs.Results) (args.TryGetResult PlanArgs.Only) (args.TryGetResult PlanArgs.Seeds) (Some threads)
          Repro = args.GetResult(PlanArgs.Repro, defaultValue = Plan.defaultRepro)
          Threads = threads }
    let parts = args.TryGetResult PlanArgs.Parts
    Validation.atLeastOne "--parts" parts
    let text =
        match args.GetResult PlanArgs.Format, parts with
        | "slurm", None -> Ok(Plan.slurm p)
        | "shell", None -> Ok(Plan.shell p)
        | "slurm", Some n -> Plan.slurmParts p n
        | "shell", Some n -> Plan.shellParts p n
        | other, _ -> Validation.usage (sprintf "--format takes slurm or shell; got '%s'" other)
    match text with
    | Error why -> fail why
    | Ok text ->
        match args.TryGetResult PlanArgs.Output with
        | Some file ->
            let full = Path.GetFullPath file
            Directory.CreateDirectory(Path.GetDirectoryName full) |> ignore
            File.WriteAllText(full + ".tmp", text)
            File.Move(full + ".tmp", full, true)
            printfn "Wrote %s: %d pending run(s) of %s" full (Plan.pending p).Length e.Id
        | None -> printf "%s" text
        0

/// `repro check`: the experiment's test metrics against the floors; exit 1 on any regression.
let check (args: ParseResults<CheckArgs>) =
    let results = Path.GetFullPath(args.GetResult CheckArgs.Results)
    let floorsFile = Path.GetFullPath(args.GetResult(CheckArgs.Floors, defaultValue = Path.Combine("results", "regression-floors.json")))
    let experiment = args.GetResult(CheckArgs.Experiment_Id, defaultValue = "smoke")
    let measured = Check.measured results experiment
    if measured.IsEmpty then fail (sprintf "no run of '%s' in %s" experiment results)
    elif args.Contains Record then
        let note = sprintf "%s, commit %s, from the runs in %s (their run.json records threads and seeds)" (DateTime.UtcNow.ToString "yyyy-MM-dd") (RunFolder.commit ()) results
        File.WriteAllText(floorsFile + ".tmp", Check.record measured experiment note)
        File.Move(floorsFile + ".tmp", floorsFile, true)
        printfn "Wrote %s from %d run(s) in %s" floorsFile measured.Length results
        0
    else
        match Check.readFloors floorsFile with
        | Error why -> fail why
        | Ok(forExperiment, _) when forExperiment <> experiment ->
            fail (sprintf "%s holds floors of '%s', not '%s'" floorsFile forExperiment experiment)
        | Ok(_, floors) ->
            let rows = Check.compare floors measured
            printf "%s" (Check.table rows)
            if Check.passed rows then
                printfn "check passed: every metric is at or above its floor (%s)" floorsFile
                0
            else
                printfn "check FAILED: a metric is below its floor or missing (floors: %s)" floorsFile
                1
