using Repro.Core.Sparse;

namespace Repro.Core.Metrics;

/// <summary>
/// A model's scoring of one batch of users for evaluation. <paramref name="foldInBatch"/> holds the
/// batch's fold-in rows (rows <paramref name="firstRow"/> .. firstRow + foldInBatch.Rows - 1 of the
/// evaluated fold-in matrix). The scorer writes every element of <paramref name="scores"/>, a
/// preallocated row-major buffer of foldInBatch.Rows x foldInBatch.Columns floats that the
/// evaluator reuses from batch to batch, so it still holds the previous batch's scores on entry.
/// Scores are un-normalised (logits are fine: softmax is monotone, spec §1.4); fold-in items need no
/// masking, the evaluator never ranks them.
/// </summary>
public delegate void BatchScorer(CsrMatrix foldInBatch, int firstRow, Span<float> scores);
