using System.Globalization;
using System.Reflection;
using System.Text;

namespace Repro.Core.Models;

/// <summary>
/// A hyper record's settings as (kebab-case name, text) pairs, the one way settings are written out:
/// run.json records them, settings hashes name grid points from them, and a saved training state
/// names the settings it belongs to with them. Numbers are culture-invariant; null is "none".
/// </summary>
public static class SettingsText
{
    /// <summary>The record's public settable properties in declaration order, as (kebab-name, text).</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Describe(object record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.GetType()
            .GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetIndexParameters().Length == 0)
            .Select(p => new KeyValuePair<string, string>(Kebab(p.Name), Text(p.GetValue(record))))
            .ToArray();
    }

    /// <summary>
    /// <see cref="Describe"/> without the settings marked <see cref="HashOmitsDefaultAttribute"/> that
    /// stand at their marked value: what settings hashes are computed from.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> DescribeForHash(object record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.GetType()
            .GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetIndexParameters().Length == 0)
            .Where(p => p.GetCustomAttribute<HashOmitsDefaultAttribute>() is not { } omit || Text(omit.Value) != Text(p.GetValue(record)))
            .Select(p => new KeyValuePair<string, string>(Kebab(p.Name), Text(p.GetValue(record))))
            .ToArray();
    }

    /// <summary>"name=value" lines joined by '\n', in declaration order.</summary>
    public static string Of(object record)
    {
        var text = new StringBuilder();
        foreach (var (name, value) in Describe(record))
        {
            if (text.Length > 0) text.Append('\n');
            text.Append(name).Append('=').Append(value);
        }
        return text.ToString();
    }

    /// <summary>"AnnealCap" as the command line spells it: "anneal-cap".</summary>
    public static string Kebab(string name)
    {
        var text = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (i > 0 && char.IsUpper(c)) text.Append('-');
            text.Append(char.ToLowerInvariant(c));
        }
        return text.ToString();
    }

    private static string Text(object? value) => value switch
    {
        null => "none",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
