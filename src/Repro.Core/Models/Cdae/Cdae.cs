using System.Diagnostics;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Repro.Core.Data.Cache;
using Repro.Core.Networks;
using Repro.Core.Sparse;
using Repro.Core.Training;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Repro.Core.Models.Cdae;

/// <summary>
/// CDAE (Wu et al., WSDM 2016) as Liang et al. ran it (spec 2.3): the corrupted binary row y~_u and the
/// user's node V_u give h_u = tanh(y~_u W + V_u + b), the output is f_u = tanh(h_u W'^T + b'), and the
/// loss is the weighted square loss of spec 2.4 (<see cref="TanhSquareLoss"/>), averaged over the users
/// of a minibatch of whole users (user-level subsampling instead of CDAE's entry sampling), plus the
/// L2 penalty described on <see cref="CdaeHyper"/>. Network weights use <see cref="TfAdam"/>, the
/// training users' nodes a row-wise Adam (<see cref="UserNodes"/>).
///
/// Strong generalisation: a held-out user has no node, so <see cref="Score"/> first fits one on the
/// user's fold-in items with the network frozen (spec 2.3: "additional optimization to obtain the
/// latent factor for unseen users"; the procedure is ours, see <see cref="CdaeHyper.FoldInSteps"/>):
/// V_u starts at 0 and takes FoldInSteps Adam steps on l_u + lambda ||V_u||^2 with the uncorrupted
/// fold-in row as input and target, all users of a chunk at once. It is deterministic: no dropout,
/// fixed step count, fixed start.
///
/// As in <see cref="Repro.Core.Networks.SparseAutoencoder"/>, forward and backward are written out: the sparse first layer
/// sums rows of W, the two users x items x K products run in libtorch into preallocated pinned buffers,
/// and nothing of batch x items is allocated per batch. The node table is sized by the training matrix
/// at the first training step (or by a loaded file), so the model is built from the item count alone.
/// </summary>
public sealed class Cdae : TrainedModel<CdaeHyper>
{
    private const string InW = "W", InB = "b", OutW = "W'", OutB = "b'";

    private readonly int _k;
    private readonly int _workers;
    private readonly SeededRandom _random;
    private readonly SparseBatch _batch = new();
    private readonly SparseRowGradient _firstLayerGradient;
    private readonly float[][] _workerBias, _workerScratch;
    private readonly GaussianConfidence _confidence;

    private int _capacity;
    private float[] _base = [], _hidden = [], _dHidden = [], _out = [];
    private int _hiddenAt, _dHiddenAt, _outAt; // where the 64-byte-aligned part of each buffer starts
    private float[] _nodes = [], _nodeM = [], _nodeV = [];
    private Tensor? _hiddenT, _dHiddenT, _outT;
    private readonly OutputLayerProducts _outputProducts; // at the model's precision

    /// <param name="items">Item columns of every matrix the model sees.</param>
    /// <param name="seed">Fixes the initial weights and the dropout masks.</param>
    /// <param name="trainingUsers">Rows of the training matrix, if known now; otherwise taken from the first training step or loaded file.</param>
    public Cdae(int items, CdaeHyper hyper, ulong seed, int trainingUsers = 0) : base(hyper)
    {
        hyper.Validate();
        Bf16Support.Require(hyper.Precision);
        if (items <= 0) throw new ArgumentOutOfRangeException(nameof(items), $"items must be > 0, got {items}");
        if (trainingUsers < 0) throw new ArgumentOutOfRangeException(nameof(trainingUsers), $"training users must be >= 0, got {trainingUsers}");
        Items = items;
        _k = hyper.Hidden;
        _confidence = hyper.ConfidenceWeights();
        Parameters = new FlatParameters([(InW, items, _k, true), (InB, 1, _k, false), (OutW, items, _k, true), (OutB, 1, items, false)]);
        Gradients = Parameters.SameLayout();
        Optimizer = new TfAdam(Parameters, Gradients, hyper.LearningRate);
        _firstLayerGradient = new SparseRowGradient(items, _k);
        _outputProducts = OutputLayerProducts.Create(hyper.Precision, items, _k, _k, items);

        // Same initialisation as the Mult models (spec 2.1 "Init"): Glorot-uniform weights, truncated N(0, 0.001^2) biases.
        var init = new SeededRandom(seed);
        init.FillGlorotUniform(Parameters.Span(InW), items, _k);
        init.FillTruncatedNormal(Parameters.Span(InB), 0.001);
        init.FillGlorotUniform(Parameters.Span(OutW), _k, items);
        init.FillTruncatedNormal(Parameters.Span(OutB), 0.001);
        _random = new SeededRandom(seed ^ 0x5DEECE66DUL);
        if (trainingUsers > 0) Nodes = new UserNodes(trainingUsers, _k);

        _workers = Math.Max(1, Environment.ProcessorCount); // parts of a batch: float sums depend on it, so not on --threads
        _workerBias = Enumerable.Range(0, _workers).Select(_ => new float[items]).ToArray();
        _workerScratch = Enumerable.Range(0, _workers).Select(_ => new float[items]).ToArray();
        EnsureCapacity(hyper.BatchSize);
    }

    public override int Items { get; }

    /// <summary>All network weights and biases (W [I, K], b, W' [I, K] stored [out, in], b') in one buffer.</summary>
    public FlatParameters Parameters { get; }
    public FlatParameters Gradients { get; }
    public TfAdam Optimizer { get; }

    /// <summary>The training users' nodes; null until the first training step or load.</summary>
    public UserNodes? Nodes { get; private set; }

    public long ParameterCount => Parameters.Count + (Nodes is null ? 0 : (long)Nodes.Users * _k);

    /// <summary>Wall-clock milliseconds of the last training step.</summary>
    public double LastStepMilliseconds { get; private set; }

    // ---------------------------------------------------------------- training

    /// <summary>
    /// One Adam update of the network and of the batch users' nodes on <paramref name="rows"/> of the
    /// training matrix <paramref name="data"/> (row = training user = row of V), input dropout on.
    /// Returns the batch's loss before the update.
    /// </summary>
    public BatchLoss TrainStep(CsrMatrix data, ReadOnlySpan<int> rows)
    {
        long t0 = Stopwatch.GetTimestamp();
        var loss = ComputeGradients(data, rows, Hyper.KeepProbability, _random);
        int b = rows.Length;
        double decay = Hyper.WeightDecay / Hyper.BatchSize;
        Optimizer.Step(decay);
        ClearFirstLayerGradient();
        // Node gradients: (1/b)(d l_u / d V_u + 2 lambda V_u), left in _dHidden by the backward pass.
        var nodes = Nodes!;
        float twoDecay = (float)(2 * Hyper.WeightDecay / b);
        for (int u = 0; u < b; u++)
        {
            var g = _dHidden.AsSpan(_dHiddenAt + u * _k, _k);
            TensorPrimitives.MultiplyAdd(nodes.Row(rows[u]), twoDecay, g, g);
            nodes.Step(rows[u], g, Hyper.LearningRate);
        }
        LastStepMilliseconds = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        return loss;
    }

    /// <summary>The loss of training users <paramref name="rows"/> with their nodes and no dropout (no update).</summary>
    public BatchLoss Evaluate(CsrMatrix data, ReadOnlySpan<int> rows)
    {
        CheckMatrix(data);
        var nodes = Nodes ?? throw new InvalidOperationException("the model has no user nodes yet: train or load it first");
        if (data.Rows != nodes.Users) throw new ArgumentException($"the matrix has {data.Rows} rows, the model {nodes.Users} training users");
        double sum = 0, nodeSquares = 0;
        for (int start = 0; start < rows.Length; start += _capacity)
        {
            var chunk = rows.Slice(start, Math.Min(_capacity, rows.Length - start));
            _batch.Load(data, chunk, 1.0, null, normalize: false);
            FirstLayer(chunk.Length);
            for (int u = 0; u < chunk.Length; u++)
            {
                nodes.Row(chunk[u]).CopyTo(_nodes.AsSpan(u * _k, _k));
                nodeSquares += TanhSquareLoss.SumOfSquares(nodes.Row(chunk[u]));
            }
            sum += Forward(chunk.Length, 0f, bias: false);
        }
        return WithPenalty(sum, nodeSquares, Math.Max(1, rows.Length));
    }

    private BatchLoss WithPenalty(double lossSum, double nodeSquares, int b)
    {
        double weights = TanhSquareLoss.SumOfSquares(Parameters.Span(InW)) + TanhSquareLoss.SumOfSquares(Parameters.Span(OutW));
        double penalty = Hyper.WeightDecay / Hyper.BatchSize * weights + Hyper.WeightDecay * nodeSquares / b;
        return new BatchLoss(lossSum / b + penalty, lossSum / b, 0, penalty);
    }

    /// <summary>Forward and backward on a training batch: network gradients in <see cref="Gradients"/>, node gradients (without the penalty) in _dHidden.</summary>
    internal BatchLoss ComputeGradients(CsrMatrix data, ReadOnlySpan<int> rows, double keep, SeededRandom? random)
    {
        CheckMatrix(data);
        if (rows.Length == 0) throw new ArgumentException("a batch needs at least one row", nameof(rows));
        if (Nodes is null) Nodes = new UserNodes(data.Rows, _k);
        else if (data.Rows != Nodes.Users)
            throw new ArgumentException($"the training matrix has {data.Rows} rows but the model holds nodes for {Nodes.Users} training users; one model trains on one matrix");
        int b = rows.Length;
        EnsureCapacity(b);
        ClearFirstLayerGradient();
        _batch.Load(data, rows, keep, random, normalize: false);
        using var scope = torch.NewDisposeScope();
        FirstLayer(b);
        double nodeSquares = 0;
        for (int u = 0; u < b; u++)
        {
            var v = Nodes.Row(rows[u]);
            v.CopyTo(_nodes.AsSpan(u * _k, _k));
            nodeSquares += TanhSquareLoss.SumOfSquares(v);
        }
        double sum = Forward(b, 1f / b, bias: true);
        HiddenBackward(b, weightGradient: true);
        ColumnSums(_dHidden.AsSpan(_dHiddenAt), b, _k, Gradients.Span(InB));
        SparseFirstLayerBackward(b);
        return WithPenalty(sum, nodeSquares, b);
    }

    // ---------------------------------------------------------------- scoring and fold-in

    /// <summary>
    /// Scores every item for each of <paramref name="rows"/> of <paramref name="foldIn"/> (held-out users):
    /// fits the users' nodes on their fold-in items (<see cref="FitUserNodes"/>), then writes the output
    /// layer's pre-activation h_u W'^T + b' (tanh is monotone, so the ranking is f_u's without tanh's
    /// saturation ties); fold-in items get negative infinity.
    /// </summary>
    public override void Score(CsrMatrix foldIn, ReadOnlySpan<int> rows, Span<float> output)
    {
        CheckMatrix(foldIn);
        if (output.Length < (long)rows.Length * Items) throw new ArgumentException($"output holds {output.Length} floats, needs {(long)rows.Length * Items}");
        var bias = Parameters.Span(OutB);
        for (int start = 0; start < rows.Length; start += _capacity)
        {
            var chunk = rows.Slice(start, Math.Min(_capacity, rows.Length - start));
            int b = chunk.Length;
            FoldIn(foldIn, chunk);
            using (torch.NewDisposeScope()) HiddenAndOutput(b);
            for (int u = 0; u < b; u++)
            {
                var target = output.Slice((start + u) * Items, Items);
                TensorPrimitives.Add(_out.AsSpan(_outAt + u * Items, Items), bias, target);
                for (int k = _batch.TargetStart[u]; k < _batch.TargetStart[u + 1]; k++)
                    target[_batch.TargetColumn[k]] = float.NegativeInfinity;
            }
        }
    }

    /// <summary>The nodes that fold-in fits for <paramref name="rows"/> of <paramref name="foldIn"/>, rows.Length x Hidden row-major.</summary>
    public float[] FitUserNodes(CsrMatrix foldIn, ReadOnlySpan<int> rows)
    {
        CheckMatrix(foldIn);
        var result = new float[rows.Length * _k];
        for (int start = 0; start < rows.Length; start += _capacity)
        {
            var chunk = rows.Slice(start, Math.Min(_capacity, rows.Length - start));
            FoldIn(foldIn, chunk);
            _nodes.AsSpan(0, chunk.Length * _k).CopyTo(result.AsSpan(start * _k));
        }
        return result;
    }

    /// <summary>
    /// mean_u [l_u + lambda ||V_u||^2] for <paramref name="rows"/> of <paramref name="foldIn"/> with the
    /// given nodes (rows.Length x Hidden), uncorrupted input: the objective that fold-in lowers.
    /// </summary>
    public double FoldInLoss(CsrMatrix foldIn, ReadOnlySpan<int> rows, ReadOnlySpan<float> nodes)
    {
        CheckMatrix(foldIn);
        if (nodes.Length != rows.Length * _k) throw new ArgumentException($"nodes hold {nodes.Length} floats, expected {rows.Length} x {_k}");
        double sum = 0;
        for (int start = 0; start < rows.Length; start += _capacity)
        {
            var chunk = rows.Slice(start, Math.Min(_capacity, rows.Length - start));
            _batch.Load(foldIn, chunk, 1.0, null, normalize: false);
            FirstLayer(chunk.Length);
            nodes.Slice(start * _k, chunk.Length * _k).CopyTo(_nodes);
            sum += Forward(chunk.Length, 0f, bias: false);
            sum += Hyper.WeightDecay * TanhSquareLoss.SumOfSquares(nodes.Slice(start * _k, chunk.Length * _k));
        }
        return sum / Math.Max(1, rows.Length);
    }

    /// <summary>
    /// Loads <paramref name="chunk"/> (at most the capacity) and leaves its fitted nodes in _nodes:
    /// V = 0, then FoldInSteps Adam steps on l_u + lambda ||V_u||^2 (network frozen, no dropout).
    /// Each user's objective is its own, so the batch is only a way to share the matrix products.
    /// </summary>
    private void FoldIn(CsrMatrix foldIn, ReadOnlySpan<int> chunk)
    {
        int b = chunk.Length;
        _batch.Load(foldIn, chunk, 1.0, null, normalize: false);
        FirstLayer(b);
        int width = b * _k;
        _nodes.AsSpan(0, width).Clear();
        _nodeM.AsSpan(0, width).Clear();
        _nodeV.AsSpan(0, width).Clear();
        float twoDecay = (float)(2 * Hyper.WeightDecay);
        for (int step = 1; step <= Hyper.FoldInSteps; step++)
        {
            using var scope = torch.NewDisposeScope();
            Forward(b, 1f, bias: false);
            HiddenBackward(b, weightGradient: false); // the network is frozen
            for (int u = 0; u < b; u++)
            {
                var v = _nodes.AsSpan(u * _k, _k);
                var g = _dHidden.AsSpan(_dHiddenAt + u * _k, _k);
                TensorPrimitives.MultiplyAdd(v, twoDecay, g, g);
                UserNodes.AdamRow(v, g, _nodeM.AsSpan(u * _k, _k), _nodeV.AsSpan(u * _k, _k), step, Hyper.FoldInLearningRate);
            }
        }
    }

    // ---------------------------------------------------------------- forward and backward

    /// <summary>_base = y~_u W + b for the loaded batch (the part of the hidden pre-activation without V_u).</summary>
    private void FirstLayer(int b)
    {
        var w = Parameters.Data;
        int wOffset = (int)Parameters.Segment(InW).Offset;
        int biasOffset = (int)Parameters.Segment(InB).Offset;
        var batch = _batch;
        int k = _k;
        var output = _base;
        ForRows(b, (from, to, _) =>
        {
            for (int u = from; u < to; u++)
            {
                var row = output.AsSpan(u * k, k);
                w.AsSpan(biasOffset, k).CopyTo(row);
                for (int n = batch.InputStart[u]; n < batch.InputStart[u + 1]; n++)
                    TensorPrimitives.MultiplyAdd(w.AsSpan(wOffset + batch.InputColumn[n] * k, k), batch.InputValue[n], row, row);
            }
        });
    }

    /// <summary>h = tanh(_base + _nodes); _out = h W'^T (without b'), the product in fp32 or bf16 (<see cref="CdaeHyper.Precision"/>).</summary>
    private void HiddenAndOutput(int b)
    {
        int width = b * _k;
        var hidden = _hidden.AsSpan(_hiddenAt, width);
        TensorPrimitives.Add(_base.AsSpan(0, width), _nodes.AsSpan(0, width), hidden);
        TensorPrimitives.Tanh(hidden, hidden);
        var output = _outT!.narrow(0, 0, b);
        var hiddenRows = _hiddenT!.narrow(0, 0, b);
        _outputProducts.Forward(output, hiddenRows, Parameters.Tensor(OutW), outByIn: true, b);
    }

    /// <summary>
    /// Hidden, output and loss of the loaded batch with nodes in _nodes; returns sum_u l_u. With
    /// <paramref name="gradientScale"/> != 0 the output buffer leaves holding d loss / d a (scaled), and
    /// with <paramref name="bias"/> the output bias gradient is formed too.
    /// </summary>
    private double Forward(int b, float gradientScale, bool bias)
    {
        using var scope = torch.NewDisposeScope();
        HiddenAndOutput(b);
        var parameters = Parameters.Data;
        int biasOffset = (int)Parameters.Segment(OutB).Offset;
        var sums = new double[_workers];
        bool biasGradient = bias && gradientScale != 0;
        if (biasGradient) foreach (var acc in _workerBias) Array.Clear(acc);
        var batch = _batch;
        var output = _out;
        int items = Items, outAt = _outAt;
        ForRows(b, (from, to, worker) =>
        {
            double total = 0;
            for (int u = from; u < to; u++)
            {
                var row = output.AsSpan(outAt + u * items, items);
                int s = batch.TargetStart[u], e = batch.TargetStart[u + 1];
                total += TanhSquareLoss.Row(row, parameters.AsSpan(biasOffset, items), batch.TargetColumn.AsSpan(s, e - s), batch.TargetValue.AsSpan(s, e - s),
                    _confidence, gradientScale, _workerScratch[worker]);
                if (biasGradient) TensorPrimitives.Add(_workerBias[worker], row, _workerBias[worker]);
            }
            sums[worker] = total;
        });
        if (biasGradient)
        {
            var gb = Gradients.Span(OutB);
            gb.Clear();
            foreach (var acc in _workerBias) TensorPrimitives.Add(gb, acc, gb);
        }
        double sum = 0;
        foreach (var s in sums) sum += s;
        return sum;
    }

    /// <summary>
    /// From d loss / d a in the output buffer: (with <paramref name="weightGradient"/>) dW' = dA^T h into <see cref="Gradients"/>,
    /// and d loss / d (hidden pre-activation) = (dA W') (1 - h^2) into _dHidden, which is also d loss / d V_u.
    /// </summary>
    private void HiddenBackward(int b, bool weightGradient)
    {
        using var scope = torch.NewDisposeScope();
        var dA = _outT!.narrow(0, 0, b);
        var dHidden = _dHiddenT!.narrow(0, 0, b);
        if (weightGradient) _outputProducts.WeightGradient(Gradients.Tensor(OutW), dA, _hiddenT!.narrow(0, 0, b), outByIn: true, b);
        _outputProducts.InputGradient(dHidden, dA, Parameters.Tensor(OutW), outByIn: true, b);
        var dSpan = _dHidden.AsSpan(_dHiddenAt, b * _k);
        var hSpan = _hidden.AsSpan(_hiddenAt, b * _k);
        var d = MemoryMarshal.Cast<float, Vector<float>>(dSpan);
        var h = MemoryMarshal.Cast<float, Vector<float>>(hSpan);
        for (int i = 0; i < d.Length; i++) d[i] *= Vector<float>.One - h[i] * h[i];
        for (int i = d.Length * Vector<float>.Count; i < b * _k; i++) dSpan[i] *= 1 - hSpan[i] * hSpan[i];
    }

    private static void ColumnSums(ReadOnlySpan<float> matrix, int rows, int width, Span<float> target)
    {
        target.Clear();
        for (int u = 0; u < rows; u++) TensorPrimitives.Add(target, matrix.Slice(u * width, width), target);
    }

    /// <summary>dW over the batch's nonzeros only (<see cref="SparseRowGradient"/>).</summary>
    private void SparseFirstLayerBackward(int b) =>
        _firstLayerGradient.Accumulate(_batch, b, _dHidden, _dHiddenAt, Gradients.Data, (int)Gradients.Segment(InW).Offset, _workers);

    /// <summary>Zeroes the first layer's gradient rows written by the last batch (all others are zero already).</summary>
    private void ClearFirstLayerGradient() =>
        _firstLayerGradient.Clear(Gradients.Data, (int)Gradients.Segment(InW).Offset);

    // ---------------------------------------------------------------- save and load

    private const string ArchiveKind = "Cdae";
    private const int ArchiveVersion = 1;

    /// <summary>Writes the network and the training users' nodes (and, with <paramref name="withOptimizer"/>, both Adams' states) atomically.</summary>
    public override void Save(string path, bool withOptimizer) =>
        BinaryArchive.Write(path, ArchiveKind, ArchiveVersion, Parameters.LayoutKey, w =>
        {
            w.Write(Parameters.Data);
            w.Write(Nodes?.Users ?? 0);
            if (Nodes is not null) w.Write(Nodes.Values);
            w.Write(withOptimizer ? 1 : 0);
            if (withOptimizer)
            {
                w.Write(Optimizer.Steps);
                w.Write(Optimizer.FirstMoment);
                w.Write(Optimizer.SecondMoment);
                if (Nodes is not null)
                {
                    w.Write(Nodes.Steps);
                    w.Write(Nodes.FirstMoment);
                    w.Write(Nodes.SecondMoment);
                }
            }
        });

    /// <summary>Reads what <see cref="Save"/> wrote for a network of this shape; restores the optimisers' state when the file holds it.</summary>
    public override void Load(string path) =>
        BinaryArchive.Read(path, ArchiveKind, ArchiveVersion, Parameters.LayoutKey, r =>
        {
            var p = r.ReadSingleArray();
            if (p.Length != Parameters.Data.Length) throw new StaleCacheException(path, $"holds {p.Length} parameters, expected {Parameters.Data.Length}");
            int users = r.ReadInt32();
            if (users < 0 || (Nodes is not null && users != Nodes.Users))
                throw new StaleCacheException(path, $"holds nodes for {users} training users, the model has {Nodes?.Users ?? 0}");
            var nodes = users > 0 ? (Nodes ?? new UserNodes(users, _k)) : null;
            if (nodes is not null)
            {
                var v = r.ReadSingleArray();
                if (v.Length != nodes.Values.Length) throw new StaleCacheException(path, $"holds {v.Length} node values, expected {nodes.Values.Length}");
                v.CopyTo(nodes.Values, 0);
            }
            if (r.ReadInt32() == 1)
            {
                long steps = r.ReadInt64();
                var m = r.ReadSingleArray();
                var s = r.ReadSingleArray();
                Optimizer.Restore(steps, m, s);
                if (nodes is not null)
                {
                    var rowSteps = r.ReadInt32Array();
                    var nm = r.ReadSingleArray();
                    var nv = r.ReadSingleArray();
                    if (rowSteps.Length != nodes.Users || nm.Length != nodes.Values.Length || nv.Length != nodes.Values.Length)
                        throw new StaleCacheException(path, "holds node optimiser state of another shape");
                    rowSteps.CopyTo(nodes.Steps, 0);
                    nm.CopyTo(nodes.FirstMoment, 0);
                    nv.CopyTo(nodes.SecondMoment, 0);
                }
            }
            p.CopyTo(Parameters.Data, 0);
            Nodes = nodes ?? Nodes;
            return 0;
        });

    /// <summary>No KL term: beta is ignored.</summary>
    public override BatchLoss TrainStep(CsrMatrix data, ReadOnlySpan<int> rows, double beta) => TrainStep(data, rows);

    /// <summary>Restarts the dropout stream (weights are unchanged).</summary>
    public override void Reseed(ulong seed) => _random.Reseed(seed);

    // ---------------------------------------------------------------- buffers

    private void EnsureCapacity(int rows)
    {
        if (rows <= _capacity) return;
        DisposeBuffers();
        _capacity = rows;
        _base = Pinned(rows * _k);
        // Product operands start on 64-byte boundaries (AlignedBuffer), so reruns repeat bit for bit;
        // W and W' are aligned segments of Parameters (FlatParameters).
        var hidden = new AlignedBuffer(rows, _k);
        var dHidden = new AlignedBuffer(rows, _k);
        (_hidden, _hiddenAt, _hiddenT) = (hidden.Data, hidden.Offset, hidden.Tensor);
        (_dHidden, _dHiddenAt, _dHiddenT) = (dHidden.Data, dHidden.Offset, dHidden.Tensor);
        _nodes = Pinned(rows * _k);
        _nodeM = Pinned(rows * _k);
        _nodeV = Pinned(rows * _k);
        var output = new AlignedBuffer(rows, Items);
        (_out, _outAt, _outT) = (output.Data, output.Offset, output.Tensor);
    }

    private static float[] Pinned(long length)
    {
        if (length > Array.MaxLength) throw new ArgumentException($"a buffer of {length} floats does not fit one array; use smaller batches");
        return GC.AllocateArray<float>((int)length, pinned: true);
    }

    private void ForRows(int b, Action<int, int, int> body)
    {
        int workers = Math.Min(_workers, b);
        if (workers <= 1) { body(0, b, 0); return; }
        Parallel.For(0, workers, TorchRuntime.Parallelism, w => body(b * w / workers, b * (w + 1) / workers, w));
    }

    private void CheckMatrix(CsrMatrix data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Columns != Items) throw new ArgumentException($"the matrix has {data.Columns} item columns, the model {Items}");
    }

    private void DisposeBuffers()
    {
        _hiddenT?.Dispose();
        _dHiddenT?.Dispose();
        _outT?.Dispose();
    }

    public override void Dispose()
    {
        DisposeBuffers();
        _outputProducts.Dispose();
        Parameters.Dispose();
        Gradients.Dispose();
    }
}
