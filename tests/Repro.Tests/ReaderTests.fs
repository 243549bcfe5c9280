module Repro.Tests.ReaderTests

open System
open System.Collections.Generic
open System.Diagnostics
open System.Globalization
open System.IO
open System.Text
open Expecto
open FsCheck
open Repro.Core.Data
open Repro.Core.Data.Readers
open Repro.Tests.TempFiles

// ---------------------------------------------------------------------------------------------
// Helpers

let private inv = CultureInfo.InvariantCulture

/// A log's events as (user id, item id, value), in log order.
let events (log: InteractionLog) =
    [ for k in 0 .. log.Count - 1 -> log.UserIds.[log.Users.[k]], log.ItemIds.[log.Items.[k]], log.Values.[k] ]

/// The log holds exactly these events in this order (values within 1e-6).
let expectEvents (log: InteractionLog) (expected: (string * string * float32) list) =
    let actual = events log
    Expect.equal (actual |> List.map (fun (u, i, _) -> u, i)) (expected |> List.map (fun (u, i, _) -> u, i)) "(user, item) of each event, in file order"
    List.iter2 (fun (_, _, a: float32) (_, _, e: float32) -> Expect.isLessThanOrEqual (abs (float a - float e)) 1e-6 "value") actual expected

type IdOrder =
    | Numeric
    | Ordinal

/// What a reader should return for raw events: duplicates merged into their first occurrence by the
/// policy and counted, ids listed in sorted order. Independent of InteractionLogBuilder.
let reference (order: IdOrder) (policy: DuplicatePolicy) (raw: (string * string * float32) list) =
    let position = Dictionary<string * string, int>()
    let kept = ResizeArray<string * string * float32>()
    let mutable merged = 0
    for (u, i, v) in raw do
        match position.TryGetValue((u, i)) with
        | true, k ->
            let (_, _, old) = kept.[k]
            let value =
                match policy with
                | DuplicatePolicy.KeepMax -> max old v
                | DuplicatePolicy.Sum -> old + v
                | _ -> old
            kept.[k] <- (u, i, value)
            merged <- merged + 1
        | _ ->
            position.[(u, i)] <- kept.Count
            kept.Add((u, i, v))
    let sorted (ids: string seq) =
        let distinct = ids |> Seq.distinct |> Array.ofSeq
        match order with
        | Numeric -> distinct |> Array.sortBy int64
        | Ordinal -> distinct |> Array.sortWith (fun a b -> String.CompareOrdinal(a, b))
    List.ofSeq kept, sorted (raw |> Seq.map (fun (u, _, _) -> u)), sorted (raw |> Seq.map (fun (_, i, _) -> i)), merged

/// The log equals the reference exactly: ids, events in order, values bit for bit, merge count.
let expectLike (log: InteractionLog) (expected, userIds: string[], itemIds: string[], merged: int) =
    Expect.sequenceEqual log.UserIds userIds "user ids in id order"
    Expect.sequenceEqual log.ItemIds itemIds "item ids in id order"
    let bits (u, i, v: float32) = u, i, BitConverter.SingleToInt32Bits v
    Expect.sequenceEqual (events log |> List.map bits) (expected |> List.map bits) "events in file order with merged values"
    Expect.equal log.DuplicatesMerged merged "duplicates merged"

/// Integer ids whose text order differs from their numeric order.
let private numericIds = [| "1"; "2"; "10"; "11"; "100"; "999"; "1000"; "123456789012" |]
let private numericId (b: byte) = numericIds.[int b % numericIds.Length]

/// Text ids in several scripts and cases (ordinal order puts "B8" before "a").
let private textIds = [| "b80344d063b5ccb3212f76538f3d9e43d87dca9e"; "B8"; "a"; "Zed"; "0abc"; "SOAKIMP12A8C130995"; "über"; "a-b" |]
let private textId (b: byte) = textIds.[int b % textIds.Length]

let private halfStar (b: byte) = float32 (int b % 10 + 1) / 2.0f
let private rating (v: float32) = v.ToString("0.0", inv)

let private properties = { FsCheckConfig.defaultConfig with maxTest = 60 }

// ---------------------------------------------------------------------------------------------
// Exact results on small hand-written files

[<Tests>]
let exact =
    testList "Data.Readers.Exact" [
        testCase "MovieLens ratings.csv reads events in file order with ids coded in numeric order" <| fun () ->
            let text = "userId,movieId,rating,timestamp\n10,5,4.0,964982703\n2,31,2.5,964982224\n10,31,0.5,964983815\n"
            withFile "ratings.csv" text (fun path ->
                let log = MovieLensCsvReader.Read path
                expectEvents log [ "10", "5", 4.0f; "2", "31", 2.5f; "10", "31", 0.5f ]
                Expect.sequenceEqual log.UserIds [| "2"; "10" |] "users in numeric order"
                Expect.sequenceEqual log.Users [| 1; 0; 1 |] "user codes"
                Expect.sequenceEqual log.Items [| 0; 1; 1 |] "item codes"
                Expect.equal log.Source path "source is the path")

        testCase "MovieLens ratings.csv with CRLF, a byte-order mark and no final newline reads the same" <| fun () ->
            let text = "\uFEFFuserId,movieId,rating,timestamp\r\n10,5,4.0,964982703\r\n2,31,2.5,964982224"
            withFile "ratings.csv" text (fun path ->
                expectEvents (MovieLensCsvReader.Read path) [ "10", "5", 4.0f; "2", "31", 2.5f ])

        testCase "MovieLens ratings.csv keeps the highest rating of a re-rated movie at its first position" <| fun () ->
            let text = "userId,movieId,rating,timestamp\n1,7,2.0,1\n1,8,3.0,2\n1,7,4.5,3\n1,7,1.0,4\n"
            withFile "ratings.csv" text (fun path ->
                let log = MovieLensCsvReader.Read path
                expectEvents log [ "1", "7", 4.5f; "1", "8", 3.0f ]
                Expect.equal log.DuplicatesMerged 2 "two repeats merged")

        testCase "MovieLens ratings.dat reads u::i::r::t lines" <| fun () ->
            withFile "ratings.dat" "1::1193::5::978300760\n1::661::3::978302109\n6040::1::4::956703954\n" (fun path ->
                expectEvents (MovieLensDatReader.Read path) [ "1", "1193", 5.0f; "1", "661", 3.0f; "6040", "1", 4.0f ])

        testCase "MovieLens-100K u.data reads tab-separated lines" <| fun () ->
            withFile "u.data" "196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\t1\t878887116\n" (fun path ->
                let log = MovieLens100KReader.Read path
                expectEvents log [ "196", "242", 3.0f; "186", "302", 3.0f; "22", "377", 1.0f ]
                Expect.sequenceEqual log.UserIds [| "22"; "186"; "196" |] "users in numeric order")

        testCase "Netflix combined files are read in number order, each movie's ratings under its header" <| fun () ->
            withFolder (fun dir ->
                writeText dir "combined_data_2.txt" "3:\n7,1,2005-01-01\n" |> ignore
                writeText dir "combined_data_1.txt" "1:\n7,3,2005-09-06\n8,5,2004-02-29\n2:\r\n8,4,2003-12-31\r\n" |> ignore
                writeText dir "probe.txt" "1:\n30878\n" |> ignore
                let layout, files = NetflixPrizeReader.FindFiles dir
                Expect.equal layout NetflixLayout.Combined "combined layout"
                Expect.sequenceEqual (files |> Seq.map (fun f -> Path.GetFileName f)) [ "combined_data_1.txt"; "combined_data_2.txt" ] "number order"
                expectEvents (NetflixPrizeReader.Read dir) [ "7", "1", 3.0f; "8", "1", 5.0f; "8", "2", 4.0f; "7", "3", 1.0f ])

        testCase "Netflix training_set files are read in movie id order" <| fun () ->
            withFolder (fun dir ->
                writeText dir "training_set/mv_0000010.txt" "10:\n5,2,2005-01-01\n" |> ignore
                writeText dir "training_set/mv_0000002.txt" "2:\n6,4,2005-01-01\n5,3,2005-01-02\n" |> ignore
                writeText dir "training_set/mv_0000009.txt" "9:\n6,1,2005-01-01" |> ignore
                Expect.equal (fst (NetflixPrizeReader.FindFiles dir)) NetflixLayout.TrainingSet "per-movie layout"
                expectEvents (NetflixPrizeReader.Read dir) [ "6", "2", 4.0f; "5", "2", 3.0f; "6", "9", 1.0f; "5", "10", 2.0f ])

        testCase "MSD taste profile keeps text ids in ordinal order and sums repeated play counts" <| fun () ->
            let text = "b80344d0\tSOAKIMP12A8C130995\t1\nb80344d0\tSOAPDEY12A81C210A9\t2\n85c1f87f\tSOAKIMP12A8C130995\t5\nb80344d0\tSOAKIMP12A8C130995\t3\n"
            withFile "train_triplets.txt" text (fun path ->
                let log = MsdTasteProfileReader.Read path
                expectEvents log [ "b80344d0", "SOAKIMP12A8C130995", 4.0f; "b80344d0", "SOAPDEY12A81C210A9", 2.0f; "85c1f87f", "SOAKIMP12A8C130995", 5.0f ]
                Expect.sequenceEqual log.UserIds [| "85c1f87f"; "b80344d0" |] "ordinal order"
                Expect.equal log.DuplicatesMerged 1 "one repeat")

        testCase "LightGCN train and test share one id space, and a user line may list no items" <| fun () ->
            withFolder (fun dir ->
                writeText dir "train.txt" "0 5 3\n1\n2 3 3 7\n" |> ignore
                writeText dir "test.txt" "0 7\n1 9\n2\n" |> ignore
                let split = LightGcnSplitReader.Read dir
                expectEvents split.Train [ "0", "5", 1.0f; "0", "3", 1.0f; "2", "3", 1.0f; "2", "7", 1.0f ]
                expectEvents split.Test [ "0", "7", 1.0f; "1", "9", 1.0f ]
                Expect.sequenceEqual split.Train.UserIds [| "0"; "1"; "2" |] "users of both parts"
                Expect.sequenceEqual split.Train.ItemIds [| "3"; "5"; "7"; "9" |] "items of both parts"
                Expect.isTrue (obj.ReferenceEquals(split.Train.UserIds, split.Test.UserIds)) "one user id array"
                Expect.isTrue (obj.ReferenceEquals(split.Train.ItemIds, split.Test.ItemIds)) "one item id array"
                Expect.sequenceEqual split.Test.Items [| 2; 3 |] "test item codes in the shared space"
                Expect.equal split.Train.DuplicatesMerged 1 "user 2 lists item 3 twice"
                Expect.equal split.Test.DuplicatesMerged 0 "no repeats in test")

        testCase "CDL's split: train and test in users.dat's format share one id space, and an empty part may be written \"0 \"" <| fun () ->
            withFolder (fun dir ->
                writeText dir "cf-train-2-users.dat" "2 10 4\n2 4 7\n1 3\n" |> ignore
                writeText dir "cf-test-2-users.dat" "1 7\n0 \n2 10 12\n" |> ignore
                let split = CdlSplitReader.Read(dir, 2)
                expectEvents split.Train [ "0", "10", 1.0f; "0", "4", 1.0f; "1", "4", 1.0f; "1", "7", 1.0f; "2", "3", 1.0f ]
                expectEvents split.Test [ "0", "7", 1.0f; "2", "10", 1.0f; "2", "12", 1.0f ]
                Expect.sequenceEqual split.Train.ItemIds [| "3"; "4"; "7"; "10"; "12" |] "items of both parts"
                Expect.isTrue (obj.ReferenceEquals(split.Train.UserIds, split.Test.UserIds)) "one user id array")

        testCase "CDL's split: a missing part is named" <| fun () ->
            withFolder (fun dir ->
                writeText dir "cf-train-1-users.dat" "1 3\n" |> ignore
                let e = Expect.throwsC (fun () -> CdlSplitReader.Read(dir, 1) |> ignore) id
                Expect.stringContains e.Message "cf-test-1-users.dat" "names the missing file")

        testCase "CiteULike users.dat numbers users by line from 0 and skips users with no items" <| fun () ->
            withFile "users.dat" "2 10 4\n0\n1 4" (fun path ->
                let log = CiteULikeReader.Read path
                expectEvents log [ "0", "10", 1.0f; "0", "4", 1.0f; "2", "4", 1.0f ]
                Expect.sequenceEqual log.UserIds [| "0"; "2" |] "user 1 has no items")

        testCase "Last.fm user_artists.dat reads weights as values" <| fun () ->
            withFile "user_artists.dat" "userID\tartistID\tweight\r\n2\t51\t13883\r\n2\t52\t11690\r\n3\t51\t7\r\n" (fun path ->
                expectEvents (LastFmUserArtistsReader.Read path) [ "2", "51", 13883.0f; "2", "52", 11690.0f; "3", "51", 7.0f ])

        testCase "the delimited reader finds columns by header name, ignores extra columns and keeps values" <| fun () ->
            withFile "events.tsv" "ts\titem\tscore\tuser\n9\t20\t0.25\t7\n9\t21\t1e2\t8\n" (fun path ->
                let format = DelimitedFormat("\t", true, ColumnRef.Named "user", ColumnRef.Named "item", Nullable(ColumnRef.Named "score"))
                expectEvents (DelimitedReader.Read(path, format)) [ "7", "20", 0.25f; "8", "21", 100.0f ])

        testCase "the delimited reader without a header takes columns by index and counts each event 1" <| fun () ->
            withFile "pairs.txt" "a::x\nb::x\na::y\na::x\n" (fun path ->
                let format = DelimitedFormat("::", false, ColumnRef.At 0, ColumnRef.At 1, Ids = IdKind.Text, Duplicates = DuplicatePolicy.Sum)
                let log = DelimitedReader.Read(path, format)
                expectEvents log [ "a", "x", 2.0f; "b", "x", 1.0f; "a", "y", 1.0f ])

        testCase "item titles from movies.csv unquote titles holding commas and quotes" <| fun () ->
            let text = "movieId,title,genres\r\n1,Toy Story (1995),Adventure|Animation\r\n11,\"American President, The (1995)\",Comedy\r\n7789,\"11'09\"\"01 - September 11 (2002)\",Drama\r\n"
            withFile "movies.csv" text (fun path ->
                let titles = ItemTitles.ReadMovieLensCsv path
                Expect.equal titles.Count 3 "three movies"
                Expect.equal titles.["1"] "Toy Story (1995)" "plain"
                Expect.equal titles.["11"] "American President, The (1995)" "quoted with a comma"
                Expect.equal titles.["7789"] "11'09\"01 - September 11 (2002)" "doubled quote")

        testCase "item titles from u.item are read as Latin-1" <| fun () ->
            withFolder (fun dir ->
                let line = "543|Misérables, Les (1995)|01-Jan-1995||http://x|0|0|0|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0\n"
                let path = writeBytes dir "u.item" (Encoding.Latin1.GetBytes line)
                Expect.equal (ItemTitles.ReadMovieLens100K path).["543"] "Misérables, Les (1995)" "Latin-1 é")

        testCase "item titles from movies.dat are read as UTF-8 when valid, else as Latin-1" <| fun () ->
            withFolder (fun dir ->
                let text = "1::Toy Story (1995)::Animation\n73::Misérables, Les (1995)::Drama\n"
                let latin = writeBytes dir "latin/movies.dat" (Encoding.Latin1.GetBytes text)
                let utf8 = writeText dir "utf8/movies.dat" text
                Expect.equal (ItemTitles.ReadMovieLensDat latin).["73"] "Misérables, Les (1995)" "ML-1M style Latin-1"
                Expect.equal (ItemTitles.ReadMovieLensDat utf8).["73"] "Misérables, Les (1995)" "ML-10M style UTF-8")

        testCase "item titles from Last.fm artists.dat map artist id to name" <| fun () ->
            withFile "artists.dat" "id\tname\turl\tpictureURL\n1\tMALICE MIZER\thttp://a\thttp://b\n007\tSigur Rós\thttp://c\t\n" (fun path ->
                let titles = ItemTitles.ReadLastFmArtists path
                Expect.equal titles.["1"] "MALICE MIZER" "artist 1"
                Expect.equal titles.["7"] "Sigur Rós" "keyed like ItemIds, without leading zeros")
    ]

// ---------------------------------------------------------------------------------------------
// Round trips: write random events in a format, read them back

[<Tests>]
let roundTrips =
    testList "Data.Readers.RoundTrip" [
        testPropertyWithConfig properties "MovieLens ratings.csv gives back any events in order, re-ratings merged by max and counted" <|
            fun (NonEmptyArray (rows: (byte * byte * byte)[])) (crlf: bool) ->
                let raw = [ for (u, i, r) in rows -> numericId u, numericId i, halfStar r ]
                let nl = if crlf then "\r\n" else "\n"
                let text = "userId,movieId,rating,timestamp" + nl + String.Join("", [ for (u, i, r) in raw -> $"{u},{i},{rating r},978300760{nl}" ])
                withFile "ratings.csv" text (fun path -> expectLike (MovieLensCsvReader.Read path) (reference Numeric DuplicatePolicy.KeepMax raw))

        testPropertyWithConfig properties "MovieLens ratings.dat gives back any events in order" <|
            fun (NonEmptyArray (rows: (byte * byte * byte)[])) ->
                let raw = [ for (u, i, r) in rows -> numericId u, numericId i, halfStar r ]
                let text = String.Join("", [ for (u, i, r) in raw -> $"{u}::{i}::{rating r}::978300760\n" ])
                withFile "ratings.dat" text (fun path -> expectLike (MovieLensDatReader.Read path) (reference Numeric DuplicatePolicy.KeepMax raw))

        testPropertyWithConfig properties "MovieLens-100K u.data gives back any events in order" <|
            fun (NonEmptyArray (rows: (byte * byte * byte)[])) ->
                let raw = [ for (u, i, r) in rows -> numericId u, numericId i, float32 (int r % 5 + 1) ]
                let text = String.Join("", [ for (u, i, r) in raw -> $"{u}\t{i}\t{r}\t881250949\n" ])
                withFile "u.data" text (fun path -> expectLike (MovieLens100KReader.Read path) (reference Numeric DuplicatePolicy.KeepMax raw))

        testPropertyWithConfig properties "Netflix combined files give back any movie blocks in file order" <|
            fun (NonEmptyArray (blocks: (byte * NonEmptyArray<byte * byte>)[])) (files: byte) ->
                let blocks = [ for (m, NonEmptyArray ratings) in blocks -> numericId m, [ for (u, r) in ratings -> numericId u, float32 (int r % 5 + 1) ] ]
                let fileCount = min blocks.Length (int files % 3 + 1)
                let perFile = blocks |> List.splitInto fileCount
                let raw = [ for (m, ratings) in blocks do for (u, r) in ratings -> u, m, r ]
                withFolder (fun dir ->
                    perFile |> List.iteri (fun k part ->
                        let text = String.Join("", [ for (m, ratings) in part -> $"{m}:\n" + String.Join("", [ for (u, r) in ratings -> $"{u},{r},2005-09-06\n" ]) ])
                        writeText dir $"combined_data_{k + 1}.txt" text |> ignore)
                    expectLike (NetflixPrizeReader.Read dir) (reference Numeric DuplicatePolicy.KeepMax raw))

        testPropertyWithConfig properties "Netflix training_set files give back any movies' ratings in movie id order" <|
            fun (NonEmptyArray (blocks: (byte * NonEmptyArray<byte * byte>)[])) ->
                let blocks =
                    [ for (m, NonEmptyArray ratings) in blocks -> numericId m, [ for (u, r) in ratings -> numericId u, float32 (int r % 5 + 1) ] ]
                    |> List.distinctBy fst
                let raw = [ for (m, ratings) in blocks |> List.sortBy (fst >> int64) do for (u, r) in ratings -> u, m, r ]
                withFolder (fun dir ->
                    for (m, ratings) in blocks do
                        let text = $"{m}:\n" + String.Join("", [ for (u, r) in ratings -> $"{u},{r},2005-09-06\n" ])
                        writeText dir (sprintf "training_set/mv_%07d.txt" (int64 m)) text |> ignore
                    expectLike (NetflixPrizeReader.Read dir) (reference Numeric DuplicatePolicy.KeepMax raw))

        testPropertyWithConfig properties "MSD triplets give back any text-id events in order, repeats summed" <|
            fun (NonEmptyArray (rows: (byte * byte * byte)[])) ->
                let raw = [ for (u, i, c) in rows -> textId u, textId (i / 3uy), float32 (int c % 50 + 1) ]
                let text = String.Join("", [ for (u, i, c) in raw -> $"{u}\t{i}\t{c}\n" ])
                withFile "train_triplets.txt" text (fun path -> expectLike (MsdTasteProfileReader.Read path) (reference Ordinal DuplicatePolicy.Sum raw))

        testPropertyWithConfig properties "Last.fm user_artists.dat gives back any weights in order, repeats summed" <|
            fun (NonEmptyArray (rows: (byte * byte * uint16)[])) ->
                let raw = [ for (u, i, w) in rows -> numericId u, numericId i, float32 w ]
                let text = "userID\tartistID\tweight\r\n" + String.Join("", [ for (u, i, w) in raw -> $"{u}\t{i}\t{w}\r\n" ])
                withFile "user_artists.dat" text (fun path -> expectLike (LastFmUserArtistsReader.Read path) (reference Numeric DuplicatePolicy.Sum raw))

        testPropertyWithConfig properties "CiteULike users.dat gives back any libraries, user id = line number" <|
            fun (NonEmptyArray (lines: byte list[])) ->
                let raw = [ for user, items in Array.indexed lines do for i in items -> string user, numericId i, 1.0f ]
                let text = String.Join("\n", [ for items in lines -> String.Join(" ", string items.Length :: List.map numericId items) ])
                withFile "users.dat" text (fun path -> expectLike (CiteULikeReader.Read path) (reference Numeric DuplicatePolicy.KeepFirst raw))

        testPropertyWithConfig properties "LightGCN split gives back both parts in one id space" <|
            fun (NonEmptyArray (train: (byte * byte list)[])) (NonEmptyArray (test: (byte * byte list)[])) ->
                let lines part = String.Join("\n", [ for (u, items) in part -> String.Join(" ", numericId u :: List.map numericId items) ]) + "\n"
                let raw part = [ for (u, items) in part do for i in items -> numericId u, numericId i, 1.0f ]
                withFolder (fun dir ->
                    writeText dir "train.txt" (lines train) |> ignore
                    writeText dir "test.txt" (lines test) |> ignore
                    let split = LightGcnSplitReader.Read dir
                    let (_, users, items, _) = reference Numeric DuplicatePolicy.KeepFirst (raw train @ raw test)
                    let (trainEvents, _, _, trainMerged) = reference Numeric DuplicatePolicy.KeepFirst (raw train)
                    let (testEvents, _, _, testMerged) = reference Numeric DuplicatePolicy.KeepFirst (raw test)
                    expectLike split.Train (trainEvents, users, items, trainMerged)
                    expectLike split.Test (testEvents, users, items, testMerged))

        testPropertyWithConfig properties "the delimited reader gives back any events under any column layout" <|
            fun (NonEmptyArray (rows: (byte * byte * NormalFloat)[])) (delimiterChoice: byte) (header: bool) (orderChoice: byte) (withValue: bool) (text: bool) (policyChoice: byte) ->
                let delimiter = [| ","; "\t"; ";"; "::"; " " |].[int delimiterChoice % 5]
                let policy = [| DuplicatePolicy.KeepMax; DuplicatePolicy.Sum; DuplicatePolicy.KeepFirst |].[int policyChoice % 3]
                let value (NormalFloat v) = let f = float32 v in if Single.IsFinite f then f else 1.5f
                let raw = [ for (u, i, v) in rows -> (if text then textId u else numericId u), (if text then textId i else numericId i), (if withValue then value v else 1.0f) ]
                // Four columns (user, item, value, an ignored one) in one of several orders.
                let orders = [| [| 0; 1; 2; 3 |]; [| 3; 1; 0; 2 |]; [| 2; 3; 1; 0 |]; [| 1; 0; 3; 2 |] |]
                let order = orders.[int orderChoice % orders.Length]
                let names = [| "user"; "item"; "value"; "other" |]
                let line (cells: string[]) = String.Join(delimiter, order |> Array.map (fun c -> cells.[c]))
                let body = [ for (u, i, v) in raw -> line [| u; i; v.ToString("R", inv); "x" |] ]
                let content = String.Join("\n", (if header then [ line names ] else []) @ body)
                let column c = if header then ColumnRef.Named names.[c] else ColumnRef.At(Array.IndexOf(order, c))
                let format =
                    DelimitedFormat(delimiter, header, column 0, column 1, (if withValue then Nullable(column 2) else Nullable()),
                                    Ids = (if text then IdKind.Text else IdKind.Integer), Duplicates = policy)
                withFile "events.txt" content (fun path ->
                    expectLike (DelimitedReader.Read(path, format)) (reference (if text then Ordinal else Numeric) policy raw))

        testPropertyWithConfig { properties with maxTest = 2000 } "decimal text is read exactly as float.Parse reads it" <|
            fun (NormalFloat v) (style: byte) (digits: uint32) (point: byte) ->
                let f = float32 v
                let candidates =
                    [ f.ToString("R", inv); f.ToString("F1", inv); f.ToString("F3", inv); f.ToString("E5", inv)
                      (let s = string digits in let p = int point % (s.Length + 1) in s.Insert(p, ".")) ]
                let s = candidates.[int style % candidates.Length]
                let expected = Single.Parse(s, NumberStyles.Float, inv)
                let ok, actual = Ascii.TryParseValue(ReadOnlySpan(Encoding.ASCII.GetBytes s))
                if Single.IsFinite expected then
                    Expect.isTrue ok $"parses {s}"
                    Expect.equal (BitConverter.SingleToInt32Bits actual) (BitConverter.SingleToInt32Bits expected) $"same float for {s}"
    ]

// ---------------------------------------------------------------------------------------------
// The real files in ../shared/data

[<Tests>]
let realData =
    testList "Data.Readers.RealData" [
        SharedData.testWithData "ml-100k" "u.data holds 100,000 ratings of 1,682 items by 943 users" <| fun dir ->
            let log = MovieLens100KReader.Read(Path.Combine(dir, "u.data"))
            Expect.equal log.Count 100_000 "events"
            Expect.equal log.UserCount 943 "users"
            Expect.equal log.ItemCount 1682 "items"
            Expect.equal log.DuplicatesMerged 0 "no repeats"
            Expect.equal (events log |> List.head) ("196", "242", 3.0f) "first line"
            let fives = log.Values |> Array.filter (fun v -> abs (v - 5.0f) < 1e-6f) |> Array.length
            Expect.equal fives 21_201 "ratings of 5 (SOURCE.md)"

        SharedData.testWithData "ml-latest-small" "ratings.csv (CRLF) holds 100,836 ratings of 9,724 movies by 610 users" <| fun dir ->
            let log = MovieLensCsvReader.Read(Path.Combine(dir, "ratings.csv"))
            Expect.equal log.Count 100_836 "events"
            Expect.equal log.UserCount 610 "users"
            Expect.equal log.ItemCount 9_724 "items"
            Expect.equal (events log |> List.head) ("1", "1", 4.0f) "first line"
            Expect.isTrue (log.Values |> Array.forall (fun v -> v >= 0.5f && v <= 5.0f && abs (v * 2.0f - round (v * 2.0f)) < 1e-6f)) "half stars from 0.5 to 5"

        SharedData.testWithData "gowalla" "train.txt and test.txt hold 810,128 + 217,242 events of 29,858 users and 40,981 items" <| fun dir ->
            let split = LightGcnSplitReader.Read dir
            Expect.equal split.Train.Count 810_128 "train events"
            Expect.equal split.Test.Count 217_242 "test events"
            Expect.equal split.Train.UserCount 29_858 "users"
            Expect.equal split.Train.ItemCount 40_981 "items"
            Expect.equal split.Train.DuplicatesMerged 0 "no repeats in train"
            Expect.equal split.Train.UserIds.[29_857] "29857" "ids are the remapped 0-based ids"
            Expect.equal split.Train.ItemIds.[40_980] "40980" "ids are the remapped 0-based ids"

        SharedData.testWithData "citeulike-a" "users.dat holds 204,986 events of 5,551 users and 16,980 items" <| fun dir ->
            let log = CiteULikeReader.Read(Path.Combine(dir, "users.dat"))
            Expect.equal log.Count 204_986 "events"
            Expect.equal log.UserCount 5_551 "users"
            Expect.equal log.ItemCount 16_980 "items"
            Expect.equal log.DuplicatesMerged 0 "no repeats within a line"

        SharedData.testWithData "lastfm-2k" "user_artists.dat holds 92,834 weights of 17,632 artists by 1,892 users" <| fun dir ->
            let log = LastFmUserArtistsReader.Read(Path.Combine(dir, "user_artists.dat"))
            Expect.equal log.Count 92_834 "events"
            Expect.equal log.UserCount 1_892 "users"
            Expect.equal log.ItemCount 17_632 "artists"
            Expect.equal (log.Values |> Array.sumBy float) 69_183_975.0 "weights sum (SOURCE.md)"

        SharedData.testWithData "ml-100k" "u.item gives a Latin-1 title to each of the 1,682 movies rated in u.data" <| fun dir ->
            let titles = ItemTitles.ReadMovieLens100K(Path.Combine(dir, "u.item"))
            Expect.equal titles.Count 1682 "titles"
            Expect.equal titles.["1"] "Toy Story (1995)" "movie 1"
            Expect.equal titles.["543"] "Misérables, Les (1995)" "Latin-1 é"
            let log = MovieLens100KReader.Read(Path.Combine(dir, "u.data"))
            Expect.isTrue (log.ItemIds |> Array.forall titles.ContainsKey) "every rated movie has a title"

        SharedData.testWithData "ml-latest-small" "movies.csv gives a title to each of the 9,742 movies, every rated one included" <| fun dir ->
            let titles = ItemTitles.ReadMovieLensCsv(Path.Combine(dir, "movies.csv"))
            Expect.equal titles.Count 9_742 "titles"
            Expect.equal titles.["11"] "American President, The (1995)" "quoted title"
            Expect.equal titles.["7789"] "11'09\"01 - September 11 (2002)" "doubled quote"
            let log = MovieLensCsvReader.Read(Path.Combine(dir, "ratings.csv"))
            Expect.isTrue (log.ItemIds |> Array.forall titles.ContainsKey) "every rated movie has a title"

        SharedData.testWithData "lastfm-2k" "artists.dat names each of the 17,632 artists" <| fun dir ->
            let titles = ItemTitles.ReadLastFmArtists(Path.Combine(dir, "artists.dat"))
            Expect.equal titles.Count 17_632 "artists"
            Expect.equal titles.["1"] "MALICE MIZER" "artist 1"
            let log = LastFmUserArtistsReader.Read(Path.Combine(dir, "user_artists.dat"))
            Expect.isTrue (log.ItemIds |> Array.forall titles.ContainsKey) "every listened artist has a name"
    ]
