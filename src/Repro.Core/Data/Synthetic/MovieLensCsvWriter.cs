using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Repro.Core.Data.Synthetic;

/// <summary>
/// Writes an <see cref="InteractionLog"/> as a MovieLens ratings.csv (<c>userId,movieId,rating,timestamp</c>,
/// LF line ends, ratings with one decimal like ML-20M's "3.5" and "4.0"), rows in log order.
/// Bytes are formatted straight into a buffer (20M rows in a few seconds), into
/// "&lt;path&gt;.partial", renamed to the path when complete.
/// </summary>
public static class MovieLensCsvWriter
{
    public const string Header = "userId,movieId,rating,timestamp";

    /// <param name="timestamps">Unix seconds per event; null writes 0.</param>
    public static void WriteRatings(string path, InteractionLog log, int[]? timestamps = null)
    {
        if (timestamps is not null && timestamps.Length != log.Count)
            throw new ArgumentException($"{timestamps.Length} timestamps for {log.Count} events", nameof(timestamps));
        var userBytes = Encode(log.UserIds, "user");
        var itemBytes = Encode(log.ItemIds, "item");
        var ratingCache = new Dictionary<float, byte[]>();

        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string partial = full + ".partial";
        try
        {
            using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.SequentialScan))
            {
                var buffer = new byte[1 << 22];
                int at = Encoding.UTF8.GetBytes(Header + "\n", buffer);
                for (int k = 0; k < log.Count; k++)
                {
                    var user = userBytes[log.Users[k]];
                    var item = itemBytes[log.Items[k]];
                    float value = log.Values[k];
                    if (!ratingCache.TryGetValue(value, out var rating)) ratingCache[value] = rating = FormatRating(value);
                    // Longest row: the two ids, the rating, an int's 11 characters, 3 commas and a newline.
                    if (buffer.Length - at < user.Length + item.Length + rating.Length + 16)
                    {
                        file.Write(buffer, 0, at);
                        at = 0;
                    }
                    user.CopyTo(buffer, at); at += user.Length;
                    buffer[at++] = (byte)',';
                    item.CopyTo(buffer, at); at += item.Length;
                    buffer[at++] = (byte)',';
                    rating.CopyTo(buffer, at); at += rating.Length;
                    buffer[at++] = (byte)',';
                    Utf8Formatter.TryFormat(timestamps is null ? 0 : timestamps[k], buffer.AsSpan(at), out int written);
                    at += written;
                    buffer[at++] = (byte)'\n';
                }
                file.Write(buffer, 0, at);
            }
            File.Move(partial, full, overwrite: true);
        }
        catch
        {
            File.Delete(partial);
            throw;
        }
    }

    private static byte[][] Encode(string[] ids, string what)
    {
        var bytes = new byte[ids.Length][];
        for (int i = 0; i < ids.Length; i++)
        {
            if (ids[i].AsSpan().IndexOfAny(",\"\r\n") >= 0)
                throw new ArgumentException($"{what} id '{ids[i]}' contains a comma, quote or line break, which a MovieLens CSV cannot hold");
            bytes[i] = Encoding.UTF8.GetBytes(ids[i]);
        }
        return bytes;
    }

    /// <summary>Half stars with one decimal as in ML-20M ("3.5", "4.0"); any other value in shortest round-trip form.</summary>
    private static byte[] FormatRating(float value)
    {
        string text = value * 2 == MathF.Round(value * 2) && Math.Abs(value) < 1e6
            ? value.ToString("0.0", CultureInfo.InvariantCulture)
            : value.ToString("R", CultureInfo.InvariantCulture);
        return Encoding.ASCII.GetBytes(text);
    }
}
