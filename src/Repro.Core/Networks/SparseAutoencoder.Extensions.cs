using Repro.Core.Sparse;
using Repro.Core.Training;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Repro.Core.Networks;

/// <summary>
/// What <see cref="AutoencoderOptions"/> adds to the shared network, kept apart from the notebook's
/// forward and backward (SparseAutoencoder.cs calls in here at a few marked points, and only when an
/// option is set, so Mult-VAE's and Mult-DAE's arithmetic is unchanged):
/// - the sigmoid activation;
/// - sparsity (L1 or KL to a target rate) and contractive penalties on the code (spec 5), with their
///   gradients added to the hidden layers' post-activation gradients and, for the contractive
///   penalty's dependence on the weights, to the weight gradients;
/// - Gaussian input noise: x~ = x + sigma N over every item, so x~ W1 = x W1 + sigma N W1 runs as one
///   dense product and W1's gradient gains sigma N^T dpre1 (dense: every row of W1 moves);
/// - a mixture prior (spec 3.2 option A; option B in SparseAutoencoder.DiscreteKl.cs): KL = (1/L) sum_l [log q(z_l | x) - log p(z_l)], log p a
///   log-sum-exp over whole latent vectors (pitfall 1). The prior's part (log p, its gradient in z and in
///   the prior's parameters, and for VampPrior the encoder run on the pseudo-inputs) is TorchSharp
///   autograd on small tensors in float64; d KL / d (mu, logvar) through z = mu + eps exp(logvar / 2) is
///   written out in <see cref="MixtureBottleneckBackward"/>.
/// </summary>
public sealed partial class SparseAutoencoder
{
    private static readonly double Log2Pi = Math.Log(2 * Math.PI);

    /// <summary>The VampPrior code's pseudo-input initialisation N(0.05, 0.01^2) (pseudoinputs_mean, pseudoinputs_std).</summary>
    private const double PseudoInputMean = 0.05, PseudoInputStd = 0.01;

    /// <summary>Standard deviation of the gmm's initial means (near the origin, so that components start alike and separate by learning).</summary>
    private const double InitialMeanStd = 0.1;

    private readonly AutoencoderOptions _options;
    private double _activationPenalty;
    private float[] _noise = [];
    private Tensor? _noiseT;
    private float[][] _columnNorms = [];
    private double[][] _contractiveSums = [];
    private float[] _meanActivation = [];
    private float[] _klGradMu = [], _klGradLv = [];
    private readonly List<(string Name, Tensor Gradient)> _pendingPriorGradients = new();
    private int[] _stepComponentUsers = [];

    /// <summary>The options this network was built with.</summary>
    public AutoencoderOptions Options => _options;

    private int CodeLayer => EncoderDims.Length - 2;

    private bool DenseFirstLayerGradient => _options.Contractive > 0 || _options.InputNoise > 0 || _options.Prior == PriorKind.Vamp;

    private bool HasExtensionGradients => DenseFirstLayerGradient || _options.Prior != PriorKind.Standard;

    // ---------------------------------------------------------------- activation

    private static void Activate(Layer layer, Span<float> values)
    {
        if (layer.Sigmoid) TensorPrimitives.Sigmoid(values, values);
        else TensorPrimitives.Tanh(values, values);
    }

    private static void SigmoidBackward(float[] gradient, float[] activation, int count)
    {
        for (int i = 0; i < count; i++) gradient[i] *= activation[i] * (1 - activation[i]);
    }

    /// <summary>s'(a) as a function of the activation h = s(a).</summary>
    private static double Slope(Layer layer, double h) => layer.Sigmoid ? h * (1 - h) : 1 - h * h;

    /// <summary>d s'(a)^2 / d h, as a function of h.</summary>
    private static double SlopeSquaredDerivative(Layer layer, double h) =>
        layer.Sigmoid ? 2 * h * (1 - h) * (1 - 2 * h) : -4 * h * (1 - h * h);

    // ---------------------------------------------------------------- input noise

    /// <summary>Adds sigma N W1 to layer 1's pre-activation (bias already in), then activates.</summary>
    private void AddInputNoise(int b)
    {
        var noise = _noise.AsSpan(0, b * Items);
        for (int i = 0; i < noise.Length; i++) noise[i] = (float)_random.NextNormal();
        Rows(_outT[0], b).addmm_(Rows(_noiseT!, b), _weightT[0], 1f, (float)_options.InputNoise);
        var layer = _layers[0];
        if (layer.Tanh) Activate(layer, _out[0].AsSpan(0, b * layer.Out));
    }

    // ---------------------------------------------------------------- penalties on the code

    private double ActivationPenalty(int b)
    {
        double total = 0;
        int code = CodeLayer;
        if (_options.Sparsity > 0)
        {
            var layer = _layers[code];
            var h = _out[code].AsSpan(0, b * layer.Out);
            if (_options.SparsityTarget is { } rho)
            {
                MeanActivation(code, b);
                foreach (var m in _meanActivation) total += _options.Sparsity * (rho * Math.Log(rho / m) + (1 - rho) * Math.Log((1 - rho) / (1 - m)));
            }
            else total += _options.Sparsity * TensorPrimitives.SumOfMagnitudes(h) / b;
        }
        if (_options.Contractive > 0)
        {
            if (_columnNorms.Length == 0)
            {
                _columnNorms = Enumerable.Range(0, code + 1).Select(l => new float[_layers[l].Out]).ToArray();
                _contractiveSums = Enumerable.Range(0, code + 1).Select(l => new double[_layers[l].Out]).ToArray();
            }
            for (int l = 0; l <= code; l++)
            {
                var layer = _layers[l];
                int w = layer.Out;
                // ||W_.k||^2 over the layer's inputs (weights stored [in, out]).
                var norms = _columnNorms[l];
                Array.Clear(norms);
                var weight = Parameters.Span(layer.Weight);
                for (int i = 0; i < layer.In; i++)
                {
                    var row = weight.Slice(i * w, w);
                    TensorPrimitives.MultiplyAdd(row, row, norms, norms);
                }
                var sums = _contractiveSums[l];
                Array.Clear(sums);
                var h = _out[l];
                for (int u = 0; u < b; u++)
                    for (int k = 0; k < w; k++)
                    {
                        double s = Slope(layer, h[u * w + k]);
                        sums[k] += s * s;
                    }
                double layerTotal = 0;
                for (int k = 0; k < w; k++) layerTotal += sums[k] * norms[k];
                total += _options.Contractive * layerTotal / b;
            }
        }
        return total;
    }

    /// <summary>rho_hat_k: the batch mean of code unit k, kept inside (0, 1) so the KL stays finite.</summary>
    private void MeanActivation(int code, int b)
    {
        int w = _layers[code].Out;
        if (_meanActivation.Length != w) _meanActivation = new float[w];
        Array.Clear(_meanActivation);
        for (int u = 0; u < b; u++) TensorPrimitives.Add(_meanActivation, _out[code].AsSpan(u * w, w), _meanActivation);
        for (int k = 0; k < w; k++) _meanActivation[k] = Math.Clamp(_meanActivation[k] / b, 1e-6f, 1 - 1e-6f);
    }

    /// <summary>Adds d penalty / d h to layer <paramref name="l"/>'s post-activation gradient (before the activation's backward).</summary>
    private void AddActivationPenaltyGradient(int l, int b)
    {
        int code = CodeLayer;
        if (l > code) return;
        var layer = _layers[l];
        int w = layer.Out;
        var h = _out[l];
        var d = _dPre[l];
        if (l == code && _options.Sparsity > 0)
        {
            float scale = (float)(_options.Sparsity / b);
            if (_options.SparsityTarget is { } rho)
            {
                var unit = new float[w];
                for (int k = 0; k < w; k++) unit[k] = scale * (float)(-rho / _meanActivation[k] + (1 - rho) / (1 - _meanActivation[k]));
                for (int u = 0; u < b; u++) TensorPrimitives.Add(d.AsSpan(u * w, w), unit, d.AsSpan(u * w, w));
            }
            else
                for (int i = 0; i < b * w; i++) d[i] += scale * MathF.Sign(h[i]);
        }
        if (_options.Contractive > 0)
        {
            double scale = _options.Contractive / b;
            var norms = _columnNorms[l];
            for (int u = 0; u < b; u++)
                for (int k = 0; k < w; k++)
                    d[u * w + k] += (float)(scale * SlopeSquaredDerivative(layer, h[u * w + k]) * norms[k]);
        }
    }

    /// <summary>The gradients that reach weights outside the hand-written path: noise, the contractive penalty's weight norms, the prior.</summary>
    private void AddExtensionGradients(int b, float beta)
    {
        if (_options.InputNoise > 0)
            _weightGradT[0].addmm_(Rows(_noiseT!, b).t(), Rows(_dPreT[0], b), 1f, (float)_options.InputNoise);
        if (_options.Contractive > 0)
        {
            // d/dW_ik of lam/b sum_u s'(h_uk)^2 ||W_.k||^2 at fixed h: 2 W_ik lam/b sum_u s'(h_uk)^2.
            for (int l = 0; l <= CodeLayer; l++)
            {
                var layer = _layers[l];
                int w = layer.Out;
                var coefficient = new float[w];
                for (int k = 0; k < w; k++) coefficient[k] = (float)(2 * _options.Contractive / b * _contractiveSums[l][k]);
                var weight = Parameters.Span(layer.Weight);
                var gradient = Gradients.Span(layer.Weight);
                for (int i = 0; i < layer.In; i++)
                    TensorPrimitives.MultiplyAdd(weight.Slice(i * w, w), coefficient, gradient.Slice(i * w, w), gradient.Slice(i * w, w));
            }
        }
        if (_options.Prior != PriorKind.Standard)
        {
            foreach (var s in Gradients.Segments)
                if (s.Name.StartsWith("prior.", StringComparison.Ordinal)) Gradients.Span(s.Name).Clear();
            using var scale = ((double)beta / b).ToScalar();
            foreach (var (name, gradient) in _pendingPriorGradients)
                Gradients.Tensor(name).add_(gradient.to_type(ScalarType.Float32).view(Gradients.Tensor(name).shape), scale);
            DisposePendingPriorGradients();
        }
    }

    // ---------------------------------------------------------------- mixture prior

    private void AddPriorLayout(List<(string, int, int, bool)> layout)
    {
        int c = _options.Components;
        switch (_options.Prior)
        {
            case PriorKind.Gmm:
                layout.Add(("prior.means", c, _latent, false));
                layout.Add(("prior.logvars", c, _latent, false));
                if (_options.LearnWeights) layout.Add(("prior.logits", 1, c, false));
                break;
            case PriorKind.Vamp:
                layout.Add(("prior.pseudo-inputs", c, Items, false));
                break;
        }
    }

    /// <summary>The prior's parameters, from their own stream so the network's weights are those of the same seed without a prior.</summary>
    private void InitialisePrior(ulong seed)
    {
        if (_options.Prior == PriorKind.Standard) return;
        _stepComponentUsers = new int[_options.Components];
        var init = new SeededRandom(seed ^ 0x9E3779B97F4A7C15UL);
        if (_options.Prior == PriorKind.Gmm)
        {
            init.FillTruncatedNormal(Parameters.Span("prior.means"), InitialMeanStd);
            Parameters.Span("prior.logvars").Clear();
            if (_options.LearnWeights) Parameters.Span("prior.logits").Clear();
        }
        else
        {
            var pseudo = Parameters.Span("prior.pseudo-inputs");
            init.FillTruncatedNormal(pseudo, PseudoInputStd);
            for (int i = 0; i < pseudo.Length; i++) pseudo[i] += (float)PseudoInputMean;
        }
    }

    /// <summary>
    /// log N(z_n; m_c, diag exp(v_c)) + log w_c for every row n of <paramref name="z"/> and component c
    /// ([n, C]), through sum_d (z_d - m_d)^2 / s_d^2 = z^2 . 1/s^2 - 2 z . m/s^2 + m^2 . 1/s^2, so that nothing of
    /// n x C x d is formed. Float64, so the expansion stays exact enough at |z| = 1e3.
    /// </summary>
    internal static Tensor ComponentLogDensities(Tensor z, Tensor means, Tensor logVars, Tensor logWeights)
    {
        long d = z.shape[1];
        // Every Scalar here is held until the method returns (PriorScalars, or a using), and every add
        // names its alpha: an implicitly converted Scalar (the 2 of 2 * z, the 1 that a + b and TorchSharp's
        // own add(Scalar) overload create) can be finalised by the garbage collector while libtorch still
        // reads it, which failed intermittently ("Unknown scalar type", "toDouble").
        using var constant = (d * Log2Pi).ToScalar();
        var precision = logVars.neg().exp();
        var quad = z.mul(z).matmul(precision.t())
            .add(z.matmul(means.mul(precision).t()), PriorScalars.MinusTwo)
            .add(means.mul(means).mul(precision).sum(1).unsqueeze(0), PriorScalars.One);
        return quad.add(logVars.sum(1).unsqueeze(0), PriorScalars.One).add(constant, PriorScalars.One).mul(PriorScalars.MinusHalf)
            .add(logWeights.unsqueeze(0), PriorScalars.One);
    }

    /// <summary>log p(z) of the mixture, [n]: a log-sum-exp over whole latent vectors (spec 3.4 pitfall 1).</summary>
    internal static Tensor LogMixtureDensity(Tensor z, Tensor means, Tensor logVars, Tensor logWeights) =>
        ComponentLogDensities(z, means, logVars, logWeights).logsumexp(1);

    /// <summary>The prior's components (means [C, K], floored log-variances [C, K], log-weights [C]) in float64; with <paramref name="leaves"/>, every parameter they read becomes a leaf whose gradient autograd fills.</summary>
    private (Tensor Means, Tensor LogVars, Tensor LogWeights) PriorComponents(List<(string, Tensor)>? leaves)
    {
        Tensor Read(string name)
        {
            var t = Parameters.Tensor(name).detach();
            if (leaves is not null)
            {
                t.requires_grad_(true);
                leaves.Add((name, t));
            }
            return t;
        }
        int c = _options.Components;
        using var floor = _options.LogVarianceFloor.ToScalar();
        using var uniformLogWeight = (-Math.Log(c)).ToScalar();
        if (_options.Prior == PriorKind.Gmm)
        {
            var means = Read("prior.means").to_type(ScalarType.Float64);
            var logVars = Read("prior.logvars").clamp_min(floor).to_type(ScalarType.Float64);
            var logWeights = _options.LearnWeights
                ? Read("prior.logits").view(-1).log_softmax(0).to_type(ScalarType.Float64)
                : torch.full(c, uniformLogWeight, ScalarType.Float64);
            return (means, logVars, logWeights);
        }
        // VampPrior: q(z | u_c) for pseudo-inputs u_c in [0, 1] (the VampPrior code's hardtanh), through
        // the encoder as a user row goes: l2-normalised, no dropout.
        var u = Read("prior.pseudo-inputs").clamp(PriorScalars.Zero, PriorScalars.One);
        var h = u.mul(u.mul(u).sum(1, keepdim: true).clamp_min(PriorScalars.NormEpsilon).rsqrt());
        for (int l = 0; l <= _bottleneck; l++)
        {
            var layer = _layers[l];
            h = h.matmul(Read(layer.Weight)).add(Read(layer.Bias), PriorScalars.One);
            if (layer.Tanh) h = layer.Sigmoid ? h.sigmoid() : h.tanh();
        }
        var mu = h.narrow(1, 0, _latent).to_type(ScalarType.Float64);
        var lv = h.narrow(1, _latent, _latent).clamp_min(floor).to_type(ScalarType.Float64);
        return (mu, lv, torch.full(c, uniformLogWeight, ScalarType.Float64));
    }

    /// <summary>
    /// The summed Monte-Carlo KL over the batch; training, also d KL_u / d (mu, logvar) per user (kept for
    /// the backward) and d sum_u KL_u / d (prior's parameters) (kept until the backward scales them by beta / b).
    /// </summary>
    private double MixtureKl(int b, bool training, bool wantKl)
    {
        DisposePendingPriorGradients();
        if (training) Array.Clear(_stepComponentUsers);
        if (!wantKl) return 0;
        if (_options.KlEstimator == KlEstimator.Discrete) return DiscreteMixtureKl(b, training);
        int k = _latent, samples = training ? _options.Samples : 1;
        var h = _out[_bottleneck];
        var z = new double[(long)samples * b * k];
        var extraEps = samples > 1 ? new float[(long)(samples - 1) * b * k] : [];
        double logQ = 0;
        for (int l = 0; l < samples; l++)
            for (int u = 0; u < b; u++)
                for (int j = 0; j < k; j++)
                {
                    float mu = h[u * 2 * k + j], lv = h[u * 2 * k + k + j];
                    float e;
                    if (l == 0)
                    {
                        e = _eps[u * k + j];
                        z[u * k + j] = _z[u * k + j]; // the decoder's z (mu when not training)
                    }
                    else
                    {
                        e = (float)_random.NextNormal();
                        extraEps[((long)(l - 1) * b + u) * k + j] = e;
                        z[((long)l * b + u) * k + j] = mu + e * MathF.Exp(0.5f * lv);
                    }
                    // log q(z | x) at z = mu + e sigma: -0.5 (log 2 pi + logvar + e^2) per dimension.
                    logQ += -0.5 * (Log2Pi + lv + (double)e * e);
                }
        using var scope = torch.NewDisposeScope();
        using var gradMode = training ? torch.enable_grad() : torch.no_grad();
        var leaves = training ? new List<(string, Tensor)>() : null;
        var zT = torch.tensor(z, new long[] { (long)samples * b, k });
        if (training) zT.requires_grad_(true);
        var (means, logVars, logWeights) = PriorComponents(leaves);
        if (training) CountStepComponents(b, means, logVars, logWeights);
        using var samplesScalar = ((double)samples).ToScalar();
        var negLogPrior = LogMixtureDensity(zT, means, logVars, logWeights).sum().neg().div(samplesScalar);
        double kl = logQ / samples + negLogPrior.item<double>();
        if (training)
        {
            negLogPrior.backward();
            var g = zT.grad!.data<double>().ToArray();
            for (int u = 0; u < b; u++)
                for (int j = 0; j < k; j++)
                {
                    float lv = h[u * 2 * k + k + j];
                    double sigma = Math.Exp(0.5 * lv), dMu = 0, dLv = -0.5; // log q's own -0.5 per sample, averaged
                    for (int l = 0; l < samples; l++)
                    {
                        double gz = g[((long)l * b + u) * k + j];
                        double e = l == 0 ? _eps[u * k + j] : extraEps[((long)(l - 1) * b + u) * k + j];
                        dMu += gz;
                        dLv += gz * 0.5 * e * sigma;
                    }
                    _klGradMu[u * k + j] = (float)dMu;
                    _klGradLv[u * k + j] = (float)dLv;
                }
            foreach (var (name, leaf) in leaves!)
                if (leaf.grad is { } grad) _pendingPriorGradients.Add((name, grad.detach().clone().DetachFromDisposeScope()));
        }
        return kl;
    }

    /// <summary>d loss / d (mu, logvar) from d loss / d z and the mixture KL's own gradient.</summary>
    private void MixtureBottleneckBackward(int b, float beta)
    {
        int k = _latent;
        var h = _out[_bottleneck];
        var d = _dPre[_bottleneck];
        float scale = beta / b;
        for (int u = 0; u < b; u++)
            for (int j = 0; j < k; j++)
            {
                float lv = h[u * 2 * k + k + j];
                float dz = _dz[u * k + j], e = _eps[u * k + j];
                d[u * 2 * k + j] = dz + scale * _klGradMu[u * k + j];
                d[u * 2 * k + k + j] = dz * e * 0.5f * MathF.Exp(0.5f * lv) + scale * _klGradLv[u * k + j];
            }
    }

    /// <summary>
    /// Users of <paramref name="data"/> per mixture component, each user counted at the component of
    /// highest responsibility for z = mu (spec 3.4 pitfall 2: component collapse). Null without a mixture prior.
    /// </summary>
    public int[]? ComponentUsage(CsrMatrix data)
    {
        if (_options.Prior == PriorKind.Standard) return null;
        CheckMatrix(data);
        var counts = new int[_options.Components];
        var rows = Enumerable.Range(0, data.Rows).ToArray();
        for (int start = 0; start < rows.Length; start += _capacity)
        {
            int n = Math.Min(_capacity, rows.Length - start);
            _batch.Load(data, rows.AsSpan(start, n), 1.0, null);
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            Forward(n, training: false, kl: false);
            var (means, logVars, logWeights) = PriorComponents(null);
            foreach (var c in AssignComponents(n, means, logVars, logWeights)) counts[c]++;
        }
        return counts;
    }

    /// <summary>The component of highest responsibility at z = mu for each of the batch's <paramref name="b"/> rows.</summary>
    private long[] AssignComponents(int b, Tensor means, Tensor logVars, Tensor logWeights)
    {
        using var noGrad = torch.no_grad();
        var h = _out[_bottleneck];
        var mu = new double[b * _latent];
        for (int u = 0; u < b; u++)
            for (int j = 0; j < _latent; j++) mu[u * _latent + j] = h[u * 2 * _latent + j];
        return ComponentLogDensities(torch.tensor(mu, new long[] { b, _latent }), means.detach(), logVars.detach(), logWeights.detach())
            .argmax(1).data<long>().ToArray();
    }

    /// <summary>The training step's users per component (at z = mu under the step's input dropout), for epochs.tsv.</summary>
    private void CountStepComponents(int b, Tensor means, Tensor logVars, Tensor logWeights)
    {
        foreach (var c in AssignComponents(b, means, logVars, logWeights)) _stepComponentUsers[c]++;
    }

    /// <summary>Adds the last training step's users per component to <paramref name="sums"/> (length = components).</summary>
    public void AddStepComponentUsers(Span<double> sums)
    {
        if (sums.Length != _stepComponentUsers.Length) throw new ArgumentException($"sums hold {sums.Length} counters, the prior has {_stepComponentUsers.Length} components");
        for (int c = 0; c < sums.Length; c++) sums[c] += _stepComponentUsers[c];
    }

    // ---------------------------------------------------------------- buffers

    private void EnsureExtensionCapacity(int rows)
    {
        if (_options.InputNoise > 0)
        {
            _noise = Pinned((long)rows * Items);
            _noiseT = View(_noise, rows, Items);
        }
        if (_options.Prior != PriorKind.Standard)
        {
            _klGradMu = new float[rows * _latent];
            _klGradLv = new float[rows * _latent];
        }
    }

    private void DisposePendingPriorGradients()
    {
        foreach (var (_, g) in _pendingPriorGradients) g.Dispose();
        _pendingPriorGradients.Clear();
    }

    private void DisposeExtensionBuffers()
    {
        _noiseT?.Dispose();
        _noiseT = null;
        DisposePendingPriorGradients();
    }
}

/// <summary>
/// The constant Scalars of the mixture prior's libtorch arithmetic, held for the process's life: an
/// implicitly converted Scalar can be finalised by the garbage collector while libtorch still reads it.
/// </summary>
internal static class PriorScalars
{
    public static readonly Scalar One = 1.0.ToScalar();
    public static readonly Scalar Zero = 0.0.ToScalar();
    public static readonly Scalar MinusTwo = (-2.0).ToScalar();
    public static readonly Scalar MinusHalf = (-0.5).ToScalar();
    public static readonly Scalar NormEpsilon = SparseBatch.NormEpsilon.ToScalar();
}
