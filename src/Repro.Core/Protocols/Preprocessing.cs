using Repro.Core.Data;

namespace Repro.Core.Protocols;

/// <summary>
/// Which events survive preprocessing (spec §1.1): a rating threshold, then the notebook's
/// <c>filter_triplets</c> (cell 13) — items with too few users are dropped first (only when
/// <see cref="MinUsersPerItem"/> &gt; 0), then users with too few remaining items. One pass each,
/// not an iterated k-core, so a kept item may end with fewer than MinUsersPerItem users.
/// </summary>
public sealed record Preprocessing
{
    private readonly float? _minRatingExclusive;
    private readonly int _minItemsPerUser;
    private readonly int _minUsersPerItem;

    /// <summary>
    /// Keep only events whose value is strictly greater than this; null keeps every event (implicit
    /// data). Paper: 3.5 for ML-20M and Netflix, i.e. ratings of 4 or higher (NB cell 8; §4.1).
    /// </summary>
    public float? MinRatingExclusive
    {
        get => _minRatingExclusive;
        init => _minRatingExclusive = value is float t && float.IsNaN(t) ? throw new ArgumentException("the rating threshold is NaN") : value;
    }

    /// <summary>
    /// Users need at least this many events left after the rating and item filters (count of events).
    /// Paper: 5 for ML-20M and Netflix (NB <c>min_uc=5</c>), 20 for MSD (§4.1). 0 disables the filter.
    /// </summary>
    public int MinItemsPerUser
    {
        get => _minItemsPerUser;
        init => _minItemsPerUser = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(MinItemsPerUser), value, "must be >= 0");
    }

    /// <summary>
    /// Items need at least this many events after the rating filter. Paper: 0 (no filter) for ML-20M
    /// and Netflix (NB <c>min_sc=0</c>), 200 for MSD (§4.1).
    /// </summary>
    public int MinUsersPerItem
    {
        get => _minUsersPerItem;
        init => _minUsersPerItem = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(MinUsersPerItem), value, "must be >= 0");
    }

    public Preprocessing(float? minRatingExclusive, int minItemsPerUser, int minUsersPerItem)
    {
        MinRatingExclusive = minRatingExclusive;
        MinItemsPerUser = minItemsPerUser;
        MinUsersPerItem = minUsersPerItem;
    }

    /// <summary>ML-20M: rating &gt; 3.5, users with ≥ 5 items, no item filter (NB cells 8 and 13).</summary>
    public static Preprocessing Ml20m { get; } = new(3.5f, 5, 0);

    /// <summary>Netflix Prize: as ML-20M (§4.1; EVCF's Netflix notebook).</summary>
    public static Preprocessing Netflix { get; } = new(3.5f, 5, 0);

    /// <summary>MSD Taste Profile: every play-count triplet counts, users ≥ 20 songs, songs ≥ 200 users (§4.1).</summary>
    public static Preprocessing Msd { get; } = new(null, 20, 200);

    /// <summary>Other explicit-rating data (MovieLens-100K/1M, ...): the ML-20M rule.</summary>
    public static Preprocessing ExplicitRatings { get; } = new(3.5f, 5, 0);

    /// <summary>Other implicit data (clicks, check-ins, plays): no rating threshold, users ≥ 5 items.</summary>
    public static Preprocessing ImplicitFeedback { get; } = new(null, 5, 0);

    /// <summary>
    /// Applies the filters and returns the surviving events in file order. Ids no surviving event
    /// uses are dropped; the remaining codes keep their relative order, so code order is still
    /// original id order.
    /// </summary>
    public InteractionLog Filter(InteractionLog log)
    {
        int n = log.Count;
        var users = log.Users;
        var items = log.Items;
        var values = log.Values;
        var keep = new bool[n];

        // Rating filter (NB cell 8: raw_data[raw_data['rating'] > 3.5]).
        if (MinRatingExclusive is float threshold)
            for (int k = 0; k < n; k++) keep[k] = values[k] > threshold;
        else
            Array.Fill(keep, true);

        // Item filter counted on the rating-filtered events (filter_triplets, min_sc > 0 only).
        if (MinUsersPerItem > 0)
        {
            var itemEvents = new int[log.ItemCount];
            for (int k = 0; k < n; k++) if (keep[k]) itemEvents[items[k]]++;
            for (int k = 0; k < n; k++) if (keep[k] && itemEvents[items[k]] < MinUsersPerItem) keep[k] = false;
        }

        // User filter counted on the item-filtered events (filter_triplets, min_uc > 0 only).
        int[]? userEvents = null;
        if (MinItemsPerUser > 0)
        {
            userEvents = new int[log.UserCount];
            for (int k = 0; k < n; k++) if (keep[k]) userEvents[users[k]]++;
        }

        // Final decision, counting survivors and marking the ids they use (1 = used) in the same pass.
        var userCode = new int[log.UserCount];
        var itemCode = new int[log.ItemCount];
        int kept = 0;
        for (int k = 0; k < n; k++)
        {
            if (!keep[k]) continue;
            if (userEvents != null && userEvents[users[k]] < MinItemsPerUser)
            {
                keep[k] = false;
                continue;
            }
            kept++;
            userCode[users[k]] = 1;
            itemCode[items[k]] = 1;
        }
        int userCount = AssignCodesToUsedIds(userCode), itemCount = AssignCodesToUsedIds(itemCode);

        var outUsers = new int[kept];
        var outItems = new int[kept];
        var outValues = new float[kept];
        int w = 0;
        for (int k = 0; k < n; k++)
        {
            if (!keep[k]) continue;
            outUsers[w] = userCode[users[k]];
            outItems[w] = itemCode[items[k]];
            outValues[w] = values[k];
            w++;
        }
        return new InteractionLog(log.Source, outUsers, outItems, outValues,
                                  KeptIds(log.UserIds, userCode, userCount), KeptIds(log.ItemIds, itemCode, itemCount),
                                  log.DuplicatesMerged);
    }

    /// <summary>Turns used marks (1) into new codes in old-code order, and unused ones into -1; returns how many are used.</summary>
    private static int AssignCodesToUsedIds(int[] marks)
    {
        int count = 0;
        for (int c = 0; c < marks.Length; c++) marks[c] = marks[c] == 1 ? count++ : -1;
        return count;
    }

    private static string[] KeptIds(string[] ids, int[] newCode, int newCount)
    {
        var kept = new string[newCount];
        for (int c = 0; c < ids.Length; c++) if (newCode[c] >= 0) kept[newCode[c]] = ids[c];
        return kept;
    }
}
