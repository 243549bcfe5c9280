namespace Repro.Core.Models.Popularity;

/// <summary>The popularity baseline has no settings; the record exists so that every model has one.</summary>
public sealed record PopularityHyper
{
    public static PopularityHyper Paper { get; } = new();

    public void Validate() { }
}
