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

/// <summary>Helpers every recommender gets.</summary>
public static class RecommenderExtensions
{
    /// <summary>
    /// The model as the evaluator's <see cref="Metrics.BatchScorer"/>: each batch of fold-in rows is
    /// scored whole (rows 0 .. batch.Rows - 1 of the batch).
    /// </summary>
    public static Metrics.BatchScorer AsBatchScorer(this IRecommender model)
    {
        int[] rows = [];
        return (batch, _, scores) =>
        {
            if (rows.Length < batch.Rows) rows = Enumerable.Range(0, batch.Rows).ToArray();
            model.Score(batch, rows.AsSpan(0, batch.Rows), scores);
        };
    }
}
