using System.Numerics.Tensors;
using Repro.Core.Training;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Repro.Core.Models.RecVae;

/// <summary>
/// RecVAE's encoder (paper section 3.1; model.py Encoder): the L2-normalised (and, in training,
/// dropped-out) input x goes through five layers h_j = LayerNorm(swish(W_j h_{j-1} + b_j + h_1 + ... + h_{j-1}))
/// with h_0 = x and no skip sum into the first layer, LayerNorm epsilon 0.1, then two linear heads give
/// mu and logvar of z. Weights are stored [in, out]; initialised as PyTorch's nn.Linear
/// (weights and biases U(-1/sqrt(in), 1/sqrt(in))) and nn.LayerNorm (gain 1, shift 0).
///
/// Every parameter but the first layer's is copied into a libtorch-owned tensor at each forward (the
/// optimiser updates the flat buffer; libtorch's own tensors are 64-byte aligned, see <see cref="AlignedBuffer"/>).
/// The first layer reads the sparse batch directly (a sum of the rows of W_1 picked by the nonzeros)
/// and its weight gradient touches only those rows, as in <see cref="Repro.Core.Networks.SparseAutoencoder"/>; everything
/// after it (600-wide, cheap) runs through libtorch's autograd, with the first layer's pre-activation
/// as an autograd leaf whose gradient is carried back to W_1 and b_1 by hand.
/// </summary>
internal sealed class RecVaeEncoder : IDisposable
{
    /// <summary>Hidden layers (model.py: fc1 .. fc5).</summary>
    public const int HiddenLayers = 5;

    /// <summary>model.py Encoder(eps=1e-1): LayerNorm's epsilon.</summary>
    public const double LayerNormEpsilon = 0.1;

    private readonly int _hidden;
    private readonly int _workers;
    private readonly string[] _autogradNames; // every parameter but the first layer's
    private readonly Tensor[] _owned;           // libtorch-owned copies of those (aligned; leaves of autograd when trainable)
    private readonly SparseRowGradient _firstLayerGradient;
    private int _capacity;
    private AlignedBuffer? _pre, _dPre;
    private Tensor? _preLeaf;
    private SparseBatch? _lastBatch; // the batch of the last Forward, whose nonzeros Backward needs
    private int _rows;

    public RecVaeEncoder(int items, int hidden, int latent, bool trainable, SeededRandom init, int capacity)
    {
        Items = items;
        Latent = latent;
        _hidden = hidden;
        var layout = new List<(string, int, int, bool)>();
        for (int j = 1; j <= HiddenLayers; j++)
        {
            layout.Add(($"fc{j}.W", j == 1 ? items : hidden, hidden, true));
            layout.Add(($"fc{j}.b", 1, hidden, false));
            layout.Add(($"ln{j}.g", 1, hidden, false));
            layout.Add(($"ln{j}.b", 1, hidden, false));
        }
        layout.Add(("mu.W", hidden, latent, true));
        layout.Add(("mu.b", 1, latent, false));
        layout.Add(("logvar.W", hidden, latent, true));
        layout.Add(("logvar.b", 1, latent, false));
        Parameters = new FlatParameters(layout);

        // model.py builds fc1, ln1, fc2, ln2, ..., fc_mu, fc_logvar in this order.
        foreach (var s in Parameters.Segments)
        {
            var span = Parameters.Span(s.Name);
            if (s.Name.StartsWith("ln", StringComparison.Ordinal)) span.Fill(s.Name.EndsWith(".g", StringComparison.Ordinal) ? 1f : 0f);
            else
            {
                string weight = s.Name[..s.Name.IndexOf('.')] + ".W";
                double bound = 1 / Math.Sqrt(Parameters.Segment(weight).Rows); // fan_in of the layer
                for (int k = 0; k < span.Length; k++) span[k] = (float)((2 * init.NextDouble() - 1) * bound);
            }
        }

        _autogradNames = Parameters.Segments.Select(s => s.Name).Where(n => n is not ("fc1.W" or "fc1.b")).ToArray();
        if (trainable) Gradients = Parameters.SameLayout();
        _owned = _autogradNames.Select(n =>
        {
            var s = Parameters.Segment(n);
            var t = torch.empty(s.Rows, s.Columns, ScalarType.Float32);
            if (trainable) t.requires_grad_(true);
            return t.DetachFromDisposeScope();
        }).ToArray();
        _firstLayerGradient = new SparseRowGradient(items, _hidden);
        _workers = Math.Max(1, Environment.ProcessorCount); // parts of a batch: float sums depend on it, so not on --threads
        EnsureCapacity(Math.Max(1, capacity));
    }

    public int Items { get; }
    public int Latent { get; }
    public FlatParameters Parameters { get; }

    /// <summary>d loss / d parameters after <see cref="Backward"/>; null for a frozen encoder (the old encoder).</summary>
    public FlatParameters? Gradients { get; }

    /// <summary>Copies another encoder's weights into this one (the old encoder's refresh).</summary>
    public void CopyFrom(RecVaeEncoder other)
    {
        if (other.Parameters.LayoutKey != Parameters.LayoutKey) throw new ArgumentException("the encoders differ in shape");
        other.Parameters.Data.CopyTo(Parameters.Data, 0);
    }

    /// <summary>
    /// mu and logvar ([rows, K]) for the loaded <paramref name="batch"/>. With <paramref name="gradient"/>
    /// the result is differentiable for <see cref="Backward"/>; otherwise call it under torch.no_grad().
    /// </summary>
    // The 1 of tensor additions, held for the process's life: the Scalar that `a + b` converts
    // implicitly can be finalised by the garbage collector while libtorch still reads it, which
    // failed intermittently as "Expected false to be true ... toFloat" in add.
    private static readonly Scalar One = 1f.ToScalar();

    public (Tensor Mu, Tensor LogVar) Forward(SparseBatch batch, bool gradient)
    {
        if (gradient && Gradients is null) throw new InvalidOperationException("a frozen encoder has no gradient");
        int b = batch.Rows;
        EnsureCapacity(b);
        _rows = b;
        using (torch.no_grad())
            for (int k = 0; k < _owned.Length; k++) _owned[k].copy_(Parameters.Tensor(_autogradNames[k])); // the optimiser updates Parameters
        SparseFirstLayer(batch, b);
        var pre = _pre!.Tensor.narrow(0, 0, b);
        if (gradient)
        {
            pre = pre.detach().requires_grad_(true);
            _preLeaf = pre;
        }
        var h = Block(pre, 1, gradient);
        var skip = h;
        for (int j = 2; j <= HiddenLayers; j++)
        {
            h = Block(addmm(P($"fc{j}.b", gradient), h, P($"fc{j}.W", gradient), 1f, 1f).add(skip, One), j, gradient);
            if (j < HiddenLayers) skip = skip.add(h, One);
        }
        var mu = addmm(P("mu.b", gradient), h, P("mu.W", gradient), 1f, 1f);
        var logVar = addmm(P("logvar.b", gradient), h, P("logvar.W", gradient), 1f, 1f);
        return (mu, logVar);
    }

    /// <summary>
    /// Gradients of <paramref name="loss"/> (a scalar built on the last differentiable <see cref="Forward"/>)
    /// with respect to every parameter, written into <see cref="Gradients"/>.
    /// </summary>
    public void Backward(Tensor loss)
    {
        if (Gradients is null || _preLeaf is null) throw new InvalidOperationException("Backward needs a differentiable Forward first");
        ClearFirstLayerGradient();
        var grads = torch.autograd.grad([loss], [_preLeaf, .. _owned]);
        for (int k = 0; k < _owned.Length; k++) Gradients.Tensor(_autogradNames[k]).copy_(grads[k + 1]);
        _dPre!.Tensor.narrow(0, 0, _rows).copy_(grads[0]);
        _preLeaf = null;
        FirstLayerBackward(_lastBatch!, _rows);
    }

    private Tensor P(string name, bool gradient) => _owned[Array.IndexOf(_autogradNames, name)];

    private Tensor Block(Tensor pre, int j, bool gradient) =>
        nn.functional.layer_norm(nn.functional.silu(pre), [_hidden], P($"ln{j}.g", gradient).view(_hidden), P($"ln{j}.b", gradient).view(_hidden), LayerNormEpsilon);

    /// <summary>pre_1[u] = b_1 + sum over the row's nonzeros of x_ui W_1[i].</summary>
    private void SparseFirstLayer(SparseBatch batch, int b)
    {
        _lastBatch = batch;
        int width = _hidden;
        var p = Parameters.Data;
        int wOffset = (int)Parameters.Segment("fc1.W").Offset, biasOffset = (int)Parameters.Segment("fc1.b").Offset;
        var output = _pre!.Data;
        int outOffset = _pre.Offset;
        ForRows(b, (from, to) =>
        {
            for (int u = from; u < to; u++)
            {
                var row = output.AsSpan(outOffset + u * width, width);
                p.AsSpan(biasOffset, width).CopyTo(row);
                for (int k = batch.InputStart[u]; k < batch.InputStart[u + 1]; k++)
                    TensorPrimitives.MultiplyAdd(p.AsSpan(wOffset + batch.InputColumn[k] * width, width), batch.InputValue[k], row, row);
            }
        });
    }

    /// <summary>db_1 = column sums of d pre_1; dW_1 over the batch's nonzeros only (<see cref="SparseRowGradient"/>).</summary>
    private void FirstLayerBackward(SparseBatch batch, int b)
    {
        int width = _hidden;
        var d = _dPre!.Data;
        int dOffset = _dPre.Offset;
        var gb = Gradients!.Span("fc1.b");
        gb.Clear();
        for (int u = 0; u < b; u++) TensorPrimitives.Add(gb, d.AsSpan(dOffset + u * width, width), gb);
        _firstLayerGradient.Accumulate(batch, b, d, dOffset, Gradients.Data, (int)Gradients.Segment("fc1.W").Offset, _workers);
    }

    /// <summary>Zeroes the W_1 gradient rows the last batch wrote (all others are zero already).</summary>
    private void ClearFirstLayerGradient() =>
        _firstLayerGradient.Clear(Gradients!.Data, (int)Gradients.Segment("fc1.W").Offset);

    private void EnsureCapacity(int rows)
    {
        if (rows <= _capacity) return;
        _pre?.Dispose();
        _dPre?.Dispose();
        _capacity = rows;
        _pre = new AlignedBuffer(rows, _hidden);
        _dPre = new AlignedBuffer(rows, _hidden);
    }

    private void ForRows(int b, Action<int, int> body)
    {
        int workers = Math.Min(_workers, b);
        if (workers <= 1) { body(0, b); return; }
        Parallel.For(0, workers, TorchRuntime.Parallelism, w => body(b * w / workers, b * (w + 1) / workers));
    }

    public void Dispose()
    {
        foreach (var t in _owned) t.Dispose();
        _pre?.Dispose();
        _dPre?.Dispose();
        Parameters.Dispose();
        Gradients?.Dispose();
    }
}
