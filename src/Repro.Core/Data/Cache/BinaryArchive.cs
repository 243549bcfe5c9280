using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Repro.Core.Data.Cache;

/// <summary>
/// A small self-checking binary container for cached arrays: magic, format version, the key the
/// content was built from, the payload, and the SHA-256 of everything before it. A reader that finds
/// another magic, version or key, a short file or a wrong checksum says so with
/// <see cref="StaleCacheException"/>, so that the caller rebuilds instead of trusting it.
/// Files appear by write-to-temporary-then-rename, never half-written.
/// </summary>
public static class BinaryArchive
{
    private static readonly byte[] Magic = "REPROBIN"u8.ToArray();

    /// <summary>Writes the payload produced by <paramref name="write"/> atomically to <paramref name="path"/>.</summary>
    public static void Write(string path, string kind, int version, string key, Action<ArchiveWriter> write)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            using (var hashing = new HashingStream(stream))
            {
                var writer = new ArchiveWriter(hashing);
                writer.WriteBytes(Magic);
                writer.Write(kind);
                writer.Write(version);
                writer.Write(key);
                write(writer);
                writer.Flush();
                stream.Write(hashing.Finish());
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>
    /// Reads an archive written by <see cref="Write"/>, checking magic, kind, version, key and checksum
    /// before <paramref name="read"/> sees any payload. A null <paramref name="key"/> accepts any key
    /// (to describe a file, never to use its contents as a cache).
    /// </summary>
    public static T Read<T>(string path, string kind, int version, string? key, Func<ArchiveReader, T> read) =>
        Read(path, kind, version, version, key, (reader, _) => read(reader));

    /// <summary>
    /// <see cref="Read{T}(string, string, int, string?, Func{ArchiveReader, T})"/> for a format that still
    /// reads its older versions: any version from <paramref name="oldestVersion"/> to
    /// <paramref name="version"/>, passed to <paramref name="read"/>.
    /// </summary>
    public static T Read<T>(string path, string kind, int oldestVersion, int version, string? key, Func<ArchiveReader, int, T> read)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        // Unreadable (a folder, no permission) is a cache to rebuild, as an unwritable one only warns.
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new StaleCacheException(path, $"cannot be read ({e.Message})"); }
        if (bytes.Length < Magic.Length + 32 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new StaleCacheException(path, "is not a Repro cache file");
        var body = bytes.AsSpan(0, bytes.Length - 32);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - 32)))
            throw new StaleCacheException(path, "fails its checksum (truncated or corrupt)");
        var reader = new ArchiveReader(bytes, Magic.Length, bytes.Length - 32, path);
        var foundKind = reader.ReadString();
        var foundVersion = reader.ReadInt32();
        var foundKey = reader.ReadString();
        if (foundKind != kind) throw new StaleCacheException(path, $"holds a {foundKind}, not a {kind}");
        if (foundVersion < oldestVersion || foundVersion > version)
            throw new StaleCacheException(path, oldestVersion == version
                ? $"has format version {foundVersion}, this build reads {version}"
                : $"has format version {foundVersion}, this build reads {oldestVersion} to {version}");
        if (key is not null && foundKey != key) throw new StaleCacheException(path, "was built from other source files or settings");
        var result = read(reader, foundVersion);
        if (!reader.AtEnd) throw new StaleCacheException(path, "has trailing bytes after its payload");
        return result;
    }

    /// <summary>Hashes everything written through it.</summary>
    private sealed class HashingStream(Stream inner) : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public byte[] Finish() => _hash.GetHashAndReset();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _hash.AppendData(buffer);
            inner.Write(buffer);
        }
        public override void Flush() => inner.Flush();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        protected override void Dispose(bool disposing) { if (disposing) _hash.Dispose(); base.Dispose(disposing); }
    }
}

/// <summary>A cache file that must be rebuilt: names the file and why.</summary>
public sealed class StaleCacheException(string path, string reason) : Exception($"{path} {reason}")
{
    public string Path { get; } = path;
    public string Reason { get; } = reason;
}

/// <summary>Little-endian primitive and array writer for <see cref="BinaryArchive"/>.</summary>
public sealed class ArchiveWriter
{
    private readonly BinaryWriter _writer;

    internal ArchiveWriter(Stream stream) => _writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);

    internal void WriteBytes(ReadOnlySpan<byte> bytes) => _writer.Write(bytes);
    internal void Flush() => _writer.Flush();

    public void Write(int value) => _writer.Write(value);
    public void Write(long value) => _writer.Write(value);
    public void Write(double value) => _writer.Write(value);
    public void Write(string value) => _writer.Write(value);

    public void Write(ReadOnlySpan<int> values)
    {
        _writer.Write(values.Length);
        _writer.Write(MemoryMarshal.AsBytes(values));
    }

    public void Write(ReadOnlySpan<float> values)
    {
        _writer.Write(values.Length);
        _writer.Write(MemoryMarshal.AsBytes(values));
    }

    public void Write(ReadOnlySpan<double> values)
    {
        _writer.Write(values.Length);
        _writer.Write(MemoryMarshal.AsBytes(values));
    }

    public void Write(IReadOnlyList<string> values)
    {
        _writer.Write(values.Count);
        foreach (var v in values) _writer.Write(v);
    }
}

/// <summary>Reads what <see cref="ArchiveWriter"/> wrote; a read past the payload is a stale cache.</summary>
public sealed class ArchiveReader
{
    private readonly byte[] _bytes;
    private readonly int _end;
    private readonly string _path;
    private int _at;

    internal ArchiveReader(byte[] bytes, int start, int end, string path)
    {
        _bytes = bytes;
        _at = start;
        _end = end;
        _path = path;
    }

    internal bool AtEnd => _at == _end;

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || _at + (long)count > _end) throw new StaleCacheException(_path, "ends before its payload does");
        var span = _bytes.AsSpan(_at, count);
        _at += count;
        return span;
    }

    public int ReadInt32() => BitConverter.ToInt32(Take(4));
    public long ReadInt64() => BitConverter.ToInt64(Take(8));
    public double ReadDouble() => BitConverter.ToDouble(Take(8));

    public string ReadString()
    {
        // BinaryWriter's 7-bit encoded length prefix.
        int length = 0, shift = 0;
        byte b;
        do
        {
            if (shift > 28) throw new StaleCacheException(_path, "has a malformed string length");
            b = Take(1)[0];
            length |= (b & 0x7f) << shift;
            shift += 7;
        } while ((b & 0x80) != 0);
        return Encoding.UTF8.GetString(Take(length));
    }

    public int[] ReadInt32Array()
    {
        int n = ReadInt32();
        return MemoryMarshal.Cast<byte, int>(Take(checked(n * 4))).ToArray();
    }

    public float[] ReadSingleArray()
    {
        int n = ReadInt32();
        return MemoryMarshal.Cast<byte, float>(Take(checked(n * 4))).ToArray();
    }

    public double[] ReadDoubleArray()
    {
        int n = ReadInt32();
        return MemoryMarshal.Cast<byte, double>(Take(checked(n * 8))).ToArray();
    }

    public string[] ReadStringArray()
    {
        int n = ReadInt32();
        if (n < 0 || n > _end - _at) throw new StaleCacheException(_path, "has a malformed string array length");
        var result = new string[n];
        for (int k = 0; k < n; k++) result[k] = ReadString();
        return result;
    }
}
