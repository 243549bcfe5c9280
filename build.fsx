// Build script: dotnet fsi build.fsx <target> [args]
//   build      Release build of the whole solution
//   test       build, run every test, end with the line "N passed, N failed, N skipped"
//   reproduce  run the paper experiment on every paper dataset present or downloadable (else local,
//              else synthetic data), then repro report; prints where tables and figures are
//   check      run the smoke experiment into a scratch folder and compare with results/regression-floors.json
//   bench      data|eval|vae|vae-precision|recvae|baselines|cdae|slim-full|slim-msd|loca: benchmarks that print figures (never timed tests)
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

/// Builds and runs every test; returns (passed, failed, skipped) and the runner's exit code.
let runTests (extra: string list) =
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
    | Some counts -> Some counts, code
    | None ->
        eprintfn "build.fsx: the test runner ended (exit code %d) without its summary line" code
        None, code

let test (extra: string list) =
    match runTests extra with
    | Some (passed, failed, skipped), code ->
        printfn "%d passed, %d failed, %d skipped" passed failed skipped
        if code <> 0 || failed > 0 then exit (max code 1)
    | None, code ->
        printfn "0 passed, 1 failed"
        exit (max code 1)

/// ../shared/data (or REPRO_SHARED_DATA): the real datasets the smoke experiment reads.
let sharedData () =
    match Environment.GetEnvironmentVariable "REPRO_SHARED_DATA" with
    | null | "" -> Path.GetFullPath(Path.Combine(root, "..", "shared", "data"))
    | dir -> Path.GetFullPath dir

/// The regression check: smoke with its fixed seeds and 2 threads into a fresh scratch folder, then
/// `repro check` against results/regression-floors.json. Returns Some passed, or None when skipped.
let check () =
    let data = sharedData ()
    if not (File.Exists(Path.Combine(data, "ml-100k", "u.data"))) then
        printfn "check skipped: %s/ml-100k/u.data is absent (the smoke experiment runs on MovieLens-100K's reference split; set REPRO_SHARED_DATA to the folder holding ml-100k/)" data
        None
    else
        build ()
        let watch = Stopwatch.StartNew()
        let scratch = Path.Combine(Path.GetTempPath(), "repro-check-" + Guid.NewGuid().ToString "N")
        // Split caches go to the scratch folder unless REPRO_CACHE_DIR says otherwise: never into the data folder.
        if String.IsNullOrEmpty(Environment.GetEnvironmentVariable "REPRO_CACHE_DIR") then
            Environment.SetEnvironmentVariable("REPRO_CACHE_DIR", Path.Combine(scratch, "cache"))
        try
            let ran = cli [ "--data-dir"; data; "run"; "--experiment"; "smoke"; "--results"; scratch; "--threads"; "2" ]
            let checkedCode = cli [ "check"; "--results"; scratch; "--floors"; Path.Combine(root, "results", "regression-floors.json") ]
            printfn "check took %.0f s (smoke runs exit code %d, check exit code %d)" watch.Elapsed.TotalSeconds ran checkedCode
            Some (ran = 0 && checkedCode = 0)
        finally
            try Directory.Delete(scratch, true) with _ -> ()

match args with
| [ "build" ] -> build ()
| "test" :: extra -> test extra
| "reproduce" :: extra ->
    build ()
    let ran = cli ([ "reproduce" ] @ extra)
    // Defaults only (results/, paper-tables.md in the root), so the file names the plain `repro report` as its command
    // and a reproduce leaves a committed paper-tables.md unchanged.
    let reported = cli [ "report" ]
    printfn ""
    if reported = 0 then printfn "Tables: %s (regenerated from results/ by repro report, with its figures)" (Path.Combine(root, "paper-tables.md"))
    else printfn "repro report failed (exit code %d); the runs are in %s" reported (Path.Combine(root, "results"))
    printfn "Runs: %s/<experiment>/<dataset>/<model>-<hash>-s<seed>/" (Path.Combine(root, "results"))
    exit (if ran <> 0 then ran else reported)
| [ "check" ] ->
    match check () with
    | Some true | None -> ()
    | Some false -> exit 1
| "bench" :: extra ->
    build ()
    exit (run "dotnet" ([ "run"; "--project"; "src/Repro.Cli"; "-c"; "Release"; "--no-build"; "--"; "bench" ] @ extra) ignore)
| _ ->
    eprintfn "usage: dotnet fsi build.fsx build | test [expecto args] | reproduce | check | bench [data|eval|vae|vae-precision|recvae|baselines|cdae|slim-full|slim-msd|loca]"
    exit 2
