using System.Globalization;
using System.Text;

namespace Repro.Core.Data.Download;

/// <summary>
/// A file a dataset must yield, relative to the dataset's folder under the data dir, with the line
/// counts that identify the right file when no digest of it is known.
/// </summary>
/// <param name="RelativePath">Path inside the dataset folder, '/'-separated (e.g. "ratings.csv").</param>
/// <param name="DataLines">Lines after the header (the rating rows; for Netflix's combined files this
/// includes the "movieId:" lines).</param>
/// <param name="HeaderLines">Lines before the data (1 for MovieLens CSVs, 0 otherwise).</param>
public sealed record DatasetFile(string RelativePath, long DataLines, int HeaderLines = 0);

/// <summary>
/// One dataset the project knows how to obtain: where it comes from, how to check it, and where its
/// files land under the data dir (<c>&lt;data-dir&gt;/&lt;Folder&gt;/&lt;file&gt;</c>).
/// </summary>
public sealed class DatasetEntry
{
    public DatasetEntry(
        string name, string title, string folder, IReadOnlyList<DatasetFile> files,
        Uri? url = null, string? archiveName = null, Checksum? archiveChecksum = null,
        Uri? publishedChecksumUrl = null, long? archiveBytes = null, string? manualSource = null)
    {
        if (files.Count == 0) throw new ArgumentException($"dataset {name} lists no files", nameof(files));
        if (url is null && manualSource is null)
            throw new ArgumentException($"dataset {name} needs either a url or words saying where to obtain it");
        if (url is not null && archiveName is null)
            throw new ArgumentException($"dataset {name} has a url but no archive name", nameof(archiveName));
        Name = name;
        Title = title;
        Folder = folder;
        Files = files;
        Url = url;
        ArchiveName = archiveName;
        ArchiveChecksum = archiveChecksum;
        PublishedChecksumUrl = publishedChecksumUrl;
        ArchiveBytes = archiveBytes;
        ManualSource = manualSource;
    }

    /// <summary>The short name used on the command line (e.g. "ml-20m").</summary>
    public string Name { get; }

    public string Title { get; }

    /// <summary>Folder under the data dir that holds the files (e.g. "ml-20m").</summary>
    public string Folder { get; }

    /// <summary>The files the dataset must yield, relative to <see cref="Folder"/>.</summary>
    public IReadOnlyList<DatasetFile> Files { get; }

    /// <summary>The official download (a zip archive), or null when there is no public download.</summary>
    public Uri? Url { get; }

    /// <summary>File name of the downloaded archive (kept under &lt;data-dir&gt;/downloads).</summary>
    public string? ArchiveName { get; }

    /// <summary>The publisher's digest of the archive, when it is known in advance.</summary>
    public Checksum? ArchiveChecksum { get; }

    /// <summary>Where the publisher serves an md5 sidecar, read at download time when no digest is known.</summary>
    public Uri? PublishedChecksumUrl { get; }

    /// <summary>Archive size in bytes as the server reported it to others (informational).</summary>
    public long? ArchiveBytes { get; }

    /// <summary>For datasets without a public download: where to obtain the files, in words.</summary>
    public string? ManualSource { get; }

    public bool IsDownloadable => Url is not null;

    public string FolderIn(string dataDir) => Path.Combine(dataDir, Folder);

    public string PathIn(string dataDir, DatasetFile file) =>
        Path.Combine(FolderIn(dataDir), file.RelativePath.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>True when every expected file exists under the data dir.</summary>
    public bool IsPresentIn(string dataDir) => Files.All(f => File.Exists(PathIn(dataDir, f)));

    /// <summary>
    /// The same dataset served from another address (a mirror or a local copy). A known digest stays
    /// (a mirror must serve the same bytes); a sidecar is looked for next to the new address.
    /// </summary>
    public DatasetEntry WithUrl(Uri url) =>
        new(Name, Title, Folder, Files, url, ArchiveName ?? Path.GetFileName(url.AbsolutePath), ArchiveChecksum,
            PublishedChecksumUrl is null ? null : new Uri(url.AbsoluteUri + ".md5"), ArchiveBytes, ManualSource);

    /// <summary>How to put the files in place by hand: where to get them, and the exact folder and file names.</summary>
    public string ByHandInstructions(string dataDir)
    {
        var text = new StringBuilder();
        if (Url is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"To install {Name} by hand, download {Url}");
            if (ArchiveBytes is long bytes) text.Append(CultureInfo.InvariantCulture, $" ({bytes:N0} bytes)");
            if (ArchiveChecksum is not null) text.Append(CultureInfo.InvariantCulture, $", check that its {ArchiveChecksum.Algorithm.ToString().ToUpperInvariant()} is {ArchiveChecksum.Hex}");
            text.Append(", unzip it and put ");
        }
        else
        {
            text.Append(CultureInfo.InvariantCulture, $"{Title} has no public download. {ManualSource} Put ");
        }
        text.Append(CultureInfo.InvariantCulture, $"{(Files.Count == 1 ? "this file" : "these files")} in {FolderIn(dataDir)}{Path.DirectorySeparatorChar}:");
        foreach (var file in Files)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n  {PathIn(dataDir, file)}  ({file.DataLines:N0} lines");
            if (file.HeaderLines > 0) text.Append(CultureInfo.InvariantCulture, $" after {file.HeaderLines} header line{(file.HeaderLines == 1 ? "" : "s")}");
            text.Append(')');
        }
        text.Append("\nFiles already in place are used as they are.");
        return text.ToString();
    }

    public override string ToString() => Name;
}
