/// A model with every one of its settings, as a value: what an experiment lists, a run records and
/// `repro train --model NAME --set name=value` builds. Grids are list comprehensions over these.
module Repro.Harness.ModelSpec

open Repro.Core.Models.Cdae
open Repro.Core.Models.Ease
open Repro.Core.Models.MultDae
open Repro.Core.Models.MultVae
open Repro.Core.Models.RecVae
open Repro.Core.Models.Slim
open Repro.Core.Models.Wmf

type ModelSpec =
    | MultVae of MultVaeHyper
    | MultDae of MultDaeHyper
    | RecVae of RecVaeHyper
    | Popularity
    | Ease of EaseHyper
    | Wmf of WmfHyper
    | Slim of SlimHyper
    | Cdae of CdaeHyper

    /// The command-line name, also used in run folder names.
    member m.Name =
        match m with
        | MultVae _ -> "mult-vae"
        | MultDae _ -> "mult-dae"
        | RecVae _ -> "recvae"
        | Popularity -> "popularity"
        | Ease _ -> "ease"
        | Wmf _ -> "wmf"
        | Slim _ -> "slim"
        | Cdae _ -> "cdae"

    /// The name the paper's tables use.
    member m.Label =
        match m with
        | MultVae _ -> "Mult-VAE^PR"
        | MultDae _ -> "Mult-DAE"
        | RecVae _ -> "RecVAE"
        | Popularity -> "Popularity"
        | Ease _ -> "EASE"
        | Wmf _ -> "WMF"
        | Slim _ -> "SLIM"
        | Cdae _ -> "CDAE"

    /// Every setting as (kebab-name, text), as run.json records them.
    member m.Settings : (string * string) list =
        match m with
        | MultVae h -> Settings.describe h
        | MultDae h -> Settings.describe h
        | RecVae h -> Settings.describe h
        | Popularity -> []
        | Ease h -> Settings.describe h
        | Wmf h -> Settings.describe h
        | Slim h -> Settings.describe h
        | Cdae h -> Settings.describe h

/// Every model name `parse` knows, in the order help texts list them.
let names = [ "mult-vae"; "mult-dae"; "recvae"; "popularity"; "ease"; "wmf"; "slim"; "cdae" ]

/// The model called <paramref name="name"/> with its Paper settings changed by "name=value"
/// assignments; an unknown model or setting is an error that lists what is allowed.
let parse (name: string) (assignments: string list) : Result<ModelSpec, string> =
    let noSettings spec =
        match assignments with
        | [] -> Ok spec
        | a :: _ -> Error(sprintf "%s has no settings; got '%s'" name a)
    try
        match name.ToLowerInvariant() with
        | "mult-vae" | "multvae" | "vae" -> Settings.apply MultVaeHyper.Paper assignments |> Result.map MultVae
        | "mult-dae" | "multdae" | "dae" -> Settings.apply MultDaeHyper.Paper assignments |> Result.map MultDae
        | "recvae" | "rec-vae" -> Settings.apply RecVaeHyper.Paper assignments |> Result.map RecVae
        | "popularity" | "pop" -> noSettings Popularity
        | "ease" -> Settings.apply EaseHyper.Paper assignments |> Result.map Ease
        | "wmf" -> Settings.apply WmfHyper.Paper assignments |> Result.map Wmf
        | "slim" -> Settings.apply SlimHyper.Paper assignments |> Result.map Slim
        | "cdae" -> Settings.apply CdaeHyper.Paper assignments |> Result.map Cdae
        | other -> Error(sprintf "unknown model '%s'; models: %s" other (String.concat ", " names))
    with :? System.ArgumentException as e -> Error e.Message

/// The model a run.json describes: its name and its recorded settings (kebab-name, text).
let ofSettings (name: string) (settings: (string * string) list) : Result<ModelSpec, string> =
    match parse name [] with
    | Error why -> Error why
    | Ok Popularity -> Ok Popularity
    | Ok paper ->
        let baseline =
            match paper with
            | MultVae h -> box h | MultDae h -> box h | Ease h -> box h | Wmf h -> box h | Slim h -> box h | Cdae h -> box h | RecVae h -> box h
            | Popularity -> null
        parse name (Settings.differences baseline settings)

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
let isFitted (spec: ModelSpec) =
    match spec with
    | Popularity | Ease _ | Wmf _ | Slim _ -> true
    | MultVae _ | MultDae _ | Cdae _ | RecVae _ -> false

/// <paramref name="spec"/> with "name=value" assignments applied on top (a tuning grid with
/// settings fixed by `--set`); an unknown setting is an error.
let applyOnTop (spec: ModelSpec) (assignments: string list) : Result<ModelSpec, string> =
    try
        match spec with
        | MultVae h -> Settings.apply h assignments |> Result.map MultVae
        | MultDae h -> Settings.apply h assignments |> Result.map MultDae
        | Ease h -> Settings.apply h assignments |> Result.map Ease
        | Wmf h -> Settings.apply h assignments |> Result.map Wmf
        | Slim h -> Settings.apply h assignments |> Result.map Slim
        | Cdae h -> Settings.apply h assignments |> Result.map Cdae
        | RecVae h -> Settings.apply h assignments |> Result.map RecVae
        | Popularity -> parse "popularity" assignments
    with :? System.ArgumentException as e -> Error e.Message
