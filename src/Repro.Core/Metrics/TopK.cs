using System.Buffers;
using System.Numerics;

namespace Repro.Core.Metrics;

/// <summary>
/// Top-k item selection over one user's score row by partial selection: a k-sized min-heap whose
/// root is the weakest kept item, then a heap sort of those k items. O(n + r log k) for a row of n
/// items with r heap replacements (about k ln(n/k) for random scores), instead of a full sort. The
/// notebook does the same job with <c>bn.argpartition</c> then a sort of the k kept scores
/// (spec §1.4).
/// </summary>
/// <remarks>
/// Order: descending score; equal scores are ordered by ascending item index (the lower index
/// ranks first). The notebook leaves ties to bottleneck's partition order, so tied items may come
/// in another order there; with continuous logits ties do not occur in practice.
/// NaN scores count as -infinity: a NaN is never ranked ahead of a real score, and among scores
/// that are all -infinity or NaN the lower index ranks first.
/// Excluded items (the fold-in items, spec §1.4 and §7 pitfall 9) are skipped, not overwritten
/// with -infinity, so they can never be returned, even when fewer than k other items exist or
/// the other scores are -infinity.
/// </remarks>
public static class TopK
{
    const int StackLimit = 256;

    /// <summary>
    /// Writes the indices of the best <c>topItems.Length</c> items of <paramref name="scores"/> into
    /// <paramref name="topItems"/>, best first, skipping <paramref name="excludedItems"/> (any order,
    /// duplicates allowed). Returns how many were written: fewer than k only when fewer than k items
    /// are not excluded.
    /// </summary>
    public static int Select(ReadOnlySpan<float> scores, ReadOnlySpan<int> excludedItems, Span<int> topItems)
    {
        int k = topItems.Length;
        if (k == 0) return 0;

        int[]? rentedExcluded = null;
        Span<int> sortedExcluded = excludedItems.Length <= StackLimit
            ? stackalloc int[StackLimit]
            : (rentedExcluded = ArrayPool<int>.Shared.Rent(excludedItems.Length));
        sortedExcluded = sortedExcluded[..excludedItems.Length];
        excludedItems.CopyTo(sortedExcluded);
        sortedExcluded.Sort();
        if (sortedExcluded.Length > 0 && ((uint)sortedExcluded[0] >= (uint)scores.Length || sortedExcluded[^1] >= scores.Length))
            throw new ArgumentOutOfRangeException(nameof(excludedItems), $"an excluded item lies outside 0..{scores.Length - 1}");

        float[]? rentedHeap = null;
        Span<float> heapScores = k <= StackLimit
            ? stackalloc float[StackLimit]
            : (rentedHeap = ArrayPool<float>.Shared.Rent(k));
        heapScores = heapScores[..k];
        try
        {
            var heap = new Heap(heapScores, topItems);
            int segmentStart = 0;
            foreach (var excluded in sortedExcluded)
            {
                heap.Scan(scores, segmentStart, excluded);
                segmentStart = Math.Max(segmentStart, excluded + 1);
            }
            heap.Scan(scores, segmentStart, scores.Length);
            return heap.SortBestFirst();
        }
        finally
        {
            if (rentedExcluded != null) ArrayPool<int>.Shared.Return(rentedExcluded);
            if (rentedHeap != null) ArrayPool<float>.Shared.Return(rentedHeap);
        }
    }

    /// <summary><see cref="Select(ReadOnlySpan{float}, ReadOnlySpan{int}, Span{int})"/> with no excluded items.</summary>
    public static int Select(ReadOnlySpan<float> scores, Span<int> topItems) => Select(scores, ReadOnlySpan<int>.Empty, topItems);

    /// <summary>
    /// A min-heap of (score, item) under the "weaker" order: lower score, or equal score and higher
    /// item index. The root is the weakest kept item.
    /// </summary>
    ref struct Heap
    {
        readonly Span<float> _score;
        readonly Span<int> _item;
        int _count;

        public Heap(Span<float> score, Span<int> item)
        {
            _score = score;
            _item = item;
            _count = 0;
        }

        static bool Weaker(float scoreA, int itemA, float scoreB, int itemB) =>
            scoreA < scoreB || (scoreA == scoreB && itemA > itemB);

        /// <summary>Offers items start..end-1 in ascending index order.</summary>
        public void Scan(ReadOnlySpan<float> scores, int start, int end)
        {
            int i = start;
            // Fill phase: the first k candidates enter unconditionally (NaN stored as -infinity).
            for (; i < end && _count < _score.Length; i++)
            {
                float s = scores[i];
                Push(float.IsNaN(s) ? float.NegativeInfinity : s, i);
            }
            if (i >= end) return;

            // Replace phase. Items come in ascending index, so a candidate whose score equals the
            // root's is weaker than every kept item: only a strictly greater score enters. NaN
            // compares false, which is the -infinity rule.
            float threshold = _score[0];
            int width = Vector<float>.Count;
            if (Vector.IsHardwareAccelerated)
            {
                var thresholdVector = new Vector<float>(threshold);
                for (; i + width <= end; i += width)
                {
                    if (!Vector.GreaterThanAny(new Vector<float>(scores.Slice(i, width)), thresholdVector)) continue;
                    for (int j = i; j < i + width; j++)
                    {
                        if (scores[j] > threshold)
                        {
                            ReplaceRoot(scores[j], j);
                            threshold = _score[0];
                        }
                    }
                    thresholdVector = new Vector<float>(threshold);
                }
            }
            for (; i < end; i++)
            {
                if (scores[i] > threshold)
                {
                    ReplaceRoot(scores[i], i);
                    threshold = _score[0];
                }
            }
        }

        void Push(float score, int item)
        {
            int child = _count++;
            while (child > 0)
            {
                int parent = (child - 1) >> 1;
                if (!Weaker(score, item, _score[parent], _item[parent])) break;
                _score[child] = _score[parent];
                _item[child] = _item[parent];
                child = parent;
            }
            _score[child] = score;
            _item[child] = item;
        }

        void ReplaceRoot(float score, int item) => SiftDown(score, item, 0, _count);

        void SiftDown(float score, int item, int hole, int count)
        {
            while (true)
            {
                int child = 2 * hole + 1;
                if (child >= count) break;
                if (child + 1 < count && Weaker(_score[child + 1], _item[child + 1], _score[child], _item[child])) child++;
                if (!Weaker(_score[child], _item[child], score, item)) break;
                _score[hole] = _score[child];
                _item[hole] = _item[child];
                hole = child;
            }
            _score[hole] = score;
            _item[hole] = item;
        }

        /// <summary>Heap sort: moving the weakest to the end each time leaves the best first.</summary>
        public int SortBestFirst()
        {
            for (int last = _count - 1; last > 0; last--)
            {
                float score = _score[last];
                int item = _item[last];
                _score[last] = _score[0];
                _item[last] = _item[0];
                SiftDown(score, item, 0, last);
            }
            return _count;
        }
    }
}
