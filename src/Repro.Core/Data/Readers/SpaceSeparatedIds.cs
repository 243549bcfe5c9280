namespace Repro.Core.Data.Readers;

/// <summary>
/// The integer ids of a line of the form <c>head id id ...</c> separated by single spaces (LightGCN
/// split files, CiteULike users.dat): <see cref="Head"/> is the first field, <see cref="TryNext"/>
/// yields the rest, and anything that is not an integer id is reported with the line and column.
/// </summary>
internal ref struct SpaceSeparatedIds
{
    private readonly LineSource _source;
    private readonly ReadOnlySpan<byte> _line;
    private readonly string _idName;
    private int _end;

    /// <param name="headName">What the first field is, for the error message ("an integer user id").</param>
    /// <param name="idName">What the other fields are, for the error message ("item id", "tag id").</param>
    public SpaceSeparatedIds(LineSource source, ReadOnlySpan<byte> line, string headName, string idName = "item id")
    {
        _source = source;
        _idName = idName;
        _line = line;
        _end = line.IndexOf((byte)' ');
        if (_end < 0) _end = line.Length;
        if (!Ascii.TryParseId(line[.._end], out long head))
            throw source.Error($"expected {headName} first, found {Ascii.Show(line[.._end])}");
        Head = head;
    }

    public long Head { get; }

    public bool TryNext(out long item)
    {
        item = 0;
        if (_end >= _line.Length) return false;
        int start = _end + 1;
        int length = _line[start..].IndexOf((byte)' ');
        _end = length < 0 ? _line.Length : start + length;
        if (!Ascii.TryParseId(_line[start.._end], out item))
            throw _source.Error(start == _end
                ? $"expected an integer {_idName} after the space at column {start}, found {(_end == _line.Length ? "the end of the line" : "another space")}"
                : $"expected an integer {_idName}, found {Ascii.Show(_line[start.._end])}");
        return true;
    }
}
