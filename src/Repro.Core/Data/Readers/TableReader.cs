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
        var interner = layout.TextIds ? new IdInterner() : null;
        long rows = 0;
        var line = firstRow;
        while (hasFirstRow || source.TryReadLine(out line))
        {
            hasFirstRow = false;
            int count = Ascii.Split(line, delimiter, fields);
            if (count != layout.ColumnCount) throw WrongFieldCount(source, layout, line, count);
            float value = 1f;
            if (layout.Value >= 0 && !Ascii.TryParseValue(line[fields[layout.Value]], out value))
                throw source.Error($"expected a number as {layout.ValueName}, found {Ascii.Show(line[fields[layout.Value]])}");
            if (layout.Timestamp >= 0 && !Ascii.TryParseId(line[fields[layout.Timestamp]], out _))
                throw source.Error($"expected an integer timestamp, found {Ascii.Show(line[fields[layout.Timestamp]])}");
            if (interner is null)
            {
                if (!Ascii.TryParseId(line[fields[layout.User]], out long user))
                    throw source.Error($"expected an integer {layout.UserName}, found {Ascii.Show(line[fields[layout.User]])}");
                if (!Ascii.TryParseId(line[fields[layout.Item]], out long item))
                    throw source.Error($"expected an integer {layout.ItemName}, found {Ascii.Show(line[fields[layout.Item]])}");
                builder.Add(user, item, value);
            }
            else
            {
                builder.Add(TextId(source, interner, line[fields[layout.User]], layout.UserName),
                            TextId(source, interner, line[fields[layout.Item]], layout.ItemName), value);
            }
            rows++;
        }
        if (rows == 0)
            throw source.ErrorAtNextLine(afterHeader
                ? $"expected a line of {layout.Columns} after the header, found end of file (the file has only a header)"
                : $"expected a line of {layout.Columns}, found end of file (the file is empty)");
    }

    public static string TextId(LineSource source, IdInterner interner, ReadOnlySpan<byte> field, string name)
    {
        if (field.IsEmpty) throw source.Error($"expected a {name}, found an empty field");
        return interner.Intern(field) ?? throw source.Error($"expected a {name} in UTF-8, found bytes that are not UTF-8");
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
