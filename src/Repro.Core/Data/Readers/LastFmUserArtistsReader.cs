namespace Repro.Core.Data.Readers;

/// <summary>
/// HetRec 2011 Last.fm <c>user_artists.dat</c>: the header <c>userID\tartistID\tweight</c>, then one
/// tab-separated line per (user, artist) with the play count as weight; CRLF in the published file.
/// Values are the weights; a repeated pair is summed (they are play counts) at its first position.
/// </summary>
public static class LastFmUserArtistsReader
{
    public const string Header = "userID\tartistID\tweight";

    private static readonly TableLayout Layout = new()
    {
        Delimiter = "\t", ColumnCount = 3, Columns = "userID, artistID, weight",
        User = 0, Item = 1, Value = 2,
        UserName = "userID", ItemName = "artistID", ValueName = "weight",
    };

    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">The file is not in this format (names the line and the problem).</exception>
    public static InteractionLog Read(string path)
    {
        using var source = new LineSource(path);
        var builder = new InteractionLogBuilder(path, DuplicatePolicy.Sum, Input.Capacity(Input.CountLines(path, 0).Lines - 1));
        TableReader.ExpectHeader(source, Header);
        TableReader.ReadRows(source, Layout, builder, afterHeader: true);
        return builder.Build();
    }
}
