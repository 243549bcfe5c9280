/// Small logs for the protocol tests: a tab-separated u.data reader local to these tests, logs from
/// literal (user, item, rating) rows, and seeded random logs for the properties.
module Repro.Tests.ProtocolTestData

open System
open System.IO
open Repro.Core.Data

/// MovieLens-100K's u.data (user \t item \t rating \t timestamp) through the shared builder.
let readUData (path: string) : InteractionLog =
    let builder = InteractionLogBuilder(path, DuplicatePolicy.KeepMax)
    for line in File.ReadLines path do
        let fields = line.Split '\t'
        builder.Add(int64 fields.[0], int64 fields.[1], float32 fields.[2])
    builder.Build()

/// A log from (user, item, rating) rows in file order, numeric ids.
let logOf (rows: (int * int * float) list) : InteractionLog =
    let builder = InteractionLogBuilder("literal rows", DuplicatePolicy.KeepMax)
    for (u, i, r) in rows do builder.Add(int64 u, int64 i, float32 r)
    builder.Build()

/// A log of binary events from (user, item) rows in file order.
let binaryLogOf (rows: (int * int) list) = logOf [ for (u, i) in rows -> (u, i, 1.0) ]

/// A random log from a seed: up to `users` users with ids spread out (so ids differ from codes),
/// up to `items` items, per-user activity from 1 to 40 events, ratings 1..5, events in random file order.
let randomLog (seed: int) (users: int) (items: int) : InteractionLog =
    let rnd = Random seed
    let rows = ResizeArray()
    for u in 0 .. users - 1 do
        let activity = 1 + rnd.Next 40
        for _ in 1 .. activity do rows.Add((7 * u + 3, 11 * rnd.Next items + 5, float (1 + rnd.Next 5)))
    let shuffled = rows.ToArray()
    rnd.Shuffle shuffled
    logOf (List.ofArray shuffled)

/// A tiny timed AMusic (`amusic/amusic.rating`) under <paramref name="dataDir"/>: 40 users in two
/// taste groups, 14 timed events each (4 train, 5 validation, 5 test under leave-5-by-time).
let writeTimedAmusic (dataDir: string) =
    Directory.CreateDirectory(Path.Combine(dataDir, "amusic")) |> ignore
    let rng = Random 3
    File.WriteAllLines(Path.Combine(dataDir, "amusic", "amusic.rating"),
        [ for u in 1 .. 40 do
            let group = if u % 2 = 0 then [ 1 .. 16 ] else [ 17 .. 32 ]
            for t, item in group |> List.sortBy (fun _ -> rng.Next()) |> List.take 14 |> List.indexed -> sprintf "%d,%d,5,%d" u item (1000 + t) ])
