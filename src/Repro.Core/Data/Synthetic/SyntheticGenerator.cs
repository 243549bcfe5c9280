using System.Globalization;

namespace Repro.Core.Data.Synthetic;

/// <summary>A generated dataset: the ratings as an <see cref="InteractionLog"/> plus a timestamp per event.</summary>
public sealed class SyntheticDataset
{
    internal SyntheticDataset(SyntheticShape shape, long seed, InteractionLog log, int[] timestamps, int[] itemTopics)
    {
        Shape = shape;
        Seed = seed;
        Log = log;
        Timestamps = timestamps;
        ItemTopics = itemTopics;
    }

    public SyntheticShape Shape { get; }

    public long Seed { get; }

    /// <summary>
    /// Events grouped by user ascending, items ascending within a user (as in ML-20M's ratings.csv);
    /// ids are the numbers 1..n as text, value = rating in half stars 0.5..5.
    /// </summary>
    public InteractionLog Log { get; }

    /// <summary>Unix seconds of each event (within 1995-01-09 .. 2015-03-31, ML-20M's span).</summary>
    public int[] Timestamps { get; }

    /// <summary>The latent topic of each item code of <see cref="Log"/> (the structure, for diagnostics).</summary>
    public int[] ItemTopics { get; }

    /// <summary>Writes a MovieLens-style ratings.csv (atomically).</summary>
    public void WriteRatingsCsv(string path) => MovieLensCsvWriter.WriteRatings(path, Log, Timestamps);
}

/// <summary>
/// Deterministic implicit-feedback data with power-law item popularity, heavy-tailed user activity
/// and latent topics: each item belongs to one topic, each user likes a mixture of one to three;
/// a positive rating (&gt; 3.5) goes to an item of the user's topics with probability
/// <see cref="SyntheticShape.TopicAffinity"/> (drawn by popularity within the topic), otherwise to an
/// item drawn by global popularity; negative ratings follow global popularity. So co-occurrence
/// carries signal that popularity alone does not.
/// The same (shape, seed) gives bit-identical output on every runtime: the RNG is a port
/// (<see cref="Xoshiro256StarStar"/>), only exact IEEE operations are used, and each user's events
/// come from that user's own stream, so the parallel loop's scheduling cannot change them.
/// </summary>
public static class SyntheticGenerator
{
    public const long DefaultSeed = 20180423; // the paper's WWW'18 presentation date; any value works

    /// <summary>ML-20M's count of each half-star rating 0.5..5 (they sum to its 20,000,263 rows); only the shape is used.</summary>
    private static readonly int[] NegativeHistogram = [239_125, 680_732, 279_252, 1_430_997, 883_398, 4_291_193, 2_200_156]; // 0.5 .. 3.5
    private static readonly int[] PositiveHistogram = [5_561_926, 1_534_824, 2_898_660]; // 4.0, 4.5, 5.0

    private const int FirstTimestamp = 789_652_009;  // 1995-01-09, ML-20M's earliest rating
    private const int LastTimestamp = 1_427_784_002; // 2015-03-31, its latest
    private const int LongestUserSpan = 3 * 365 * 86_400;

    public static SyntheticDataset Generate(SyntheticShape shape, long seed = DefaultSeed)
    {
        shape.Validate();
        var master = new Xoshiro256StarStar(unchecked((ulong)seed));
        int nUsers = shape.Users, nItems = shape.Items;

        // Items: a popularity rank (a random permutation, so id order says nothing) and a topic.
        var rank = Enumerable.Range(0, nItems).ToArray();
        for (int i = nItems - 1; i > 0; i--)
        {
            int j = master.NextInt(i + 1);
            (rank[i], rank[j]) = (rank[j], rank[i]);
        }
        var weight = new double[nItems];
        for (int i = 0; i < nItems; i++) weight[i] = InversePower(rank[i] + shape.PopularityOffset, shape.PopularityExponent);
        var topicOf = new int[nItems];
        for (int i = 0; i < nItems; i++) topicOf[i] = master.NextInt(shape.Topics);
        var global = new AliasTable(weight, null);
        var topics = new AliasTable?[shape.Topics];
        for (int t = 0; t < shape.Topics; t++)
        {
            var members = Enumerable.Range(0, nItems).Where(i => topicOf[i] == t).ToArray();
            topics[t] = members.Length == 0 ? null : new AliasTable(members.Select(i => weight[i]).ToArray(), members);
        }

        // Users: activity ~ shifted Pareto(2) (1/sqrt(U) - 1 has mean 1 and a heavy tail), scaled to the
        // exact totals; a positive share in [0.3, 0.7); one to three liked topics with random weights.
        var activity = new double[nUsers];
        for (int u = 0; u < nUsers; u++) activity[u] = 1.0 / Math.Sqrt(1.0 - master.NextDouble()) - 1.0;
        var eventCount = Allocate(shape.Events, activity, Filled(nUsers, shape.MinEventsPerUser), Filled(nUsers, shape.MaxEventsPerUser));
        var positiveWeight = new double[nUsers];
        for (int u = 0; u < nUsers; u++) positiveWeight[u] = eventCount[u] * (0.3 + 0.4 * master.NextDouble());
        var positiveCount = Allocate(shape.PositiveEvents, positiveWeight,
                                     eventCount.Select(n => Math.Min(n, shape.MinPositivesPerUser)).ToArray(), eventCount);
        const int MaxLiked = 3;
        var liked = new int[nUsers * MaxLiked];
        var likedUpTo = new double[nUsers * MaxLiked];
        for (int u = 0; u < nUsers; u++)
        {
            int r = master.NextInt(10);
            int m = Math.Min(shape.Topics, r < 4 ? 1 : r < 8 ? 2 : 3);
            double total = 0;
            for (int k = 0; k < MaxLiked; k++)
            {
                if (k < m)
                {
                    int t;
                    do t = master.NextInt(shape.Topics); while (Array.IndexOf(liked, t, u * MaxLiked, k) >= 0);
                    liked[u * MaxLiked + k] = t;
                    total += likedUpTo[u * MaxLiked + k] = 0.2 + master.NextDouble();
                }
                else
                {
                    liked[u * MaxLiked + k] = -1;
                }
            }
            double sum = 0;
            for (int k = 0; k < m; k++) likedUpTo[u * MaxLiked + k] = (sum += likedUpTo[u * MaxLiked + k]) / total;
            likedUpTo[u * MaxLiked + m - 1] = 1.0;
        }
        var userSeed = new ulong[nUsers];
        for (int u = 0; u < nUsers; u++) userSeed[u] = master.NextUInt64();

        var start = new int[nUsers + 1];
        for (int u = 0; u < nUsers; u++) start[u + 1] = start[u] + eventCount[u];
        var users = new int[shape.Events];
        var items = new int[shape.Events];
        var values = new float[shape.Events];
        var timestamps = new int[shape.Events];

        Parallel.For(0, nUsers, TorchRuntime.Parallelism,
            () => Filled(nItems, -1),
            (u, _, stamp) =>
            {
                var rng = new Xoshiro256StarStar(userSeed[u]);
                int begin = start[u], n = eventCount[u], positives = positiveCount[u];
                // stamp[i] = 2u + 1 marks a positive of user u, 2u a negative; older stamps belong to other users.
                for (int k = 0; k < n; k++)
                {
                    bool positive = k < positives;
                    int item = -1;
                    // A heavy user may have taken most popular items: after many repeats, draw uniformly (always finishes).
                    for (int attempt = 0; attempt < 64 && item < 0; attempt++)
                    {
                        AliasTable? table = null;
                        if (positive && rng.NextDouble() < shape.TopicAffinity)
                        {
                            double x = rng.NextDouble();
                            int slot = 0;
                            while (x >= likedUpTo[u * MaxLiked + slot]) slot++;
                            table = topics[liked[u * MaxLiked + slot]];
                        }
                        int candidate = (table ?? global).Draw(rng);
                        if (!Taken(stamp, candidate, u)) item = candidate;
                    }
                    while (item < 0)
                    {
                        int candidate = rng.NextInt(nItems);
                        if (!Taken(stamp, candidate, u)) item = candidate;
                    }
                    stamp[item] = 2 * u + (positive ? 1 : 0);
                    items[begin + k] = item;
                }
                Array.Sort(items, begin, n);
                int first = FirstTimestamp + rng.NextInt(LastTimestamp - FirstTimestamp - LongestUserSpan);
                int span = 1 + rng.NextInt(LongestUserSpan);
                for (int k = begin; k < begin + n; k++)
                {
                    users[k] = u;
                    values[k] = (stamp[items[k]] & 1) == 1
                        ? 4.0f + 0.5f * Categorical(rng, PositiveHistogram)
                        : 0.5f + 0.5f * Categorical(rng, NegativeHistogram);
                    timestamps[k] = first + rng.NextInt(span);
                }
                return stamp;
            },
            _ => { });

        // Item codes: only items that occur, in id order (as InteractionLogBuilder codes a file's ids).
        var code = Filled(nItems, -1);
        foreach (var i in items) code[i] = 0;
        var itemIds = new List<string>(nItems);
        var itemTopics = new List<int>(nItems);
        for (int i = 0; i < nItems; i++)
        {
            if (code[i] < 0) continue;
            code[i] = itemIds.Count;
            itemIds.Add((i + 1).ToString(CultureInfo.InvariantCulture));
            itemTopics.Add(topicOf[i]);
        }
        for (int k = 0; k < items.Length; k++) items[k] = code[items[k]];
        var userIds = new string[nUsers];
        for (int u = 0; u < nUsers; u++) userIds[u] = (u + 1).ToString(CultureInfo.InvariantCulture);

        var log = new InteractionLog($"synthetic {shape.Name} (seed {seed})", users, items, values, userIds, itemIds.ToArray());
        return new SyntheticDataset(shape, seed, log, timestamps, itemTopics.ToArray());
    }

    private static bool Taken(int[] stamp, int item, int user) => stamp[item] >= 0 && stamp[item] >> 1 == user;

    /// <summary>Index drawn with probability proportional to the integer weights.</summary>
    private static int Categorical(Xoshiro256StarStar rng, int[] weights)
    {
        int total = 0;
        foreach (var w in weights) total += w;
        int x = rng.NextInt(total);
        int k = 0;
        while (x >= weights[k]) x -= weights[k++];
        return k;
    }

    /// <summary>x^-exponent for exponent a multiple of 0.5, with multiplications and one sqrt (exact IEEE ops).</summary>
    private static double InversePower(double x, double exponent)
    {
        int halves = (int)Math.Round(exponent * 2);
        double result = 1.0;
        for (int k = 0; k < halves / 2; k++) result *= x;
        if (halves % 2 == 1) result *= Math.Sqrt(x);
        return 1.0 / result;
    }

    /// <summary>
    /// Integer counts with the exact <paramref name="total"/>, each within [min, max] and otherwise
    /// proportional to its weight: min + floor(w·s) clamped, with s found by bisection, then the few
    /// remaining units handed out one each in index order.
    /// </summary>
    internal static int[] Allocate(long total, double[] weights, int[] min, int[] max)
    {
        int n = weights.Length;
        long minSum = 0, maxSum = 0;
        for (int i = 0; i < n; i++) { minSum += min[i]; maxSum += max[i]; }
        if (total < minSum || total > maxSum) throw new ArgumentException($"cannot allocate {total} within [{minSum}, {maxSum}]");
        var counts = new int[n];
        long Fill(double scale)
        {
            long sum = 0;
            for (int i = 0; i < n; i++)
            {
                double extra = Math.Floor(weights[i] * scale);
                counts[i] = extra >= max[i] - min[i] ? max[i] : min[i] + (int)extra;
                sum += counts[i];
            }
            return sum;
        }
        double lo = 0, hi = 1;
        while (Fill(hi) < total && hi < 1e300) hi *= 2;
        for (int iteration = 0; iteration < 200 && hi - lo > lo * 1e-15; iteration++)
        {
            double mid = lo + (hi - lo) / 2;
            if (Fill(mid) <= total) lo = mid; else hi = mid;
        }
        long remaining = total - Fill(lo);
        for (int i = 0; remaining > 0; i = (i + 1) % n)
        {
            if (counts[i] < max[i]) { counts[i]++; remaining--; }
        }
        return counts;
    }

    private static int[] Filled(int length, int value)
    {
        var array = new int[length];
        Array.Fill(array, value);
        return array;
    }

    /// <summary>Vose's alias method: O(1) draws from a fixed discrete distribution.</summary>
    private sealed class AliasTable
    {
        private readonly double[] _probability;
        private readonly int[] _alias;
        private readonly int[]? _labels;

        public AliasTable(double[] weights, int[]? labels)
        {
            int n = weights.Length;
            _labels = labels;
            _probability = new double[n];
            _alias = new int[n];
            double sum = 0;
            foreach (var w in weights) sum += w;
            var scaled = new double[n];
            var small = new Stack<int>();
            var large = new Stack<int>();
            for (int i = n - 1; i >= 0; i--)
            {
                scaled[i] = weights[i] * n / sum;
                (scaled[i] < 1.0 ? small : large).Push(i);
            }
            while (small.Count > 0 && large.Count > 0)
            {
                int s = small.Pop(), l = large.Pop();
                _probability[s] = scaled[s];
                _alias[s] = l;
                scaled[l] = scaled[l] + scaled[s] - 1.0;
                (scaled[l] < 1.0 ? small : large).Push(l);
            }
            while (large.Count > 0) _probability[large.Pop()] = 1.0;
            while (small.Count > 0) _probability[small.Pop()] = 1.0; // rounding leftovers
        }

        public int Draw(Xoshiro256StarStar rng)
        {
            int i = rng.NextInt(_probability.Length);
            int chosen = rng.NextDouble() < _probability[i] ? i : _alias[i];
            return _labels is null ? chosen : _labels[chosen];
        }
    }
}
