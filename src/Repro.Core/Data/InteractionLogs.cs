namespace Repro.Core.Data;

/// <summary>Operations on whole <see cref="InteractionLog"/>s.</summary>
public static class InteractionLogs
{
    /// <summary>
    /// One log of <paramref name="first"/>'s events followed by <paramref name="second"/>'s, for two
    /// parts of one dataset in one id space (a published train/test split read as a whole). A
    /// (user, item) pair present in both parts is kept once, at its first position, its values
    /// merged by <paramref name="duplicates"/>, and counted with the parts' own merges.
    /// </summary>
    /// <exception cref="ArgumentException">The logs do not have the same user and item ids.</exception>
    public static InteractionLog Concat(InteractionLog first, InteractionLog second, DuplicatePolicy duplicates = DuplicatePolicy.KeepFirst)
    {
        if (!first.UserIds.AsSpan().SequenceEqual(second.UserIds) || !first.ItemIds.AsSpan().SequenceEqual(second.ItemIds))
            throw new ArgumentException($"{first.Source} and {second.Source} do not share one id space; read them together (e.g. LightGcnSplitReader) to get one");
        var users = new int[first.Count + second.Count];
        var items = new int[users.Length];
        var values = new float[users.Length];
        first.Users.CopyTo(users, 0);
        second.Users.CopyTo(users, first.Count);
        first.Items.CopyTo(items, 0);
        second.Items.CopyTo(items, first.Count);
        first.Values.CopyTo(values, 0);
        second.Values.CopyTo(values, first.Count);
        int merged = InteractionLogBuilder.MergeDuplicates(ref users, ref items, ref values, first.UserCount, first.ItemCount, duplicates);
        return new InteractionLog($"{first.Source} + {second.Source}", users, items, values, first.UserIds, first.ItemIds,
                                  first.DuplicatesMerged + second.DuplicatesMerged + merged);
    }
}
