namespace Repro.Core.Data.Readers;

/// <summary>
/// CiteULike-a <c>users.dat</c> (Wang and Blei 2011; CDL): one line per user, the line's 0-based
/// number being the user id, holding <c>count item item ...</c> separated by single spaces, where
/// count must equal the number of item ids that follow. Every event has value 1; an item repeated
/// within a line is kept once, at its first position, and counted. A user whose count is 0 has no
/// events and so no code.
/// </summary>
public static class CiteULikeReader
{
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">The file is not in this format (names the line and the problem).</exception>
    public static InteractionLog Read(string path)
    {
        using var source = new LineSource(path);
        var builder = new InteractionLogBuilder(path, DuplicatePolicy.KeepFirst, Input.Capacity(Input.CountLines(path, (byte)' ').Other));
        while (source.TryReadLine(out var line))
        {
            if (line.IsEmpty) throw source.Error("expected a count followed by that many item ids, found an empty line");
            // CDL's split files write an empty part as "0 " (cf-test-10-users.dat): a zero count may end in one space.
            if (line.Length == 2 && line[0] == (byte)'0' && line[1] == (byte)' ') line = line[..1];
            long user = source.LineNumber - 1;
            var ids = new SpaceSeparatedIds(source, line, "the number of item ids");
            long expected = ids.Head;
            long found = 0;
            while (ids.TryNext(out long item))
            {
                builder.Add(user, item, 1f);
                found++;
            }
            if (found != expected)
            {
                string problem = $"expected {expected} item id{(expected == 1 ? "" : "s")} (the count at the start of the line), found {found}";
                throw found < expected ? source.ErrorShortLine(problem) : source.Error(problem);
            }
        }
        if (source.LineNumber == 0) throw source.ErrorAtNextLine("expected a line of count and item ids, found end of file (the file is empty)");
        return builder.Build();
    }
}
