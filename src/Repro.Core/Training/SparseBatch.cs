using Repro.Core.Sparse;

namespace Repro.Core.Training;

/// <summary>
/// One minibatch of users as the autoencoders consume it, built from CSR rows without ever forming
/// the dense users-by-items matrix:
/// the encoder input is each row L2-normalised as TF's l2_normalize does (x / sqrt(max(sum x^2, 1e-12)),
/// so an empty row stays zero instead of NaN; spec 7 pitfall 4) and then, when training, inverted
/// dropout on its nonzeros (kept with probability keep and scaled by 1/keep; a zero stays zero under
/// dropout, so masking the nonzeros only is the notebook's tf.nn.dropout exactly). Dropped entries
/// are removed. The likelihood's target is the raw row, undropped and unnormalised (spec 2.1 "Likelihood term":
/// log_softmax(logits) * input_ph).
/// Arrays are reused across batches; within a row, columns are assumed distinct (the data builders
/// merge duplicates).
/// </summary>
internal sealed class SparseBatch
{
    /// <summary>TF l2_normalize's epsilon on the squared norm.</summary>
    public const double NormEpsilon = 1e-12;

    public int Rows { get; private set; }
    public int[] InputStart = new int[1];
    public int[] InputColumn = new int[1024];
    public float[] InputValue = new float[1024];
    public int[] TargetStart = new int[1];
    public int[] TargetColumn = new int[1024];
    public float[] TargetValue = new float[1024];

    /// <summary>
    /// Loads <paramref name="rows"/> of <paramref name="matrix"/>. With <paramref name="random"/> null
    /// (scoring) or keep = 1 nothing is dropped. With <paramref name="normalize"/> false the input is
    /// the raw row (CDAE reads the binary row itself, Wu et al. eq. 1), dropout still applied.
    /// </summary>
    public void Load(CsrMatrix matrix, ReadOnlySpan<int> rows, double keep, SeededRandom? random, bool normalize = true)
    {
        if (!(keep > 0 && keep <= 1)) throw new ArgumentOutOfRangeException(nameof(keep), $"keep probability must be in (0, 1], got {keep}");
        int total = 0;
        foreach (var r in rows)
        {
            if ((uint)r >= (uint)matrix.Rows) throw new ArgumentOutOfRangeException(nameof(rows), $"row {r} outside 0..{matrix.Rows - 1}");
            total += matrix.RowLength(r);
        }
        Rows = rows.Length;
        Ensure(ref InputStart, Rows + 1); Ensure(ref TargetStart, Rows + 1);
        Ensure(ref InputColumn, total); Ensure(ref InputValue, total);
        Ensure(ref TargetColumn, total); Ensure(ref TargetValue, total);
        bool drop = random is not null && keep < 1;
        float inverseKeep = (float)(1 / keep);
        float keepF = (float)keep;
        int kept = 0, target = 0;
        for (int u = 0; u < rows.Length; u++)
        {
            InputStart[u] = kept;
            TargetStart[u] = target;
            var columns = matrix.Row(rows[u]);
            var values = matrix.Values is null ? default : matrix.RowValues(rows[u]);
            double sumSquares = 0;
            for (int k = 0; k < columns.Length; k++)
            {
                float x = values.IsEmpty ? 1f : values[k];
                sumSquares += (double)x * x;
                TargetColumn[target] = columns[k];
                TargetValue[target++] = x;
            }
            float scale = normalize ? (float)(1 / Math.Sqrt(Math.Max(sumSquares, NormEpsilon))) : 1f;
            for (int k = 0; k < columns.Length; k++)
            {
                float x = (values.IsEmpty ? 1f : values[k]) * scale;
                if (drop)
                {
                    // tf.nn.dropout keeps an entry when keep + U[0,1) >= 1, i.e. with probability keep.
                    if (random!.NextSingle() >= keepF) continue;
                    x *= inverseKeep;
                }
                if (x == 0) continue;
                InputColumn[kept] = columns[k];
                InputValue[kept++] = x;
            }
        }
        InputStart[Rows] = kept;
        TargetStart[Rows] = target;
    }

    public int InputCount => InputStart[Rows];

    private static void Ensure<T>(ref T[] array, int length)
    {
        if (array.Length < length) array = new T[Math.Max(length, array.Length * 2)];
    }
}
