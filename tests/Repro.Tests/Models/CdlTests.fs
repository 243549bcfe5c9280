/// CDL: its ALS half-steps against a dense reference (lambda_v = 0 is WMF without an item penalty,
/// spec seed-models 8), its refusal without item content, CiteULike-a's tags as content.
module Repro.Tests.CdlTests

open System
open System.IO
open System.Threading
open Expecto
open Repro.Core.Data
open Repro.Core.Data.Readers
open Repro.Core.Models.Cdl
open Repro.Core.Sparse
open Repro.Harness
open Repro.Tests.LinearModelFixtures
open Repro.Tests.TempFiles

/// One dense ALS half-step: for each row r of x (rows x m, 0/1), z_r solves
/// (F^T F + c F_r^T F_r + lambda I) z = (1 + c) F_r^T 1 with F the fixed factors (m x k).
let private halfStep (x: float[,]) (f: float[,]) (c: float) (lambda: float) =
    let rows, m, k = Array2D.length1 x, Array2D.length2 x, Array2D.length2 f
    Array2D.init rows k (fun _ _ -> 0.0) |> fun z ->
        for r in 0 .. rows - 1 do
            let w i = if x.[r, i] > 0.0 then 1.0 + c else 1.0
            let a = Array2D.init k k (fun p q -> Seq.sum (seq { for i in 0 .. m - 1 -> f.[i, p] * w i * f.[i, q] }) + (if p = q then lambda else 0.0))
            let b = Array.init k (fun p -> Seq.sum (seq { for i in 0 .. m - 1 -> f.[i, p] * w i * x.[r, i] }))
            let inv = invert a
            for p in 0 .. k - 1 do z.[r, p] <- Seq.sum (seq { for q in 0 .. k - 1 -> inv.[p, q] * b.[q] })
        z

let private transpose (x: float[,]) = Array2D.init (Array2D.length2 x) (Array2D.length1 x) (fun i j -> x.[j, i])
let private rowsOf (flat: float32[]) (k: int) = Array2D.init (flat.Length / k) k (fun r p -> float flat.[r * k + p])

[<Tests>]
let tests =
    testSequenced <| testList "Models.Cdl" [
        testCase "with lambda_v = 0 its U and V are WMF's ALS sweeps from WMF's start, the item step without a penalty" <| fun () ->
            let train = randomCsr 5 30 10 0.3
            Expect.isTrue (Seq.forall (fun j -> (SparseProducts.Transpose train).RowLength j > 0) [ 0 .. 9 ]) "every item rated (else its v_j is the encoder's)"
            let content = randomCsr 6 10 12 0.4
            let hyper = CdlHyper(Factors = 3, LambdaU = 0.05, LambdaV = 0.0, Vocabulary = 12, Hidden = 4, Iterations = 3, PretrainEpochs = 1, BatchSize = 4)
            use model = Cdl.Fit(train, content, hyper, 17UL)
            // The reference: CDL's objective divided by b is WMF's, confidence 1 + (a/b - 1) on a positive, lambda_u / b on U, none on V.
            let c, lambda = hyper.PositiveConfidence / hyper.NegativeConfidence - 1.0, hyper.LambdaU / hyper.NegativeConfidence
            use start = Repro.Core.Models.Wmf.Wmf.InitialFactors(10, 3, hyper.InitScale, 17UL)
            let mutable v = rowsOf (start.data<float32>().ToArray()) 3
            let mutable u = Array2D.zeroCreate 0 0
            let x = dense train
            for _ in 1 .. hyper.Iterations do
                u <- halfStep x v c lambda
                v <- halfStep (transpose x) u c 0.0
            let close (what: string) (expected: float[,]) (got: float[,]) =
                let scale = Seq.max (seq { for a in expected -> abs (unbox<float> a) })
                Seq.iter2 (fun (e: obj) (g: obj) -> Expect.floatClose { absolute = 1e-4 * scale; relative = 1e-3 } (unbox g) (unbox e) what)
                          (Seq.cast<obj> expected) (Seq.cast<obj> got)
            close "U" u (rowsOf model.TrainingUserFactors 3)
            close "V" v (rowsOf (model.ItemFactors.ToArray()) 3)

        testCase "content with another item count than the training matrix is refused, saying both counts" <| fun () ->
            let e = Helpers.raises<ArgumentException> (fun () -> Cdl.Fit(randomCsr 1 5 6 0.5, randomCsr 2 7 4 0.5, CdlHyper(Factors = 2, Hidden = 3, Iterations = 1)) |> ignore)
            Expect.stringContains e.Message "content has 7 rows, the training matrix 6 items" "both counts"

        testCase "the catalogue refuses CDL on a dataset without item content, naming the dataset and those with content" <| fun () ->
            match Models.cdl.Entry.Making with
            | Fitted(fit, _) ->
                let context : FitContext =
                    { Train = randomCsr 1 5 6 0.5; Seed = 1UL; Threads = 1; Say = ignore
                      Progress = { new IProgress<_> with member _.Report _ = () }; Cancel = CancellationToken.None
                      ItemContent = (fun _ -> Datasets.noContent "ml-100k"); Validation = None; CacheDir = None }
                let e = Helpers.raises<InvalidOperationException> (fun () -> fit context Models.cdl.Entry.Tiny |> ignore)
                Expect.equal e.Message "CDL needs item content: ml-100k has no item content (datasets with content: citeulike-a)" "the message"
            | Trained _ -> failtest "CDL is fitted"

        testCase "an item no training user has scores by its encoder output, so a content-only item still ranks" <| fun () ->
            // Items 0-3 and 4-7 share terms by group; item 7 has no training user but group 1's terms.
            let train = csrOf 8 [ for u in 0 .. 19 -> if u % 2 = 0 then [ 0; 1; 2; 3 ] else [ 4; 5; 6 ] ]
            let content = csrOf 6 [ [ 0; 1 ]; [ 0; 1 ]; [ 0; 2 ]; [ 1; 2 ]; [ 3; 4 ]; [ 3; 5 ]; [ 4; 5 ]; [ 3; 4; 5 ] ]
            let hyper = CdlHyper(Factors = 2, Vocabulary = 6, Hidden = 4, Iterations = 5, PretrainEpochs = 20, BatchSize = 4, LearningRate = 0.05, LambdaU = 0.1)
            use model = Cdl.Fit(train, content, hyper, 3UL)
            let v = model.ItemFactors.ToArray()
            Expect.isTrue (v.[14] <> 0.0f || v.[15] <> 0.0f) "item 7's factors are not zero"
            Expect.isTrue (v |> Array.forall Single.IsFinite) "finite factors"
    ]

[<Tests>]
let readerTests =
    testList "Data.Readers.ItemTag" [
        testCase "item-tag.dat numbers items by line; the S most carried tags (ties to the smaller id) become binary columns in that order" <| fun () ->
            withFolder (fun dir ->
                writeText dir "tags.dat" "t0\nt1\nt2\nt3\nt4\n" |> ignore
                writeText dir "item-tag.dat" "2 3 1\n0\n3 1 4 1\n1 3\n" |> ignore
                let tags = ItemTagReader.Read dir
                Expect.equal (tags.Matrix.Rows, tags.Matrix.Columns) (4, 5) "4 items, 5 tags"
                Expect.sequenceEqual (tags.Matrix.Row(2).ToArray()) [| 1; 4 |] "a repeated tag kept once"
                // Tags 1 and 3 are carried by 2 items each, tag 4 by 1: S = 2 keeps 1 then 3.
                let content = tags.Content([| "2"; "0"; "3"; "1" |], 2)
                Expect.equal (content.Rows, content.Columns) (4, 2) "one row per item asked, S columns"
                Expect.isNull content.Values "binary: max-normalised presence is 0 or 1"
                Expect.sequenceEqual (content.Row(0).ToArray()) [| 0 |] "item 2: tag 1 (tag 4 is outside S)"
                Expect.sequenceEqual (Array.sort (content.Row(1).ToArray())) [| 0; 1 |] "item 0: tags 1 and 3"
                Expect.sequenceEqual (content.Row(2).ToArray()) [| 1 |] "item 3: tag 3"
                Expect.equal (content.RowLength 3) 0 "item 1: no tags"
                let e = Helpers.raises<ArgumentException> (fun () -> tags.Content([| "4" |], 2) |> ignore)
                Expect.stringContains e.Message "item '4' has no line in" "an item the file lacks is named")

        let bad name (text: string) (expected: string) =
            testCase name <| fun () ->
                withFolder (fun dir ->
                    writeText dir "tags.dat" "t0\nt1\nt2\n" |> ignore
                    let path = writeText dir "item-tag.dat" text
                    let e = Helpers.raises<DataFormatException> (fun () -> ItemTagReader.Read dir |> ignore)
                    Expect.equal e.Message (sprintf "%s:%s" path (expected.Replace("TAGS", Path.Combine(dir, "tags.dat")))) "file, line and problem")
        bad "a count that disagrees with the tags is refused at its line" "1 0\n2 1\n" "2: expected 2 tag ids (the count at the start of the line), found 1"
        bad "a tag id tags.dat lacks is refused, saying how many tags there are" "1 2\n1 3\n" (sprintf "2: tag id 3 is not in %s (3 tags, ids 0 to 2)" "TAGS")
        bad "a tag id that is not an integer is refused" "2 1 x\n" "1: expected an integer tag id, found \"x\""

        testCase "a folder without tags.dat is named" <| fun () ->
            withFolder (fun dir ->
                writeText dir "item-tag.dat" "1 0\n" |> ignore
                let e = Expect.throwsC (fun () -> ItemTagReader.Read dir |> ignore) id
                Expect.stringContains e.Message "tags.dat" "names the missing file")

        SharedData.testWithData "citeulike-a" "CiteULike-a's tags: 16,980 items over 46,391 tags; S = 8000 columns, every item with a tag keeps one" <| fun dir ->
            let tags = ItemTagReader.Read dir
            Expect.equal (tags.Matrix.Rows, tags.Matrix.Columns) (16980, 46391) "items and tags (README)"
            let content = tags.Content([| for j in 0 .. 16979 -> string j |], 8000)
            Expect.equal content.Columns 8000 "S columns"
            let withTags = [ for j in 0 .. 16979 do if tags.Matrix.RowLength j > 0 then j ]
            let kept = withTags |> List.filter (fun j -> content.RowLength j > 0) |> List.length
            Expect.isGreaterThan (float kept / float withTags.Length) 0.9 "most tagged items keep a tag among the 8000 most carried"
    ]
