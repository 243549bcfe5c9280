/// A small HTTP server on 127.0.0.1 (a free port) that serves fixed files for the download tests,
/// honours or ignores Range, can break off or stall the first response for a path, and records
/// each request's Range header. It never talks to any other address.
module Repro.Tests.LocalHttpServer

open System
open System.Collections.Concurrent
open System.Net
open System.Net.Sockets
open System.Threading
open System.Threading.Tasks

type Behaviour =
    { IgnoreRange: bool
      /// Send this many bytes of the first response for a path, then drop the connection.
      AbortFirstAfter: int option
      /// Send this many bytes of the first response for a path, then go silent for StallFor.
      StallFirstAfter: int option
      StallFor: TimeSpan }

let honest = { IgnoreRange = false; AbortFirstAfter = None; StallFirstAfter = None; StallFor = TimeSpan.FromSeconds 10. }

/// A loopback port that nothing listens on at the moment of the call.
let freePort () =
    let probe = new TcpListener(IPAddress.Loopback, 0)
    probe.Start()
    let port = (probe.LocalEndpoint :?> IPEndPoint).Port
    probe.Stop()
    port

type Server(files: Map<string, byte[]>, behaviour: Behaviour) =
    let stop = new CancellationTokenSource()
    let requests = ConcurrentQueue<string * string option>()
    let seen = ConcurrentDictionary<string, int>()

    let listener, port =
        // A freed port can be taken again between probe and bind; try a few times.
        let rec bind attempt =
            let port = freePort ()
            let l = new HttpListener()
            l.Prefixes.Add(sprintf "http://127.0.0.1:%d/" port)
            try
                l.Start()
                l, port
            with :? HttpListenerException when attempt < 10 ->
                (l :> IDisposable).Dispose()
                bind (attempt + 1)
        bind 1

    let serve (ctx: HttpListenerContext) : Task =
        task {
            let response = ctx.Response
            try
                let path = ctx.Request.Url.AbsolutePath.TrimStart '/'
                let range = match ctx.Request.Headers.["Range"] with null -> None | r -> Some r
                requests.Enqueue((path, range))
                let nth = seen.AddOrUpdate(path, 1, fun _ n -> n + 1)
                match files.TryFind path with
                | None ->
                    response.StatusCode <- 404
                    response.Close()
                | Some bytes ->
                    let length = int64 bytes.Length
                    let from =
                        match range with
                        | Some r when not behaviour.IgnoreRange && r.StartsWith "bytes=" ->
                            int64 (r.Substring(6).TrimEnd('-').Split('-').[0])
                        | _ -> 0L
                    response.AddHeader("ETag", "\"v1\"")
                    if from > 0L && from >= length then
                        response.StatusCode <- 416
                        response.AddHeader("Content-Range", sprintf "bytes */%d" length)
                        response.Close()
                    else
                        if from > 0L then
                            response.StatusCode <- 206
                            response.AddHeader("Content-Range", sprintf "bytes %d-%d/%d" from (length - 1L) length)
                        response.ContentLength64 <- length - from
                        let out = response.OutputStream
                        let body = ReadOnlyMemory<byte>(bytes, int from, bytes.Length - int from)
                        match behaviour.AbortFirstAfter, behaviour.StallFirstAfter with
                        | Some k, _ when nth = 1 ->
                            do! out.WriteAsync(body.Slice(0, min k body.Length))
                            do! out.FlushAsync()
                            response.Abort()
                        | _, Some k when nth = 1 ->
                            do! out.WriteAsync(body.Slice(0, min k body.Length))
                            do! out.FlushAsync()
                            try do! Task.Delay(behaviour.StallFor, stop.Token) with _ -> ()
                            response.Abort()
                        | _ ->
                            do! out.WriteAsync(body)
                            response.Close()
            with _ ->
                try response.Abort() with _ -> ()
        }

    let loop =
        Task.Run(fun () ->
            task {
                while not stop.IsCancellationRequested do
                    let! ctx =
                        task {
                            try
                                let! c = listener.GetContextAsync()
                                return Some c
                            with _ -> return None
                        }
                    match ctx with
                    | Some c -> Task.Run(fun () -> serve c) |> ignore
                    | None -> stop.Cancel()
            } :> Task)

    member _.Url(path: string) = Uri(sprintf "http://127.0.0.1:%d/%s" port path)

    /// (path, Range header) of every request so far, in arrival order.
    member _.Requests = requests |> Seq.toList

    interface IDisposable with
        member _.Dispose() =
            stop.Cancel()
            (try listener.Stop() with _ -> ())
            (try listener.Close() with _ -> ())
            loop.Wait(TimeSpan.FromSeconds 5.) |> ignore
