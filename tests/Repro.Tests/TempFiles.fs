/// Small input files written by tests into a fresh temporary folder, removed afterwards.
module Repro.Tests.TempFiles

open System
open System.IO
open System.Text

/// A fresh folder under the system temp folder, deleted when disposed.
type TempFolder() =
    let path = Path.Combine(Path.GetTempPath(), "repro-tests", Guid.NewGuid().ToString "N")
    do Directory.CreateDirectory path |> ignore
    member _.Path = path
    interface IDisposable with
        member _.Dispose() = try Directory.Delete(path, true) with _ -> ()

/// Runs body with a new empty folder under the system temp folder, then deletes the folder.
let withFolder (body: string -> 'a) : 'a =
    use folder = new TempFolder()
    body folder.Path

/// Writes text byte for byte (UTF-8, no byte-order mark, line ends as given) and returns the path.
let writeText (dir: string) (name: string) (text: string) =
    let path = Path.Combine(dir, name)
    Directory.CreateDirectory(Path.GetDirectoryName path) |> ignore
    File.WriteAllBytes(path, UTF8Encoding(false).GetBytes text)
    path

/// Writes bytes as they are and returns the path.
let writeBytes (dir: string) (name: string) (bytes: byte[]) =
    let path = Path.Combine(dir, name)
    Directory.CreateDirectory(Path.GetDirectoryName path) |> ignore
    File.WriteAllBytes(path, bytes)
    path

/// Runs body with the path of a file holding text, in a fresh folder.
let withFile (name: string) (text: string) (body: string -> 'a) : 'a =
    withFolder (fun dir -> body (writeText dir name text))
