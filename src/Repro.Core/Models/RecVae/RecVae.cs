using System.Diagnostics;
using System.Numerics.Tensors;
using Repro.Core.Data.Cache;
using Repro.Core.Networks;
using Repro.Core.Sparse;
using Repro.Core.Training;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Repro.Core.Models.RecVae;

/// <summary>
/// RecVAE (Shenbin et al., WSDM 2020; spec 4; the authors' model.py and run.py): the
/// <see cref="RecVaeEncoder"/> gives q(z | x) = N(mu, diag exp(logvar)); the decoder is one linear layer
/// z -> items with a multinomial likelihood; the KL term is taken against the <see cref="CompositePrior"/>
/// with a per-user weight beta_u = gamma * sum_i x_ui, estimated with the sampled z:
/// loss = mean_u [ -log p(x_u | z_u) + beta_u sum_j (log q(z_uj | x_u) - log p(z_uj)) ].
///
/// Training alternates (run.py): every epoch makes <see cref="RecVaeHyper.EncoderPasses"/> passes over
/// the users that update only the encoder (input dropout on), then refreshes the old encoder of the
/// prior to the current encoder, then makes <see cref="RecVaeHyper.DecoderPasses"/> passes that update
/// only the decoder (no dropout, z still sampled). Each part has its own Adam (PyTorch's form of the
/// epsilon). The training driver runs the passes (<see cref="IMultiPassEpoch"/>); this class knows
/// which pass it is in. Scores are the decoder's logits at z = mu(x) without dropout.
///
/// The decoder and the likelihood run by hand over preallocated buffers (the logits are the one
/// batch-by-items tensor, reused), as in <see cref="Repro.Core.Networks.SparseAutoencoder"/>; the encoder's gradient enters
/// autograd as d loss / d z.
/// </summary>
public sealed class RecVae : TrainedModel<RecVaeHyper>, IMultiPassEpoch
{
    private const string DecoderWeight = "dec.W", DecoderBias = "dec.b";

    private readonly RecVaeEncoder _encoder;
    private readonly RecVaeEncoder _oldEncoder;
    private readonly CompositePrior _prior;
    private readonly FlatParameters _decoder;
    private readonly FlatParameters _decoderGradients;
    private readonly TfAdam _encoderAdam;
    private readonly TfAdam _decoderAdam;
    private readonly SeededRandom _random;
    private readonly SparseBatch _batch = new();       // the encoder's input (dropped out in encoder passes)
    private readonly SparseBatch _fullBatch = new();   // the same users undropped: the old encoder's input
    private readonly int _workers;
    private readonly float[][] _workerBias;
    private readonly float[][] _workerScratch;
    private int _capacity;
    private AlignedBuffer? _logits, _dz, _eps, _klWeight;
    private readonly Tensor _decoderWeight;          // aligned libtorch copy of dec.W for the products
    private readonly Tensor _decoderWeightGradient;  // aligned, copied into the flat gradient
    private readonly OutputLayerProducts _decoderProducts; // at the model's precision
    private int _pass;

    /// <param name="items">Item columns of every matrix the model will see.</param>
    /// <param name="seed">Fixes initial weights (encoder, old encoder, decoder), dropout masks and the reparameterisation noise.</param>
    public RecVae(int items, RecVaeHyper hyper, ulong seed) : base(hyper)
    {
        hyper.Validate();
        Bf16Support.Require(hyper.Precision);
        if (items <= 0) throw new ArgumentOutOfRangeException(nameof(items), $"items must be > 0, got {items}");
        Items = items;
        var init = new SeededRandom(seed);
        // model.py: VAE builds the encoder, then the prior's own (independently initialised) old encoder, then the decoder.
        _encoder = new RecVaeEncoder(items, hyper.Hidden, hyper.Latent, trainable: true, init, hyper.BatchSize);
        _oldEncoder = new RecVaeEncoder(items, hyper.Hidden, hyper.Latent, trainable: false, init, hyper.BatchSize);
        _decoder = new FlatParameters([(DecoderWeight, items, hyper.Latent, true), (DecoderBias, 1, items, false)]);
        _decoderGradients = _decoder.SameLayout();
        _decoderWeight = torch.empty(items, hyper.Latent, ScalarType.Float32).DetachFromDisposeScope();
        _decoderWeightGradient = torch.empty(items, hyper.Latent, ScalarType.Float32).DetachFromDisposeScope();
        _decoderProducts = OutputLayerProducts.Create(hyper.Precision, items, hyper.Latent, hyper.Latent, items);
        double bound = 1 / Math.Sqrt(hyper.Latent); // nn.Linear(latent, items): U(-1/sqrt(latent), 1/sqrt(latent))
        var d = _decoder.Data;
        for (int k = 0; k < d.Length; k++) d[k] = (float)((2 * init.NextDouble() - 1) * bound);
        _prior = new CompositePrior(hyper);
        // run.py: optim.Adam(encoder parameters, lr) and optim.Adam(decoder parameters, lr).
        _encoderAdam = new TfAdam(_encoder.Parameters, _encoder.Gradients!, hyper.LearningRate, epsilonAfterBiasCorrection: true);
        _decoderAdam = new TfAdam(_decoder, _decoderGradients, hyper.LearningRate, epsilonAfterBiasCorrection: true);
        _random = new SeededRandom(seed ^ 0x5DEECE66DUL);
        _workers = Math.Max(1, Environment.ProcessorCount); // parts of a batch: float sums depend on it, so not on --threads
        _workerBias = Enumerable.Range(0, _workers).Select(_ => new float[items]).ToArray();
        _workerScratch = Enumerable.Range(0, _workers).Select(_ => new float[items]).ToArray();
        EnsureCapacity(hyper.BatchSize);
    }

    public override int Items { get; }
    public long ParameterCount => _encoder.Parameters.Count + _decoder.Count;

    // For gradient checks in tests.
    internal FlatParameters EncoderParameters => _encoder.Parameters;
    internal FlatParameters EncoderGradients => _encoder.Gradients!;
    internal FlatParameters DecoderParameters => _decoder;
    internal FlatParameters DecoderGradients => _decoderGradients;

    /// <summary>0-based pass of the epoch the next <see cref="TrainStep"/> belongs to.</summary>
    public int Pass => _pass;

    /// <summary>True when the current pass trains the encoder (else the decoder).</summary>
    public bool InEncoderPass => _pass < Hyper.EncoderPasses;

    /// <summary>beta_u = gamma * sum_i x_ui for each of <paramref name="rows"/> (model.py: kl_weight = gamma * user_ratings.sum(-1)).</summary>
    public void KlWeights(CsrMatrix data, ReadOnlySpan<int> rows, Span<float> weights)
    {
        if (weights.Length < rows.Length) throw new ArgumentException($"weights holds {weights.Length} values for {rows.Length} rows");
        for (int u = 0; u < rows.Length; u++)
        {
            double sum = data.Values is null ? data.RowLength(rows[u]) : TensorPrimitives.Sum(data.RowValues(rows[u]));
            weights[u] = (float)(Hyper.Gamma * sum);
        }
    }

    // ---------------------------------------------------------------- training

    int IMultiPassEpoch.PassesPerEpoch => Hyper.PassesPerEpoch;

    /// <summary>
    /// Starts pass <paramref name="pass"/> of an epoch. The first decoder pass refreshes the old encoder to
    /// the current one (run.py: model.update_prior() between the encoder and the decoder passes), so the
    /// next epoch's encoder passes are held near this epoch's posterior.
    /// </summary>
    public void BeginPass(int pass)
    {
        if (pass < 0 || pass >= Hyper.PassesPerEpoch) throw new ArgumentOutOfRangeException(nameof(pass), $"pass must be in 0..{Hyper.PassesPerEpoch - 1}, got {pass}");
        _pass = pass;
        if (pass == Hyper.EncoderPasses) _oldEncoder.CopyFrom(_encoder);
    }

    /// <summary>
    /// One Adam update of the encoder (in an encoder pass) or of the decoder (in a decoder pass) on
    /// <paramref name="rows"/> of <paramref name="data"/>; <paramref name="beta"/> is ignored (the KL weight
    /// is per user, <see cref="KlWeights"/>). Returns the batch's loss before the update; its Kl is the
    /// unweighted mean KL estimate.
    /// </summary>
    public override BatchLoss TrainStep(CsrMatrix data, ReadOnlySpan<int> rows, double beta)
    {
        var loss = ComputeGradients(data, rows);
        long t0 = Stopwatch.GetTimestamp();
        if (InEncoderPass) _encoderAdam.Step();
        else _decoderAdam.Step();
        LastStepProfile = LastStepProfile with { Optimizer = Stopwatch.GetElapsedTime(t0).TotalMilliseconds };
        return loss;
    }

    /// <summary>Wall-clock milliseconds of the phases of the last training batch (`bench recvae`).</summary>
    public RecVaeStepProfile LastStepProfile { get; private set; }

    /// <summary>
    /// Forward and backward on a batch in the current pass's mode, leaving d loss / d parameters of the
    /// part the pass trains (encoder or decoder) in its gradient buffer; no update.
    /// </summary>
    internal BatchLoss ComputeGradients(CsrMatrix data, ReadOnlySpan<int> rows)
    {
        CheckMatrix(data);
        if (rows.Length == 0) throw new ArgumentException("a batch needs at least one row", nameof(rows));
        bool encoderPass = InEncoderPass;
        int b = rows.Length;
        EnsureCapacity(b);
        using var scope = torch.NewDisposeScope();
        _batch.Load(data, rows, encoderPass ? Hyper.KeepProbability : 1.0, encoderPass ? _random : null);
        if (encoderPass) _fullBatch.Load(data, rows, 1.0, null);
        KlWeights(data, rows, _klWeight!.Span);
        var klWeight = _klWeight.Tensor.narrow(0, 0, b).view(b);
        long t1 = Stopwatch.GetTimestamp();

        Tensor mu, logVar, priorMu, priorLogVar;
        using (var noGrad = encoderPass ? null : torch.no_grad())
            (mu, logVar) = _encoder.Forward(_batch, gradient: encoderPass);
        long t2 = Stopwatch.GetTimestamp();
        if (encoderPass)
        {
            using var noGrad = torch.no_grad();
            (priorMu, priorLogVar) = _oldEncoder.Forward(_fullBatch, gradient: false);
        }
        else
        {
            // In decoder passes the old encoder equals the encoder (refreshed at the first decoder pass,
            // the encoder frozen since) and both see the undropped input, so their posteriors coincide.
            (priorMu, priorLogVar) = (mu, logVar);
        }
        long t3 = Stopwatch.GetTimestamp();

        var span = _eps!.Span[..(b * Hyper.Latent)];
        for (int k = 0; k < span.Length; k++) span[k] = (float)_random.NextNormal();
        Tensor z, klPerUser;
        using (var noGrad = encoderPass ? null : torch.no_grad())
        {
            // Explicit alphas and held Scalars (RecVaeScalars): no implicitly converted Scalar reaches libtorch.
            z = mu.add(_eps.Tensor.narrow(0, 0, b).mul(logVar.mul(RecVaeScalars.Half).exp()), RecVaeScalars.One);
            klPerUser = CompositePrior.LogNormal(z, mu, logVar).add(_prior.LogDensity(z, priorMu, priorLogVar), RecVaeScalars.MinusOne).sum(1);
        }
        var weightedKl = klPerUser.mul(klWeight).mean();
        long t4 = Stopwatch.GetTimestamp();

        // Decoder and multinomial likelihood by hand; the logits rows become d nll / d logits. The three
        // products run in fp32 or bf16 (RecVaeHyper.Precision); the likelihood stays fp32.
        var zValues = z.detach();
        var weight = _decoderWeight;
        weight.copy_(_decoder.Tensor(DecoderWeight)); // the optimiser updates the flat buffer
        var logits = _logits!.Tensor.narrow(0, 0, b);
        _decoderProducts.Forward(logits, zValues, weight, outByIn: true, b);
        double nll = LikelihoodPass(b) / b;
        long t5 = Stopwatch.GetTimestamp();

        if (encoderPass)
        {
            var dz = _dz!.Tensor.narrow(0, 0, b);
            _decoderProducts.InputGradient(dz, logits, weight, outByIn: true, b);
            var loss = weightedKl.add(z.mul(dz).sum(), RecVaeScalars.One);
            _encoder.Backward(loss);
        }
        else
        {
            _decoderProducts.WeightGradient(_decoderWeightGradient, logits, zValues, outByIn: true, b);
            _decoderGradients.Tensor(DecoderWeight).copy_(_decoderWeightGradient);
        }
        long t6 = Stopwatch.GetTimestamp();
        static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;
        LastStepProfile = new RecVaeStepProfile(Ms(t1, t2), Ms(t2, t3), Ms(t3, t4), Ms(t4, t5), Ms(t5, t6), 0);
        double kl = klPerUser.mean().item<float>(), wkl = weightedKl.item<float>();
        return new BatchLoss(nll + wkl, nll, kl, 0);
    }

    /// <summary>Adds the decoder bias, sums -log p(x_u | z_u) over the batch and leaves d mean-loss / d logits in the logits rows and d / d bias in the decoder's gradient.</summary>
    private double LikelihoodPass(int b)
    {
        var bias = _decoder.Data.AsMemory((int)_decoder.Segment(DecoderBias).Offset, Items);
        var sums = new double[_workers];
        foreach (var acc in _workerBias) Array.Clear(acc);
        var target = _batch; // its target is the raw, undropped row
        float scale = 1f / b;
        var logits = _logits!.Memory;
        ForRows(b, (from, to, worker) =>
            sums[worker] = OutputLoss.Rows(Likelihood.Multinomial, GaussianConfidence.Default, logits.Span, Items, bias.Span, target, from, to,
                scale, _workerBias[worker], _workerScratch[worker]));
        var gb = _decoderGradients.Span(DecoderBias);
        gb.Clear();
        foreach (var acc in _workerBias) TensorPrimitives.Add(gb, acc, gb);
        double total = 0;
        foreach (var s in sums) total += s;
        return total;
    }

    /// <summary>Restarts the dropout and noise stream (weights are unchanged).</summary>
    public override void Reseed(ulong seed) => _random.Reseed(seed);

    // ---------------------------------------------------------------- scoring

    /// <summary>Logits of decoder(mu(x)) without dropout for each row, fold-in items set to negative infinity; output is rows x Items.</summary>
    public override void Score(CsrMatrix foldIn, ReadOnlySpan<int> rows, Span<float> output)
    {
        CheckMatrix(foldIn);
        if (output.Length < (long)rows.Length * Items) throw new ArgumentException($"output holds {output.Length} floats, needs {(long)rows.Length * Items}");
        var bias = _decoder.Span(DecoderBias);
        _decoderWeight.copy_(_decoder.Tensor(DecoderWeight));
        for (int start = 0; start < rows.Length; start += _capacity)
        {
            var chunk = rows.Slice(start, Math.Min(_capacity, rows.Length - start));
            _batch.Load(foldIn, chunk, 1.0, null);
            using (torch.NewDisposeScope())
            using (torch.no_grad())
            {
                var (mu, _) = _encoder.Forward(_batch, gradient: false);
                var logits = _logits!.Tensor.narrow(0, 0, chunk.Length);
                _decoderProducts.Forward(logits, mu, _decoderWeight, outByIn: true, chunk.Length);
            }
            for (int u = 0; u < chunk.Length; u++)
            {
                var row = output.Slice((start + u) * Items, Items);
                TensorPrimitives.Add(_logits!.Span.Slice(u * Items, Items), bias, row);
                for (int k = _batch.TargetStart[u]; k < _batch.TargetStart[u + 1]; k++)
                    row[_batch.TargetColumn[k]] = float.NegativeInfinity;
            }
        }
    }

    // ---------------------------------------------------------------- save and load

    private const string WeightsKind = "RecVaeWeights", StateKind = "RecVaeState";
    private const int ArchiveVersion = 1;
    private string ArchiveKey => $"{_encoder.Parameters.LayoutKey}|{_decoder.LayoutKey}";

    /// <summary>The weights alone, or with <paramref name="withOptimizer"/> the whole training state (<see cref="SaveState"/>).</summary>
    public override void Save(string path, bool withOptimizer)
    {
        if (withOptimizer) SaveState(path);
        else SaveWeights(path);
    }

    /// <summary>Reads weights written by <see cref="Save(string, bool)"/> without the optimiser (<see cref="LoadWeights"/>).</summary>
    public override void Load(string path) => LoadWeights(path);

    /// <summary>Writes the encoder's and decoder's weights (what scoring needs) atomically.</summary>
    private void SaveWeights(string path) =>
        BinaryArchive.Write(path, WeightsKind, ArchiveVersion, ArchiveKey, w =>
        {
            w.Write(_encoder.Parameters.Data);
            w.Write(_decoder.Data);
        });

    /// <summary>Reads what <see cref="SaveWeights"/> wrote (the old encoder, optimisers and pass are left as they are).</summary>
    public override void LoadWeights(string path) =>
        BinaryArchive.Read(path, WeightsKind, ArchiveVersion, ArchiveKey, r =>
        {
            var encoder = Expect(r.ReadSingleArray(), _encoder.Parameters.Data.Length, path, "encoder");
            var decoder = Expect(r.ReadSingleArray(), _decoder.Data.Length, path, "decoder");
            encoder.CopyTo(_encoder.Parameters.Data, 0);
            decoder.CopyTo(_decoder.Data, 0);
            return 0;
        });

    /// <summary>Writes everything training continues from: both networks, the old encoder, both Adams' moments and steps, and the pass.</summary>
    public override void SaveState(string path) =>
        BinaryArchive.Write(path, StateKind, ArchiveVersion, ArchiveKey, w =>
        {
            w.Write(_encoder.Parameters.Data);
            w.Write(_decoder.Data);
            w.Write(_oldEncoder.Parameters.Data);
            foreach (var adam in new[] { _encoderAdam, _decoderAdam })
            {
                w.Write(adam.Steps);
                w.Write(adam.FirstMoment);
                w.Write(adam.SecondMoment);
            }
            w.Write(_pass);
        });

    /// <summary>Reads what <see cref="SaveState"/> wrote.</summary>
    public override void LoadState(string path) =>
        BinaryArchive.Read(path, StateKind, ArchiveVersion, ArchiveKey, r =>
        {
            int encoderLength = _encoder.Parameters.Data.Length, decoderLength = _decoder.Data.Length;
            var encoder = Expect(r.ReadSingleArray(), encoderLength, path, "encoder");
            var decoder = Expect(r.ReadSingleArray(), decoderLength, path, "decoder");
            var old = Expect(r.ReadSingleArray(), encoderLength, path, "old encoder");
            var moments = new List<(long, float[], float[])>();
            foreach (var length in new[] { encoderLength, decoderLength })
                moments.Add((r.ReadInt64(), Expect(r.ReadSingleArray(), length, path, "Adam first moment"), Expect(r.ReadSingleArray(), length, path, "Adam second moment")));
            int pass = r.ReadInt32();
            if (pass < 0 || pass >= Hyper.PassesPerEpoch) throw new StaleCacheException(path, $"is at pass {pass}, outside 0..{Hyper.PassesPerEpoch - 1}");
            encoder.CopyTo(_encoder.Parameters.Data, 0);
            decoder.CopyTo(_decoder.Data, 0);
            old.CopyTo(_oldEncoder.Parameters.Data, 0);
            _encoderAdam.Restore(moments[0].Item1, moments[0].Item2, moments[0].Item3);
            _decoderAdam.Restore(moments[1].Item1, moments[1].Item2, moments[1].Item3);
            _pass = pass;
            return 0;
        });

    private static float[] Expect(float[] values, int length, string path, string what) =>
        values.Length == length ? values : throw new StaleCacheException(path, $"holds {values.Length} {what} values, expected {length}");

    // ---------------------------------------------------------------- buffers

    private void EnsureCapacity(int rows)
    {
        if (rows <= _capacity) return;
        DisposeBuffers();
        _capacity = rows;
        int k = Hyper.Latent;
        if ((long)rows * Items > Array.MaxLength) throw new ArgumentException($"a buffer of {rows} x {Items} floats does not fit one array; use smaller batches");
        _logits = new AlignedBuffer(rows, Items);
        _dz = new AlignedBuffer(rows, k);
        _eps = new AlignedBuffer(rows, k);
        _klWeight = new AlignedBuffer(rows, 1);
    }

    private void ForRows(int b, Action<int, int, int> body)
    {
        int workers = Math.Min(_workers, b);
        if (workers <= 1) { body(0, b, 0); return; }
        Parallel.For(0, workers, TorchRuntime.Parallelism, w => body(b * w / workers, b * (w + 1) / workers, w));
    }

    private void CheckMatrix(CsrMatrix data)
    {
        if (data.Columns != Items) throw new ArgumentException($"the matrix has {data.Columns} item columns, the model {Items}");
    }

    private void DisposeBuffers()
    {
        _logits?.Dispose();
        _dz?.Dispose();
        _eps?.Dispose();
        _klWeight?.Dispose();
    }

    public override void Dispose()
    {
        DisposeBuffers();
        _encoder.Dispose();
        _oldEncoder.Dispose();
        _decoder.Dispose();
        _decoderGradients.Dispose();
        _decoderWeight.Dispose();
        _decoderWeightGradient.Dispose();
        _decoderProducts.Dispose();
    }
}

/// <summary>
/// Wall-clock milliseconds of one RecVAE training batch's phases: the encoder's forward (sparse first
/// layer, dense layers, heads), the old encoder's forward (encoder passes only), the reparameterisation
/// and composite-prior KL, the decoder's product and likelihood, the backward (d z and autograd
/// through the encoder in an encoder pass; the decoder's weight gradient in a decoder pass) and Adam.
/// </summary>
public readonly record struct RecVaeStepProfile(double Encoder, double OldEncoder, double Prior, double Decoder, double Backward, double Optimizer);
