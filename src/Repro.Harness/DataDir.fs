/// Where datasets live on this machine: --data-dir, then REPRO_DATA_DIR, then data/ under the
/// current folder.
module Repro.Harness.DataDir

open System
open System.IO

/// The data folder to use, and which rule chose it (for messages).
let resolve (fromCommandLine: string option) : string * string =
    match fromCommandLine with
    | Some dir -> Path.GetFullPath dir, "--data-dir"
    | None ->
        match Environment.GetEnvironmentVariable "REPRO_DATA_DIR" with
        | null | "" -> Path.GetFullPath "data", "default (data/ under the current folder)"
        | dir -> Path.GetFullPath dir, "REPRO_DATA_DIR"
