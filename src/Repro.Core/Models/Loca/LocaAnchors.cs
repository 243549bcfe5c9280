using Repro.Core.Sparse;
using Repro.Core.Training;

namespace Repro.Core.Models.Loca;

/// <summary>How LOCA picks its anchor users (spec seed-models 1.1 item 4).</summary>
public enum LocaAnchorSelection
{
    /// <summary>Uniformly at random (<c>np.random.choice(n, q)</c>, with replacement when faithful).</summary>
    Random,
    /// <summary>Greedy maximum coverage of the users by the inference kernel.</summary>
    Coverage,
}

/// <summary>
/// LOCA's anchor selection (LOCA_VAE.py <c>build_kernel_matrix</c>, spec seed-models 1.1 item 4),
/// shared by LOCA-EASE and LOCA-VAE. Coverage is one bitset per candidate over the training users
/// (the code's dense n x n matrix is 109 GB at ML-20M's shape, spec 1.7).
/// </summary>
public static class LocaAnchors
{
    /// <summary>
    /// Greedy maximum coverage (LOCA_VAE.py l.226-240): <paramref name="covers"/>[c] is candidate c's
    /// bitset over <paramref name="users"/> users; each step takes the candidate covering most
    /// still-uncovered users (ties: the lowest index, as np.argmax) and marks them covered. With
    /// <paramref name="repeatWhenCovered"/> all <paramref name="q"/> steps are taken (the code: once
    /// everything is covered the argmax is candidate 0 again); otherwise it stops when no candidate adds a user.
    /// </summary>
    public static int[] GreedyCoverage(IReadOnlyList<ulong[]> covers, int users, int q, bool repeatWhenCovered)
    {
        int words = (users + 63) / 64;
        var uncovered = new ulong[words];
        for (int u = 0; u < users; u++) uncovered[u >> 6] |= 1UL << (u & 63);
        var picked = new List<int>(q);
        while (picked.Count < q)
        {
            int best = 0, bestGain = -1;
            for (int c = 0; c < covers.Count; c++)
            {
                int gain = 0;
                var cover = covers[c];
                for (int w = 0; w < words; w++) gain += System.Numerics.BitOperations.PopCount(cover[w] & uncovered[w]);
                if (gain > bestGain) { best = c; bestGain = gain; }
            }
            if (bestGain <= 0 && !repeatWhenCovered) break;
            picked.Add(best);
            for (int w = 0; w < words; w++) uncovered[w] &= ~covers[best][w];
        }
        return picked.ToArray();
    }

    /// <summary>
    /// <paramref name="count"/> anchors among the rows of <paramref name="train"/> from their
    /// <paramref name="embeddings"/>. Faithful: random anchors with replacement; coverage candidates
    /// only every 10th user by activity (the code's ids are sorted by activity) and q picks even after
    /// everything is covered (spec 1.8 item 4). Otherwise: distinct random anchors; every user a
    /// candidate; coverage stops when nothing is gained.
    /// </summary>
    public static int[] Select(CsrMatrix train, float[] embeddings, int latent, int count, LocaAnchorSelection selection,
        double testBandwidth, bool faithful, ulong seed)
    {
        int n = train.Rows;
        if (selection == LocaAnchorSelection.Random)
        {
            var random = new SeededRandom(seed ^ 0xA2C40C5UL);
            if (faithful) return Enumerable.Range(0, count).Select(_ => random.NextBelow(n)).ToArray();
            var pool = Enumerable.Range(0, n).ToArray();
            int take = Math.Min(count, n);
            for (int k = 0; k < take; k++) { int s = k + random.NextBelow(n - k); (pool[k], pool[s]) = (pool[s], pool[k]); }
            return pool[..take];
        }
        var candidates = faithful
            ? Enumerable.Range(0, n).OrderByDescending(train.RowLength).ThenBy(u => u).Where((_, rank) => rank % 10 == 0).ToArray()
            : Enumerable.Range(0, n).ToArray();
        int words = (n + 63) / 64;
        var covers = new ulong[candidates.Length][];
        Parallel.For(0, candidates.Length, TorchRuntime.Parallelism, c =>
        {
            var bits = new ulong[words];
            var a = embeddings.AsSpan(candidates[c] * latent, latent);
            for (int v = 0; v < n; v++)
                if (LocaKernel.Epanechnikov(LocaKernel.Distance(a, embeddings.AsSpan(v * latent, latent)), testBandwidth) > 0) bits[v >> 6] |= 1UL << (v & 63);
            covers[c] = bits;
        });
        return GreedyCoverage(covers, n, count, faithful).Select(c => candidates[c]).ToArray();
    }

    /// <summary>Rows of <paramref name="embeddings"/> with a positive inference weight from some anchor.</summary>
    public static int Covered(IEnumerable<int> anchors, float[] trainEmbeddings, float[] embeddings, int latent, double testBandwidth)
    {
        var distinct = anchors.Distinct().ToArray();
        int n = embeddings.Length / latent, covered = 0;
        for (int u = 0; u < n; u++)
            foreach (int a in distinct)
                if (LocaKernel.Epanechnikov(LocaKernel.Distance(trainEmbeddings.AsSpan(a * latent, latent), embeddings.AsSpan(u * latent, latent)), testBandwidth) > 0) { covered++; break; }
        return covered;
    }
}
