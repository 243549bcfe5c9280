using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;
using Repro.Core.Data.Cache;
using Repro.Core.Sparse;
using Repro.Core.Training;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Repro.Core.Networks;

/// <summary>Wall-clock milliseconds of the phases of the last training step (for benchmarks and progress).</summary>
public readonly record struct StepProfile(double Batch, double Forward, double Likelihood, double Backward, double Optimizer)
{
    public double Total => Batch + Forward + Likelihood + Backward + Optimizer;
}

/// <summary>
/// The network shared by Mult-VAE and Mult-DAE (spec 2.1 and 2.2, from the notebook's MultiVAE and MultiDAE classes): an MLP autoencoder whose
/// first layer reads a sparse batch, with tanh on every hidden layer and none on the encoder's
/// Gaussian parameters or on the output logits.
/// Encoder dims q = [I, ..., K] and decoder dims p = [K, ..., I]. When variational, the encoder's
/// last layer emits 2K units split into mu (first K) and logvar (last K), and
/// z = mu + eps exp(logvar / 2) when training, z = mu when scoring. Otherwise the encoder's output
/// (tanh) feeds the decoder directly, as in the notebook's MultiDAE.
///
/// Forward and backward are written out by hand rather than left to autograd, so that nothing of
/// batch size times items is allocated per batch and the sparse input is never densified:
/// - layer 1 computes x W1 as a sum of the rows of W1 picked by the batch's nonzeros, and its weight
///   gradient touches only those rows;
/// - every matrix product runs in libtorch (addmm_ into preallocated buffers, which are pinned C#
///   arrays that libtorch views through torch.frombuffer);
/// - the loss, the output bias, tanh and the reparameterisation run in C# over those arrays;
/// - Adam is <see cref="TfAdam"/>, one fused pass over flat buffers.
/// Weights are stored [in, out] (x W + b, as TF) except the output layer's, stored [out, in] (x W^T + b,
/// as a PyTorch Linear) because its three large products run about 6% faster that way; initialised Glorot-uniform; biases truncated
/// N(0, 0.001^2) (spec 2.1, "Init").
/// </summary>
public sealed partial class SparseAutoencoder : IDisposable
{
    /// <param name="OutByIn">The weight is stored [out, in] (the output layer, where that layout makes the three big products faster) rather than [in, out].</param>
    /// <param name="Sigmoid">The layer's activation is the sigmoid rather than tanh (when it has one; <see cref="AutoencoderOptions.Activation"/>).</param>
    private sealed record Layer(int Index, int In, int Out, bool Tanh, string Weight, string Bias, bool OutByIn = false, bool Sigmoid = false);

    private readonly Layer[] _layers;
    private readonly int _bottleneck; // index of the layer emitting (mu, logvar), or -1
    private readonly int _latent;
    private readonly int _workers;
    private readonly SeededRandom _random;
    private readonly Tensor[] _weightT;
    private readonly Tensor[] _weightGradT;
    private readonly SparseBatch _batch = new();
    private readonly SparseRowGradient _firstLayerGradient;

    private int _capacity;
    private float[][] _out = [];
    private float[][] _dPre = [];
    private float[] _z = [], _eps = [], _dz = [];
    private Tensor[] _outT = [], _dPreT = [];
    private Tensor? _zT, _dzT;
    private readonly float[][] _workerBias;
    private readonly float[][] _workerScratch;

    public SparseAutoencoder(int[] encoderDims, int[] decoderDims, bool variational, Likelihood likelihood,
        GaussianConfidence gaussianConfidence, double learningRate, double weightDecay, ulong seed, int batchCapacity,
        AutoencoderOptions? options = null)
    {
        _options = options ?? AutoencoderOptions.None;
        _options.Validate(variational);
        Bf16Support.Require(_options.Precision);
        bool sigmoid = _options.Activation == HiddenActivation.Sigmoid;
        if (encoderDims.Length < 2 || decoderDims.Length < 2) throw new ArgumentException("encoder and decoder need at least one layer each");
        if (encoderDims[^1] != decoderDims[0]) throw new ArgumentException($"encoder output {encoderDims[^1]} differs from decoder input {decoderDims[0]}");
        if (encoderDims[0] != decoderDims[^1]) throw new ArgumentException($"input width {encoderDims[0]} differs from output width {decoderDims[^1]}");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), $"weight decay must be >= 0, got {weightDecay}");
        Items = encoderDims[0];
        EncoderDims = (int[])encoderDims.Clone();
        DecoderDims = (int[])decoderDims.Clone();
        Variational = variational;
        Likelihood = likelihood;
        GaussianConfidence = gaussianConfidence;
        WeightDecay = weightDecay;
        _latent = encoderDims[^1];

        var layers = new List<Layer>();
        var layout = new List<(string, int, int, bool)>();
        for (int j = 0; j + 1 < encoderDims.Length; j++)
        {
            bool last = j + 2 == encoderDims.Length;
            int outWidth = last && variational ? 2 * encoderDims[j + 1] : encoderDims[j + 1];
            layers.Add(new Layer(layers.Count, encoderDims[j], outWidth, !(last && variational), $"q.W{j}", $"q.b{j}", Sigmoid: sigmoid));
        }
        _bottleneck = variational ? layers.Count - 1 : -1;
        for (int j = 0; j + 1 < decoderDims.Length; j++)
        {
            bool last = j + 2 == decoderDims.Length;
            layers.Add(new Layer(layers.Count, decoderDims[j], decoderDims[j + 1], !last, $"p.W{j}", $"p.b{j}", OutByIn: last, Sigmoid: sigmoid));
        }
        _layers = layers.ToArray();
        foreach (var l in _layers)
        {
            layout.Add(l.OutByIn ? (l.Weight, l.Out, l.In, true) : (l.Weight, l.In, l.Out, true));
            layout.Add((l.Bias, 1, l.Out, false));
        }
        AddPriorLayout(layout);
        Parameters = new FlatParameters(layout);
        Gradients = Parameters.SameLayout();
        Optimizer = new TfAdam(Parameters, Gradients, learningRate);
        _weightT = _layers.Select(l => Parameters.Tensor(l.Weight)).ToArray();
        _weightGradT = _layers.Select(l => Gradients.Tensor(l.Weight)).ToArray();
        _firstLayerGradient = new SparseRowGradient(Items, _layers[0].Out);
        _outputProducts = OutputLayerProducts.Create(_options.Precision, _weightT[^1].shape[0], _weightT[^1].shape[1], _layers[^1].In, _layers[^1].Out);

        // Initialisation (spec 2.1 "Init"): Glorot-uniform weights, truncated N(0, 0.001^2) biases.
        var init = new SeededRandom(seed);
        foreach (var l in _layers)
        {
            init.FillGlorotUniform(Parameters.Span(l.Weight), l.In, l.Out);
            init.FillTruncatedNormal(Parameters.Span(l.Bias), 0.001);
        }
        _random = new SeededRandom(seed ^ 0x5DEECE66DUL);
        InitialisePrior(seed);

        _workers = Math.Max(1, Environment.ProcessorCount); // parts of a batch: float sums depend on it, so not on --threads
        _workerBias = Enumerable.Range(0, _workers).Select(_ => new float[Items]).ToArray();
        _workerScratch = Enumerable.Range(0, _workers).Select(_ => new float[Items]).ToArray();
        EnsureCapacity(Math.Max(1, batchCapacity));
    }

    public int Items { get; }
    public int[] EncoderDims { get; }
    public int[] DecoderDims { get; }
    public bool Variational { get; }
    public Likelihood Likelihood { get; }
    public GaussianConfidence GaussianConfidence { get; }

    /// <summary>lam in the penalty lam sum ||W||^2 (weights only).</summary>
    public double WeightDecay { get; }

    public FlatParameters Parameters { get; }
    public FlatParameters Gradients { get; }
    public TfAdam Optimizer { get; }
    public long ParameterCount => Parameters.Count;

    /// <summary>
    /// True when the named weight is stored [out, in] (the output layer) instead of [in, out]:
    /// x W + b becomes x W^T + b. Only the storage differs.
    /// </summary>
    public bool IsStoredOutByIn(string weight) =>
        _layers.FirstOrDefault(l => l.Weight == weight) is { } layer ? layer.OutByIn : throw new KeyNotFoundException($"no weight named {weight}");

    /// <summary>Phase timings of the last training step.</summary>
    public StepProfile LastProfile { get; private set; }

    /// <summary>Nonzeros that entered the first layer in the last batch (after dropout).</summary>
    public int LastInputNonZeros => _batch.InputCount;

    private static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;

    /// <summary>The reparameterisation noise of the last training batch, [rows, K] row-major (tests compare against autograd).</summary>
    internal ReadOnlySpan<float> LastNoise => _eps.AsSpan(0, _batch.Rows * _latent);

    /// <summary>Reseeds the generator of dropout masks and reparameterisation noise.</summary>
    public void Reseed(ulong seed) => _random.Reseed(seed);

    /// <summary>
    /// Standard deviation of the reparameterisation noise eps when training: 1 (Liang et al.) unless
    /// set; LOCA's MultVAE draws eps ~ N(0, 0.01^2) (spec seed-models 1.8 item 5).
    /// </summary>
    public double NoiseStd
    {
        get => _noiseStd;
        set => _noiseStd = value >= 0 && double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(value), $"noise std must be >= 0 and finite, got {value}");
    }
    private double _noiseStd = 1.0;

    // ---------------------------------------------------------------- public operations

    /// <summary>
    /// One gradient update on <paramref name="rows"/> of <paramref name="data"/> with input keep
    /// probability <paramref name="keep"/> and KL weight <paramref name="beta"/>; returns the batch's
    /// loss before the update. With <paramref name="rowWeights"/> (one positive weight per row) each
    /// row's likelihood term is multiplied by its weight, the KL term is not: LOCA's kernel-weighted
    /// local training (LOCA_VAE.py, spec seed-models 1.1 item 6).
    /// </summary>
    public BatchLoss TrainStep(CsrMatrix data, ReadOnlySpan<int> rows, double keep, double beta, ReadOnlySpan<float> rowWeights = default)
    {
        var loss = ComputeGradients(data, rows, keep, beta, includePenalty: false, rowWeights);
        long t0 = Stopwatch.GetTimestamp();
        double squares = Optimizer.Step(WeightDecay);
        ClearFirstLayerGradient();
        LastProfile = LastProfile with { Optimizer = Stopwatch.GetElapsedTime(t0).TotalMilliseconds };
        double penalty = WeightDecay * squares;
        return loss with { Loss = loss.Loss + penalty, Penalty = _options.HasActivationPenalty ? loss.Penalty + penalty : penalty };
    }

    /// <summary>
    /// Forward and backward on a batch, leaving d loss / d parameters in <see cref="Gradients"/>
    /// (without the weight penalty's gradient, which <see cref="TfAdam"/> adds in its pass).
    /// </summary>
    internal BatchLoss ComputeGradients(CsrMatrix data, ReadOnlySpan<int> rows, double keep, double beta, bool includePenalty = true,
        ReadOnlySpan<float> rowWeights = default)
    {
        CheckMatrix(data);
        if (rows.Length == 0) throw new ArgumentException("a batch needs at least one row", nameof(rows));
        float[]? weights = rowWeights.IsEmpty ? null : CheckedRowWeights(rowWeights, rows.Length);
        long t0 = Stopwatch.GetTimestamp();
        ClearFirstLayerGradient();
        _batch.Load(data, rows, keep, _random);
        EnsureCapacity(_batch.Rows);
        using var scope = torch.NewDisposeScope();
        int b = _batch.Rows;
        long t1 = Stopwatch.GetTimestamp();
        double klSum = Forward(b, training: true);
        long t2 = Stopwatch.GetTimestamp();
        double nllSum = OutputPass(b, 1f / b, gradient: true, weights);
        long t3 = Stopwatch.GetTimestamp();
        Backward(b, (float)beta);
        long t4 = Stopwatch.GetTimestamp();
        LastProfile = new StepProfile(Ms(t0, t1), Ms(t1, t2), Ms(t2, t3), Ms(t3, t4), 0);
        double kl = klSum / b, nll = nllSum / b;
        double penalty = includePenalty ? WeightDecay * SumSquaredWeights() : 0;
        if (_options.HasActivationPenalty) penalty += _activationPenalty;
        return new BatchLoss(nll + beta * kl + penalty, nll, kl, penalty);
    }

    /// <summary>The loss on a batch without dropout and with z = mu (no update, deterministic).</summary>
    public BatchLoss Evaluate(CsrMatrix data, ReadOnlySpan<int> rows, double beta)
    {
        CheckMatrix(data);
        double nll = 0, kl = 0, activationPenalty = 0;
        for (int start = 0; start < rows.Length; start += _capacity)
        {
            var chunk = rows.Slice(start, Math.Min(_capacity, rows.Length - start));
            _batch.Load(data, chunk, 1.0, null);
            using var scope = torch.NewDisposeScope();
            kl += Forward(chunk.Length, training: false);
            nll += OutputPass(chunk.Length, 0f, gradient: false);
            activationPenalty += _activationPenalty * chunk.Length;
        }
        int n = Math.Max(1, rows.Length);
        double penalty = WeightDecay * SumSquaredWeights();
        if (_options.HasActivationPenalty) penalty += activationPenalty / n;
        return new BatchLoss(nll / n + beta * kl / n + penalty, nll / n, kl / n, penalty);
    }

    /// <summary>
    /// Scores every item for each of <paramref name="rows"/> of <paramref name="foldIn"/> into
    /// <paramref name="output"/> (rows.Length x Items, row-major): the output layer's f_u with z = mu and
    /// no dropout (spec 7 pitfall 9). Items in a user's fold-in row get negative infinity, so a top-k
    /// over the output never recommends them.
    /// </summary>
    public void Score(CsrMatrix foldIn, ReadOnlySpan<int> rows, Span<float> output)
    {
        CheckMatrix(foldIn);
        if (output.Length < (long)rows.Length * Items) throw new ArgumentException($"output holds {output.Length} floats, needs {(long)rows.Length * Items}");
        var bias = Parameters.Span(_layers[^1].Bias);
        var logits = _out[^1];
        for (int start = 0; start < rows.Length; start += _capacity)
        {
            var chunk = rows.Slice(start, Math.Min(_capacity, rows.Length - start));
            _batch.Load(foldIn, chunk, 1.0, null);
            using (torch.NewDisposeScope()) Forward(chunk.Length, training: false, kl: false);
            for (int u = 0; u < chunk.Length; u++)
            {
                var target = output.Slice((start + u) * Items, Items);
                TensorPrimitives.Add(logits.AsSpan(u * Items, Items), bias, target);
                for (int k = _batch.TargetStart[u]; k < _batch.TargetStart[u + 1]; k++)
                    target[_batch.TargetColumn[k]] = float.NegativeInfinity;
            }
        }
    }

    /// <summary>
    /// The encoder's mean mu of each of <paramref name="rows"/> of <paramref name="data"/> into
    /// <paramref name="output"/> (rows.Length x latent, row-major): LOCA's user embedding (spec
    /// seed-models 1.1). No input dropout unless <paramref name="keep"/> &lt; 1, when this network's
    /// own random stream drops inputs as a training step does (LOCA's code embeds in train mode).
    /// Variational networks only; changes no weight.
    /// </summary>
    public void Encode(CsrMatrix data, ReadOnlySpan<int> rows, Span<float> output, double keep = 1.0)
    {
        if (!Variational) throw new InvalidOperationException("only a variational network has an encoder mean");
        CheckMatrix(data);
        int k = _latent;
        if (output.Length < (long)rows.Length * k) throw new ArgumentException($"output holds {output.Length} floats, needs {(long)rows.Length * k}");
        for (int start = 0; start < rows.Length; start += _capacity)
        {
            var chunk = rows.Slice(start, Math.Min(_capacity, rows.Length - start));
            _batch.Load(data, chunk, keep, keep < 1 ? _random : null);
            using (torch.NewDisposeScope()) Forward(chunk.Length, training: false);
            for (int u = 0; u < chunk.Length; u++)
                _out[_bottleneck].AsSpan(u * 2 * k, k).CopyTo(output.Slice((start + u) * k, k));
        }
    }

    public double SumSquaredWeights()
    {
        double total = 0;
        foreach (var s in Parameters.Segments)
            if (s.IsWeight) total += TensorPrimitives.SumOfSquares(Parameters.Span(s.Name));
        return total;
    }

    // ---------------------------------------------------------------- save and load

    private const string ArchiveKind = "SparseAutoencoder";
    private const int ArchiveVersion = 1;

    /// <summary>Writes the weights (and, with <paramref name="withOptimizer"/>, Adam's moments and step count) atomically.</summary>
    public void Save(string path, bool withOptimizer = false) =>
        BinaryArchive.Write(path, ArchiveKind, ArchiveVersion, Parameters.LayoutKey, w =>
        {
            w.Write(Parameters.Data);
            w.Write(withOptimizer ? 1 : 0);
            if (withOptimizer)
            {
                w.Write(Optimizer.Steps);
                w.Write(Optimizer.FirstMoment);
                w.Write(Optimizer.SecondMoment);
            }
        });

    /// <summary>Reads what <see cref="Save"/> wrote for a network of this shape; restores Adam's state when the file holds it.</summary>
    public void Load(string path) =>
        BinaryArchive.Read(path, ArchiveKind, ArchiveVersion, Parameters.LayoutKey, r =>
        {
            var p = r.ReadSingleArray();
            if (p.Length != Parameters.Data.Length) throw new StaleCacheException(path, $"holds {p.Length} parameters, expected {Parameters.Data.Length}");
            bool withOptimizer = r.ReadInt32() == 1;
            if (withOptimizer)
            {
                long steps = r.ReadInt64();
                var m = r.ReadSingleArray();
                var v = r.ReadSingleArray();
                Optimizer.Restore(steps, m, v);
            }
            p.CopyTo(Parameters.Data, 0);
            return 0;
        });

    // ---------------------------------------------------------------- forward

    private Tensor Rows(Tensor full, int b) => full.narrow(0, 0, b);

    private Tensor InputTensor(int l, int b) =>
        Variational && l == _bottleneck + 1 ? Rows(_zT!, b) : Rows(_outT[l - 1], b);

    /// <summary>
    /// Runs the network on the loaded batch; returns the summed KL (0 when not variational; with a
    /// mixture prior 0 when <paramref name="kl"/> is false, as scoring needs no KL).
    /// </summary>
    private double Forward(int b, bool training, bool kl = true)
    {
        bool noisy = training && _options.InputNoise > 0;
        SparseFirstLayer(b, activate: !noisy);
        if (noisy) AddInputNoise(b);
        double klSum = 0;
        if (_bottleneck == 0) klSum = Bottleneck(b, training, kl);
        for (int l = 1; l < _layers.Length; l++)
        {
            LayerProduct(l, b);
            if (l < _layers.Length - 1) BiasAndActivation(l, b); // the output bias joins the loss pass
            if (l == _bottleneck) klSum = Bottleneck(b, training, kl);
        }
        if (_options.HasActivationPenalty) _activationPenalty = ActivationPenalty(b);
        return klSum;
    }

    private void SparseFirstLayer(int b, bool activate = true)
    {
        var layer = _layers[0];
        int width = layer.Out;
        var w = Parameters.Data;
        int wOffset = (int)Parameters.Segment(layer.Weight).Offset;
        var p = Parameters.Data;
        int biasOffset = (int)Parameters.Segment(layer.Bias).Offset;
        var output = _out[0];
        var batch = _batch;
        ForRows(b, (from, to, _) =>
        {
            for (int u = from; u < to; u++)
            {
                var row = output.AsSpan(u * width, width);
                p.AsSpan(biasOffset, width).CopyTo(row);
                for (int k = batch.InputStart[u]; k < batch.InputStart[u + 1]; k++)
                    TensorPrimitives.MultiplyAdd(w.AsSpan(wOffset + batch.InputColumn[k] * width, width), batch.InputValue[k], row, row);
                if (layer.Tanh && activate) Activate(layer, row);
            }
        });
    }

    private void BiasAndActivation(int l, int b)
    {
        var layer = _layers[l];
        var bias = Parameters.Span(layer.Bias);
        var output = _out[l].AsSpan(0, b * layer.Out);
        for (int u = 0; u < b; u++)
        {
            var row = output.Slice(u * layer.Out, layer.Out);
            TensorPrimitives.Add(row, bias, row);
        }
        if (layer.Tanh) Activate(layer, output);
    }

    /// <summary>Splits the bottleneck layer's output into mu and logvar, forms z, returns the summed KL.</summary>
    private double Bottleneck(int b, bool training, bool wantKl = true)
    {
        int k = _latent;
        var h = _out[_bottleneck];
        double kl = 0;
        for (int u = 0; u < b; u++)
        {
            var mu = h.AsSpan(u * 2 * k, k);
            var logVar = h.AsSpan(u * 2 * k + k, k);
            var z = _z.AsSpan(u * k, k);
            var eps = _eps.AsSpan(u * k, k);
            for (int j = 0; j < k; j++)
            {
                double lv = logVar[j], m = mu[j];
                kl += 0.5 * (-lv + Math.Exp(lv) + m * m - 1);
                if (training)
                {
                    float e = (float)(_random.NextNormal() * _noiseStd);
                    eps[j] = e;
                    z[j] = mu[j] + e * MathF.Exp(0.5f * logVar[j]);
                }
                else
                {
                    eps[j] = 0;
                    z[j] = mu[j];
                }
            }
        }
        if (_options.Prior != PriorKind.Standard) kl = MixtureKl(b, training, wantKl);
        return kl;
    }

    private static float[] CheckedRowWeights(ReadOnlySpan<float> rowWeights, int rows)
    {
        if (rowWeights.Length != rows) throw new ArgumentException($"{rowWeights.Length} row weights for {rows} rows", nameof(rowWeights));
        foreach (float w in rowWeights)
            if (!(w > 0) || !float.IsFinite(w)) throw new ArgumentOutOfRangeException(nameof(rowWeights), $"row weights must be > 0 and finite (leave zero-weight rows out of the batch), got {w}");
        return rowWeights.ToArray();
    }

    /// <summary>
    /// The output bias and the likelihood over the logits; with a gradient, leaves d loss / d logits in place.
    /// With <paramref name="rowWeights"/>, row u's likelihood and its gradient are multiplied by its weight.
    /// </summary>
    private double OutputPass(int b, float gradientScale, bool gradient, float[]? rowWeights = null)
    {
        var last = _layers[^1];
        var p = Parameters.Data;
        int biasOffset = (int)Parameters.Segment(last.Bias).Offset;
        var logits = _out[^1];
        var sums = new double[_workers];
        foreach (var acc in _workerBias) Array.Clear(acc);
        var batch = _batch;
        ForRows(b, (from, to, worker) =>
        {
            if (rowWeights is null)
                sums[worker] = OutputLoss.Rows(Likelihood, GaussianConfidence, logits, Items, p.AsSpan(biasOffset, Items), batch, from, to,
                    gradient ? gradientScale : 0f, _workerBias[worker], _workerScratch[worker]);
            else
                for (int u = from; u < to; u++)
                    sums[worker] += rowWeights[u] * OutputLoss.Rows(Likelihood, GaussianConfidence, logits, Items, p.AsSpan(biasOffset, Items), batch, u, u + 1,
                        gradient ? gradientScale * rowWeights[u] : 0f, _workerBias[worker], _workerScratch[worker]);
        });
        if (gradient)
        {
            var gb = Gradients.Span(last.Bias);
            gb.Clear();
            foreach (var acc in _workerBias) TensorPrimitives.Add(gb, acc, gb);
        }
        double total = 0;
        foreach (var s in sums) total += s;
        return total;
    }

    // ---------------------------------------------------------------- backward

    private void Backward(int b, float beta)
    {
        for (int l = _layers.Length - 1; l >= 1; l--)
        {
            var layer = _layers[l];
            var dPre = l == _layers.Length - 1 ? Rows(_outT[l], b) : Rows(_dPreT[l], b);
            WeightGradientProduct(l, b, dPre);
            if (l < _layers.Length - 1) ColumnSums(_dPre[l], b, layer.Out, Gradients.Span(layer.Bias));
            if (Variational && l == _bottleneck + 1)
            {
                InputGradientProduct(l, b, dPre, Rows(_dzT!, b));
                if (_options.Prior == PriorKind.Standard) BottleneckBackward(b, beta);
                else MixtureBottleneckBackward(b, beta);
            }
            else
            {
                InputGradientProduct(l, b, dPre, Rows(_dPreT[l - 1], b));
                if (_options.HasActivationPenalty) AddActivationPenaltyGradient(l - 1, b);
                if (_layers[l - 1].Tanh)
                {
                    if (_layers[l - 1].Sigmoid) SigmoidBackward(_dPre[l - 1], _out[l - 1], b * _layers[l - 1].Out);
                    else TanhBackward(_dPre[l - 1], _out[l - 1], b * _layers[l - 1].Out);
                }
            }
        }
        if (_layers.Length == 1) throw new InvalidOperationException("unreachable: the network has an encoder and a decoder layer");
        SparseFirstLayerBackward(b);
        if (HasExtensionGradients) AddExtensionGradients(b, beta);
    }

    /// <summary>d loss / d (mu, logvar) from d loss / d z and the KL term.</summary>
    private void BottleneckBackward(int b, float beta)
    {
        int k = _latent;
        var h = _out[_bottleneck];
        var d = _dPre[_bottleneck];
        float scale = beta / b;
        for (int u = 0; u < b; u++)
        {
            for (int j = 0; j < k; j++)
            {
                float mu = h[u * 2 * k + j], lv = h[u * 2 * k + k + j];
                float dz = _dz[u * k + j], e = _eps[u * k + j];
                // z = mu + e exp(lv / 2); KL = 0.5 (-lv + exp(lv) + mu^2 - 1)
                d[u * 2 * k + j] = dz + scale * mu;
                d[u * 2 * k + k + j] = dz * e * 0.5f * MathF.Exp(0.5f * lv) + scale * 0.5f * (MathF.Exp(lv) - 1);
            }
        }
    }

    private static void TanhBackward(float[] gradient, float[] activation, int count)
    {
        var g = MemoryMarshal.Cast<float, Vector<float>>(gradient.AsSpan(0, count));
        var a = MemoryMarshal.Cast<float, Vector<float>>(activation.AsSpan(0, count));
        for (int i = 0; i < g.Length; i++) g[i] *= Vector<float>.One - a[i] * a[i];
        for (int i = g.Length * Vector<float>.Count; i < count; i++) gradient[i] *= 1 - activation[i] * activation[i];
    }

    private static void ColumnSums(float[] matrix, int rows, int width, Span<float> target)
    {
        target.Clear();
        for (int u = 0; u < rows; u++) TensorPrimitives.Add(target, matrix.AsSpan(u * width, width), target);
    }

    /// <summary>db1 = column sums of dpre1; dW1 over the batch's nonzeros only (<see cref="SparseRowGradient"/>).</summary>
    private void SparseFirstLayerBackward(int b)
    {
        var layer = _layers[0];
        ColumnSums(_dPre[0], b, layer.Out, Gradients.Span(layer.Bias));
        if (DenseFirstLayerGradient) Gradients.Span(layer.Weight).Clear(); // every row gets a gradient below (AddDenseGradients)
        _firstLayerGradient.Accumulate(_batch, b, _dPre[0], 0, Gradients.Data, (int)Gradients.Segment(layer.Weight).Offset, _workers);
    }

    /// <summary>Zeroes the first layer's gradient rows written by the last batch (all others are zero already).</summary>
    private void ClearFirstLayerGradient() =>
        _firstLayerGradient.Clear(Gradients.Data, (int)Gradients.Segment(_layers[0].Weight).Offset);

    // ---------------------------------------------------------------- buffers

    private void EnsureCapacity(int rows)
    {
        if (rows <= _capacity) return;
        DisposeBuffers();
        _capacity = rows;
        _out = _layers.Select(l => Pinned(rows * l.Out)).ToArray();
        _dPre = _layers.Select((l, i) => i == _layers.Length - 1 ? [] : Pinned(rows * l.Out)).ToArray();
        _outT = _layers.Select((l, i) => View(_out[i], rows, l.Out)).ToArray();
        _dPreT = _layers.Select((l, i) => i == _layers.Length - 1 ? torch.empty(0).DetachFromDisposeScope() : View(_dPre[i], rows, l.Out)).ToArray();
        EnsureExtensionCapacity(rows);
        if (Variational)
        {
            _z = Pinned(rows * _latent);
            _eps = Pinned(rows * _latent);
            _dz = Pinned(rows * _latent);
            _zT = View(_z, rows, _latent);
            _dzT = View(_dz, rows, _latent);
        }
    }

    // 64-byte aligned, so reruns with the same seed are bit-identical (AlignedArrays).
    private static float[] Pinned(long length) => AlignedArrays.Allocate(length);

    private static Tensor View(float[] data, int rows, int columns)
    {
        // Long-lived buffers: detached from any dispose scope the caller may have open.
        using var flat = torch.frombuffer(data, ScalarType.Float32);
        return flat.view(rows, columns).DetachFromDisposeScope();
    }

    private void ForRows(int b, Action<int, int, int> body)
    {
        int workers = Math.Min(_workers, b);
        if (workers == 1) { body(0, b, 0); return; }
        Parallel.For(0, workers, TorchRuntime.Parallelism, w => body(b * w / workers, b * (w + 1) / workers, w));
    }

    private void CheckMatrix(CsrMatrix data)
    {
        if (data.Columns != Items) throw new ArgumentException($"the matrix has {data.Columns} item columns, the network {Items}");
    }

    private void DisposeBuffers()
    {
        DisposeExtensionBuffers();
        foreach (var t in _outT) t.Dispose();
        foreach (var t in _dPreT) t.Dispose();
        _zT?.Dispose();
        _dzT?.Dispose();
    }

    public void Dispose()
    {
        DisposeBuffers();
        _outputProducts.Dispose();
        Parameters.Dispose();
        Gradients.Dispose();
    }
}
