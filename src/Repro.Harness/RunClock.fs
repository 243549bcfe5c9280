namespace Repro.Harness

open System

/// Tracks runs done and left, elapsed time and an ETA from the cost estimates at the runs' thread
/// count, corrected by how the finished runs compared with theirs.
type RunClock(todo: Experiment.Run list, threads: int) =
    let watch = Diagnostics.Stopwatch.StartNew()
    let mutable finishedEstimate, finishedActual, doneCount = 0.0, 0.0, 0
    let estimateOf r = Experiment.estimatedSeconds threads r |> Option.defaultValue 60.0
    member _.Finish(r: Experiment.Run, elapsed: TimeSpan) =
        doneCount <- doneCount + 1
        finishedEstimate <- finishedEstimate + estimateOf r
        finishedActual <- finishedActual + elapsed.TotalSeconds
    member _.Done = doneCount
    member _.Left = todo.Length - doneCount
    member _.Elapsed = watch.Elapsed
    /// Seconds left: the current run's own estimate of its remaining training when it has one, then
    /// the estimates of the runs after it, scaled by how the finished runs compared with theirs.
    member _.Eta(currentIndex: int, currentElapsed: TimeSpan, currentRemaining: TimeSpan option) =
        let ratio = if finishedEstimate > 0.0 then Math.Clamp(finishedActual / finishedEstimate, 0.2, 5.0) else 1.0
        let after = todo |> List.skip (min todo.Length (max 0 currentIndex)) |> List.sumBy estimateOf
        let current =
            match currentRemaining, List.tryItem (currentIndex - 1) todo with
            | Some left, _ -> left.TotalSeconds
            | None, Some r -> max 0.0 (estimateOf r * ratio - currentElapsed.TotalSeconds)
            | None, None -> 0.0
        after * ratio + current
    member c.Status(index, current: TimeSpan, remaining: TimeSpan option) =
        sprintf "runs %d/%d done, %d left, elapsed %s, ETA about %s" c.Done todo.Length c.Left
            (c.Elapsed.ToString(@"hh\:mm\:ss")) (Cost.format (c.Eta(index, current, remaining)))

[<RequireQualifiedAccess; CompilationRepresentation(CompilationRepresentationFlags.ModuleSuffix)>]
module RunClock =
    /// The runs' estimated cost at <paramref name="threads"/> threads in words ("3 h 20 min"), noting runs of unknown shape.
    let estimate (threads: int) (runs: Experiment.Run list) =
        let known = runs |> List.choose (Experiment.estimatedSeconds threads)
        let text = Cost.format (List.sum known)
        if known.Length = runs.Length then text else sprintf "%s (+%d run(s) of unknown shape)" text (runs.Length - known.Length)
