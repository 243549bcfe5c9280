using System.Globalization;

namespace Repro.Core.Models;

/// <summary>A hyper record as text that does not depend on the machine's culture (a record's ToString formats numbers with the current culture).</summary>
public static class SettingsText
{
    public static string Of(object settings)
    {
        var culture = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
            return settings.ToString() ?? "";
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }
    }
}
