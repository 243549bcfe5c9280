using System.Globalization;
using System.Text;

namespace Repro.Core.Data.Readers;

/// <summary>
/// Item titles (id → title) for the datasets that have them, keyed by the id text an
/// <see cref="InteractionLog"/> uses in <c>ItemIds</c> (the integer without leading zeros).
/// Every id must be an integer and appear once.
/// </summary>
public static class ItemTitles
{
    /// <summary>MovieLens <c>movies.csv</c> (ML-20M, ML-25M, latest): header <c>movieId,title,genres</c>, UTF-8, titles quoted when they hold commas.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">The file is not in this format (names the line and the problem).</exception>
    public static IReadOnlyDictionary<string, string> ReadMovieLensCsv(string path) =>
        Read(path, Encoding.UTF8, "movieId,title,genres", "movieId,title,genres", ParseCsvLine);

    /// <summary>MovieLens-100K <c>u.item</c>: no header, 24 <c>|</c>-separated fields (id|title|release date|…|19 genre flags), Latin-1.</summary>
    /// <inheritdoc cref="ReadMovieLensCsv" path="/exception"/>
    public static IReadOnlyDictionary<string, string> ReadMovieLens100K(string path) =>
        Read(path, Encoding.Latin1, null, "24 |-separated fields (movie id|title|release date|…)",
             line => Fields(line, "|", 24, "24 |-separated fields (movie id|title|release date|…)"));

    /// <summary>
    /// MovieLens-1M and -10M <c>movies.dat</c>: no header, <c>MovieID::Title::Genres</c>. ML-1M's file
    /// is Latin-1 and ML-10M's UTF-8: the file is read as UTF-8 when it is valid UTF-8, else as Latin-1.
    /// </summary>
    /// <inheritdoc cref="ReadMovieLensCsv" path="/exception"/>
    public static IReadOnlyDictionary<string, string> ReadMovieLensDat(string path)
    {
        bool utf8 = System.Text.Unicode.Utf8.IsValid(File.Exists(path) ? File.ReadAllBytes(path) : []);
        return Read(path, utf8 ? Encoding.UTF8 : Encoding.Latin1, null, "MovieID::Title::Genres",
                    line => Fields(line, "::", 3, "3 fields MovieID::Title::Genres"));
    }

    /// <summary>HetRec 2011 Last.fm <c>artists.dat</c>: header <c>id\tname\turl\tpictureURL</c>, tab-separated, UTF-8.</summary>
    /// <inheritdoc cref="ReadMovieLensCsv" path="/exception"/>
    public static IReadOnlyDictionary<string, string> ReadLastFmArtists(string path) =>
        Read(path, Encoding.UTF8, "id\tname\turl\tpictureURL", "id, name, url, pictureURL",
             line => Fields(line, "\t", 4, "4 tab-separated fields (id, name, url, pictureURL)"));

    /// <summary>The id and title of one line, or the problem with it.</summary>
    private delegate (string Id, string Title, string? Problem, bool FieldsMissing) LineParser(string line);

    private static Dictionary<string, string> Read(string path, Encoding encoding, string? header, string what, LineParser parse)
    {
        using var source = new LineSource(path, bufferBytes: 1 << 20);
        if (header is not null) TableReader.ExpectHeader(source, header);
        var titles = new Dictionary<string, string>(StringComparer.Ordinal);
        var lineOf = new Dictionary<string, long>(StringComparer.Ordinal);
        while (source.TryReadLine(out var bytes))
        {
            var (id, title, problem, fieldsMissing) = parse(encoding.GetString(bytes));
            if (problem is not null) throw fieldsMissing ? source.ErrorShortLine(problem) : source.Error(problem);
            if (!Ascii.TryParseId(Encoding.ASCII.GetBytes(id), out long number) || id.Any(c => c > 127))
                throw source.Error($"expected an integer item id, found \"{id}\"");
            string key = number.ToString(CultureInfo.InvariantCulture);
            if (!lineOf.TryAdd(key, source.LineNumber))
                throw source.Error($"expected each item id once, found id {key} again (first on line {lineOf[key]})");
            titles[key] = title;
        }
        if (titles.Count == 0)
            throw source.ErrorAtNextLine(header is not null
                ? $"expected a line of {what} after the header, found end of file (the file has only a header)"
                : $"expected a line of {what}, found end of file (the file is empty)");
        return titles;
    }

    private static (string, string, string?, bool) Fields(string line, string delimiter, int count, string what)
    {
        if (line.Length == 0) return ("", "", $"expected {what}, found an empty line", false);
        var fields = line.Split(delimiter);
        return fields.Length == count
            ? (fields[0], fields[1], null, false)
            : ("", "", $"expected {what}, found {fields.Length} fields", fields.Length < count);
    }

    /// <summary>movies.csv: <c>id,title,genres</c> where title may be quoted ("" stands for one quote).</summary>
    private static (string, string, string?, bool) ParseCsvLine(string line)
    {
        const string What = "3 comma-separated fields (movieId,title,genres)";
        if (line.Length == 0) return ("", "", $"expected {What}, found an empty line", false);
        int comma = line.IndexOf(',');
        if (comma < 0) return ("", "", $"expected {What}, found 1 field", true);
        string id = line[..comma];
        int position = comma + 1;
        string title;
        if (position < line.Length && line[position] == '"')
        {
            var text = new StringBuilder();
            int k = position + 1;
            while (true)
            {
                if (k >= line.Length) return ("", "", $"expected a closing quote after the title, found the end of the line", true);
                if (line[k] == '"')
                {
                    if (k + 1 < line.Length && line[k + 1] == '"') { text.Append('"'); k += 2; continue; }
                    k++;
                    break;
                }
                text.Append(line[k++]);
            }
            title = text.ToString();
            position = k;
            if (position >= line.Length) return ("", "", $"expected {What}, found 2 fields", true);
            if (line[position] != ',') return ("", "", $"expected a comma after the quoted title, found '{line[position]}'", false);
        }
        else
        {
            int next = line.IndexOf(',', position);
            if (next < 0) return ("", "", $"expected {What}, found 2 fields", true);
            title = line[position..next];
            if (title.Contains('"')) return ("", "", $"expected a quote only around a whole title, found {title}", false);
            position = next;
        }
        string genres = line[(position + 1)..];
        if (genres.Contains(',') || genres.Contains('"'))
            return ("", "", $"expected {What}, found more fields after the title", false);
        return (id, title, null, false);
    }
}
