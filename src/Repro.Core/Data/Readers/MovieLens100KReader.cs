namespace Repro.Core.Data.Readers;

/// <summary>
/// MovieLens-100K <c>u.data</c>: no header, one tab-separated <c>user item rating timestamp</c> per
/// line. Values are the ratings; a re-rated pair keeps its highest rating at its first position.
/// </summary>
public static class MovieLens100KReader
{
    private static readonly TableLayout Layout = new()
    {
        Delimiter = "\t", ColumnCount = 4, Columns = "user id, item id, rating, timestamp",
        User = 0, Item = 1, Value = 2, Timestamp = 3,
    };

    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">The file is not in this format (names the line and the problem).</exception>
    public static InteractionLog Read(string path)
    {
        using var source = new LineSource(path);
        var builder = new InteractionLogBuilder(path, DuplicatePolicy.KeepMax, Input.Capacity(Input.CountLines(path, 0).Lines));
        TableReader.ReadRows(source, Layout, builder, afterHeader: false);
        return builder.Build();
    }
}
