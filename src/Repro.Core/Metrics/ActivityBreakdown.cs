using Repro.Core.Sparse;

namespace Repro.Core.Metrics;

/// <summary>
/// One activity group of held-out users (a quintile in the paper's Figure 3).
/// </summary>
/// <param name="Index">0 for the least active group.</param>
/// <param name="MinFoldInItems">Smallest fold-in count in the group.</param>
/// <param name="MaxFoldInItems">Largest fold-in count in the group.</param>
/// <param name="Rows">The group's rows, ascending.</param>
public sealed record ActivityGroup(int Index, int MinFoldInItems, int MaxFoldInItems, int[] Rows);

/// <summary>A metric's mean and standard error within one activity group.</summary>
public sealed record ActivityGroupSummary(ActivityGroup Group, MetricSummary Summary);

/// <summary>
/// The paper's Figure 3 (spec §3.6): held-out users split into quintiles by their number of
/// fold-in items (the model's input), with a metric's mean and standard error per quintile.
/// </summary>
/// <remarks>
/// Assignment: every held-out user (row) is sorted by (fold-in count, row) ascending and the sorted
/// list is cut into equal-count groups, group g taking sorted positions floor(g·n/G) ..
/// floor((g+1)·n/G) − 1, so sizes differ by at most one and each user is in exactly one group. Users
/// with the same fold-in count may straddle a boundary (the lower rows go to the lower group), so
/// adjacent groups can share a count at their edge. All users are assigned, including those
/// without targets; they are counted as excluded in their group's summary.
/// </remarks>
public static class ActivityBreakdown
{
    /// <summary>Quintiles, as in the paper.</summary>
    public const int PaperGroupCount = 5;

    public static ActivityGroup[] SplitByFoldInCount(CsrMatrix foldIn, int groupCount = PaperGroupCount)
    {
        var counts = new int[foldIn.Rows];
        for (int row = 0; row < counts.Length; row++) counts[row] = foldIn.RowLength(row);
        return SplitByFoldInCount(counts, groupCount);
    }

    /// <summary>
    /// The same groups from each row's fold-in count alone (<c>counts[row]</c>), as a run folder's
    /// test-users.tsv records them, so a report can cut quintiles without the data.
    /// </summary>
    public static ActivityGroup[] SplitByFoldInCount(int[] counts, int groupCount = PaperGroupCount)
    {
        int n = counts.Length;
        if (groupCount < 1) throw new ArgumentOutOfRangeException(nameof(groupCount), $"group count is {groupCount}, expected at least 1");
        if (n < groupCount) throw new ArgumentException($"{n} users cannot be split into {groupCount} non-empty groups");
        var order = Enumerable.Range(0, n).ToArray();
        Array.Sort(order, (x, y) => counts[x] != counts[y] ? counts[x].CompareTo(counts[y]) : x.CompareTo(y));

        var groups = new ActivityGroup[groupCount];
        for (int g = 0; g < groupCount; g++)
        {
            int start = (int)((long)g * n / groupCount), end = (int)((long)(g + 1) * n / groupCount);
            var rows = order[start..end];
            Array.Sort(rows);
            groups[g] = new ActivityGroup(g, counts[order[start]], counts[order[end - 1]], rows);
        }
        return groups;
    }

    /// <summary>
    /// The values of <paramref name="values"/> that belong to users of <paramref name="group"/>, in
    /// row order (users without targets have none). Two models evaluated on the same users give
    /// aligned vectors, ready for <see cref="PairedTTest"/>.
    /// </summary>
    public static double[] ValuesIn(ActivityGroup group, UserMetricValues values)
    {
        var result = new List<double>(group.Rows.Length);
        int i = 0, j = 0;
        while (i < group.Rows.Length && j < values.Rows.Length)
        {
            int groupRow = group.Rows[i], valueRow = values.Rows[j];
            if (groupRow == valueRow) { result.Add(values.Values[j]); i++; j++; }
            else if (groupRow < valueRow) i++;
            else j++;
        }
        return result.ToArray();
    }

    /// <summary>Mean and standard error of a metric per activity group, least active first.</summary>
    public static ActivityGroupSummary[] Summarise(CsrMatrix foldIn, UserMetricValues values, int groupCount = PaperGroupCount)
    {
        var counts = new int[foldIn.Rows];
        for (int row = 0; row < counts.Length; row++) counts[row] = foldIn.RowLength(row);
        return Summarise(counts, values, groupCount);
    }

    /// <summary>Mean and standard error per activity group from each row's fold-in count alone.</summary>
    public static ActivityGroupSummary[] Summarise(int[] counts, UserMetricValues values, int groupCount = PaperGroupCount)
    {
        if (values.Rows.Length > 0 && values.Rows[^1] >= counts.Length)
            throw new ArgumentException($"values refer to row {values.Rows[^1]} but the fold-in matrix has {counts.Length} rows");
        return SplitByFoldInCount(counts, groupCount)
            .Select(group =>
            {
                var groupValues = ValuesIn(group, values);
                return new ActivityGroupSummary(group, MetricSummary.Of(groupValues, group.Rows.Length - groupValues.Length));
            })
            .ToArray();
    }
}
