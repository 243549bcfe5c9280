/// Fault tests (docs/reliability.md): two processes on one run folder, two runners sharing an
/// experiment, kill -9 then resume, and every input or environment fault that once ended in a stack
/// trace or a wrong answer. Sized for CI: seconds each, on synthetic-tiny (no data needed).
module Repro.Tests.FaultTests

open System
open System.Diagnostics
open System.IO
open System.Text.Json
open System.Threading
open Expecto
open Repro.Tests.TempFiles
open Repro.Tests.CliRunner

/// The CLI built beside the tests (a project reference copies its apphost here).
let private reproExe =
    let host = Path.Combine(AppContext.BaseDirectory, if OperatingSystem.IsWindows() then "repro.exe" else "repro")
    if File.Exists host then host, [] else "dotnet", [ Path.Combine(AppContext.BaseDirectory, "repro.dll") ]

/// Starts `repro ARGS` as a separate process with the split cache under cache.
let private start (cache: string) (args: string list) =
    let exe, prefix = reproExe
    let psi = ProcessStartInfo(exe, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true)
    for a in prefix @ args do psi.ArgumentList.Add a
    psi.Environment.["REPRO_CACHE_DIR"] <- cache
    psi.Environment.["GLIBC_TUNABLES"] <- "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736"
    let p = Process.Start psi
    let out = p.StandardOutput.ReadToEndAsync()
    let err = p.StandardError.ReadToEndAsync()
    p, out, err

/// Waits for a process started by <see cref="start"/>: exit code, standard output and error.
let private finish (p: Process, out: Tasks.Task<string>, err: Tasks.Task<string>) =
    if not (p.WaitForExit 180_000) then
        p.Kill true
        failtest "repro did not end within 3 minutes"
    p.WaitForExit()
    let result = p.ExitCode, out.Result, err.Result
    p.Dispose()
    result

let private runProcess cache args = start cache args |> finish

/// Polls until condition holds (or fails the test after the timeout).
let private waitUntil (what: string) (seconds: float) (condition: unit -> bool) =
    let clock = Stopwatch.StartNew()
    while not (condition ()) do
        if clock.Elapsed.TotalSeconds > seconds then failtestf "timed out waiting for %s" what
        Thread.Sleep 10

let private epochLines (folder: string) =
    let path = Path.Combine(folder, "epochs.tsv")
    try if File.Exists path then File.ReadAllLines(path).Length - 1 else 0 with :? IOException -> 0

let private testPart (folder: string) =
    use doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "metrics.json")))
    doc.RootElement.GetProperty("test").GetRawText()

/// epochs.tsv without its seconds column (the only field that differs between identical runs).
let private epochRows (folder: string) =
    File.ReadAllLines(Path.Combine(folder, "epochs.tsv"))
    |> Array.map (fun l -> let cells = l.Split('\t') in String.Join("\t", cells |> Array.take (cells.Length - 1)))

/// No stack trace reached the user.
let private noTrace (err: string) =
    Expect.isFalse (err.Contains "   at ") (sprintf "no stack trace in: %s" err)
    Expect.isFalse (err.Contains "Unhandled exception") "no unhandled exception"

let private tinyTrain (dir: string) (out: string) (extra: string list) =
    [ "--data-dir"; dir; "train"; "--dataset"; "synthetic-tiny"; "--model"; "mult-vae"; "--threads"; "1"; "--out"; out ] @ extra

let private small = [ "--set"; "hidden=16"; "--set"; "latent=8"; "--set"; "batch-size=32"; "--epochs"; "3" ]

[<Tests>]
let ownershipTests =
    testSequenced <| testList "Faults.Ownership" [
        testCase "a second train on a folder in use is refused, naming the holder, and the first finishes alone" <| fun () ->
            withFolder (fun dir ->
                let cache = Path.Combine(dir, "cache")
                let out = Path.Combine(dir, "run")
                let first = start cache (tinyTrain dir out [ "--epochs"; "40"; "--seed"; "1" ])
                let p, _, _ = first
                waitUntil "the first train to own the folder" 60.0 (fun () -> File.Exists(Path.Combine(out, ".owner")))
                let code, _, err = reproWithCache cache (tinyTrain dir out [ "--epochs"; "40"; "--seed"; "2" ])
                Expect.equal code 1 "refused"
                Expect.stringContains err (sprintf "in use by pid %d" p.Id) "names the holder's pid"
                noTrace err
                let code1, _, err1 = finish first
                Expect.equal code1 0 (sprintf "the first run finishes: %s" err1)
                use run = JsonDocument.Parse(File.ReadAllText(Path.Combine(out, "run.json")))
                Expect.equal (run.RootElement.GetProperty("seed").GetUInt64()) 1UL "only the first run wrote run.json"
                Expect.equal (epochLines out) 40 "40 epochs, none from the refused run"
                Expect.isFalse (File.Exists(Path.Combine(out, ".owner"))) "the owner record goes with the owner")

        testCase "a folder whose holder was killed is taken over by the next train" <| fun () ->
            withFolder (fun dir ->
                let cache = Path.Combine(dir, "cache")
                let out = Path.Combine(dir, "run")
                let first = start cache (tinyTrain dir out [ "--epochs"; "200" ])
                let p, _, _ = first
                waitUntil "the first train to own the folder" 60.0 (fun () -> File.Exists(Path.Combine(out, ".owner")))
                p.Kill true
                finish first |> ignore
                Expect.isTrue (File.Exists(Path.Combine(out, ".owner"))) "a killed holder leaves its record"
                let code, stdout, err = reproWithCache cache (tinyTrain dir out small)
                // The folder is free; this command differs in epochs, and is refused for that alone (the killed run never finished).
                noTrace err
                Expect.isFalse (err.Contains "in use by") (sprintf "not refused as in use: %s %s" stdout err)
                ignore code)

        testCase "two repro run processes on one results folder do each run once, with a solo run's results" <| fun () ->
            withFolder (fun dir ->
                let cache = Path.Combine(dir, "cache")
                let shared = Path.Combine(dir, "shared")
                let solo = Path.Combine(dir, "solo")
                let args results = [ "--data-dir"; dir; "run"; "--experiment"; "synthetic"; "--results"; results; "--threads"; "1" ]
                let a = start cache (args shared)
                let b = start cache (args shared)
                let codeA, outA, errA = finish a
                let codeB, outB, errB = finish b
                Expect.equal (codeA, codeB) (0, 0) (sprintf "both succeed: %s %s" errA errB)
                let completed (text: string) =
                    let m = Text.RegularExpressions.Regex.Match(text, @"(\d+) completed")
                    int m.Groups.[1].Value
                Expect.equal (completed outA + completed outB) 2 (sprintf "each of the 2 runs done once:\n%s\n%s" outA outB)
                let codeS, _, errS = runProcess cache (args solo)
                Expect.equal codeS 0 errS
                let folders root = Directory.GetDirectories(Path.Combine(root, "synthetic", "synthetic-tiny")) |> Array.map Path.GetFileName |> Array.sort
                Expect.equal (folders shared) (folders solo) "the same run folders"
                for name in folders solo do
                    let s, o = Path.Combine(shared, "synthetic", "synthetic-tiny", name), Path.Combine(solo, "synthetic", "synthetic-tiny", name)
                    Expect.equal (testPart s) (testPart o) (sprintf "%s: identical test metrics" name)
                    let rows = epochRows s
                    Expect.equal rows (epochRows o) (sprintf "%s: identical epochs.tsv (seconds aside)" name)
                    Expect.equal (rows |> Array.skip 1 |> Array.map (fun r -> r.Split('\t').[0]) |> Array.distinct).Length 20 "20 epochs, no duplicate rows")
    ]

[<Tests>]
let killTests =
    testSequenced <| testList "Faults.Kill" [
        testCase "kill -9 at several points, then the same command: metrics and epochs.tsv identical to an uninterrupted run" <| fun () ->
            withFolder (fun dir ->
                let cache = Path.Combine(dir, "cache")
                let whole = Path.Combine(dir, "whole")
                let killed = Path.Combine(dir, "killed")
                let args out = tinyTrain dir out [ "--epochs"; "12"; "--set"; "batch-size=16"; "--seed"; "3" ]
                let code, _, err = runProcess cache (args whole)
                Expect.equal code 0 err
                // Killed as soon as it owns the folder, then after 3 and 8 logged epochs, then left to finish.
                let mutable kills = 0
                for after in [ -1; 3; 8 ] do
                    let proc = start cache (args killed)
                    let p, _, _ = proc
                    waitUntil (sprintf "epoch %d" after) 120.0 (fun () ->
                        p.HasExited || (if after < 0 then File.Exists(Path.Combine(killed, ".owner")) else epochLines killed >= after))
                    if not p.HasExited then
                        p.Kill true
                        kills <- kills + 1
                    finish proc |> ignore
                Expect.isGreaterThanOrEqual kills 2 "killed at least twice before the end"
                let code, stdout, err = runProcess cache (args killed)
                Expect.equal code 0 (stdout + err)
                Expect.equal (testPart killed) (testPart whole) "bit-identical test metrics"
                let rows = epochRows killed
                Expect.equal rows (epochRows whole) "epochs.tsv identical (seconds aside)"
                Expect.equal (rows |> Array.skip 1 |> Array.map (fun r -> r.Split('\t').[0]) |> Array.distinct).Length 12 "12 epochs, none twice")
    ]
