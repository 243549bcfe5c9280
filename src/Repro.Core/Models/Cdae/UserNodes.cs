using System.Numerics;
using System.Runtime.InteropServices;

namespace Repro.Core.Models.Cdae;

/// <summary>
/// CDAE's per-user input nodes V (Wu et al. eq. 1: h_u = tanh(W^T y_u + V_u + b)), one row of
/// <see cref="Width"/> floats per training user, with a row-wise Adam: a row is updated only when its
/// user is in the minibatch, with its own moments and step count, so each node follows Adam on its own
/// gradient sequence (TF's dense Adam would also move every absent user's node by its stale momentum
/// at every step, and cost a pass over users x 200 floats per batch). Rows start at 0, the same start
/// as a held-out user's node in fold-in.
/// </summary>
public sealed class UserNodes
{
    public const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;

    public UserNodes(int users, int width)
    {
        if (users <= 0) throw new ArgumentOutOfRangeException(nameof(users), $"users must be > 0, got {users}");
        if (width <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"width must be > 0, got {width}");
        if ((long)users * width > Array.MaxLength) throw new ArgumentException($"{users} x {width} user nodes do not fit one array");
        Users = users;
        Width = width;
        Values = new float[users * width];
        FirstMoment = new float[users * width];
        SecondMoment = new float[users * width];
        Steps = new int[users];
    }

    public int Users { get; }
    public int Width { get; }

    /// <summary>V, users x Width, row-major.</summary>
    public float[] Values { get; }
    internal float[] FirstMoment { get; }
    internal float[] SecondMoment { get; }

    /// <summary>Adam updates each row has had.</summary>
    internal int[] Steps { get; }

    public Span<float> Row(int user) => Values.AsSpan(user * Width, Width);

    /// <summary>One Adam step of <paramref name="user"/>'s row from <paramref name="gradient"/>.</summary>
    public void Step(int user, ReadOnlySpan<float> gradient, double learningRate)
    {
        int offset = user * Width;
        int step = ++Steps[user];
        AdamRow(Values.AsSpan(offset, Width), gradient, FirstMoment.AsSpan(offset, Width), SecondMoment.AsSpan(offset, Width), step, learningRate);
    }

    /// <summary>
    /// TF 1.x Adam (as <see cref="Training.TfAdam"/>) on one row at step <paramref name="step"/> (1-based):
    /// lr_t = lr sqrt(1 - beta2^t) / (1 - beta1^t); p -= lr_t m / (sqrt(v) + epsilon).
    /// </summary>
    public static void AdamRow(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, long step, double learningRate)
    {
        float lr = (float)(learningRate * Math.Sqrt(1 - Math.Pow(Beta2, step)) / (1 - Math.Pow(Beta1, step)));
        float b1 = (float)Beta1, b2 = (float)Beta2, eps = (float)Epsilon;
        var pv = MemoryMarshal.Cast<float, Vector<float>>(p);
        var gv = MemoryMarshal.Cast<float, Vector<float>>(g);
        var mv = MemoryMarshal.Cast<float, Vector<float>>(m);
        var vv = MemoryMarshal.Cast<float, Vector<float>>(v);
        for (int k = 0; k < pv.Length; k++)
        {
            var gk = gv[k];
            var mk = new Vector<float>(b1) * mv[k] + new Vector<float>(1 - b1) * gk;
            var vk = new Vector<float>(b2) * vv[k] + new Vector<float>(1 - b2) * gk * gk;
            mv[k] = mk;
            vv[k] = vk;
            pv[k] -= new Vector<float>(lr) * mk / (Vector.SquareRoot(vk) + new Vector<float>(eps));
        }
        for (int i = pv.Length * Vector<float>.Count; i < p.Length; i++)
        {
            float gk = g[i];
            float mk = b1 * m[i] + (1 - b1) * gk;
            float vk = b2 * v[i] + (1 - b2) * gk * gk;
            m[i] = mk;
            v[i] = vk;
            p[i] -= lr * mk / (MathF.Sqrt(vk) + eps);
        }
    }
}
