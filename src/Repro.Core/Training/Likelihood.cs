using System.Numerics.Tensors;

namespace Repro.Core.Training;

/// <summary>The likelihood p(x_u | z_u) of the autoencoders' output layer (paper section 2.1, spec 2.4).</summary>
public enum Likelihood
{
    /// <summary>Multinomial over items: log p = sum_i x_ui log softmax(f_u)_i (the paper's choice, eq. 2).</summary>
    Multinomial,

    /// <summary>
    /// Gaussian with per-entry confidence: log p = -sum_i c_ui / 2 (x_ui - f_ui)^2 over all items
    /// (eq. 3, a weighted square loss), c_ui = <see cref="GaussianConfidence.Positive"/> where x_ui &gt; 0
    /// and <see cref="GaussianConfidence.Negative"/> elsewhere.
    /// </summary>
    Gaussian,

    /// <summary>Bernoulli per item over all items: log p = sum_i x_ui log s(f_ui) + (1 - x_ui) log(1 - s(f_ui)) (eq. 4).</summary>
    Logistic,
}

/// <summary>
/// Confidence weights of the Gaussian likelihood, in Hu et al.'s convention (c1 &gt; c0). The paper
/// tunes them per likelihood and reports none (spec 2.4), so <see cref="Default"/> is our choice:
/// c0 = 1 on zeros and c1 = 10 on observed items, the middle of the WMF grid {2, 5, 10, 30, 50, 100}
/// that the paper searches for the weight on ones (spec 2.3).
/// </summary>
/// <param name="Positive">c1, the weight of an observed item (dimensionless).</param>
/// <param name="Negative">c0, the weight of an unobserved item (dimensionless).</param>
public sealed record GaussianConfidence(double Positive, double Negative)
{
    public static GaussianConfidence Default { get; } = new(10.0, 1.0);
}

/// <summary>
/// The output-layer loss of a batch, fused into one pass per user row that stays in cache: it adds
/// the output bias, evaluates -log p(x_u | f_u), and (when a gradient is wanted) overwrites the row
/// with d loss / d f_u for the batch-mean loss and adds it to the bias gradient. The target is sparse,
/// so the multinomial term is computed as (sum_i x_ui) logsumexp(f_u) - sum_{i: x_ui != 0} x_ui f_ui
/// (a gather at the nonzeros) rather than a dense product with log_softmax.
/// </summary>
internal static class OutputLoss
{
    /// <summary>
    /// Processes rows [<paramref name="from"/>, <paramref name="to"/>) of <paramref name="logits"/>
    /// (rows of length items). Returns the sum over those rows of -log p(x_u | f_u).
    /// With <paramref name="gradientScale"/> = 0 the rows hold scratch values afterwards and no gradient is formed.
    /// </summary>
    public static double Rows(Likelihood kind, GaussianConfidence confidence, Span<float> logits, int items,
        ReadOnlySpan<float> bias, SparseBatch batch, int from, int to, float gradientScale, Span<float> biasGradient,
        Span<float> scratch)
    {
        double total = 0;
        bool gradient = gradientScale != 0;
        for (int u = from; u < to; u++)
        {
            var row = logits.Slice(u * items, items);
            TensorPrimitives.Add(row, bias, row);
            int start = batch.TargetStart[u], end = batch.TargetStart[u + 1];
            var columns = batch.TargetColumn.AsSpan(start, end - start);
            var x = batch.TargetValue.AsSpan(start, end - start);
            switch (kind)
            {
                case Likelihood.Multinomial:
                {
                    double dot = 0, count = 0;
                    for (int k = 0; k < columns.Length; k++) { dot += (double)x[k] * row[columns[k]]; count += x[k]; }
                    float max = TensorPrimitives.Max(row);
                    TensorPrimitives.Subtract(row, max, row);
                    TensorPrimitives.Exp(row, row);
                    double sum = TensorPrimitives.Sum(row);
                    total += count * (max + Math.Log(sum)) - dot;
                    if (gradient)
                    {
                        // d/df_ui = (n_u softmax_ui - x_ui) / B
                        TensorPrimitives.Multiply(row, (float)(count / sum * gradientScale), row);
                        for (int k = 0; k < columns.Length; k++) row[columns[k]] -= x[k] * gradientScale;
                    }
                    break;
                }
                case Likelihood.Gaussian:
                {
                    float c0 = (float)confidence.Negative, c1 = (float)confidence.Positive;
                    double loss = 0.5 * c0 * TensorPrimitives.SumOfSquares(row);
                    for (int k = 0; k < columns.Length; k++)
                    {
                        double f = row[columns[k]], d = f - x[k];
                        loss += 0.5 * (c1 * d * d - c0 * f * f);
                    }
                    total += loss;
                    if (gradient)
                    {
                        // d/df_ui = c_ui (f_ui - x_ui) / B
                        for (int k = 0; k < columns.Length; k++) scratch[k] = c1 * (row[columns[k]] - x[k]) * gradientScale;
                        TensorPrimitives.Multiply(row, c0 * gradientScale, row);
                        for (int k = 0; k < columns.Length; k++) row[columns[k]] = scratch[k];
                    }
                    break;
                }
                case Likelihood.Logistic:
                {
                    // -log p = sum_i softplus(f_ui) - sum_i x_ui f_ui, softplus(f) = max(f, 0) + log(1 + exp(-|f|))
                    double dot = 0;
                    for (int k = 0; k < columns.Length; k++) dot += (double)x[k] * row[columns[k]];
                    var tmp = scratch.Slice(0, items);
                    TensorPrimitives.Abs(row, tmp);
                    TensorPrimitives.Negate(tmp, tmp);
                    TensorPrimitives.Exp(tmp, tmp);
                    TensorPrimitives.Add(tmp, 1f, tmp);
                    TensorPrimitives.Log(tmp, tmp);
                    double softplus = TensorPrimitives.Sum(tmp);
                    TensorPrimitives.Max(row, 0f, tmp);
                    softplus += TensorPrimitives.Sum(tmp);
                    total += softplus - dot;
                    if (gradient)
                    {
                        // d/df_ui = (sigmoid(f_ui) - x_ui) / B
                        TensorPrimitives.Sigmoid(row, row);
                        TensorPrimitives.Multiply(row, gradientScale, row);
                        for (int k = 0; k < columns.Length; k++) row[columns[k]] -= x[k] * gradientScale;
                    }
                    break;
                }
                default:
                    throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown likelihood");
            }
            if (gradient) TensorPrimitives.Add(biasGradient, row, biasGradient);
        }
        return total;
    }
}
