using System.Globalization;

namespace Repro.Core.Data.Download;

public enum FetchOutcome
{
    /// <summary>Every expected file was already in place; nothing was downloaded.</summary>
    AlreadyPresent,
    /// <summary>The archive was downloaded (or a verified archive from an earlier run reused) and extracted.</summary>
    Fetched,
}

/// <summary>What a fetch did.</summary>
/// <param name="Files">Full paths of the dataset's expected files.</param>
/// <param name="Verified">What was checked, in words.</param>
public sealed record FetchResult(DatasetEntry Dataset, FetchOutcome Outcome, IReadOnlyList<string> Files, string Verified);

/// <summary>
/// Puts a catalog dataset's files under the data dir: downloads the archive to
/// &lt;data-dir&gt;/downloads (resumable), verifies it (published digest, else the publisher's md5
/// sidecar, else nothing until extraction), extracts it safely into a staging folder, checks every
/// expected file's line count, and moves the files into &lt;data-dir&gt;/&lt;folder&gt;, expected files
/// last. A dataset without a public download gets a <see cref="ManualDownloadRequiredException"/>
/// saying where to obtain it and where to put it.
/// </summary>
public sealed class DatasetFetcher : IDisposable
{
    private readonly Downloader _downloader;

    public DatasetFetcher(string dataDir, DownloadOptions? options = null)
    {
        DataDir = Path.GetFullPath(dataDir);
        _downloader = new Downloader(options);
    }

    public string DataDir { get; }

    /// <summary>Where archives are kept (partial downloads resume from here).</summary>
    public string DownloadsFolder => Path.Combine(DataDir, "downloads");

    /// <summary>Delete the archive once its files are in place (default false: keep it).</summary>
    public bool DeleteArchiveAfterExtract { get; init; }

    public void Dispose() => _downloader.Dispose();

    /// <param name="progress">Download progress (bytes, total, rate).</param>
    /// <param name="stage">Short descriptions of the current stage ("verifying md5", "extracting", ...).</param>
    public async Task<FetchResult> FetchAsync(DatasetEntry dataset, IProgress<DownloadProgress>? progress = null,
                                              IProgress<string>? stage = null, CancellationToken cancellationToken = default)
    {
        var expected = dataset.Files.Select(f => dataset.PathIn(DataDir, f)).ToList();
        if (dataset.IsPresentIn(DataDir))
            return new FetchResult(dataset, FetchOutcome.AlreadyPresent, expected, "already in place (not re-checked)");
        if (!dataset.IsDownloadable)
            throw new ManualDownloadRequiredException(dataset,
                $"{dataset.Name} is not in {dataset.FolderIn(DataDir)}.\n{dataset.ByHandInstructions(DataDir)}");

        string byHand = dataset.ByHandInstructions(DataDir);
        string archive = Path.Combine(DownloadsFolder, dataset.ArchiveName!);
        string archiveCheck;
        bool digestChecked = dataset.ArchiveChecksum is not null;
        if (File.Exists(archive))
        {
            // Archives only appear under their name after verification (see Downloader).
            archiveCheck = "archive from an earlier download";
        }
        else
        {
            Checksum? checksum = dataset.ArchiveChecksum;
            string origin = "published";
            if (checksum is null && dataset.PublishedChecksumUrl is Uri sidecar)
            {
                stage?.Report($"reading {sidecar}");
                string? text;
                try
                {
                    text = await _downloader.GetSmallTextAsync(sidecar, 4096, cancellationToken).ConfigureAwait(false);
                }
                catch (DownloadException e)
                {
                    throw new DownloadException(e.Url, e.Reason, byHand, e);
                }
                checksum = text is null ? null : Checksum.ParseMd5Sidecar(text);
                origin = $"from {sidecar}";
            }
            stage?.Report($"downloading {dataset.Url}");
            var result = await _downloader.DownloadAsync(
                new DownloadRequest(dataset.Url!, archive, checksum, ByHand: byHand), progress, cancellationToken).ConfigureAwait(false);
            archiveCheck = checksum is null ? "archive not checked (no digest published)" : $"archive {result.Verified} ({origin})";
            digestChecked = checksum is not null;
        }

        stage?.Report($"extracting {dataset.ArchiveName}");
        string staging = Path.Combine(DataDir, "." + dataset.Folder + ".extracting");
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        try
        {
            var written = SafeZipExtractor.Extract(archive, staging, cancellationToken);
            string root = CommonTopFolder(staging, written);

            stage?.Report("checking row counts");
            var counts = new List<string>();
            foreach (var file in dataset.Files)
            {
                string found = Path.Combine(root, file.RelativePath.Replace('/', Path.DirectorySeparatorChar));
                if (!File.Exists(found))
                {
                    DiscardUnverifiedArchive(digestChecked, archive);
                    throw new DataFormatException(archive, 0, $"the archive holds no {file.RelativePath}. {byHand}");
                }
                long lines = LineCounter.CountLines(found, cancellationToken) - file.HeaderLines;
                if (lines != file.DataLines)
                {
                    DiscardUnverifiedArchive(digestChecked, archive);
                    throw new DataFormatException(found, 0,
                        $"has {lines:N0} lines after the header, expected {file.DataLines:N0} for {dataset.Title}. {byHand}");
                }
                counts.Add(string.Create(CultureInfo.InvariantCulture, $"{file.RelativePath}: {lines:N0} lines"));
            }

            // Every other file first, the expected ones last: when they exist, the whole dataset is in place.
            string folder = dataset.FolderIn(DataDir);
            var expectedSources = dataset.Files
                .Select(f => Path.GetFullPath(Path.Combine(root, f.RelativePath.Replace('/', Path.DirectorySeparatorChar))))
                .ToHashSet();
            var ordered = written.OrderBy(w => expectedSources.Contains(Path.GetFullPath(w)) ? 1 : 0);
            foreach (var source in ordered)
            {
                string destination = Path.Combine(folder, Path.GetRelativePath(root, source));
                Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
                File.Move(source, destination, overwrite: true);
            }
            if (DeleteArchiveAfterExtract) File.Delete(archive);
            return new FetchResult(dataset, FetchOutcome.Fetched, expected, archiveCheck + "; " + string.Join(", ", counts));
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>
    /// Checks that a dataset's files are in place with the expected line counts (for files placed by
    /// hand); throws <see cref="DataFormatException"/> naming the first wrong file.
    /// </summary>
    public static void VerifyInPlace(DatasetEntry dataset, string dataDir, CancellationToken cancellationToken = default)
    {
        foreach (var file in dataset.Files)
        {
            string path = dataset.PathIn(dataDir, file);
            if (!File.Exists(path))
                throw new DataFormatException(path, 0, $"missing.\n{dataset.ByHandInstructions(dataDir)}");
            long lines = LineCounter.CountLines(path, cancellationToken) - file.HeaderLines;
            if (lines != file.DataLines)
                throw new DataFormatException(path, 0, $"has {lines:N0} lines after the header, expected {file.DataLines:N0} for {dataset.Title}");
        }
    }

    /// <summary>Without a digest, an archive with the wrong content is the likely culprit: delete it so the next run downloads afresh.</summary>
    private static void DiscardUnverifiedArchive(bool digestChecked, string archive)
    {
        if (!digestChecked) File.Delete(archive);
    }

    /// <summary>The single top-level folder all files share (GroupLens zips hold "ml-20m/..."), else the staging folder.</summary>
    private static string CommonTopFolder(string staging, IReadOnlyList<string> written)
    {
        var tops = written.Select(w => Path.GetRelativePath(staging, w).Split(Path.DirectorySeparatorChar))
                          .Select(parts => parts.Length > 1 ? parts[0] : null)
                          .Distinct()
                          .ToList();
        return tops.Count == 1 && tops[0] is string top ? Path.Combine(staging, top) : staging;
    }
}
