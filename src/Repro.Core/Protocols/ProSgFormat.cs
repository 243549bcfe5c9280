using System.Buffers.Text;
using System.Text;
using Repro.Core.Data;
using Repro.Core.Sparse;

namespace Repro.Core.Protocols;

/// <summary>
/// The notebook's <c>pro_sg</c> folder (cells 20–27): unique_sid.txt (one original item id per line)
/// and train.csv, validation_tr.csv, validation_te.csv, test_tr.csv, test_te.csv as pandas
/// <c>to_csv(index=False)</c> writes them — header <c>uid,sid</c>, <c>\n</c> line ends, no quoting.
/// Export reproduces the notebook's bytes; Import reads such a folder as <c>load_train_data</c> and
/// <c>load_tr_te_data</c> do (cells 29 and 49), checking it on the way.
/// </summary>
public static class ProSgFormat
{
    public const string ItemsFile = "unique_sid.txt";
    public const string TrainFile = "train.csv";
    public const string ValidationFoldInFile = "validation_tr.csv";
    public const string ValidationTargetFile = "validation_te.csv";
    public const string TestFoldInFile = "test_tr.csv";
    public const string TestTargetFile = "test_te.csv";
    private const string Header = "uid,sid";

    /// <summary>Writes the six files into <paramref name="directory"/> (created if needed); each appears whole, by write-then-rename.</summary>
    public static void Export(StrongGeneralizationSplit split, string directory)
    {
        Directory.CreateDirectory(directory);
        WriteAtomically(Path.Combine(directory, ItemsFile), writer =>
        {
            foreach (var id in split.ItemIds)
            {
                if (id.AsSpan().IndexOfAny('\n', '\r') >= 0) throw new ArgumentException($"item id \"{id}\" contains a line break and cannot be written to {ItemsFile}");
                writer.Text(id);
                writer.Newline();
            }
        });
        WriteAtomically(Path.Combine(directory, TrainFile), writer => WriteTrain(writer, split));
        WriteAtomically(Path.Combine(directory, ValidationFoldInFile), writer => WriteHeldOut(writer, split.Validation, split.Validation.FoldIn));
        WriteAtomically(Path.Combine(directory, ValidationTargetFile), writer => WriteHeldOut(writer, split.Validation, split.Validation.Target));
        WriteAtomically(Path.Combine(directory, TestFoldInFile), writer => WriteHeldOut(writer, split.Test, split.Test.FoldIn));
        WriteAtomically(Path.Combine(directory, TestTargetFile), writer => WriteHeldOut(writer, split.Test, split.Test.Target));
    }

    /// <summary>
    /// Reads a pro_sg folder. Training rows are uids 0..max (load_train_data); each held-out set's rows
    /// are re-based to its smallest uid and span up to its largest (load_tr_te_data); header-only
    /// held-out files give a set without users. Original user ids
    /// are not in these files, so the result's user ids are null. Throws <see cref="DataFormatException"/>
    /// naming the file and line of the first problem. With <paramref name="requireTargets"/> (the
    /// default: what training and evaluation need) a held-out target file with no rows is refused,
    /// since no metric could be computed on it; false reads any folder the notebook can write.
    /// </summary>
    public static StrongGeneralizationSplit Import(string directory, bool requireTargets = true)
    {
        var itemIds = ReadItems(Path.Combine(directory, ItemsFile));
        var trainPath = Path.Combine(directory, TrainFile);
        var (trainUids, trainSids) = ReadPairs(trainPath, itemIds.Length);
        if (trainUids.Length == 0) throw new DataFormatException(trainPath, 0, "no training events (header only)");
        int trainRows = Max(trainUids) + 1;
        var train = GroupByRow(trainUids, trainSids, 0, trainRows, itemIds.Length, out var trainFileOrder);
        RequireNoRepeats(trainPath, train, trainFileOrder);

        var validation = ReadHeldOut(directory, ValidationFoldInFile, ValidationTargetFile, itemIds.Length, requireTargets);
        var test = ReadHeldOut(directory, TestFoldInFile, TestTargetFile, itemIds.Length, requireTargets);
        RequireSeparate(Path.Combine(directory, ValidationFoldInFile), validation, "train", 0, trainRows);
        RequireSeparate(Path.Combine(directory, TestFoldInFile), test, "train", 0, trainRows);
        RequireSeparate(Path.Combine(directory, TestFoldInFile), test, "validation", validation.FirstUid, validation.Users);
        return new StrongGeneralizationSplit(itemIds, train, trainFileOrder, null, validation, test);
    }

    private static void WriteTrain(AsciiWriter writer, StrongGeneralizationSplit split)
    {
        var train = split.Train;
        var rowOfEntry = new int[train.NonZeros];
        for (int r = 0; r < train.Rows; r++) rowOfEntry.AsSpan(train.RowStart[r], train.RowLength(r)).Fill(r);
        writer.Text(Header);
        writer.Newline();
        foreach (int entry in split.TrainFileOrder) writer.Pair(rowOfEntry[entry], train.ColumnIndex[entry]);
    }

    private static void WriteHeldOut(AsciiWriter writer, HeldOutSet set, CsrMatrix part)
    {
        writer.Text(Header);
        writer.Newline();
        foreach (int r in set.FileUserOrder)
        {
            int uid = set.FirstUid + r;
            foreach (int column in part.Row(r)) writer.Pair(uid, column);
        }
    }

    private static void WriteAtomically(string path, Action<AsciiWriter> write)
    {
        var temporary = path + ".tmp-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var writer = new AsciiWriter(stream))
                write(writer);
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    private static string[] ReadItems(string path)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, 0, "missing file (the item vocabulary of a pro_sg folder)");
        var text = File.ReadAllText(path, new UTF8Encoding(false, true));
        var lines = text.Split('\n');
        int count = lines.Length - (lines[^1].Length == 0 ? 1 : 0);
        if (count == 0) throw new DataFormatException(path, 0, "no item ids");
        var ids = new string[count];
        var lineOf = new Dictionary<string, int>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            var id = lines[i].TrimEnd('\r');
            if (id.Length == 0) throw new DataFormatException(path, i + 1, "empty line where an item id was expected");
            if (!lineOf.TryAdd(id, i + 1)) throw new DataFormatException(path, i + 1, $"item id \"{id}\" repeats line {lineOf[id]}");
            ids[i] = id;
        }
        return ids;
    }

    /// <summary>Reads a <c>uid,sid</c> file: the header, then one pair of non-negative integers per line, sid below <paramref name="items"/>.</summary>
    private static (int[] Uids, int[] Sids) ReadPairs(string path, int items)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, 0, "missing file");
        var bytes = File.ReadAllBytes(path);
        var uids = new List<int>(bytes.Length / 10);
        var sids = new List<int>(bytes.Length / 10);
        int position = 0;
        long line = 0;
        while (position < bytes.Length)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', position);
            if (end < 0) end = bytes.Length;
            var text = bytes.AsSpan(position, end - position);
            if (text.Length > 0 && text[^1] == (byte)'\r') text = text[..^1];
            line++;
            position = end + 1;
            if (line == 1)
            {
                if (!text.SequenceEqual("uid,sid"u8))
                    throw new DataFormatException(path, 1, $"bad header \"{Encoding.UTF8.GetString(text)}\", expected \"{Header}\"");
                continue;
            }
            int comma = text.IndexOf((byte)',');
            if (comma < 0) throw new DataFormatException(path, line, $"expected \"uid,sid\", found \"{Encoding.UTF8.GetString(text)}\"");
            int uid = ParseNonNegative(path, line, "uid", text[..comma]);
            int sid = ParseNonNegative(path, line, "sid", text[(comma + 1)..]);
            if (sid >= items) throw new DataFormatException(path, line, $"sid {sid} outside 0..{items - 1}, the range of {ItemsFile}");
            uids.Add(uid);
            sids.Add(sid);
        }
        if (line == 0) throw new DataFormatException(path, 1, $"empty file, expected the header \"{Header}\"");
        return (uids.ToArray(), sids.ToArray());
    }

    private static int ParseNonNegative(string path, long line, string column, ReadOnlySpan<byte> text)
    {
        if (text.Length == 0 || !Utf8Parser.TryParse(text, out int value, out int consumed) || consumed != text.Length || value < 0 || text[0] == (byte)'+')
        {
            bool digits = text.Length > 0;
            foreach (byte b in text) digits &= b is >= (byte)'0' and <= (byte)'9';
            if (digits) // only digits, yet no int: too large
                throw new DataFormatException(path, line, $"{column} {Encoding.UTF8.GetString(text)} is out of range: ids go up to {int.MaxValue}");
            throw new DataFormatException(path, line, $"{column} \"{Encoding.UTF8.GetString(text)}\" is not a non-negative integer");
        }
        return value;
    }

    /// <summary>load_tr_te_data: rows re-based to the smallest uid of either file, spanning to the largest.</summary>
    private static HeldOutSet ReadHeldOut(string directory, string foldInName, string targetName, int items, bool requireTargets)
    {
        string foldInPath = Path.Combine(directory, foldInName), targetPath = Path.Combine(directory, targetName);
        var (foldInUids, foldInSids) = ReadPairs(foldInPath, items);
        var (targetUids, targetSids) = ReadPairs(targetPath, items);
        if (requireTargets && targetUids.Length == 0)
            // Held-out users without targets cannot be evaluated: every metric would be undefined.
            throw new DataFormatException(targetPath, 1, $"only the header \"{Header}\": the held-out users of {foldInName} need target rows (uid,sid) to be evaluated on");
        if (foldInUids.Length == 0)
        {
            // Every held-out user lost all events to unseen items: the notebook writes header-only files.
            if (targetUids.Length > 0) throw new DataFormatException(targetPath, 2, $"uid {targetUids[0]} has targets but {foldInName} has no rows: the fold-in and target files cover different users");
            return new HeldOutSet(new CsrMatrix(0, items, [0], []), new CsrMatrix(0, items, [0], []), 0, [], null);
        }
        int first = Math.Min(Min(foldInUids), targetUids.Length > 0 ? Min(targetUids) : int.MaxValue);
        int last = Math.Max(Max(foldInUids), targetUids.Length > 0 ? Max(targetUids) : int.MinValue);
        int rows = last - first + 1;

        var foldIn = GroupByRow(foldInUids, foldInSids, first, rows, items, out var foldInFileOrder);
        var target = GroupByRow(targetUids, targetSids, first, rows, items, out var targetFileOrder);
        RequireNoRepeats(foldInPath, foldIn, foldInFileOrder);
        RequireNoRepeats(targetPath, target, targetFileOrder);

        // A user with targets but no fold-in could not be scored: the two files must cover the same users.
        for (int k = 0; k < targetUids.Length; k++)
            if (foldIn.RowLength(targetUids[k] - first) == 0)
                throw new DataFormatException(targetPath, k + 2, $"uid {targetUids[k]} has targets but no rows in {foldInName}: the fold-in and target files cover different users");
        RequireDisjoint(foldInName, foldIn, targetPath, target, targetFileOrder);

        // Users in the order the fold-in file lists them (ascending original id when the notebook wrote it); empty rows last.
        var fileUserOrder = new int[rows];
        var listed = new bool[rows];
        int w = 0;
        foreach (int uid in foldInUids)
            if (!listed[uid - first]) { listed[uid - first] = true; fileUserOrder[w++] = uid - first; }
        for (int r = 0; r < rows; r++) if (!listed[r]) fileUserOrder[w++] = r;
        return new HeldOutSet(foldIn, target, first, fileUserOrder, null);
    }

    /// <summary>Stable counting sort of file-order pairs into rows uid - first; fileOrder[k] is the entry of line k.</summary>
    private static CsrMatrix GroupByRow(int[] uids, int[] sids, int first, int rows, int items, out int[] fileOrder)
    {
        var start = new int[rows + 1];
        foreach (int uid in uids) start[uid - first + 1]++;
        for (int r = 0; r < rows; r++) start[r + 1] += start[r];
        var next = start.AsSpan(0, rows).ToArray();
        var columns = new int[uids.Length];
        fileOrder = new int[uids.Length];
        for (int k = 0; k < uids.Length; k++)
        {
            int entry = next[uids[k] - first]++;
            columns[entry] = sids[k];
            fileOrder[k] = entry;
        }
        return new CsrMatrix(rows, items, start, columns);
    }

    /// <summary>A (uid, sid) pair may occur once per file: scipy's csr_matrix would silently sum repeats into a 2.</summary>
    private static void RequireNoRepeats(string path, CsrMatrix matrix, int[] fileOrder)
    {
        var lineOfEntry = LinesOfEntries(fileOrder);
        var lastRow = new int[matrix.Columns];
        var lastLine = new int[matrix.Columns];
        Array.Fill(lastRow, -1);
        for (int r = 0; r < matrix.Rows; r++)
            for (int e = matrix.RowStart[r]; e < matrix.RowStart[r + 1]; e++)
            {
                int c = matrix.ColumnIndex[e];
                if (lastRow[c] == r) throw new DataFormatException(path, lineOfEntry[e], $"sid {c} repeats line {lastLine[c]} for the same user");
                lastRow[c] = r;
                lastLine[c] = lineOfEntry[e];
            }
    }

    /// <summary>Fold-in and target are disjoint by construction (cell 22); an overlap means a damaged folder.</summary>
    private static void RequireDisjoint(string foldInName, CsrMatrix foldIn, string targetPath, CsrMatrix target, int[] targetFileOrder)
    {
        var lineOfEntry = LinesOfEntries(targetFileOrder);
        var stamp = new int[foldIn.Columns];
        Array.Fill(stamp, -1);
        for (int r = 0; r < foldIn.Rows; r++)
        {
            foreach (int c in foldIn.Row(r)) stamp[c] = r;
            for (int e = target.RowStart[r]; e < target.RowStart[r + 1]; e++)
                if (stamp[target.ColumnIndex[e]] == r)
                    throw new DataFormatException(targetPath, lineOfEntry[e], $"sid {target.ColumnIndex[e]} is a target and also fold-in in {foldInName} for the same user");
        }
    }

    private static int[] LinesOfEntries(int[] fileOrder)
    {
        var line = new int[fileOrder.Length];
        for (int k = 0; k < fileOrder.Length; k++) line[fileOrder[k]] = k + 2; // line 1 is the header
        return line;
    }

    private static void RequireSeparate(string path, HeldOutSet set, string otherName, int otherFirst, int otherCount)
    {
        if (set.Users > 0 && otherCount > 0 && set.FirstUid < otherFirst + otherCount && otherFirst < set.FirstUid + set.Users)
            throw new DataFormatException(path, 0, $"uids {set.FirstUid}..{set.FirstUid + set.Users - 1} overlap the {otherName} uids {otherFirst}..{otherFirst + otherCount - 1}: a user may be in one part only");
    }

    private static int Min(int[] values)
    {
        int m = int.MaxValue;
        foreach (int v in values) if (v < m) m = v;
        return m;
    }

    private static int Max(int[] values)
    {
        int m = int.MinValue;
        foreach (int v in values) if (v > m) m = v;
        return m;
    }

    /// <summary>Buffered ASCII output of integers and text with <c>\n</c> line ends; no per-line allocation.</summary>
    private sealed class AsciiWriter : IDisposable
    {
        private readonly Stream _stream;
        private readonly byte[] _buffer = new byte[1 << 16];
        private int _used;

        public AsciiWriter(Stream stream) => _stream = stream;

        public void Pair(int uid, int sid)
        {
            Reserve(24);
            Utf8Formatter.TryFormat(uid, _buffer.AsSpan(_used), out int written);
            _used += written;
            _buffer[_used++] = (byte)',';
            Utf8Formatter.TryFormat(sid, _buffer.AsSpan(_used), out written);
            _used += written;
            _buffer[_used++] = (byte)'\n';
        }

        public void Text(string text)
        {
            int bytes = Encoding.UTF8.GetByteCount(text);
            if (bytes > _buffer.Length)
            {
                Flush();
                _stream.Write(Encoding.UTF8.GetBytes(text));
                return;
            }
            Reserve(bytes);
            _used += Encoding.UTF8.GetBytes(text, _buffer.AsSpan(_used));
        }

        public void Newline()
        {
            Reserve(1);
            _buffer[_used++] = (byte)'\n';
        }

        private void Reserve(int bytes)
        {
            if (_used + bytes > _buffer.Length) Flush();
        }

        private void Flush()
        {
            _stream.Write(_buffer, 0, _used);
            _used = 0;
        }

        public void Dispose() => Flush();
    }
}
