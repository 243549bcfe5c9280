using System.Numerics.Tensors;
using Repro.Core.Training;

namespace Repro.Core.Models.Cdae;

/// <summary>
/// CDAE's output loss for one user row: f_u = tanh(a_u + b') (tanh at the output, spec 2.3) and the
/// weighted square loss l_u = sum_i c_ui / 2 (x_ui - f_ui)^2 over all items, c_ui = c1 where x_ui != 0
/// and c0 elsewhere: the Gaussian likelihood of spec 2.4 (<see cref="Likelihood.Gaussian"/>, same
/// <see cref="GaussianConfidence"/>) applied to the tanh output rather than to the logits. The target is
/// sparse, so the sum is c0/2 sum_i f_ui^2 plus a correction at the nonzeros.
/// </summary>
internal static class TanhSquareLoss
{
    /// <summary>
    /// On entry <paramref name="row"/> holds a_u (before the output bias). Returns l_u. With
    /// <paramref name="gradientScale"/> != 0 the row leaves holding gradientScale d l_u / d a_u
    /// = gradientScale c_ui (f_ui - x_ui)(1 - f_ui^2); otherwise it leaves holding f_u.
    /// <paramref name="scratch"/> needs <paramref name="items"/> floats.
    /// </summary>
    public static double Row(Span<float> row, ReadOnlySpan<float> bias, ReadOnlySpan<int> columns, ReadOnlySpan<float> x,
        GaussianConfidence confidence, float gradientScale, Span<float> scratch)
    {
        float c0 = (float)confidence.Negative, c1 = (float)confidence.Positive;
        TensorPrimitives.Add(row, bias, row);
        TensorPrimitives.Tanh(row, row);
        double loss = 0.5 * c0 * SumOfSquares(row);
        for (int k = 0; k < columns.Length; k++)
        {
            double f = row[columns[k]], d = f - x[k];
            loss += 0.5 * (c1 * d * d - c0 * f * f);
        }
        if (gradientScale == 0) return loss;
        // scratch = 1 - f^2; at an observed item it then takes the whole gradient c1 (f - x)(1 - f^2),
        // read back after the dense pass c0 f (1 - f^2) has overwritten that entry of the row.
        var slope = scratch.Slice(0, row.Length);
        TensorPrimitives.Multiply(row, row, slope);
        TensorPrimitives.Negate(slope, slope);
        TensorPrimitives.Add(slope, 1f, slope);
        for (int k = 0; k < columns.Length; k++)
        {
            int i = columns[k];
            slope[i] = gradientScale * c1 * (row[i] - x[k]) * slope[i];
        }
        TensorPrimitives.Multiply(row, slope, row);
        TensorPrimitives.Multiply(row, gradientScale * c0, row);
        for (int k = 0; k < columns.Length; k++) row[columns[k]] = slope[columns[k]];
        return loss;
    }

    /// <summary>
    /// sum x^2 in a fixed order (vector lanes from index 0, then the tail), so the value does not depend
    /// on where the span sits in memory (TensorPrimitives' reductions align to the address, and a
    /// resumed run must log the same losses).
    /// </summary>
    public static double SumOfSquares(ReadOnlySpan<float> x)
    {
        var v = System.Runtime.InteropServices.MemoryMarshal.Cast<float, System.Numerics.Vector<float>>(x);
        var acc = System.Numerics.Vector<float>.Zero;
        foreach (var e in v) acc += e * e;
        double sum = System.Numerics.Vector.Sum(acc);
        for (int i = v.Length * System.Numerics.Vector<float>.Count; i < x.Length; i++) sum += (double)x[i] * x[i];
        return sum;
    }
}
