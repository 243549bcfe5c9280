/// One owner per run folder. A process that writes into a run folder (`repro train`, each run of
/// `repro run`) first holds its lock: the file `.lock` in the folder opened exclusively (.NET's
/// FileShare.None, an flock(LOCK_EX) on Linux and macOS, a share-mode lock on Windows), held for the
/// run's life. The operating system releases it when the process ends in any way (exit, crash,
/// kill -9), so a dead holder never blocks the folder: the next process simply takes it. `.owner`
/// beside it says who holds it (pid, host, start time), for the message a refused process prints.
/// On a shared file system (NFS v4, Lustre, BeeGFS with flock support) the lock holds across
/// machines, so several machines can share one results folder (docs/reliability.md).
module Repro.Harness.RunLock

open System
open System.IO
open System.Text

let [<Literal>] LockFileName = ".lock"
let [<Literal>] OwnerFileName = ".owner"

/// Who holds a folder, as its `.owner` file says ("pid 123 on host h since 2026-...").
let holder (folder: string) =
    try
        let text = File.ReadAllText(Path.Combine(folder, OwnerFileName)).Trim()
        if text = "" then "another process (it has not recorded itself yet)" else text
    with _ -> "another process (it has not recorded itself yet)"

/// A held lock; disposing it releases the folder. A folder that the lock created and that holds
/// nothing else when released is removed again, so a refused or failed command leaves no trace.
type FolderLock internal (folder: string, stream: FileStream, createdFolder: bool) =
    let mutable released = false
    member _.Folder = folder
    member _.Release() =
        if not released then
            released <- true
            try File.Delete(Path.Combine(folder, OwnerFileName)) with _ -> ()
            let onlyLock () =
                try Directory.EnumerateFileSystemEntries folder |> Seq.forall (fun p -> Path.GetFileName p = LockFileName)
                with _ -> false
            if createdFolder && onlyLock () then
                try File.Delete(Path.Combine(folder, LockFileName)) with _ -> ()
                stream.Dispose()
                try Directory.Delete folder with _ -> ()
            else stream.Dispose()
    interface IDisposable with
        member this.Dispose() = this.Release()

/// Why a lock was not taken.
type Refusal =
    /// Another live process holds the folder (its description from `.owner`).
    | Held of holder: string
    /// The folder cannot be created or written (a file in the way, no permission).
    | Unwritable of reason: string

/// The lock is held elsewhere: EWOULDBLOCK from flock (11 on Linux, 35 on macOS), or Windows'
/// sharing and lock violations.
let private isSharingViolation (e: IOException) =
    e.HResult = 11 || e.HResult = 35 || (e.HResult &&& 0xFFFF) = 32 || (e.HResult &&& 0xFFFF) = 33

/// Takes <paramref name="folder"/>'s lock without waiting, creating the folder when needed.
let tryAcquire (folder: string) : Result<FolderLock, Refusal> =
    let folder = Path.GetFullPath folder
    let existed = Directory.Exists folder
    if not existed && File.Exists folder then Error(Unwritable(sprintf "%s is a file, not a folder" folder))
    else
    match (try Directory.CreateDirectory folder |> ignore; None
           with
           | :? UnauthorizedAccessException -> Some(sprintf "cannot create %s: permission denied" folder)
           | :? IOException as e -> Some(sprintf "cannot create %s: %s" folder e.Message)) with
    | Some why -> Error(Unwritable why)
    | None ->
    let path = Path.Combine(folder, LockFileName)
    match (try Ok(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
           with
           | :? UnauthorizedAccessException -> Error(Unwritable(sprintf "cannot write in %s: permission denied" folder))
           | :? DirectoryNotFoundException as e -> Error(Unwritable e.Message)
           | :? IOException as e when isSharingViolation e -> Error(Held(holder folder))
           | :? IOException as e -> Error(Unwritable(sprintf "cannot write in %s: %s" folder e.Message))) with
    | Error refusal ->
        if not existed then (try Directory.Delete folder with _ -> ())
        Error refusal
    | Ok stream ->
        let owner =
            sprintf "pid %d on host %s since %s (%s)" Environment.ProcessId (Net.Dns.GetHostName())
                (DateTimeOffset.UtcNow.ToString "yyyy-MM-ddTHH:mm:ssZ") (String.Join(" ", Environment.GetCommandLineArgs() |> Array.skip 1))
        try
            let ownerPath = Path.Combine(folder, OwnerFileName)
            File.WriteAllText(ownerPath + ".tmp", owner + "\n", UTF8Encoding false)
            File.Move(ownerPath + ".tmp", ownerPath, true)
            Ok(new FolderLock(folder, stream, not existed))
        with
        | :? UnauthorizedAccessException | :? IOException as e ->
            stream.Dispose()
            Error(Unwritable(sprintf "cannot write in %s: %s" folder e.Message))

/// The message for a refusal, naming the folder and the holder.
let explain (folder: string) (refusal: Refusal) =
    match refusal with
    | Held who -> sprintf "%s is in use by %s; one process owns a run folder at a time (wait for it, or stop it; a crashed holder releases the folder by itself)" folder who
    | Unwritable why -> why

/// Runs <paramref name="work"/> holding folder's lock; Error (naming the holder) when another
/// process holds it.
let exclusive (folder: string) (work: unit -> Result<'a, string>) : Result<'a, string> =
    match tryAcquire folder with
    | Error refusal -> Error(explain (Path.GetFullPath folder) refusal)
    | Ok claim ->
        use _ = claim
        work ()
