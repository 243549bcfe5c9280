using Repro.Core.Data.Cache;
using Repro.Core.Sparse;

namespace Repro.Core.Models.Popularity;

/// <summary>
/// The popularity baseline: every user gets the same scores, each item's number of training users
/// (the trivial reference every personalised model must beat).
/// </summary>
public sealed class Popularity : IRecommender
{
    private const string ArchiveKind = "popularity";
    private const int ArchiveVersion = 1;

    private readonly float[] _counts;

    private Popularity(float[] counts) => _counts = counts;

    /// <summary>Counts, per item, the training users who have it (stored values are ignored: a user counts once).</summary>
    public static Popularity Fit(CsrMatrix train)
    {
        var counts = new float[train.Columns];
        foreach (var i in train.ColumnIndex) counts[i] += 1;
        return new Popularity(counts);
    }

    public int Items => _counts.Length;

    /// <summary>Training users per item.</summary>
    public ReadOnlySpan<float> Counts => _counts;

    public void Score(CsrMatrix foldIn, ReadOnlySpan<int> rows, Span<float> output)
    {
        if (foldIn.Columns != Items) throw new ArgumentException($"fold-in has {foldIn.Columns} items, the model {Items}");
        if (output.Length != (long)rows.Length * Items) throw new ArgumentException($"output holds {output.Length} floats, expected {rows.Length} x {Items}");
        for (int r = 0; r < rows.Length; r++) _counts.CopyTo(output.Slice(r * Items, Items));
    }

    public void Save(string path) =>
        BinaryArchive.Write(path, ArchiveKind, ArchiveVersion, "", w => w.Write(_counts));

    public static Popularity Load(string path) =>
        BinaryArchive.Read(path, ArchiveKind, ArchiveVersion, "", r => new Popularity(r.ReadSingleArray()));

    public void Dispose() { }
}
