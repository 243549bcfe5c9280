namespace Repro.Core.Data.Readers;

/// <summary>
/// Opening inputs, with one convention for every reader: a file that does not exist gives
/// <see cref="FileNotFoundException"/>, a folder that does not exist gives
/// <see cref="DirectoryNotFoundException"/>, each naming the path and what was expected there;
/// everything wrong inside a file that exists gives <see cref="DataFormatException"/>.
/// </summary>
internal static class Input
{
    public static FileStream OpenFile(string path)
    {
        if (!File.Exists(path))
            throw Directory.Exists(path)
                ? new FileNotFoundException($"{path}: is a folder, expected a file", path)
                : new FileNotFoundException($"{path}: file not found", path);
        // No FileStream buffering: LineSource reads megabytes at a time into its own buffer.
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
    }

    public static void RequireFolder(string folder, string expected)
    {
        if (!Directory.Exists(folder))
            throw File.Exists(folder)
                ? new DirectoryNotFoundException($"{folder}: is a file, expected a folder holding {expected}")
                : new DirectoryNotFoundException($"{folder}: folder not found (expected a folder holding {expected})");
    }

    /// <summary>
    /// Lines in a file (a last line without newline counts) and occurrences of one more byte, by a
    /// quick pass over the bytes: a reader that knows its event count exactly lets the builder hand
    /// its arrays to the log without a copy. A second read of a file costs far less than a copy of
    /// the events (fresh memory is slow to touch on this VM; a re-read comes from the page cache).
    /// </summary>
    public static (long Lines, long Other) CountLines(string path, byte other)
    {
        using var stream = OpenFile(path);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            long newlines = 0, others = 0, total = 0;
            byte last = (byte)'\n';
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                var chunk = new ReadOnlySpan<byte>(buffer, 0, read);
                newlines += chunk.Count((byte)'\n');
                others += chunk.Count(other);
                last = chunk[^1];
                total += read;
            }
            return (newlines + (total > 0 && last != (byte)'\n' ? 1 : 0), others);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A count as a builder capacity: at least 0, at most what an array can hold.</summary>
    public static int Capacity(long count) => (int)Math.Clamp(count, 0, Array.MaxLength);
}
