using System.Text;

namespace Repro.Core.Data.Readers;

/// <summary>Where the fields of a delimited table are, and how they are named in messages.</summary>
internal sealed class TableLayout
{
    public required string Delimiter { get; init; }

    /// <summary>Every line must have exactly this many fields.</summary>
    public required int ColumnCount { get; init; }

    /// <summary>The fields as a message should list them, e.g. "userId,movieId,rating,timestamp".</summary>
    public required string Columns { get; init; }

    public required int User { get; init; }
    public required int Item { get; init; }

    /// <summary>Column of the event's value, or -1 when every event counts 1.</summary>
    public int Value { get; init; } = -1;

    /// <summary>Column that must hold an integer timestamp (checked, not kept), or -1.</summary>
    public int Timestamp { get; init; } = -1;

    public string UserName { get; init; } = "user id";
    public string ItemName { get; init; } = "item id";
    public string ValueName { get; init; } = "rating";

    /// <summary>Ids are kept as text (string overload of the builder) instead of integers.</summary>
    public bool TextIds { get; init; }
}

/// <summary>The row loop shared by the line-per-event formats.</summary>
internal static class TableReader
{
    /// <summary>
    /// Reads every remaining line of <paramref name="source"/> as one event into
    /// <paramref name="builder"/>; at least one line is required.
    /// </summary>
    public static void ReadRows(LineSource source, TableLayout layout, InteractionLogBuilder builder, bool afterHeader) =>
        ReadRows(source, layout, builder, afterHeader, default, hasFirstRow: false);

    /// <summary>As above, starting with <paramref name="firstRow"/>, a line already taken from the source.</summary>
    public static void ReadRows(LineSource source, TableLayout layout, InteractionLogBuilder builder, bool afterHeader,
                                ReadOnlySpan<byte> firstRow, bool hasFirstRow)
    {
        var delimiter = Encoding.ASCII.GetBytes(layout.Delimiter);
        Span<Range> fields = stackalloc Range[layout.ColumnCount + 1];
        var (userText, itemText) = layout.TextIds ? (new TextIdColumn(), new TextIdColumn()) : (null, null);
        bool fast = !layout.TextIds && delimiter.Length == 1;
        long rows = 0;
        var line = firstRow;
        while (hasFirstRow || source.TryReadLine(out line))
        {
            hasFirstRow = false;
            if (fast && TryFastRow(line, delimiter[0], layout, out long fastUser, out long fastItem, out float fastValue))
            {
                builder.Add(fastUser, fastItem, fastValue);
                rows++;
                continue;
            }
            // The checked path: reads what the fast path declined (an exponent, a long decimal) or
            // says exactly what is wrong with the line.
            int count = Ascii.Split(line, delimiter, fields);
            if (count != layout.ColumnCount) throw WrongFieldCount(source, layout, line, count);
            float value = 1f;
            if (layout.Value >= 0 && !Ascii.TryParseValue(line[fields[layout.Value]], out value))
                throw source.Error($"expected a number as {layout.ValueName}, found {Ascii.Show(line[fields[layout.Value]])}");
            if (layout.Timestamp >= 0 && !Ascii.TryParseId(line[fields[layout.Timestamp]], out _))
                throw source.Error($"expected an integer timestamp, found {Ascii.Show(line[fields[layout.Timestamp]])}");
            if (userText is null || itemText is null)
            {
                if (!Ascii.TryParseId(line[fields[layout.User]], out long user))
                    throw source.Error($"expected an integer {layout.UserName}, found {Ascii.Show(line[fields[layout.User]])}");
                if (!Ascii.TryParseId(line[fields[layout.Item]], out long item))
                    throw source.Error($"expected an integer {layout.ItemName}, found {Ascii.Show(line[fields[layout.Item]])}");
                builder.Add(user, item, value);
            }
            else
            {
                builder.Add(TextId(source, userText, line[fields[layout.User]], layout.UserName),
                            TextId(source, itemText, line[fields[layout.Item]], layout.ItemName), value);
            }
            rows++;
        }
        if (rows == 0)
            throw source.ErrorAtNextLine(afterHeader
                ? $"expected a line of {layout.Columns} after the header, found end of file (the file has only a header)"
                : $"expected a line of {layout.Columns}, found end of file (the file is empty)");
    }

    /// <summary>
    /// One pass over a line of integer ids split by a one-byte delimiter, parsing each needed field
    /// as it is met (ML-20M's 20M lines must parse in well under a second). False for anything
    /// unusual: a value with more than 7 digits, a sign or an exponent, a malformed field, a wrong
    /// field count; the checked path then handles the line.
    /// </summary>
    private static bool TryFastRow(ReadOnlySpan<byte> line, byte delimiter, TableLayout layout, out long user, out long item, out float value)
    {
        user = 0;
        item = 0;
        value = 1f;
        int p = 0, column = 0, n = line.Length;
        while (true)
        {
            int start = p;
            if (column == layout.User || column == layout.Item || column == layout.Timestamp)
            {
                long number = 0;
                while (p < n)
                {
                    uint digit = (uint)(line[p] - '0');
                    if (digit > 9) break;
                    number = number * 10 + digit;
                    p++;
                }
                if (p == start || p - start > 18) return false;
                if (column == layout.User) user = number;
                else if (column == layout.Item) item = number;
            }
            else if (column == layout.Value)
            {
                uint mantissa = 0;
                int digits = 0, fractionDigits = 0;
                bool point = false;
                while (p < n)
                {
                    byte c = line[p];
                    uint digit = (uint)(c - '0');
                    if (digit <= 9)
                    {
                        mantissa = mantissa * 10 + digit;
                        digits++;
                        if (point) fractionDigits++;
                    }
                    else if (c == (byte)'.' && !point) point = true;
                    else break;
                    p++;
                }
                if (digits == 0 || digits > 7) return false;
                value = fractionDigits == 0 ? mantissa : mantissa / Ascii.PowersOfTen[fractionDigits];
            }
            else
            {
                int length = line[p..].IndexOf(delimiter);
                p = length < 0 ? n : p + length;
            }
            column++;
            if (p == n) return column == layout.ColumnCount;
            if (line[p] != delimiter || column == layout.ColumnCount) return false;
            p++;
        }
    }

    public static string TextId(LineSource source, TextIdColumn column, ReadOnlySpan<byte> field, string name)
    {
        if (field.IsEmpty) throw source.Error($"expected a {name}, found an empty field");
        return column.Read(field) ?? throw source.Error($"expected a {name} in UTF-8, found bytes that are not UTF-8");
    }

    public static DataFormatException WrongFieldCount(LineSource source, TableLayout layout, ReadOnlySpan<byte> line, int count)
    {
        string expected = $"expected {layout.ColumnCount} {Ascii.DelimiterName(layout.Delimiter)}-separated fields ({layout.Columns})";
        return line.IsEmpty
            ? source.Error($"{expected}, found an empty line")
            : count < layout.ColumnCount
                ? source.ErrorShortLine($"{expected}, found {count}: {Ascii.Show(line)}")
                : source.Error($"{expected}, found {count}: {Ascii.Show(line)}");
    }

    /// <summary>Reads line 1 and checks it equals <paramref name="expected"/> exactly.</summary>
    public static void ExpectHeader(LineSource source, string expected)
    {
        if (!source.TryReadLine(out var line))
            throw source.ErrorAtNextLine($"expected the header {Ascii.Show(Encoding.ASCII.GetBytes(expected))}, found end of file (the file is empty)");
        if (!line.SequenceEqual(Encoding.ASCII.GetBytes(expected)))
            throw source.Error($"expected the header {Ascii.Show(Encoding.ASCII.GetBytes(expected))}, found {Ascii.Show(line)}");
    }
}
