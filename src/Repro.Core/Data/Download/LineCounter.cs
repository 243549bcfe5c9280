namespace Repro.Core.Data.Download;

/// <summary>Counts lines of large text files quickly (a vectorised newline count).</summary>
public static class LineCounter
{
    /// <summary>Lines in the file: '\n' count, plus one when the last line has no terminator (CRLF counts once).</summary>
    public static long CountLines(string path, CancellationToken cancellationToken = default)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var buffer = new byte[1 << 20];
        long lines = 0;
        byte last = (byte)'\n';
        int n;
        while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var span = buffer.AsSpan(0, n);
            lines += span.Count((byte)'\n');
            last = span[^1];
        }
        return last == (byte)'\n' ? lines : lines + 1;
    }
}
