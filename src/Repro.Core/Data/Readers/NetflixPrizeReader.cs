using System.Text.RegularExpressions;

namespace Repro.Core.Data.Readers;

/// <summary>How a Netflix Prize folder stores the training ratings.</summary>
public enum NetflixLayout
{
    /// <summary><c>combined_data_1.txt</c> … <c>combined_data_4.txt</c> (the Kaggle release): many movies per file.</summary>
    Combined,
    /// <summary><c>training_set/mv_0000001.txt</c> … (the original release): one file per movie.</summary>
    TrainingSet,
}

/// <summary>
/// The Netflix Prize training ratings. A movie's ratings follow a <c>movieId:</c> line, one
/// <c>userId,rating,date</c> per line (date as YYYY-MM-DD, checked, not kept).
/// <para>Layout: a folder holding <c>combined_data_N.txt</c> files is read in that layout, files in
/// the order of N (which must run 1, 2, … without gaps); otherwise the folder's <c>training_set</c>
/// subfolder, or the folder itself, must hold <c>mv_N.txt</c> files, read in the order of the movie
/// id N, each starting with its own <c>N:</c> header and holding no other. When both layouts are
/// present the combined files are read (they hold the same ratings in fewer files).</para>
/// <para>Events keep file order; values are the ratings and a re-rated (user, movie) pair keeps its
/// highest rating at its first position. Every file must start with a movie header, and every
/// header must be followed by at least one rating.</para>
/// </summary>
public static partial class NetflixPrizeReader
{
    /// <summary>Which layout <paramref name="folder"/> holds, and its files in reading order (a tuple, for F# callers).</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="DataFormatException">The folder holds neither layout, or combined files are missing from the sequence.</exception>
    public static Tuple<NetflixLayout, IReadOnlyList<string>> FindFiles(string folder)
    {
        Input.RequireFolder(folder, "Netflix Prize combined_data_N.txt or training_set/mv_N.txt files");
        var combined = Numbered(folder, CombinedName());
        if (combined.Count > 0)
        {
            for (int k = 0; k < combined.Count; k++)
                if (combined[k].Number != k + 1)
                    throw new DataFormatException(folder, 0,
                        $"expected combined_data_1.txt to combined_data_{combined.Count}.txt without gaps, but combined_data_{k + 1}.txt is missing");
            return Tuple.Create(NetflixLayout.Combined, (IReadOnlyList<string>)combined.Select(f => f.Path).ToArray());
        }
        var trainingSet = Path.Combine(folder, "training_set");
        var perMovie = Numbered(Directory.Exists(trainingSet) ? trainingSet : folder, MovieFileName());
        if (perMovie.Count > 0) return Tuple.Create(NetflixLayout.TrainingSet, (IReadOnlyList<string>)perMovie.Select(f => f.Path).ToArray());
        throw new DataFormatException(folder, 0,
            "expected combined_data_1.txt … combined_data_4.txt, or training_set/mv_0000001.txt …; found neither");
    }

    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="DataFormatException">A file is not in this format (names the file, the line and the problem).</exception>
    public static InteractionLog Read(string folder)
    {
        var (layout, files) = FindFiles(folder);
        // Ratings are the lines that are not movie headers, and only headers hold a ':'.
        long ratings = files.Sum(f => Input.CountLines(f, (byte)':') is var (lines, colons) ? lines - colons : 0);
        var builder = new InteractionLogBuilder(folder, DuplicatePolicy.KeepMax, Input.Capacity(ratings));
        foreach (var file in files)
        {
            long? expectedMovie = layout == NetflixLayout.TrainingSet ? Numbered([file], MovieFileName())[0].Number : null;
            ReadFile(file, expectedMovie, builder);
        }
        return builder.Build();
    }

    /// <summary>One file's movies and ratings; <paramref name="onlyMovie"/> is the one movie an mv_ file may hold.</summary>
    private static void ReadFile(string path, long? onlyMovie, InteractionLogBuilder builder)
    {
        using var source = new LineSource(path);
        Span<Range> fields = stackalloc Range[4];
        long movie = -1, headerLine = 0, ratingsOfMovie = 0;
        while (source.TryReadLine(out var line))
        {
            if (!line.IsEmpty && line[^1] == (byte)':')
            {
                if (movie >= 0 && ratingsOfMovie == 0)
                    throw source.Error($"expected a userId,rating,date line for movie {movie} (header on line {headerLine}), found another header {Ascii.Show(line)}");
                if (!Ascii.TryParseId(line[..^1], out long next))
                    throw source.Error($"expected a movie header (an integer movie id and ':'), found {Ascii.Show(line)}");
                if (onlyMovie is long only && (movie >= 0 || next != only))
                    throw source.Error(movie >= 0
                        ? $"expected one movie per training_set file, found a second header {Ascii.Show(line)}"
                        : $"expected the header \"{only}:\" matching the file name, found {Ascii.Show(line)}");
                movie = next;
                headerLine = source.LineNumber;
                ratingsOfMovie = 0;
                continue;
            }
            if (movie < 0)
                throw source.Error(line.IsEmpty
                    ? "expected a movie header (movieId:) first, found an empty line"
                    : $"expected a movie header (movieId:) before any rating line, found {Ascii.Show(line)}");
            int count = Ascii.Split(line, (byte)',', fields);
            if (count != 3)
            {
                string problem = $"expected 3 comma-separated fields (userId,rating,date) or a movie header (movieId:), found {(line.IsEmpty ? "an empty line" : $"{count}: {Ascii.Show(line)}")}";
                throw count < 3 && !line.IsEmpty ? source.ErrorShortLine(problem) : source.Error(problem);
            }
            if (!Ascii.TryParseId(line[fields[0]], out long user))
                throw source.Error($"expected an integer userId, found {Ascii.Show(line[fields[0]])}");
            if (!Ascii.TryParseValue(line[fields[1]], out float rating))
                throw source.Error($"expected a number as rating, found {Ascii.Show(line[fields[1]])}");
            if (!IsDate(line[fields[2]]))
                throw source.Error($"expected a date as YYYY-MM-DD, found {Ascii.Show(line[fields[2]])}");
            builder.Add(user, movie, rating);
            ratingsOfMovie++;
        }
        if (movie < 0)
            throw source.ErrorAtNextLine("expected a movie header (movieId:), found end of file (the file is empty)");
        if (ratingsOfMovie == 0)
            throw source.ErrorAtNextLine($"expected a userId,rating,date line for movie {movie} (header on line {headerLine}), found end of file");
    }

    private static bool IsDate(ReadOnlySpan<byte> text)
    {
        if (text.Length != 10 || text[4] != (byte)'-' || text[7] != (byte)'-') return false;
        for (int k = 0; k < 10; k++)
            if (k != 4 && k != 7 && (uint)(text[k] - '0') > 9) return false;
        return true;
    }

    private static List<(long Number, string Path)> Numbered(string folder, Regex name) =>
        Numbered(Directory.EnumerateFiles(folder), name);

    private static List<(long Number, string Path)> Numbered(IEnumerable<string> files, Regex name)
    {
        var found = new List<(long Number, string Path)>();
        foreach (var file in files)
        {
            var match = name.Match(Path.GetFileName(file));
            if (match.Success && long.TryParse(match.Groups[1].ValueSpan, out long number)) found.Add((number, file));
        }
        found.Sort((a, b) => a.Number != b.Number ? a.Number.CompareTo(b.Number) : string.CompareOrdinal(a.Path, b.Path));
        return found;
    }

    [GeneratedRegex(@"^combined_data_([0-9]{1,18})\.txt$")]
    private static partial Regex CombinedName();

    [GeneratedRegex(@"^mv_([0-9]{1,18})\.txt$")]
    private static partial Regex MovieFileName();
}
