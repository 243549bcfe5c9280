/// The real datasets in ../shared/data, used when present; tests skip with a printed reason otherwise.
module Repro.Tests.SharedData

open System
open System.IO
open Expecto

/// ../shared/data found by walking up from the current folder and from the test binary, or
/// REPRO_SHARED_DATA when set.
let root : string option =
    match Environment.GetEnvironmentVariable "REPRO_SHARED_DATA" with
    | null | "" ->
        let rec up (dir: DirectoryInfo) =
            if isNull dir then None
            else
                let candidate = Path.Combine(dir.FullName, "shared", "data")
                if Directory.Exists candidate then Some candidate else up dir.Parent
        match up (DirectoryInfo(Directory.GetCurrentDirectory())) with
        | Some d -> Some d
        | None -> up (DirectoryInfo(AppContext.BaseDirectory))
    | dir -> if Directory.Exists dir then Some dir else None

/// The folder of one shared dataset, or None.
let folder (name: string) =
    root |> Option.map (fun r -> Path.Combine(r, name)) |> Option.filter Directory.Exists

/// A test that runs with the dataset's folder, or is skipped with a reason when it is absent.
let testWithData (dataset: string) (name: string) (body: string -> unit) =
    match folder dataset with
    | Some dir -> testCase name (fun () -> body dir)
    | None -> testCase name (fun () -> skiptestf "../shared/data/%s is not present on this machine" dataset)
