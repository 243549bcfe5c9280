using Repro.Core.Sparse;

namespace Repro.Core.Data.Readers;

/// <summary>
/// CiteULike-a's item tags (Wang, Chen, Li 2013): <c>item-tag.dat</c> holds one line per item, the
/// line's 0-based number being the item id (users.dat's item ids), with <c>count tag tag ...</c>
/// separated by single spaces, count equal to the number of tag ids that follow; <c>tags.dat</c> names
/// one tag per line, so its line count bounds the tag ids. A tag repeated within a line is kept once.
/// </summary>
public static class ItemTagReader
{
    /// <summary>Reads <c>item-tag.dat</c> and <c>tags.dat</c> in <paramref name="folder"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="DataFormatException">A line is not in this format, or names a tag tags.dat lacks (names the file, the line and the problem).</exception>
    public static ItemTags Read(string folder)
    {
        Input.RequireFolder(folder, "CiteULike-a's item-tag.dat and tags.dat");
        string tagsPath = Path.Combine(folder, "tags.dat");
        using (Input.OpenFile(tagsPath)) { }
        long tagCount = File.ReadLines(tagsPath).LongCount();
        string path = Path.Combine(folder, "item-tag.dat");
        using var source = new LineSource(path);
        var rowStart = new List<int> { 0 };
        var tags = new List<int>();
        var seen = new HashSet<int>();
        while (source.TryReadLine(out var line))
        {
            if (line.IsEmpty) throw source.Error("expected a count followed by that many tag ids, found an empty line");
            var ids = new SpaceSeparatedIds(source, line, "the number of tag ids", "tag id");
            long expected = ids.Head, found = 0;
            seen.Clear();
            while (ids.TryNext(out long tag))
            {
                if (tag >= tagCount) throw source.Error($"tag id {tag} is not in {tagsPath} ({tagCount} tags, ids 0 to {tagCount - 1})");
                if (seen.Add((int)tag)) tags.Add((int)tag);
                found++;
            }
            if (found != expected)
            {
                string problem = $"expected {expected} tag id{(expected == 1 ? "" : "s")} (the count at the start of the line), found {found}";
                throw found < expected ? source.ErrorShortLine(problem) : source.Error(problem);
            }
            rowStart.Add(tags.Count);
        }
        if (source.LineNumber == 0) throw source.ErrorAtNextLine("expected a line of count and tag ids, found end of file (the file is empty)");
        return new ItemTags(new CsrMatrix(rowStart.Count - 1, (int)tagCount, rowStart.ToArray(), tags.ToArray()), path);
    }
}

/// <summary>
/// Every item's tags: row j of <see cref="Matrix"/> lists item j's distinct tag ids in file order.
/// </summary>
public sealed class ItemTags(CsrMatrix matrix, string source)
{
    /// <summary>Items x tags, binary (values null).</summary>
    public CsrMatrix Matrix { get; } = matrix;

    /// <summary>The file the tags came from, for messages.</summary>
    public string Source { get; } = source;

    /// <summary>
    /// CDL's content input X_c from tags instead of words: a binary item x S matrix over the
    /// <paramref name="vocabulary"/> tags that the most items carry (ties to the smaller tag id), its
    /// columns in that order, one row per entry of <paramref name="itemIds"/> (item ids as users.dat
    /// numbers them, e.g. a run's items.txt). CDL's mult_nor scales each item's word counts by the
    /// item's largest count into [0, 1]; a tag is present once or not at all, so that scaling leaves
    /// these rows binary, and they are stored so (values null).
    /// </summary>
    /// <exception cref="ArgumentException">An item id is not an integer or has no line in the tag file.</exception>
    public CsrMatrix Content(IReadOnlyList<string> itemIds, int vocabulary)
    {
        if (vocabulary <= 0) throw new ArgumentOutOfRangeException(nameof(vocabulary), $"vocabulary must be > 0, got {vocabulary}");
        var carriers = new int[Matrix.Columns];
        foreach (int t in Matrix.ColumnIndex) carriers[t]++;
        var byFrequency = Enumerable.Range(0, Matrix.Columns).OrderByDescending(t => carriers[t]).ThenBy(t => t).Take(vocabulary).ToArray();
        var column = new int[Matrix.Columns];
        Array.Fill(column, -1);
        for (int c = 0; c < byFrequency.Length; c++) column[byFrequency[c]] = c;
        var rowOf = new List<int>();
        var colOf = new List<int>();
        for (int r = 0; r < itemIds.Count; r++)
        {
            if (!int.TryParse(itemIds[r], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int item) || item >= Matrix.Rows)
                throw new ArgumentException($"item '{itemIds[r]}' has no line in {Source} ({Matrix.Rows} items, ids 0 to {Matrix.Rows - 1})");
            foreach (int t in Matrix.Row(item))
                if (column[t] >= 0)
                {
                    rowOf.Add(r);
                    colOf.Add(column[t]);
                }
        }
        return CsrMatrix.FromPairs(itemIds.Count, byFrequency.Length, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(rowOf), System.Runtime.InteropServices.CollectionsMarshal.AsSpan(colOf));
    }
}
