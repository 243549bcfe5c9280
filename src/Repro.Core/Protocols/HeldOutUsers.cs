namespace Repro.Core.Protocols;

/// <summary>
/// Settings of the strong-generalisation split (spec §1.2): how many users are held out for
/// validation and, again, for test, the seed of the shuffles, and how a held-out user's events are
/// divided into fold-in and target.
/// </summary>
public sealed record HeldOutUsers
{
    /// <summary>The notebook's seed, set before the user permutation and again before each fold-in/target split (NB cells 17, 24–27).</summary>
    public const uint NotebookSeed = 98765;

    private readonly int _count;
    private readonly double _targetFraction = 0.2;
    private readonly int _minEventsForTargets = 5;

    /// <summary>
    /// Users in the validation set, and again in the test set (H). Paper: 10,000 for ML-20M (NB),
    /// 40,000 for Netflix and 50,000 for MSD (RaCT's setup_data.py; spec §1.1).
    /// </summary>
    public int Count
    {
        get => _count;
        init => _count = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(Count), value, "at least one validation and one test user are needed");
    }

    /// <summary>Seed of the user permutation and of each fold-in/target split. Paper: 98765 (NB).</summary>
    public uint Seed { get; init; } = NotebookSeed;

    /// <summary>
    /// Share of a held-out user's events chosen as targets, floored: int(0.2 · n) (NB
    /// <c>split_train_test_proportion(test_prop=0.2)</c>; paper §4.3 "80% ... fold-in").
    /// </summary>
    public double TargetFraction
    {
        get => _targetFraction;
        init => _targetFraction = value is > 0 and < 1 ? value : throw new ArgumentOutOfRangeException(nameof(TargetFraction), value, "must lie in (0, 1)");
    }

    /// <summary>
    /// Held-out users with fewer events than this (after unseen items are dropped) get no target:
    /// all their events are fold-in. Paper: 5 (NB <c>if n_items_u >= 5</c>).
    /// </summary>
    public int MinEventsForTargets
    {
        get => _minEventsForTargets;
        init => _minEventsForTargets = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(MinEventsForTargets), value, "must be >= 1");
    }

    public HeldOutUsers(int count) => Count = count;

    /// <summary>ML-20M: 10,000 validation and 10,000 test users (NB cell 17).</summary>
    public static HeldOutUsers Ml20m { get; } = new(10_000);

    /// <summary>Netflix Prize: 40,000 each (RaCT n_heldout_users=40000; EVCF).</summary>
    public static HeldOutUsers Netflix { get; } = new(40_000);

    /// <summary>MSD: 50,000 each (RaCT n_heldout_users=50000).</summary>
    public static HeldOutUsers Msd { get; } = new(50_000);

    /// <summary>Targets for a held-out user with <paramref name="events"/> kept events: int(fraction · n), or 0 below the minimum.</summary>
    public int TargetsFor(int events) => events >= MinEventsForTargets ? (int)(TargetFraction * events) : 0;
}
