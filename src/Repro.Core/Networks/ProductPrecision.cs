namespace Repro.Core.Networks;

/// <summary>
/// The number format of a network's large matrix products (the output layer's, batch x hidden x
/// items). Master weights, gradients' accumulation, softmax, loss and Adam stay in fp32 either way.
/// </summary>
public enum ProductPrecision
{
    /// <summary>IEEE single precision throughout, the notebook's arithmetic.</summary>
    Fp32,

    /// <summary>
    /// bfloat16 operands for the output layer's three products (forward logits, weight gradient,
    /// hidden gradient), accumulated in fp32 by oneDNN and converted back to fp32; needs AVX-512 BF16
    /// (<see cref="Bf16Support"/>).
    /// </summary>
    Bf16,
}

/// <summary>
/// Whether this processor multiplies bfloat16 in hardware. libtorch would run bf16 products without
/// the instructions too, emulated and slower than fp32, so a network asked for bf16 on such a
/// processor refuses with a message instead.
/// </summary>
public static class Bf16Support
{
    /// <summary>The /proc/cpuinfo flag of the AVX-512 BF16 instructions oneDNN's bf16 kernels use.</summary>
    public const string Flag = "avx512_bf16";

    private static readonly Lazy<string?> ThisMachine = new(() =>
    {
        const string path = "/proc/cpuinfo";
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"precision bf16 needs a processor with AVX-512 BF16 instructions, and this system has no readable {path} to tell; use precision=fp32";
        }
        return Lack(text);
    });

    /// <summary>
    /// Null when <paramref name="cpuinfo"/> (the text of /proc/cpuinfo) lists <see cref="Flag"/> on a
    /// "flags" line; otherwise the message that refuses bf16.
    /// </summary>
    public static string? Lack(string cpuinfo)
    {
        ArgumentNullException.ThrowIfNull(cpuinfo);
        foreach (var line in cpuinfo.Split('\n'))
        {
            var parts = line.Split(':', 2);
            if (parts.Length == 2 && parts[0].Trim() == "flags" && parts[1].Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(Flag))
                return null;
        }
        return $"precision bf16 needs a processor with AVX-512 BF16 instructions ('{Flag}' among the flags of /proc/cpuinfo), and this one lacks them; use precision=fp32";
    }

    /// <summary>True when this machine's processor has <see cref="Flag"/>.</summary>
    public static bool Available => ThisMachine.Value is null;

    /// <summary>Throws <see cref="PlatformNotSupportedException"/> with the reason when bf16 is asked for and absent.</summary>
    public static void Require(ProductPrecision precision)
    {
        if (precision == ProductPrecision.Bf16 && ThisMachine.Value is { } reason) throw new PlatformNotSupportedException(reason);
    }
}
