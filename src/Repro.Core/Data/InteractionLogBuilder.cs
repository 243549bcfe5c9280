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
/// <para>Build hands the collected arrays to the log without copying them when the capacity given
/// was exact (readers count lines first for this: at ML-20M size every extra copy of the events is
/// a quarter of a gigabyte), so a builder builds once.</para>
/// </summary>
public sealed class InteractionLogBuilder
{
    private readonly string _source;
    private readonly DuplicatePolicy _duplicates;
    private readonly IdCoder _users = new();
    private readonly IdCoder _items = new();
    private int[] _userOf;
    private int[] _itemOf;
    private float[] _valueOf;
    private int _count;
    private bool _built;

    public InteractionLogBuilder(string source, DuplicatePolicy duplicates = DuplicatePolicy.KeepMax, int capacity = 0)
    {
        _source = source;
        _duplicates = duplicates;
        capacity = Math.Clamp(capacity, 0, Array.MaxLength);
        _userOf = new int[capacity];
        _itemOf = new int[capacity];
        _valueOf = new float[capacity];
    }

    public int Count => _count;

    public void Add(long user, long item, float value)
    {
        if (_count == _userOf.Length) Grow();
        _userOf[_count] = _users.Code(user);
        _itemOf[_count] = _items.Code(item);
        _valueOf[_count] = value;
        _count++;
    }

    public void Add(string user, string item, float value)
    {
        if (_count == _userOf.Length) Grow();
        _userOf[_count] = _users.Code(user);
        _itemOf[_count] = _items.Code(item);
        _valueOf[_count] = value;
        _count++;
    }

    /// <summary>The log of the events added so far; the builder cannot be used after this.</summary>
    public InteractionLog Build()
    {
        if (_built) throw new InvalidOperationException("Build was already called: a builder hands its events to one log");
        _built = true;
        var users = Exact(_userOf, _count);
        var items = Exact(_itemOf, _count);
        var values = Exact(_valueOf, _count);
        _userOf = [];
        _itemOf = [];
        _valueOf = [];
        var userIds = _users.Reorder(users);
        var itemIds = _items.Reorder(items);
        int merged = MergeDuplicates(ref users, ref items, ref values, userIds.Length, itemIds.Length, _duplicates);
        return new InteractionLog(_source, users, items, values, userIds, itemIds, merged);
    }

    private void Grow()
    {
        if (_built) throw new InvalidOperationException("Build was already called: a builder hands its events to one log");
        if (_count == Array.MaxLength) throw new InvalidOperationException($"more than {Array.MaxLength} events");
        int capacity = (int)Math.Min(Array.MaxLength, Math.Max(16L, 2L * _count));
        Array.Resize(ref _userOf, capacity);
        Array.Resize(ref _itemOf, capacity);
        Array.Resize(ref _valueOf, capacity);
    }

    private static T[] Exact<T>(T[] array, int count)
    {
        if (array.Length == count) return array;
        Array.Resize(ref array, count);
        return array;
    }

    /// <summary>Merges repeated (user, item) pairs into their first occurrence; keeps file order.</summary>
    internal static int MergeDuplicates(ref int[] users, ref int[] items, ref float[] values, int userCount, int itemCount, DuplicatePolicy policy)
    {
        int n = users.Length;
        // Repeats are found one group at a time with a stamp per member, in O(n): events grouped by
        // user with a stamp per item or, for files sorted by item (Netflix), by item with a stamp per
        // user. Input already sorted by its group needs no index (MovieLens and the MSD are sorted by
        // user); otherwise a stable counting sort by user gives the visiting order.
        int[] group, member;
        int memberCount;
        int[]? order = null;
        bool byUserSorted = IsNonDecreasing(users);
        if (byUserSorted || !IsNonDecreasing(items))
        {
            (group, member, memberCount) = (users, items, itemCount);
            if (!byUserSorted)
            {
                var next = new int[userCount + 1];
                foreach (var u in users) next[u + 1]++;
                for (int u = 0; u < userCount; u++) next[u + 1] += next[u];
                order = new int[n];
                for (int k = 0; k < n; k++) order[next[users[k]]++] = k;
            }
        }
        else
        {
            (group, member, memberCount) = (items, users, userCount);
        }

        // Per member: the group it was last seen in and that event (one cache line for both).
        var seen = new (int Group, int Event)[memberCount];
        seen.AsSpan().Fill((-1, 0));
        bool[]? drop = null;
        int dropped = 0;
        for (int p = 0; p < n; p++)
        {
            int k = order is null ? p : order[p];
            int g = group[k], m = member[k];
            ref var last = ref seen[m];
            if (last.Group != g)
            {
                last = (g, k);
                continue;
            }
            int first = last.Event;
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

    private static bool IsNonDecreasing(int[] codes)
    {
        for (int k = 1; k < codes.Length; k++)
            if (codes[k] < codes[k - 1]) return false;
        return true;
    }

    /// <summary>Assigns codes to ids in order of first appearance, then renumbers them in sorted id order.</summary>
    private sealed class IdCoder
    {
        // Numeric ids until a string id arrives: small ids (dataset ids are mostly below a few
        // million) find their code by array index, larger ones in a dictionary; _numericIds lists
        // every id by code. Null once ids are text.
        private const long DirectLimit = 1 << 23;
        private int[] _direct = [];
        private Dictionary<long, int>? _large = new();
        private List<long>? _numericIds = new();
        private Dictionary<string, int>? _text;
        // The id coded last: files list a user's events together, so most user lookups repeat it.
        private long _lastNumeric = -1;
        private string? _lastText;
        private int _lastCode = -1;

        public int Code(long id)
        {
            if (_numericIds is null) return Code(id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (id == _lastNumeric && _lastCode >= 0) return _lastCode;
            int code;
            if ((ulong)id < DirectLimit)
            {
                if (id >= _direct.Length) Array.Resize(ref _direct, (int)Math.Min(DirectLimit, Math.Max(id + 1, 2L * _direct.Length)));
                ref int slot = ref _direct[id];
                if (slot == 0)
                {
                    _numericIds.Add(id);
                    slot = _numericIds.Count;
                }
                code = slot - 1;
            }
            else
            {
                ref int slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_large!, id, out bool exists);
                if (!exists)
                {
                    slot = _numericIds.Count;
                    _numericIds.Add(id);
                }
                code = slot;
            }
            _lastNumeric = id;
            _lastCode = code;
            return code;
        }

        public int Code(string id)
        {
            if (_text is null)
            {
                _text = new Dictionary<string, int>(StringComparer.Ordinal);
                for (int code = 0; code < _numericIds!.Count; code++)
                    _text[_numericIds[code].ToString(System.Globalization.CultureInfo.InvariantCulture)] = code;
                _numericIds = null;
                _large = null;
                _direct = [];
                _lastCode = -1;
            }
            if (_lastCode >= 0 && string.Equals(id, _lastText, StringComparison.Ordinal)) return _lastCode;
            ref int c = ref CollectionsMarshal.GetValueRefOrAddDefault(_text, id, out bool exists);
            if (!exists) c = _text.Count - 1;
            _lastText = id;
            _lastCode = c;
            return c;
        }

        /// <summary>Renumbers codes so that code order is id order; rewrites <paramref name="codes"/>; returns id text by new code.</summary>
        public string[] Reorder(int[] codes)
        {
            string[] names;
            int[] rank;
            if (_numericIds is not null)
            {
                var keys = _numericIds.ToArray();
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
            // Ids first seen in ascending order (a user-sorted file's users) keep their codes.
            bool identity = true;
            for (int r = 0; r < rank.Length && identity; r++) identity = rank[r] == r;
            if (!identity)
                for (int k = 0; k < codes.Length; k++) codes[k] = rank[codes[k]];
            return names;
        }
    }
}
