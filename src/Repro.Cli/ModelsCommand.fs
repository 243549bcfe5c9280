/// `repro models`: the model catalogue, with each model's settings at their paper values.
module Repro.Cli.ModelsCommand

open Repro.Harness

let list () =
    printfn "Models (train with 'repro train --model NAME', change a setting with --set name=value):"
    for e in Models.all do
        let spec = { Entry = e; Hyper = e.Paper }
        printfn ""
        printfn "%-12s %s, %s%s" e.Name e.Label (if e.IsFitted then "fitted once" else "trained")
            (if e.Aliases.IsEmpty then "" else sprintf " (also: %s)" (String.concat ", " e.Aliases))
        printfn "  %s" e.Description
        match spec.Settings with
        | [] -> printfn "  settings: none"
        | settings -> printfn "  settings (paper values): %s" (settings |> List.map (fun (n, v) -> n + "=" + v) |> String.concat ", ")
        // Settings left out of run records at their default (Core's OmittedAtDefault), listed here so they are found.
        let later =
            [ for p in Repro.Core.Models.SettingsText.Settable e.HyperType do
                match System.Attribute.GetCustomAttribute(p, typeof<Repro.Core.Models.OmittedAtDefaultAttribute>) with
                | :? Repro.Core.Models.OmittedAtDefaultAttribute as a -> yield Settings.kebab p.Name + "=" + Settings.kebab a.DefaultText
                | _ -> () ]
        if not later.IsEmpty then printfn "  also (default, not written to run records): %s" (String.concat ", " later)
        printfn "  paper grid: %d point(s)" (ModelSpec.paperGrid spec).Length
    printfn ""
    printfn "Rating-prediction models (the `ratings` experiment: 'repro run --experiment ratings'):"
    for e in RatingModels.all do
        printfn ""
        printfn "%-12s %s" (RatingModels.name e.Paper) (RatingModels.label e.Paper)
        printfn "  %s" e.Description
        match RatingModels.settings e.Paper with
        | [] -> printfn "  settings: none"
        | settings -> printfn "  settings (defaults): %s" (settings |> List.map (fun (n, v) -> n + "=" + v) |> String.concat ", ")
        printfn "  grid: %d point(s)" e.Grid.Length
    0
