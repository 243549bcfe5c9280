using Repro.Core.Sparse;

namespace Repro.Core.Protocols;

/// <summary>
/// A weak-generalisation split with fixed files, as LightGCN and NGCF publish them (spec §5.1): every
/// user has training items and (usually) test items over one user/item id space. At evaluation a
/// user's <see cref="Train"/> row is the model's input and is excluded from the ranking, so it plays
/// the part fold-in plays in strong generalisation; <see cref="Test"/> holds the targets.
/// Users without test items stay as rows (they are trained on) and are counted; metrics skip them.
/// </summary>
public sealed class WeakGeneralizationSplit
{
    public WeakGeneralizationSplit(CsrMatrix train, CsrMatrix test)
    {
        if (train.Rows != test.Rows || train.Columns != test.Columns)
            throw new ArgumentException($"train is {train.Rows}x{train.Columns} but test is {test.Rows}x{test.Columns}; they must share users and items");
        Train = train;
        Test = test;
        TestPairsAlsoInTrain = CountShared(train, test);
    }

    /// <summary>Each user's training items; the model's input, and excluded from that user's ranking.</summary>
    public CsrMatrix Train { get; }

    /// <summary>Each user's test items (the targets).</summary>
    public CsrMatrix Test { get; }

    public int Users => Train.Rows;
    public int Items => Train.Columns;

    /// <summary>Users with at least one test item: the users metrics are averaged over.</summary>
    public int UsersWithTest
    {
        get
        {
            int count = 0;
            for (int u = 0; u < Test.Rows; u++) if (Test.RowLength(u) > 0) count++;
            return count;
        }
    }

    public int UsersWithoutTest => Users - UsersWithTest;

    /// <summary>
    /// Test pairs that are also training pairs. They stay in Test (as the published evaluations keep
    /// them) but can never be hit, because training items are excluded from the ranking.
    /// </summary>
    public int TestPairsAlsoInTrain { get; }

    /// <summary>
    /// Builds the split from (user, item) pairs in file order; ids are already dense codes. The matrix
    /// shape is <paramref name="users"/> x <paramref name="items"/>. A pair repeated within train or
    /// within test is an error.
    /// </summary>
    public static WeakGeneralizationSplit FromPairs(int users, int items,
                                                    int[] trainUsers, int[] trainItems,
                                                    int[] testUsers, int[] testItems)
    {
        var train = CsrMatrix.FromPairs(users, items, trainUsers, trainItems);
        var test = CsrMatrix.FromPairs(users, items, testUsers, testItems);
        RequireNoRepeats(train, "train");
        RequireNoRepeats(test, "test");
        return new WeakGeneralizationSplit(train, test);
    }

    /// <summary>As <see cref="FromPairs(int,int,int[],int[],int[],int[])"/>, sized by the largest user and item code + 1.</summary>
    public static WeakGeneralizationSplit FromPairs(int[] trainUsers, int[] trainItems,
                                                    int[] testUsers, int[] testItems)
    {
        int users = Math.Max(MaxPlusOne(trainUsers), MaxPlusOne(testUsers));
        int items = Math.Max(MaxPlusOne(trainItems), MaxPlusOne(testItems));
        return FromPairs(users, items, trainUsers, trainItems, testUsers, testItems);
    }

    private static int MaxPlusOne(int[] codes)
    {
        int max = -1;
        foreach (int c in codes) if (c > max) max = c;
        return max + 1;
    }

    private static void RequireNoRepeats(CsrMatrix matrix, string part)
    {
        var stamp = new int[matrix.Columns];
        Array.Fill(stamp, -1);
        for (int u = 0; u < matrix.Rows; u++)
            foreach (int i in matrix.Row(u))
            {
                if (stamp[i] == u) throw new ArgumentException($"{part} holds the pair (user {u}, item {i}) more than once");
                stamp[i] = u;
            }
    }

    private static int CountShared(CsrMatrix train, CsrMatrix test)
    {
        var stamp = new int[train.Columns];
        Array.Fill(stamp, -1);
        int shared = 0;
        for (int u = 0; u < train.Rows; u++)
        {
            foreach (int i in train.Row(u)) stamp[i] = u;
            foreach (int i in test.Row(u)) if (stamp[i] == u) shared++;
        }
        return shared;
    }
}
