namespace Repro.Core.Data.Readers;

/// <summary>
/// MovieLens <c>ratings.csv</c> (ML-20M, ML-25M, ml-latest and ml-latest-small): the header
/// <c>userId,movieId,rating,timestamp</c>, then one comma-separated rating per line, LF or CRLF.
/// Values are the ratings (0.5 to 5 in half steps); a re-rated (user, movie) pair keeps its highest
/// rating at its first position. The timestamp must be an integer and is not kept.
/// </summary>
public static class MovieLensCsvReader
{
    public const string Header = "userId,movieId,rating,timestamp";

    private static readonly TableLayout Layout = new()
    {
        Delimiter = ",", ColumnCount = 4, Columns = Header,
        User = 0, Item = 1, Value = 2, Timestamp = 3,
        UserName = "userId", ItemName = "movieId",
    };

    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">The file is not in this format (names the line and the problem).</exception>
    public static InteractionLog Read(string path)
    {
        using var source = new LineSource(path);
        // The exact event count (lines after the header) lets the builder skip copying 20M events.
        var builder = new InteractionLogBuilder(path, DuplicatePolicy.KeepMax, Input.Capacity(Input.CountLines(path, 0).Lines - 1));
        TableReader.ExpectHeader(source, Header);
        TableReader.ReadRows(source, Layout, builder, afterHeader: true);
        return builder.Build();
    }
}
