namespace Repro.Core.Data.Readers;

/// <summary>
/// A dataset published already split in two parts whose codes mean the same user and item in both:
/// <see cref="Train"/> and <see cref="Test"/> share their <c>UserIds</c> and <c>ItemIds</c> arrays.
/// </summary>
public sealed record TrainTestLogs(InteractionLog Train, InteractionLog Test);

/// <summary>
/// The LightGCN/NGCF benchmark splits (Gowalla, Yelp2018, Amazon-Book): <c>train.txt</c> and
/// <c>test.txt</c>, one line per user, <c>user item item ...</c> separated by single spaces; a user
/// line may list no items. Every event has value 1; an item repeated within a user's part is kept
/// once, at its first position, and counted in that part's <c>DuplicatesMerged</c>. A pair present in
/// both parts is kept in both (the reader does not judge the split).
/// <para>The shared id space holds the users and items that have at least one event in either part,
/// as everywhere else an <see cref="InteractionLog"/> knows ids only through events: a user whose
/// lines list no items in both files has no code.</para>
/// </summary>
public static class LightGcnSplitReader
{
    /// <summary>Reads <c>train.txt</c> and <c>test.txt</c> in <paramref name="folder"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">train.txt or test.txt is missing.</exception>
    /// <exception cref="DataFormatException">A file is not in this format (names the file, the line and the problem).</exception>
    public static TrainTestLogs Read(string folder)
    {
        Input.RequireFolder(folder, "LightGCN train.txt and test.txt");
        return Read(Path.Combine(folder, "train.txt"), Path.Combine(folder, "test.txt"));
    }

    /// <inheritdoc cref="Read(string)"/>
    public static TrainTestLogs Read(string trainPath, string testPath)
    {
        var train = ReadPart(trainPath);
        var test = ReadPart(testPath);
        return SharedIdSpace.Unify(train, test);
    }

    private static InteractionLog ReadPart(string path)
    {
        using var source = new LineSource(path);
        // Each item id follows one space.
        var builder = new InteractionLogBuilder(path, DuplicatePolicy.KeepFirst, Input.Capacity(Input.CountLines(path, (byte)' ').Other));
        bool anyLine = false;
        while (source.TryReadLine(out var line))
        {
            anyLine = true;
            if (line.IsEmpty) throw source.Error("expected a user id followed by item ids, found an empty line");
            var ids = new SpaceSeparatedIds(source, line, "an integer user id");
            long user = ids.Head;
            while (ids.TryNext(out long item)) builder.Add(user, item, 1f);
        }
        if (!anyLine) throw source.ErrorAtNextLine("expected a line of user id and item ids, found end of file (the file is empty)");
        return builder.Build();
    }
}

/// <summary>Recodes two logs with integer ids into one id space (the sorted union of their ids).</summary>
internal static class SharedIdSpace
{
    public static TrainTestLogs Unify(InteractionLog first, InteractionLog second)
    {
        var (userIds, firstUsers, secondUsers) = Union(first.UserIds, second.UserIds);
        var (itemIds, firstItems, secondItems) = Union(first.ItemIds, second.ItemIds);
        return new TrainTestLogs(Recode(first, userIds, firstUsers, itemIds, firstItems),
                                 Recode(second, userIds, secondUsers, itemIds, secondItems));
    }

    /// <summary>The union of two ascending integer id lists, and where each list's ids land in it.</summary>
    private static (string[] Ids, int[] FirstCode, int[] SecondCode) Union(string[] first, string[] second)
    {
        var a = first.Select(long.Parse).ToArray();
        var b = second.Select(long.Parse).ToArray();
        var ids = new List<string>(Math.Max(a.Length, b.Length));
        var codeA = new int[a.Length];
        var codeB = new int[b.Length];
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            if (j == b.Length || (i < a.Length && a[i] < b[j])) { codeA[i] = ids.Count; ids.Add(first[i++]); }
            else if (i == a.Length || b[j] < a[i]) { codeB[j] = ids.Count; ids.Add(second[j++]); }
            else { codeA[i] = codeB[j] = ids.Count; ids.Add(first[i++]); j++; }
        }
        return (ids.ToArray(), codeA, codeB);
    }

    private static InteractionLog Recode(InteractionLog log, string[] userIds, int[] userCode, string[] itemIds, int[] itemCode) =>
        new(log.Source,
            Array.ConvertAll(log.Users, u => userCode[u]),
            Array.ConvertAll(log.Items, i => itemCode[i]),
            log.Values, userIds, itemIds, log.DuplicatesMerged);
}
