namespace Repro.Core.Data.Readers;

/// <summary>
/// Reads a file as lines of raw bytes without decoding or allocating per line: one large buffer is
/// filled from the file and lines are handed out as spans into it (valid until the next call).
/// A line ends at LF; a CR just before the LF (or at the end of a last line) is dropped, so LF and
/// CRLF files read the same. A UTF-8 byte-order mark at the start is skipped. The last line may
/// lack its newline; an empty file has no lines.
/// </summary>
internal sealed class LineSource : IDisposable
{
    private const int DefaultBufferBytes = 4 << 20;

    private readonly Stream _stream;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private bool _endOfFile;

    public LineSource(string path, int bufferBytes = DefaultBufferBytes)
        : this(path, Readers.Input.OpenFile(path), bufferBytes)
    {
    }

    /// <summary>Lines of <paramref name="stream"/>, named <paramref name="path"/> in messages; takes ownership of the stream.</summary>
    public LineSource(string path, Stream stream, int bufferBytes = DefaultBufferBytes)
    {
        Path = path;
        _stream = stream;
        _buffer = new byte[Math.Max(bufferBytes, 4096)];
        Fill();
        if (_end - _start >= 3 && _buffer[0] == 0xEF && _buffer[1] == 0xBB && _buffer[2] == 0xBF) _start = 3;
    }

    /// <summary>The path as given, used in error messages.</summary>
    public string Path { get; }

    /// <summary>1-based number of the line last returned by <see cref="TryReadLine"/> (0 before the first).</summary>
    public long LineNumber { get; private set; }

    /// <summary>True when the line last returned was the file's last and had no newline (a cut-off file looks like this).</summary>
    public bool LineUnterminated { get; private set; }

    /// <summary>The file's length in bytes, for capacity hints.</summary>
    public long Length => _stream.Length;

    public bool TryReadLine(out ReadOnlySpan<byte> line)
    {
        while (true)
        {
            var available = new ReadOnlySpan<byte>(_buffer, _start, _end - _start);
            int newline = available.IndexOf((byte)'\n');
            if (newline >= 0)
            {
                line = available[..newline];
                _start += newline + 1;
                if (!line.IsEmpty && line[^1] == (byte)'\r') line = line[..^1];
                if (line.IsEmpty && OnlyBlankLinesRemain())
                {
                    // Blank lines at the end of a file (an editor's or a concatenation's) are not data.
                    line = default;
                    return false;
                }
                LineNumber++;
                return true;
            }
            if (_endOfFile)
            {
                if (available.IsEmpty)
                {
                    line = default;
                    return false;
                }
                line = available;
                _start = _end;
                LineUnterminated = true;
                if (line[^1] == (byte)'\r') line = line[..^1];
                LineNumber++;
                return true;
            }
            Fill();
        }
    }

    /// <summary>
    /// True when nothing but line ends, spaces and tabs is left to read; then it is all consumed. The
    /// unread tail is kept otherwise, so an empty line followed by data is still returned (and refused
    /// by the readers, at its own line number).
    /// </summary>
    private static readonly System.Buffers.SearchValues<byte> Blank = System.Buffers.SearchValues.Create("\n\r \t"u8);

    private bool OnlyBlankLinesRemain()
    {
        while (true)
        {
            var rest = new ReadOnlySpan<byte>(_buffer, _start, _end - _start);
            if (rest.IndexOfAnyExcept(Blank) >= 0) return false;
            if (_endOfFile)
            {
                _start = _end;
                return true;
            }
            Fill();
        }
    }

    /// <summary>Error at the line last returned.</summary>
    public DataFormatException Error(string problem) => new(Path, LineNumber, problem);

    /// <summary>Error at the line last returned for a line with missing fields; says so when the file looks cut off.</summary>
    public DataFormatException ErrorShortLine(string problem) =>
        new(Path, LineNumber, LineUnterminated ? problem + " (the last line has no newline: the file looks truncated)" : problem);

    /// <summary>Error at the line after the last one returned (for "found end of file" problems).</summary>
    public DataFormatException ErrorAtNextLine(string problem) => new(Path, LineNumber + 1, problem);

    /// <summary>Moves the unread tail to the front, grows the buffer if one line fills it, and reads on.</summary>
    private void Fill()
    {
        int pending = _end - _start;
        if (pending > 0 && _start > 0) Buffer.BlockCopy(_buffer, _start, _buffer, 0, pending);
        _start = 0;
        _end = pending;
        if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
        while (_end < _buffer.Length)
        {
            int read = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0)
            {
                _endOfFile = true;
                return;
            }
            _end += read;
        }
    }

    public void Dispose() => _stream.Dispose();
}
