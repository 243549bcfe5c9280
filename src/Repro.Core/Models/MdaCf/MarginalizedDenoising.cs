namespace Repro.Core.Models.MdaCf;

/// <summary>
/// The closed-form parts of mDA-CF (spec §6.2), on small dense matrices (features x features):
/// the expected scatter matrices of mSDA's marginalized corruption, the mapping W and the projection P.
/// Matrices are row-major double[rows, columns].
/// </summary>
public static class MarginalizedDenoising
{
    /// <summary>
    /// E[X Xcᵀ] and E[Xc Xcᵀ] for X (p x m, one column per user or item) and Xc its corruption that sets
    /// each feature to 0 with probability <paramref name="corruption"/> (mSDA): with S = XXᵀ and
    /// q = 1 - corruption, E[X Xcᵀ]_ij = S_ij q and E[Xc Xcᵀ]_ij = S_ij q² off the diagonal, S_ii q on it.
    /// </summary>
    public static (double[,] Cross, double[,] Corrupted) ExpectedScatter(double[,] x, double corruption)
    {
        var s = Scatter(x);
        int p = s.GetLength(0);
        double q = 1 - corruption;
        var cross = new double[p, p];
        var corrupted = new double[p, p];
        for (int i = 0; i < p; i++)
            for (int j = 0; j < p; j++)
            {
                cross[i, j] = s[i, j] * q;
                corrupted[i, j] = i == j ? s[i, j] * q : s[i, j] * q * q;
            }
        return (cross, corrupted);
    }

    /// <summary>XXᵀ.</summary>
    public static double[,] Scatter(double[,] x)
    {
        int p = x.GetLength(0), m = x.GetLength(1);
        var s = new double[p, p];
        for (int i = 0; i < p; i++)
            for (int j = i; j < p; j++)
            {
                double v = 0;
                for (int k = 0; k < m; k++) v += x[i, k] * x[j, k];
                s[i, j] = v;
                s[j, i] = v;
            }
        return s;
    }

    /// <summary>
    /// W = E[S] E[Q]⁻¹ with E[S] = E[X Xcᵀ] + λ P Uᵀ Xᵀ and E[Q] = E[Xc Xcᵀ] + λ XXᵀ + ridge I: the
    /// least-squares minimiser of E‖X - W Xc‖² + λ‖P Uᵀ - W X‖² (not the paper's printed form, which
    /// swaps S and Q).
    /// </summary>
    public static double[,] Mapping(double[,] x, double[,] u, double[,] p, double lambda, double corruption, double ridge)
    {
        var (cross, corrupted) = ExpectedScatter(x, corruption);
        var s = Scatter(x);
        int f = s.GetLength(0);
        var pux = lambda == 0 ? null : Multiply(Multiply(p, Transpose(u)), Transpose(x)); // p x p
        var es = new double[f, f];
        var eq = new double[f, f];
        for (int i = 0; i < f; i++)
            for (int j = 0; j < f; j++)
            {
                es[i, j] = cross[i, j] + (pux is null ? 0 : lambda * pux[i, j]);
                eq[i, j] = corrupted[i, j] + lambda * s[i, j] + (i == j ? ridge : 0);
            }
        // W E[Q] = E[S]  <=>  E[Q]ᵀ Wᵀ = E[S]ᵀ.
        return Transpose(Solve(Transpose(eq), Transpose(es)));
    }

    /// <summary>
    /// The input of mSDA-CF's tied (middle) layer: h_0 = X, then for each of the <paramref name="layers"/>
    /// untied layers below it W_l = E[h Hcᵀ](E[Hc Hcᵀ] + ridge I)⁻¹ (mSDA's closed form, λ = 0) and
    /// h_l = tanh(W_l h_{l-1}) (mSDA's nonlinearity, Chen et al. 2012). 0 layers returns X.
    /// </summary>
    public static double[,] Stack(double[,] x, int layers, double corruption, double ridge)
    {
        if (layers < 0) throw new ArgumentOutOfRangeException(nameof(layers), $"layers must be >= 0, got {layers}");
        var h = x;
        for (int l = 0; l < layers; l++)
        {
            var w = Mapping(h, new double[h.GetLength(1), 1], new double[h.GetLength(0), 1], 0, corruption, ridge);
            h = Multiply(w, h);
            for (int i = 0; i < h.GetLength(0); i++)
                for (int j = 0; j < h.GetLength(1); j++) h[i, j] = Math.Tanh(h[i, j]);
        }
        return h;
    }

    /// <summary>P = W X U (UᵀU + ridge I)⁻¹ (features x d).</summary>
    public static double[,] Projection(double[,] w, double[,] x, double[,] u, double ridge)
    {
        var wxu = Multiply(Multiply(w, x), u); // f x d
        var utu = Multiply(Transpose(u), u);
        int d = utu.GetLength(0);
        for (int i = 0; i < d; i++) utu[i, i] += ridge;
        // P UᵀU = WXU  <=>  UᵀU Pᵀ = (WXU)ᵀ (UᵀU is symmetric).
        return Transpose(Solve(utu, Transpose(wxu)));
    }

    public static double[,] Multiply(double[,] a, double[,] b)
    {
        int n = a.GetLength(0), k = a.GetLength(1), m = b.GetLength(1);
        if (b.GetLength(0) != k) throw new ArgumentException($"shapes {n}x{k} and {b.GetLength(0)}x{m} do not multiply");
        var c = new double[n, m];
        for (int i = 0; i < n; i++)
            for (int t = 0; t < k; t++)
            {
                double v = a[i, t];
                if (v == 0) continue;
                for (int j = 0; j < m; j++) c[i, j] += v * b[t, j];
            }
        return c;
    }

    public static double[,] Transpose(double[,] a)
    {
        int n = a.GetLength(0), m = a.GetLength(1);
        var t = new double[m, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++) t[j, i] = a[i, j];
        return t;
    }

    /// <summary>X with A X = B, by Gaussian elimination with partial pivoting.</summary>
    public static double[,] Solve(double[,] a, double[,] b)
    {
        int n = a.GetLength(0), m = b.GetLength(1);
        if (a.GetLength(1) != n || b.GetLength(0) != n) throw new ArgumentException("A must be square and B must have as many rows");
        var l = (double[,])a.Clone();
        var r = (double[,])b.Clone();
        for (int c = 0; c < n; c++)
        {
            int pivot = c;
            for (int i = c + 1; i < n; i++) if (Math.Abs(l[i, c]) > Math.Abs(l[pivot, c])) pivot = i;
            if (Math.Abs(l[pivot, c]) < 1e-300) throw new InvalidOperationException("the system is singular");
            if (pivot != c)
            {
                for (int j = 0; j < n; j++) (l[c, j], l[pivot, j]) = (l[pivot, j], l[c, j]);
                for (int j = 0; j < m; j++) (r[c, j], r[pivot, j]) = (r[pivot, j], r[c, j]);
            }
            for (int i = c + 1; i < n; i++)
            {
                double f = l[i, c] / l[c, c];
                if (f == 0) continue;
                for (int j = c; j < n; j++) l[i, j] -= f * l[c, j];
                for (int j = 0; j < m; j++) r[i, j] -= f * r[c, j];
            }
        }
        var x = new double[n, m];
        for (int i = n - 1; i >= 0; i--)
            for (int j = 0; j < m; j++)
            {
                double v = r[i, j];
                for (int k = i + 1; k < n; k++) v -= l[i, k] * x[k, j];
                x[i, j] = v / l[i, i];
            }
        return x;
    }
}
