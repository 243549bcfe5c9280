/// How a long command is asked to stop: Ctrl-C (SIGINT) or SIGTERM (what `kill`, Slurm at its time
/// limit and container runtimes send) both cancel the token, so the command stops after the current
/// batch and leaves a state that the same command resumes. A second Ctrl-C ends the process at once.
/// SIGTERM matters because a background job started from a script has SIGINT ignored.
module Repro.Cli.StopRequests

open System
open System.Runtime.InteropServices
open System.Threading

type StopRequests(announce: string) =
    let cancel = new CancellationTokenSource()
    let request () =
        if not cancel.IsCancellationRequested then
            eprintfn "%s" announce
            cancel.Cancel()
    let onCancelKey =
        ConsoleCancelEventHandler(fun _ e ->
            if not cancel.IsCancellationRequested then
                e.Cancel <- true
                request ())
    do Console.CancelKeyPress.AddHandler onCancelKey
    let onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, fun context -> context.Cancel <- true; request ())

    member _.Token = cancel.Token

    interface IDisposable with
        member _.Dispose() =
            Console.CancelKeyPress.RemoveHandler onCancelKey
            onTerm.Dispose()
            cancel.Dispose()

/// Starts listening for stop requests until disposed; <paramref name="announce"/> is printed on the first.
let listen (announce: string) = new StopRequests(announce)
