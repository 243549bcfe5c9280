namespace Repro.Core.Models;

/// <summary>
/// A model that counts what its scoring did, e.g. LOCA's users that no anchor covers and that fall back
/// to the global model. A run resets the counts before it evaluates a part (validation, test) and
/// records them after, beside that part's metrics in metrics.json.
/// </summary>
public interface IScoringCounters
{
    /// <summary>Named counts since the last <see cref="ResetScoringCounters"/>.</summary>
    IReadOnlyList<KeyValuePair<string, double>> ScoringCounters();

    void ResetScoringCounters();
}
