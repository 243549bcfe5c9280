using System.Numerics.Tensors;

namespace Repro.Core.Training;

/// <summary>
/// The weight gradient of a first layer fed by a sparse batch: dW[i] += x_ui · d[u] over the batch's
/// nonzeros only, with the rows written remembered so that <see cref="Clear"/> zeroes just those (all
/// other rows stay zero). Workers own disjoint item residues (item mod workers), so no row is written
/// by two threads and each row is summed in user order whatever the thread count: reruns and resumed
/// runs are bit-identical. Used by the Mult models, RecVAE's encoder and CDAE.
/// </summary>
internal sealed class SparseRowGradient
{
    private readonly bool[] _touched;
    private readonly List<int> _dirtyRows = new();
    private readonly int _width;

    /// <param name="items">Rows of the weight matrix (one per item).</param>
    /// <param name="width">Its columns (the layer's output width).</param>
    public SparseRowGradient(int items, int width)
    {
        if (items <= 0) throw new ArgumentOutOfRangeException(nameof(items), $"items must be > 0, got {items}");
        if (width <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"width must be > 0, got {width}");
        _touched = new bool[items];
        _width = width;
    }

    /// <summary>
    /// For each nonzero (u, i, x) of the first <paramref name="rows"/> rows of <paramref name="batch"/>:
    /// g[gOffset + i·width ..] += x · d[dOffset + u·width ..].
    /// </summary>
    public void Accumulate(SparseBatch batch, int rows, float[] d, int dOffset, float[] g, int gOffset, int workers)
    {
        int width = _width;
        var touched = _touched;
        Parallel.For(0, workers, TorchRuntime.Parallelism, worker =>
        {
            for (int u = 0; u < rows; u++)
            {
                var du = d.AsSpan(dOffset + u * width, width);
                for (int k = batch.InputStart[u]; k < batch.InputStart[u + 1]; k++)
                {
                    int item = batch.InputColumn[k];
                    if (item % workers != worker) continue;
                    var target = g.AsSpan(gOffset + item * width, width);
                    TensorPrimitives.MultiplyAdd(du, batch.InputValue[k], target, target);
                    touched[item] = true;
                }
            }
        });
        for (int k = 0; k < batch.InputCount; k++)
        {
            int item = batch.InputColumn[k];
            if (touched[item]) { touched[item] = false; _dirtyRows.Add(item); }
        }
    }

    /// <summary>Zeroes the rows of g (at <paramref name="gOffset"/>) written since the last call.</summary>
    public void Clear(float[] g, int gOffset)
    {
        foreach (var item in _dirtyRows) g.AsSpan(gOffset + item * _width, _width).Clear();
        _dirtyRows.Clear();
    }
}
