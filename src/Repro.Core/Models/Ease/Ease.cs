using Repro.Core.Data.Cache;
using Repro.Core.Sparse;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Core.Models.Ease;

/// <summary>
/// EASE^R (Steck 2019, Eq. 8): G = X^T X + lambda I, P = G^-1, B = I - P diagMat(1 / diag(P)), so
/// B_ij = -P_ij / P_jj off the diagonal and B_jj = 0; a user's scores are x_u B. Fitted on training
/// users only; a held-out user's scores use only their fold-in row, so no fold-in step is needed.
/// </summary>
public sealed class Ease : IRecommender
{
    private const string ArchiveKind = "ease";
    private const int ArchiveVersion = 1;

    /// <summary>Up to this many items the inverse is taken in float64; above it, float32 Cholesky (halves time and memory).</summary>
    public const int Float64Limit = 8192;

    private readonly float[] _weights;

    private Ease(EaseHyper hyper, int items, float[] weights)
    {
        Hyper = hyper;
        Items = items;
        _weights = weights;
    }

    public EaseHyper Hyper { get; }
    public int Items { get; }

    /// <summary>B, Items x Items, row-major: B[i, j] is item i's weight in item j's score.</summary>
    public ReadOnlySpan<float> Weights => _weights;

    /// <summary>
    /// Solves for B with a Cholesky factorisation of G (libtorch), float64 up to <see cref="Float64Limit"/> items.
    /// A cancelled token stops the fit between its steps (Gram, factorisation, inverse) with <see cref="OperationCanceledException"/>.
    /// </summary>
    public static Ease Fit(CsrMatrix train, EaseHyper hyper, CancellationToken cancel = default)
    {
        hyper.Validate();
        TorchRuntime.EnsureLoaded();
        int n = train.Columns;
        var weights = SparseProducts.Gram(train);
        cancel.ThrowIfCancellationRequested();
        var dtype = n <= Float64Limit ? ScalarType.Float64 : ScalarType.Float32;
        using (var scope = NewDisposeScope())
        {
            var g = tensor(weights, new long[] { n, n });
            if (dtype == ScalarType.Float64) g = g.to(dtype);
            g.diagonal().add_(hyper.Lambda);
            var factor = linalg.cholesky(g);
            g.Dispose();
            cancel.ThrowIfCancellationRequested();
            var p = cholesky_inverse(factor);
            factor.Dispose();
            cancel.ThrowIfCancellationRequested();
            var diag = p.diagonal().clone();
            // B = I - P diagMat(1 / diag(P)): column j of P divided by -P_jj, then a zero diagonal.
            p.div_(diag.neg().unsqueeze(0));
            p.diagonal().zero_();
            var b = dtype == ScalarType.Float32 ? p : p.to(ScalarType.Float32);
            b.contiguous().data<float>().CopyTo(weights, 0);
        }
        return new Ease(hyper, n, weights);
    }

    public void Score(CsrMatrix foldIn, ReadOnlySpan<int> rows, Span<float> output)
    {
        if (foldIn.Columns != Items) throw new ArgumentException($"fold-in has {foldIn.Columns} items, the model {Items}");
        SparseProducts.TimesDense(foldIn, rows, _weights, Items, output);
    }

    public void Save(string path) =>
        BinaryArchive.Write(path, ArchiveKind, ArchiveVersion, "", w =>
        {
            w.Write(Hyper.Lambda);
            w.Write(Items);
            w.Write(_weights);
        });

    public static Ease Load(string path) =>
        BinaryArchive.Read(path, ArchiveKind, ArchiveVersion, "", r =>
        {
            var hyper = new EaseHyper { Lambda = r.ReadDouble() };
            int items = r.ReadInt32();
            var weights = r.ReadSingleArray();
            if (weights.LongLength != (long)items * items) throw new StaleCacheException(path, $"holds {weights.LongLength} weights, expected {items} x {items}");
            return new Ease(hyper, items, weights);
        });

    public void Dispose() { }
}
