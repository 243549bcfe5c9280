namespace Repro.Core.Data.Readers;

/// <summary>
/// The Million Song Dataset's Echo Nest taste profile <c>train_triplets.txt</c>: no header, one
/// tab-separated <c>user song count</c> per line, where user and song are text ids (a 40-digit hex
/// hash and an <c>SO...</c> track id). Ids are kept as text (codes follow ordinal id order); values
/// are the play counts, and a repeated (user, song) pair is summed at its first position.
/// </summary>
public static class MsdTasteProfileReader
{
    private static readonly TableLayout Layout = new()
    {
        Delimiter = "\t", ColumnCount = 3, Columns = "user, song, play count",
        User = 0, Item = 1, Value = 2,
        UserName = "user id", ItemName = "song id", ValueName = "play count",
        TextIds = true,
    };

    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">The file is not in this format (names the line and the problem).</exception>
    public static InteractionLog Read(string path)
    {
        using var source = new LineSource(path);
        var builder = new InteractionLogBuilder(path, DuplicatePolicy.Sum, Input.Capacity(Input.CountLines(path, 0).Lines));
        TableReader.ReadRows(source, Layout, builder, afterHeader: false);
        return builder.Build();
    }
}
