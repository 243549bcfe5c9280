using System.Numerics.Tensors;

namespace Repro.Core.Models.Loca;

/// <summary>Writes the scores (positions.Length x items, row-major) of anchor <c>anchor</c>'s local model for the scored rows at <c>positions</c>; false when the anchor has no local model.</summary>
public delegate bool LocaLocalScorer(int anchor, int[] positions, float[] scores);

/// <summary>Writes the global model's scores (positions.Length x items) for the scored rows at <c>positions</c>.</summary>
public delegate void LocaGlobalScorer(int[] positions, float[] scores);

/// <summary>What one combination did: rows scored, rows that fell back to the global model, local models used.</summary>
public readonly record struct LocaCombined(int Rows, int Fallbacks, int LocalModels);

/// <summary>One local model of a LOCA run: a distinct anchor and how many times the selection picked it.</summary>
public readonly record struct LocaAnchorGroup(int Anchor, int Multiplicity);

/// <summary>
/// LOCA's combination of local scores (LOCA_VAE.py <c>predict</c>, l.116-157; spec seed-models 1.1
/// item 7), shared by LOCA-EASE and LOCA-VAE: score_u = sum_j w_uj M_j(x_u) / sum_j w_uj with
/// w_uj = K_{h_test}(d(a_j, e_u)); a row no anchor covers gets the global model's scores. Local models
/// are asked one at a time and added into <c>output</c>, the accumulator, so none needs to be kept. A
/// repeated anchor is the same local model: asked once, weighted by its multiplicity.
///
/// The sum is split in two steps so that a run can be split into parts (ranges of anchor groups, each
/// its own process): <see cref="Accumulate"/> adds a range of local models' weighted scores and
/// weights, <see cref="Finish"/> divides by the weights and fills the global model's scores in.
/// <see cref="Combine"/> is both over every group.
/// </summary>
public static class LocaCombination
{
    /// <summary>The distinct anchors with their multiplicities, in order of first pick: the local models a run fits.</summary>
    public static LocaAnchorGroup[] Groups(IReadOnlyList<int> anchors) =>
        anchors.GroupBy(a => a).Select(g => new LocaAnchorGroup(g.Key, g.Count())).ToArray();

    /// <summary>
    /// The groups of part <paramref name="part"/> (1-based) of <paramref name="parts"/>: contiguous,
    /// sizes differing by at most one, the larger ones first, together every group once.
    /// </summary>
    public static (int First, int Count) PartRange(int groups, int part, int parts)
    {
        if (parts < 1) throw new ArgumentOutOfRangeException(nameof(parts), $"parts must be >= 1, got {parts}");
        if (part < 1 || part > parts) throw new ArgumentOutOfRangeException(nameof(part), $"part must be in 1..{parts}, got {part}");
        if (groups < 0) throw new ArgumentOutOfRangeException(nameof(groups), $"groups must be >= 0, got {groups}");
        int size = groups / parts, extra = groups % parts, k = part - 1;
        return (k * size + Math.Min(k, extra), size + (k < extra ? 1 : 0));
    }

    public static LocaCombined Combine(IReadOnlyList<int> anchors, float[] trainEmbeddings, float[] scoredEmbeddings, int latent,
        int items, double testBandwidth, Span<float> output, LocaLocalScorer local, LocaGlobalScorer global)
    {
        int b = scoredEmbeddings.Length / latent;
        output.Slice(0, b * items).Clear();
        var weightSum = new double[b];
        int used = Accumulate(Groups(anchors), trainEmbeddings, scoredEmbeddings, latent, items, testBandwidth, output, weightSum, local);
        int fallbacks = Finish(items, output, weightSum, global);
        return new LocaCombined(b, fallbacks, used);
    }

    /// <summary>
    /// Adds w_uj M_j(x_u) of every group's local model into <paramref name="output"/> (rows x items)
    /// and w_uj into <paramref name="weightSum"/> (w of a repeated anchor times its multiplicity);
    /// returns the local models used. The rows are those of <paramref name="scoredEmbeddings"/>.
    /// </summary>
    public static int Accumulate(IEnumerable<LocaAnchorGroup> groups, float[] trainEmbeddings, float[] scoredEmbeddings, int latent,
        int items, double testBandwidth, Span<float> output, double[] weightSum, LocaLocalScorer local)
    {
        int b = scoredEmbeddings.Length / latent;
        if (weightSum.Length != b) throw new ArgumentException($"weightSum has {weightSum.Length} rows, the scored embeddings {b}", nameof(weightSum));
        int used = 0;
        foreach (var (anchor, multiplicity) in groups)
        {
            var w = LocaKernel.Weights(trainEmbeddings.AsSpan(anchor * latent, latent), scoredEmbeddings, latent, testBandwidth);
            var positions = Enumerable.Range(0, b).Where(r => w[r] > 0).ToArray();
            if (positions.Length == 0) continue;
            var scores = new float[(long)positions.Length * items];
            if (!local(anchor, positions, scores)) continue;
            used++;
            for (int p = 0; p < positions.Length; p++)
            {
                int r = positions[p];
                double weight = (double)w[r] * multiplicity;
                var target = output.Slice(r * items, items);
                TensorPrimitives.MultiplyAdd(scores.AsSpan(p * items, items), (float)weight, target, target);
                weightSum[r] += weight;
            }
        }
        return used;
    }

    /// <summary>
    /// Divides each row of <paramref name="output"/> with a positive weight sum by it and gives every
    /// other row the global model's scores; returns how many rows fell back.
    /// </summary>
    public static int Finish(int items, Span<float> output, double[] weightSum, LocaGlobalScorer global)
    {
        int b = weightSum.Length;
        var fallback = new List<int>();
        for (int r = 0; r < b; r++)
        {
            if (weightSum[r] > 0)
            {
                var target = output.Slice(r * items, items);
                TensorPrimitives.Multiply(target, (float)(1.0 / weightSum[r]), target);
            }
            else fallback.Add(r);
        }
        if (fallback.Count > 0)
        {
            var positions = fallback.ToArray();
            var scores = new float[(long)positions.Length * items];
            global(positions, scores);
            for (int f = 0; f < positions.Length; f++) scores.AsSpan(f * items, items).CopyTo(output.Slice(positions[f] * items, items));
        }
        return fallback.Count;
    }
}
