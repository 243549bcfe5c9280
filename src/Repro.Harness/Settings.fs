/// Hyperparameter records set by name from the command line (`--set anneal-cap=0.3`), and listed
/// for run records. Works on any immutable C# record: the value is cloned and the init-only property
/// set on the clone, then the record's own Validate() runs. An unknown name or a bad value is an
/// error that says what is allowed.
module Repro.Harness.Settings

open System
open System.Globalization
open System.Reflection

/// "AnnealCap", "anneal-cap" and "anneal_cap" name the same setting.
let private normalise (name: string) = name.Replace("-", "").Replace("_", "").ToLowerInvariant()

let private settable (t: Type) = Repro.Core.Models.SettingsText.Settable t |> Array.ofSeq

/// Kebab-case name of a property, as the command line shows it (Core's SettingsText.Kebab).
let kebab (name: string) = Repro.Core.Models.SettingsText.Kebab name

let private parse (t: Type) (text: string) : Result<obj, string> =
    let inv = CultureInfo.InvariantCulture
    let target = match Nullable.GetUnderlyingType t with null -> t | u -> u
    if (not t.IsValueType || Nullable.GetUnderlyingType t <> null) && (text = "none" || text = "null") then Ok null
    elif target = typeof<int> then match Int32.TryParse(text, NumberStyles.Integer, inv) with | true, v -> Ok(box v) | _ -> Error "an integer"
    elif target = typeof<int64> then match Int64.TryParse(text.Replace("_", ""), NumberStyles.Integer, inv) with | true, v -> Ok(box v) | _ -> Error "an integer"
    elif target = typeof<float> then match Double.TryParse(text, NumberStyles.Float, inv) with | true, v when Double.IsFinite v -> Ok(box v) | _ -> Error "a finite number"
    elif target = typeof<float32> then match Single.TryParse(text, NumberStyles.Float, inv) with | true, v when Single.IsFinite v -> Ok(box v) | _ -> Error "a finite number"
    elif target = typeof<bool> then match Boolean.TryParse text with | true, v -> Ok(box v) | _ -> Error "true or false"
    elif target = typeof<string> then Ok(box text)
    elif target.IsEnum then
        match Enum.GetNames target |> Array.tryFind (fun n -> normalise n = normalise text) with
        | Some n -> Ok(Enum.Parse(target, n))
        | None -> Error(sprintf "one of %s" (String.Join(", ", Enum.GetNames target |> Array.map kebab)))
    else Error(sprintf "a value of a type the command line cannot set (%s)" target.Name)

/// The record's settable properties and their current values, as (kebab-name, text): Core's
/// SettingsText, the one way settings are written out.
let describe (record: obj) : (string * string) list =
    [ for p in Repro.Core.Models.SettingsText.Describe record -> p.Key, p.Value ]

/// The assignments that turn <paramref name="baseline"/> into a record whose describe is <paramref name="settings"/>.
let differences (baseline: obj) (settings: (string * string) list) : string list =
    let now = describe baseline |> Map.ofList
    [ for name, value in settings do
        match now.TryFind name with
        | Some v when v = value -> ()
        | _ -> yield name + "=" + value ]

/// Applies "name=value" assignments to a copy of <paramref name="record"/>, a record of type
/// <paramref name="t"/>, then runs the record's Validate().
let applyTo (t: Type) (record: obj) (assignments: string list) : Result<obj, string> =
    let properties = settable t
    let known () = String.Join(", ", properties |> Array.map (fun p -> kebab p.Name))
    let clone = t.GetMethod("<Clone>$")
    if isNull clone then Error(sprintf "%s is not a record" t.Name)
    else
        let copy = clone.Invoke(record, [||])
        let folder (state: Result<unit, string>) (assignment: string) =
            state
            |> Result.bind (fun () ->
                match assignment.Split('=', 2) with
                | [| name; value |] when name.Trim() <> "" ->
                    match properties |> Array.tryFind (fun p -> normalise p.Name = normalise (name.Trim())) with
                    | None -> Error(sprintf "unknown setting '%s' for %s; known settings: %s" (name.Trim()) t.Name (known ()))
                    | Some p ->
                        match parse p.PropertyType (value.Trim()) with
                        | Error expected -> Error(sprintf "setting '%s' takes %s; got '%s'" (kebab p.Name) expected (value.Trim()))
                        | Ok v ->
                            try
                                p.SetValue(copy, v)
                                Ok()
                            with :? TargetInvocationException as e -> Error(sprintf "setting '%s': %s" (kebab p.Name) e.InnerException.Message)
                | _ -> Error(sprintf "'%s' is not name=value" assignment))
        assignments
        |> List.fold folder (Ok())
        |> Result.bind (fun () ->
            match t.GetMethod("Validate", Type.EmptyTypes) with
            | null -> Ok copy
            | validate ->
                try
                    validate.Invoke(copy, [||]) |> ignore
                    Ok copy
                with :? TargetInvocationException as e -> Error e.InnerException.Message)

/// Applies "name=value" assignments to a copy of <paramref name="record"/>.
let apply<'T when 'T: not struct> (record: 'T) (assignments: string list) : Result<'T, string> =
    applyTo typeof<'T> (box record) assignments |> Result.map (fun r -> r :?> 'T)
