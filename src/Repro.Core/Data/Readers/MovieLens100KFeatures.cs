using System.Globalization;

namespace Repro.Core.Data.Readers;

/// <summary>
/// MovieLens-100K's side information as mDA-CF uses it (Li, Kawale, Fu 2015 §4.2; spec §6.2):
/// users from <c>u.user</c> (<c>id|age|gender|occupation|zip</c>) as 28 binary features (age in 5
/// bins, gender 2, occupation 21), items from <c>u.item</c> as their 18 genre flags (the 19 flags less
/// "unknown").
/// </summary>
public static class MovieLens100KFeatures
{
    /// <summary>The 21 occupations of MovieLens-100K (its u.occupation file), in that file's order.</summary>
    public static readonly string[] Occupations =
    [
        "administrator", "artist", "doctor", "educator", "engineer", "entertainment", "executive", "healthcare", "homemaker",
        "lawyer", "librarian", "marketing", "none", "other", "programmer", "retired", "salesman", "scientist", "student",
        "technician", "writer",
    ];

    /// <summary>Upper bounds (exclusive) of the age bins: under 25, 25-34, 35-44, 45-54, 55 and over. The paper gives no bins [spec §6.2: C].</summary>
    public static readonly int[] AgeBinEnds = [25, 35, 45, 55];

    public const int UserFeatureCount = 5 + 2 + 21;
    public const int ItemFeatureCount = 18;

    /// <summary>User id -> 28 binary features.</summary>
    /// <exception cref="DataFormatException">A line is not <c>id|age|gender|occupation|zip</c> with a known gender and occupation.</exception>
    public static Dictionary<string, float[]> ReadUsers(string path)
    {
        var result = new Dictionary<string, float[]>();
        long line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (text.Length == 0) continue;
            var f = text.Split('|');
            if (f.Length != 5) throw new DataFormatException(path, line, $"expected 5 '|'-separated fields (id|age|gender|occupation|zip), found {f.Length}");
            if (!int.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out int age)) throw new DataFormatException(path, line, $"expected an integer age, found \"{f[1]}\"");
            int gender = f[2] switch { "M" => 0, "F" => 1, _ => throw new DataFormatException(path, line, $"expected gender M or F, found \"{f[2]}\"") };
            int occupation = Array.IndexOf(Occupations, f[3]);
            if (occupation < 0) throw new DataFormatException(path, line, $"expected one of the 21 occupations, found \"{f[3]}\"");
            var x = new float[UserFeatureCount];
            int bin = 0;
            while (bin < AgeBinEnds.Length && age >= AgeBinEnds[bin]) bin++;
            x[bin] = 1;
            x[5 + gender] = 1;
            x[7 + occupation] = 1;
            if (!result.TryAdd(f[0], x)) throw new DataFormatException(path, line, $"user {f[0]} appears twice");
        }
        return result;
    }

    /// <summary>Item id -> 18 genre flags.</summary>
    /// <exception cref="DataFormatException">A line does not have 24 '|'-separated fields ending in 19 flags 0 or 1.</exception>
    public static Dictionary<string, float[]> ReadItems(string path)
    {
        var result = new Dictionary<string, float[]>();
        long line = 0;
        // u.item is Latin-1 (titles with accents).
        foreach (var text in File.ReadLines(path, System.Text.Encoding.Latin1))
        {
            line++;
            if (text.Length == 0) continue;
            var f = text.Split('|');
            if (f.Length != 24) throw new DataFormatException(path, line, $"expected 24 '|'-separated fields (id|title|release|video release|url|19 genre flags), found {f.Length}");
            var x = new float[ItemFeatureCount];
            for (int g = 0; g < 19; g++)
            {
                var flag = f[5 + g];
                if (flag != "0" && flag != "1") throw new DataFormatException(path, line, $"expected a genre flag 0 or 1 in field {6 + g}, found \"{flag}\"");
                if (g > 0) x[g - 1] = flag == "1" ? 1 : 0; // flag 0 is "unknown", dropped
            }
            if (!result.TryAdd(f[0], x)) throw new DataFormatException(path, line, $"item {f[0]} appears twice");
        }
        return result;
    }
}
