module Repro.Tests.ProSgFormatTests

open System
open System.IO
open Expecto
open Repro.Core.Data
open Repro.Core.Protocols
open Repro.Tests.ProtocolTestData
open Repro.Tests.TempFiles
open Repro.Tests.StrongGeneralizationTests

let private files =
    [ ProSgFormat.ItemsFile; ProSgFormat.TrainFile; ProSgFormat.ValidationFoldInFile
      ProSgFormat.ValidationTargetFile; ProSgFormat.TestFoldInFile; ProSgFormat.TestTargetFile ]

let private expectSameBytes (expectedDir: string) (actualDir: string) =
    for name in files do
        let expected = File.ReadAllBytes(Path.Combine(expectedDir, name))
        let actual = File.ReadAllBytes(Path.Combine(actualDir, name))
        Expect.isTrue (expected.AsSpan().SequenceEqual(ReadOnlySpan actual)) (sprintf "%s differs from %s" name expectedDir)

let private csv (rows: (int * int) list) =
    "uid,sid\n" + String.Join("", [ for (u, s) in rows -> sprintf "%d,%d\n" u s ])

/// Exports the hand-checked split, applies `damage` to one file, and expects Import to name file, line and problem.
let private expectImportError (file: string) (damage: string -> string) (line: int64) (problem: string) =
    use folder = new TempFolder()
    ProSgFormat.Export(handCheckedSplit (), folder.Path)
    let path = Path.Combine(folder.Path, file)
    match damage (File.ReadAllText path) with
    | null -> File.Delete path
    | text -> File.WriteAllText(path, text)
    let error = Expect.throwsC (fun () -> ProSgFormat.Import folder.Path |> ignore) id
    match error with
    | :? DataFormatException as e ->
        Expect.equal (Path.GetFileName e.File) file "names the file"
        Expect.equal e.Line line "names the line"
        Expect.stringContains e.Problem problem "says what is wrong"
    | other -> failtestf "expected a DataFormatException, got %O" other

let private replace (a: string) (b: string) (text: string) =
    Expect.stringContains text a "the damage applies"
    text.Replace(a, b)

[<Tests>]
let tests =
    testList "Protocols.ProSgFormat" [
        SharedData.testWithData "ml-100k" "ML-100K exported from u.data is byte-identical to the reference split" <| fun dir ->
            let split = StrongGeneralization.Split(Preprocessing.ExplicitRatings.Filter(readUData (Path.Combine(dir, "u.data"))), HeldOutUsers 100)
            use folder = new TempFolder()
            ProSgFormat.Export(split, folder.Path)
            expectSameBytes (Path.Combine(dir, "reference-split")) folder.Path

        SharedData.testWithData "ml-100k" "importing the reference split and exporting it again gives the same bytes" <| fun dir ->
            let reference = Path.Combine(dir, "reference-split")
            let imported = ProSgFormat.Import reference
            use folder = new TempFolder()
            ProSgFormat.Export(imported, folder.Path)
            expectSameBytes reference folder.Path

        SharedData.testWithData "ml-100k" "the imported reference split equals the split computed from u.data" <| fun dir ->
            let computed = StrongGeneralization.Split(Preprocessing.ExplicitRatings.Filter(readUData (Path.Combine(dir, "u.data"))), HeldOutUsers 100)
            let imported = ProSgFormat.Import(Path.Combine(dir, "reference-split"))
            Expect.equal imported.ItemIds computed.ItemIds "vocabulary"
            Expect.equal (imported.Validation.FirstUid, imported.Test.FirstUid) (738, 838) "uids re-based as load_tr_te_data does"
            Expect.isNull imported.TrainUserIds "the files carry no original user ids"
            for (a, b, name) in [ (imported.Train, computed.Train, "train"); (imported.ValidationFoldIn, computed.ValidationFoldIn, "validation fold-in")
                                  (imported.ValidationTarget, computed.ValidationTarget, "validation target"); (imported.TestFoldIn, computed.TestFoldIn, "test fold-in")
                                  (imported.TestTarget, computed.TestTarget, "test target") ] do
                Expect.equal (a.Rows, a.Columns, a.RowStart, a.ColumnIndex) (b.Rows, b.Columns, b.RowStart, b.ColumnIndex) name
            Expect.equal imported.TrainFileOrder computed.TrainFileOrder "train.csv order"

        testCase "hand-checked: the files are what pandas to_csv(index=False) writes" <| fun () ->
            use folder = new TempFolder()
            ProSgFormat.Export(handCheckedSplit (), folder.Path)
            let read name = File.ReadAllText(Path.Combine(folder.Path, name))
            Expect.equal (read ProSgFormat.ItemsFile) (String.Join("", [ for i in 100 .. 129 -> sprintf "%d\n" i ])) "unique_sid.txt"
            Expect.equal (read ProSgFormat.TrainFile)
                (csv ([ for v in 0 .. 29 -> (0, v) ] @ [ (2, 5); (1, 1); (2, 0); (3, 2); (4, 3); (5, 4); (1, 29) ])) "train.csv in file order"
            Expect.equal (read ProSgFormat.ValidationTargetFile) (csv [ (7, 12); (6, 1); (6, 3); (6, 12); (6, 13) ]) "grouped by ascending original id"
            Expect.equal (read ProSgFormat.ValidationFoldInFile)
                (csv ([ for c in [ 10; 11; 13; 14; 15; 16 ] -> (7, c) ] @ [ for c in [ 0; 2 ] @ [ 4 .. 11 ] @ [ 14 .. 22 ] -> (6, c) ])) "validation fold-in"
            Expect.equal (read ProSgFormat.TestTargetFile) (csv [ (8, 27); (8, 28) ]) "test targets"
            Expect.equal (read ProSgFormat.TestFoldInFile) (csv ([ for c in [ 20 .. 26 ] @ [ 29 ] -> (8, c) ] @ [ (9, 1); (9, 2); (9, 3) ])) "test fold-in"

        testCase "export overwrites an earlier export and leaves no temporary files" <| fun () ->
            use folder = new TempFolder()
            File.WriteAllText(Path.Combine(folder.Path, ProSgFormat.TrainFile), "stale")
            ProSgFormat.Export(handCheckedSplit (), folder.Path)
            Expect.equal (Directory.GetFiles folder.Path |> Array.map Path.GetFileName |> Array.sort) (List.toArray files |> Array.sort) "exactly the six files"
            Expect.stringStarts (File.ReadAllText(Path.Combine(folder.Path, ProSgFormat.TrainFile))) "uid,sid\n0,0\n" "replaced"

        testCase "import rejects a missing file" <| fun () ->
            expectImportError ProSgFormat.TestTargetFile (fun _ -> null) 0L "missing file"
        testCase "import rejects a bad header" <| fun () ->
            expectImportError ProSgFormat.ValidationFoldInFile (replace "uid,sid" "user,sid") 1L "bad header"
        testCase "import rejects a non-integer" <| fun () ->
            expectImportError ProSgFormat.TrainFile (replace "\n0,1\n" "\n0,1.5\n") 3L "not a non-negative integer"
        testCase "import rejects a sid outside unique_sid.txt" <| fun () ->
            expectImportError ProSgFormat.ValidationTargetFile (replace "7,12\n" "7,30\n") 2L "outside 0..29"
        testCase "import rejects targets for a user without fold-in (tr/te user ranges differ)" <| fun () ->
            expectImportError ProSgFormat.TestTargetFile (fun t -> t + "10,0\n") 4L "no rows in test_tr.csv"
        testCase "import rejects an item that is both fold-in and target" <| fun () ->
            expectImportError ProSgFormat.ValidationTargetFile (replace "7,12\n" "7,10\n") 2L "also fold-in"
        testCase "import rejects a repeated (uid, sid) pair" <| fun () ->
            expectImportError ProSgFormat.TrainFile (fun t -> t + "1,29\n") 39L "repeats line 38"
        testCase "import rejects held-out uids that overlap training uids" <| fun () ->
            expectImportError ProSgFormat.ValidationFoldInFile (replace "7,10\n" "5,10\n") 0L "overlap the train uids"
        testCase "import rejects a repeated item id" <| fun () ->
            expectImportError ProSgFormat.ItemsFile (replace "\n101\n" "\n100\n") 2L "repeats line 1"

        testProperty "export, import and export again gives the same bytes" <| fun (seed: int) ->
            match randomCase seed with
            | None -> true
            | Some (log, h) ->
                use first = new TempFolder()
                use second = new TempFolder()
                let split = StrongGeneralization.Split(log, h)
                ProSgFormat.Export(split, first.Path)
                ProSgFormat.Export(ProSgFormat.Import(first.Path, requireTargets = false), second.Path)
                files |> List.forall (fun name ->
                    File.ReadAllBytes(Path.Combine(first.Path, name)) = File.ReadAllBytes(Path.Combine(second.Path, name)))
    ]
