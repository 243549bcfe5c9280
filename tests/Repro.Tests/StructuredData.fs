/// The small structured data set the trained models' tests share: users from four taste groups
/// over 64 items, so a model that learns anything beats popularity, and a validation set of
/// held-out users whose every third item is a target.
module Repro.Tests.StructuredData

open System
open Repro.Core.Protocols
open Repro.Core.Sparse

/// A binary CSR matrix with one row per list of item columns.
let csr (items: int) (rows: int list list) =
    let rowOf = [| for (u, r) in List.indexed rows do for _ in r -> u |]
    let colOf = [| for r in rows do yield! r |]
    CsrMatrix.FromPairs(List.length rows, items, ReadOnlySpan rowOf, ReadOnlySpan colOf)

let items = 64

/// Users from four taste groups, each preferring a block of 16 items, with one random item each.
let structuredRows (users: int) (seed: int) =
    let rnd = Random(seed)
    [ for u in 0 .. users - 1 ->
        let g = u % 4
        let block = [ g * 16 .. g * 16 + 15 ]
        [ for i in block do if rnd.NextDouble() < 0.5 then i ] @ [ rnd.Next items ] |> List.distinct |> List.sort ]

/// 200 training users (7 batches of 32, the last one short).
let train = csr items (structuredRows 200 1)

/// 60 held-out users; every third item of a user is a target, the rest fold-in.
let validation =
    let rows = structuredRows 60 2
    let foldIn = rows |> List.map (List.indexed >> List.filter (fun (k, _) -> k % 3 <> 0) >> List.map snd)
    let target = rows |> List.map (List.indexed >> List.filter (fun (k, _) -> k % 3 = 0) >> List.map snd)
    HeldOutSet(csr items foldIn, csr items target, 0, [| 0 .. 59 |], null)

/// Item content for the structured items (a model that reads content, CDL, gets it): each item
/// carries 3 of its taste group's 8 terms and one random term, over a vocabulary of that many terms.
let content (vocabulary: int) =
    let rnd = Random(3)
    csr vocabulary [ for i in 0 .. items - 1 ->
                        let g = i / 16
                        [ for r in 0 .. 7 do if rnd.NextDouble() < 0.4 || r = i % 8 then (g * 8 + r) % vocabulary ] @ [ rnd.Next vocabulary ]
                        |> List.distinct |> List.sort ]
