/// Small hand-checkable matrices and dense references shared by the linear models' tests
/// (popularity, EASE^R, WMF, SLIM).
module Repro.Tests.LinearModelFixtures

open System
open Repro.Core.Sparse
open Repro.Core.Models

let allRows (m: CsrMatrix) = [| 0 .. m.Rows - 1 |]

/// A binary CSR matrix from rows of item lists.
let csrOf (items: int) (rows: int list list) =
    let pairs = [| for u, row in List.indexed rows do for i in row -> u, i |]
    CsrMatrix.FromPairs(rows.Length, items, ReadOnlySpan(Array.map fst pairs), ReadOnlySpan(Array.map snd pairs))

/// A dense 0/1 copy, users x items.
let dense (m: CsrMatrix) =
    let x = Array2D.zeroCreate<float> m.Rows m.Columns
    for u in 0 .. m.Rows - 1 do
        for i in m.Row(u).ToArray() do x.[u, i] <- 1.0
    x

/// A random binary matrix: each entry present with probability p, every row non-empty.
let randomCsr (seed: int) (users: int) (items: int) (p: float) =
    let rnd = Random seed
    csrOf items [ for _ in 1 .. users -> match [ for i in 0 .. items - 1 do if rnd.NextDouble() < p then i ] with [] -> [ rnd.Next items ] | r -> r ]

/// Gauss-Jordan with partial pivoting: the inverse of a small dense matrix (independent of every library).
let invert (a: float[,]) =
    let n = Array2D.length1 a
    let m = Array2D.init n (2 * n) (fun i j -> if j < n then a.[i, j] elif j - n = i then 1.0 else 0.0)
    for c in 0 .. n - 1 do
        let p = [ c .. n - 1 ] |> List.maxBy (fun r -> abs m.[r, c])
        for j in 0 .. 2 * n - 1 do
            let t = m.[c, j] in m.[c, j] <- m.[p, j]; m.[p, j] <- t
        let d = m.[c, c]
        for j in 0 .. 2 * n - 1 do m.[c, j] <- m.[c, j] / d
        for r in 0 .. n - 1 do
            if r <> c then
                let f = m.[r, c]
                for j in 0 .. 2 * n - 1 do m.[r, j] <- m.[r, j] - f * m.[c, j]
    Array2D.init n n (fun i j -> m.[i, j + n])

let scoreAll (model: IRecommender) (foldIn: CsrMatrix) =
    let out = Array.zeroCreate<float32> (foldIn.Rows * model.Items)
    model.Score(foldIn, ReadOnlySpan(allRows foldIn), Span out)
    out
