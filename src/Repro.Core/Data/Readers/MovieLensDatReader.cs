namespace Repro.Core.Data.Readers;

/// <summary>
/// MovieLens-1M and -10M <c>ratings.dat</c>: no header, one <c>UserID::MovieID::Rating::Timestamp</c>
/// per line. Values are the ratings; a re-rated pair keeps its highest rating at its first position.
/// </summary>
public static class MovieLensDatReader
{
    private static readonly TableLayout Layout = new()
    {
        Delimiter = "::", ColumnCount = 4, Columns = "UserID::MovieID::Rating::Timestamp",
        User = 0, Item = 1, Value = 2, Timestamp = 3,
        UserName = "UserID", ItemName = "MovieID",
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
