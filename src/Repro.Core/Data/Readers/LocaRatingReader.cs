namespace Repro.Core.Data.Readers;

/// <summary>
/// LOCA's <c>*.rating</c> files (jin530/LOCA <c>data/recsys_data/*/</c>; AMusic): no header, one
/// comma-separated <c>user,item,rating,timestamp</c> per line, integer ids, integer Unix timestamps.
/// Every line is kept with its timestamp (LOCA's split is by time and keeps repeated pairs); the rating
/// is checked to be a number and not kept, since LOCA counts every observed rating as a positive.
/// </summary>
public static class LocaRatingReader
{
    private const string Columns = "user,item,rating,timestamp";

    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">A line is not in this format (names the line and the problem).</exception>
    public static TimedEvents Read(string path)
    {
        using var source = new LineSource(path);
        var users = new List<long>();
        var items = new List<long>();
        var times = new List<long>();
        Span<Range> fields = stackalloc Range[5];
        while (source.TryReadLine(out var line))
        {
            int count = Ascii.Split(line, (byte)',', fields);
            if (count != 4)
                throw line.IsEmpty
                    ? source.Error($"expected 4 comma-separated fields ({Columns}), found an empty line")
                    : source.Error($"expected 4 comma-separated fields ({Columns}), found {count}: {Ascii.Show(line)}");
            if (!Ascii.TryParseId(line[fields[0]], out long user))
                throw source.Error($"expected an integer user id, found {Ascii.Show(line[fields[0]])}");
            if (!Ascii.TryParseId(line[fields[1]], out long item))
                throw source.Error($"expected an integer item id, found {Ascii.Show(line[fields[1]])}");
            if (!Ascii.TryParseValue(line[fields[2]], out _))
                throw source.Error($"expected a number as rating, found {Ascii.Show(line[fields[2]])}");
            if (!Ascii.TryParseId(line[fields[3]], out long time))
                throw source.Error($"expected an integer timestamp, found {Ascii.Show(line[fields[3]])}");
            users.Add(user);
            items.Add(item);
            times.Add(time);
        }
        if (users.Count == 0) throw source.ErrorAtNextLine($"expected a line of {Columns}, found end of file (the file is empty)");
        var (userCodes, userIds) = Codes(users);
        var (itemCodes, itemIds) = Codes(items);
        return new TimedEvents(path, userCodes, itemCodes, times.ToArray(), userIds, itemIds);
    }

    /// <summary>Dense codes in ascending order of the numeric ids.</summary>
    private static (int[] Codes, string[] Ids) Codes(List<long> ids)
    {
        var distinct = ids.Distinct().Order().ToArray();
        var code = new Dictionary<long, int>(distinct.Length);
        for (int c = 0; c < distinct.Length; c++) code[distinct[c]] = c;
        return (ids.Select(id => code[id]).ToArray(), distinct.Select(id => id.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
    }
}
