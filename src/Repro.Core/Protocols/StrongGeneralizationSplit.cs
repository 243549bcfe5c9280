using Repro.Core.Sparse;

namespace Repro.Core.Protocols;

/// <summary>
/// A strong-generalisation split (spec §1.2, NB cells 17–27): training users with all their events,
/// and disjoint validation and test users whose events are divided into fold-in and target. Items
/// are columns 0..<see cref="ItemIds"/>.Length-1 of the training vocabulary; users are numbered in
/// shuffled order — training uids 0..Train.Rows-1, then validation, then test.
/// Every part is plain arrays, so the split can be cached and rebuilt through this constructor.
/// </summary>
public sealed class StrongGeneralizationSplit
{
    public StrongGeneralizationSplit(string[] itemIds, CsrMatrix train, int[] trainFileOrder, string[]? trainUserIds,
                                     HeldOutSet validation, HeldOutSet test)
    {
        foreach (var (name, m) in new[] { ("train", train), ("validation", validation.FoldIn), ("test", test.FoldIn) })
            if (m.Columns != itemIds.Length)
                throw new ArgumentException($"the {name} matrix has {m.Columns} columns but the vocabulary has {itemIds.Length} items");
        HeldOutSet.RequirePermutation(trainFileOrder, train.NonZeros, nameof(trainFileOrder));
        if (trainUserIds != null && trainUserIds.Length != train.Rows)
            throw new ArgumentException($"{trainUserIds.Length} training user ids for {train.Rows} rows", nameof(trainUserIds));
        RequireDisjointUids(("train", 0, train.Rows), ("validation", validation.FirstUid, validation.Users), ("test", test.FirstUid, test.Users));
        ItemIds = itemIds;
        Train = train;
        TrainFileOrder = trainFileOrder;
        TrainUserIds = trainUserIds;
        Validation = validation;
        Test = test;
    }

    /// <summary>Original item id of each column: <c>pd.unique</c> of the training users' items, in file order (unique_sid.txt).</summary>
    public string[] ItemIds { get; }

    /// <summary>Training users (row = uid) by vocabulary items; each row's columns in file order.</summary>
    public CsrMatrix Train { get; }

    /// <summary>
    /// Entries of <see cref="Train"/> (indices into its ColumnIndex) in the order of the source file's
    /// events, which is the line order of train.csv (the notebook writes train_plays unsorted, cell 26).
    /// </summary>
    public int[] TrainFileOrder { get; }

    /// <summary>Original user id of each training row; null when read from pro_sg files.</summary>
    public string[]? TrainUserIds { get; }

    public HeldOutSet Validation { get; }
    public HeldOutSet Test { get; }

    public int ItemCount => ItemIds.Length;
    public CsrMatrix ValidationFoldIn => Validation.FoldIn;
    public CsrMatrix ValidationTarget => Validation.Target;
    public CsrMatrix TestFoldIn => Test.FoldIn;
    public CsrMatrix TestTarget => Test.Target;

    private static void RequireDisjointUids(params (string Name, int First, int Count)[] ranges)
    {
        for (int a = 0; a < ranges.Length; a++)
            for (int b = a + 1; b < ranges.Length; b++)
            {
                var (x, y) = (ranges[a], ranges[b]);
                if (x.Count > 0 && y.Count > 0 && x.First < y.First + y.Count && y.First < x.First + x.Count)
                    throw new ArgumentException($"{x.Name} uids {x.First}..{x.First + x.Count - 1} overlap {y.Name} uids {y.First}..{y.First + y.Count - 1}");
            }
    }
}
