using System.Numerics.Tensors;

namespace Repro.Core.Models.Loca;

/// <summary>Writes the scores (positions.Length x items, row-major) of anchor <c>anchor</c>'s local model for the scored rows at <c>positions</c>; false when the anchor has no local model.</summary>
public delegate bool LocaLocalScorer(int anchor, int[] positions, float[] scores);

/// <summary>Writes the global model's scores (positions.Length x items) for the scored rows at <c>positions</c>.</summary>
public delegate void LocaGlobalScorer(int[] positions, float[] scores);

/// <summary>What one combination did: rows scored, rows that fell back to the global model, local models used.</summary>
public readonly record struct LocaCombined(int Rows, int Fallbacks, int LocalModels);

/// <summary>
/// LOCA's combination of local scores (LOCA_VAE.py <c>predict</c>, l.116-157; spec seed-models 1.1
/// item 7), shared by LOCA-EASE and LOCA-VAE: score_u = sum_j w_uj M_j(x_u) / sum_j w_uj with
/// w_uj = K_{h_test}(d(a_j, e_u)); a row no anchor covers gets the global model's scores. Local models
/// are asked one at a time and added into <c>output</c>, the accumulator, so none needs to be kept. A
/// repeated anchor is the same local model: asked once, weighted by its multiplicity.
/// </summary>
public static class LocaCombination
{
    public static LocaCombined Combine(IReadOnlyList<int> anchors, float[] trainEmbeddings, float[] scoredEmbeddings, int latent,
        int items, double testBandwidth, Span<float> output, LocaLocalScorer local, LocaGlobalScorer global)
    {
        int b = scoredEmbeddings.Length / latent;
        output.Slice(0, b * items).Clear();
        var weightSum = new double[b];
        int used = 0;
        foreach (var group in anchors.GroupBy(a => a))
        {
            int anchor = group.Key, multiplicity = group.Count();
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
        return new LocaCombined(b, fallback.Count, used);
    }
}
