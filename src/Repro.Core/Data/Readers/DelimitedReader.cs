using System.Text;

namespace Repro.Core.Data.Readers;

/// <summary>A column of a delimited file: by 0-based index, or by its name in the header.</summary>
public readonly record struct ColumnRef
{
    private ColumnRef(int? index, string? name)
    {
        Index = index;
        Name = name;
    }

    /// <summary>The 0-based column index, when the column is given by position.</summary>
    public int? Index { get; }

    /// <summary>The header name, when the column is given by name.</summary>
    public string? Name { get; }

    public static ColumnRef At(int index) =>
        index >= 0 ? new(index, null) : throw new ArgumentOutOfRangeException(nameof(index), index, "column indices start at 0");

    public static ColumnRef Named(string name) =>
        !string.IsNullOrEmpty(name) ? new(null, name) : throw new ArgumentException("a column name must not be empty", nameof(name));

    public static implicit operator ColumnRef(int index) => At(index);
    public static implicit operator ColumnRef(string name) => Named(name);

    public override string ToString() => Name is null ? $"column {Index}" : $"column \"{Name}\"";
}

/// <summary>How ids of a delimited file are read.</summary>
public enum IdKind
{
    /// <summary>Non-negative integers (up to 18 digits), coded in numeric order.</summary>
    Integer,
    /// <summary>Any non-empty text, coded in ordinal text order.</summary>
    Text,
}

/// <summary>
/// The layout of a delimited file of events: the delimiter (one or more ASCII characters), whether
/// line 1 is a header, and which columns hold the user, the item and optionally the value (every
/// event counts 1 without one). Fields are not quoted. Filtering (a rating threshold, say) is the
/// preprocessing step's job, not the reader's.
/// </summary>
public sealed record DelimitedFormat(string Delimiter, bool HasHeader, ColumnRef User, ColumnRef Item, ColumnRef? Value = null)
{
    public IdKind Ids { get; init; } = IdKind.Integer;

    /// <summary>How a repeated (user, item) pair is merged; ratings keep their maximum.</summary>
    public DuplicatePolicy Duplicates { get; init; } = DuplicatePolicy.KeepMax;
}

/// <summary>
/// Any delimited file of one event per line, laid out as a <see cref="DelimitedFormat"/> says. Every
/// line must have as many fields as the header (or, without one, as line 1); extra columns are
/// allowed and ignored. Events keep file order.
/// </summary>
public static class DelimitedReader
{
    /// <exception cref="ArgumentException">The format is contradictory (a column named without a header, an empty or non-ASCII delimiter, one column for user and item).</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">The file does not match the format (names the line and the problem).</exception>
    public static InteractionLog Read(string path, DelimitedFormat format)
    {
        Check(format);
        using var source = new LineSource(path);
        var builder = new InteractionLogBuilder(path, format.Duplicates, Input.Capacity(Input.CountLines(path, 0).Lines - (format.HasHeader ? 1 : 0)));
        var delimiter = Encoding.ASCII.GetBytes(format.Delimiter);
        if (!source.TryReadLine(out var first))
            throw source.ErrorAtNextLine(format.HasHeader
                ? "expected a header line, found end of file (the file is empty)"
                : "expected a line of fields, found end of file (the file is empty)");
        int columns = Ascii.Split(first, delimiter, []);
        string[]? names = null;
        if (format.HasHeader)
        {
            names = Encoding.UTF8.GetString(first).Split(format.Delimiter);
            if (names.Distinct(StringComparer.Ordinal).Count() != names.Length)
                throw source.Error($"expected distinct column names in the header, found {Ascii.Show(first)}");
        }
        int user = Resolve(source, format.User, names, columns, "user");
        int item = Resolve(source, format.Item, names, columns, "item");
        int value = format.Value is ColumnRef v ? Resolve(source, v, names, columns, "value") : -1;
        if (user == item) throw source.Error($"the user and item columns are both column {user}");
        var layout = new TableLayout
        {
            Delimiter = format.Delimiter,
            ColumnCount = columns,
            Columns = names is null ? "fields like line 1" : string.Join(format.Delimiter, names),
            User = user,
            Item = item,
            Value = value,
            UserName = $"user id ({Describe(user, names)})",
            ItemName = $"item id ({Describe(item, names)})",
            ValueName = value >= 0 ? $"value ({Describe(value, names)})" : "value",
            TextIds = format.Ids == IdKind.Text,
        };
        if (format.HasHeader) TableReader.ReadRows(source, layout, builder, afterHeader: true);
        else TableReader.ReadRows(source, layout, builder, afterHeader: false, first, hasFirstRow: true);
        return builder.Build();
    }

    private static void Check(DelimitedFormat format)
    {
        if (string.IsNullOrEmpty(format.Delimiter) || format.Delimiter.Any(c => c > 127 || c == '\n' || c == '\r'))
            throw new ArgumentException($"the delimiter must be one or more ASCII characters other than line ends, got \"{format.Delimiter}\"", nameof(format));
        if (!format.HasHeader && (format.User.Name ?? format.Item.Name ?? format.Value?.Name) is string name)
            throw new ArgumentException($"column \"{name}\" is named, but the format says the file has no header", nameof(format));
        if (!Enum.IsDefined(format.Ids)) throw new ArgumentException($"unknown id kind {format.Ids}", nameof(format));
        if (!Enum.IsDefined(format.Duplicates)) throw new ArgumentException($"unknown duplicate policy {format.Duplicates}", nameof(format));
    }

    private static int Resolve(LineSource source, ColumnRef column, string[]? names, int columns, string role)
    {
        if (column.Name is string name)
        {
            int index = Array.IndexOf(names!, name);
            return index >= 0 ? index
                : throw source.Error($"expected a column \"{name}\" ({role}) in the header, found only {string.Join(", ", names!.Select(n => $"\"{n}\""))}");
        }
        int at = column.Index ?? throw new ArgumentException($"the {role} column is not set");
        return at < columns ? at
            : throw source.Error($"expected at least {at + 1} fields for the {role} column {at}, found {columns} in {(names is null ? "line 1" : "the header")}");
    }

    private static string Describe(int index, string[]? names) => names is null ? $"column {index}" : $"column \"{names[index]}\"";
}
