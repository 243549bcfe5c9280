using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace Repro.Core.Data.Download;

/// <summary>
/// Downloads one file over HTTP(S) into <c>&lt;target&gt;.partial</c>, resuming a previous partial with
/// a Range request (restarting when the server ignores it or the file changed), then verifies the
/// bytes and only then renames the partial to the target. Cancellation leaves the partial for a
/// later resume. Progress goes to an <see cref="IProgress{T}"/>; nothing is written to the console.
/// </summary>
public sealed class Downloader : IDisposable
{
    private readonly HttpClient _http;
    private readonly DownloadOptions _options;

    public Downloader(DownloadOptions? options = null)
    {
        _options = options ?? DownloadOptions.Default;
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = _options.ConnectTimeout,
            // Byte ranges refer to the stored representation; a transparently decompressed body would not line up.
            AutomaticDecompression = DecompressionMethods.None,
            AllowAutoRedirect = true,
            MaxAutomaticRedirections = 10,
        };
        // The stall timeout bounds each wait instead of HttpClient.Timeout, which would cap a whole 500 MB transfer.
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("Repro-dataset-fetch/1.0");
    }

    public DownloadOptions Options => _options;

    public void Dispose() => _http.Dispose();

    /// <summary>
    /// Downloads <paramref name="request"/>'s URL to its target. Throws <see cref="DownloadException"/>
    /// (naming the URL, and the by-hand advice) on failure, <see cref="DownloadVerificationException"/>
    /// when the bytes are wrong (the bad file is deleted), and <see cref="OperationCanceledException"/>
    /// when cancelled (the partial stays for resume).
    /// </summary>
    public async Task<DownloadResult> DownloadAsync(DownloadRequest request, IProgress<DownloadProgress>? progress = null,
                                                   CancellationToken cancellationToken = default)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(request.TargetPath));
        if (directory is not null) Directory.CreateDirectory(directory);

        long resumedFrom = PartialLength(request);
        int resumes = 0;
        while (true)
        {
            long before = PartialLength(request);
            try
            {
                bool complete = await TransferAsync(request, progress, cancellationToken).ConfigureAwait(false);
                if (complete) break;
                // The server refused our range or changed the file: the partial was discarded; go again.
                if (++resumes > _options.MaxResumes) throw new DownloadException(request.Url, "the server kept refusing to resume", request.ByHand);
                resumedFrom = 0;
            }
            catch (TransferBrokeException broke) when (!cancellationToken.IsCancellationRequested)
            {
                bool madeProgress = PartialLength(request) > before;
                if (madeProgress && ++resumes <= _options.MaxResumes) continue;
                string kept = PartialLength(request) > 0
                    ? $" ({PartialLength(request):N0} bytes are kept in {request.PartialPath}; running again resumes from there)"
                    : "";
                throw new DownloadException(request.Url, broke.Message + kept, request.ByHand, broke.InnerException);
            }
        }

        string verified = Verify(request);
        long bytes = new FileInfo(request.PartialPath).Length;
        File.Move(request.PartialPath, request.TargetPath, overwrite: true);
        TryDelete(request.ValidatorPath);
        return new DownloadResult(request.TargetPath, bytes, resumedFrom, verified);
    }

    /// <summary>
    /// Reads a small text resource (such as an md5 sidecar) with the same time limits; returns null
    /// when the server answers 404 (no sidecar published).
    /// </summary>
    public async Task<string?> GetSmallTextAsync(Uri url, int maxBytes, CancellationToken cancellationToken = default)
    {
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stall.CancelAfter(_options.StallTimeout);
        try
        {
            using var response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, stall.Token).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound) return null;
            if (!response.IsSuccessStatusCode)
                throw new DownloadException(url, $"the server answered {(int)response.StatusCode} {response.ReasonPhrase}", null);
            await using var body = await response.Content.ReadAsStreamAsync(stall.Token).ConfigureAwait(false);
            var buffer = new byte[maxBytes + 1];
            int total = 0, n;
            while (total < buffer.Length && (n = await body.ReadAsync(buffer.AsMemory(total), stall.Token).ConfigureAwait(false)) > 0) total += n;
            if (total > maxBytes) throw new DownloadException(url, $"expected at most {maxBytes} bytes of text", null);
            return System.Text.Encoding.UTF8.GetString(buffer, 0, total);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DownloadException(url, $"no answer within {Seconds(_options.StallTimeout)}", null);
        }
        catch (HttpRequestException e)
        {
            throw new DownloadException(url, $"could not connect ({e.Message})", null, e);
        }
    }

    /// <summary>
    /// One HTTP exchange appending to the partial. Returns true when the file is complete, false when
    /// the partial was discarded and the transfer must start over; throws
    /// <see cref="TransferBrokeException"/> on a failure that a later attempt may get past.
    /// </summary>
    private async Task<bool> TransferAsync(DownloadRequest request, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        long have = PartialLength(request);
        using var message = new HttpRequestMessage(HttpMethod.Get, request.Url);
        if (have > 0)
        {
            message.Headers.Range = new RangeHeaderValue(have, null);
            // If-Range: the server sends the whole (new) file instead of a range when the file changed.
            if (ReadValidator(request) is RangeConditionHeaderValue condition) message.Headers.IfRange = condition;
        }

        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stall.CancelAfter(_options.StallTimeout);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, stall.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TransferBrokeException($"no connection or no answer within {Seconds(_options.ConnectTimeout)} to connect and {Seconds(_options.StallTimeout)} to answer", e);
        }
        catch (HttpRequestException e)
        {
            throw new TransferBrokeException($"could not connect ({e.Message})", e);
        }

        using (response)
        {
            long? total;
            bool append;
            switch (response.StatusCode)
            {
                case HttpStatusCode.PartialContent when have > 0:
                    var range = response.Content.Headers.ContentRange;
                    if (range is null || range.From != have)
                    {
                        Discard(request); // a range we did not ask for: start over rather than guess
                        return false;
                    }
                    total = range.Length;
                    append = true;
                    break;
                case HttpStatusCode.RequestedRangeNotSatisfiable when have > 0:
                    // Asking for bytes past the end: the partial is complete if it is exactly the file's size.
                    if (response.Content.Headers.ContentRange?.Length == have) return true;
                    Discard(request);
                    return false;
                case HttpStatusCode.OK:
                    // A fresh file: either nothing was there, or the server ignored Range (or If-Range saw a change).
                    total = response.Content.Headers.ContentLength;
                    append = false;
                    have = 0;
                    WriteValidator(request, response);
                    break;
                default:
                    throw new DownloadException(request.Url, $"the server answered {(int)response.StatusCode} {response.ReasonPhrase}", request.ByHand);
            }

            var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
            long startedAt = have;
            var clock = Stopwatch.StartNew();
            var lastReport = -_options.ProgressInterval; // the first read reports at once
            try
            {
                await using var file = new FileStream(request.PartialPath, append ? FileMode.Append : FileMode.Create,
                                                      FileAccess.Write, FileShare.Read, 1 << 16, useAsync: true);
                Stream body;
                try
                {
                    body = await response.Content.ReadAsStreamAsync(stall.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TransferBrokeException($"no data for {Seconds(_options.StallTimeout)}", e);
                }
                await using (body.ConfigureAwait(false))
                {
                    while (true)
                    {
                        stall.CancelAfter(_options.StallTimeout);
                        int n;
                        try
                        {
                            n = await body.ReadAsync(buffer.AsMemory(), stall.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
                        {
                            throw new TransferBrokeException($"no data for {Seconds(_options.StallTimeout)} after {have:N0} bytes", e);
                        }
                        catch (Exception e) when (e is IOException or HttpRequestException)
                        {
                            throw new TransferBrokeException($"the connection broke after {have:N0} bytes ({e.Message})", e);
                        }
                        if (n == 0) break;
                        // Never cancel a write half-way: the partial must hold exactly the bytes received.
                        await file.WriteAsync(buffer.AsMemory(0, n), CancellationToken.None).ConfigureAwait(false);
                        have += n;
                        if (progress is not null && clock.Elapsed - lastReport >= _options.ProgressInterval)
                        {
                            lastReport = clock.Elapsed;
                            progress.Report(new DownloadProgress(have, total, Rate(have - startedAt, clock.Elapsed)));
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            progress?.Report(new DownloadProgress(have, total, Rate(have - startedAt, clock.Elapsed)));
            if (total is long expected && have != expected)
                throw new TransferBrokeException($"the connection closed after {have:N0} of {expected:N0} bytes", null);
            return true;
        }
    }

    /// <summary>Checks the complete partial; deletes it and throws when it is wrong.</summary>
    private static string Verify(DownloadRequest request)
    {
        long length = new FileInfo(request.PartialPath).Length;
        if (request.ExpectedBytes is long bytes && length != bytes)
        {
            Discard(request);
            throw new DownloadVerificationException(request.Url,
                $"received {length:N0} bytes, expected {bytes:N0}; the file was deleted", request.ByHand);
        }
        if (request.Checksum is { } checksum)
        {
            if (!checksum.Matches(request.PartialPath, out var actual))
            {
                Discard(request);
                throw new DownloadVerificationException(request.Url,
                    $"{checksum.Algorithm} mismatch: expected {checksum.Hex}, got {actual}; the file was deleted", request.ByHand);
            }
            return $"{checksum.Algorithm.ToString().ToLowerInvariant()} {checksum.Hex}";
        }
        return request.ExpectedBytes is null ? "not checked (no digest or size known)" : "size only";
    }

    private static long PartialLength(DownloadRequest request)
    {
        var info = new FileInfo(request.PartialPath);
        return info.Exists ? info.Length : 0;
    }

    private static void Discard(DownloadRequest request)
    {
        TryDelete(request.PartialPath);
        TryDelete(request.ValidatorPath);
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
    }

    private static void WriteValidator(DownloadRequest request, HttpResponseMessage response)
    {
        // Only a strong ETag or a Last-Modified date may be used in If-Range (RFC 9110 §13.1.5).
        string? text = response.Headers.ETag is { IsWeak: false } etag ? "etag " + etag.Tag
                     : response.Content.Headers.LastModified is DateTimeOffset date ? "date " + date.ToString("R", CultureInfo.InvariantCulture)
                     : null;
        if (text is null) TryDelete(request.ValidatorPath);
        else File.WriteAllText(request.ValidatorPath, text);
    }

    private static RangeConditionHeaderValue? ReadValidator(DownloadRequest request)
    {
        if (!File.Exists(request.ValidatorPath)) return null;
        var text = File.ReadAllText(request.ValidatorPath);
        try
        {
            if (text.StartsWith("etag ", StringComparison.Ordinal)) return new RangeConditionHeaderValue(text[5..]);
            if (text.StartsWith("date ", StringComparison.Ordinal))
                return new RangeConditionHeaderValue(DateTimeOffset.ParseExact(text[5..], "R", CultureInfo.InvariantCulture));
        }
        catch (FormatException) { }
        return null;
    }

    private static double Rate(long bytes, TimeSpan elapsed) => elapsed.TotalSeconds > 0 ? bytes / elapsed.TotalSeconds : 0;

    private static string Seconds(TimeSpan t) => $"{t.TotalSeconds:0.#} s";

    /// <summary>A transfer attempt ended early for a reason a later attempt may get past.</summary>
    private sealed class TransferBrokeException(string message, Exception? inner) : Exception(message, inner);
}
