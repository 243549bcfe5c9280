using System.Runtime.InteropServices;

namespace Repro.Core.Data;

/// <summary>What to do when a (user, item) pair occurs more than once.</summary>
public enum DuplicatePolicy
{
    /// <summary>Keep one event with the highest value (ratings: a re-rating never lowers relevance).</summary>
    KeepMax,
    /// <summary>Keep one event with the summed value (play counts).</summary>
    Sum,
    /// <summary>Keep the first event's value.</summary>
    KeepFirst,
}

/// <summary>
/// Collects events in file order and produces an <see cref="InteractionLog"/>: ids become dense codes
/// ordered as pandas orders the original ids, and repeated (user, item) pairs are merged at their
/// first occurrence by a <see cref="DuplicatePolicy"/> and counted.
/// Readers call either the numeric or the string overload of Add; if string ids arrive after numeric
/// ones, every id is treated as a string from then on (ordinal order), as pandas does for mixed columns.
/// </summary>
public sealed class InteractionLogBuilder
{
    private readonly string _source;
    private readonly DuplicatePolicy _duplicates;
    private readonly IdCoder _users = new();
    private readonly IdCoder _items = new();
    private readonly List<int> _userOf = new();
    private readonly List<int> _itemOf = new();
    private readonly List<float> _valueOf = new();

    public InteractionLogBuilder(string source, DuplicatePolicy duplicates = DuplicatePolicy.KeepMax, int capacity = 0)
    {
        _source = source;
        _duplicates = duplicates;
        if (capacity > 0)
        {
            _userOf.Capacity = capacity;
            _itemOf.Capacity = capacity;
            _valueOf.Capacity = capacity;
        }
    }

    public int Count => _userOf.Count;

    public void Add(long user, long item, float value)
    {
        _userOf.Add(_users.Code(user));
        _itemOf.Add(_items.Code(item));
        _valueOf.Add(value);
    }

    public void Add(string user, string item, float value)
    {
        _userOf.Add(_users.Code(user));
        _itemOf.Add(_items.Code(item));
        _valueOf.Add(value);
    }

    public InteractionLog Build()
    {
        var users = _userOf.ToArray();
        var items = _itemOf.ToArray();
        var values = _valueOf.ToArray();
        var userIds = _users.Reorder(users);
        var itemIds = _items.Reorder(items);
        int merged = MergeDuplicates(ref users, ref items, ref values, userIds.Length, itemIds.Length, _duplicates);
        return new InteractionLog(_source, users, items, values, userIds, itemIds, merged);
    }

    /// <summary>Merges repeated (user, item) pairs into their first occurrence; keeps file order.</summary>
    private static int MergeDuplicates(ref int[] users, ref int[] items, ref float[] values, int userCount, int itemCount, DuplicatePolicy policy)
    {
        int n = users.Length;
        // Events grouped by user (stable), then a per-item stamp finds repeats within a user in O(n).
        var start = new int[userCount + 1];
        foreach (var u in users) start[u + 1]++;
        for (int u = 0; u < userCount; u++) start[u + 1] += start[u];
        var next = (int[])start.Clone();
        var byUser = new int[n];
        for (int k = 0; k < n; k++) byUser[next[users[k]]++] = k;

        var stampUser = new int[itemCount];
        var firstEvent = new int[itemCount];
        Array.Fill(stampUser, -1);
        bool[]? drop = null;
        int dropped = 0;
        for (int u = 0; u < userCount; u++)
        {
            for (int p = start[u]; p < start[u + 1]; p++)
            {
                int k = byUser[p], i = items[k];
                if (stampUser[i] != u)
                {
                    stampUser[i] = u;
                    firstEvent[i] = k;
                    continue;
                }
                int first = firstEvent[i];
                values[first] = policy switch
                {
                    DuplicatePolicy.KeepMax => Math.Max(values[first], values[k]),
                    DuplicatePolicy.Sum => values[first] + values[k],
                    _ => values[first],
                };
                drop ??= new bool[n];
                drop[k] = true;
                dropped++;
            }
        }
        if (dropped == 0) return 0;
        var u2 = new int[n - dropped];
        var i2 = new int[n - dropped];
        var v2 = new float[n - dropped];
        int w = 0;
        for (int k = 0; k < n; k++)
        {
            if (drop![k]) continue;
            u2[w] = users[k];
            i2[w] = items[k];
            v2[w] = values[k];
            w++;
        }
        users = u2;
        items = i2;
        values = v2;
        return dropped;
    }

    /// <summary>Assigns codes to ids in order of first appearance, then renumbers them in sorted id order.</summary>
    private sealed class IdCoder
    {
        private Dictionary<long, int>? _numeric = new();
        private Dictionary<string, int>? _text;

        public int Code(long id)
        {
            if (_numeric is null) return Code(id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            ref int code = ref CollectionsMarshal.GetValueRefOrAddDefault(_numeric, id, out bool exists);
            if (!exists) code = _numeric.Count - 1;
            return code;
        }

        public int Code(string id)
        {
            if (_text is null)
            {
                _text = new Dictionary<string, int>(StringComparer.Ordinal);
                foreach (var (key, code) in _numeric!) _text[key.ToString(System.Globalization.CultureInfo.InvariantCulture)] = code;
                _numeric = null;
            }
            ref int c = ref CollectionsMarshal.GetValueRefOrAddDefault(_text, id, out bool exists);
            if (!exists) c = _text.Count - 1;
            return c;
        }

        /// <summary>Renumbers codes so that code order is id order; rewrites <paramref name="codes"/>; returns id text by new code.</summary>
        public string[] Reorder(int[] codes)
        {
            string[] names;
            int[] rank;
            if (_numeric is not null)
            {
                var keys = new long[_numeric.Count];
                foreach (var (key, code) in _numeric) keys[code] = key;
                var order = Enumerable.Range(0, keys.Length).ToArray();
                Array.Sort(keys.ToArray(), order);
                rank = new int[keys.Length];
                names = new string[keys.Length];
                for (int r = 0; r < order.Length; r++)
                {
                    rank[order[r]] = r;
                    names[r] = keys[order[r]].ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
            }
            else
            {
                var keys = new string[_text!.Count];
                foreach (var (key, code) in _text) keys[code] = key;
                var order = Enumerable.Range(0, keys.Length).ToArray();
                Array.Sort(keys.ToArray(), order, StringComparer.Ordinal);
                rank = new int[keys.Length];
                names = new string[keys.Length];
                for (int r = 0; r < order.Length; r++)
                {
                    rank[order[r]] = r;
                    names[r] = keys[order[r]];
                }
            }
            for (int k = 0; k < codes.Length; k++) codes[k] = rank[codes[k]];
            return names;
        }
    }
}
