namespace Repro.Core.Data.Readers;

/// <summary>
/// Opening inputs, with one convention for every reader: a file that does not exist gives
/// <see cref="FileNotFoundException"/>, a folder that does not exist gives
/// <see cref="DirectoryNotFoundException"/>, each naming the path and what was expected there;
/// everything wrong inside a file that exists gives <see cref="DataFormatException"/>.
/// </summary>
internal static class Input
{
    public static FileStream OpenFile(string path)
    {
        if (!File.Exists(path))
            throw Directory.Exists(path)
                ? new FileNotFoundException($"{path}: is a folder, expected a file", path)
                : new FileNotFoundException($"{path}: file not found", path);
        // No FileStream buffering: LineSource reads megabytes at a time into its own buffer.
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
    }

    public static void RequireFolder(string folder, string expected)
    {
        if (!Directory.Exists(folder))
            throw File.Exists(folder)
                ? new DirectoryNotFoundException($"{folder}: is a file, expected a folder holding {expected}")
                : new DirectoryNotFoundException($"{folder}: folder not found (expected a folder holding {expected})");
    }

    /// <summary>A capacity hint from a file size and a typical line length, clamped to what a List can hold.</summary>
    public static int CapacityHint(long bytes, int bytesPerLine) =>
        (int)Math.Min(Array.MaxLength, bytes / Math.Max(bytesPerLine, 1) + 16);
}
