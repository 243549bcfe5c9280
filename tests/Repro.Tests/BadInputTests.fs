/// Every reader rejects malformed input with a DataFormatException that names the file, the 1-based
/// line and what was expected; missing files and folders give FileNotFoundException and
/// DirectoryNotFoundException naming the path.
module Repro.Tests.BadInputTests

open System
open System.IO
open System.Text
open Expecto
open Repro.Core.Data
open Repro.Core.Data.Readers
open Repro.Tests.TempFiles

/// Reading path fails with a DataFormatException naming the file, the line and the problem.
let expectFormatError (read: string -> 'a) (path: string) (line: int64) (problem: string) =
    let error =
        try
            read path |> ignore
            None
        with :? DataFormatException as e -> Some e
    match error with
    | None -> failtestf "%s was read without error; expected a DataFormatException at line %d: %s" path line problem
    | Some e ->
        Expect.stringContains e.Message (Path.GetFileName path) "the message names the file"
        Expect.stringContains e.Message $":{line}: " "the message names the line"
        Expect.equal e.Line line "the exception's line"
        Expect.stringContains e.Message problem "the message says what was expected"

/// A test that writes text to a file called name and expects reading it to fail at line with problem.
let bad (description: string) (name: string) (text: string) (read: string -> 'a) (line: int64) (problem: string) =
    testCase description <| fun () -> withFile name text (fun path -> expectFormatError read path line problem)

let private ml = MovieLensCsvReader.Header + "\n"

let private netflix (files: (string * string) list) (check: string -> unit) =
    withFolder (fun dir ->
        for (name, text) in files do writeText dir name text |> ignore
        check dir)

let private readNetflix (file: string) = NetflixPrizeReader.Read(Path.GetDirectoryName file)

let private csvTitles = ItemTitles.ReadMovieLensCsv

[<Tests>]
let tests =
    testList "Data.Readers.BadInput" [
        // MovieLens ratings.csv
        bad "ratings.csv: a line with 3 fields is rejected" "ratings.csv" (ml + "1,2,3.0,4\n1,3,3.0\n5,6,1.0,7\n") MovieLensCsvReader.Read
            3L "expected 4 comma-separated fields (userId,movieId,rating,timestamp), found 3"
        bad "ratings.csv: a line with 5 fields is rejected" "ratings.csv" (ml + "1,2,3.0,4,9\n") MovieLensCsvReader.Read
            2L "expected 4 comma-separated fields (userId,movieId,rating,timestamp), found 5"
        bad "ratings.csv: a non-numeric userId is rejected" "ratings.csv" (ml + "1,2,3.0,4\nabc,2,3.0,4\n") MovieLensCsvReader.Read
            3L "expected an integer userId, found \"abc\""
        bad "ratings.csv: a decimal movieId is rejected" "ratings.csv" (ml + "1,2.5,3.0,4\n") MovieLensCsvReader.Read
            2L "expected an integer movieId, found \"2.5\""
        bad "ratings.csv: a non-numeric rating is rejected" "ratings.csv" (ml + "1,2,four,4\n") MovieLensCsvReader.Read
            2L "expected a number as rating, found \"four\""
        bad "ratings.csv: NaN as rating is rejected" "ratings.csv" (ml + "1,2,NaN,4\n") MovieLensCsvReader.Read
            2L "expected a number as rating, found \"NaN\""
        bad "ratings.csv: a non-integer timestamp is rejected" "ratings.csv" (ml + "1,2,3.5,2015-01-01\n") MovieLensCsvReader.Read
            2L "expected an integer timestamp, found \"2015-01-01\""
        bad "ratings.csv: an empty file is rejected at line 1" "ratings.csv" "" MovieLensCsvReader.Read
            1L "expected the header \"userId,movieId,rating,timestamp\", found end of file (the file is empty)"
        bad "ratings.csv: a header-only file is rejected at line 2" "ratings.csv" (MovieLensCsvReader.Header + "\r\n") MovieLensCsvReader.Read
            2L "after the header, found end of file (the file has only a header)"
        bad "ratings.csv: a renamed header column is rejected" "ratings.csv" "userId,movieId,rate,timestamp\n1,2,3.0,4\n" MovieLensCsvReader.Read
            1L "expected the header \"userId,movieId,rating,timestamp\", found \"userId,movieId,rate,timestamp\""
        bad "ratings.csv: a file without its header is rejected" "ratings.csv" "1,2,3.0,4\n" MovieLensCsvReader.Read
            1L "expected the header"
        bad "ratings.csv: a cut-off last line is rejected and called truncated" "ratings.csv" (ml + "1,2,3.0,4\n5,6") MovieLensCsvReader.Read
            3L "expected 4 comma-separated fields (userId,movieId,rating,timestamp), found 2: \"5,6\" (the last line has no newline: the file looks truncated)"
        bad "ratings.csv: an empty line is rejected" "ratings.csv" (ml + "1,2,3.0,4\n\n5,6,1.0,7\n") MovieLensCsvReader.Read
            3L "found an empty line"

        // MovieLens ratings.dat and u.data
        bad "ratings.dat: single-colon separators are rejected" "ratings.dat" "1::2::3::4\n1:2:3:4\n" MovieLensDatReader.Read
            2L "expected 4 \"::\"-separated fields (UserID::MovieID::Rating::Timestamp), found 1"
        bad "ratings.dat: an empty file is rejected" "ratings.dat" "" MovieLensDatReader.Read
            1L "found end of file (the file is empty)"
        bad "u.data: comma-separated fields are rejected" "u.data" "196\t242\t3\t881250949\n196,243,3,881250949\n" MovieLens100KReader.Read
            2L "expected 4 tab-separated fields (user id, item id, rating, timestamp), found 1"
        bad "u.data: a negative user id is rejected" "u.data" "-3\t242\t3\t881250949\n" MovieLens100KReader.Read
            1L "expected an integer user id, found \"-3\""
        bad "u.data: spaces around a field are rejected" "u.data" "3\t242 \t3\t881250949\n" MovieLens100KReader.Read
            1L "expected an integer item id, found \"242 \""

        // Netflix Prize
        bad "Netflix: a rating line before any movie header is rejected" "combined_data_1.txt" "7,3,2005-09-06\n1:\n7,3,2005-09-06\n" readNetflix
            1L "expected a movie header (movieId:) before any rating line, found \"7,3,2005-09-06\""
        bad "Netflix: a movie header without ratings is rejected at the next header" "combined_data_1.txt" "1:\n7,3,2005-09-06\n2:\n3:\n8,1,2005-01-01\n" readNetflix
            4L "expected a userId,rating,date line for movie 2 (header on line 3), found another header \"3:\""
        bad "Netflix: a last movie header without ratings is rejected at end of file" "combined_data_1.txt" "1:\n7,3,2005-09-06\n2:\n" readNetflix
            4L "expected a userId,rating,date line for movie 2 (header on line 3), found end of file"
        bad "Netflix: a date not in YYYY-MM-DD is rejected" "combined_data_1.txt" "1:\n7,3,06/09/2005\n" readNetflix
            2L "expected a date as YYYY-MM-DD, found \"06/09/2005\""
        bad "Netflix: a non-numeric movie header is rejected" "combined_data_1.txt" "abc:\n7,3,2005-09-06\n" readNetflix
            1L "expected a movie header (an integer movie id and ':'), found \"abc:\""
        bad "Netflix: a cut-off last rating line is rejected" "combined_data_1.txt" "1:\n7,3,2005-09-06\n8,4" readNetflix
            3L "expected 3 comma-separated fields (userId,rating,date) or a movie header (movieId:), found 2: \"8,4\" (the last line has no newline"
        bad "Netflix: an empty combined file is rejected" "combined_data_1.txt" "" readNetflix
            1L "expected a movie header (movieId:), found end of file (the file is empty)"
        testCase "Netflix: an mv_ file whose header is another movie is rejected" <| fun () ->
            netflix [ "training_set/mv_0000002.txt", "3:\n7,3,2005-09-06\n" ] (fun dir ->
                expectFormatError (fun _ -> NetflixPrizeReader.Read dir) (Path.Combine(dir, "training_set", "mv_0000002.txt"))
                    1L "expected the header \"2:\" matching the file name, found \"3:\"")
        testCase "Netflix: a gap in combined_data_N numbering is rejected, naming the missing file" <| fun () ->
            netflix [ "combined_data_1.txt", "1:\n7,3,2005-09-06\n"; "combined_data_3.txt", "3:\n7,3,2005-09-06\n" ] (fun dir ->
                let e = Expect.throwsC (fun () -> NetflixPrizeReader.Read dir |> ignore) (fun e -> e) :?> DataFormatException
                Expect.stringContains e.Message dir "names the folder"
                Expect.equal e.Line 0L "a whole-folder problem has no line"
                Expect.stringContains e.Message "combined_data_2.txt is missing" "names the missing file")
        testCase "Netflix: a folder with neither layout is rejected" <| fun () ->
            netflix [ "readme.txt", "hello\n" ] (fun dir ->
                let e = Expect.throwsC (fun () -> NetflixPrizeReader.Read dir |> ignore) (fun e -> e) :?> DataFormatException
                Expect.stringContains e.Message dir "names the folder"
                Expect.stringContains e.Message "expected combined_data_1.txt" "says what was expected")

        // MSD taste profile
        bad "MSD: a line with 2 fields is rejected" "train_triplets.txt" "u1\tSOA\t1\nu1\tSOB\n" MsdTasteProfileReader.Read
            2L "expected 3 tab-separated fields (user, song, play count), found 2"
        bad "MSD: a non-numeric play count is rejected" "train_triplets.txt" "u1\tSOA\tmany\n" MsdTasteProfileReader.Read
            1L "expected a number as play count, found \"many\""
        bad "MSD: an empty user id is rejected" "train_triplets.txt" "u1\tSOA\t1\n\tSOA\t1\n" MsdTasteProfileReader.Read
            2L "expected a user id, found an empty field"
        testCase "MSD: an id that is not UTF-8 is rejected" <| fun () ->
            withFolder (fun dir ->
                let path = writeBytes dir "train_triplets.txt" (Array.concat [ "u1\tSO"B; [| 0xFFuy |]; "\t1\n"B ])
                expectFormatError MsdTasteProfileReader.Read path 1L "expected a song id in UTF-8")

        // LightGCN split
        bad "LightGCN: a non-numeric item id is rejected" "train.txt" "0 1 2\n1 3 x\n" (fun p -> LightGcnSplitReader.Read(p, p))
            2L "expected an integer item id, found \"x\""
        bad "LightGCN: a trailing space is rejected" "train.txt" "0 1 2 \n" (fun p -> LightGcnSplitReader.Read(p, p))
            1L "expected an integer item id after the space at column 6, found the end of the line"
        bad "LightGCN: an empty line is rejected" "train.txt" "0 1\n\n2 3\n" (fun p -> LightGcnSplitReader.Read(p, p))
            2L "expected a user id followed by item ids, found an empty line"
        testCase "LightGCN: an empty test.txt is rejected" <| fun () ->
            withFolder (fun dir ->
                writeText dir "train.txt" "0 1\n" |> ignore
                let test = writeText dir "test.txt" ""
                expectFormatError (fun _ -> LightGcnSplitReader.Read dir) test 1L "found end of file (the file is empty)")

        // CiteULike
        bad "CiteULike: a line with fewer ids than its count is rejected" "users.dat" "2 1 2\n3 4 5" CiteULikeReader.Read
            2L "expected 3 item ids (the count at the start of the line), found 2 (the last line has no newline: the file looks truncated)"
        bad "CiteULike: a line with more ids than its count is rejected" "users.dat" "1 4 5\n" CiteULikeReader.Read
            1L "expected 1 item id (the count at the start of the line), found 2"
        bad "CiteULike: a non-numeric count is rejected" "users.dat" "2 1 2\nx 1\n" CiteULikeReader.Read
            2L "expected the number of item ids first, found \"x\""
        bad "CiteULike: an empty file is rejected" "users.dat" "" CiteULikeReader.Read
            1L "found end of file (the file is empty)"
        bad "CiteULike: a trailing space is accepted only after a zero count (CDL's empty parts)" "users.dat" "0 \n1 4 \n" CiteULikeReader.Read
            2L "expected an integer item id after the space at column 4, found the end of the line"

        // Last.fm
        bad "Last.fm: a wrong header is rejected" "user_artists.dat" "userID\tartistID\tplays\r\n2\t51\t1\r\n" LastFmUserArtistsReader.Read
            1L "expected the header \"userID\\tartistID\\tweight\", found \"userID\\tartistID\\tplays\""
        bad "Last.fm: a header-only file is rejected" "user_artists.dat" "userID\tartistID\tweight\r\n" LastFmUserArtistsReader.Read
            2L "found end of file (the file has only a header)"
        bad "Last.fm: a non-numeric weight is rejected" "user_artists.dat" "userID\tartistID\tweight\r\n2\t51\t1,5\r\n" LastFmUserArtistsReader.Read
            2L "expected a number as weight, found \"1,5\""

        // Generic delimited
        bad "delimited: a header without the named value column is rejected" "events.csv" "user,item,score\n1,2,3\n"
            (fun p -> DelimitedReader.Read(p, DelimitedFormat(",", true, ColumnRef.Named "user", ColumnRef.Named "item", Nullable(ColumnRef.Named "rating"))))
            1L "expected a column \"rating\" (value) in the header, found only \"user\", \"item\", \"score\""
        bad "delimited: a line with more fields than the header is rejected" "events.csv" "user,item,rating\n1,2,3\n1,2,3,4\n"
            (fun p -> DelimitedReader.Read(p, DelimitedFormat(",", true, ColumnRef.Named "user", ColumnRef.Named "item", Nullable(ColumnRef.Named "rating"))))
            3L "expected 3 comma-separated fields (user,item,rating), found 4"
        bad "delimited: without a header, a line unlike line 1 is rejected" "events.txt" "1;2;3\n4;5\n"
            (fun p -> DelimitedReader.Read(p, DelimitedFormat(";", false, ColumnRef.At 0, ColumnRef.At 1)))
            2L "expected 3 semicolon-separated fields (fields like line 1), found 2"
        bad "delimited: a column index beyond line 1 is rejected" "events.txt" "1;2\n"
            (fun p -> DelimitedReader.Read(p, DelimitedFormat(";", false, ColumnRef.At 0, ColumnRef.At 2)))
            1L "expected at least 3 fields for the item column 2, found 2 in line 1"
        bad "delimited: a non-numeric id is rejected when ids are integers" "events.csv" "u,i\n1,2\n1,B\n"
            (fun p -> DelimitedReader.Read(p, DelimitedFormat(",", true, ColumnRef.At 0, ColumnRef.At 1)))
            3L "expected an integer item id (column \"i\"), found \"B\""
        testCase "delimited: naming a column of a file without header is an argument error" <| fun () ->
            withFile "events.csv" "1,2\n" (fun path ->
                Expect.throwsT<ArgumentException> (fun () ->
                    DelimitedReader.Read(path, DelimitedFormat(",", false, ColumnRef.Named "user", ColumnRef.At 1)) |> ignore) "named column without header")

        // Item titles
        bad "movies.csv: an unclosed quote is rejected" "movies.csv" "movieId,title,genres\n11,\"American President, The (1995),Comedy\n" csvTitles
            2L "expected a closing quote after the title, found the end of the line"
        bad "movies.csv: a wrong header is rejected" "movies.csv" "movieId,name,genres\n1,Toy Story (1995),Comedy\n" csvTitles
            1L "expected the header \"movieId,title,genres\""
        bad "u.item: a repeated movie id is rejected" "u.item" "5|A|x|x|x|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n5|B|x|x|x|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n" ItemTitles.ReadMovieLens100K
            2L "expected each item id once, found id 5 again (first on line 1)"
        bad "artists.dat: a line with 3 fields is rejected" "artists.dat" "id\tname\turl\tpictureURL\n1\tMALICE MIZER\thttp://a\n" ItemTitles.ReadLastFmArtists
            2L "expected 4 tab-separated fields (id, name, url, pictureURL), found 3 fields"
        bad "movies.dat: a non-numeric id is rejected" "movies.dat" "1::Toy Story (1995)::Animation\nx::Jumanji (1995)::Adventure\n" ItemTitles.ReadMovieLensDat
            2L "expected an integer item id, found \"x\""

        // Missing paths
        testCase "a file that does not exist gives FileNotFoundException naming the path" <| fun () ->
            withFolder (fun dir ->
                let path = Path.Combine(dir, "ratings.csv")
                let e = Expect.throwsC (fun () -> MovieLensCsvReader.Read path |> ignore) (fun e -> e)
                Expect.isTrue (e :? FileNotFoundException) "FileNotFoundException"
                Expect.stringContains e.Message path "names the path"
                Expect.stringContains e.Message "file not found" "says what is wrong")
        testCase "a folder that does not exist gives DirectoryNotFoundException naming the path" <| fun () ->
            withFolder (fun dir ->
                let missing = Path.Combine(dir, "netflix")
                for read in [ (fun () -> NetflixPrizeReader.Read missing |> ignore); (fun () -> LightGcnSplitReader.Read missing |> ignore) ] do
                    let e = Expect.throwsC read (fun e -> e)
                    Expect.isTrue (e :? DirectoryNotFoundException) "DirectoryNotFoundException"
                    Expect.stringContains e.Message missing "names the path"
                    Expect.stringContains e.Message "folder not found" "says what is wrong")
        testCase "a LightGCN folder without test.txt gives FileNotFoundException naming test.txt" <| fun () ->
            withFolder (fun dir ->
                writeText dir "train.txt" "0 1\n" |> ignore
                let e = Expect.throwsC (fun () -> LightGcnSplitReader.Read dir |> ignore) (fun e -> e)
                Expect.isTrue (e :? FileNotFoundException) "FileNotFoundException"
                Expect.stringContains e.Message (Path.Combine(dir, "test.txt")) "names the missing file")
        testCase "a folder given where a file is expected gives FileNotFoundException saying so" <| fun () ->
            withFolder (fun dir ->
                let e = Expect.throwsC (fun () -> CiteULikeReader.Read dir |> ignore) (fun e -> e)
                Expect.isTrue (e :? FileNotFoundException) "FileNotFoundException"
                Expect.stringContains e.Message "is a folder, expected a file" "says what is wrong")
    ]
