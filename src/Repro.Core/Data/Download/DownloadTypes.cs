namespace Repro.Core.Data.Download;

/// <summary>How far a download has got; the CLI draws the bar from these.</summary>
/// <param name="BytesReceived">Bytes in the file so far, including any resumed part.</param>
/// <param name="TotalBytes">The whole file's size when the server says it.</param>
/// <param name="BytesPerSecond">Average rate since this transfer (attempt) started.</param>
public readonly record struct DownloadProgress(long BytesReceived, long? TotalBytes, double BytesPerSecond);

/// <summary>Time limits and retry policy of the <see cref="Downloader"/>.</summary>
public sealed record DownloadOptions
{
    /// <summary>Longest wait for a TCP (and TLS) connection; an unreachable host fails after this.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest wait for the response headers, or for the next bytes of the body.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How many times a transfer that broke off after making progress is resumed automatically.
    /// Attempts that make no progress are never repeated, so a dead host fails at the first timeout.
    /// </summary>
    public int MaxResumes { get; init; } = 5;

    /// <summary>Shortest interval between two progress reports.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    public static DownloadOptions Default { get; } = new();
}

/// <summary>One file to download.</summary>
/// <param name="Url">Where to get it.</param>
/// <param name="TargetPath">The final file; bytes collect in <c>TargetPath + ".partial"</c> until verified.</param>
/// <param name="Checksum">The expected digest, or null.</param>
/// <param name="ExpectedBytes">The expected size, checked when not null.</param>
/// <param name="ByHand">Appended to every failure message: how to put the files in place by hand.</param>
public sealed record DownloadRequest(Uri Url, string TargetPath, Checksum? Checksum = null, long? ExpectedBytes = null, string? ByHand = null)
{
    public string PartialPath => TargetPath + ".partial";

    /// <summary>Sidecar holding the server's validator (ETag or Last-Modified) of the partial's bytes.</summary>
    internal string ValidatorPath => TargetPath + ".partial.validator";
}

/// <summary>What a finished download did.</summary>
/// <param name="Path">The verified file.</param>
/// <param name="Bytes">Its size.</param>
/// <param name="ResumedFrom">Bytes that were already in the partial file when this download began (0 if none or discarded).</param>
/// <param name="Verified">What was checked, for messages (e.g. "md5 cd24...", "size only").</param>
public sealed record DownloadResult(string Path, long Bytes, long ResumedFrom, string Verified);

/// <summary>A download failed: names the URL, the reason, and how to install the files by hand.</summary>
public class DownloadException : Exception
{
    public DownloadException(Uri url, string reason, string? byHand, Exception? inner = null)
        : base(Compose(url, reason, byHand), inner)
    {
        Url = url;
        Reason = reason;
        ByHand = byHand;
    }

    public Uri Url { get; }

    public string Reason { get; }

    public string? ByHand { get; }

    private static string Compose(Uri url, string reason, string? byHand) =>
        byHand is null ? $"Download of {url} failed: {reason}" : $"Download of {url} failed: {reason}\n{byHand}";
}

/// <summary>The downloaded bytes are not the expected ones; the bad file has been deleted.</summary>
public sealed class DownloadVerificationException : DownloadException
{
    public DownloadVerificationException(Uri url, string reason, string? byHand) : base(url, reason, byHand) { }
}

/// <summary>A dataset without a public download is missing; the message says where to obtain it and where to put it.</summary>
public sealed class ManualDownloadRequiredException : Exception
{
    public ManualDownloadRequiredException(DatasetEntry dataset, string message) : base(message)
    {
        Dataset = dataset;
    }

    public DatasetEntry Dataset { get; }
}
