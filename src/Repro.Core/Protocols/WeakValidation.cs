using Repro.Core.Sparse;

namespace Repro.Core.Protocols;

/// <summary>
/// Model selection for a weak-generalisation split that never looks at its test items: a share of
/// each user's training items is carved out as validation targets; the model trains on the rest
/// (<see cref="Fit"/>) and is selected by how well it recovers the carved items from that rest
/// (<see cref="Validation"/>). Test scoring then takes the user's whole training row as input.
/// </summary>
public sealed class WeakValidation
{
    private WeakValidation(CsrMatrix fit, HeldOutSet validation)
    {
        Fit = fit;
        Validation = validation;
    }

    /// <summary>Training rows less the carved validation items: what the model trains on.</summary>
    public CsrMatrix Fit { get; }

    /// <summary>Every user: fold-in = <see cref="Fit"/>'s row, target = the carved items.</summary>
    public HeldOutSet Validation { get; }

    /// <summary>
    /// Carves int(<paramref name="fraction"/> · n) of each user's n training items (users with at least
    /// <paramref name="minItems"/>) as validation targets, chosen with numpy's legacy RNG from
    /// <paramref name="seed"/> as the notebook chooses strong-generalisation targets.
    /// </summary>
    public static WeakValidation Carve(CsrMatrix train, double fraction = 0.1, int minItems = 5, uint seed = HeldOutUsers.NotebookSeed)
    {
        if (!(fraction > 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "must lie in (0, 1)");
        var rng = new NumpyRandomState(seed);
        var fitStart = new int[train.Rows + 1];
        var targetStart = new int[train.Rows + 1];
        var fitColumns = new List<int>(train.NonZeros);
        var targetColumns = new List<int>(train.NonZeros / 8);
        var chosen = Array.Empty<bool>();
        for (int u = 0; u < train.Rows; u++)
        {
            var row = train.Row(u);
            int n = row.Length;
            int k = n >= minItems ? (int)(fraction * n) : 0;
            if (chosen.Length < n) chosen = new bool[Math.Max(n, 2 * chosen.Length)];
            Array.Clear(chosen, 0, n);
            if (k > 0) foreach (int p in rng.Choice(n, k)) chosen[p] = true;
            for (int p = 0; p < n; p++) (chosen[p] ? targetColumns : fitColumns).Add(row[p]);
            fitStart[u + 1] = fitColumns.Count;
            targetStart[u + 1] = targetColumns.Count;
        }
        var fit = new CsrMatrix(train.Rows, train.Columns, fitStart, fitColumns.ToArray());
        var target = new CsrMatrix(train.Rows, train.Columns, targetStart, targetColumns.ToArray());
        var order = new int[train.Rows];
        for (int u = 0; u < order.Length; u++) order[u] = u;
        return new WeakValidation(fit, new HeldOutSet(fit, target, 0, order, null));
    }
}
