namespace Repro.Core.Data.Download;

/// <summary>
/// The datasets the project can fetch, with their official addresses and the facts that verify them.
/// MD5 values are GroupLens's published sidecars (<c>&lt;url&gt;.md5</c>), as quoted identically by
/// several independent projects; row counts are the publishers' README figures (and, for Netflix,
/// the line counts printed by EVCF's preprocessing notebook).
/// </summary>
public static class DatasetCatalog
{
    private const string GroupLens = "https://files.grouplens.org/datasets/movielens/";

    private static DatasetEntry MovieLens(string name, string title, string ratingsFile, long rows, int header,
                                          string? md5, long? bytes) =>
        new(name, title, name, [new DatasetFile(ratingsFile, rows, header)],
            url: new Uri(GroupLens + name + ".zip"), archiveName: name + ".zip",
            archiveChecksum: md5 is null ? null : Checksum.Md5(md5),
            publishedChecksumUrl: new Uri(GroupLens + name + ".zip.md5"), archiveBytes: bytes);

    /// <summary>MovieLens 20M, the paper's ML-20M (Liang et al. §4.1): 20,000,263 ratings by 138,493 users.</summary>
    public static DatasetEntry Ml20m { get; } =
        MovieLens("ml-20m", "MovieLens 20M", "ratings.csv", 20_000_263, 1, "cd245b17a1ae2cc31bb14903e1204af3", 198_702_078);

    /// <summary>MovieLens 25M: 25,000,095 ratings.</summary>
    public static DatasetEntry Ml25m { get; } =
        MovieLens("ml-25m", "MovieLens 25M", "ratings.csv", 25_000_095, 1, "6b51fb2759a8657d3bfcbfc42b592ada", 261_978_986);

    /// <summary>MovieLens 1M: 1,000,209 ratings in <c>ratings.dat</c> ("::"-separated, no header).</summary>
    public static DatasetEntry Ml1m { get; } =
        MovieLens("ml-1m", "MovieLens 1M", "ratings.dat", 1_000_209, 0, "c4d9eecfca2ab87c1945afe126590906", null);

    /// <summary>MovieLens 100K: 100,000 ratings in <c>u.data</c> (tab-separated, no header).</summary>
    public static DatasetEntry Ml100k { get; } =
        MovieLens("ml-100k", "MovieLens 100K", "u.data", 100_000, 0, "0e33842e24a9c977be4e0107933c0723", 4_924_029);

    /// <summary>
    /// MovieLens latest-small: 100,836 ratings. GroupLens republishes "latest" archives, so no digest is
    /// pinned; the sidecar md5 is read at download time and the row count is checked after extraction.
    /// </summary>
    public static DatasetEntry MlLatestSmall { get; } =
        MovieLens("ml-latest-small", "MovieLens latest-small", "ratings.csv", 100_836, 1, null, null);

    /// <summary>
    /// The Echo Nest Taste Profile subset of the Million Song Dataset (the paper's MSD): 48,373,586
    /// (user, song, play count) triplets. The host publishes no digest; the triplet count is checked.
    /// </summary>
    public static DatasetEntry Msd { get; } =
        new("msd", "Million Song Dataset, Taste Profile subset", "msd",
            [new DatasetFile("train_triplets.txt", 48_373_586)],
            url: new Uri("http://millionsongdataset.com/sites/default/files/challenge/train_triplets.txt.zip"),
            archiveName: "train_triplets.txt.zip");

    /// <summary>
    /// The Netflix Prize data: withdrawn by Netflix, so there is no public download; the user obtains
    /// Kaggle's copy, whose four combined files hold all 100,480,507 ratings (plus one "movieId:" line
    /// per movie, 17,770 in all). Line counts from EVCF's Netflix notebook output.
    /// </summary>
    public static DatasetEntry Netflix { get; } =
        new("netflix", "The Netflix Prize data", "netflix",
            [
                new DatasetFile("combined_data_1.txt", 24_058_263),
                new DatasetFile("combined_data_2.txt", 26_982_302),
                new DatasetFile("combined_data_3.txt", 22_605_786),
                new DatasetFile("combined_data_4.txt", 26_851_926),
            ],
            manualSource:
                "Obtain it from Kaggle's \"Netflix Prize data\" dataset (published there by Netflix; sign in to Kaggle, " +
                "download the dataset's zip and unzip it). The original 2006 release, mirrored on Academic Torrents and " +
                "the Internet Archive as nf_prize_dataset.tar.gz, holds the same ratings as one file per movie " +
                "(training_set/mv_0000001.txt ...); Repro reads either layout: put the combined files, or the training_set " +
                "folder, in the netflix folder.");

    /// <summary>Every dataset, in the order the command line lists them.</summary>
    public static IReadOnlyList<DatasetEntry> All { get; } = [Ml20m, Netflix, Msd, Ml25m, Ml1m, Ml100k, MlLatestSmall];

    /// <summary>The entry with this name (case-insensitive); the error lists the known names.</summary>
    public static DatasetEntry Named(string name) =>
        All.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown dataset '{name}'; known datasets: {string.Join(", ", All.Select(e => e.Name))}", nameof(name));
}
