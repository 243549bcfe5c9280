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
    let longest = runs |> List.choose Experiment.estimatedSeconds |> List.fold max 0.0
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
