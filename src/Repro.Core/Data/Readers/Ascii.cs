using System.Globalization;
using System.Text;

namespace Repro.Core.Data.Readers;

/// <summary>Field splitting and number parsing on raw ASCII bytes, without allocating.</summary>
internal static class Ascii
{
    /// <summary>10^0 to 10^7, each exact in float.</summary>
    internal static readonly float[] PowersOfTen = [1f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f];

    /// <summary>A non-negative integer id: 1 to 18 decimal digits (leading zeros allowed), nothing else.</summary>
    public static bool TryParseId(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 18) return false;
        long v = 0;
        foreach (byte c in text)
        {
            uint digit = (uint)(c - '0');
            if (digit > 9) return false;
            v = v * 10 + digit;
        }
        value = v;
        return true;
    }

    /// <summary>
    /// A finite decimal number, as float.Parse reads it with an optional sign, decimal point and
    /// exponent (no spaces, no thousands separators). The common short case (at most 7 digits, no
    /// sign or exponent, e.g. "3.5") is done by hand: mantissa and power of ten are both exact in
    /// float, so one division gives the correctly rounded result, the same float.Parse gives.
    /// </summary>
    public static bool TryParseValue(ReadOnlySpan<byte> text, out float value)
    {
        uint mantissa = 0;
        int digits = 0, fractionDigits = 0;
        bool point = false;
        foreach (byte c in text)
        {
            uint digit = (uint)(c - '0');
            if (digit <= 9)
            {
                mantissa = mantissa * 10 + digit;
                digits++;
                if (point) fractionDigits++;
                if (digits > 7) return TryParseValueSlow(text, out value);
            }
            else if (c == (byte)'.' && !point) point = true;
            else return TryParseValueSlow(text, out value);
        }
        if (digits == 0)
        {
            value = 0;
            return false;
        }
        value = fractionDigits == 0 ? mantissa : mantissa / PowersOfTen[fractionDigits];
        return true;
    }

    private static bool TryParseValueSlow(ReadOnlySpan<byte> text, out float value) =>
        float.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                       CultureInfo.InvariantCulture, out value) && float.IsFinite(value);

    /// <summary>
    /// Splits <paramref name="line"/> at every <paramref name="delimiter"/>; stores as many field ranges
    /// as <paramref name="fields"/> holds and returns how many fields the line has in all.
    /// </summary>
    public static int Split(ReadOnlySpan<byte> line, byte delimiter, Span<Range> fields)
    {
        int count = 0, start = 0;
        while (true)
        {
            int length = line[start..].IndexOf(delimiter);
            int end = length < 0 ? line.Length : start + length;
            if (count < fields.Length) fields[count] = new Range(start, end);
            count++;
            if (length < 0) return count;
            start = end + 1;
        }
    }

    /// <inheritdoc cref="Split(ReadOnlySpan{byte}, byte, Span{Range})"/>
    public static int Split(ReadOnlySpan<byte> line, ReadOnlySpan<byte> delimiter, Span<Range> fields)
    {
        if (delimiter.Length == 1) return Split(line, delimiter[0], fields);
        int count = 0, start = 0;
        while (true)
        {
            int length = line[start..].IndexOf(delimiter);
            int end = length < 0 ? line.Length : start + length;
            if (count < fields.Length) fields[count] = new Range(start, end);
            count++;
            if (length < 0) return count;
            start = end + delimiter.Length;
        }
    }

    /// <summary>Field text for an error message: quoted, control characters escaped, long text cut.</summary>
    public static string Show(ReadOnlySpan<byte> text)
    {
        const int Limit = 60;
        var decoded = Encoding.UTF8.GetString(text.Length > Limit ? text[..Limit] : text);
        var shown = new StringBuilder(decoded.Length + 8).Append('"');
        foreach (char c in decoded)
        {
            switch (c)
            {
                case '\t': shown.Append("\\t"); break;
                case '\r': shown.Append("\\r"); break;
                case '"': shown.Append("\\\""); break;
                default: shown.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()); break;
            }
        }
        shown.Append('"');
        if (text.Length > Limit) shown.Append("...");
        return shown.ToString();
    }

    /// <summary>A delimiter as it should be named in a message.</summary>
    public static string DelimiterName(string delimiter) => delimiter switch
    {
        "\t" => "tab",
        "," => "comma",
        " " => "space",
        ";" => "semicolon",
        "|" => "pipe",
        _ => $"\"{delimiter}\"",
    };
}
