using Repro.Core.Data;

namespace Repro.Core.Ratings;

/// <summary>
/// Explicit rating events over a fixed index space of users and items: parallel arrays of user
/// index, item index and rating. The index space is the whole dataset's, so a training set, its
/// validation carve and its test set index the same users and items.
/// </summary>
public sealed class RatingSet
{
    public RatingSet(int[] users, int[] items, float[] ratings, int userCount, int itemCount)
    {
        if (users.Length != items.Length || users.Length != ratings.Length)
            throw new ArgumentException($"users, items and ratings differ in length ({users.Length}, {items.Length}, {ratings.Length})");
        if (userCount < 0 || itemCount < 0) throw new ArgumentOutOfRangeException(nameof(userCount), "counts must be >= 0");
        for (int k = 0; k < users.Length; k++)
        {
            if ((uint)users[k] >= (uint)userCount) throw new ArgumentOutOfRangeException(nameof(users), $"event {k}: user {users[k]} is outside [0, {userCount})");
            if ((uint)items[k] >= (uint)itemCount) throw new ArgumentOutOfRangeException(nameof(items), $"event {k}: item {items[k]} is outside [0, {itemCount})");
            if (!float.IsFinite(ratings[k])) throw new ArgumentOutOfRangeException(nameof(ratings), $"event {k}: rating {ratings[k]} is not finite");
        }
        Users = users; Items = items; Ratings = ratings; UserCount = userCount; ItemCount = itemCount;
    }

    public int[] Users { get; }
    public int[] Items { get; }
    public float[] Ratings { get; }
    public int UserCount { get; }
    public int ItemCount { get; }
    public int Count => Users.Length;

    /// <summary>The dataset's user and item ids by index (as the file spells them), when known: what side information (user and item features) is joined on.</summary>
    public string[]? UserIds { get; init; }
    public string[]? ItemIds { get; init; }

    /// <summary>The events of a rating log (MovieLens readers keep the rating as the event's value).</summary>
    public static RatingSet FromLog(InteractionLog log) =>
        new((int[])log.Users.Clone(), (int[])log.Items.Clone(), (float[])log.Values.Clone(), log.UserCount, log.ItemCount)
        {
            UserIds = log.UserIds, ItemIds = log.ItemIds,
        };

    /// <summary>The events at <paramref name="indices"/>, in that order, over the same index space.</summary>
    public RatingSet Subset(ReadOnlySpan<int> indices)
    {
        var u = new int[indices.Length];
        var i = new int[indices.Length];
        var r = new float[indices.Length];
        for (int k = 0; k < indices.Length; k++) { u[k] = Users[indices[k]]; i[k] = Items[indices[k]]; r[k] = Ratings[indices[k]]; }
        return new RatingSet(u, i, r, UserCount, ItemCount) { UserIds = UserIds, ItemIds = ItemIds };
    }

    /// <summary>Mean rating (0 for an empty set).</summary>
    public double Mean()
    {
        double s = 0;
        foreach (var r in Ratings) s += r;
        return Count == 0 ? 0 : s / Count;
    }

    /// <summary>Ratings per user.</summary>
    public int[] UserCounts()
    {
        var c = new int[UserCount];
        foreach (var u in Users) c[u]++;
        return c;
    }

    /// <summary>Ratings per item.</summary>
    public int[] ItemCounts()
    {
        var c = new int[ItemCount];
        foreach (var i in Items) c[i]++;
        return c;
    }
}
