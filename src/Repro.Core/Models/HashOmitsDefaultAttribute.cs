namespace Repro.Core.Models;

/// <summary>
/// Marks a setting added after runs were recorded with its model: at <see cref="Value"/> (the
/// behaviour those runs had) it is left out of the settings hash, so the run folders named before it
/// existed keep their names and a rerun skips them. run.json still records it.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class HashOmitsDefaultAttribute(object value) : Attribute
{
    /// <summary>The value at which the setting is left out of the hash.</summary>
    public object Value { get; } = value;
}
