module Repro.Tests.DownloadTests

open System
open System.Diagnostics
open System.IO
open System.IO.Compression
open System.Security.Cryptography
open System.Text
open System.Threading
open Expecto
open Repro.Core.Data
open Repro.Core.Data.Download
open Repro.Tests.Helpers
open Repro.Tests.TempFiles
open Repro.Tests.LocalHttpServer

/// Deterministic pseudo-random bytes (a file large enough to arrive in several reads).
let payload (length: int) =
    let bytes = Array.zeroCreate<byte> length
    Random(1234).NextBytes bytes
    bytes

let md5 (bytes: byte[]) = Convert.ToHexStringLower(MD5.HashData bytes)

/// Progress that records every report synchronously (Progress<T> would post to the thread pool).
type Recorder<'T>() =
    let items = Collections.Concurrent.ConcurrentQueue<'T>()
    member _.Items = items |> Seq.toList
    interface IProgress<'T> with
        member _.Report value = items.Enqueue value

let zipOf (entries: (string * string) list) =
    use memory = new MemoryStream()
    do
        use archive = new ZipArchive(memory, ZipArchiveMode.Create, true)
        for name, text in entries do
            let entry = archive.CreateEntry name
            use stream = entry.Open()
            let bytes = Encoding.UTF8.GetBytes text
            stream.Write(bytes, 0, bytes.Length)
    memory.ToArray()

let fastOptions = DownloadOptions(ConnectTimeout = TimeSpan.FromSeconds 10., StallTimeout = TimeSpan.FromSeconds 5.)

let download (options: DownloadOptions) (request: DownloadRequest) (progress: IProgress<DownloadProgress>) (ct: CancellationToken) =
    use downloader = new Downloader(options)
    downloader.DownloadAsync(request, progress, ct).GetAwaiter().GetResult()

let rangesFor (server: Server) path =
    server.Requests |> List.filter (fun (p, _) -> p = path) |> List.map snd

let ratingsCsv = "userId,movieId,rating,timestamp\n1,2,3.5,1112486027\n1,29,3.5,1112484676\n2,3,4.0,974820889\n"

/// A catalog-style entry served from the local server: tiny.zip holds tiny/ratings.csv and tiny/movies.csv.
let tinyEntry (server: Server) (rows: int64) =
    DatasetEntry("tiny", "Tiny test ratings", "tiny", [| DatasetFile("ratings.csv", rows, 1) |],
                 url = server.Url "tiny.zip", archiveName = "tiny.zip",
                 publishedChecksumUrl = server.Url "tiny.zip.md5")

[<Tests>]
let downloaderTests =
    testList "Data.Download.Downloader" [
        testCase "a file is downloaded whole, checked against its md5 and renamed from .partial" <| fun () ->
            withFolder <| fun dir ->
                let bytes = payload 300_000
                use server = new Server(Map [ "f.bin", bytes ], honest)
                let target = Path.Combine(dir, "f.bin")
                let result = download fastOptions (DownloadRequest(server.Url "f.bin", target, Checksum.Md5(md5 bytes))) null CancellationToken.None
                Expect.sequenceEqual (File.ReadAllBytes target) bytes "the file's bytes"
                Expect.isFalse (File.Exists(target + ".partial")) "no partial is left"
                Expect.equal result.Bytes 300_000L "size"
                Expect.equal result.ResumedFrom 0L "nothing resumed"
                Expect.stringContains result.Verified (md5 bytes) "says which digest was checked"

        testCase "an interrupted partial resumes with a Range request for the missing bytes only" <| fun () ->
            withFolder <| fun dir ->
                let bytes = payload 200_000
                use server = new Server(Map [ "f.bin", bytes ], honest)
                let target = Path.Combine(dir, "f.bin")
                File.WriteAllBytes(target + ".partial", bytes.[.. 79_999])
                let result = download fastOptions (DownloadRequest(server.Url "f.bin", target, Checksum.Md5(md5 bytes))) null CancellationToken.None
                Expect.sequenceEqual (File.ReadAllBytes target) bytes "the file's bytes"
                Expect.equal (rangesFor server "f.bin") [ Some "bytes=80000-" ] "one request, for the rest of the file"
                Expect.equal result.ResumedFrom 80_000L "resumed from the partial's end"

        testCase "a connection dropped mid-file is resumed automatically from where it stopped" <| fun () ->
            withFolder <| fun dir ->
                let bytes = payload 500_000
                use server = new Server(Map [ "f.bin", bytes ], { honest with AbortFirstAfter = Some 120_000 })
                let target = Path.Combine(dir, "f.bin")
                download fastOptions (DownloadRequest(server.Url "f.bin", target, Checksum.Md5(md5 bytes))) null CancellationToken.None |> ignore
                Expect.sequenceEqual (File.ReadAllBytes target) bytes "the file's bytes"
                match rangesFor server "f.bin" with
                | [ None; Some second ] ->
                    let from = int64 (second.Substring(6).TrimEnd '-')
                    Expect.isGreaterThan from 0L "the second request continues after the received bytes"
                | other -> failtestf "expected a full request then one ranged request, got %A" other

        testCase "a server that ignores Range sends the whole file and the download restarts from zero" <| fun () ->
            withFolder <| fun dir ->
                let bytes = payload 200_000
                use server = new Server(Map [ "f.bin", bytes ], { honest with IgnoreRange = true })
                let target = Path.Combine(dir, "f.bin")
                File.WriteAllBytes(target + ".partial", bytes.[.. 49_999])
                let result = download fastOptions (DownloadRequest(server.Url "f.bin", target, Checksum.Md5(md5 bytes))) null CancellationToken.None
                Expect.sequenceEqual (File.ReadAllBytes target) bytes "the file is whole, not the partial plus the whole file"
                Expect.equal (rangesFor server "f.bin") [ Some "bytes=50000-" ] "one request"
                Expect.equal result.Bytes 200_000L "size"

        testCase "a partial that already holds the whole file is completed by the server's 416 answer" <| fun () ->
            withFolder <| fun dir ->
                let bytes = payload 50_000
                use server = new Server(Map [ "f.bin", bytes ], honest)
                let target = Path.Combine(dir, "f.bin")
                File.WriteAllBytes(target + ".partial", bytes)
                download fastOptions (DownloadRequest(server.Url "f.bin", target, Checksum.Md5(md5 bytes))) null CancellationToken.None |> ignore
                Expect.sequenceEqual (File.ReadAllBytes target) bytes "the file's bytes"

        testCase "a checksum mismatch is rejected and the bad file is left neither under its name nor as a partial" <| fun () ->
            withFolder <| fun dir ->
                let bytes = payload 100_000
                use server = new Server(Map [ "f.bin", bytes ], honest)
                let target = Path.Combine(dir, "f.bin")
                let wrong = Checksum.Md5(String('0', 32))
                let e = raises<DownloadVerificationException> (fun () ->
                            download fastOptions (DownloadRequest(server.Url "f.bin", target, wrong, ByHand = "put it there by hand")) null CancellationToken.None |> ignore)
                Expect.isFalse (File.Exists target) "nothing under the final name"
                Expect.isFalse (File.Exists(target + ".partial")) "no partial to resume from bad bytes"
                Expect.stringContains e.Message (md5 bytes) "the message gives the digest received"
                Expect.stringContains e.Message (string (server.Url "f.bin")) "the message names the URL"
                Expect.stringContains e.Message "put it there by hand" "the message carries the by-hand advice"

        testCase "a wrong expected size is rejected and the file deleted" <| fun () ->
            withFolder <| fun dir ->
                let bytes = payload 10_000
                use server = new Server(Map [ "f.bin", bytes ], honest)
                let target = Path.Combine(dir, "f.bin")
                Expect.throwsT<DownloadVerificationException> (fun () ->
                    download fastOptions (DownloadRequest(server.Url "f.bin", target, ExpectedBytes = Nullable 10_001L)) null CancellationToken.None |> ignore) "rejected"
                Expect.isFalse (File.Exists target) "nothing under the final name"

        testCase "a missing file on the server fails with its status and the URL" <| fun () ->
            withFolder <| fun dir ->
                use server = new Server(Map.empty, honest)
                let e = raises<DownloadException> (fun () ->
                            download fastOptions (DownloadRequest(server.Url "nothing.zip", Path.Combine(dir, "x"))) null CancellationToken.None |> ignore)
                Expect.stringContains e.Message "404" "status"
                Expect.stringContains e.Message "nothing.zip" "URL"

        testCase "a server that stops sending fails after the stall timeout and keeps the partial for resume" <| fun () ->
            withFolder <| fun dir ->
                let bytes = payload 300_000
                use server = new Server(Map [ "f.bin", bytes ], { honest with StallFirstAfter = Some 100_000 })
                let target = Path.Combine(dir, "f.bin")
                let options = DownloadOptions(StallTimeout = TimeSpan.FromSeconds 1., MaxResumes = 0)
                let clock = Stopwatch.StartNew()
                let e = raises<DownloadException> (fun () ->
                            download options (DownloadRequest(server.Url "f.bin", target)) null CancellationToken.None |> ignore)
                Expect.isLessThan clock.Elapsed.TotalSeconds 8.0 "fails soon after the stall timeout"
                Expect.stringContains e.Message "no data" "says the server went silent"
                Expect.equal (FileInfo(target + ".partial").Length) 100_000L "the received bytes are kept"
                Expect.isFalse (File.Exists target) "nothing under the final name"

        testCase "cancellation stops cleanly, keeps the partial, and a later download resumes from it" <| fun () ->
            withFolder <| fun dir ->
                let bytes = payload 300_000
                use server = new Server(Map [ "f.bin", bytes ], { honest with StallFirstAfter = Some 100_000 })
                let target = Path.Combine(dir, "f.bin")
                let request = DownloadRequest(server.Url "f.bin", target, Checksum.Md5(md5 bytes))
                // The server sends 100,000 bytes at once and then goes silent for 10 s; cancel during the silence.
                use cancel = new CancellationTokenSource(TimeSpan.FromSeconds 1.)
                let clock = Stopwatch.StartNew()
                raises<OperationCanceledException> (fun () ->
                    download DownloadOptions.Default request null cancel.Token |> ignore) |> ignore
                Expect.isLessThan clock.Elapsed.TotalSeconds 5.0 "stops promptly, not at the stall timeout"
                Expect.equal (FileInfo(target + ".partial").Length) 100_000L "the partial holds what arrived"
                let result = download fastOptions request null CancellationToken.None
                Expect.equal result.ResumedFrom 100_000L "the second run resumes"
                Expect.sequenceEqual (File.ReadAllBytes target) bytes "the file's bytes"

        testCase "progress ends at the full size with the server's total and a positive rate" <| fun () ->
            withFolder <| fun dir ->
                let bytes = payload 400_000
                use server = new Server(Map [ "f.bin", bytes ], honest)
                let recorder = Recorder<DownloadProgress>()
                download fastOptions (DownloadRequest(server.Url "f.bin", Path.Combine(dir, "f.bin"))) recorder CancellationToken.None |> ignore
                let last = List.last recorder.Items
                Expect.equal last.BytesReceived 400_000L "bytes"
                Expect.equal last.TotalBytes (Nullable 400_000L) "total"
                Expect.isGreaterThan last.BytesPerSecond 0.0 "rate"
                Expect.isTrue (recorder.Items |> List.pairwise |> List.forall (fun (a, b) -> a.BytesReceived <= b.BytesReceived)) "never goes back"
    ]

[<Tests>]
let zipTests =
    testList "Data.Download.SafeZipExtractor" [
        testCase "a zip-slip entry is refused with its name and nothing is extracted" <| fun () ->
            withFolder <| fun dir ->
                let zip = Path.Combine(dir, "evil.zip")
                File.WriteAllBytes(zip, zipOf [ "good.txt", "fine"; "../evil.txt", "escaped" ])
                let target = Path.Combine(dir, "out")
                let e = raises<UnsafeZipEntryException> (fun () -> SafeZipExtractor.Extract(zip, target) |> ignore)
                Expect.equal e.EntryName "../evil.txt" "names the entry"
                Expect.stringContains e.Message "../evil.txt" "the message names the entry"
                Expect.isFalse (File.Exists(Path.Combine(dir, "evil.txt"))) "nothing escaped"
                Expect.isFalse (File.Exists(Path.Combine(target, "good.txt"))) "nothing was extracted at all"

        testCase "absolute, drive-rooted and climbing entry names are refused; ordinary names are not" <| fun () ->
            for name in [ "/etc/passwd"; "\\windows\\x.dll"; "C:\\x.txt"; "c:/x.txt"; "a/../../b.txt"; "a\\..\\..\\b.txt"; ".." ] do
                Expect.isNotNull (SafeZipExtractor.ProblemWith name) $"'{name}' is unsafe"
            for name in [ "ml-20m/ratings.csv"; "a..b/c.txt"; "ml-20m/"; "x" ] do
                Expect.isNull (SafeZipExtractor.ProblemWith name) $"'{name}' is fine"

        testCase "an ordinary zip is extracted with its folders and no .partial files remain" <| fun () ->
            withFolder <| fun dir ->
                let zip = Path.Combine(dir, "ok.zip")
                File.WriteAllBytes(zip, zipOf [ "ml-x/ratings.csv", ratingsCsv; "ml-x/README.txt", "hello" ])
                let target = Path.Combine(dir, "out")
                let written = SafeZipExtractor.Extract(zip, target)
                Expect.equal written.Count 2 "two files"
                Expect.equal (File.ReadAllText(Path.Combine(target, "ml-x", "ratings.csv"))) ratingsCsv "content"
                Expect.isEmpty (Directory.GetFiles(target, "*.partial", SearchOption.AllDirectories)) "no partial files"
    ]

[<Tests>]
let catalogTests =
    testList "Data.Download.DatasetCatalog" [
        testCase "downloadable entries have http(s) URLs, zip archive names and non-empty expected files" <| fun () ->
            for entry in DatasetCatalog.All do
                Expect.isNonEmpty entry.Files $"{entry.Name} lists files"
                for file in entry.Files do
                    Expect.isGreaterThan file.DataLines 0L $"{entry.Name}/{file.RelativePath} has a row count"
                    Expect.isFalse (Path.IsPathRooted file.RelativePath || file.RelativePath.Contains "..") "relative inside its folder"
                if entry.IsDownloadable then
                    Expect.contains [ "http"; "https" ] entry.Url.Scheme $"{entry.Name} URL scheme"
                    Expect.stringEnds entry.ArchiveName ".zip" $"{entry.Name} archive"
                    Expect.equal (Path.GetFileName entry.Url.AbsolutePath) entry.ArchiveName $"{entry.Name} archive name matches the URL"
                else
                    Expect.isNotNull entry.ManualSource $"{entry.Name} says where to obtain it"
            let names = DatasetCatalog.All |> Seq.map (fun e -> e.Name) |> Seq.toList
            Expect.equal (List.distinct names) names "names are unique"

        testCase "the paper's three datasets and the MovieLens family are listed with their row counts" <| fun () ->
            let rows name = (DatasetCatalog.Named name).Files |> Seq.sumBy (fun f -> f.DataLines)
            Expect.equal (rows "ml-20m") 20_000_263L "ML-20M ratings"
            Expect.equal (rows "ml-25m") 25_000_095L "ML-25M ratings"
            Expect.equal (rows "ml-1m") 1_000_209L "ML-1M ratings"
            Expect.equal (rows "ml-100k") 100_000L "ML-100K ratings"
            Expect.equal (rows "ml-latest-small") 100_836L "ml-latest-small ratings"
            Expect.equal (rows "msd") 48_373_586L "MSD triplets"
            // Netflix: 100,480,507 ratings plus one "movieId:" line for each of 17,770 movies.
            Expect.equal (rows "netflix") (100_480_507L + 17_770L) "Netflix lines"
            Expect.equal (DatasetCatalog.Ml20m.PathIn("/data", DatasetCatalog.Ml20m.Files.[0])) (Path.Combine("/data", "ml-20m", "ratings.csv")) "ML-20M lands in <data-dir>/ml-20m/ratings.csv"
            Expect.equal (string DatasetCatalog.Ml20m.ArchiveChecksum) "md5:cd245b17a1ae2cc31bb14903e1204af3" "ML-20M's published md5"

        testCase "an unknown dataset name is an error listing the known names" <| fun () ->
            let e = raises<ArgumentException> (fun () -> DatasetCatalog.Named "ml-30m" |> ignore)
            Expect.stringContains e.Message "ml-20m" "lists names"

        testCase "Netflix fetch gives guidance naming the source, the netflix folder and each file name" <| fun () ->
            withFolder <| fun dir ->
                use fetcher = new DatasetFetcher(dir)
                let e = raises<ManualDownloadRequiredException> (fun () ->
                            fetcher.FetchAsync(DatasetCatalog.Netflix).GetAwaiter().GetResult() |> ignore)
                Expect.stringContains e.Message "Kaggle" "where to obtain it"
                Expect.stringContains e.Message (Path.Combine(dir, "netflix")) "the folder"
                for i in 1 .. 4 do
                    Expect.stringContains e.Message (Path.Combine(dir, "netflix", $"combined_data_{i}.txt")) "each file's full path"

        testCase "a dataset placed by hand is reported as present and nothing is downloaded" <| fun () ->
            withFolder <| fun dir ->
                Directory.CreateDirectory(Path.Combine(dir, "netflix")) |> ignore
                for i in 1 .. 4 do File.WriteAllText(Path.Combine(dir, "netflix", $"combined_data_{i}.txt"), ("1:\n": string))
                use fetcher = new DatasetFetcher(dir)
                let result = fetcher.FetchAsync(DatasetCatalog.Netflix).GetAwaiter().GetResult()
                Expect.equal result.Outcome FetchOutcome.AlreadyPresent "present"
                let e = raises<DataFormatException> (fun () -> DatasetFetcher.VerifyInPlace(DatasetCatalog.Netflix, dir))
                Expect.stringContains e.Message "combined_data_1.txt" "verification names the wrong file"

        testCase "md5 sidecars in GroupLens's and md5sum's formats are read; other text is not" <| fun () ->
            Expect.equal (Checksum.ParseMd5Sidecar "MD5 (ml-20m.zip) = cd245b17a1ae2cc31bb14903e1204af3\n").Hex "cd245b17a1ae2cc31bb14903e1204af3" "GroupLens"
            Expect.equal (Checksum.ParseMd5Sidecar "0E33842E24A9C977BE4E0107933C0723  ml-100k.zip").Hex "0e33842e24a9c977be4e0107933c0723" "md5sum, upper case"
            Expect.isNull (Checksum.ParseMd5Sidecar "<html>Not Found</html>") "no digest"

        testCase "line counts include a last line without a newline and count CRLF lines once" <| fun () ->
            withFolder <| fun dir ->
                let count text =
                    let path = Path.Combine(dir, "t.txt")
                    File.WriteAllText(path, (text: string))
                    LineCounter.CountLines path
                Expect.equal (count "") 0L "empty"
                Expect.equal (count "a\nb\n") 2L "terminated"
                Expect.equal (count "a\nb") 2L "unterminated last line"
                Expect.equal (count "a\r\nb\r\n") 2L "CRLF"
    ]

[<Tests>]
let fetcherTests =
    testList "Data.Download.DatasetFetcher" [
        testCase "connection refused on a closed 127.0.0.1 port fails within 15 s naming the URL and where to put the files" <| fun () ->
            withFolder <| fun dir ->
                let url = Uri(sprintf "http://127.0.0.1:%d/ml-20m.zip" (freePort ()))
                use fetcher = new DatasetFetcher(dir)
                let clock = Stopwatch.StartNew()
                let e = raises<DownloadException> (fun () ->
                            fetcher.FetchAsync(DatasetCatalog.Ml20m.WithUrl url).GetAwaiter().GetResult() |> ignore)
                Expect.isLessThan clock.Elapsed.TotalSeconds 15.0 "fails within 15 s"
                Expect.stringContains e.Message (string url) "names the URL that failed"
                Expect.stringContains e.Message (Path.Combine(dir, "ml-20m", "ratings.csv")) "says where to put the file by hand"
                Expect.stringContains e.Message "cd245b17a1ae2cc31bb14903e1204af3" "gives the digest to check a hand download against"

        testCase "a server that accepts the connection but never answers fails after the stall timeout" <| fun () ->
            withFolder <| fun dir ->
                // The kernel completes the handshake for a listening socket even though nobody accepts.
                let silent = new Net.Sockets.TcpListener(Net.IPAddress.Loopback, 0)
                silent.Start()
                try
                    let port = (silent.LocalEndpoint :?> Net.IPEndPoint).Port
                    let url = Uri(sprintf "http://127.0.0.1:%d/ml-20m.zip" port)
                    use fetcher = new DatasetFetcher(dir, DownloadOptions(StallTimeout = TimeSpan.FromSeconds 1.))
                    let clock = Stopwatch.StartNew()
                    let e = raises<DownloadException> (fun () ->
                                fetcher.FetchAsync(DatasetCatalog.Ml20m.WithUrl url).GetAwaiter().GetResult() |> ignore)
                    Expect.isLessThan clock.Elapsed.TotalSeconds 8.0 "fails soon after the stall timeout"
                    Expect.stringContains e.Message (string url) "names the URL"
                    Expect.stringContains e.Message (Path.Combine(dir, "ml-20m", "ratings.csv")) "says where to put the file by hand"
                finally silent.Stop()

        testCase "a fetch downloads, checks the md5 sidecar and row counts, and places the files under the data dir" <| fun () ->
            withFolder <| fun dir ->
                let zip = zipOf [ "tiny/ratings.csv", ratingsCsv; "tiny/movies.csv", "movieId,title\n" ]
                let sidecar = Encoding.ASCII.GetBytes(sprintf "MD5 (tiny.zip) = %s\n" (md5 zip))
                use server = new Server(Map [ "tiny.zip", zip; "tiny.zip.md5", sidecar ], honest)
                let stages = Recorder<string>()
                use fetcher = new DatasetFetcher(dir)
                let result = fetcher.FetchAsync(tinyEntry server 3L, null, stages).GetAwaiter().GetResult()
                Expect.equal result.Outcome FetchOutcome.Fetched "fetched"
                Expect.equal (File.ReadAllText(Path.Combine(dir, "tiny", "ratings.csv"))) ratingsCsv "ratings in <data-dir>/tiny/"
                Expect.isTrue (File.Exists(Path.Combine(dir, "tiny", "movies.csv"))) "the archive's other files too"
                Expect.stringContains result.Verified (md5 zip) "the sidecar digest was checked"
                Expect.stringContains result.Verified "ratings.csv: 3 lines" "the rows were counted"
                Expect.isTrue (File.Exists(Path.Combine(dir, "downloads", "tiny.zip"))) "the archive is kept"
                Expect.isFalse (Directory.Exists(Path.Combine(dir, ".tiny.extracting"))) "no staging folder left"
                Expect.isNonEmpty stages.Items "stages were reported"
                let again = fetcher.FetchAsync(tinyEntry server 3L).GetAwaiter().GetResult()
                Expect.equal again.Outcome FetchOutcome.AlreadyPresent "a second fetch finds the files"
                Expect.equal (server.Requests |> List.filter (fun (p, _) -> p = "tiny.zip") |> List.length) 1 "downloaded once"

        testCase "a wrong row count rejects the archive, names the file, and places nothing" <| fun () ->
            withFolder <| fun dir ->
                let zip = zipOf [ "tiny/ratings.csv", ratingsCsv ]
                use server = new Server(Map [ "tiny.zip", zip ], honest) // no sidecar: 404
                use fetcher = new DatasetFetcher(dir)
                let e = raises<DataFormatException> (fun () ->
                            fetcher.FetchAsync(tinyEntry server 4L).GetAwaiter().GetResult() |> ignore)
                Expect.stringContains e.Message "ratings.csv" "names the file"
                Expect.stringContains e.Message "expected 4" "says what was expected"
                Expect.isFalse (File.Exists(Path.Combine(dir, "tiny", "ratings.csv"))) "nothing placed"
                Expect.isFalse (File.Exists(Path.Combine(dir, "downloads", "tiny.zip"))) "the unverified archive is deleted"

        testCase "an archive whose md5 differs from the sidecar is rejected and not kept" <| fun () ->
            withFolder <| fun dir ->
                let zip = zipOf [ "tiny/ratings.csv", ratingsCsv ]
                let sidecar = Encoding.ASCII.GetBytes "MD5 (tiny.zip) = 00000000000000000000000000000000\n"
                use server = new Server(Map [ "tiny.zip", zip; "tiny.zip.md5", sidecar ], honest)
                use fetcher = new DatasetFetcher(dir)
                let e = raises<DownloadVerificationException> (fun () ->
                            fetcher.FetchAsync(tinyEntry server 3L).GetAwaiter().GetResult() |> ignore)
                Expect.stringContains e.Message (Path.Combine(dir, "tiny", "ratings.csv")) "by-hand advice names the destination"
                Expect.isFalse (File.Exists(Path.Combine(dir, "downloads", "tiny.zip"))) "no archive under its name"
                Expect.isFalse (File.Exists(Path.Combine(dir, "tiny", "ratings.csv"))) "nothing placed"
    ]
