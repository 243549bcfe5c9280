using Repro.Core.Sparse;

namespace Repro.Core.Protocols;

/// <summary>
/// The validation or the test users of a strong-generalisation split (spec §1.2): each row is one
/// held-out user, with the events the model sees (<see cref="FoldIn"/>) and the events it must
/// recover (<see cref="Target"/>). Rows are in uid order (row r has uid <see cref="FirstUid"/> + r),
/// as the notebook's <c>load_tr_te_data</c> lays them out (cell 29).
/// </summary>
public sealed class HeldOutSet
{
    public HeldOutSet(CsrMatrix foldIn, CsrMatrix target, int firstUid, int[] fileUserOrder, string[]? userIds)
    {
        if (foldIn.Rows != target.Rows || foldIn.Columns != target.Columns)
            throw new ArgumentException($"fold-in is {foldIn.Rows}x{foldIn.Columns} but target is {target.Rows}x{target.Columns}; they must share rows and columns");
        if (firstUid < 0) throw new ArgumentOutOfRangeException(nameof(firstUid), firstUid, "uids are >= 0");
        RequirePermutation(fileUserOrder, foldIn.Rows, nameof(fileUserOrder));
        if (userIds != null && userIds.Length != foldIn.Rows)
            throw new ArgumentException($"{userIds.Length} user ids for {foldIn.Rows} rows", nameof(userIds));
        FoldIn = foldIn;
        Target = target;
        FirstUid = firstUid;
        FileUserOrder = fileUserOrder;
        UserIds = userIds;
    }

    /// <summary>Events given to the model as input (the <c>*_tr.csv</c> file); items are vocabulary indices.</summary>
    public CsrMatrix FoldIn { get; }

    /// <summary>Events to be ranked (the <c>*_te.csv</c> file); same rows as <see cref="FoldIn"/>, disjoint from it.</summary>
    public CsrMatrix Target { get; }

    /// <summary>The uid the pro_sg files give row 0 (the notebook's <c>profile2id</c>, cell 21).</summary>
    public int FirstUid { get; }

    /// <summary>
    /// Rows in the order the files list users: ascending original user id, because the notebook
    /// concatenates <c>groupby('userId')</c> groups (cell 23). Each user's lines follow the row's
    /// column order, which is file order.
    /// </summary>
    public int[] FileUserOrder { get; }

    /// <summary>The original user id of each row; null when the set was read from pro_sg files, which carry none.</summary>
    public string[]? UserIds { get; }

    public int Users => FoldIn.Rows;

    /// <summary>Users with at least one target: the users metrics are averaged over.</summary>
    public int UsersWithTargets
    {
        get
        {
            int count = 0;
            for (int r = 0; r < Target.Rows; r++) if (Target.RowLength(r) > 0) count++;
            return count;
        }
    }

    /// <summary>Users without targets (fewer than 5 events left; spec §7.3): kept as rows, excluded from metrics.</summary>
    public int UsersWithoutTargets => Users - UsersWithTargets;

    internal static void RequirePermutation(int[] order, int count, string name)
    {
        if (order.Length != count) throw new ArgumentException($"{name} has {order.Length} entries, expected {count}", name);
        var seen = new bool[count];
        foreach (var i in order)
        {
            if ((uint)i >= (uint)count || seen[i]) throw new ArgumentException($"{name} is not a permutation of 0..{count - 1} (entry {i})", name);
            seen[i] = true;
        }
    }
}
