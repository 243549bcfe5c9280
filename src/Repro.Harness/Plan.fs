/// Cluster plans: the pending runs of an experiment as a Slurm job array (one array task per run)
/// or as a plain list of commands for GNU parallel. Each command does exactly one run into its own
/// folder, claimed through the folder's lock (RunLock), so tasks, and plans submitted twice over one
/// results folder, never do a run twice; `repro report` merges whatever finished.
module Repro.Harness.Plan

open System
open System.Text
open Repro.Harness.Experiment

/// How a plan's commands start the CLI: a built checkout, from the repository root.
let defaultRepro = "dotnet run --project src/Repro.Cli -c Release --no-build --"

type PlanOptions =
    { Experiment: Experiment
      Runner: Runner.Options
      /// The command that starts the CLI in the plan's commands.
      Repro: string
      /// Threads per run (Slurm: also --cpus-per-task).
      Threads: int }

/// The selected runs that are not finished (pending, failed or interrupted), in run order.
let pending (options: PlanOptions) =
    Runner.selected options.Runner options.Experiment
    |> List.filter (fun r -> not (Runner.isFinished (r.Folder options.Runner.Results)))

let private quote (s: string) = "'" + s.Replace("'", "'\\''") + "'"

/// One shell command doing exactly <paramref name="r"/>.
let commandFor (options: PlanOptions) (r: Run) =
    sprintf "%s --data-dir %s run --experiment %s --only %s --results %s --threads %d"
        options.Repro (quote options.Runner.DataDir) r.Experiment (quote r.Id) (quote options.Runner.Results) options.Threads

/// One command per pending run, for `parallel -j JOBS < FILE` (or any shell loop).
let shell (options: PlanOptions) =
    let runs = pending options
    let text = StringBuilder()
    text.AppendLine(sprintf "# %d pending run(s) of experiment '%s'; one command per run, each into its own folder." runs.Length options.Experiment.Id)
        .AppendLine("# Run from the repository root after a Release build, e.g.: parallel -j 2 < THIS_FILE") |> ignore
    for r in runs do text.AppendLine(commandFor options r) |> ignore
    text.ToString()

/// A Slurm job-array script: task i does the i-th pending run. The time limit is twice the largest
/// estimate (Cost), at least one hour.
let slurm (options: PlanOptions) =
    let runs = pending options
    let longest = runs |> List.choose (Experiment.estimatedSeconds options.Threads) |> List.fold max 0.0
    let limit = TimeSpan.FromSeconds(max 3600.0 (2.0 * longest))
    let text = StringBuilder()
    let line (s: string) = text.Append(s).Append('\n') |> ignore
    line "#!/bin/bash"
    line (sprintf "# %d pending run(s) of experiment '%s' (%s); submit from the repository root after a Release build:" runs.Length options.Experiment.Id options.Experiment.Title)
    line "#   sbatch THIS_FILE"
    line "# Each array task does one run into its own folder; a finished run is never redone and a run held by another task is left to it, so resubmitting is safe."
    line (sprintf "#SBATCH --job-name=repro-%s" options.Experiment.Id)
    if runs.IsEmpty then line "# Nothing is pending: every selected run has finished."
    else line (sprintf "#SBATCH --array=0-%d" (runs.Length - 1))
    line (sprintf "#SBATCH --cpus-per-task=%d" options.Threads)
    line (sprintf "#SBATCH --time=%d:%02d:00" (int limit.TotalHours) limit.Minutes)
    line "#SBATCH --output=slurm-%A_%a.out"
    line "set -euo pipefail"
    line "export GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736"
    line "RUNS=("
    for r in runs do line (sprintf "  %s" (quote r.Id))
    line ")"
    if not runs.IsEmpty then
        line (sprintf "exec %s --data-dir %s run --experiment %s --only \"${RUNS[$SLURM_ARRAY_TASK_ID]}\" --results %s --threads \"${SLURM_CPUS_PER_TASK:-%d}\""
                options.Repro (quote options.Runner.DataDir) options.Experiment.Id (quote options.Runner.Results) options.Threads)
    text.ToString()

// ---------------------------------------------------------------- LOCA runs in parts

/// The pending runs when every one can be split into parts (LocaParts.splittable), else why not.
let private splittableRuns (options: PlanOptions) =
    let runs = pending options
    match runs |> List.choose (fun r -> match LocaParts.splittable r.Model with Error why -> Some(sprintf "%s: %s" r.Id why) | Ok() -> None) with
    | [] -> Ok runs
    | problems -> Error(sprintf "--parts splits LOCA runs only; select them with --only. %s" (String.concat "; " problems))

/// One step of <paramref name="r"/>'s run in parts (`repro run --part STEP`).
let partCommand (options: PlanOptions) (r: Run) (step: string) = sprintf "%s --part %s" (commandFor options r) step

/// The rounds of steps a pending run in parts still needs (LocaParts.rounds).
let private rounds (options: PlanOptions) (r: Run) = LocaParts.rounds (r.Folder options.Runner.Results) r.Setup.Protocol

/// A LOCA run in parts as a command list: per pending run its global step, its N parts (independent:
/// `parallel -j JOBS` runs them at once) and its combine step, in that order.
let shellParts (options: PlanOptions) (parts: int) =
    splittableRuns options
    |> Result.map (fun runs ->
        let text = StringBuilder()
        let line (s: string) = text.Append(s).Append('\n') |> ignore
        line (sprintf "# %d pending LOCA run(s) of experiment '%s', each in %d parts: the global step, then the parts, then the combine step." runs.Length options.Experiment.Id parts)
        line "# Run from the repository root after a Release build: the lines in order (bash THIS_FILE), or each run's part lines at once with GNU parallel."
        for r in runs do
            for round in rounds options r do
                line (if round = "" then sprintf "# %s" r.Id else sprintf "# %s, %s" r.Id round)
                line (partCommand options r "global")
                for k in 1 .. parts do line (partCommand options r (sprintf "%d/%d" k parts))
                line (partCommand options r "combine")
        text.ToString())

/// A LOCA run in parts as Slurm jobs: a driver script (`bash THIS_FILE`, not sbatch) that submits,
/// per pending run, the global step, a job array of the N parts that starts after it, and a combine
/// job that starts after every part succeeded (sbatch --dependency=afterok). Time limits: the global
/// and combine jobs the plain plan's (twice the run's estimate, at least an hour: an upper bound for
/// either), each part twice its share of the estimate, at least an hour.
let slurmParts (options: PlanOptions) (parts: int) =
    splittableRuns options
    |> Result.map (fun runs ->
        let text = StringBuilder()
        let line (s: string) = text.Append(s).Append('\n') |> ignore
        let limit (seconds: float) =
            let t = TimeSpan.FromSeconds(max 3600.0 seconds)
            sprintf "%d:%02d:00" (int t.TotalHours) t.Minutes
        line "#!/bin/bash"
        line (sprintf "# %d pending LOCA run(s) of experiment '%s' (%s), each in %d parts; submit from the repository root after a Release build:" runs.Length options.Experiment.Id options.Experiment.Title parts)
        line "#   bash THIS_FILE"
        line "# Per run: a job for the global step (global model, embeddings, anchors), a job array of the parts (each a range of anchors) after it, and a combine job after every part (it writes the run's metrics). A finished step is never redone, so submitting again is safe."
        line "set -euo pipefail"
        line "export GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736"
        if runs.IsEmpty then line "# Nothing is pending: every selected run has finished."
        for r in runs do
            let estimate = Experiment.estimatedSeconds options.Threads r |> Option.defaultValue 0.0
            let job (name: string) (time: float) = sprintf "sbatch --parsable --job-name=repro-%s-%s --cpus-per-task=%d --time=%s" options.Experiment.Id name options.Threads (limit time)
            line ""
            line (sprintf "# %s" r.Id)
            rounds options r
            |> List.iteri (fun i round ->
                if round <> "" then line (sprintf "# %s" round)
                // A second round starts after the first one's combine step.
                let after = if i = 0 then "" else " --dependency=afterok:$COMBINE"
                line (sprintf "GLOBAL=$(%s%s --output=slurm-%%j.out --wrap=\"%s\")" (job "global" (2.0 * estimate)) after (partCommand options r "global"))
                line (sprintf "PARTS=$(%s --dependency=afterok:$GLOBAL --array=1-%d --output=slurm-%%A_%%a.out --wrap=\"%s\")"
                        (job "parts" (2.0 * estimate / float parts)) parts (partCommand options r (sprintf "\\${SLURM_ARRAY_TASK_ID}/%d" parts)))
                line (sprintf "COMBINE=$(%s --dependency=afterok:$PARTS --output=slurm-%%j.out --wrap=\"%s\")" (job "combine" (2.0 * estimate)) (partCommand options r "combine"))
                line (sprintf "echo \"%s: global $GLOBAL, parts $PARTS, combine $COMBINE\"" r.Id))
        text.ToString())
