using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Repro.Core.Data.Download;

public enum ChecksumAlgorithm
{
    Md5,
    Sha256,
}

/// <summary>An expected digest of a file, as lower-case hex.</summary>
public sealed record Checksum
{
    public Checksum(ChecksumAlgorithm algorithm, string hex)
    {
        int length = algorithm == ChecksumAlgorithm.Md5 ? 32 : 64;
        if (hex.Length != length || !hex.All(Uri.IsHexDigit))
            throw new ArgumentException($"'{hex}' is not a {algorithm} digest ({length} hex digits)", nameof(hex));
        Algorithm = algorithm;
        Hex = hex.ToLowerInvariant();
    }

    public ChecksumAlgorithm Algorithm { get; }

    public string Hex { get; }

    public static Checksum Md5(string hex) => new(ChecksumAlgorithm.Md5, hex);

    public static Checksum Sha256(string hex) => new(ChecksumAlgorithm.Sha256, hex);

    public override string ToString() => $"{Algorithm.ToString().ToLowerInvariant()}:{Hex}";

    /// <summary>The digest of a file's bytes, in this checksum's algorithm.</summary>
    public string ComputeOf(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        byte[] hash = Algorithm == ChecksumAlgorithm.Md5 ? MD5.HashData(stream) : SHA256.HashData(stream);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>True when the file's digest equals this one.</summary>
    public bool Matches(string path, out string actual)
    {
        actual = ComputeOf(path);
        return actual == Hex;
    }

    /// <summary>
    /// Reads an md5 sidecar such as GroupLens's <c>ml-20m.zip.md5</c> ("MD5 (ml-20m.zip) = &lt;hex&gt;")
    /// or md5sum output ("&lt;hex&gt;  ml-20m.zip"); null when the text holds no 32-digit hex word.
    /// </summary>
    public static Checksum? ParseMd5Sidecar(string text)
    {
        var match = Regex.Match(text, @"(?<![0-9A-Fa-f])[0-9A-Fa-f]{32}(?![0-9A-Fa-f])");
        return match.Success ? Md5(match.Value) : null;
    }
}
