using Repro.Core.Training;

namespace Repro.Core.Ratings;

/// <summary>
/// Random splits of rating events by a fraction (AutoRec §5: 90/10 with 10% of the training events
/// held out for tuning; mDA-CF §4: 50, 80 and 99% for training): a seeded Fisher-Yates shuffle of the
/// event indices, the first round(fraction x count) events go to the first part. The same seed gives
/// the same split on any machine (xoshiro256**, no libtorch or .NET generator).
/// </summary>
public static class RatingSplit
{
    /// <summary>(first, second): round(<paramref name="fraction"/> x count) events drawn at random, and the others.</summary>
    public static (RatingSet First, RatingSet Second) Random(RatingSet all, double fraction, ulong seed)
    {
        if (!(fraction > 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), $"the fraction must lie in (0, 1), got {fraction}");
        var order = new int[all.Count];
        for (int k = 0; k < order.Length; k++) order[k] = k;
        var random = new SeededRandom(seed);
        for (int k = order.Length - 1; k > 0; k--)
        {
            int j = random.NextBelow(k + 1);
            (order[k], order[j]) = (order[j], order[k]);
        }
        int first = (int)Math.Round(fraction * all.Count, MidpointRounding.AwayFromZero);
        // Each part keeps the events in file order, so a model's input does not depend on the shuffle.
        var a = order.AsSpan(0, first).ToArray();
        var b = order.AsSpan(first).ToArray();
        Array.Sort(a);
        Array.Sort(b);
        return (all.Subset(a), all.Subset(b));
    }
}
