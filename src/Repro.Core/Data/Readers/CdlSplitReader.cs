namespace Repro.Core.Data.Readers;

/// <summary>
/// CDL's CiteULike-a splits (Wang, Wang, Yeung, KDD 2015): <c>cf-train-P-users.dat</c> and
/// <c>cf-test-P-users.dat</c> in users.dat's format (one line per user in users.dat's order: a count,
/// then that many 0-based item ids), P training items per user and the rest test; a user with at most
/// P items has a test line "0". The two parts share one id space (users by line, items by id).
/// </summary>
public static class CdlSplitReader
{
    /// <summary>Reads the P = <paramref name="trainingItems"/> split in <paramref name="folder"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">A part is missing.</exception>
    /// <exception cref="DataFormatException">A part is not in this format (names the file, the line and the problem).</exception>
    public static TrainTestLogs Read(string folder, int trainingItems)
    {
        Input.RequireFolder(folder, $"CDL's cf-train-{trainingItems}-users.dat and cf-test-{trainingItems}-users.dat");
        var train = CiteULikeReader.Read(Path.Combine(folder, FileName("train", trainingItems)));
        var test = CiteULikeReader.Read(Path.Combine(folder, FileName("test", trainingItems)));
        return SharedIdSpace.Unify(train, test);
    }

    /// <summary>"cf-train-10-users.dat" for ("train", 10).</summary>
    public static string FileName(string part, int trainingItems) => $"cf-{part}-{trainingItems}-users.dat";
}
