namespace Repro.Core.Data;

/// <summary>
/// Events with their timestamps, in file order, every line kept (a repeated (user, item) pair stays
/// as two events): what a split by time needs and an <see cref="InteractionLog"/> does not keep.
/// Users and items are dense codes in ascending numeric order of their original ids; the item codes
/// cover every item of the file, before any filter (as LOCA's preprocessing builds its item map).
/// </summary>
public sealed class TimedEvents
{
    public TimedEvents(string source, int[] users, int[] items, long[] timestamps, string[] userIds, string[] itemIds)
    {
        if (users.Length != items.Length || users.Length != timestamps.Length)
            throw new ArgumentException("users, items and timestamps must have the same length");
        Source = source;
        Users = users;
        Items = items;
        Timestamps = timestamps;
        UserIds = userIds;
        ItemIds = itemIds;
    }

    /// <summary>Where the events came from, for messages.</summary>
    public string Source { get; }
    public int[] Users { get; }
    public int[] Items { get; }
    public long[] Timestamps { get; }
    /// <summary>Original id text of each user code.</summary>
    public string[] UserIds { get; }
    /// <summary>Original id text of each item code.</summary>
    public string[] ItemIds { get; }
    public int Count => Users.Length;
    public int UserCount => UserIds.Length;
    public int ItemCount => ItemIds.Length;

    /// <summary>
    /// The events as an <see cref="InteractionLog"/> (every value 1, a repeated pair merged at its
    /// first occurrence), for protocols that ignore time.
    /// </summary>
    public InteractionLog ToLog()
    {
        var builder = new InteractionLogBuilder(Source, DuplicatePolicy.KeepFirst, Count);
        for (int e = 0; e < Count; e++) builder.Add(long.Parse(UserIds[Users[e]]), long.Parse(ItemIds[Items[e]]), 1f);
        return builder.Build();
    }
}
