/// The notebook's own ML-20M split, as published in EVCF's repository (spec section 8): our export
/// must match its sha256 sums. Runs only where ML-20M's ratings.csv is present (../shared/data/ml-20m
/// or $REPRO_DATA_DIR/ml-20m); skipped with the reason otherwise.
module Repro.Tests.GoldenSplitTests

open System
open System.IO
open System.Security.Cryptography
open Expecto
open Repro.Core.Data.Readers
open Repro.Core.Protocols
open Repro.Tests.TempFiles

let private ml20mFolder =
    let fromEnv =
        match Environment.GetEnvironmentVariable "REPRO_DATA_DIR" with
        | null | "" -> None
        | dir -> Some(Path.Combine(dir, "ml-20m"))
    [ SharedData.folder "ml-20m"; fromEnv ]
    |> List.choose id
    |> List.tryFind (fun d -> File.Exists(Path.Combine(d, "ratings.csv")))

let private sha256 (path: string) =
    use stream = File.OpenRead path
    Convert.ToHexString(SHA256.HashData stream).ToLowerInvariant()

let private golden =
    [ "unique_sid.txt", 20108, "b9f95107e156c2feaf78439ae302001abf13bdb480aeedcb0e4d8382f2f8b76f"
      "test_te.csv", 139776, "df4a9ddc77c79bab4a581adec7ff1487de146d47b42c35c393696842252435c2"
      "validation_te.csv", 142515, "bec3f6dfbe876ec2224e98458ffe2ff74c453ef1894644757c1e3ca747a26adf" ]

[<Tests>]
let tests =
    testList "Protocols.Golden" [
        testCase "the ML-20M split matches the notebook's published files (sha256)" <| fun () ->
            match ml20mFolder with
            | None -> skiptest "ML-20M's ratings.csv is not present in ../shared/data/ml-20m or $REPRO_DATA_DIR/ml-20m"
            | Some folder ->
                let log = MovieLensCsvReader.Read(Path.Combine(folder, "ratings.csv"))
                let filtered = Preprocessing.Ml20m.Filter log
                Expect.equal filtered.Count 9990682 "events after preprocessing (spec 1.3)"
                let split = StrongGeneralization.Split(filtered, HeldOutUsers.Ml20m)
                withFolder (fun out ->
                    ProSgFormat.Export(split, out)
                    for name, lines, hash in golden do
                        let path = Path.Combine(out, name)
                        Expect.equal (File.ReadLines path |> Seq.length) lines (name + " lines")
                        Expect.equal (sha256 path) hash (name + " sha256"))
    ]
