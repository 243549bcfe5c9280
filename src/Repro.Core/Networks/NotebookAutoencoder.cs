using Repro.Core.Sparse;
using Repro.Core.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Repro.Core.Networks;

/// <summary>
/// The notebook's formulation written literally in TorchSharp with autograd: each batch becomes a
/// dense users-by-items matrix (the notebook's X.toarray()), l2-normalised, passed through
/// torch dropout, and the likelihood is the dense product log_softmax(logits) * x; PyTorch's Adam
/// updates. It is the reference that <see cref="SparseAutoencoder"/>'s hand-written gradients are
/// checked against and the baseline its speed is measured against; it is not used for training.
/// Parameter names and layout match <see cref="SparseAutoencoder"/>, so weights can be copied across.
/// </summary>
public sealed class NotebookAutoencoder : IDisposable
{
    private readonly List<(string Name, Parameter Weight, string BiasName, Parameter Bias, bool Tanh)> _layers = new();
    private readonly int _bottleneck;
    private readonly int _latent;
    private readonly optim.Optimizer _adam;

    public NotebookAutoencoder(int[] encoderDims, int[] decoderDims, bool variational, Likelihood likelihood,
        GaussianConfidence gaussianConfidence, double learningRate, double weightDecay)
    {
        Items = encoderDims[0];
        Variational = variational;
        Likelihood = likelihood;
        GaussianConfidence = gaussianConfidence;
        WeightDecay = weightDecay;
        _latent = encoderDims[^1];
        for (int j = 0; j + 1 < encoderDims.Length; j++)
        {
            bool last = j + 2 == encoderDims.Length;
            int width = last && variational ? 2 * encoderDims[j + 1] : encoderDims[j + 1];
            Add($"q.W{j}", $"q.b{j}", encoderDims[j], width, !(last && variational));
        }
        _bottleneck = variational ? _layers.Count - 1 : -1;
        for (int j = 0; j + 1 < decoderDims.Length; j++)
            Add($"p.W{j}", $"p.b{j}", decoderDims[j], decoderDims[j + 1], j + 2 != decoderDims.Length);
        _adam = optim.Adam(_layers.SelectMany(l => new[] { l.Weight, l.Bias }), learningRate);
    }

    private void Add(string weight, string bias, int rows, int columns, bool tanh)
    {
        var w = new Parameter(torch.empty(rows, columns).DetachFromDisposeScope());
        var b = new Parameter(torch.empty(1, columns).DetachFromDisposeScope());
        w.DetachFromDisposeScope();
        b.DetachFromDisposeScope();
        using (torch.no_grad())
        {
            nn.init.xavier_uniform_(w);
            nn.init.trunc_normal_(b, 0, 0.001, -0.002, 0.002);
        }
        _layers.Add((weight, w, bias, b, tanh));
    }

    public int Items { get; }
    public bool Variational { get; }
    public Likelihood Likelihood { get; }
    public GaussianConfidence GaussianConfidence { get; }
    public double WeightDecay { get; }

    /// <summary>Copies every weight and bias of <paramref name="network"/> (same shape required).</summary>
    public void CopyFrom(SparseAutoencoder network)
    {
        using var _ = torch.no_grad();
        foreach (var (name, w, biasName, b, _) in _layers)
        {
            var source = network.Parameters.Tensor(name);
            w.copy_(network.IsStoredOutByIn(name) ? source.t() : source);
            b.copy_(network.Parameters.Tensor(biasName));
        }
    }

    /// <summary>The gradient of a named parameter after <see cref="Loss"/>'s backward, flattened ([in, out] for weights).</summary>
    public float[] Gradient(string name)
    {
        foreach (var (wn, w, bn, b, _) in _layers)
        {
            if (wn == name) return w.grad!.contiguous().data<float>().ToArray();
            if (bn == name) return b.grad!.contiguous().data<float>().ToArray();
        }
        throw new KeyNotFoundException($"no parameter named {name}");
    }

    /// <summary>The notebook's X.toarray() for a batch.</summary>
    public Tensor Dense(CsrMatrix data, ReadOnlySpan<int> rows)
    {
        var dense = new float[(long)rows.Length * Items];
        for (int u = 0; u < rows.Length; u++)
        {
            var columns = data.Row(rows[u]);
            var values = data.Values is null ? default : data.RowValues(rows[u]);
            for (int k = 0; k < columns.Length; k++) dense[(long)u * Items + columns[k]] = values.IsEmpty ? 1f : values[k];
        }
        return torch.tensor(dense, new long[] { rows.Length, Items });
    }

    /// <summary>
    /// The loss graph on a dense batch <paramref name="x"/>. With <paramref name="noise"/> given it is
    /// used as the reparameterisation's eps ([rows, K]); otherwise eps is drawn from libtorch's generator.
    /// </summary>
    public (Tensor Loss, double NegLogLikelihood, double Kl) Loss(Tensor x, bool training, double keep, double beta, Tensor? noise = null)
    {
        // tf.nn.l2_normalize(x, 1): x / sqrt(max(sum x^2, 1e-12)), then tf.nn.dropout(keep_prob).
        var h = x * torch.rsqrt(x.square().sum(1, keepdim: true).clamp_min(SparseBatch.NormEpsilon));
        h = nn.functional.dropout(h, 1 - keep, training && keep < 1);
        Tensor? mu = null, logVar = null;
        for (int l = 0; l < _layers.Count; l++)
        {
            var (_, w, _, b, tanh) = _layers[l];
            h = h.matmul(w) + b;
            if (tanh) h = h.tanh();
            if (l == _bottleneck)
            {
                mu = h.narrow(1, 0, _latent);
                logVar = h.narrow(1, _latent, _latent);
                var std = (0.5 * logVar).exp();
                var eps = noise ?? torch.randn_like(std);
                h = training ? mu + eps * std : mu;
            }
        }
        var logits = h;
        Tensor negLl = Likelihood switch
        {
            Likelihood.Multinomial => -(nn.functional.log_softmax(logits, 1) * x).sum(1).mean(),
            Likelihood.Gaussian => (0.5 * torch.where(x > 0, (float)GaussianConfidence.Positive, (float)GaussianConfidence.Negative)
                * (x - logits).square()).sum(1).mean(),
            Likelihood.Logistic => (nn.functional.softplus(logits) - x * logits).sum(1).mean(),
            _ => throw new ArgumentOutOfRangeException(nameof(Likelihood)),
        };
        var kl = mu is null ? torch.zeros(1).sum() : (0.5 * (-logVar! + logVar!.exp() + mu.square() - 1)).sum(1).mean();
        var loss = negLl + beta * kl;
        if (WeightDecay > 0)
            foreach (var (_, w, _, _, _) in _layers) loss = loss + WeightDecay * w.square().sum();
        return (loss, negLl.item<float>(), kl.item<float>());
    }

    /// <summary>Zeroes the gradients, runs <see cref="Loss"/> and backward; gradients are then in <see cref="Gradient"/>.</summary>
    public double Backward(Tensor x, bool training, double keep, double beta, Tensor? noise = null)
    {
        _adam.zero_grad();
        var (loss, _, _) = Loss(x, training, keep, beta, noise);
        loss.backward();
        return loss.item<float>();
    }

    /// <summary>One notebook-style training step on <paramref name="rows"/>: dense batch, dropout, autograd, PyTorch Adam.</summary>
    public double TrainStep(CsrMatrix data, ReadOnlySpan<int> rows, double keep, double beta)
    {
        using var scope = torch.NewDisposeScope();
        var x = Dense(data, rows);
        double loss = Backward(x, training: true, keep, beta);
        _adam.step();
        return loss;
    }

    /// <summary>Only PyTorch's Adam step on the current gradients (to time the optimiser alone).</summary>
    public void AdamStep() => _adam.step();

    /// <summary>Notebook-style scoring: dense fold-in batch, no dropout, z = mu, logits copied out.</summary>
    public void Score(CsrMatrix data, ReadOnlySpan<int> rows, Span<float> output)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var x = Dense(data, rows);
        var h = x * torch.rsqrt(x.square().sum(1, keepdim: true).clamp_min(SparseBatch.NormEpsilon));
        for (int l = 0; l < _layers.Count; l++)
        {
            var (_, w, _, b, tanh) = _layers[l];
            h = h.matmul(w) + b;
            if (tanh) h = h.tanh();
            if (l == _bottleneck) h = h.narrow(1, 0, _latent);
        }
        h.contiguous().data<float>().CopyTo(output);
    }

    public void Dispose()
    {
        foreach (var (_, w, _, b, _) in _layers) { w.Dispose(); b.Dispose(); }
    }
}
