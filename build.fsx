// Build script: dotnet fsi build.fsx <target> [args]
//   build      Release build of the whole solution
//   test       build, run every test, end with the line "N passed, N failed, N skipped"
//   reproduce  locate or download the paper's datasets, prepare their splits, print Table 1 stats
//   bench      data|eval|vae|baselines|cdae: benchmarks that print figures (never timed tests)
// A plain script that shells out to dotnet (FAKE does not restore for current frameworks here).

open System
open System.Diagnostics
open System.IO
open System.Text.RegularExpressions

let root = __SOURCE_DIRECTORY__
let args = fsi.CommandLineArgs |> Array.skip 1 |> List.ofArray

// Large element-wise tensors are faulted in afresh on every allocation unless glibc keeps freed
// memory (../shared/notes/platform.md): set for every child process this script starts.
let glibcTunables = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736"

/// Runs a command in the repository root, streaming its output; returns exit code and the lines.
let run (exe: string) (arguments: string list) (onLine: string -> unit) =
    let psi = ProcessStartInfo(exe, arguments, WorkingDirectory = root, UseShellExecute = false,
                               RedirectStandardOutput = true, RedirectStandardError = true)
    psi.Environment.["GLIBC_TUNABLES"] <- glibcTunables
    psi.Environment.["DOTNET_CLI_TELEMETRY_OPTOUT"] <- "1"
    psi.Environment.["DOTNET_NOLOGO"] <- "1"
    use p = new Process(StartInfo = psi)
    p.OutputDataReceived.Add(fun e -> if not (isNull e.Data) then onLine e.Data; Console.Out.WriteLine e.Data)
    p.ErrorDataReceived.Add(fun e -> if not (isNull e.Data) then Console.Error.WriteLine e.Data)
    if not (p.Start()) then failwithf "could not start %s" exe
    p.BeginOutputReadLine()
    p.BeginErrorReadLine()
    p.WaitForExit()
    p.ExitCode

let runOrFail exe arguments =
    let code = run exe arguments ignore
    if code <> 0 then
        eprintfn "build.fsx: '%s %s' failed with exit code %d" exe (String.concat " " arguments) code
        exit code

let build () = runOrFail "dotnet" [ "build"; "Repro.sln"; "-c"; "Release"; "-nologo"; "-v"; "q"; "-clp:NoSummary" ]

let cli (arguments: string list) =
    run "dotnet" ([ "run"; "--project"; "src/Repro.Cli"; "-c"; "Release"; "--no-build"; "--" ] @ arguments) ignore

let test (extra: string list) =
    build ()
    let summary = Regex(@"^\W*(\d+) passed, (\d+) failed, (\d+) skipped")
    let mutable counts = None
    let clean (s: string) = Regex.Replace(s, @"\x1b\[[0-9;?]*[A-Za-z]", "")
    let code =
        run "dotnet" ([ "run"; "--project"; "tests/Repro.Tests"; "-c"; "Release"; "--no-build"; "--"; "--no-spinner" ] @ extra)
            (fun line ->
                let m = summary.Match(clean line)
                if m.Success then counts <- Some (int m.Groups.[1].Value, int m.Groups.[2].Value, int m.Groups.[3].Value))
    match counts with
    | Some (passed, failed, skipped) ->
        printfn "%d passed, %d failed, %d skipped" passed failed skipped
        if code <> 0 || failed > 0 then exit (max code 1)
    | None ->
        printfn "0 passed, 1 failed"
        eprintfn "build.fsx: the test runner ended (exit code %d) without its summary line" code
        exit (max code 1)

match args with
| [ "build" ] -> build ()
| "test" :: extra -> test extra
| "reproduce" :: extra ->
    build ()
    exit (cli ([ "reproduce" ] @ extra))
| "bench" :: extra ->
    build ()
    exit (run "dotnet" ([ "run"; "--project"; "src/Repro.Cli"; "-c"; "Release"; "--no-build"; "--"; "bench" ] @ extra) ignore)
| _ ->
    eprintfn "usage: dotnet fsi build.fsx build | test [expecto args] | reproduce | bench [data|eval|vae|baselines|cdae]"
    exit 2
