using System.Security.Cryptography;
using System.Text;
using Repro.Core.Protocols;
using Repro.Core.Sparse;

namespace Repro.Core.Data.Cache;

/// <summary>
/// Caches a preprocessed, split dataset (the split and its statistics) in a <see cref="BinaryArchive"/>,
/// keyed on the source files (path, size, modification time) and the settings that made it, so that
/// a changed file or setting rebuilds it and an unchanged one reloads in well under a second.
/// </summary>
public static class SplitCache
{
    private const string Kind = "strong-generalisation split";

    /// <summary>Bump when the layout below or the protocol's output changes: older caches are rebuilt.</summary>
    public const int FormatVersion = 1;

    /// <summary>
    /// The key of a cache entry: a SHA-256 over each source file's full path, size and last write
    /// time, and the settings text (preprocessing, held-out users, seed).
    /// </summary>
    public static string Key(IEnumerable<string> sourceFiles, string settings)
    {
        var text = new StringBuilder();
        foreach (var file in sourceFiles.Select(Path.GetFullPath).OrderBy(f => f, StringComparer.Ordinal))
        {
            var info = new FileInfo(file);
            if (!info.Exists) throw new FileNotFoundException($"source file {file} does not exist", file);
            text.Append(file).Append('|').Append(info.Length).Append('|').Append(info.LastWriteTimeUtc.Ticks).Append('\n');
        }
        text.Append(settings);
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()))).ToLowerInvariant();
    }

    public static void Save(string path, string key, StrongGeneralizationSplit split, DatasetStatistics statistics) =>
        BinaryArchive.Write(path, Kind, FormatVersion, key, w =>
        {
            w.Write(split.ItemIds);
            Write(w, split.Train);
            w.Write(split.TrainFileOrder);
            WriteOptional(w, split.TrainUserIds);
            Write(w, split.Validation);
            Write(w, split.Test);
            Write(w, statistics);
        });

    /// <summary>Loads an entry; throws <see cref="StaleCacheException"/> when it must be rebuilt.</summary>
    public static (StrongGeneralizationSplit Split, DatasetStatistics Statistics) Load(string path, string key) =>
        BinaryArchive.Read(path, Kind, FormatVersion, key, r =>
        {
            try
            {
                var itemIds = r.ReadStringArray();
                var train = ReadMatrix(r);
                var trainFileOrder = r.ReadInt32Array();
                var trainUserIds = ReadOptional(r);
                var validation = ReadHeldOut(r);
                var test = ReadHeldOut(r);
                var statistics = ReadStatistics(r);
                return (new StrongGeneralizationSplit(itemIds, train, trainFileOrder, trainUserIds, validation, test), statistics);
            }
            catch (ArgumentException e)
            {
                // A payload that passed its checksum but does not make a valid split (a writer bug).
                throw new StaleCacheException(path, $"holds an inconsistent split ({e.Message})");
            }
        });

    private static void Write(ArchiveWriter w, CsrMatrix m)
    {
        w.Write(m.Rows);
        w.Write(m.Columns);
        w.Write(m.RowStart);
        w.Write(m.ColumnIndex);
    }

    private static CsrMatrix ReadMatrix(ArchiveReader r)
    {
        int rows = r.ReadInt32(), columns = r.ReadInt32();
        return new CsrMatrix(rows, columns, r.ReadInt32Array(), r.ReadInt32Array());
    }

    private static void Write(ArchiveWriter w, HeldOutSet set)
    {
        Write(w, set.FoldIn);
        Write(w, set.Target);
        w.Write(set.FirstUid);
        w.Write(set.FileUserOrder);
        WriteOptional(w, set.UserIds);
    }

    private static HeldOutSet ReadHeldOut(ArchiveReader r)
    {
        var foldIn = ReadMatrix(r);
        var target = ReadMatrix(r);
        int firstUid = r.ReadInt32();
        var order = r.ReadInt32Array();
        var userIds = ReadOptional(r);
        return new HeldOutSet(foldIn, target, firstUid, order, userIds);
    }

    private static void WriteOptional(ArchiveWriter w, string[]? values)
    {
        w.Write(values is null ? 0 : 1);
        if (values is not null) w.Write(values);
    }

    private static string[]? ReadOptional(ArchiveReader r) => r.ReadInt32() == 1 ? r.ReadStringArray() : null;

    private static void Write(ArchiveWriter w, DatasetStatistics s)
    {
        w.Write(s.Users);
        w.Write(s.Items);
        w.Write(s.Events);
        w.Write(s.Density);
        w.Write(s.DensityOverVocabulary);
        w.Write(s.TrainingUsers);
        w.Write(s.VocabularyItems);
        w.Write(s.TrainingEvents);
        Write(w, s.Validation);
        Write(w, s.Test);
        w.Write(s.HeldOutEventsDropped);
    }

    private static void Write(ArchiveWriter w, HeldOutStatistics h)
    {
        w.Write(h.Users);
        w.Write(h.UsersWithTargets);
        w.Write(h.UsersWithoutTargets);
        w.Write(h.FoldInEvents);
        w.Write(h.TargetEvents);
    }

    private static DatasetStatistics ReadStatistics(ArchiveReader r) =>
        new(r.ReadInt32(), r.ReadInt32(), r.ReadInt64(), r.ReadDouble(), r.ReadDouble(),
            r.ReadInt32(), r.ReadInt32(), r.ReadInt64(), ReadHeldOutStatistics(r), ReadHeldOutStatistics(r), r.ReadInt64());

    private static HeldOutStatistics ReadHeldOutStatistics(ArchiveReader r) =>
        new(r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt64(), r.ReadInt64());
}
