using Repro.Core.Sparse;

namespace Repro.Core.Models;

/// <summary>
/// A trained model with numbers of its own to record beside its test metrics (metrics.json's "test"
/// part), computed once training is over, e.g. how many mixture components carry users.
/// </summary>
public interface IReportsExtras
{
    /// <summary>Named numbers about the fitted model, <paramref name="train"/> being its training users.</summary>
    IReadOnlyList<KeyValuePair<string, double>> Extras(CsrMatrix train);
}
