using Repro.Core.Data;
using Repro.Core.Sparse;

namespace Repro.Core.Protocols;

/// <summary>
/// LOCA's leave-last-out by time (spec seed-models §1.3, <c>Preprocess.py</c> <c>preprocess_lko</c>),
/// with a validation part Repro adds so that nothing is selected on test: users with at least
/// <c>minEvents</c> events stay; each user's events are stably sorted by timestamp (ties keep file
/// order, §1.8 item 7); the last <c>test</c> are the test targets, the <c>validation</c> before them
/// the validation targets, the rest the training row. Every event is a positive. Every user trains on
/// the training part; at test a user's input is the training row plus the validation items (what LOCA
/// feeds: everything before the test items), excluded from the ranking. Repeated (user, item) events
/// count for the cut and appear once in each matrix; the target matrices' values say how many events
/// each item stands for, which LOCA's metrics count (its test lists keep repeats). The item space is
/// every item of the file.
/// </summary>
public sealed class LeaveLastByTimeSplit
{
    private LeaveLastByTimeSplit(CsrMatrix train, CsrMatrix validationTarget, CsrMatrix testFoldIn, CsrMatrix testTarget,
                                 string[] userIds, string[] itemIds, int events, int tiesAtTestCut, int testEventsInFoldIn)
    {
        Train = train;
        ValidationTarget = validationTarget;
        TestFoldIn = testFoldIn;
        TestTarget = testTarget;
        UserIds = userIds;
        ItemIds = itemIds;
        Events = events;
        UsersWithTieAtTestCut = tiesAtTestCut;
        TestEventsInFoldIn = testEventsInFoldIn;
    }

    /// <summary>Each user's training items (all but the last validation + test events).</summary>
    public CsrMatrix Train { get; }
    /// <summary>Each user's validation targets, valued by their events; the validation input is <see cref="Train"/>.</summary>
    public CsrMatrix ValidationTarget { get; }
    /// <summary>Training plus validation items: the test input, excluded from the test ranking.</summary>
    public CsrMatrix TestFoldIn { get; }
    /// <summary>Each user's test targets, each valued by how many of the user's test events it is (5 in all per user).</summary>
    public CsrMatrix TestTarget { get; }
    /// <summary>Original id of each row.</summary>
    public string[] UserIds { get; }
    /// <summary>Original id of each column.</summary>
    public string[] ItemIds { get; }
    public int Users => Train.Rows;
    public int Items => Train.Columns;
    /// <summary>Events (lines) of the users kept, repeated pairs included: LOCA's rating count.</summary>
    public int Events { get; }
    /// <summary>Users whose last pre-test event has the same timestamp as their first test event: file order decides the cut.</summary>
    public int UsersWithTieAtTestCut { get; }
    /// <summary>Test events whose item is also in the user's test input: masked, so never a hit.</summary>
    public int TestEventsInFoldIn { get; }

    /// <summary>The split of <paramref name="events"/>; minEvents must be at least test + validation (a user with exactly that many has an empty training row, as LOCA's 10-event users have 5).</summary>
    public static LeaveLastByTimeSplit Build(TimedEvents events, int minEvents = 10, int test = 5, int validation = 5)
    {
        if (test < 1 || validation < 0) throw new ArgumentOutOfRangeException(nameof(test), "test must be >= 1 and validation >= 0");
        if (minEvents < test + validation)
            throw new ArgumentOutOfRangeException(nameof(minEvents), $"users need at least {test + validation} events for their targets; got minEvents {minEvents}");
        int userCount = events.UserCount;
        var perUser = new List<int>[userCount];
        for (int e = 0; e < events.Count; e++) (perUser[events.Users[e]] ??= new List<int>()).Add(e);

        var kept = Enumerable.Range(0, userCount).Where(u => perUser[u] != null && perUser[u].Count >= minEvents).ToArray();
        var trainRows = new List<int>(); var trainCols = new List<int>();
        var valRows = new List<int>(); var valCols = new List<int>();
        var testRows = new List<int>(); var testCols = new List<int>();
        int total = 0, ties = 0, testInFoldIn = 0;
        for (int row = 0; row < kept.Length; row++)
        {
            // Stable by time: ties keep file order (the event index breaks them).
            var list = perUser[kept[row]].OrderBy(e => events.Timestamps[e]).ThenBy(e => e).ToArray();
            int n = list.Length, testStart = n - test, valStart = testStart - validation;
            total += n;
            if (events.Timestamps[list[testStart - 1]] == events.Timestamps[list[testStart]]) ties++;
            var before = new HashSet<int>();
            for (int k = 0; k < n; k++)
            {
                int item = events.Items[list[k]];
                if (k < valStart) { trainRows.Add(row); trainCols.Add(item); before.Add(item); }
                else if (k < testStart) { valRows.Add(row); valCols.Add(item); before.Add(item); }
                else { testRows.Add(row); testCols.Add(item); if (before.Contains(item)) testInFoldIn++; }
            }
        }
        int items = events.ItemCount;
        var train = Distinct(kept.Length, items, trainRows, trainCols);
        var foldIn = Distinct(kept.Length, items, trainRows.Concat(valRows).ToList(), trainCols.Concat(valCols).ToList());
        return new LeaveLastByTimeSplit(train, Counted(kept.Length, items, valRows, valCols), foldIn,
            Counted(kept.Length, items, testRows, testCols),
            kept.Select(u => events.UserIds[u]).ToArray(), events.ItemIds, total, ties, testInFoldIn);
    }

    /// <summary>The pairs' matrix, each pair once (columns of a row in first-occurrence order), valued by how often it occurs.</summary>
    private static CsrMatrix Counted(int rows, int columns, List<int> rowOf, List<int> columnOf)
    {
        var binary = Distinct(rows, columns, rowOf, columnOf);
        var count = new Dictionary<long, int>();
        for (int k = 0; k < rowOf.Count; k++)
        {
            long key = (long)rowOf[k] * columns + columnOf[k];
            count[key] = count.GetValueOrDefault(key) + 1;
        }
        var values = new float[binary.NonZeros];
        for (int r = 0; r < rows; r++)
            for (int p = binary.RowStart[r]; p < binary.RowStart[r + 1]; p++)
                values[p] = count[(long)r * columns + binary.ColumnIndex[p]];
        return new CsrMatrix(rows, columns, binary.RowStart, binary.ColumnIndex, values);
    }

    /// <summary>A binary matrix of the pairs, each pair once, columns of a row in first-occurrence order.</summary>
    private static CsrMatrix Distinct(int rows, int columns, List<int> rowOf, List<int> columnOf)
    {
        var seen = new HashSet<long>();
        var r = new List<int>(rowOf.Count); var c = new List<int>(rowOf.Count);
        for (int k = 0; k < rowOf.Count; k++)
            if (seen.Add((long)rowOf[k] * columns + columnOf[k])) { r.Add(rowOf[k]); c.Add(columnOf[k]); }
        return CsrMatrix.FromPairs(rows, columns, r.ToArray(), c.ToArray());
    }
}
