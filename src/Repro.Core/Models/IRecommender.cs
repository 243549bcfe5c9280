using Repro.Core.Sparse;

namespace Repro.Core.Models;

/// <summary>
/// What every model answers once fitted: scores of every item for users given only their fold-in
/// items (strong generalisation: a held-out user is never seen in training). Higher is better;
/// the evaluator excludes fold-in items itself, so a model need not.
/// </summary>
public interface IRecommender : IDisposable
{
    /// <summary>Items scored: the training vocabulary's size.</summary>
    int Items { get; }

    /// <summary>
    /// Fills <paramref name="output"/> (rows.Length x <see cref="Items"/>, row-major) with the scores
    /// of the users in <paramref name="rows"/> of <paramref name="foldIn"/>. Must overwrite every element.
    /// </summary>
    void Score(CsrMatrix foldIn, ReadOnlySpan<int> rows, Span<float> output);

    /// <summary>Writes the fitted model, so that a reload scores identically.</summary>
    void Save(string path);
}
