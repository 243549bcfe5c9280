using Repro.Core.Data;

namespace Repro.Core.Protocols;

/// <summary>Counts of one held-out set (validation or test).</summary>
/// <param name="Users">Held-out users (H).</param>
/// <param name="UsersWithTargets">Users with at least one target: metrics average over these.</param>
/// <param name="UsersWithoutTargets">Users left with fewer than 5 events, hence no target (spec §7.3).</param>
/// <param name="FoldInEvents">Events in the fold-in matrix.</param>
/// <param name="TargetEvents">Events in the target matrix.</param>
public sealed record HeldOutStatistics(int Users, int UsersWithTargets, int UsersWithoutTargets, long FoldInEvents, long TargetEvents)
{
    public static HeldOutStatistics Of(HeldOutSet set) =>
        new(set.Users, set.UsersWithTargets, set.UsersWithoutTargets, set.FoldIn.NonZeros, set.Target.NonZeros);
}

/// <summary>
/// The numbers of the paper's Table 1 and spec §1.3 for one preprocessed dataset and its
/// strong-generalisation split.
/// </summary>
/// <param name="Users">Users after preprocessing.</param>
/// <param name="Items">Items after preprocessing (all users; ML-20M: 20,720).</param>
/// <param name="Events">Events after preprocessing (ML-20M: 9,990,682).</param>
/// <param name="Density">Events / (Users · Items): what the notebook prints (ML-20M 0.353%).</param>
/// <param name="DensityOverVocabulary">Events / (Users · VocabularyItems): Table 1's convention (ML-20M 0.3635%, spec §1.3).</param>
/// <param name="TrainingUsers">Users whose events all train the model.</param>
/// <param name="VocabularyItems">Items seen by training users: the model's input and output width (ML-20M: 20,108).</param>
/// <param name="TrainingEvents">Events of training users.</param>
/// <param name="Validation">Counts of the validation users.</param>
/// <param name="Test">Counts of the test users.</param>
/// <param name="HeldOutEventsDropped">Held-out events dropped because their item is outside the vocabulary (NB cell 19).</param>
public sealed record DatasetStatistics(
    int Users, int Items, long Events, double Density, double DensityOverVocabulary,
    int TrainingUsers, int VocabularyItems, long TrainingEvents,
    HeldOutStatistics Validation, HeldOutStatistics Test, long HeldOutEventsDropped)
{
    /// <summary>Counts <paramref name="filtered"/> (the preprocessed log) and the split made from it.</summary>
    public static DatasetStatistics Compute(InteractionLog filtered, StrongGeneralizationSplit split)
    {
        var userSeen = new bool[filtered.UserCount];
        var itemSeen = new bool[filtered.ItemCount];
        foreach (int u in filtered.Users) userSeen[u] = true;
        foreach (int i in filtered.Items) itemSeen[i] = true;
        int users = 0, items = 0;
        foreach (bool s in userSeen) if (s) users++;
        foreach (bool s in itemSeen) if (s) items++;

        var validation = HeldOutStatistics.Of(split.Validation);
        var test = HeldOutStatistics.Of(split.Test);
        int splitUsers = split.Train.Rows + validation.Users + test.Users;
        if (splitUsers != users)
            throw new ArgumentException($"the split has {splitUsers} users but {filtered.Source} has {users} after preprocessing: it was not made from this log");
        long events = filtered.Count;
        long kept = split.Train.NonZeros + validation.FoldInEvents + validation.TargetEvents + test.FoldInEvents + test.TargetEvents;
        return new DatasetStatistics(
            users, items, events,
            Density: (double)events / ((double)users * items),
            DensityOverVocabulary: (double)events / ((double)users * split.ItemCount),
            TrainingUsers: split.Train.Rows, VocabularyItems: split.ItemCount, TrainingEvents: split.Train.NonZeros,
            validation, test, HeldOutEventsDropped: events - kept);
    }
}
