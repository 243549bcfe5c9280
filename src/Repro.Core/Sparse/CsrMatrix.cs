namespace Repro.Core.Sparse;

/// <summary>
/// A compressed-sparse-row matrix of users by items. Within a row, columns keep the order they were
/// given in (the protocol needs file order), so columns are not necessarily sorted.
/// <see cref="Values"/> is null for binary data (every stored entry is 1).
/// </summary>
public sealed class CsrMatrix
{
    public CsrMatrix(int rows, int columns, int[] rowStart, int[] columnIndex, float[]? values = null)
    {
        if (rowStart.Length != rows + 1) throw new ArgumentException($"rowStart has {rowStart.Length} entries, expected {rows + 1}");
        if (rowStart[rows] != columnIndex.Length) throw new ArgumentException("rowStart[rows] must equal the number of stored entries");
        if (values != null && values.Length != columnIndex.Length) throw new ArgumentException("values and columnIndex differ in length");
        Rows = rows;
        Columns = columns;
        RowStart = rowStart;
        ColumnIndex = columnIndex;
        Values = values;
    }

    public int Rows { get; }
    public int Columns { get; }
    public int[] RowStart { get; }
    public int[] ColumnIndex { get; }
    public float[]? Values { get; }
    public int NonZeros => ColumnIndex.Length;

    public int RowLength(int row) => RowStart[row + 1] - RowStart[row];

    public ReadOnlySpan<int> Row(int row) => ColumnIndex.AsSpan(RowStart[row], RowLength(row));

    public ReadOnlySpan<float> RowValues(int row) =>
        Values is null ? throw new InvalidOperationException("binary matrix has no values") : Values.AsSpan(RowStart[row], RowLength(row));

    /// <summary>
    /// Builds a binary matrix from (row, column) pairs; a row's columns keep the order of the pairs
    /// (a stable counting sort by row).
    /// </summary>
    public static CsrMatrix FromPairs(int rows, int columns, ReadOnlySpan<int> rowOf, ReadOnlySpan<int> columnOf)
    {
        if (rowOf.Length != columnOf.Length) throw new ArgumentException("rowOf and columnOf differ in length");
        var start = new int[rows + 1];
        foreach (var r in rowOf)
        {
            if ((uint)r >= (uint)rows) throw new ArgumentOutOfRangeException(nameof(rowOf), $"row {r} outside 0..{rows - 1}");
            start[r + 1]++;
        }
        for (int r = 0; r < rows; r++) start[r + 1] += start[r];
        var next = (int[])start.Clone();
        var index = new int[rowOf.Length];
        for (int k = 0; k < rowOf.Length; k++)
        {
            var c = columnOf[k];
            if ((uint)c >= (uint)columns) throw new ArgumentOutOfRangeException(nameof(columnOf), $"column {c} outside 0..{columns - 1}");
            index[next[rowOf[k]]++] = c;
        }
        return new CsrMatrix(rows, columns, start, index);
    }

    /// <summary>The rows <paramref name="first"/> .. first+count-1 as a matrix of their own.</summary>
    public CsrMatrix SliceRows(int first, int count)
    {
        var start = new int[count + 1];
        int offset = RowStart[first];
        for (int r = 0; r <= count; r++) start[r] = RowStart[first + r] - offset;
        var index = ColumnIndex.AsSpan(offset, start[count]).ToArray();
        var values = Values?.AsSpan(offset, start[count]).ToArray();
        return new CsrMatrix(count, Columns, start, index, values);
    }
}
