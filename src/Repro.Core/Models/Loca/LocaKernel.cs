namespace Repro.Core.Models.Loca;

/// <summary>
/// LOCA's distance between user embeddings and its Epanechnikov kernel (LOCA_VAE.py <c>dist</c>,
/// <c>kernel</c>; spec seed-models 1.1 items 2-3), shared by LOCA-EASE and LOCA-VAE.
/// </summary>
public static class LocaKernel
{
    /// <summary>LOCA's distance: (2/pi) arccos(cos(a, b)), in [0, 2]; 1 when either vector is zero.</summary>
    public static double Distance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int k = 0; k < a.Length; k++) { dot += (double)a[k] * b[k]; na += (double)a[k] * a[k]; nb += (double)b[k] * b[k]; }
        if (na == 0 || nb == 0) return 1.0;
        return 2.0 / Math.PI * Math.Acos(Math.Clamp(dot / Math.Sqrt(na * nb), -1.0, 1.0));
    }

    /// <summary>The Epanechnikov kernel 0.75 max(0, 1 - (d/h)^2): positive exactly when d &lt; h.</summary>
    public static double Epanechnikov(double d, double h)
    {
        double r = d / h;
        return r >= 1 ? 0 : 0.75 * (1 - r * r);
    }

    /// <summary>
    /// K_h(d(a, e_u)) for every row u of <paramref name="embeddings"/> (rows x <paramref name="latent"/>):
    /// an anchor's training weights t (h = h_train) or inference weights w (h = h_test).
    /// </summary>
    public static float[] Weights(ReadOnlySpan<float> anchor, ReadOnlySpan<float> embeddings, int latent, double h)
    {
        int n = embeddings.Length / latent;
        var t = new float[n];
        for (int u = 0; u < n; u++) t[u] = (float)Epanechnikov(Distance(anchor, embeddings.Slice(u * latent, latent)), h);
        return t;
    }
}
