module Repro.Tests.Main

open System
open Expecto
open Expecto.Impl

/// Runs every [<Tests>] value in this assembly and ends with the plain line CI reads:
/// "N passed, N failed, N skipped" (errored tests count as failed).
[<EntryPoint>]
let main argv =
    let mutable counts = None
    let printer =
        let inner = defaultConfig.printer
        { inner with
            summary = fun config summary ->
                async {
                    do! inner.summary config summary
                    // Tests that need data absent here say so (Expecto prints reasons only at debug level).
                    for test, result in summary.ignored do
                        match result.result with
                        | TestResult.Ignored reason -> printfn "skipped: %s: %s" (String.concat "." test.name) reason
                        | _ -> ()
                    counts <- Some (summary.passed.Length, summary.failed.Length + summary.errored.Length, summary.ignored.Length) } }
    let code = runTestsInAssemblyWithCLIArgs [ Printer printer ] argv
    match counts with
    | Some (passed, failed, skipped) -> printfn "%d passed, %d failed, %d skipped" passed failed skipped
    | None -> ()
    code
