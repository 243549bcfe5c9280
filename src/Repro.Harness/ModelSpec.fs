/// Building, reading and naming model specs (`ModelSpec`, in Model.fs) from the command line's
/// "name=value" settings and from run records, through the catalogue (`Models.all`).
[<RequireQualifiedAccess; CompilationRepresentation(CompilationRepresentationFlags.ModuleSuffix)>]
module Repro.Harness.ModelSpec

/// Every model name `parse` knows, in the order help texts list them.
let names = Models.names

/// <paramref name="entry"/>'s settings from <paramref name="baseline"/> changed by "name=value"
/// assignments; an unknown setting or a bad value is an error that lists what is allowed.
let private assign (entry: ModelEntry) (baseline: obj) (assignments: string list) : Result<ModelSpec, string> =
    if assignments <> [] && Settings.describe entry.Paper = [] then
        Error(sprintf "%s has no settings; got '%s'" entry.Name assignments.Head)
    else
        try Settings.applyTo entry.HyperType baseline assignments |> Result.map (fun h -> { Entry = entry; Hyper = h })
        with :? System.ArgumentException as e -> Error e.Message

/// The model called <paramref name="name"/> with its Paper settings changed by "name=value"
/// assignments; an unknown model or setting is an error that lists what is allowed.
let parse (name: string) (assignments: string list) : Result<ModelSpec, string> =
    Models.find name |> Result.bind (fun entry -> assign entry entry.Paper assignments)

/// <paramref name="spec"/> with "name=value" assignments applied on top (a tuning grid with
/// settings fixed by `--set`); an unknown setting is an error.
let applyOnTop (spec: ModelSpec) (assignments: string list) : Result<ModelSpec, string> =
    assign spec.Entry spec.Hyper assignments

/// The model a run.json describes: its name and its recorded settings (kebab-name, text).
let ofSettings (name: string) (settings: (string * string) list) : Result<ModelSpec, string> =
    Models.find name
    |> Result.bind (fun entry -> assign entry entry.Paper (Settings.differences entry.Paper settings))

/// A trained model's spec with its epoch count set (a refit trains for the selected number).
let withEpochs (epochs: int) (spec: ModelSpec) : Result<ModelSpec, string> =
    if spec.IsFitted then Error(sprintf "%s is fitted in one call; it has no epochs" spec.Name)
    else applyOnTop spec [ sprintf "epochs=%d" epochs ]

/// The first 8 hex digits (lowercase) of SHA-256 over settings as sorted "name=value" lines
/// joined by '\n': a short, stable name for one grid point (run folders, experiment.json, reports).
let hashSettings (settings: (string * string) list) : string =
    let text =
        settings
        |> List.map (fun (name, value) -> name + "=" + value)
        |> List.sortWith (fun a b -> System.String.CompareOrdinal(a, b))
        |> String.concat "\n"
    let digest = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes text)
    System.Convert.ToHexString(digest).Substring(0, 8).ToLowerInvariant()

/// <see cref="hashSettings"/> of the model's settings.
let settingsHash (spec: ModelSpec) : string = hashSettings spec.Settings

/// True for models fitted in one call (no epochs, no training driver).
let isFitted (spec: ModelSpec) = spec.IsFitted

/// The paper's grid around <paramref name="spec"/> (the catalogue entry's grid).
let paperGrid (spec: ModelSpec) : ModelSpec list =
    spec.Entry.Grid spec.Hyper |> List.map (fun h -> { Entry = spec.Entry; Hyper = h })

/// Runs the hyper record's own Validate(): Error with its message for an invalid point.
let validate (spec: ModelSpec) : Result<unit, string> =
    Settings.applyTo spec.Entry.HyperType spec.Hyper [] |> Result.map ignore
