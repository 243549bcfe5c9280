namespace Repro.Core.Data;

/// <summary>
/// Interaction events as read from a dataset's files, in file order (the notebook's protocol depends
/// on that order: the item vocabulary is built in order of first appearance, and exported rows keep
/// each user's events in file order).
/// Users and items are dense codes; code order equals the order pandas' groupby gives the original
/// ids (numeric order when every id is an integer, ordinal string order otherwise), so iterating
/// codes ascending is iterating original ids ascending.
/// </summary>
public sealed class InteractionLog
{
    public InteractionLog(string source, int[] users, int[] items, float[] values,
                          string[] userIds, string[] itemIds, int duplicatesMerged = 0)
    {
        if (users.Length != items.Length || users.Length != values.Length)
            throw new ArgumentException("users, items and values must have the same length");
        Source = source;
        Users = users;
        Items = items;
        Values = values;
        UserIds = userIds;
        ItemIds = itemIds;
        DuplicatesMerged = duplicatesMerged;
    }

    /// <summary>Where the events came from (a path or a generator's name), for messages.</summary>
    public string Source { get; }

    /// <summary>User code of each event.</summary>
    public int[] Users { get; }

    /// <summary>Item code of each event.</summary>
    public int[] Items { get; }

    /// <summary>The event's value: a rating, a play count, or 1 for binary data.</summary>
    public float[] Values { get; }

    /// <summary>Original id text of each user code.</summary>
    public string[] UserIds { get; }

    /// <summary>Original id text of each item code.</summary>
    public string[] ItemIds { get; }

    /// <summary>How many repeated (user, item) events the reader merged into one.</summary>
    public int DuplicatesMerged { get; }

    public int Count => Users.Length;
    public int UserCount => UserIds.Length;
    public int ItemCount => ItemIds.Length;
}
