using System.Text;

namespace Repro.Core.Data.Readers;

/// <summary>
/// Text ids of one column as strings. A repeat of the previous line's id (a user's lines come
/// together) gives the same string without decoding; any other id is decoded afresh: a short-lived
/// string costs less than looking it up in a table of a million ids, which the builder does anyway.
/// </summary>
internal sealed class TextIdColumn
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private byte[] _lastBytes = new byte[64];
    private int _lastLength;
    private string? _last;

    /// <summary>The id as a string, or null when the bytes are not valid UTF-8.</summary>
    public string? Read(ReadOnlySpan<byte> utf8)
    {
        if (_last is not null && utf8.SequenceEqual(_lastBytes.AsSpan(0, _lastLength))) return _last;
        string id;
        if (System.Text.Ascii.IsValid(utf8)) id = Encoding.ASCII.GetString(utf8);
        else
        {
            try
            {
                id = StrictUtf8.GetString(utf8);
            }
            catch (DecoderFallbackException)
            {
                return null;
            }
        }
        if (_lastBytes.Length < utf8.Length) _lastBytes = new byte[utf8.Length * 2];
        utf8.CopyTo(_lastBytes);
        _lastLength = utf8.Length;
        return _last = id;
    }
}
