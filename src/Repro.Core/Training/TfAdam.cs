using System.Numerics;
using System.Runtime.InteropServices;

namespace Repro.Core.Training;

/// <summary>
/// Adam as TF 1.x's tf.train.AdamOptimizer computes it (the notebook's optimiser, spec 2.1), fused
/// into one pass over flat parameter, gradient and moment buffers:
/// lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t); m = beta1 m + (1 - beta1) g;
/// v = beta2 v + (1 - beta2) g^2; p -= lr_t m / (sqrt(v) + epsilon).
/// TF adds epsilon to sqrt(v) before bias correction (PyTorch adds it after); with epsilon = 1e-8
/// the two differ only for tiny v.
/// An L2 penalty decay * sum ||W||^2 on weight segments enters as g + 2 decay W (the notebook's
/// 2 * l2_regularizer(lam) term; biases are never penalised, spec 7 pitfall 10).
/// With epsilonAfterBiasCorrection, epsilon is added as PyTorch's torch.optim.Adam adds it
/// (p -= lr m_hat / (sqrt(v_hat) + epsilon)), which is the TF form with epsilon sqrt(1 - beta2^t) in
/// place of epsilon (used by models whose reference code is PyTorch, e.g. RecVAE).
/// The pass is memory-bound (28 bytes per parameter), so it runs in parallel chunks.
/// </summary>
public sealed class TfAdam
{
    private readonly FlatParameters _parameters;
    private readonly FlatParameters _gradients;
    private readonly float[] _m;
    private readonly float[] _v;
    private const int ChunkSize = 1 << 18;

    public TfAdam(FlatParameters parameters, FlatParameters gradients, double learningRate,
        double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, bool epsilonAfterBiasCorrection = false)
    {
        if (parameters.LayoutKey != gradients.LayoutKey) throw new ArgumentException("parameters and gradients differ in layout");
        _parameters = parameters;
        _gradients = gradients;
        _m = AlignedArrays.Allocate(parameters.Data.Length);
        _v = AlignedArrays.Allocate(parameters.Data.Length);
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        EpsilonAfterBiasCorrection = epsilonAfterBiasCorrection;
    }

    public double LearningRate { get; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Epsilon { get; }

    /// <summary>True for PyTorch's placement of epsilon (after bias correction), false for TF's.</summary>
    public bool EpsilonAfterBiasCorrection { get; }

    /// <summary>Updates taken so far (TF's beta1_power/beta2_power are beta^Steps).</summary>
    public long Steps { get; private set; }

    internal float[] FirstMoment => _m;
    internal float[] SecondMoment => _v;

    /// <summary>Restores the optimiser state (for resuming).</summary>
    internal void Restore(long steps, ReadOnlySpan<float> m, ReadOnlySpan<float> v)
    {
        if (m.Length != _m.Length || v.Length != _v.Length) throw new ArgumentException("moment buffers differ in length from the parameters");
        m.CopyTo(_m);
        v.CopyTo(_v);
        Steps = steps;
    }

    /// <summary>
    /// Applies one update from the current gradients. Returns sum ||W||^2 over weight segments as they
    /// were before the update (the penalty's value at this step), or 0 when <paramref name="decay"/> is 0.
    /// </summary>
    public double Step(double decay = 0)
    {
        Steps++;
        double lrT = LearningRate * Math.Sqrt(1 - Math.Pow(Beta2, Steps)) / (1 - Math.Pow(Beta1, Steps));
        var chunks = new List<(int Start, int Length, bool Weight)>();
        foreach (var s in _parameters.Segments)
            for (long start = s.Offset; start < s.Offset + s.Length; start += ChunkSize)
                chunks.Add(((int)start, (int)Math.Min(ChunkSize, s.Offset + s.Length - start), s.IsWeight));
        var sums = new double[chunks.Count];
        double epsilonT = EpsilonAfterBiasCorrection ? Epsilon * Math.Sqrt(1 - Math.Pow(Beta2, Steps)) : Epsilon;
        float b1 = (float)Beta1, b2 = (float)Beta2, eps = (float)epsilonT, lr = (float)lrT;
        Parallel.For(0, chunks.Count, TorchRuntime.Parallelism, c =>
        {
            var (start, length, weight) = chunks[c];
            float twoDecay = weight ? (float)(2 * decay) : 0f;
            sums[c] = Update(_parameters.Data.AsSpan(start, length), _gradients.Data.AsSpan(start, length),
                _m.AsSpan(start, length), _v.AsSpan(start, length), lr, b1, b2, eps, twoDecay, weight && decay != 0);
        });
        double total = 0;
        foreach (var s in sums) total += s;
        return total;
    }

    private static double Update(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v,
        float lr, float b1, float b2, float eps, float twoDecay, bool measure)
    {
        var pv = MemoryMarshal.Cast<float, Vector<float>>(p);
        var gv = MemoryMarshal.Cast<float, Vector<float>>(g);
        var mv = MemoryMarshal.Cast<float, Vector<float>>(m);
        var vv = MemoryMarshal.Cast<float, Vector<float>>(v);
        var vb1 = new Vector<float>(b1); var vc1 = new Vector<float>(1 - b1);
        var vb2 = new Vector<float>(b2); var vc2 = new Vector<float>(1 - b2);
        var veps = new Vector<float>(eps); var vlr = new Vector<float>(lr); var vdec = new Vector<float>(twoDecay);
        var acc = Vector<float>.Zero;
        for (int k = 0; k < pv.Length; k++)
        {
            var pk = pv[k];
            if (measure) acc += pk * pk;
            var gk = gv[k] + vdec * pk;
            var mk = vb1 * mv[k] + vc1 * gk;
            var vk = vb2 * vv[k] + vc2 * gk * gk;
            mv[k] = mk;
            vv[k] = vk;
            pv[k] = pk - vlr * mk / (Vector.SquareRoot(vk) + veps);
        }
        double sum = Vector.Sum(acc);
        for (int i = pv.Length * Vector<float>.Count; i < p.Length; i++)
        {
            float pk = p[i];
            if (measure) sum += pk * pk;
            float gk = g[i] + twoDecay * pk;
            float mk = b1 * m[i] + (1 - b1) * gk;
            float vk = b2 * v[i] + (1 - b2) * gk * gk;
            m[i] = mk;
            v[i] = vk;
            p[i] = pk - lr * mk / (MathF.Sqrt(vk) + eps);
        }
        return sum;
    }
}
