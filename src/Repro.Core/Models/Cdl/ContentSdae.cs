using Repro.Core.Sparse;
using Repro.Core.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Core.Models.Cdl;

/// <summary>
/// CDL's stacked denoising autoencoder on item content (paper section 3; spec seed-models 6.1): layers
/// [S, hidden, K, hidden, S] with sigmoid units, masking noise on the input and dropout on the
/// hidden-width layers during training. The encoder's output f_e is the K-wide middle layer. Its loss
/// per item batch is CDL's MAP terms for those items,
/// lambda_n/2 ||f_r(X_0,j) - X_c,j||^2 + lambda_v/2 ||v_j - f_e(X_0,j)||^2, plus lambda_w/2 (||W||^2 + ||b||^2)
/// scaled by the batch's share of the items (so an epoch adds it once), divided by the batch size;
/// Adam updates the weights (Cornac's and the author's TensorFlow code's choice of optimiser).
/// </summary>
internal sealed class ContentSdae : IDisposable
{
    private static readonly Scalar One = 1.0.ToScalar();
    private static readonly Scalar MinusOne = (-1.0).ToScalar();
    // square() converts its exponent 2 implicitly, and such a Scalar can be finalised while libtorch
    // reads it ("INTERNAL ASSERT FAILED at Scalar.h"): pow with this held one instead.
    private static readonly Scalar Two = 2.0.ToScalar();

    private readonly CdlHyper _hyper;
    private readonly List<(Parameter Weight, Parameter Bias)> _layers = [];
    private readonly optim.Optimizer _adam;
    private readonly SeededRandom _random;
    private readonly Scalar _halfLambdaN, _halfLambdaV;

    public ContentSdae(int vocabulary, CdlHyper hyper, ulong seed)
    {
        _hyper = hyper;
        _random = new SeededRandom(seed);
        Vocabulary = vocabulary;
        int[] widths = [vocabulary, hyper.Hidden, hyper.Factors, hyper.Hidden, vocabulary];
        for (int l = 0; l + 1 < widths.Length; l++)
        {
            var w = new float[widths[l] * widths[l + 1]];
            _random.FillGlorotUniform(w, widths[l], widths[l + 1]);
            var weight = new Parameter(tensor(w, new long[] { widths[l], widths[l + 1] }), requires_grad: true);
            var bias = new Parameter(zeros(1, widths[l + 1], ScalarType.Float32), requires_grad: true);
            weight.DetachFromDisposeScope();
            bias.DetachFromDisposeScope();
            _layers.Add((weight, bias));
        }
        _adam = optim.Adam(_layers.SelectMany(l => new[] { l.Weight, l.Bias }), hyper.LearningRate);
        _halfLambdaN = (hyper.LambdaN / 2).ToScalar();
        _halfLambdaV = (hyper.LambdaV / 2).ToScalar();
    }

    public int Vocabulary { get; }

    /// <summary>Rows of <paramref name="content"/> as a dense batch (the reconstruction's target).</summary>
    private Tensor Dense(CsrMatrix content, ReadOnlySpan<int> rows)
    {
        var dense = new float[(long)rows.Length * Vocabulary];
        for (int r = 0; r < rows.Length; r++)
        {
            var columns = content.Row(rows[r]);
            var values = content.Values is null ? default : content.RowValues(rows[r]);
            for (int a = 0; a < columns.Length; a++)
            {
                dense[(long)r * Vocabulary + columns[a]] = values.IsEmpty ? 1f : values[a];
            }
        }
        return tensor(dense, new long[] { rows.Length, Vocabulary });
    }

    /// <summary>A dropout mask scaled by 1 / (1 - p), rows x width, from the model's own generator.</summary>
    private Tensor DropoutMask(int rows, int width)
    {
        var mask = new float[rows * width];
        float keep = (float)(1 / (1 - _hyper.Dropout));
        for (int a = 0; a < mask.Length; a++) mask[a] = _random.NextDouble() < _hyper.Dropout ? 0f : keep;
        return tensor(mask, new long[] { rows, width });
    }

    /// <summary>
    /// The first layer's pre-activation x W_1 + b_1 of the rows' content with masking noise, from the
    /// stored entries only (a sum of W_1's rows, as an embedding bag): a dense product would cost
    /// rows x S x hidden where the content holds a few terms per item.
    /// </summary>
    private Tensor FirstLayer(CsrMatrix content, ReadOnlySpan<int> rows, double corruption)
    {
        var terms = new List<long>();
        var rowOf = new List<long>();
        var weights = new List<float>();
        for (int r = 0; r < rows.Length; r++)
        {
            var columns = content.Row(rows[r]);
            var values = content.Values is null ? default : content.RowValues(rows[r]);
            for (int a = 0; a < columns.Length; a++)
            {
                if (corruption > 0 && _random.NextDouble() < corruption) continue;
                terms.Add(columns[a]);
                rowOf.Add(r);
                weights.Add(values.IsEmpty ? 1f : values[a]);
            }
        }
        var (w, b) = _layers[0];
        var sum = zeros(rows.Length, w.shape[1], ScalarType.Float32);
        if (terms.Count > 0)
        {
            var picked = w.index_select(0, tensor(terms.ToArray())).mul(tensor(weights.ToArray()).unsqueeze(1));
            sum = sum.index_add(0, tensor(rowOf.ToArray()), picked, One);
        }
        return sum.add(b, One);
    }

    /// <summary>The middle layer f_e and the reconstruction f_r of the rows' content; masking noise and dropout on the hidden-width layers when training.</summary>
    private (Tensor Code, Tensor Reconstruction) Forward(CsrMatrix content, ReadOnlySpan<int> rows, bool training)
    {
        var h = FirstLayer(content, rows, training ? _hyper.Corruption : 0).sigmoid_();
        if (training && _hyper.Dropout > 0) h = h.mul(DropoutMask((int)h.shape[0], (int)h.shape[1]));
        Tensor code = h;
        for (int l = 1; l < _layers.Count; l++)
        {
            var (w, b) = _layers[l];
            h = h.matmul(w).add_(b, One).sigmoid_();
            if (l == 1) code = h;
            // Layers 0 and 2 are the hidden-width ones ([S, hidden] and [K, hidden]).
            if (training && _hyper.Dropout > 0 && l == 2) h = h.mul(DropoutMask((int)h.shape[0], (int)h.shape[1]));
        }
        return (code, h);
    }

    /// <summary>f_e of every row of <paramref name="content"/> on the clean input without dropout: rows x K float32.</summary>
    public Tensor EncodeAll(CsrMatrix content)
    {
        const int chunk = 1024;
        var result = zeros(content.Rows, _hyper.Factors, ScalarType.Float32);
        using var _ = no_grad();
        for (int first = 0; first < content.Rows; first += chunk)
        {
            using var scope = NewDisposeScope();
            int count = Math.Min(chunk, content.Rows - first);
            var rows = Enumerable.Range(first, count).ToArray();
            var (code, _) = Forward(content, rows, training: false);
            result.narrow(0, first, count).copy_(code);
        }
        return result;
    }

    /// <summary>
    /// One pass over the items in a random order. With <paramref name="itemFactors"/> (items x K) the
    /// lambda_v term pulls f_e towards them; without it (pre-training) only reconstruction and the
    /// weight penalty count. Returns the mean loss per item.
    /// </summary>
    public double Epoch(CsrMatrix content, Tensor? itemFactors, CancellationToken cancel)
    {
        int items = content.Rows;
        var order = Enumerable.Range(0, items).ToArray();
        for (int a = items - 1; a > 0; a--)
        {
            int b = _random.NextBelow(a + 1);
            (order[a], order[b]) = (order[b], order[a]);
        }
        double total = 0;
        for (int first = 0; first < items; first += _hyper.BatchSize)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            int count = Math.Min(_hyper.BatchSize, items - first);
            var rows = order.AsSpan(first, count).ToArray();
            using var weightShare = (_hyper.LambdaW / 2 * count / items).ToScalar();
            var clean = Dense(content, rows);
            var (code, reconstruction) = Forward(content, rows, training: true);
            var loss = reconstruction.add(clean, MinusOne).pow(Two).sum().mul(_halfLambdaN);
            if (itemFactors is not null && _hyper.LambdaV > 0)
            {
                var v = itemFactors.index_select(0, tensor(rows.Select(r => (long)r).ToArray()));
                loss = loss.add(v.add(code, MinusOne).pow(Two).sum().mul(_halfLambdaV), One);
            }
            if (_hyper.LambdaW > 0)
                foreach (var (w, b) in _layers) loss = loss.add(w.pow(Two).sum().add(b.pow(Two).sum(), One).mul(weightShare), One);
            using var perItem = (1.0 / count).ToScalar();
            loss = loss.mul(perItem);
            _adam.zero_grad();
            loss.backward();
            _adam.step();
            total += loss.item<float>() * count;
        }
        return total / items;
    }

    public void Dispose()
    {
        _adam.Dispose();
        foreach (var (w, b) in _layers)
        {
            w.Dispose();
            b.Dispose();
        }
        _halfLambdaN.Dispose();
        _halfLambdaV.Dispose();
    }
}
