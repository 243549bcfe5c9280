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
    /// <summary>
    /// A hyper record type's public settable properties in declaration order, a base record's first
    /// (reflection lists a derived type's own properties first; run records and saved training states
    /// keep the order settings were written in).
    /// </summary>
    public static IReadOnlyList<PropertyInfo> Settable(Type type)
    {
        static int Depth(Type? t) { int d = 0; for (; t is not null; t = t.BaseType) d++; return d; }
        return type
            .GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetIndexParameters().Length == 0)
            .OrderBy(p => Depth(p.DeclaringType))
            .ThenBy(p => p.MetadataToken)
            .ToArray();
    }

    /// <summary>The record's public settable properties (<see cref="Settable"/>), as (kebab-name, text).</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Describe(object record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return Settable(record.GetType())
            .Select(p => (Property: p, Text: Text(p.GetValue(record))))
            .Where(s => s.Property.GetCustomAttribute<OmittedAtDefaultAttribute>() is not { } omitted || s.Text != omitted.DefaultText)
            .Select(s => new KeyValuePair<string, string>(Kebab(s.Property.Name), s.Text))
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

/// <summary>
/// Marks a setting added after runs were recorded without it. At its default (whose text is
/// <see cref="DefaultText"/>) <see cref="SettingsText.Describe"/> leaves it out, so the settings
/// hashes and run ids of those runs stay what they were, and a record without it reads back as the
/// default; any other value is written, hashed and read back as every setting is.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class OmittedAtDefaultAttribute(string defaultText) : Attribute
{
    /// <summary>The setting's text at its default, as <see cref="SettingsText.Describe"/> would write it.</summary>
    public string DefaultText { get; } = defaultText;
}
