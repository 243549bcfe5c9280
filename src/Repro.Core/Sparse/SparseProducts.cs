using System.Numerics.Tensors;

namespace Repro.Core.Sparse;

/// <summary>
/// Products of a users-by-items matrix that the linear baselines share: its transpose, its item Gram
/// matrix X^T X, and rows of X times a dense or sparse item-by-item matrix. Stored values, when
/// present, are used as the entries; otherwise every stored entry is 1.
/// </summary>
public static class SparseProducts
{
    /// <summary>The transpose (items by users); a column's rows come out ascending.</summary>
    public static CsrMatrix Transpose(CsrMatrix m)
    {
        var start = new int[m.Columns + 1];
        foreach (var c in m.ColumnIndex) start[c + 1]++;
        for (int c = 0; c < m.Columns; c++) start[c + 1] += start[c];
        var next = (int[])start.Clone();
        var index = new int[m.NonZeros];
        var values = m.Values is null ? null : new float[m.NonZeros];
        for (int r = 0; r < m.Rows; r++)
            for (int k = m.RowStart[r]; k < m.RowStart[r + 1]; k++)
            {
                int at = next[m.ColumnIndex[k]]++;
                index[at] = r;
                if (values != null) values[at] = m.Values![k];
            }
        return new CsrMatrix(m.Columns, m.Rows, start, index, values);
    }

    /// <summary>
    /// The dense item Gram matrix X^T X (Columns x Columns, row-major), built row by row from the
    /// transpose so that each output row stays in cache; parallel over items (by default within the process's
    /// thread budget, <see cref="TorchRuntime.Threads"/>).
    /// </summary>
    public static float[] Gram(CsrMatrix m, int maxDegreeOfParallelism = -1)
    {
        int n = m.Columns;
        var gram = new float[checked((long)n * n)];
        var byItem = Transpose(m);
        if (maxDegreeOfParallelism <= 0) maxDegreeOfParallelism = TorchRuntime.Threads;
        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, i =>
        {
            var row = gram.AsSpan((int)((long)i * n), n);
            for (int a = byItem.RowStart[i]; a < byItem.RowStart[i + 1]; a++)
            {
                int u = byItem.ColumnIndex[a];
                float xui = byItem.Values?[a] ?? 1f;
                int s = m.RowStart[u], e = m.RowStart[u + 1];
                if (m.Values is null)
                    for (int k = s; k < e; k++) row[m.ColumnIndex[k]] += xui;
                else
                    for (int k = s; k < e; k++) row[m.ColumnIndex[k]] += xui * m.Values[k];
            }
        });
        return gram;
    }

    /// <summary>
    /// output[r, :] = x_{rows[r]} W for a dense row-major <paramref name="weights"/> of
    /// foldIn.Columns x <paramref name="outputColumns"/>; parallel over users.
    /// </summary>
    public static void TimesDense(CsrMatrix foldIn, ReadOnlySpan<int> rows, float[] weights, int outputColumns, Span<float> output)
    {
        int n = outputColumns;
        if (weights.LongLength != (long)foldIn.Columns * n) throw new ArgumentException($"weights hold {weights.LongLength} floats, expected {foldIn.Columns} x {n}");
        ForEachUser(foldIn, rows, n, output, (int item, float x, Span<float> target) =>
        {
            var source = weights.AsSpan((int)((long)item * n), n);
            if (foldIn.Values is null) TensorPrimitives.Add(target, source, target);
            else TensorPrimitives.MultiplyAdd(source, x, target, target);
        });
    }

    /// <summary>output[r, :] = x_{rows[r]} W for a sparse item-by-item <paramref name="weights"/>; parallel over users.</summary>
    public static void TimesSparse(CsrMatrix foldIn, ReadOnlySpan<int> rows, CsrMatrix weights, Span<float> output)
    {
        if (weights.Values is null) throw new ArgumentException("weights must carry values");
        ForEachUser(foldIn, rows, weights.Columns, output, (int item, float x, Span<float> target) =>
        {
            for (int a = weights.RowStart[item]; a < weights.RowStart[item + 1]; a++)
                target[weights.ColumnIndex[a]] += x * weights.Values[a];
        });
    }

    /// <summary>Adds one fold-in entry (item, value) of a user into that user's output row.</summary>
    private delegate void AddEntry(int item, float value, Span<float> target);

    /// <summary>
    /// The loop both products share: for each listed user, in parallel, clear its output row of
    /// <paramref name="width"/> floats and add each of its fold-in entries into it.
    /// </summary>
    private static unsafe void ForEachUser(CsrMatrix foldIn, ReadOnlySpan<int> rows, int width, Span<float> output, AddEntry add)
    {
        if (output.Length != (long)rows.Length * width) throw new ArgumentException($"output holds {output.Length} floats, expected {rows.Length} x {width}");
        var rowList = rows.ToArray();
        fixed (float* outPtr = output)
        {
            nint address = (nint)outPtr;
            Parallel.For(0, rowList.Length, TorchRuntime.Parallelism, r =>
            {
                var target = new Span<float>((float*)address + (long)r * width, width);
                target.Clear();
                int u = rowList[r];
                for (int k = foldIn.RowStart[u]; k < foldIn.RowStart[u + 1]; k++)
                    add(foldIn.ColumnIndex[k], foldIn.Values?[k] ?? 1f, target);
            });
        }
    }

    /// <summary>The listed rows as a matrix of their own, in the order listed.</summary>
    public static CsrMatrix SelectRows(CsrMatrix m, ReadOnlySpan<int> rows)
    {
        var start = new int[rows.Length + 1];
        for (int r = 0; r < rows.Length; r++) start[r + 1] = start[r] + m.RowLength(rows[r]);
        var index = new int[start[rows.Length]];
        var values = m.Values is null ? null : new float[index.Length];
        for (int r = 0; r < rows.Length; r++)
        {
            m.Row(rows[r]).CopyTo(index.AsSpan(start[r]));
            if (values != null) m.RowValues(rows[r]).CopyTo(values.AsSpan(start[r]));
        }
        return new CsrMatrix(rows.Length, m.Columns, start, index, values);
    }
}
