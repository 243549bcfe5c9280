using System.IO.Compression;

namespace Repro.Core.Data.Download;

/// <summary>A zip entry whose path would land outside the extraction folder (zip-slip); nothing was extracted.</summary>
public sealed class UnsafeZipEntryException : IOException
{
    public UnsafeZipEntryException(string zipPath, string entryName, string problem)
        : base($"{zipPath}: refusing entry '{entryName}': {problem}; nothing was extracted")
    {
        ZipPath = zipPath;
        EntryName = entryName;
    }

    public string ZipPath { get; }

    public string EntryName { get; }
}

/// <summary>
/// Extracts a zip archive into a folder, refusing (before writing anything) any entry whose path is
/// absolute, climbs with "..", or otherwise resolves outside the folder. Each file is written to
/// "&lt;name&gt;.partial" and renamed when complete, so no half-written file appears under its name.
/// </summary>
public static class SafeZipExtractor
{
    /// <summary>Extracts every entry; returns the full paths of the files written.</summary>
    public static IReadOnlyList<string> Extract(string zipPath, string targetDirectory, CancellationToken cancellationToken = default)
    {
        string root = Path.GetFullPath(targetDirectory);
        string rootWithSeparator = Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar;
        using var archive = ZipFile.OpenRead(zipPath);

        // First pass: resolve and check every entry, so a hostile archive leaves no file behind.
        var plan = new List<(ZipArchiveEntry Entry, string Destination, bool IsDirectory)>(archive.Entries.Count);
        foreach (var entry in archive.Entries)
        {
            string name = entry.FullName;
            string? problem = ProblemWith(name);
            if (problem is not null) throw new UnsafeZipEntryException(zipPath, name, problem);
            string relative = name.Replace('\\', '/').Replace('/', Path.DirectorySeparatorChar);
            string destination = Path.GetFullPath(Path.Combine(root, relative));
            bool isDirectory = name.EndsWith('/') || name.EndsWith('\\');
            bool inside = destination.StartsWith(rootWithSeparator, StringComparison.Ordinal)
                          || (isDirectory && destination.TrimEnd(Path.DirectorySeparatorChar) == root.TrimEnd(Path.DirectorySeparatorChar));
            if (!inside) throw new UnsafeZipEntryException(zipPath, name, $"it would be written to {destination}, outside {root}");
            plan.Add((entry, destination, isDirectory));
        }

        var written = new List<string>();
        foreach (var (entry, destination, isDirectory) in plan)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (isDirectory)
            {
                Directory.CreateDirectory(destination);
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            string partial = destination + ".partial";
            try
            {
                using (var input = entry.Open())
                using (var output = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
                {
                    input.CopyTo(output, 1 << 20);
                }
                File.Move(partial, destination, overwrite: true);
            }
            catch
            {
                File.Delete(partial);
                throw;
            }
            written.Add(destination);
        }
        return written;
    }

    /// <summary>Why an entry name is unsafe on any platform, or null.</summary>
    internal static string? ProblemWith(string name)
    {
        if (name.Length == 0) return "the name is empty";
        if (name.Contains('\0')) return "the name contains a NUL character";
        string normal = name.Replace('\\', '/');
        if (normal.StartsWith('/')) return "the path is absolute";
        if (normal.Length >= 2 && normal[1] == ':' && char.IsAsciiLetter(normal[0])) return "the path names a drive";
        if (normal.Split('/').Any(segment => segment == "..")) return "the path climbs out with '..'";
        return null;
    }
}
