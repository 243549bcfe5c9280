namespace Repro.Core.Data.Synthetic;

/// <summary>
/// The size and character of a synthetic ratings dataset. Every user gets at least
/// <see cref="MinPositivesPerUser"/> positive ratings (&gt; 3.5), so the paper's filters (rating &gt; 3.5,
/// users with ≥ 5 items) keep every user and exactly <see cref="PositiveEvents"/> events.
/// </summary>
/// <param name="Name">The name used on the command line.</param>
/// <param name="Users">Number of users (all appear).</param>
/// <param name="Items">Number of item ids (1..Items); nearly all appear.</param>
/// <param name="Events">Rating rows in all (one per distinct (user, item)).</param>
/// <param name="PositiveEvents">Rows with rating &gt; 3.5, i.e. the events the paper's binarisation keeps.</param>
/// <param name="MinEventsPerUser">Fewest ratings per user (ML-20M: 20).</param>
/// <param name="MaxEventsPerUser">Most ratings per user (ML-20M's heaviest user has 9,254).</param>
/// <param name="MinPositivesPerUser">Fewest positive ratings per user (≥ 5 keeps every user under the paper's filter).</param>
/// <param name="Topics">Number of latent topics; each item belongs to one, each user likes one to three.</param>
/// <param name="TopicAffinity">Probability that a positive rating goes to an item of the user's topics
/// (the rest follow global popularity); this is the structure a model can learn beyond popularity.</param>
/// <param name="PopularityExponent">Item popularity weight of rank r is (r + offset)^-exponent; a multiple of 0.5.</param>
/// <param name="PopularityOffset">The offset in that power law (flattens the head).</param>
public sealed record SyntheticShape(
    string Name, int Users, int Items, int Events, int PositiveEvents,
    int MinEventsPerUser, int MaxEventsPerUser, int MinPositivesPerUser,
    int Topics, double TopicAffinity, double PopularityExponent, double PopularityOffset)
{
    /// <summary>
    /// For tests: 300 users, 200 items, 6,000 ratings of which 3,000 positive, 8 topics. The structure is
    /// strong enough that item co-occurrence beats popularity clearly on held-out positives despite the
    /// small sample (about 2x the hits at 10 across seeds 1-3).
    /// </summary>
    public static SyntheticShape Tiny { get; } = new(
        "tiny", Users: 300, Items: 200, Events: 6_000, PositiveEvents: 3_000,
        MinEventsPerUser: 8, MaxEventsPerUser: 100, MinPositivesPerUser: 5,
        Topics: 8, TopicAffinity: 0.9, PopularityExponent: 1.0, PopularityOffset: 3.0);

    /// <summary>
    /// ML-20M's shape after the paper's preprocessing (spec §1.3): 136,677 users, 20,108 items, and
    /// 9,990,682 events with rating &gt; 3.5 (73.1 per user), inside 20,000,263 rating rows (ML-20M's
    /// row count), with every user rating at least 20 movies as in ML-20M.
    /// </summary>
    public static SyntheticShape Ml20m { get; } = new(
        "ml-20m", Users: 136_677, Items: 20_108, Events: 20_000_263, PositiveEvents: 9_990_682,
        MinEventsPerUser: 20, MaxEventsPerUser: 9_254, MinPositivesPerUser: 5,
        Topics: 20, TopicAffinity: 0.8, PopularityExponent: 1.0, PopularityOffset: 5.0);

    /// <summary>
    /// The Million Song Dataset's shape after the paper's preprocessing (spec §1.3, unverified [M]
    /// there): 571,355 users, 41,140 songs, 33.6M play events, every one kept (play counts binarise to
    /// 1, so every row is positive), at least 20 songs per user as MSD's user filter asks. For SLIM's
    /// cost at MSD's size (`repro bench slim-msd`), which the paper could not finish.
    /// </summary>
    public static SyntheticShape Msd { get; } = new(
        "msd", Users: 571_355, Items: 41_140, Events: 33_600_000, PositiveEvents: 33_600_000,
        MinEventsPerUser: 20, MaxEventsPerUser: 5_000, MinPositivesPerUser: 20,
        Topics: 40, TopicAffinity: 0.8, PopularityExponent: 1.0, PopularityOffset: 5.0);

    public static IReadOnlyList<SyntheticShape> All { get; } = [Tiny, Ml20m, Msd];

    /// <summary>The shape with this name (case-insensitive); the error lists the known names.</summary>
    public static SyntheticShape Named(string name) =>
        All.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown synthetic shape '{name}'; known shapes: {string.Join(", ", All.Select(s => s.Name))}", nameof(name));

    /// <summary>Throws <see cref="ArgumentException"/> naming the first inconsistent setting.</summary>
    public void Validate()
    {
        void Require(bool ok, string what)
        {
            if (!ok) throw new ArgumentException($"synthetic shape '{Name}': {what}");
        }
        Require(Users > 0 && Items > 0, "needs at least one user and one item");
        Require(MinPositivesPerUser >= 0 && MinPositivesPerUser <= MinEventsPerUser, "MinPositivesPerUser must lie in [0, MinEventsPerUser]");
        Require(MinEventsPerUser <= MaxEventsPerUser && MaxEventsPerUser <= Items, "needs MinEventsPerUser ≤ MaxEventsPerUser ≤ Items");
        Require((long)Users * MinEventsPerUser <= Events && Events <= (long)Users * MaxEventsPerUser,
                $"Events ({Events:N0}) must lie between Users·MinEventsPerUser and Users·MaxEventsPerUser");
        Require((long)Users * MinPositivesPerUser <= PositiveEvents && PositiveEvents <= Events,
                $"PositiveEvents ({PositiveEvents:N0}) must lie between Users·MinPositivesPerUser and Events");
        Require(Topics >= 1 && Topics <= Items, "Topics must lie in [1, Items]");
        Require(TopicAffinity >= 0 && TopicAffinity <= 1, "TopicAffinity must lie in [0, 1]");
        Require(PopularityExponent >= 0 && PopularityExponent <= 8 && Math.Abs(PopularityExponent * 2 - Math.Round(PopularityExponent * 2)) < 1e-12,
                "PopularityExponent must be a multiple of 0.5 in [0, 8] (computed with sqrt, so results match on every platform)");
        Require(PopularityOffset > 0, "PopularityOffset must be positive");
    }
}
