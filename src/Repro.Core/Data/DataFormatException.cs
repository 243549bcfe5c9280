namespace Repro.Core.Data;

/// <summary>Malformed input: names the file, the 1-based line and what was expected there.</summary>
public sealed class DataFormatException : Exception
{
    public DataFormatException(string file, long line, string problem)
        : base(line > 0 ? $"{file}:{line}: {problem}" : $"{file}: {problem}")
    {
        File = file;
        Line = line;
        Problem = problem;
    }

    public string File { get; }

    /// <summary>1-based line number, or 0 when the problem concerns the whole file.</summary>
    public long Line { get; }

    public string Problem { get; }
}
