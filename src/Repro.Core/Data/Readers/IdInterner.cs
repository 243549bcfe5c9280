using System.Text;

namespace Repro.Core.Data.Readers;

/// <summary>
/// Turns id bytes into strings, allocating each distinct id once: later occurrences are found by
/// span lookup, so string-id formats (the MSD taste profile, 48M lines) allocate per id, not per line.
/// </summary>
internal sealed class IdInterner
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Dictionary<string, string> _ids = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private char[] _chars = new char[128];

    public IdInterner() => _lookup = _ids.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The id as a string, or null when the bytes are not valid UTF-8.</summary>
    public string? Intern(ReadOnlySpan<byte> utf8)
    {
        if (_chars.Length < utf8.Length) _chars = new char[Math.Max(utf8.Length, _chars.Length * 2)];
        int length;
        try
        {
            length = StrictUtf8.GetChars(utf8, _chars);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
        var chars = new ReadOnlySpan<char>(_chars, 0, length);
        if (_lookup.TryGetValue(chars, out var id)) return id;
        id = new string(chars);
        _ids.Add(id, id);
        return id;
    }
}
